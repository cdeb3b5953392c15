"""Exact counts over any span: which counters a scenario needs, and how a rule reads one.

The two-word ledgers (:mod:`sim.ledger`) hold the last 128 months. A count that reaches further
back — a cumulative rule without a window, a points ``rate`` item, counted from a date more than
128 months before the application or not at all, over the union of the city's and some regions'
ledgers, or only the months paid before graduation — is read from a counter
(:class:`sim.ledger.CounterSpec`) kept up to date month by month. The counters a run needs are
collected up front from every rule period of every city (:func:`collect_specs`): history older
than 128 months cannot be rebuilt later, so a rule period that starts years into a run still
finds its counts exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.districts import NO_DISTRICT, district_groups, district_table
from sim.ledger import HISTORY_INDEX, CounterSpec
from sim.population import Population
from sim.rules.condition_kinds import CONDITION_KINDS
from sim.scenario.schema import CHANNELS, PointsChannel, RateItem, RuleSet, Scenario
from sim.scenario.timeline import count_from_start, resolve_timeline

NO_DATE = -(1 << 30)
"""First month of a counter counted from no date: earlier than any history."""
KINDS = {
    "social_insurance_months": "social_insurance",
    "tax_months": "tax",
    "owned_months": "owned",
    "rented_months": "rented",
    "residence_permit_total_months": "permit",
    "social_insurance_with_permit_months": "social_insurance_with_permit",
    "home_in_group_months": "home_in_group",
    "work_in_group_months": "work_in_group",
}
"""Points quantities read from a history's exact counter, and the history each counts (:data:`sim.ledger.HISTORIES`)."""
OPTIONAL_KINDS = {"residence_months": "resided"}
"""Quantities the population holds whole (months in the city), read from a counter only from a date or in study."""


def spec_of(
    kind: str,
    recognised_in: tuple[str, ...],
    counted_from: int | None,
    study: bool,
    regions: dict[str, int],
    group: str = "",
) -> CounterSpec:
    """The count a rule or item asks for: the current city's months with those of ``recognised_in``."""
    indices = tuple(sorted(regions[r] for r in recognised_in)) if kind == "social_insurance" else ()
    return CounterSpec(kind, True, indices, counted_from, study, group)


def collect_specs(scenario: Scenario) -> tuple[CounterSpec, ...]:
    """Every counter the scenario's rules may read, in a fixed order.

    A rule set with a prospective transition is collected counted from its date, as the model
    and ``sim check`` apply it (only a rule set that follows another has a transition). For
    each count over the city's ledger and some regions, the same count without the city's
    ledger is collected too: it is what the count becomes when a move clears the city's ledger.
    Counts that are a ledger's own lifetime counter need no counter (see
    :meth:`~sim.ledger.CounterSpec.is_lifetime`).
    """
    regions = {name: i for i, name in enumerate(scenario.regions)}
    specs: set[CounterSpec] = set()
    for city in scenario.cities.values():
        for period in resolve_timeline(city.rules):
            rules = period.rules
            if rules.transition.mode == "prospective":
                rules = count_from_start(rules, period.start_month)
            specs |= _rule_set_specs(rules, regions)
    specs |= {spec.without_city() for spec in specs if spec.regions}
    return tuple(sorted((s for s in specs if not s.is_lifetime()), key=CounterSpec.sort_key))


def _rule_set_specs(rules: RuleSet, regions: dict[str, int]) -> set[CounterSpec]:
    specs: set[CounterSpec] = set()
    for name in CHANNELS:
        channel = getattr(rules.channels, name)
        if channel is None:
            continue
        for route in channel.routes.values():
            if route is None:
                continue
            for kind in ("social_insurance", "tax"):
                rule = getattr(route, kind)
                if rule is not None and rule.count == "cumulative" and rule.window is None:
                    specs.add(spec_of(kind, rule.recognised_in, rule.counted_from, False, regions))
            for name, entry in CONDITION_KINDS.items():
                history = getattr(entry.compiled, "history", "")
                if history and getattr(route, name) is not None:
                    specs.add(spec_of(history, (), None, False, regions))
        if isinstance(channel, PointsChannel):
            for item in channel.items.values():
                if isinstance(item, RateItem):
                    specs |= item_specs(item, regions)
    return specs


