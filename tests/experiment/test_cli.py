"""``python -m sim compare`` and ``python -m sim sweep`` end to end, at tiny sizes."""

from __future__ import annotations

import json

import pandas as pd

from sim.cli import main
from tests.experiment.conftest import BASELINE, CONTINUOUS, REFORM, TWO_CITIES

TINY = ["--agents", "400", "--months", "24", "--backend", "serial", "--quiet"]


def test_compare_writes_tables_and_prints_headline(tmp_path, capsys):
    out = tmp_path / "cmp"
    status = main(["compare", str(CONTINUOUS), str(REFORM), str(BASELINE), "--seeds", "3", *TINY, "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0
    assert "9 runs: 9 executed, 0 already stored, 0 failed — backend serial" in printed
    assert "ningbo-2019-reform − ningbo-2019-continuous (paired by seed, 3 seeds" in printed
    assert "ningbo-2018-baseline − ningbo-2019-continuous" in printed
    assert "settled[residence_employment]" in printed
    diffs = pd.read_csv(out / "differences.csv")
    assert set(diffs["scenario"]) == {"ningbo-2019-reform", "ningbo-2018-baseline"}
    levels = pd.read_csv(out / "levels.csv")
    assert (levels["low"] <= levels["high"]).all()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "compare" and manifest["baseline"] == "ningbo-2019-continuous"
    assert manifest["seeds"] == [0, 1, 2] and manifest["backend"]["name"] == "serial"
    assert {s["id"] for s in manifest["scenarios"].values()} == {
        "ningbo-2019-continuous",
        "ningbo-2019-reform",
        "ningbo-2018-baseline",
    }
    assert all(len(sha) == 64 for sha in manifest["scenarios"])
    assert len(list((out / "runs" / "runs").glob("*/manifest.json"))) == 9

    # Rerunning reuses every stored run.
    assert main(["compare", str(CONTINUOUS), str(REFORM), "--seeds", "3", *TINY, "--out", str(out)]) == 0
    assert "6 runs: 0 executed, 6 already stored, 0 failed" in capsys.readouterr().out


def test_sweep_grid_then_sampled_design(tmp_path, capsys):
    out = tmp_path / "sweep"
    param = "cities.alpha.rules[0].channels.points.rounds.quota_persons"
    status = main(
        ["sweep", str(TWO_CITIES), "--param", f"{param}=1500,3000,-5", "--seeds", "2", *TINY, "--out", str(out)]
    )
    printed = capsys.readouterr()
    assert status == 1  # one point has a negative quota: its runs fail, the others are kept
    assert "6 runs: 4 executed, 0 already stored, 2 failed" in printed.out
    assert "quota_persons" in printed.err
    design = pd.read_csv(out / "design.csv")
    assert design[param].tolist() == [1500, 3000, -5]
    summary = pd.read_csv(out / "summary.csv")
    total = summary.query("indicator == 'settled_all' and breakdown == 'total' and city == 'all'")
    assert total["point"].tolist() == [0, 1]
    assert total.iloc[1]["mean"] > total.iloc[0]["mean"]
    runs = pd.read_csv(out / "runs.csv")
    assert runs.groupby("point")["status"].apply(set).to_dict() == {0: {"executed"}, 1: {"executed"}, 2: {"failed"}}
    failures = (out / "runs" / "failures.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(failures) == 2

    out2 = tmp_path / "lhs"
    status = main(
        [
            "sweep",
            str(TWO_CITIES),
            "--range",
            "behaviour.intention.application_rate=0.02:0.1",
            "--range",
            "behaviour.retirement_age_female=50:60",
            "--samples",
            "3",
            "--seeds",
            "1",
            *TINY,
            "--out",
            str(out2),
            "--format",
            "parquet",
        ]
    )
    assert status == 0
    design = pd.read_parquet(out2 / "design.parquet")
    assert len(design) == 3 and design["behaviour.retirement_age_female"].between(50, 60).all()
    assert len(pd.read_parquet(out2 / "monthly.parquet")["point"].unique()) == 3


def test_sweep_without_parameters_replicates(tmp_path, capsys):
    status = main(["sweep", str(TWO_CITIES), "--seeds", "2", *TINY, "--out", str(tmp_path)])
    assert status == 0
    assert "2 runs: 2 executed" in capsys.readouterr().out


def test_compare_reports_a_bad_scenario(tmp_path, capsys):
    status = main(["compare", str(REFORM), str(tmp_path / "missing.yaml"), *TINY, "--out", str(tmp_path)])
    assert status == 1
    assert "missing.yaml" in capsys.readouterr().err
