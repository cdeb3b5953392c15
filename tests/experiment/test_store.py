"""The results store: interrupted sweeps resume without recomputing; failures are kept apart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import sim.experiment.runs as runs_module
from sim import experiment
from sim.experiment import RunSpec, RunStore
from tests.conftest import ROOT
from tests.experiment.conftest import TWO_CITIES

PARAM = "behaviour.intention.application_rate"


def _specs(values, seeds=(0, 1)):
    return [
        RunSpec(str(TWO_CITIES), seed=seed, agents=300, months=6, overrides={PARAM: value})
        for value in values
        for seed in seeds
    ]


def _mtimes(store: RunStore) -> dict[str, float]:
    return {key: (store.runs / key / "manifest.json").stat().st_mtime_ns for key in store.finished_keys()}


def test_rerun_skips_finished_runs(store_dir, monkeypatch):
    first = experiment.run(_specs([0.05]), backend="serial", store=store_dir, progress=False)
    assert len(first.executed) == 2
    store = RunStore(store_dir)
    before = _mtimes(store)

    calls = []
    real = runs_module.SettlementModel.from_scenario

    def counting(*args, **kwargs):
        calls.append(kwargs["seed"])
        return real(*args, **kwargs)

    monkeypatch.setattr(runs_module.SettlementModel, "from_scenario", counting)
    full = experiment.run(_specs([0.05, 0.08]), backend="serial", store=store_dir, progress=False)
    assert full.runs["status"].tolist() == ["stored", "stored", "executed", "executed"]
    assert len(calls) == 2  # only the two new runs ran
    after = _mtimes(store)
    assert {k: after[k] for k in before} == before  # finished runs were not rewritten
    assert len(after) == 4
    # Stored runs read back equal what was computed.
    again = experiment.run(_specs([0.05, 0.08]), backend="serial", store=store_dir, progress=False)
    assert again.executed == [] and len(calls) == 2
    pd.testing.assert_frame_equal(again.monthly, full.monthly)
    pd.testing.assert_frame_equal(again.settlers, full.settlers)
    pd.testing.assert_frame_equal(again.rounds, full.rounds)


def test_a_failing_run_is_recorded_and_the_others_finish(store_dir):
    specs = _specs([0.05, 7.5, 0.08])  # an application rate of 7.5 is out of [0, 1]: the schema rejects it
    result = experiment.run(specs, backend="serial", store=store_dir, progress=False)
    assert result.runs["status"].tolist() == ["executed", "executed", "failed", "failed", "executed", "executed"]
    assert result.failures["error"].str.contains(PARAM.split(".")[-1]).all()
    assert set(result.monthly["run"]) == set(result.executed)
    log = RunStore(store_dir).failures()
    assert len(log) == 2
    assert log["spec"].map(lambda s: s["overrides"][PARAM]).tolist() == [7.5, 7.5]
    # A rerun retries the failures (they fail again) and recomputes nothing else.
    rerun = experiment.run(specs, backend="serial", store=store_dir, progress=False)
    assert rerun.runs["status"].tolist() == ["stored", "stored", "failed", "failed", "stored", "stored"]


def test_an_exception_inside_a_run_is_recorded_with_its_traceback(store_dir, monkeypatch):
    real = runs_module.SettlementModel.from_scenario

    def broken_for_seed_one(*args, **kwargs):
        if kwargs["seed"] == 1:
            raise RuntimeError("engine exploded")
        return real(*args, **kwargs)

    monkeypatch.setattr(runs_module.SettlementModel, "from_scenario", broken_for_seed_one)
    result = experiment.run(_specs([0.05], seeds=(0, 1, 2)), backend="serial", store=store_dir, progress=False)
    assert result.runs["status"].tolist() == ["executed", "failed", "executed"]
    assert result.failures["error"].tolist() == ["RuntimeError: engine exploded"]
    line = json.loads((store_dir / "failures.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert "engine exploded" in line["traceback"] and line["spec"]["seed"] == 1
    monkeypatch.setattr(runs_module.SettlementModel, "from_scenario", real)
    fixed = experiment.run(_specs([0.05], seeds=(0, 1, 2)), backend="serial", store=store_dir, progress=False)
    assert fixed.runs["status"].tolist() == ["stored", "executed", "stored"]
    assert RunStore(store_dir).failures().empty  # the failure is resolved


def test_partial_directories_are_not_finished_runs(store_dir):
    store = RunStore(store_dir)
    (store.partial / "abc-1234").mkdir()
    (store.partial / "abc-1234" / "monthly.parquet").write_bytes(b"half")
    (store.runs / "def").mkdir()  # a directory without its manifest is not a finished run
    assert store.finished_keys() == []
    assert not store.has("abc") and not store.has("def")


def test_killed_sweep_resumes_without_recomputing(tmp_path):
    """Kill a sweep in the middle (SIGKILL: no clean-up at all), rerun it, and check it completes."""
    out = tmp_path / "sweep"
    command = [
        sys.executable,
        "-m",
        "sim",
        "sweep",
        str(TWO_CITIES),
        "--param",
        f"{PARAM}=0.04,0.06,0.08",
        "--seeds",
        "10",
        "--agents",
        "1500",
        "--months",
        "12",
        "--backend",
        "serial",
        "--out",
        str(out),
        "--quiet",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = out / "runs" / "runs"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            done = [p for p in runs.glob("*/manifest.json")] if runs.is_dir() else []
            if len(done) >= 3 or process.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the sweep finished before it could be interrupted"
    store = RunStore(out / "runs")
    finished = _mtimes(store)
    assert 3 <= len(finished) < 30

    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"{30 - len(finished)} executed, {len(finished)} already stored, 0 failed" in done.stdout
    after = _mtimes(store)
    assert len(after) == 30
    assert {k: after[k] for k in finished} == finished
    runs_table = pd.read_csv(out / "runs.csv")
    assert (runs_table["status"] != "failed").all() and len(runs_table) == 30


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_experiment_result_writes_its_tables(tmp_path, fmt):
    result = experiment.run(_specs([0.05], seeds=(0,)), backend="serial", progress=False)
    written = result.write(tmp_path, fmt)
    assert {p.name for p in written} == {f"{n}.{fmt}" for n in ("runs", "monthly", "rounds", "settlers")} | {
        "manifest.json"
    }
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["package_version"] and manifest["seeds"] == [0]
    ((sha, scenario),) = manifest["scenarios"].items()
    assert len(sha) == 64 and scenario["overrides"] == {PARAM: 0.05}
    assert scenario["resolved"]["behaviour"]["intention"]["application_rate"] == 0.05
