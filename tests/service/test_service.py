"""Service reforms as policy (issue 7): trips, processing time, cross-province transfer, queues.

The acceptance tests: with the eligibility rules fixed, a better service raises applications and
shortens waits and never changes who is eligible (same seed, common random numbers); a capacity
queue grows and drains first come, first served; applications lapse when the person leaves;
no service declared is the behaviour without a service model, and an all-default service adds
no cost and no delay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.behaviour import service_cost
from sim.model import SERVICE_COLUMNS, SettlementModel
from sim.population import MIGRANT, NO_CHANNEL, NO_MONTH
from sim.rules.service import delay_months, effective_service, is_far, processing_days, steps, trips
from sim.scenario import load_scenario
from sim.scenario.schema import Channel, RuleSet, Service, ServiceCost
from tests.conftest import FIXTURES

BEFORE = "ningbo-2019-service-before"
AFTER = "ningbo-2019-service"
AGENTS, MONTHS = 3000, 30
KEY_COLUMNS = ["migrants", "settled", "dependants_settled", "left", "applied", "eligible_any", "blocked_only_by_gap"]


def _run(scenario, seed: int = 1, agents: int = AGENTS, months: int = MONTHS) -> pd.DataFrame:
    return SettlementModel.from_scenario(scenario, agents=agents, seed=seed, months=months).run().monthly


# ------------------------------------------------------------------------------- pure functions


def test_delay_from_working_days():
    """22 working days a month; the application falls on a working day drawn in [0, 22)."""
    u = np.array([0.0, 0.5, 0.99, 0.0, 0.8])
    days = np.array([6.0, 6.0, 6.0, 22.0, 23.8])
    # 0*22+6 = 6 → 0; 11+6 = 17 → 0; 21.78+6 = 27.78 → 1; 0+22 → 1; 17.6+23.8 = 41.4 → 1
    assert delay_months(days, u).tolist() == [0, 0, 1, 1, 1]


def test_trips_and_tolerant_acceptance():
    missing = np.array([False, True])
    assert trips(Service(trips_required=1), missing).tolist() == [1, 2]
    assert trips(Service(trips_required=1, tolerant_acceptance=True), missing).tolist() == [1, 1]
    assert trips(Service(trips_required=0), missing).tolist() == [0, 0]  # fully online


def test_green_channel_days_and_default_days():
    channel = Channel(processing_months=2)
    green = np.array([False, True])
    assert processing_days(Service(), channel, green).tolist() == [44.0, 44.0]
    service = Service(processing_working_days=6, green_channel_share=0.1, green_channel_working_days=3)
    assert processing_days(service, channel, green).tolist() == [6.0, 3.0]


def test_green_share_needs_days():
    with pytest.raises(ValueError, match="green_channel_working_days"):
        Service(green_channel_share=0.1)


def test_channel_service_overrides_rule_set_default_key_by_key():
    rules = RuleSet.model_validate({"from": "2019-01-01", "service": {"trips_required": 2, "transfer_online": False}})
    channel = Channel(service=Service(trips_required=1))
    merged = effective_service(rules, channel)
    assert (merged.trips_required, merged.transfer_online) == (1, False)
    assert effective_service(rules, Channel()) == rules.service
    assert effective_service(RuleSet.model_validate({"from": "2019-01-01"}), Channel()) is None


def test_cost_hand_computed():
    """trip_cost 0.15 × 1 trip × (1 − 0.15 appointment) + home 0.4 × far 2 = 0.9275; × (1 + 0.25 + 0.25)."""
    service = Service(trips_required=1, appointment=True, transfer_online=False)
    cost = service_cost(service, ServiceCost(), np.array([1]), np.array([True]), np.array([True]), np.array([True]))
    assert cost[0] == pytest.approx((0.15 * 0.85 + 0.8) * 1.5)
    online = service_cost(
        service.model_copy(update={"transfer_online": True}),
        ServiceCost(),
        np.array([1]),
        np.array([True]),
        np.array([False]),
        np.array([False]),
    )
    assert online[0] == pytest.approx(0.15 * 0.85)


def test_far_by_province_index():
    origin = np.array([10, 12, 13, 0])  # zhejiang = 10
    assert is_far(origin, 10, 2).tolist() == [False, False, True, True]
    assert is_far(origin, None, 2).all()


def test_steps_text():
    text = steps(
        Service(
            trips_required=1,
            processing_working_days=6,
            green_channel_share=0.05,
            green_channel_working_days=3,
            transfer_online=False,
        ),
        Channel(),
    ).text()
    assert text.startswith("1 trip to a window (2 with papers missing); 6 working days (3 by the green channel)")
    assert "a trip home to the origin province" in text


# ---------------------------------------------------------------------------------- the model


def test_no_service_adds_columns_only_and_all_default_service_changes_nothing():
    """Declaring a service with every key at its default adds no cost and no delay."""
    plain = load_scenario(FIXTURES / "two-cities-points.yaml")
    declared = load_scenario(
        FIXTURES / "two-cities-points.yaml",
        {f"cities.{city}.rules[0].service": {} for city in plain.cities},
    )
    assert all(c.rules[0].service == Service() for c in declared.cities.values())
    a, b = _run(plain, seed=7, agents=1500, months=24), _run(declared, seed=7, agents=1500, months=24)
    assert set(SERVICE_COLUMNS) <= set(a.columns)
    pd.testing.assert_frame_equal(a[KEY_COLUMNS], b[KEY_COLUMNS])
    assert a["trips"].sum() == b["trips"].sum() == 0


def _better(**extra):
    """ningbo-2019-service-before with no trip home and half the processing time."""
    return load_scenario(
        BEFORE,
        {
            "cities.ningbo.rules[0].service.transfer_online": True,
            "cities.ningbo.rules[0].service.processing_working_days": 11.9,
            **extra,
        },
    )


def test_better_service_raises_applications_shortens_waits_keeps_eligibility():
    before, better = load_scenario(BEFORE), _better()
    a = SettlementModel.from_scenario(before, agents=AGENTS, seed=3, months=MONTHS)
    b = SettlementModel.from_scenario(better, agents=AGENTS, seed=3, months=MONTHS)
    compared = 0
    for _ in range(MONTHS):
        a.step()
        b.step()
        # Households untouched by settlement in both runs have the same history (common random
        # numbers): the service must not change whether they qualify, nor by which channel.
        settled_households = np.union1d(
            a.pop.household[a.pop.status != MIGRANT], b.pop.household[b.pop.status != MIGRANT]
        )
        same = (a.pop.status == MIGRANT) & (b.pop.status == MIGRANT)
        same &= ~np.isin(a.pop.household, settled_households)
        assert np.array_equal(a.eligible_channel[: a.pop.size][same], b.eligible_channel[: b.pop.size][same])
        compared += same.sum()
    assert compared > 10_000
    ra, rb = a.result().monthly, b.result().monthly
    assert rb["applied"].sum() > ra["applied"].sum()
    assert rb["home_trips"].sum() == 0 < ra["home_trips"].sum()
    wait_a = (ra["wait_mean_months"] * ra["settled"]).sum() / ra["settled"].sum()
    wait_b = (rb["wait_mean_months"] * rb["settled"]).sum() / rb["settled"].sum()
    assert wait_b < wait_a
    # Eligibility in the first month, before any settlement diverges, is identical.
    assert ra["eligible_any"].iloc[0] == rb["eligible_any"].iloc[0]


def test_capacity_queue_grows_and_drains_fifo():
    """1000 persons a month per channel (1 agent at 1000 persons each) until the 2019 reform, then unlimited."""
    scenario = load_scenario(
        AFTER,
        {
            "cities.ningbo.rules[0].service.capacity_per_month": 1000,
            "cities.ningbo.rules[1].service": {"capacity_per_month": 10**9},
        },
    )
    model = SettlementModel.from_scenario(scenario, agents=AGENTS, seed=2, months=MONTHS)
    assert model.scale == pytest.approx(1000, rel=0.01)
    pop = model.population
    for _ in range(MONTHS):
        month = model.month
        model.step()
        settled_now = (pop.settled_month == month) & ~pop.is_dependant & (pop.applied_month >= 0)
        queued = (pop.status == MIGRANT) & (pop.applied_channel >= 0) & (pop.decision_month != NO_MONTH)
        queued &= pop.decision_month <= month
        for channel in np.unique(pop.settled_channel[settled_now]):
            later = queued & (pop.applied_channel == channel)
            if later.any():
                assert pop.applied_month[settled_now & (pop.settled_channel == channel)].max() <= (
                    pop.applied_month[later].min()
                )
    monthly = model.result().monthly
    queue = monthly["queue"].to_numpy()
    reform = monthly.index[monthly["month"] == "2019-09"][0]
    assert queue[reform - 1] > queue[2] > 0  # grows while capacity binds
    assert queue[reform + 1 :].max() == 0  # drains once capacity is lifted
    by_channel = monthly[[c for c in monthly.columns if c.startswith("settled_") and c != "settled_total"]]
    assert (by_channel.iloc[:reform].drop(columns="settled_points") <= 1000).all().all()


def test_applications_lapse_when_persons_leave():
    """Ten months of processing: those who return home meanwhile lapse, and never settle."""
    slow = {"cities.ningbo.rules[0].service.processing_working_days": 220}
    stay = load_scenario(AFTER, {**slow, "behaviour.return_home_rate": 0.0})
    leave = load_scenario(AFTER, {**slow, "behaviour.return_home_rate": 0.05})
    kept = _run(stay, seed=4)
    left = _run(leave, seed=4)
    assert left["lapsed"].sum() > kept["lapsed"].sum()
    model = SettlementModel.from_scenario(leave, agents=AGENTS, seed=4, months=MONTHS)
    model.run()
    pop = model.population
    gone = pop.status != MIGRANT
    assert (pop.applied_channel[gone] == NO_CHANNEL).all()
    # Applied in the city and lapsed: the slots of leavers with an application month, not settled.
    assert ((pop.applied_month >= 0) & (pop.left_month >= 0) & (pop.settled_month == NO_MONTH)).any()
