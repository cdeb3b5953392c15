"""Held-out targets never feed the optimiser, whether held out by role or by date (temporal validation)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from calibration.cli import calibrate, main
from calibration.targets import TargetsError, load_targets

from .conftest import tiny_targets, write_yaml

SMALL = {"budget": 8, "seeds": 1, "scorecard_seeds": 2, "backend": "serial", "progress": False}


def _fit(tmp_path, name, doc, **changes):
    targets = load_targets(write_yaml(tmp_path / f"{name}.yaml", doc), check_scenario=False)
    if "fit_until" in changes:
        targets = targets.with_fit_until(changes.pop("fit_until"))
    return calibrate(targets, out=tmp_path / name, **SMALL, **changes)


def test_a_poisoned_holdout_target_does_not_move_the_fit(tmp_path):
    honest = _fit(tmp_path, "honest", tiny_targets(), abc=4)
    poisoned_doc = tiny_targets({"growth": 1e6})  # `growth` is held out by its role
    poisoned_doc["targets"]["growth"]["tolerance"] = {"absolute": 1e-6}
    poisoned = _fit(tmp_path, "poisoned", poisoned_doc, abc=4)
    assert poisoned.params == honest.params
    assert poisoned.loss == honest.loss
    pd.testing.assert_frame_equal(poisoned.history, honest.history)
    pd.testing.assert_frame_equal(poisoned.intervals, honest.intervals)  # Laplace and ABC alike
    # the poison did reach the scorecard: there, and only there, the held-out target is judged
    card = poisoned.card.set_index("target")
    assert card.loc["growth", "verdict"] == "FAIL" and card.loc["growth", "role"] == "holdout"


def test_a_poisoned_target_after_the_fitting_period_does_not_move_the_fit(tmp_path):
    honest = _fit(tmp_path, "honest", tiny_targets(), fit_until="2018")
    poisoned = _fit(tmp_path, "poisoned", tiny_targets({"settled": 1.0}), fit_until="2018")
    assert poisoned.params == honest.params
    pd.testing.assert_frame_equal(poisoned.history, honest.history)
    card = poisoned.card.set_index("target")
    assert card.loc["settled", "held_out_by"] == "date" and not card.loc["settled", "seen_by_fit"]
    assert card.loc["settled", "verdict"] == "FAIL"
    # and the unpoisoned fit differs from one that sees the 2019 figure: the split is what kept it out
    sees_all = _fit(tmp_path, "all", tiny_targets())
    assert sees_all.params != honest.params


def test_temporal_validation_is_one_command(tmp_path, capsys):
    targets = write_yaml(tmp_path / "t.yaml", tiny_targets())
    out = tmp_path / "out"
    argv = ["fit", str(targets), "--fit-until", "2018", "--out", str(out), "--budget", "8", "--seeds", "1"]
    assert main([*argv, "--scorecard-seeds", "2", "--backend", "serial", "--quiet"]) == 0
    fit = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    assert fit["fit_until"] == "2018-12"
    assert fit["fit_targets"] == ["formal"]
    assert fit["holdout_targets"] == {"settled": "date", "growth": "role"}
    text = (out / "scorecard.md").read_text(encoding="utf-8")
    fitted, held = text.split("## Held-out targets")
    assert "| formal |" in fitted and "| settled |" in held and "date (after the fit period)" in held
    assert "fitting period up to 2018-12" in text
    card = pd.read_csv(out / "scorecard.csv").set_index("target")
    assert card["seen_by_fit"].to_dict() == {"settled": False, "formal": True, "growth": False}


def test_a_split_that_leaves_nothing_to_fit_is_refused(tmp_path):
    doc = tiny_targets()
    doc["split"] = {"fit_until": "2017-06"}
    with pytest.raises(TargetsError) as info:
        load_targets(write_yaml(tmp_path / "t.yaml", doc), check_scenario=False)
    assert "no fit target ends by 2017-06" in str(info.value) and "formal: 2018-12" in str(info.value)
    doc["split"] = {"fit_until": "2018-6"}
    with pytest.raises(TargetsError, match="neither YYYY nor YYYY-MM"):
        load_targets(write_yaml(tmp_path / "t.yaml", doc), check_scenario=False)


def test_a_split_declared_in_the_file_holds_out_by_date(tmp_path):
    doc = tiny_targets()
    doc["split"] = {"fit_until": "2018-12"}
    targets = load_targets(write_yaml(tmp_path / "t.yaml", doc), check_scenario=False)
    assert list(targets.fit_targets()) == ["formal"]
    assert targets.held_out_by("settled") == "date" and targets.held_out_by("growth") == "role"