def item_specs(item: RateItem, regions: dict[str, int]) -> set[CounterSpec]:
    """The counts a points ``rate`` item reads (none unless it counts a history's months)."""
    kind = KINDS.get(item.of)
    if kind is None and item.of in OPTIONAL_KINDS and (item.counted_from is not None or item.excluding_study):
        kind = OPTIONAL_KINDS[item.of]
    if kind is None:
        return set()
    studies = (False, True) if item.excluding_study else (False,)
    group = getattr(item, "group", None) or ""
    return {spec_of(kind, item.recognised_in, item.counted_from, study, regions, group) for study in studies}


def counted(pop: Population, spec: CounterSpec) -> np.ndarray:
    """The count ``spec`` for every row of ``pop`` (a ledger's lifetime counter or a counter).

    Raises
    ------
    KeyError
        If ``pop`` keeps no counter for ``spec`` (it was not collected from the scenario).
    """
    if spec.is_lifetime():
        ledger = getattr(pop, spec.kind) if spec.city else pop.region_paid[spec.regions[0]]
        return ledger.lifetime
    return pop.counters.values[:, pop.counters.column(spec)]


@dataclass(frozen=True)
class CounterPlan:
    """The counters' specs as arrays for the compiled loops that keep them.

    Attributes
    ----------
    cities : ndarray of uint8, shape (specs, cities)
        Whether a month in each city enters each counter's union.
    kind : ndarray of int8
        The history each counter counts (index into :data:`sim.ledger.HISTORIES`).
    group : ndarray of int16
        The district group of each ``home_in_group`` / ``work_in_group`` counter (index into
        :func:`sim.districts.district_groups`), else -1.
    first : ndarray of int64
        First month each counter counts (a month long before any history when it has no date).
    study : ndarray of uint8
        Whether each counter counts only months of the study period.
    districts : ndarray of int16, shape (cities, districts)
        The group of each city's districts (:func:`sim.districts.district_table`).
    """

    cities: np.ndarray
    kind: np.ndarray
    group: np.ndarray
    first: np.ndarray
    study: np.ndarray
    districts: np.ndarray

    @property
    def tax(self) -> np.ndarray:
        """Whether each counter counts business tax."""
        return self.kind == HISTORY_INDEX["tax"]

    @classmethod
    def of(cls, specs: tuple[CounterSpec, ...], scenario: Scenario) -> CounterPlan:
        """The plan of ``specs`` in ``scenario`` (its cities, regions and district groups)."""
        members = [set(m) for m in scenario.regions.values()]
        groups = {name: i for i, name in enumerate(district_groups(scenario))}
        cities = np.array(
            [[spec.city or any(c in members[r] for r in spec.regions) for c in scenario.cities] for spec in specs],
            np.uint8,
        ).reshape(len(specs), len(scenario.cities))
        return cls(
            cities,
            np.array([HISTORY_INDEX[spec.kind] for spec in specs], np.int8),
            np.array([groups[spec.group] if spec.group else -1 for spec in specs], np.int16),
            np.array([NO_DATE if s.counted_from is None else s.counted_from for s in specs], np.int64),
            np.array([spec.study for spec in specs], np.uint8),
            district_table(scenario),
        )


def clear_city(pop: Population, rows: np.ndarray) -> None:
    """After ``rows`` moved (their city's ledgers cleared): each count keeps the regions' months only.

    Their districts were the old city's: in the new one they are not known (:data:`NO_DISTRICT`),
    so they count no month in any district group there.
    """
    pop.home_district[rows] = NO_DISTRICT
    pop.work_district[rows] = NO_DISTRICT
    values = pop.counters.values
    for column, spec in enumerate(pop.counters.specs):
        if spec.city:
            values[rows, column] = counted(pop, spec.without_city())[rows] if spec.regions else 0
