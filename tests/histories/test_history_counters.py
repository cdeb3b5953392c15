"""The counters of the person histories (residence by tenure, permit, SI while holding it, districts).

Kept month by month in a model run, each month's increment is what the month's state says; before
the start they are the months the synthesis' stated assumptions imply, recounted month by month.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.districts import NO_DISTRICT, district_table
from sim.ledger import HISTORY_MONTHS, CounterSpec
from sim.model import SettlementModel
from sim.months import month_index
from sim.population import MIGRANT, NO_MONTH, OWN, RENT, UNEMPLOYED
from sim.rules.counters import counted
from sim.scenario import load_scenario
from sim.synthesis import synthesize
from tests.test_counters import new_months

HERE = Path(__file__).parent
OVERRIDES = {
    "behaviour.home_purchase_rate": 0.03,
    "behaviour.move_city_rate": 0.01,
    "behaviour.permit_take_up_rate": 0.2,
}
SCENARIO = load_scenario(HERE / "histories.yaml", OVERRIDES)
JAN_2019 = month_index(2019, 1)
SPECS = (
    CounterSpec("resided", True, (), None, False),
    CounterSpec("resided", True, (), month_index(2010, 1), True),
    CounterSpec("owned", True, (), None, False),
    CounterSpec("owned", True, (), JAN_2019, False),
    CounterSpec("rented", True, (), None, False),
    CounterSpec("permit", True, (), None, False),
    CounterSpec("social_insurance_with_permit", True, (), None, False),
    CounterSpec("social_insurance_with_permit", True, (), month_index(2012, 1), False),
    CounterSpec("home_in_group", True, (), None, False, "outer"),
    CounterSpec("home_in_group", True, (), month_index(2017, 1), False, "core"),
    CounterSpec("work_in_group", True, (), None, False, "outer"),
    CounterSpec("social_insurance", True, (), month_index(2016, 1), True),
)


def groups_of(pop, district: np.ndarray) -> np.ndarray:
    table = district_table(SCENARIO)
    found = table[pop.city.astype(np.int64), np.maximum(district.astype(np.int64), 0)]
    return np.where(district == NO_DISTRICT, -1, found)


def group_index(name: str) -> int:
    return ["core", "outer"].index(name)


def test_each_closed_month_adds_what_its_state_says():
    synthesis = synthesize(SCENARIO, 1000, seed=3, counters=SPECS)
    model = SettlementModel(SCENARIO, synthesis, seed=3, months=24)
    pop = model.population
    columns = [pop.counters.column(spec) for spec in SPECS]
    work = model.work_and_contribute
    checked = {spec: 0 for spec in SPECS}

    def recorded_work() -> None:
        rows = model.pop.size
        month = model.month
        closing = pop.status[:rows] == MIGRANT
        tenure, permit = pop.tenure[:rows].copy(), pop.permit_month[:rows].astype(np.int64)
        home = groups_of(model.pop, pop.home_district[:rows])
        work_group = groups_of(model.pop, pop.work_district[:rows])
        enrolled, graduated = pop.enrolled_month[:rows].astype(np.int64), pop.graduated_month[:rows].astype(np.int64)
        before = pop.counters.values[:rows].astype(np.int64)
        words = (pop.social_insurance.lo[:rows].copy(), pop.social_insurance.hi[:rows].copy())
        work()
        employed = pop.employment[:rows] != UNEMPLOYED
        paid = new_months(words, (pop.social_insurance.lo[:rows], pop.social_insurance.hi[:rows]), month)
        held = (permit != NO_MONTH) & (permit <= month)
        for spec, column in zip(SPECS, columns, strict=True):
            first = -(1 << 30) if spec.counted_from is None else spec.counted_from
            studying = (graduated != NO_MONTH) & (month < graduated) & (month >= enrolled)
            counts = month >= first and (studying if spec.study else np.ones(rows, bool))
            expected = {
                "resided": np.ones(rows, bool),
                "owned": tenure == OWN,
                "rented": tenure == RENT,
                "permit": held,
                "home_in_group": home == (group_index(spec.group) if spec.group else -2),
                "work_in_group": employed & (work_group == (group_index(spec.group) if spec.group else -2)),
            }
            if spec.kind in expected:
                delta = np.where(closing & counts, expected[spec.kind], False).astype(np.int64)
            else:
                # Social insurance: this month and any month back-paid now, each once.
                lower = (
                    np.maximum(first, permit) if spec.kind == "social_insurance_with_permit" else np.full(rows, first)
                )
                delta = np.array(
                    [
                        sum(
                            1
                            for m in months
                            if m >= lower[r]
                            and (spec.kind == "social_insurance" or permit[r] != NO_MONTH)
                            and (not spec.study or (graduated[r] != NO_MONTH and enrolled[r] <= m < graduated[r]))
                        )
                        if closing[r]
                        else 0
                        for r, months in enumerate(paid)
                    ]
                )
            after = pop.counters.values[:rows, column].astype(np.int64)
            np.testing.assert_array_equal(after - before[:, column], delta, err_msg=str(spec))
            checked[spec] += int(delta.sum())

    model.work_and_contribute = recorded_work
    tenure, permit, city = pop.tenure.copy(), pop.permit_month.copy(), pop.city.copy()
    for _ in range(24):
        model.step()
    # Every kind counted something (synthetic persons have all graduated before the start: the
    # study counts are checked before it), and the run bought homes, granted permits and moved households.
    assert all(n for spec, n in checked.items() if not spec.study), checked
    assert ((tenure == RENT) & (pop.tenure == OWN)).any()
    assert ((permit == NO_MONTH) & (pop.permit_month != NO_MONTH)).any()
    assert (pop.city != city).any()


def test_initial_spell_counts_follow_the_stated_assumptions():
    pop = synthesize(SCENARIO, 800, seed=4, counters=SPECS).population
    start = SCENARIO.start
    initial = np.flatnonzero(pop.status == MIGRANT)
    since = pop.city_since[initial].astype(np.int64)
    owner = pop.tenure[initial] == OWN
    bought = np.where(owner, pop.community_since[initial].astype(np.int64), start)
    permit = pop.permit_month[initial].astype(np.int64)
    home = groups_of(pop, pop.home_district)[initial]
    enrolled, graduated = pop.enrolled_month[initial].astype(np.int64), pop.graduated_month[initial].astype(np.int64)
    assert owner.any() and (bought > since).any() and (permit != NO_MONTH).any()
    recount = {spec: np.zeros(len(initial), np.int64) for spec in SPECS}
    for month in range(int(since.min()), start):
        lived = since <= month
        state = {
            "resided": lived,
            "owned": lived & (month >= bought),
            "rented": lived & (month < bought),
            "permit": lived & (permit != NO_MONTH) & (permit <= month),
        }
        for spec in SPECS:
            if spec.kind not in (*state, "home_in_group"):
                continue
            if spec.counted_from is not None and month < spec.counted_from:
                continue
            bit = lived & (home == group_index(spec.group)) if spec.kind == "home_in_group" else state[spec.kind]
            if spec.study:
                bit = (
                    bit & (graduated != NO_MONTH) & (month < graduated) & ((enrolled == NO_MONTH) | (month >= enrolled))
                )
            recount[spec] += bit
    for spec in SPECS:
        if spec.kind in ("resided", "owned", "rented", "permit", "home_in_group"):
            np.testing.assert_array_equal(counted(pop, spec)[initial], recount[spec], err_msg=str(spec))
            assert recount[spec].sum() > 0 or spec.counted_from >= start, spec


def test_initial_work_and_insurance_counts_agree_with_the_walk():
    pop = synthesize(SCENARIO, 800, seed=5, counters=SPECS).population
    initial = np.flatnonzero(pop.status == MIGRANT)
    # Every month worked, counted from no date, is the months employed, where the work district is outer.
    outer = groups_of(pop, pop.work_district)[initial] == group_index("outer")
    worked = counted(pop, CounterSpec("work_in_group", True, (), None, False, "outer"))[initial]
    np.testing.assert_array_equal(worked, np.where(outer, pop.employed_months[initial], 0))
    assert worked.sum() > 0
    # Social insurance while holding the permit, for permits within the ledgers' bits: the bits from the permit on.
    start = SCENARIO.start
    permit = pop.permit_month[initial].astype(np.int64)
    recent = (permit != NO_MONTH) & (permit >= start - HISTORY_MONTHS)
    assert recent.sum() > 50
    with_permit = counted(pop, CounterSpec("social_insurance_with_permit", True, (), None, False))[initial]
    lo, hi = pop.social_insurance.lo[initial], pop.social_insurance.hi[initial]
    for row in np.flatnonzero(recent):
        bits = int(lo[row]) | int(hi[row]) << 64
        expected = sum(1 for ago in range(1, start - int(permit[row]) + 1) if bits >> (ago - 1) & 1)
        assert int(with_permit[row]) == expected
    # Without a permit, nothing is counted.
    np.testing.assert_array_equal(with_permit[permit == NO_MONTH], 0)


@pytest.mark.parametrize("seed", [1, 2])
def test_households_share_a_home_district_and_districts_follow_their_shares(seed):
    pop = synthesize(SCENARIO, 4000, seed=seed).population
    in_a = pop.city == 0
    assert (pop.home_district >= 0).all() and (pop.work_district >= 0).all()
    heads = np.r_[True, pop.household[1:] != pop.household[:-1]]
    first_row = np.flatnonzero(heads)[np.searchsorted(np.flatnonzero(heads), np.arange(pop.size), side="right") - 1]
    np.testing.assert_array_equal(pop.home_district, pop.home_district[first_row])
    shares = np.bincount(pop.work_district[in_a], minlength=4) / in_a.sum()
    np.testing.assert_allclose(shares, [0.4, 0.3, 0.2, 0.1], atol=0.04)
    # City b gives no shares: equally likely homes, and work where one lives.
    in_b = pop.city == 1
    np.testing.assert_array_equal(pop.work_district[in_b], pop.home_district[in_b])
    np.testing.assert_allclose(np.bincount(pop.home_district[in_b], minlength=2) / in_b.sum(), [0.5, 0.5], atol=0.06)
