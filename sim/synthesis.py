"""Synthetic migrant households from published marginals.

Heads of household are drawn from the scenario's marginals (age band, sex, education,
skill, employment, tenure, ...); spouses, minor children and parents in the city are
added as rows of their own. The whole run's population is made up front — the initial
migrants and every future arrival, inactive until its arrival month — so that slots are
assigned in an order that no rule can change (common random numbers).

Contribution histories before the start are simulated backwards from each person's
current employment state with the scenario's monthly transition rates, month by month for
every month they have lived in the city: the last 128 months into the ledgers' bits, every
month into the lifetime counts, the months employed and the exact counters the scenario's
rules need (:mod:`sim.rules.counters`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim._loops import count_bits, history_month, history_older
from sim.errors import Problem, ScenarioError
from sim.ledger import HISTORY_MONTHS, BitLedger, Counters, CounterSpec
from sim.person_data_synthesis import count_spells, draw_attributes, draw_districts, draw_income_tax, study_starts
from sim.population import (
    CHILD,
    CITY_DTYPE,
    EDUCATION_INDEX,
    FORMAL,
    HEAD,
    INACTIVE,
    INFORMAL,
    MIGRANT,
    MONTH_DTYPE,
    NO_MONTH,
    OWN,
    PARENT,
    RENT,
    SKILL_INDEX,
    SPOUSE,
    UNEMPLOYED,
    Population,
)
from sim.regions import RegionStore
from sim.rules.counters import CounterPlan, collect_specs
from sim.scenario.schema import EmploymentDynamics, PopulationSpec, Scenario, parse_age_band
from sim.streams import Streams, unbiased_round

GRADUATION_AGE = {"senior_secondary": 18, "college": 21, "bachelor": 22, "master": 25, "doctorate": 28}
"""Typical age at graduation, for the graduation month of synthetic persons."""

WORKING_AGE_MIN = 16
PROVINCES = 31
PERMIT_TAKE_UP_DELAY_MONTHS = 6.0
"""Mean months between becoming entitled to a residence permit and holding one, before the start."""


@dataclass(frozen=True)
class Synthesis:
    """A run's population and how it maps to real persons."""

    population: Population
    scale: float
    """Real persons represented by one row."""
    n_households: int
    regions: dict[str, int]
    """Region name → index into ``population.region_paid``."""
    region_store: RegionStore
    """The regions' ledgers (:mod:`sim.regions`): nobody has moved yet, so all are the city's."""


def synthesize(scenario: Scenario, agents: int, seed: int, counters: tuple[CounterSpec, ...] = ()) -> Synthesis:
    """Make the initial migrants and all future arrivals of a scenario.

    Parameters
    ----------
    scenario : Scenario
        Cities (initial migrants and monthly inflow in persons) and marginals.
    agents : int
        Rows for the initial migrants; the scale factor is real migrants per row.
    seed : int
        The run's seed.
    counters : tuple of CounterSpec, optional
        Exact counts to keep beyond those the scenario's rules read (for an analysis or a test).

    Returns
    -------
    Synthesis
    """
    streams = Streams(seed)
    scale = persons_per_agent(scenario, agents)
    _check_size(scenario, agents, scale)
    parts: list[tuple[int, int, dict[str, np.ndarray]]] = []
    targets = apportion(agents, [c.migrants for c in scenario.cities.values()])
    for city_index, city in enumerate(scenario.cities.values()):
        target = targets[city_index]
        rng = streams.generator("synthesis", city_index)
        if target:
            initial = _households(
                rng, scenario.population, target, city_index, scenario.start, scenario.start, True, exact=True
            )
            parts.append((scenario.start - 1, city_index, initial))
        u = streams.generator("inflow", city_index).random(scenario.months)
        for offset in range(scenario.months):
            rows = unbiased_round(city.inflow_per_month / scale, u[offset])
            if rows:
                month = scenario.start + offset
                parts.append(
                    (month, city_index, _households(rng, scenario.population, rows, city_index, month, month, False))
                )
    if not parts:
        raise ScenarioError(
            [
                Problem(
                    f"scenario {scenario.id}",
                    "agents",
                    f"expected at least one person to simulate, found none with {agents:,} agents "
                    f"for {len(scenario.cities)} cities.",
                    hint="give more agents (--agents) or a city some migrants or inflow_per_month",
                )
            ]
        )
    # Slots in order of arrival: the persons present in a month are then a prefix of the arrays.
    parts.sort(key=lambda part: part[:2])
    columns = _concatenate([part for _, _, part in parts])
    del parts  # emptied by _concatenate
    n_households = int(columns["household"].max()) + 1 if len(columns["household"]) else 0
    regions = region_index(scenario)
    specs = tuple(sorted(set(collect_specs(scenario)) | set(counters), key=CounterSpec.sort_key))
    pop = _population(columns, specs, scenario)
    person_data = streams.generator("person_data")
    draw_districts(person_data, scenario, pop)
    _simulate_history(
        pop,
        columns["months_in_city"],
        scenario.behaviour.employment,
        scenario.start,
        streams,
        CounterPlan.of(specs, scenario),
    )
    count_spells(pop, specs, scenario, scenario.start)
    draw_income_tax(person_data, scenario, pop, scenario.start)
    draw_attributes(person_data, scenario, pop)
    return Synthesis(pop, scale, n_households, regions, region_store(scenario, pop))


