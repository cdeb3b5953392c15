"""The exact counters in a model run: kept month by month, they equal a recount of the months paid."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.ledger import HISTORY_MONTHS, CounterSpec
from sim.model import SettlementModel
from sim.months import month_index
from sim.population import MIGRANT, NO_MONTH
from sim.rules.counters import counted
from sim.scenario import load_scenario
from sim.synthesis import synthesize

HERE = Path(__file__).parent
SCENARIO = load_scenario(HERE / "person" / "long-histories.yaml")


def new_months(
    before: tuple[np.ndarray, np.ndarray], after: tuple[np.ndarray, np.ndarray], month: int
) -> list[set[int]]:
    """Per row, the months whose bits a month's close set (bit 0 is ``month``): paid now or back-paid."""
    lo, hi = before
    shifted_lo, shifted_hi = lo << np.uint64(1), (hi << np.uint64(1)) | (lo >> np.uint64(63))
    fresh_lo, fresh_hi = after[0] & ~shifted_lo, after[1] & ~shifted_hi
    found = []
    for word_lo, word_hi in zip(fresh_lo.tolist(), fresh_hi.tolist(), strict=True):
        bits = word_lo | word_hi << 64
        found.append({month - j for j in range(HISTORY_MONTHS) if bits >> j & 1})
    return found


def test_counters_equal_a_recount_of_the_months_paid():
    synthesis = synthesize(SCENARIO, 800, seed=5)
    model = SettlementModel(SCENARIO, synthesis, seed=5, months=24)
    pop = model.population
    specs = pop.counters.specs
    regions = [set(members) for members in SCENARIO.regions.values()]
    cities = list(SCENARIO.cities)
    start_values = {spec: counted(pop, spec).astype(np.int64).copy() for spec in specs}
    initial_city = pop.city.copy()
    moved = np.zeros(pop.size, bool)
    paid: list[list[tuple[int, int, str]]] = [[] for _ in range(pop.size)]  # (month, city, kind)
    work = model.work_and_contribute

    def recorded_work() -> None:
        rows = model.pop.size
        # Only migrants close their month; the ledgers of the settled and departed stay as they are.
        closing = pop.status[:rows] == MIGRANT
        before = {
            kind: (getattr(pop, kind).lo[:rows].copy(), getattr(pop, kind).hi[:rows].copy())
            for kind in ("social_insurance", "tax")
        }
        work()
        for kind, words in before.items():
            after = (getattr(pop, kind).lo[:rows], getattr(pop, kind).hi[:rows])
            for row, months in enumerate(new_months(words, after, model.month)):
                if closing[row]:
                    paid[row].extend((m, int(pop.city[row]), kind) for m in months)

    model.work_and_contribute = recorded_work
    for _ in range(24):
        city_before = pop.city.copy()
        model.step()
        moved |= pop.city != city_before
    assert moved.any() and np.any(pop.back_paid.lo != 0)
    checked = 0
    for column, spec in enumerate(specs):
        union = {c for c, name in enumerate(cities) if any(name in regions[r] for r in spec.regions)}
        first = -(1 << 30) if spec.counted_from is None else spec.counted_from
        for row in range(pop.size):
            graduated = int(pop.graduated_month[row])
            keeps_start = (spec.city and not moved[row]) or int(initial_city[row]) in union
            expected = int(start_values[spec][row]) if keeps_start else 0
            arrived = int(pop.city_since[row])
            for month, city, kind in paid[row]:
                if kind != spec.kind or month < first:
                    continue
                if spec.study and (graduated == NO_MONTH or month >= graduated):
                    continue
                if city in union or (spec.city and city == int(pop.city[row]) and month >= arrived):
                    expected += 1
            assert int(pop.counters.values[row, column]) == expected, (spec, row)
            checked += 1
    assert checked and specs


def test_a_prospective_rule_set_in_force_at_the_start_counts_from_its_date(tmp_path):
    # 160 months counted from 2005-01 cannot be reached before 2018-05: nobody is eligible in 2018-01..04,
    # whereas counted over the whole history some are.
    base = (HERE.parent / "scenarios" / "base" / "china-migrants.yaml").resolve()
    text = (HERE / "person" / "long-histories.yaml").read_text(encoding="utf-8")
    text = text.replace("extends: ../../scenarios/base/china-migrants.yaml", f"extends: {base}")
    whole = text.replace(
        "since_2005: {social_insurance: {count: cumulative, months: 200, counted_from: 2005-01}}",
        "lifetime: {social_insurance: {count: cumulative, months: 160}}",
    )
    prospective = whole.replace(
        "    rules:\n      - from: 2000-01-01\n        back_payment: {allowed: true, window_months: 6}\n",
        "    rules:\n      - from: 2000-01-01\n        back_payment: {allowed: true, window_months: 6}\n"
        "      - from: 2005-01-01\n        transition: {mode: prospective}\n",
        1,
    )
    assert prospective != whole
    eligible = {}
    for name, source in (("whole", whole), ("prospective", prospective)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(source, encoding="utf-8")
        scenario = load_scenario(path)
        monthly = SettlementModel.from_scenario(scenario, agents=3000, seed=2, months=4).run().monthly
        eligible[name] = monthly.loc[monthly["city"] == "a", "eligible_residence_employment"].sum()
    assert eligible["whole"] > 0
    assert eligible["prospective"] == 0


def test_initial_counters_agree_with_the_lifetime_counts_walked_back(tmp_path):
    # Counted from 1950-01, a count is every month: it must equal the lifetime count, which the
    # synthesis walks back through another path (the ledgers' bits and the lifetime counters).
    base = (HERE.parent / "scenarios" / "base" / "china-migrants.yaml").resolve()
    text = (HERE / "person" / "long-histories.yaml").read_text(encoding="utf-8")
    text = text.replace("extends: ../../scenarios/base/china-migrants.yaml", f"extends: {base}")
    path = tmp_path / "since-1950.yaml"
    path.write_text(text.replace("counted_from: 2005-01}", "counted_from: 1950-01}"), encoding="utf-8")
    scenario = load_scenario(path)
    synthesis = synthesize(scenario, 3000, seed=8)
    pop = synthesis.population
    initial = pop.status == MIGRANT
    lifetime = pop.social_insurance.lifetime[initial]
    assert (pop.months_in_city(scenario.start)[initial] > HISTORY_MONTHS).sum() > 100
    assert lifetime.max() > HISTORY_MONTHS
    since_1950 = CounterSpec("social_insurance", True, (), month_index(1950, 1), False)
    np.testing.assert_array_equal(counted(pop, since_1950)[initial], lifetime)
    # With north's months: north's lifetime in its cities a and c; the city's own in b (outside it).
    union = counted(pop, CounterSpec("social_insurance", True, (0,), None, False))[initial]
    in_north = np.isin(pop.city[initial], [list(scenario.cities).index(c) for c in scenario.regions["north"]])
    north = synthesis.region_store.ledger(pop, 0, np.flatnonzero(initial))  # exact, whatever the city's rules name
    np.testing.assert_array_equal(union, np.where(in_north, north.lifetime, lifetime))
