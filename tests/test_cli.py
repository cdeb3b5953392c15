"""The command line as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.cli import main
from tests.conftest import FIXTURES, ROOT


def test_run_writes_tables_and_manifest(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        [
            "run",
            str(FIXTURES / "two-cities-points.yaml"),
            "--agents",
            "800",
            "--months",
            "7",
            "--seed",
            "4",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert status == 0
    for name in ("monthly.csv", "rounds.csv", "settlers.csv", "manifest.json"):
        assert (out / name).is_file(), name
    monthly = pd.read_csv(out / "monthly.csv")
    assert len(monthly) == 7 * 2
    assert set(monthly["city"]) == {"alpha", "beta"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 4 and manifest["months"] == 7
    assert manifest["agents"] == 800  # exactly the rows asked for, over two cities
    assert len(manifest["scenario_sha256"]) == 64
    assert "settled" in capsys.readouterr().out


def test_run_parquet(tmp_path):
    status = main(
        [
            "run",
            str(FIXTURES / "two-cities-points.yaml"),
            "--agents",
            "500",
            "--months",
            "3",
            "--format",
            "parquet",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert status == 0
    assert len(pd.read_parquet(tmp_path / "monthly.parquet")) == 6


def test_validate_reports_errors_and_exits_1(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: broken\ntitle: {zh: 坏, en: Broken}\nextends: "
        + str(ROOT / "scenarios/base/china-migrants.yaml")
        + "\nsourse: x\nmonths: -3\n",
        encoding="utf-8",
    )
    assert main(["validate", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "broken.yaml:4: 'sourse': unknown key 'sourse'. Hint: did you mean 'source'?" in err
    assert "broken.yaml:5: 'months'" in err
    assert main(["validate", str(FIXTURES / "two-cities-points.yaml")]) == 0


def test_python_dash_m_entry_point(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(ROOT / "scenarios/ningbo/ningbo-2019-reform.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ok (ningbo-2019-reform" in done.stdout


def test_compare_help_writes_the_band_as_a_reader_does(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "90 % band" in text and "%%" not in text


def test_run_reports_the_agents_asked_for_over_three_cities(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["run", "city-size-tiers", "--agents", "50000", "--months", "1", "--seed", "1", "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["agents"] == 50_000
    assert "50,000 agents" in capsys.readouterr().out