def region_store(scenario: Scenario, pop: Population) -> RegionStore:
    """A region store for ``pop``, in which nobody has moved yet; ``pop.region_paid`` reads from it."""
    store = RegionStore(scenario, pop.size)
    pop.region_paid = store.region_paid()
    store.materialize(pop)
    return store


def persons_per_agent(scenario: Scenario, agents: int) -> float:
    """Real persons one agent stands for: the initial migrants, or the arrivals if there are none.

    Without initial migrants, ``agents`` rows stand for the arrivals over the scenario's months,
    so that the size of a run follows ``agents`` whatever the scenario says.
    """
    total = sum(c.migrants for c in scenario.cities.values())
    if total == 0:
        total = sum(c.inflow_per_month for c in scenario.cities.values()) * scenario.months
    return total / agents if total > 0 else 1.0


MAX_ROWS = 50_000_000
"""Most agents a run may synthesise, initial and arriving (at about 115 bytes each, under 6 GB)."""


def _check_size(scenario: Scenario, agents: int, scale: float) -> None:
    # Refuse before allocating: a large inflow against few initial migrants makes far more rows
    # than ``agents`` (each arrival is a row at the initial migrants' scale).
    arriving = sum(c.inflow_per_month for c in scenario.cities.values()) * scenario.months / scale
    rows = agents + arriving
    if rows > MAX_ROWS:
        raise ScenarioError(
            [
                Problem(
                    f"scenario {scenario.id}",
                    "cities",
                    f"expected at most {MAX_ROWS:,} agents over the run, found {rows:,.0f} "
                    f"({agents:,} initial, {arriving:,.0f} arriving at {scale:,.3g} persons per agent).",
                    hint="use fewer agents (--agents), or give the cities more initial migrants "
                    "relative to their inflow_per_month",
                )
            ]
        )


def apportion(agents: int, weights: list[int]) -> list[int]:
    """Split ``agents`` rows among cities in proportion to ``weights``, summing to exactly ``agents``.

    Largest remainders: each city gets the whole part of its share, and the rows left over go to
    the cities with the largest fractional parts (the first city on a tie).

    Examples
    --------
    >>> apportion(50_000, [500_000, 1_500_000, 5_000_000])
    [3572, 10714, 35714]
    """
    total = sum(weights)
    if total <= 0:
        return [0] * len(weights)
    exact = [agents * w / total for w in weights]
    whole = [int(np.floor(x)) for x in exact]
    left = agents - sum(whole)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - whole[i]), i))
    for i in by_remainder[:left]:
        whole[i] += 1
    return whole


def region_index(scenario: Scenario) -> dict[str, int]:
    """Region name → index into ``Population.region_paid``, in the scenario's order."""
    return {name: i for i, name in enumerate(scenario.regions)}


