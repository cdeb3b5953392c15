"""Checks of points items over the person histories that need the whole scenario.

An item may name a district group, a person attribute, income-tax years or another item; each
must be one the scenario declares and the engine keeps, else ``validate`` refuses the file.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping

from sim.scenario.schema import RateItem, Scenario
from sim.scenario.yamlsource import KeyPath

Report = Callable[[KeyPath, str, str], None]


def check_history_item(
    item: RateItem, items: Mapping[str, object], scenario: Scenario, path: KeyPath, report: Report
) -> None:
    """Report what ``item`` (at ``path``, among the scheme's ``items``) names that the scenario does not keep."""
    if item.group is not None:
        groups = sorted({d.group for city in scenario.cities.values() for d in city.districts.values()})
        if item.group not in groups:
            report(
                (*path, "group"),
                f"names district group '{item.group}', which no city of the scenario declares.",
                f"groups declared: {', '.join(groups)}"
                if groups
                else "declare the cities' districts with their groups",
            )
    if item.attribute is not None and item.attribute not in scenario.attributes:
        close = difflib.get_close_matches(item.attribute, list(scenario.attributes), n=1)
        report(
            (*path, "attribute"),
            f"names person attribute '{item.attribute}', which the scenario does not declare.",
            f"did you mean '{close[0]}'?" if close else "declare it under the scenario's 'attributes'",
        )
    if item.last_years is not None:
        kept = scenario.income_tax.years if scenario.income_tax is not None else 0
        if item.last_years > kept:
            report(
                (*path, "last_years"),
                f"reads {item.last_years} years of income tax, but the scenario keeps {kept}.",
                f"declare income_tax: {{years: {item.last_years}, ...}} at the top of the scenario",
            )
    if item.capped_by is not None:
        other = items.get(item.capped_by)
        if not isinstance(other, RateItem):
            rates = sorted(name for name, value in items.items() if isinstance(value, RateItem))
            report(
                (*path, "capped_by"),
                f"names '{item.capped_by}', which is not a rate item of the scheme.",
                f"name one of {rates}",
            )
        elif other.capped_by is not None:
            report((*path, "capped_by"), f"names '{item.capped_by}', which is capped by another item itself.", "")
