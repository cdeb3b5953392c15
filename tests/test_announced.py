"""A rule set announced before it takes effect (Ningbo's 2019 notice: published 2019-07-19, in force 2019-09-15).

Between the announcement and the effect migrants may learn of the coming rules (the publicity
reaches its share on the announcement day, the rest hear at the ``awareness`` rates), and those
who knew in advance have their papers ready (``behaviour.preparation``). Nothing changes before
the rules take effect: eligibility and applications follow the rules in force.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.errors import ScenarioError
from sim.model import SettlementModel
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS

REFORM = SCENARIOS / "ningbo" / "ningbo-2019-reform.yaml"
ANNOUNCED = {"cities.ningbo.rules[1].announced": "2019-07-19"}
BASE = {"cities.ningbo.inflow_per_month": 0, "behaviour.awareness.monthly_rate": 0.2}


def _monthly(overrides: dict) -> pd.DataFrame:
    scenario = load_scenario(REFORM, {**BASE, **overrides})
    model = SettlementModel.from_scenario(scenario, agents=3000, seed=4, months=24)
    return model.run().monthly.set_index("month")


@pytest.fixture(scope="module")
def on_the_day():
    return _monthly({})


@pytest.fixture(scope="module")
def announced():
    return _monthly(ANNOUNCED)


def test_nothing_changes_before_the_rules_take_effect(on_the_day, announced):
    before = on_the_day.index < "2019-09"
    columns = ["settled", "applied", "eligible_any", "eligible_unaware", "dependants_settled"]
    pd.testing.assert_frame_equal(on_the_day.loc[before, columns], announced.loc[before, columns])


def test_a_month_of_hearing_before_the_effect(on_the_day, announced):
    """07-19 falls in model month 2019-07 (07-15..08-14); the notice governs from 2019-08, one month before.

    Unaware at the effect: 0.8 of the eligible on the day; 0.8 × 0.8 when one month of hearing came first.
    """
    first = "2019-09"
    ratio = announced.loc[first, "eligible_unaware"] / on_the_day.loc[first, "eligible_unaware"]
    assert ratio == pytest.approx(0.8, abs=0.06)
    reform = on_the_day.index >= "2019-09"
    assert announced.loc[reform, "settled"].sum() > on_the_day.loc[reform, "settled"].sum()


def test_publicity_reaches_its_share_on_the_announcement_day():
    publicity = {"cities.ningbo.rules[1].publicity": {"informed_share": 0.5}, "behaviour.awareness.monthly_rate": 0.0}
    day = _monthly(publicity)
    early = _monthly({**publicity, **ANNOUNCED})
    first = "2019-09"
    # The same share, reached earlier: as many know at the effect (drawn in another month).
    ratio = early.loc[first, "eligible_unaware"] / day.loc[first, "eligible_unaware"]
    assert ratio == pytest.approx(1.0, abs=0.12)
    assert day.loc["2019-08", "eligible_unaware"] == early.loc["2019-08", "eligible_unaware"] == 0


def test_prepared_persons_apply_readier_in_the_first_months(announced):
    ready = _monthly({**ANNOUNCED, "behaviour.preparation": {"ready_multiplier": 3.0, "ready_months": 2}})
    first = ["2019-09", "2019-10"]
    assert ready.loc[first, "applied"].sum() > 1.2 * announced.loc[first, "applied"].sum()
    before = announced.index < "2019-09"
    assert ready.loc[before, "applied"].sum() == announced.loc[before, "applied"].sum()


def test_announced_after_the_effect_is_refused():
    with pytest.raises(ScenarioError, match="announced") as err:
        load_scenario(REFORM, {"cities.ningbo.rules[1].announced": "2019-10-01"})
    assert "rules[1]" in str(err.value)


def test_describe_gives_the_announcement_date():
    from sim.describe import describe

    scenario = load_scenario(REFORM, ANNOUNCED)
    assert "- Published on 2019-07-19" in describe(scenario, "en")
    assert "- 2019-07-19公布" in describe(scenario, "zh")
