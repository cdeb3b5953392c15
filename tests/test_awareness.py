"""Publicity and awareness: who knows a new rule set, and what those who do not know do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model import SettlementModel
from sim.months import month_index
from sim.population import COLLEGE, MIGRANT
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS

REFORM = SCENARIOS / "ningbo" / "ningbo-2019-reform.yaml"
BASELINE = SCENARIOS / "ningbo" / "ningbo-2018-baseline.yaml"
SETTLED = ["settled", "dependants_settled", "settled_talent", "settled_residence_employment", "settled_family"]
NO_INFLOW = {"cities.ningbo.inflow_per_month": 0}


def monthly(path, overrides=None, *, agents=3000, seed=5, months=24) -> pd.DataFrame:
    scenario = load_scenario(path, overrides=overrides)
    return SettlementModel.from_scenario(scenario, agents=agents, seed=seed, months=months).run().monthly


@pytest.fixture(scope="module")
def unaware():
    return monthly(REFORM, {**NO_INFLOW, "behaviour.awareness.monthly_rate": 0.0})


@pytest.fixture(scope="module")
def aware():
    return monthly(REFORM, NO_INFLOW)


def test_nobody_learning_the_reform_settles_as_under_the_old_rules(unaware):
    """Seed 000's reform only relaxes, so old ∧ new = old: without news of it, nothing changes."""
    base = monthly(BASELINE, NO_INFLOW)
    pd.testing.assert_frame_equal(unaware[SETTLED], base[SETTLED])
    reform_months = unaware["month"] >= "2019-09"
    assert (unaware.loc[reform_months, "eligible_unaware"] > 0).all()
    assert (unaware.loc[~reform_months, "eligible_unaware"] == 0).all()


def test_eligibility_follows_the_rules_in_force_whatever_people_know(unaware, aware):
    first = aware["month"] == "2019-09"  # applications before it are identical (common random numbers)
    assert unaware.loc[first, "eligible_any"].item() == aware.loc[first, "eligible_any"].item()
    assert (aware["eligible_unaware"] == 0).all()
    reform_months = aware["month"] >= "2019-09"
    assert aware.loc[reform_months, "settled"].sum() > 2 * unaware.loc[reform_months, "settled"].sum()


def test_a_share_learns_each_month(unaware):
    partly = monthly(REFORM, {**NO_INFLOW, "behaviour.awareness.monthly_rate": 0.3})
    first = partly["month"] == "2019-09"
    share = partly.loc[first, "eligible_unaware"].item() / unaware.loc[first, "eligible_unaware"].item()
    assert share == pytest.approx(0.7, abs=0.07)
    later = partly.set_index("month")["eligible_unaware"]
    assert later["2019-12"] < later["2019-09"] * 0.7**2


def test_college_rate_applies_to_college_graduates_only():
    overrides = {
        **NO_INFLOW,
        "behaviour.awareness.monthly_rate": 0.0,
        "behaviour.awareness.college_or_above_rate": 1.0,
    }
    scenario = load_scenario(REFORM, overrides=overrides)
    model = SettlementModel.from_scenario(scenario, agents=2000, seed=4, months=22)
    model.run()
    pop = model.pop
    present = pop.status == MIGRANT
    knows_reform = model.known_period[: pop.size] == 1
    college = pop.education >= COLLEGE
    assert knows_reform[present & college].all()
    assert not knows_reform[present & ~college].any()


@pytest.mark.parametrize(("share", "same_as"), [(1.0, "aware"), (0.0, "unaware")])
def test_publicity_informs_its_share_on_the_date(share, same_as, unaware, aware):
    announced = monthly(
        REFORM,
        {
            **NO_INFLOW,
            "behaviour.awareness.monthly_rate": 0.0,
            "cities.ningbo.rules[1].publicity": {"informed_share": share, "source": "test"},
        },
    )
    expected = {"aware": aware, "unaware": unaware}[same_as]
    pd.testing.assert_frame_equal(announced[SETTLED], expected[SETTLED])


def test_arrivals_know_the_rules_in_force_when_they_arrive():
    scenario = load_scenario(REFORM, overrides={"behaviour.awareness.monthly_rate": 0.0})
    model = SettlementModel.from_scenario(scenario, agents=2000, seed=8, months=24)
    model.run()
    pop = model.pop
    present = pop.status == MIGRANT
    reform = month_index(2019, 9)
    known = model.known_period[: pop.size]
    assert (known[present & (pop.arrival_month >= reform)] == 1).all()
    assert (known[present & (pop.arrival_month < reform)] == 0).all()
    assert np.any(present & (pop.arrival_month >= reform))


def test_experiments_report_the_eligible_who_do_not_know():
    from sim.experiment import RunSpec, run
    from sim.experiment.indicators import run_indicators

    spec = RunSpec(REFORM, seed=5, agents=2000, months=24, overrides={"behaviour.awareness.monthly_rate": 0.1})
    result = run([spec], backend="serial", progress=False)
    table = run_indicators(result)
    value = table.loc[(table["indicator"] == "eligible_unaware_at_end") & (table["city"] == "ningbo"), "value"]
    last = result.monthly.loc[result.monthly["month"] == "2019-12", "eligible_unaware"].item()
    assert value.item() == pytest.approx(last) and last > 0
