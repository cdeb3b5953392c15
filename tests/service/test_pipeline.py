"""The settlement pipeline after approval: the permit to move (准迁证), deregistration, registration.

Seed 000: approval in 6 working days, then the permit goes to the origin province for the 迁出;
seed 001: a transfer that took over a month with trips home takes under a week online. The
acceptance test: the waits equal the declared working days on hand-built cases.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import SettlementModel
from sim.rules.service import WORKING_DAYS_PER_CALENDAR_DAY, after_approval_working_days, permit_expired, steps
from sim.scenario import load_scenario
from sim.scenario.schema import Channel, Service

AFTER = "ningbo-2019-service"
SERVICE = "cities.ningbo.rules[0].service"
AGENTS, MONTHS = 3000, 24


def _run(overrides: dict, seed: int = 2):
    scenario = load_scenario(AFTER, {f"{SERVICE}.green_channel_share": 0.0, **overrides})
    return SettlementModel.from_scenario(scenario, agents=AGENTS, seed=seed, months=MONTHS).run()


def _applicant_waits(result) -> np.ndarray:
    settlers = result.settlers
    return settlers.loc[~settlers["is_dependant"], "wait_months"].to_numpy()


def test_working_days_after_approval_by_hand():
    service = Service(deregistration_working_days=10, registration_working_days=6, move_permit_valid_days=30)
    assert after_approval_working_days(service, np.array([0.0, 5.5])) == pytest.approx([16.0, 21.5])
    assert after_approval_working_days(Service(), np.array([3.0])) == pytest.approx([3.0])
    valid = 30 * WORKING_DAYS_PER_CALENDAR_DAY  # 21.7 working days
    assert permit_expired(service, np.array([0.0, valid - 0.1, valid + 0.1])).tolist() == [False, False, True]
    assert not permit_expired(Service(), np.array([1e6])).any()
    assert not Service().has_pipeline() and service.has_pipeline()


def test_steps_name_the_permit_and_the_days_after_approval():
    service = Service(processing_working_days=6, move_permit_valid_days=40, deregistration_working_days=3)
    text = steps(service, Channel()).text()
    assert "6 working days" in text
    assert "the permit to move (准迁证) valid 40 days; 3 working days to deregister and register" in text
    assert "准迁证" not in steps(Service(processing_working_days=6), Channel()).text()


@pytest.mark.parametrize(("registration", "months"), [(6, 1), (28, 2)])
def test_waits_equal_the_declared_working_days(registration, months):
    """6 days to approve, 10 to deregister online, then ``registration``: 22 or 44 working days.

    22 working days after any day of a month is the same day of the next month, so every
    applicant waits exactly one month (two for 44), whatever the day they applied on.
    """
    result = _run(
        {
            f"{SERVICE}.transfer_online": True,
            f"{SERVICE}.deregistration_working_days": 10,
            f"{SERVICE}.registration_working_days": registration,
        }
    )
    waits = _applicant_waits(result)
    assert len(waits) > 50
    assert (waits == months).all()


def test_without_the_pipeline_approval_alone_sets_the_wait():
    waits = _applicant_waits(_run({f"{SERVICE}.transfer_online": True}))
    # 6 working days from a uniform day of the month: the next month for about 6 in 22.
    assert set(np.unique(waits)) == {0, 1}
    assert (waits == 1).mean() == pytest.approx(6 / 22, abs=0.06)


def test_a_trip_home_lengthens_the_wait_and_an_expired_permit_lapses():
    trip = {"behaviour.pipeline": {"home_trip_working_days_mean": 15.0, "far_multiplier": 2.0}}
    online = _run({f"{SERVICE}.transfer_online": True, f"{SERVICE}.move_permit_valid_days": 20, **trip})
    home = _run({f"{SERVICE}.transfer_online": False, f"{SERVICE}.move_permit_valid_days": 20, **trip})
    unlimited = _run({f"{SERVICE}.transfer_online": False, **trip})
    # With no online transfer the trip home adds a month on average (15 working days, 30 if far).
    assert _applicant_waits(unlimited).mean() > _applicant_waits(online).mean() + 0.5
    # 20 calendar days are 14.5 working days: most trips outlast the permit, and those applications lapse.
    lapsed = [run.monthly["lapsed"].sum() for run in (online, home, unlimited)]
    assert lapsed[1] > lapsed[0] + 10_000 and lapsed[1] > lapsed[2] + 10_000
    assert home.monthly["settled"].sum() < 0.8 * unlimited.monthly["settled"].sum()