def _trim_last(
    keep: np.ndarray,
    ends: np.ndarray,
    target_rows: int,
    with_spouse: np.ndarray,
    children: np.ndarray,
    with_parent: np.ndarray,
    size: np.ndarray,
) -> None:
    """Keep the first household that overflows ``target_rows``, cut down to the rows left (in place)."""
    last = int(np.argmin(keep)) if not keep.all() else len(keep)
    filled = int(ends[last - 1]) if last > 0 else 0
    left = target_rows - filled
    if left <= 0 or last >= len(keep):
        return
    excess = int(size[last]) - left
    if excess > 0 and with_parent[last]:
        with_parent[last] = False
        excess -= 1
    dropped = min(int(children[last]), excess)
    children[last] -= dropped
    excess -= dropped
    if excess > 0 and with_spouse[last]:
        with_spouse[last] = False
        excess -= 1
    size[last] = 1 + int(with_spouse[last]) + int(children[last]) + int(with_parent[last])
    keep[last] = True


def _households(
    rng: np.random.Generator,
    spec: PopulationSpec,
    target_rows: int,
    city: int,
    month: int,
    arrival: int,
    initial: bool,
    *,
    exact: bool = False,
) -> dict[str, np.ndarray]:
    mean_children = spec.children_in_city_mean
    expected_size = (
        1 + spec.married_share * spec.spouse_in_city_share * (1 + mean_children) + spec.parents_in_city_share
    )
    n = int(np.ceil(target_rows / expected_size * 1.2)) + 4
    age = _ages(rng, spec, n)
    with_spouse = rng.random(n) < spec.married_share * spec.spouse_in_city_share
    children = np.where(with_spouse & (age >= 22), rng.poisson(mean_children, n), 0)
    with_parent = rng.random(n) < spec.parents_in_city_share
    size = 1 + with_spouse + children + with_parent
    ends = np.cumsum(size)
    keep = ends <= target_rows
    if exact:
        # The initial population has exactly the rows asked for: the first household that does not
        # fit whole comes without its parent, then without children, then without a spouse.
        _trim_last(keep, ends, target_rows, with_spouse, children, with_parent, size)
    elif not keep.any():
        keep[0] = True
    age, with_spouse, children, with_parent, size = (
        age[keep],
        with_spouse[keep],
        children[keep],
        with_parent[keep],
        size[keep],
    )
    n = len(age)
    if initial:
        tenure_months = np.minimum(rng.exponential(spec.months_in_city_mean, n), (age - WORKING_AGE_MIN) * 12)
        city_since = month - np.floor(tenure_months).astype(np.int32)
    else:
        city_since = np.full(n, arrival, np.int32)
    head = np.repeat(np.arange(n), size)
    slot = np.arange(len(head)) - np.repeat(np.cumsum(size) - size, size)
    role = np.full(len(head), CHILD, np.int8)
    role[slot == 0] = HEAD
    role[(slot == 1) & with_spouse[head]] = SPOUSE
    role[(slot == size[head] - 1) & with_parent[head] & (slot > 0)] = PARENT
    rows = len(head)
    male_head = rng.random(n) < spec.male_share
    is_male = np.where(role == HEAD, male_head[head], ~male_head[head])
    is_male = np.where(np.isin(role, (CHILD, PARENT)), rng.random(rows) < 0.5, is_male)
    row_age = np.where(role == SPOUSE, np.clip(age[head] + rng.integers(-3, 4, rows), 18, 70), age[head])
    row_age = np.where(role == CHILD, rng.integers(0, 18, rows), row_age)
    row_age = np.where(role == PARENT, rng.integers(58, 81, rows), row_age)
    row_age = np.where(role == CHILD, np.minimum(row_age, np.maximum(age[head] - 18, 0)), row_age)
    birth = month - row_age * 12 - rng.integers(0, 12, rows)
    education = _categorical(rng, spec.education_shares, EDUCATION_INDEX, rows)
    education = np.where(role == CHILD, 0, education).astype(np.int8)
    skill = _categorical(rng, spec.skill_shares, SKILL_INDEX, rows)
    skill = np.where(np.isin(role, (CHILD, PARENT)), 0, skill).astype(np.int8)
    graduated = np.full(rows, NO_MONTH, MONTH_DTYPE)
    for level, grad_age in GRADUATION_AGE.items():
        has = education == EDUCATION_INDEX[level]
        graduated[has] = np.minimum(birth[has] + grad_age * 12 + 6, month - 1)
    working = np.isin(role, (HEAD, SPOUSE)) & (row_age >= WORKING_AGE_MIN) & (row_age < 60)
    employment = _categorical(
        rng, spec.employment_shares, {"unemployed": UNEMPLOYED, "informal": INFORMAL, "formal": FORMAL}, rows
    )
    employment = np.where(working, employment, UNEMPLOYED).astype(np.int8)
    since = np.maximum(city_since[head], birth) if initial else np.full(rows, arrival, np.int32)
    months_in_city = (month - since).astype(np.int32)
    permit = np.full(rows, NO_MONTH, MONTH_DTYPE)
    if initial:
        waited = rng.exponential(PERMIT_TAKE_UP_DELAY_MONTHS, rows)
        got = since + 6 + np.floor(waited).astype(np.int32)
        permit = np.where(got < month, got, NO_MONTH).astype(MONTH_DTYPE)
    community_since = since.copy()
    if initial:
        moved = month - np.floor(rng.exponential(84.0, n)).astype(np.int32)
        community_since = np.maximum(since, moved[head])
    owns = (rng.random(n) < spec.home_owner_share)[head]
    area = (spec.floor_area_per_capita_m2 * size * rng.lognormal(0.0, 0.3, n))[head]
    is_rural = (rng.random(n) < spec.rural_hukou_share)[head]
    return {
        "status": np.full(rows, MIGRANT if initial else INACTIVE, np.int8),
        "city": np.full(rows, city, CITY_DTYPE),
        "local_household": head,
        "role": role,
        "birth_month": birth.astype(MONTH_DTYPE),
        "is_male": is_male,
        "education": education,
        "skill": skill,
        "graduated_month": graduated,
        "is_rural": is_rural,
        "has_land": is_rural & (rng.random(n) < spec.has_land_share)[head],
        "origin_province": rng.integers(0, PROVINCES, n).astype(np.int8)[head],
        "employment": employment,
        "has_business": (role == HEAD) & (rng.random(rows) < spec.business_owner_share),
        "arrival_month": np.full(rows, month if initial else arrival, MONTH_DTYPE),
        "city_since": since.astype(MONTH_DTYPE),
        "permit_month": permit,
        "community_since": community_since.astype(MONTH_DTYPE),
        "tenure": np.where(owns, OWN, RENT).astype(np.int8),
        "owns_commercial": ((rng.random(n) < spec.commercial_property_share)[head]) & (role == HEAD),
        "floor_area_m2": area.astype(np.float32),
        "honours": ((role == HEAD) & (rng.random(rows) < spec.honours_share)).astype(np.int8),
        "sanctions": ((role == HEAD) & (rng.random(rows) < spec.sanctions_share)).astype(np.int8),
        "shortage_industry": working & (rng.random(rows) < spec.shortage_industry_share),
        "months_in_city": months_in_city,
    }


