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
from sim.scenario.schema import Careers, PopulationSpec, Scenario, parse_age_band
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
    for city_index, (city_id, city) in enumerate(scenario.cities.items()):
        target = targets[city_index]
        rng = streams.generator("synthesis", city_index)
        spec = scenario.population_of(city_id)
        if target:
            initial = _households(rng, spec, target, city_index, scenario.start, scenario.start, True, exact=True)
            parts.append((scenario.start - 1, city_index, initial))
        u = streams.generator("inflow", city_index).random(scenario.months)
        for offset in range(scenario.months):
            rows = unbiased_round(city.inflow_per_month / scale, u[offset])
            if rows:
                month = scenario.start + offset
                parts.append((month, city_index, _households(rng, spec, rows, city_index, month, month, False)))
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
    thresholds, first_career = history_thresholds(scenario)
    # Each city numbers its careers from 1; the tables of all cities are stacked after the default.
    career = np.where(columns["career"] > 0, columns["career"] + first_career[columns["city"]] - 1, 0).astype(np.int8)
    _simulate_history(
        pop,
        columns["months_in_city"],
        career,
        thresholds,
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
        city_since = month - np.floor(_tenure_months(rng, spec, age)).astype(np.int32)
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
    if initial and spec.careers is not None:
        # A spouse came with the head, but no worker before the youngest age at arrival.
        arrived_adult = birth + spec.careers.arrival_age_min * 12
        since = np.where(role == SPOUSE, np.maximum(since, arrived_adult), since)
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
        "career": career_kinds(rng, spec, employment, np.isin(role, (HEAD, SPOUSE)) & initial),
    }


def _tenure_months(rng: np.random.Generator, spec: PopulationSpec, age: np.ndarray) -> np.ndarray:
    """Months already lived in the city at the start, for heads of household aged ``age``."""
    if spec.careers is None:
        return np.minimum(rng.exponential(spec.months_in_city_mean, len(age)), (age - WORKING_AGE_MIN) * 12)
    return years_in_city_months(rng, spec.careers, age)


def years_in_city_months(rng: np.random.Generator, careers: Careers, age: np.ndarray) -> np.ndarray:
    """Months in the city drawn from the careers' table of year bands by age band.

    Inside a band the months are uniform, up to the band's end or to the person's arrival at
    ``careers.arrival_age_min``, whichever comes first. A band that starts beyond that arrival is
    dropped and the person's row renormalised over the bands left, so that a band keeps its share
    wherever its first month is possible.

    Parameters
    ----------
    rng : numpy.random.Generator
        The city's synthesis generator.
    careers : Careers
        The table (``years_in_city``) and the youngest age at arrival.
    age : ndarray of int
        Completed years of age at the start, each inside a row's age band.

    Returns
    -------
    ndarray of float64
        Months in the city, ``0 <= months <= (age - arrival_age_min) * 12``.
    """
    table = careers.years_in_city
    years = np.array([parse_age_band(band) for band in table.bands], np.float64) * 12
    low, high = years[:, 0], years[:, 1]
    row_bands = np.array([parse_age_band(band) for band in table.by_age_band])
    shares = np.array(list(table.by_age_band.values()), np.float64)
    # The first row whose age band holds the age (the schema checks that one does).
    inside = (row_bands[:, 0] <= age[:, None]) & (age[:, None] < row_bands[:, 1])
    row = np.argmax(inside, axis=1)
    cap = np.maximum(age - careers.arrival_age_min, 0).astype(np.float64) * 12
    weight = shares[row] * (cap[:, None] > low)
    total = weight.sum(axis=1)
    cumulative = np.cumsum(weight, axis=1)
    u_band, u_month = rng.random(len(age)), rng.random(len(age))
    band = np.minimum((cumulative < (u_band * total)[:, None]).sum(axis=1), len(low) - 1)
    top = np.minimum(high[band], cap)
    months = low[band] + u_month * (top - low[band])
    return np.where(total > 0, months, 0.0)


