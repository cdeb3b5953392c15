"""Run specs, keys and the worker's summaries."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from sim.experiment.runs import AGE_BANDS, RunSpec, RunTask, execute, resolve, scenario_sha256, summarise_settlers
from sim.model import SettlementModel
from sim.scenario import load_scenario
from tests.experiment.conftest import REFORM, TWO_CITIES


def test_spec_is_hashable_picklable_and_order_free():
    first = RunSpec(str(REFORM), seed=3, agents=500, overrides={"b.x": 1, "a.y": {"k": [1, 2]}})
    second = RunSpec(str(REFORM), seed=3, agents=500, overrides={"a.y": {"k": [1, 2]}, "b.x": 1})
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1
    assert pickle.loads(pickle.dumps(first)) == first
    assert first.overrides_dict == {"a.y": {"k": [1, 2]}, "b.x": 1}
    assert np.int64(3) == RunSpec(str(REFORM), seed=np.int64(3)).seed


def test_key_depends_on_what_determines_the_result_only():
    spec = RunSpec(str(REFORM), seed=1, agents=400, months=6)
    by_id = RunSpec("ningbo-2019-reform", seed=1, agents=400, months=6, label="another name")
    (a, b), errors = resolve([spec, by_id])
    assert not errors
    assert a.key == b.key  # path and label do not enter the key
    assert b.label == "another name" and a.label == "ningbo-2019-reform"
    keys = {
        r.key
        for r in resolve(
            [
                spec,
                RunSpec(str(REFORM), seed=2, agents=400, months=6),
                RunSpec(str(REFORM), seed=1, agents=401, months=6),
                RunSpec(str(REFORM), seed=1, agents=400, months=7),
                RunSpec(str(REFORM), seed=1, agents=400, months=6, overrides={"behaviour.return_home_rate": 0.01}),
            ]
        )[0]
    }
    assert len(keys) == 5


def test_defaults_come_from_the_scenario():
    (resolved,), _ = resolve([RunSpec(str(TWO_CITIES), seed=0)])
    scenario = load_scenario(TWO_CITIES)
    assert (resolved.agents, resolved.months) == (scenario.agents, scenario.months)


def test_bad_override_is_an_error_not_an_exception():
    resolved, errors = resolve([RunSpec(str(REFORM), overrides={"nowhere.at.all": 1}), RunSpec(str(REFORM))])
    assert resolved[0] is None and resolved[1] is not None
    assert "nowhere.at.all" in errors[0] and "does not lead to a value" in errors[0]


def test_scenario_hash_matches_the_run_manifest():
    scenario = load_scenario(TWO_CITIES)
    outcome = execute(RunTask("k", scenario, seed=2, agents=300, months=3))
    assert outcome.ok, outcome.traceback
    assert outcome.manifest["scenario_sha256"] == scenario_sha256(scenario)
    assert "scenario" not in outcome.manifest  # the resolved scenario stays on the driver
    assert set(outcome.tables) == {"monthly", "rounds", "settlers"}


def test_settlers_summary_keeps_every_person_and_month():
    scenario = load_scenario(TWO_CITIES)
    raw = SettlementModel.from_scenario(scenario, agents=800, seed=4, months=12).run().settlers
    summary = summarise_settlers(raw)
    assert len(summary) < len(raw)
    assert summary["agents"].sum() == len(raw)
    assert summary["persons"].sum() == pytest.approx(raw["persons"].sum())
    assert summary["wait_months_sum"].sum() == pytest.approx(raw["wait_months"].sum())
    assert summary["months_in_city_sum"].sum() == pytest.approx(raw["months_in_city"].sum())
    assert set(summary["age_band"]) <= set(AGE_BANDS)
    young = raw[(raw["age"] >= 18) & (raw["age"] <= 34)]
    assert summary.loc[summary["is_aged_18_34"], "agents"].sum() == len(young)
    by_band = summary.groupby("age_band")["agents"].sum()
    assert by_band.get("25-34", 0) == ((raw["age"] >= 25) & (raw["age"] <= 34)).sum()
    assert by_band.get("60+", 0) == (raw["age"] >= 60).sum()


def test_empty_settlers_summary_has_the_columns():
    scenario = load_scenario(TWO_CITIES)
    raw = SettlementModel.from_scenario(scenario, agents=300, seed=1, months=1).run().settlers.iloc[:0]
    summary = summarise_settlers(raw)
    assert summary.empty
    assert {"age_band", "education", "is_aged_18_34", "agents", "persons"} <= set(summary.columns)
