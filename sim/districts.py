"""A scenario's districts as arrays: each city's districts in declaration order, and their groups.

A person's home and work districts are ``int8`` indices into their city's districts
(:data:`NO_DISTRICT` when not known); a district's group (``core``, ``outer``...) is an index into
the scenario's groups, the same for every city, so that one counter of months "outside the core"
counts in whichever city a person lives.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.schema import Scenario

NO_DISTRICT = -1
"""District index meaning "not known" (no district declared, or a person who moved city)."""
NO_GROUP = -1


def district_groups(scenario: Scenario) -> tuple[str, ...]:
    """Every district group of the scenario, in order of first declaration."""
    groups: dict[str, None] = {}
    for city in scenario.cities.values():
        for district in city.districts.values():
            groups.setdefault(district.group)
    return tuple(groups)


def district_table(scenario: Scenario) -> np.ndarray:
    """Group index of each city's districts, shape ``(cities, most districts of a city)``; :data:`NO_GROUP` pads.

    At least one column, so that the compiled loops can index it whatever the scenario declares.
    """
    groups = {name: i for i, name in enumerate(district_groups(scenario))}
    width = max((len(city.districts) for city in scenario.cities.values()), default=0)
    table = np.full((len(scenario.cities), max(width, 1)), NO_GROUP, np.int16)
    for row, city in enumerate(scenario.cities.values()):
        for column, district in enumerate(city.districts.values()):
            table[row, column] = groups[district.group]
    return table