def _ages(rng: np.random.Generator, spec: PopulationSpec, n: int) -> np.ndarray:
    bands = [parse_age_band(band) for band in spec.age_band_shares]
    shares = np.array(list(spec.age_band_shares.values()))
    pick = rng.choice(len(bands), size=n, p=shares / shares.sum())
    low = np.array([b[0] for b in bands])[pick]
    high = np.array([b[1] for b in bands])[pick]
    return (low + np.floor(rng.random(n) * (high - low))).astype(np.int32)


def _categorical(rng: np.random.Generator, shares: dict[str, float], index: dict[str, int], n: int) -> np.ndarray:
    names = list(shares)
    p = np.array([shares[k] for k in names], np.float64)
    codes = np.array([index[k] for k in names])
    return codes[rng.choice(len(names), size=n, p=p / p.sum())]


def _concatenate(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The parts' columns end to end; each column is removed from the parts once concatenated.

    Column by column, the parts and the whole population are never both held in full.
    """
    if not parts:
        raise ValueError("the scenario produces no persons: give a city some migrants or inflow")
    offset = 0
    households = np.empty(sum(len(p["local_household"]) for p in parts), np.int32)
    start = 0
    for part in parts:
        local = part.pop("local_household")
        households[start : start + len(local)] = local + offset
        start += len(local)
        offset = int(local.max()) + offset + 1
    columns = {key: np.concatenate([p.pop(key) for p in parts]) for key in list(parts[0])}
    columns["household"] = households
    return columns


def _population(columns: dict[str, np.ndarray], specs: tuple[CounterSpec, ...], scenario: Scenario) -> Population:
    n = len(columns["status"])
    fields = {k: v for k, v in columns.items() if k != "months_in_city"}
    tax_years = scenario.income_tax.years + 1 if scenario.income_tax is not None else 0
    return Population(
        **fields,
        enrolled_month=study_starts(columns["education"], columns["graduated_month"]),
        income_tax_cny=np.zeros((n, tax_years), np.float32),
        attributes=np.zeros((n, len(scenario.attributes)), np.float32),
        attribute_names=tuple(scenario.attributes),
        employed_months=np.zeros(n, np.int16),
        social_insurance=BitLedger.empty(n),
        back_paid=BitLedger.empty(n),
        tax=BitLedger.empty(n),
        counters=Counters.empty(n, specs),
    )


def _simulate_history(
    pop: Population,
    months_in_city: np.ndarray,
    dynamics: EmploymentDynamics,
    start: int,
    streams: Streams,
    plan: CounterPlan,
) -> None:
    """Fill the ledgers and counters of the initial migrants by stepping their employment backwards in time."""
    # The initial migrants are the first slots; only they have a history before the start.
    pop = pop.prefix(int((pop.status == MIGRANT).sum()))
    months_in_city = months_in_city[: pop.size]
    leave = np.array(
        [
            [0.0, dynamics.unemployed_to_informal, dynamics.unemployed_to_formal],
            [dynamics.informal_to_unemployed, 0.0, dynamics.informal_to_formal],
            [dynamics.formal_to_unemployed, dynamics.formal_to_informal, 0.0],
        ]
    )
    # One uniform per person and month picks the state one month earlier (see sim._loops.history).
    thresholds = np.cumsum(leave, axis=1).astype(np.float32)
    # Heads and spouses present a month back, in slot order; fewer each month further back.
    workers = np.flatnonzero(
        (pop.status == MIGRANT) & ((pop.role == HEAD) | (pop.role == SPOUSE)) & (months_in_city >= 1)
    ).astype(np.int32)
    state = pop.employment[workers]
    employed = np.zeros(pop.size, np.int16)
    present = len(workers)
    back = 1
    while present and back <= HISTORY_MONTHS:
        present = history_month(
            present,
            back,
            workers,
            state,
            months_in_city,
            pop.has_business.view(np.uint8),
            streams.uniform("history", start - back, pop.size),
            thresholds,
            pop.social_insurance.lo,
            pop.social_insurance.hi,
            pop.tax.lo,
            pop.tax.hi,
            employed,
            start - back,
            pop.city,
            pop.enrolled_month,
            pop.graduated_month,
            pop.work_district,
            plan.districts,
            pop.counters.values,
            plan.cities,
            plan.kind,
            plan.group,
            plan.first,
            plan.study,
        )
        back += 1
    # Older months have no bits; the same draws carry on into the counts.
    while present:
        present = history_older(
            present,
            back,
            start - back,
            workers,
            state,
            months_in_city,
            pop.has_business.view(np.uint8),
            streams.uniform_at("history", start - back, workers[:present]),
            thresholds,
            pop.city,
            pop.enrolled_month,
            pop.graduated_month,
            pop.permit_month,
            pop.work_district,
            plan.districts,
            pop.counters.values,
            plan.cities,
            plan.kind,
            plan.group,
            plan.first,
            plan.study,
            pop.social_insurance.lifetime,
            pop.tax.lifetime,
            employed,
        )
        back += 1
    for ledger in (pop.social_insurance, pop.tax):
        ledger.lifetime += np.bitwise_count(ledger.lo) + np.bitwise_count(ledger.hi)
    pop.employed_months[:] = employed
    _count_recent(pop, start, plan)


def _count_recent(pop: Population, start: int, plan: CounterPlan) -> None:
    """Add the months of the ledgers' bits (the 128 before ``start``) to the counters."""
    count_bits(
        start - 1,
        pop.social_insurance.lo,
        pop.social_insurance.hi,
        pop.tax.lo,
        pop.tax.hi,
        pop.city,
        pop.enrolled_month,
        pop.graduated_month,
        pop.permit_month,
        pop.counters.values,
        plan.cities,
        plan.kind,
        plan.first,
        plan.study,
    )
