"""The compiled eligibility kernel equals the array evaluation (``channel_verdicts``) it replaces in the month."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger import BitLedger, CounterSpec
from sim.months import month_index, month_label
from sim.population import CHILD, EDUCATION_LEVELS, HEAD, MIGRANT, MINOR_AGE, SETTLED, SPOUSE, Population
from sim.rules.channels import channel_verdicts
from sim.rules.context import Households, RuleContext
from sim.rules.kernel import compile_period, verdict_bits
from sim.scenario import load_scenario, resolve_timeline
from sim.scenario.schema import CHANNELS, SKILL_LEVELS, Channel, Conditions, CountRule, PointsChannel
from sim.scenario.timeline import RulePeriod
from sim.synthesis import synthesize
from tests.builders import with_counters
from tests.conftest import FIXTURES

T = month_index(2021, 7)
SCENARIO = load_scenario(FIXTURES / "two-cities-points.yaml")
SYNTHESIS = synthesize(SCENARIO, 3000, seed=11)
PERIOD = resolve_timeline(SCENARIO.cities["alpha"].rules)[0]
MONTHS = st.integers(0, 140)
SINCE = [T - 300, T - 160, T - 129, T - 128, T - 100, T - 12, T, T + 2]
"""Dates counted from (applications are T ± 24): far beyond the bits, near their edge, within them."""
COUNTERS = [
    CounterSpec(kind, True, regions, since, False)
    for kind, regions in (("social_insurance", ()), ("social_insurance", (0,)), ("tax", ()))
    for since in [None, *SINCE]
] + [CounterSpec(kind, True, (), None, False) for kind in ("permit", "social_insurance_with_permit", "owned")]
"""Every count the random rules may read: counters for all, so that none is missing."""


def count_rules(regions: bool) -> st.SearchStrategy[CountRule]:
    since = st.none() | st.sampled_from(SINCE).map(month_label)
    recognised = st.sampled_from([(), ("delta",)]) if regions else st.just(())
    continuous = st.builds(
        CountRule,
        count=st.just("continuous"),
        months=st.integers(1, 128),
        back_paid_max=st.integers(0, 3),
        recognised_in=recognised,
        counted_from=since,
    )
    cumulative = st.integers(1, 140).flatmap(
        lambda m: st.builds(
            CountRule,
            count=st.just("cumulative"),
            months=st.just(m),
            window=st.none() | st.integers(min(m, 128), 128) if m <= 128 else st.none(),
            recognised_in=recognised,
            counted_from=since,
        )
    )
    return continuous | cumulative


def _per_capita_areas() -> list[float]:
    """Floor area per capita of the scrambled populations (everyone present): thresholds that some meet exactly."""
    pop = SYNTHESIS.population
    members = np.bincount(pop.household)[pop.household]
    return sorted({float(a) for a in (pop.floor_area_m2 / members).astype(np.float32)[:200]})


CONDITIONS = {
    "education_min": st.sampled_from(EDUCATION_LEVELS),
    "skill_min": st.sampled_from(SKILL_LEVELS),
    "graduated_within_years": st.sampled_from([0.5, 1, 2, 2.5, 5, 10]),
    "age_min": st.integers(0, 60),
    "age_max": st.integers(60, 90),
    "social_insurance": count_rules(regions=True),
    "tax": count_rules(regions=False),
    "residence_months_min": MONTHS,
    "employment_months_min": MONTHS,
    "community_months_min": MONTHS,
    "residence_permit_months_min": MONTHS,
    "tenure": st.sampled_from(["rent", "own_home"]),
    "owns_commercial_property": st.booleans(),
    "floor_area_per_capita_m2_min": st.sampled_from(_per_capita_areas()) | st.floats(1, 80),
    "sanctions_max": st.integers(0, 1),
    "joins": st.sampled_from(["spouse", "child", "parent"]),
}


@st.composite
def routes(draw: st.DrawFn) -> Conditions:
    """A route of a few conditions (with many, hardly anyone would qualify and the test would say little)."""
    names = draw(st.sets(st.sampled_from(sorted(CONDITIONS)), max_size=3))
    return Conditions(**{name: draw(CONDITIONS[name]) for name in names})


channels = st.dictionaries(st.sampled_from(["a", "b", "c"]), routes(), min_size=1, max_size=3).map(
    lambda r: Channel(routes=r)
)


def scramble(seed: int) -> Population:
    """The synthetic population with random histories and some settled heads (for family routes)."""
    rng = np.random.default_rng(seed)
    pop = SYNTHESIS.population.prefix(SYNTHESIS.population.size)
    n = pop.size

    def ledger(density: float, within: BitLedger | None = None) -> BitLedger:
        bits = [_words(rng, n, density) for _ in range(2)]
        if within is not None:
            bits = [b & w for b, w in zip(bits, (within.lo, within.hi), strict=True)]
        count = np.bitwise_count(bits[0]) + np.bitwise_count(bits[1])
        lifetime = (count + rng.integers(0, 60, n) * (rng.random(n) < 0.3)).astype(np.int16)
        return BitLedger(bits[0], bits[1], lifetime)

    pop.social_insurance = ledger(rng.random())
    pop.back_paid = ledger(0.1, pop.social_insurance)
    pop.tax = ledger(rng.random())
    pop.region_paid = [ledger(rng.random())]
    pop.status = np.where(rng.random(n) < 0.15, SETTLED, MIGRANT).astype(np.int8)
    pop.employed_months = rng.integers(0, 150, n).astype(np.int16)
    pop.sanctions = (rng.random(n) < 0.2).astype(np.int8)
    pop.owns_commercial = rng.random(n) < 0.3
    return with_counters(pop, COUNTERS, T, seed)


def _words(rng: np.random.Generator, n: int, density: float) -> np.ndarray:
    """Words whose low bits (recent months) are mostly set with probability ``density``, as runs."""
    run = rng.integers(0, 65, n).astype(np.uint64)
    full = np.where(run >= 64, np.uint64(2**64 - 1), (np.uint64(1) << np.minimum(run, 63)) - np.uint64(1))
    noise = rng.integers(0, 2**63, n, dtype=np.uint64) | rng.integers(0, 2**63, n, dtype=np.uint64) << np.uint64(1)
    return np.where(rng.random(n) < density, full, noise).astype(np.uint64)


def assert_kernel_equals_arrays(period: RulePeriod, pop: Population, month: int, regions: dict[str, int]) -> None:
    households = Households(pop, month)
    rows = np.flatnonzero(pop.status == MIGRANT)
    program = compile_period(period, month, regions, pop.counters.specs)
    eligible, gap_only = verdict_bits(program, pop, rows, month, households)
    ctx = RuleContext(pop, month, regions, rows=rows, households=households)
    eligible_any = np.zeros(len(rows), bool)
    filled_any = np.zeros(len(rows), bool)
    for name, channel in period.channels():
        bit = CHANNELS.index(name)
        if isinstance(channel, PointsChannel) and not channel.routes:
            expected = expected_filled = ctx.age_years >= MINOR_AGE
        else:
            expected, expected_filled = channel_verdicts(channel, ctx)
        np.testing.assert_array_equal((eligible >> bit) & 1 == 1, expected, err_msg=name)
        eligible_any |= expected
        filled_any |= expected_filled
    np.testing.assert_array_equal(gap_only, ~eligible_any & filled_any)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    by_name=st.dictionaries(st.sampled_from([c for c in CHANNELS if c != "points"]), channels, max_size=4),
    points=st.sampled_from(["none", "routes", "no_routes"]),
    points_routes=channels,
    month=st.integers(T - 24, T + 24),
)
def test_kernel_equals_channel_verdicts(seed, by_name, points, points_routes, month):
    scheme = PERIOD.rules.channels.points
    updates = {name: by_name.get(name) for name in CHANNELS if name != "points"}
    updates["points"] = {
        "none": None,
        "routes": scheme.model_copy(update={"routes": points_routes.routes}),
        "no_routes": scheme.model_copy(update={"routes": {}}),
    }[points]
    rules = PERIOD.rules.model_copy(update={"channels": PERIOD.rules.channels.model_copy(update=updates)})
    pop = scramble(seed)
    heads = (pop.role == HEAD) | (pop.role == SPOUSE)
    assert ((pop.status == SETTLED) & heads).any() and ((pop.status == MIGRANT) & (pop.role == CHILD)).any()
    assert_kernel_equals_arrays(RulePeriod(PERIOD.start_month, rules, 0), pop, month, SYNTHESIS.regions)


def test_two_halves_on_two_threads_give_the_same_verdicts(monkeypatch):
    """Rows are evaluated in two halves at once above ``SPLIT_MIN``; the verdicts do not change."""
    from sim import threads
    from sim.rules import kernel

    pop = scramble(7)
    households = Households(pop, T)
    rows = np.flatnonzero(pop.status == MIGRANT)
    program = compile_period(PERIOD, T, SYNTHESIS.regions, pop.counters.specs)
    monkeypatch.setattr(kernel, "SPLIT_MIN", len(rows) + 1)
    whole = verdict_bits(program, pop, rows, T, households)
    monkeypatch.setattr(kernel, "SPLIT_MIN", 2)
    monkeypatch.setattr(threads, "CORES", 2)
    halves = verdict_bits(program, pop, rows, T, households)
    assert len(rows) > 1000 and whole[0].any()
    for one, two in zip(whole, halves, strict=True):
        np.testing.assert_array_equal(one, two)
