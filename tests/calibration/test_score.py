"""`python -m calibration score`: the scorecard of a saved preset, without fitting."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from calibration.cli import main

from .conftest import NINGBO_TARGETS, REFORM, ROOT, tiny_targets, write_yaml

CALIBRATED = ROOT / "scenarios" / "calibrated" / "ningbo-2019-reform-calibrated.yaml"


def test_score_writes_means_standard_errors_and_verdicts(tmp_path, capsys):
    targets = write_yaml(tmp_path / "t.yaml", tiny_targets())
    out = tmp_path / "out"
    argv = ["score", str(targets), "--scenario", str(REFORM), "--seeds", "3", "--agents", "1000", "--out", str(out)]
    assert main([*argv, "--backend", "serial", "--quiet"]) == 0
    card = pd.read_csv(out / "scorecard.csv").set_index("target")
    values = pd.read_csv(out / "values.csv")
    assert len(values) == 3 * 3 and sorted(values["seed"].unique()) == [1000, 1001, 1002]
    settled = values.loc[values["target"] == "settled", "value"]
    assert card.loc["settled", "fitted"] == settled.mean()
    assert abs(card.loc["settled", "se"] - settled.std(ddof=1) / 3**0.5) < 1e-6 * settled.mean()
    assert set(card["verdict"]) <= {"PASS", "FAIL", "UNDETERMINED"}
    info = json.loads((out / "score.json").read_text(encoding="utf-8"))
    assert info["scorecard_seeds"] == [1000, 1001, 1002] and info["agents"] == 1000 and "commit" in info
    printed = capsys.readouterr().out
    assert "## Fitted targets: seen by the fit" in printed and "## Held-out targets" in printed


def test_score_the_calibrated_ningbo_preset_at_a_small_size(tmp_path):
    out = tmp_path / "out"
    argv = ["score", str(NINGBO_TARGETS), "--scenario", str(CALIBRATED), "--seeds", "2", "--agents", "2000"]
    assert main([*argv, "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    text = (out / "scorecard.md").read_text(encoding="utf-8")
    assert "2 free parameters against 2 fitted figures: the fit can match the fitted figures by construction" in text
    card = pd.read_csv(out / "scorecard.csv").set_index("target")
    assert list(card.index[card["seen_by_fit"]]) == ["settled_2019_reform", "growth_on_2018"]
    assert card.loc["share_aged_18_34", "held_out_by"] == "role"
    assert (card["seeds"] == 2).all() and card["se"].notna().all()


def test_a_missing_preset_or_no_seeds_is_a_clear_error(tmp_path, capsys):
    targets = write_yaml(tmp_path / "t.yaml", tiny_targets())
    out = tmp_path / "out"
    assert main(["score", str(targets), "--scenario", str(tmp_path / "nope.yaml"), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml: file not found" in err and "Traceback" not in err
    assert not out.exists()  # nothing written for a command that failed before running
    with pytest.raises(SystemExit):
        main(["score", str(targets), "--seeds", "0", "--out", str(out)])
    assert "expected a whole number of at least 1, got 0" in capsys.readouterr().err
