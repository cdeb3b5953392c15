"""Synthetic values of the person data a scenario declares: study periods, districts, income tax, attributes.

Simple defaults, each a stated assumption or the scenario's own sourced distribution; the
realistic distributions of age, time in the city and contributions are :mod:`sim.synthesis`'s.
Every draw here comes from the ``person_data`` stream and draws one full-length array per
decision, so that these values never shift the draws of anything else (common random numbers).

Before the start, the histories these values imply are counted in closed form
(:func:`count_spells`): a person lived in their city since ``city_since``, in their current home
district throughout, held their permit since ``permit_month``, and an owner has owned since moving
into their current community (renting before) — the assumptions of :func:`count_spells`.
"""

from __future__ import annotations

import numpy as np

from sim.districts import NO_DISTRICT, district_groups, district_table
from sim.ledger import HISTORY_MONTHS, CounterSpec, window_masks
from sim.population import CHILD, EDUCATION_INDEX, MIGRANT, MONTH_DTYPE, NO_MONTH, OWN, PARENT, Population
from sim.scenario.person_data import Choice, Constant, Distribution, LogNormal, Poisson
from sim.scenario.schema import Scenario

STUDY_YEARS = {"senior_secondary": 3, "college": 3, "bachelor": 4, "master": 3, "doctorate": 4}
"""Years of study for each level's degree (assumption: the usual length of a Chinese programme:
高中/中专 3, 大专 3, 本科 4, 硕士 2–3, 博士 3–4 years)."""
STUDY_START_OFFSET_MONTHS = 10
"""A programme starts in September and ends in July: enrolment is ``years * 12 - 2`` months before graduation."""


def study_starts(education: np.ndarray, graduated: np.ndarray) -> np.ndarray:
    """Enrolment month of the degree each row graduated with (NO_MONTH where there is none)."""
    enrolled = np.full(len(education), NO_MONTH, MONTH_DTYPE)
    for level, years in STUDY_YEARS.items():
        rows = (education == EDUCATION_INDEX[level]) & (graduated != NO_MONTH)
        enrolled[rows] = graduated[rows] - (years * 12 - 2)
    return enrolled


def draw(rng: np.random.Generator, distribution: Distribution, n: int) -> np.ndarray:
    """``n`` values of ``distribution`` as ``float32``."""
    if isinstance(distribution, Constant):
        return np.full(n, distribution.value, np.float32)
    if isinstance(distribution, Poisson):
        return rng.poisson(distribution.mean, n).astype(np.float32)
    if isinstance(distribution, LogNormal):
        amount = distribution.median * np.exp(distribution.sigma * rng.standard_normal(n))
        return np.where(rng.random(n) < distribution.share, amount, 0.0).astype(np.float32)
    if isinstance(distribution, Choice):
        values = np.array(list(distribution.values), np.float64)
        shares = np.array(list(distribution.values.values()), np.float64)
        return values[rng.choice(len(values), size=n, p=shares / shares.sum())].astype(np.float32)
    raise TypeError(f"unknown distribution {type(distribution).__name__}")


def draw_districts(rng: np.random.Generator, scenario: Scenario, pop: Population) -> None:
    """Home and work districts of every row, drawn in its city (in place).

    A household shares its head's home district. Without ``home_share`` the districts are
    equally likely (assumption); without ``work_share`` a person works in the district they
    live in (assumption).
    """
    if not any(city.districts for city in scenario.cities.values()):
        return
    u_home, u_work = rng.random(pop.size), rng.random(pop.size)
    head = _household_heads(pop.household)
    for index, city in enumerate(scenario.cities.values()):
        if not city.districts:
            continue
        rows = np.flatnonzero(pop.city == index)
        n = len(city.districts)
        home = _pick(u_home[head[rows]], [d.home_share for d in city.districts.values()], n)
        work_shares = [d.work_share for d in city.districts.values()]
        work = home if work_shares[0] is None else _pick(u_work[rows], work_shares, n)
        pop.home_district[rows] = home
        pop.work_district[rows] = work


def _household_heads(household: np.ndarray) -> np.ndarray:
    """Per row, the first row of its household (households' rows are consecutive)."""
    starts = np.flatnonzero(np.r_[True, household[1:] != household[:-1]]) if len(household) else np.zeros(0, int)
    return np.repeat(starts, np.diff(np.r_[starts, len(household)]))


def _pick(u: np.ndarray, shares: list[float | None], n: int) -> np.ndarray:
    p = np.full(n, 1 / n) if shares[0] is None else np.array(shares, np.float64)
    edges = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(edges, u, side="right"), n - 1).astype(np.int8)


