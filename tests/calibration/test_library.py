"""A fit writes only under --out; --save publishes the preset and the results of record together, stamped."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml

from calibration import cli
from calibration.library import targets_sha256
from calibration.targets import load_targets
from sim import provenance
from sim.scenario import load_scenario

from .conftest import ROOT, tiny_targets, write_yaml

FIT = ["--budget", "8", "--seeds", "1", "--scorecard-seeds", "2", "--backend", "serial", "--quiet"]


def _status() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.skipif(
    shutil.which("git") is None or provenance.git_state()["commit"] == provenance.UNKNOWN, reason="needs a git clone"
)
def test_a_fit_without_save_leaves_the_tree_as_it_was(tmp_path):
    before = _status()
    targets = write_yaml(tmp_path / "t.yaml", tiny_targets())
    out = tmp_path / "out"
    assert cli.main(["fit", str(targets), "--out", str(out), *FIT]) == 0
    assert _status() == before  # no tracked file changed, no file appeared in the repository
    assert (out / "ningbo-2019-reform-calibrated.yaml").is_file() and (out / "scorecard.md").is_file()


def test_save_publishes_preset_and_results_together_stamped(tmp_path, monkeypatch):
    calibrated, results = tmp_path / "scenarios" / "calibrated", tmp_path / "results"
    monkeypatch.setattr(cli, "CALIBRATED_DIR", calibrated)
    monkeypatch.setattr(cli, "RESULTS_DIR", results)
    targets_path = write_yaml(tmp_path / "t.yaml", tiny_targets())
    assert cli.main(["fit", str(targets_path), "--out", str(tmp_path / "out"), *FIT, "--save"]) == 0
    preset = calibrated / "ningbo-2019-reform-calibrated.yaml"
    published = results / "tiny"
    assert sorted(p.name for p in published.iterdir()) == [
        "fit.json",
        "parameters.csv",
        "scorecard.csv",
        "scorecard.md",
        "values.csv",
    ]
    fit = json.loads((published / "fit.json").read_text(encoding="utf-8"))
    state = provenance.git_state()
    sha = targets_sha256(load_targets(targets_path, check_scenario=False))
    assert (fit["commit"], fit["dirty"]) == (state["commit"], state["dirty"])
    assert fit["targets_sha256"] == sha and len(sha) == 64
    assert fit["fit_seeds"] == [0] and fit["scorecard_seeds"] == [1000, 1001]
    assert fit["code_sha256"] == provenance.code_sha256()
    text = preset.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    stamp = f"commit {state['commit']}"
    assert any(stamp in line and sha in line and "fit seeds 0" in line for line in header)
    source = yaml.safe_load(text)["source"]
    assert str(published / "scorecard.md") in source and sha in source and "scorecard seeds 1000–1001" in source
    scenario = load_scenario(preset)
    assert scenario.behaviour.intention.application_rate == pytest.approx(
        fit["params"]["behaviour.intention.application_rate"]
    )
    assert fit["saved"]["scenario"].endswith("ningbo-2019-reform-calibrated.yaml")