def career_kinds(
    rng: np.random.Generator, spec: PopulationSpec, employment: np.ndarray, worker: np.ndarray
) -> np.ndarray:
    """Each worker's kind of contribution career (1, 2, ... in the declared order; 0 for others).

    A kind is drawn with chance proportional to its share times its coverage (formal now) or times
    one less its coverage (not formal), so that with coverages that average to the formal share
    both the kinds' shares and the employment shares are kept.

    Parameters
    ----------
    rng : numpy.random.Generator
        The city's synthesis generator; not drawn from when ``spec`` has no careers.
    spec : PopulationSpec
        The city's population.
    employment : ndarray of int8
        Each row's employment state now.
    worker : ndarray of bool
        The rows that have a career (heads and spouses of the initial migrants).

    Returns
    -------
    ndarray of int8
    """
    if spec.careers is None:
        return np.zeros(len(employment), np.int8)
    kinds = list(spec.careers.contributions.values())
    share = np.array([kind.share for kind in kinds])
    coverage = np.array([kind.coverage for kind in kinds])
    given_formal, given_other = share * coverage, share * (1 - coverage)
    if given_formal.sum() <= 0:
        given_formal = share
    if given_other.sum() <= 0:
        given_other = share
    u = rng.random(len(employment))
    formal = np.cumsum(given_formal) / given_formal.sum()
    other = np.cumsum(given_other) / given_other.sum()
    kind = np.where(
        employment == FORMAL,
        np.searchsorted(formal, u, side="right"),
        np.searchsorted(other, u, side="right"),
    )
    return np.where(worker, np.minimum(kind, len(kinds) - 1) + 1, 0).astype(np.int8)


def history_thresholds(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative monthly leaving rates of each state for each kind of contribution career of any city.

    Returns the tables and, per city, the index of its first kind's table (0 for a city without
    careers, whose workers all take table 0, the scenario's employment rates). Row
    ``[career, state]`` holds the cumulative chances of moving to unemployed, informal and
    formal work (see :func:`sim._loops.history_month`). Without careers there is one kind, the
    scenario's employment rates. A kind leaves formal work after ``formal_spell_months_mean`` on
    average (to informal or unemployed in the scenario's proportions) and re-enters it from
    either other state after ``gap_months_mean``; moves between informal work and unemployment
    keep the scenario's rates.

    Raises
    ------
    ScenarioError
        If a gap is so short that a month's chances of leaving a state add up to more than 1.
    """
    dynamics = scenario.behaviour.employment
    tables = [
        np.array(
            [
                [0.0, dynamics.unemployed_to_informal, dynamics.unemployed_to_formal],
                [dynamics.informal_to_unemployed, 0.0, dynamics.informal_to_formal],
                [dynamics.formal_to_unemployed, dynamics.formal_to_informal, 0.0],
            ]
        )
    ]
    to_informal = dynamics.formal_to_informal / max(dynamics.formal_to_informal + dynamics.formal_to_unemployed, 1e-12)
    if dynamics.formal_to_informal + dynamics.formal_to_unemployed == 0:
        to_informal = 1.0
    first = np.zeros(len(scenario.cities), np.int64)
    for city_index, city_id in enumerate(scenario.cities):
        careers = scenario.population_of(city_id).careers
        if careers is None:
            continue
        first[city_index] = len(tables)
        for name, kind in careers.contributions.items():
            leave_formal = 1.0 / kind.formal_spell_months_mean
            enter = 0.0 if kind.gap_months_mean is None else 1.0 / kind.gap_months_mean
            table = np.array(
                [
                    [0.0, dynamics.unemployed_to_informal, enter],
                    [dynamics.informal_to_unemployed, 0.0, enter],
                    [leave_formal * (1 - to_informal), leave_formal * to_informal, 0.0],
                ]
            )
            if table.sum(axis=1).max() > 1:
                raise ScenarioError(
                    [
                        Problem(
                            f"scenario {scenario.id}",
                            f"cities.{city_id}.population.careers.contributions.{name}.gap_months_mean",
                            f"expected a gap long enough that a month's chances of leaving informal work or "
                            f"unemployment add up to at most 1, found {kind.gap_months_mean} months "
                            f"(chances {table.sum(axis=1).max():.3f}).",
                            hint="give a longer gap_months_mean",
                        )
                    ]
                )
            tables.append(table)
    if len(tables) > np.iinfo(np.int8).max:
        raise ScenarioError(
            [
                Problem(
                    f"scenario {scenario.id}",
                    "cities",
                    f"expected at most {np.iinfo(np.int8).max - 1} kinds of contribution career over all "
                    f"cities, found {len(tables) - 1}.",
                    hint="let cities share the scenario's careers instead of declaring their own",
                )
            ]
        )
    return np.cumsum(np.stack(tables), axis=2).astype(np.float32), first


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
    fields = {k: v for k, v in columns.items() if k not in ("months_in_city", "career")}
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
    career: np.ndarray,
    thresholds: np.ndarray,
    start: int,
    streams: Streams,
    plan: CounterPlan,
) -> None:
    """Fill the ledgers and counters of the initial migrants by stepping their employment backwards in time.

    ``career`` holds each row's kind of contribution career and ``thresholds`` the cumulative
    leaving rates of each kind (see :func:`history_thresholds`).
    """
    # The initial migrants are the first slots; only they have a history before the start.
    pop = pop.prefix(int((pop.status == MIGRANT).sum()))
    months_in_city = months_in_city[: pop.size]
    career = career[: pop.size]
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
            career,
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
            career,
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