def draw_attributes(rng: np.random.Generator, scenario: Scenario, pop: Population) -> None:
    """The scenario's person attributes for heads and spouses (children and parents have 0), in place."""
    adult = (pop.role != CHILD) & (pop.role != PARENT)
    for column, spec in enumerate(scenario.attributes.values()):
        values = np.clip(draw(rng, spec.synthesis, pop.size), spec.minimum, spec.maximum)
        pop.attributes[:, column] = np.where(adult, values, 0.0)


def draw_income_tax(rng: np.random.Generator, scenario: Scenario, pop: Population, start: int) -> None:
    """Full-year income tax of heads and spouses, and the closed years before ``start`` (in place).

    A closed year's amount is the full-year amount times the share of its months paid in the city,
    read from the ledgers' bits (``sim.scenario.person_data.MAX_INCOME_TAX_YEARS`` keeps the years
    within their 128 months).
    """
    spec = scenario.income_tax
    if spec is None:
        return
    adult = (pop.role != CHILD) & (pop.role != PARENT)
    level = np.where(adult, draw(rng, spec.synthesis, pop.size), 0.0).astype(np.float32)
    tax = pop.income_tax_cny
    tax[:, spec.years] = level
    first_of_year = start - start % 12
    for back in range(spec.years):
        # Months ago of the year ``back + 1`` before the start's year: newest, then oldest.
        newest = start - (first_of_year - 12 * back - 1)
        oldest = newest + 11
        keep_lo, keep_hi = window_masks(min(oldest, HISTORY_MONTHS))
        skip_lo, skip_hi = window_masks(newest - 1)
        paid = pop.social_insurance
        months = np.bitwise_count(paid.lo & keep_lo & ~skip_lo) + np.bitwise_count(paid.hi & keep_hi & ~skip_hi)
        tax[:, back] = np.where(pop.status == MIGRANT, level * months.astype(np.float32) / 12, 0.0)


SPELL_KINDS = ("resided", "owned", "rented", "permit", "home_in_group")
"""Histories counted in closed form before the start; the others are walked month by month."""


def count_spells(pop: Population, specs: tuple[CounterSpec, ...], scenario: Scenario, start: int) -> None:
    """Add to the counters of :data:`SPELL_KINDS` the months before ``start`` of every initial migrant.

    Assumptions (no source gives these histories for synthetic persons): a person has lived in
    their city since ``city_since`` and in their current home district throughout; held the
    permit since ``permit_month``; an owner has owned since moving into their current community
    (``community_since``) and rented before, a renter has always rented.
    """
    if not any(spec.kind in SPELL_KINDS for spec in specs):
        return
    migrant = pop.status == MIGRANT
    since = pop.city_since.astype(np.int64)
    owned_since = np.where(pop.tenure == OWN, pop.community_since.astype(np.int64), start)
    permit = np.where(pop.permit_month == NO_MONTH, start, pop.permit_month.astype(np.int64))
    spans = {
        "resided": (since, np.full(pop.size, start)),
        "owned": (owned_since, np.full(pop.size, start)),
        "rented": (since, owned_since),
        "permit": (permit, np.full(pop.size, start)),
        "home_in_group": (since, np.full(pop.size, start)),
    }
    groups = {name: i for i, name in enumerate(district_groups(scenario))}
    table = district_table(scenario)
    home = pop.home_district.astype(np.int64)
    home_group = np.where(home == NO_DISTRICT, -1, table[pop.city.astype(np.int64), np.maximum(home, 0)])
    members = [set(m) for m in scenario.regions.values()]
    city_ids = list(scenario.cities)
    for column, spec in enumerate(specs):
        if spec.kind not in SPELL_KINDS:
            continue
        in_union = np.array([spec.city or any(c in members[r] for r in spec.regions) for c in city_ids], bool)[pop.city]
        first, end = spans[spec.kind]
        counted = spell_months(first, end, spec, pop.enrolled_month, pop.graduated_month)
        keep = migrant & in_union
        if spec.kind == "home_in_group":
            keep &= home_group == groups[spec.group]
        pop.counters.values[:, column] += np.where(keep, counted, 0).astype(np.int16)


def spell_months(
    first: np.ndarray, end: np.ndarray, spec: CounterSpec, enrolled: np.ndarray, graduated: np.ndarray
) -> np.ndarray:
    """Months of ``first .. end - 1`` per row that ``spec`` counts (from its date; in the study period if it says)."""
    lower = first.astype(np.int64)
    upper = end.astype(np.int64)
    if spec.counted_from is not None:
        lower = np.maximum(lower, spec.counted_from)
    if spec.study:
        has = graduated != NO_MONTH
        lower = np.where(enrolled == NO_MONTH, lower, np.maximum(lower, enrolled.astype(np.int64)))
        upper = np.where(has, np.minimum(upper, graduated.astype(np.int64)), lower)
    return np.maximum(upper - lower, 0)
