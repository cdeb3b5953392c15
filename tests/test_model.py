"""Whole-model properties: conservation, determinism, quotas, no NaN, common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model import CHANNEL_INDEX, SettlementModel
from sim.months import month_index
from sim.population import INACTIVE, LEFT, MIGRANT, SETTLED
from sim.rules.channels import channel_eligible
from sim.rules.context import RuleContext
from sim.scenario import load_scenario, resolve_timeline, rules_in_force
from sim.synthesis import synthesize
from tests.conftest import FIXTURES, ROOT, SCENARIOS

REFORM = SCENARIOS / "ningbo" / "ningbo-2019-reform.yaml"
BASELINE = SCENARIOS / "ningbo" / "ningbo-2018-baseline.yaml"
COUNTING_ONLY = SCENARIOS / "ningbo" / "ningbo-2019-counting-only.yaml"
DURATIONS_ONLY = SCENARIOS / "ningbo" / "ningbo-2019-durations-only.yaml"


@pytest.fixture(scope="module")
def two_cities_run(two_cities_path):
    model = SettlementModel.from_scenario(load_scenario(two_cities_path), agents=3000, seed=11)
    return model, model.run()


def test_persons_are_conserved(two_cities_run):
    model, result = two_cities_run
    pop = model.pop
    activated = pop.status != INACTIVE
    assert activated.sum() == ((pop.status == MIGRANT) | (pop.status == SETTLED) | (pop.status == LEFT)).sum()
    monthly = result.monthly
    last = monthly[monthly["month"] == monthly["month"].max()]
    arrived_persons = model.initial_agents * model.scale + monthly["arrived"].sum()
    in_system = last["migrants"].sum() + last["settled_total"].sum() + monthly["left"].sum()
    assert in_system == pytest.approx(arrived_persons)
    assert arrived_persons == pytest.approx(activated.sum() * model.scale)


def test_settlements_add_up_by_channel(two_cities_run):
    _, result = two_cities_run
    monthly = result.monthly
    by_channel = monthly[[c for c in monthly.columns if c.startswith("settled_") and c != "settled_total"]].sum(axis=1)
    assert np.allclose(by_channel, monthly["settled"])
    settlers = result.settlers
    principal = settlers[~settlers["is_dependant"]]
    assert principal["persons"].sum() == pytest.approx(monthly["settled"].sum())
    assert settlers[settlers["is_dependant"]]["persons"].sum() == pytest.approx(monthly["dependants_settled"].sum())


def test_no_nan_in_counts(two_cities_run):
    _, result = two_cities_run
    numeric = result.monthly.select_dtypes("number")
    assert not numeric.isna().any().any()
    rounds = result.rounds
    assert not rounds[["applicants", "quota", "admitted", "tied_at_cutoff"]].isna().any().any()
    assert rounds.loc[rounds["cutoff"].isna(), "admitted"].eq(0).all()


def test_quota_is_kept_except_for_declared_ties(two_cities_run):
    _, result = two_cities_run
    rounds = result.rounds
    assert len(rounds) == 4  # June and December of two years
    over = rounds["admitted"] - rounds["quota"]
    assert (over <= rounds["admitted_over_quota"] + 1e-9).all()
    assert (rounds["admitted_over_quota"] <= rounds["tied_at_cutoff"]).all()
    assert (rounds["admitted"] > 0).all()


def test_every_channel_settles_someone_in_the_fixture(two_cities_run):
    _, result = two_cities_run
    totals = result.monthly.filter(like="settled_").sum()
    for channel in ("talent", "residence_employment", "points", "open"):
        assert totals[f"settled_{channel}"] > 0, channel


def test_same_seed_gives_identical_results(two_cities_path):
    scenario = load_scenario(two_cities_path)
    first = SettlementModel.from_scenario(scenario, agents=1500, seed=5).run()
    second = SettlementModel.from_scenario(scenario, agents=1500, seed=5).run()
    pd.testing.assert_frame_equal(first.monthly, second.monthly)
    pd.testing.assert_frame_equal(first.settlers, second.settlers)
    third = SettlementModel.from_scenario(scenario, agents=1500, seed=6).run()
    assert not first.monthly["settled"].equals(third.monthly["settled"])


def test_common_random_numbers_keep_runs_identical_before_a_reform():
    """Baseline and reform share every draw, so they agree exactly until the reform starts."""
    reform = SettlementModel.from_scenario(load_scenario(REFORM), agents=3000, seed=3, months=24).run().monthly
    base = SettlementModel.from_scenario(load_scenario(BASELINE), agents=3000, seed=3, months=24).run().monthly
    before = reform["month"] < "2019-09"
    columns = ["migrants", "settled", "arrived", "left", "eligible_any"]
    pd.testing.assert_frame_equal(reform.loc[before, columns], base.loc[before, columns])
    assert reform.loc[~before, "settled"].sum() > base.loc[~before, "settled"].sum()


@pytest.mark.parametrize(
    ("relaxed", "strict"),
    [
        (REFORM, BASELINE),
        (COUNTING_ONLY, BASELINE),
        (DURATIONS_ONLY, BASELINE),
        (REFORM, DURATIONS_ONLY),
    ],
    ids=["reform", "counting-only", "durations-only", "reform-over-durations-only"],
)
def test_reform_rules_admit_everyone_the_baseline_admits(relaxed, strict):
    """Seed 000's reform only relaxes: on one population, reform eligibility ⊇ baseline's.

    The same holds for each single-change variant over the baseline, and for the reform over
    the durations-only variant (continuous N ⊆ N within W). The counting-only variant is not
    nested in the reform: 12 of 24 months can miss the last 12 that 6 of 12 looks at.
    """
    reform, base = load_scenario(relaxed), load_scenario(strict)
    pop = synthesize(reform, 20_000, seed=2).population
    month = month_index(2019, 10)
    rows = np.flatnonzero(pop.status == MIGRANT)
    ctx = RuleContext(pop, month, {}, rows=rows)
    base_ctx = RuleContext(pop, month, {}, rows=rows)
    new = rules_in_force(resolve_timeline(reform.cities["ningbo"].rules), month)
    old = rules_in_force(resolve_timeline(base.cities["ningbo"].rules), month)
    assert new.index == 1 and old.index == (0 if strict == BASELINE else 1)
    new_any = np.zeros(len(rows), bool)
    old_any = np.zeros(len(rows), bool)
    for _, channel in new.channels():
        new_any |= channel_eligible(channel, ctx)
    for name, channel in old.channels():
        old_ok = channel_eligible(channel, base_ctx)
        old_any |= old_ok
        assert not (old_ok & ~channel_eligible(getattr(new.rules.channels, name), ctx)).any(), name
    assert not (old_any & ~new_any).any()
    assert new_any.sum() > old_any.sum()
    assert CHANNEL_INDEX["talent"] == 0


def test_a_prospective_transition_holds_for_the_whole_period(two_cities_path):
    """Under a prospective change, no month before the change counts — in every later month too."""
    overrides = {"cities.alpha.rules[1].transition": {"mode": "prospective"}}
    scenario = load_scenario(two_cities_path, overrides=overrides)
    model = SettlementModel.from_scenario(scenario, agents=600, seed=2, months=16)
    for _ in range(16):
        model.step()
    period = model.periods[0]
    assert period.index == 1
    rule = period.rules.channels.residence_employment.routes["si"].social_insurance
    assert rule.counted_from == month_index(2019, 1)
    assert model.scenario.cities["alpha"].rules[1].transition.mode == "prospective"


def test_a_scenario_of_hundreds_of_cities_runs_and_conserves_persons(tmp_path):
    # City indices past int8: each city opens settlement and households move between them.
    cities = "\n".join(
        f"  c{i:03d}:\n    name: {{zh: 城{i}, en: City {i}}}\n    migrants: 2000\n    inflow_per_month: 20\n"
        f"    rules:\n      - from: 2020-01-01\n        channels: {{open: {{routes: {{anyone: {{}}}}}}}}"
        for i in range(200)
    )
    path = tmp_path / "many-cities.yaml"
    path.write_text(
        "id: many-cities\ntitle: {zh: 多城, en: Many cities}\n"
        f"extends: {ROOT / 'scenarios' / 'base' / 'china-migrants.yaml'}\n"
        "source: test fixture\nstart: 2020-01\nmonths: 6\ncities:\n  example: null\n" + cities + "\n",
        encoding="utf-8",
    )
    model = SettlementModel.from_scenario(load_scenario(path), agents=4000, seed=1)
    result = model.run()
    assert result.monthly["city"].nunique() == 200
    assert result.monthly.groupby("city")["settled"].sum().gt(0).sum() > 100
    assert model.pop.city.max() >= 199
    monthly = result.monthly
    last = monthly[monthly["month"] == monthly["month"].max()]
    arrived_persons = model.initial_agents * model.scale + monthly["arrived"].sum()
    in_system = last["migrants"].sum() + last["settled_total"].sum() + monthly["left"].sum()
    assert in_system == pytest.approx(arrived_persons)


@pytest.mark.parametrize("agents", [1, 7, 999, 50_000])
def test_the_initial_population_has_exactly_the_agents_asked_for(agents):
    from sim.synthesis import apportion

    weights = [500_000, 1_500_000, 5_000_000]
    split = apportion(agents, weights)
    assert sum(split) == agents
    assert all(abs(n - agents * w / sum(weights)) < 1 for n, w in zip(split, weights, strict=True))
    scenario = load_scenario(FIXTURES / "two-cities-points.yaml")
    population = synthesize(scenario, agents, seed=3).population
    assert int((population.status == MIGRANT).sum()) == agents
