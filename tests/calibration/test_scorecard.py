from __future__ import annotations

import json

import pandas as pd

from calibration.fit import save_scenario
from calibration.scorecard import COLUMNS, construction_note, render_markdown, scorecard, write_scorecard
from calibration.targets import load_targets
from sim.scenario import load_scenario

from .conftest import REFORM, tiny_targets, write_yaml


def _card(tmp_path):
    targets = load_targets(write_yaml(tmp_path / "t.yaml", tiny_targets()), check_scenario=False)
    values = pd.DataFrame(
        [
            {"seed": s, "target": t, "value": v}
            for s in range(4)
            for t, v in {"settled": 12727 * (1 + 0.01 * s), "formal": 0.30, "growth": 3.0}.items()
        ]
    )
    return targets, scorecard(values, targets)


def test_scorecard_columns_and_verdicts(tmp_path):
    _, card = _card(tmp_path)
    assert list(card.columns[: len(COLUMNS)]) == COLUMNS
    row = card.set_index("target")
    assert row.loc["settled", "verdict"] == "PASS"  # mean +1.5% ± 0.6% within ±5%
    assert row.loc["formal", "verdict"] == "FAIL"  # 0.30 vs 0.25 ± 0.01
    assert row.loc["growth", "verdict"] == "FAIL"
    assert row.loc["formal", "se"] == 0.0
    assert row.loc["settled", "low"] < row.loc["settled", "fitted"] < row.loc["settled", "high"]
    assert row.loc["growth", "role"] == "holdout"


def test_scorecard_files(tmp_path):
    _, card = _card(tmp_path)
    intervals = pd.DataFrame(
        [
            {
                "parameter": "a.b",
                "fitted": 1.0,
                "low": 0.5,
                "high": 2.0,
                "method": "laplace",
                "identified": False,
                "note": "x",
            }
        ]
    )
    md = render_markdown(
        card, intervals, ["parameter a.b is not identified"], title="t", notes=["n"], free_parameters=2
    )
    csv, path = write_scorecard(tmp_path / "out", card, md)
    assert list(pd.read_csv(csv).columns[: len(COLUMNS)]) == COLUMNS
    text = path.read_text(encoding="utf-8")
    fitted, held = text.split("## Held-out targets")
    assert "| settled | 12,727 | 12,918 ± 82 |" in fitted and "| growth |" not in fitted
    assert "| growth | 1.000 | 3.000 ± 0.000 |" in held and "its role (`use: holdout`)" in held
    assert "not identified" in text and "## Fitted targets: seen by the fit (2; PASS 1, FAIL 1, UNDETERMINED 0)" in text
    # two free parameters against two fitted figures: the scorecard says so in words
    assert "2 free parameters against 2 fitted figures: the fit can match the fitted figures by construction" in text
    assert "They are not validation" in text


def test_the_construction_note_counts_parameters_and_figures():
    assert "by construction" in construction_note(3, 2)
    assert "by construction" not in construction_note(1, 3) and "2 degrees of freedom left" in construction_note(1, 3)


def test_calibrated_scenario_extends_and_loads(tmp_path):
    intervals = pd.DataFrame(
        [
            {
                "parameter": "cities.ningbo.migrants",
                "fitted": 2e6,
                "low": 1.9e6,
                "high": 2.1e6,
                "method": "laplace",
                "identified": True,
                "note": "",
            }
        ]
    )
    path = save_scenario(
        tmp_path / "calibrated" / "x-calibrated.yaml",
        base=str(REFORM),
        base_id="ningbo-2019-reform",
        base_title=("宁波2019户口新政", "Ningbo 2019 reform"),
        overrides={"cities.ningbo.migrants": 2000000, "behaviour.intention.application_rate": 0.03},
        intervals=intervals,
        targets_path="t.yaml",
        scorecard_path="scorecard.md",
        summary="settled: pass",
    )
    scenario = load_scenario(path)
    assert (scenario.title.zh, scenario.title.en) == ("宁波2019户口新政（校准）", "Ningbo 2019 reform, calibrated")
    assert scenario.cities["ningbo"].migrants == 2000000
    assert scenario.behaviour.intention.application_rate == 0.03
    assert len(scenario.cities["ningbo"].rules) == len(load_scenario(REFORM).cities["ningbo"].rules)
    (reason,) = scenario.assumptions
    assert reason.reason.zh == "校准值：2e+06（90%区间 1.9e+06–2.1e+06，laplace）"
    assert reason.reason.en == "calibrated: 2e+06 (90% interval 1.9e+06–2.1e+06, laplace)"


def test_fit_command_writes_the_scorecard_at_its_own_size(tmp_path, capsys):
    """End to end on the tiny targets: fit, intervals, scorecard with its own seeds and population."""
    from calibration.cli import main

    doc = tiny_targets()
    doc["fit"] |= {"scorecard_agents": 3000}
    targets = write_yaml(tmp_path / "t.yaml", doc)
    out = tmp_path / "out"
    argv = ["fit", str(targets), "--out", str(out), "--budget", "8", "--seeds", "1", "--scorecard-seeds", "2"]
    assert main([*argv, "--backend", "serial", "--quiet"]) == 0
    text = (out / "scorecard.md").read_text(encoding="utf-8")
    assert "2 fresh seeds (1000–1001) at 3000 agents" in text
    assert "2000 agents, 24 months" in text
    card = pd.read_csv(out / "scorecard.csv")
    assert set(card["target"]) == {"settled", "formal", "growth"}
    assert "scorecard_md" in capsys.readouterr().out
    assert json.loads((out / "fit.json").read_text(encoding="utf-8"))["command"].startswith(
        f"python -m calibration fit {targets} --out {out}"
    )


def test_publish_copies_the_reports_not_the_store_and_keeps_the_other_kind(tmp_path):
    from calibration.library import FIT_REPORTS, publish

    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    (out / "runs" / "x.parquet").write_bytes(b"x")
    for name in ("scorecard.csv", "parameters.csv", "fit.json"):
        (out / name).write_text(name, encoding="utf-8")
    published = tmp_path / "results" / "tiny"
    published.mkdir(parents=True)
    (published / "sensitivity.csv").write_text("of record", encoding="utf-8")
    (published / "scorecard.md").write_text("an older fit's", encoding="utf-8")
    written = publish(out, "tiny", FIT_REPORTS, tmp_path / "results")
    assert sorted(p.name for p in written) == ["fit.json", "parameters.csv", "scorecard.csv"]
    assert (published / "fit.json").read_text(encoding="utf-8") == "fit.json"
    assert (published / "sensitivity.csv").read_text(encoding="utf-8") == "of record"  # another command's report
    assert not (published / "scorecard.md").exists()  # a fit report this fit did not write is not left stale
    assert not (published / "runs").exists()
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["tiny"]  # no temporary folder left
