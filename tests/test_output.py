"""Results reach their destination whole or not at all, and a bad destination is refused before a run."""

from __future__ import annotations

import errno
import sys
from collections import namedtuple

import pandas as pd
import pytest

import sim.experiment.compare  # noqa: F401  (the module patched below)
from sim.cli import main
from sim.destination import check_destination
from sim.errors import OutputError, ScenarioError
from sim.model import SettlementModel
from sim.results import write_tables
from sim.scenario import load_scenario
from sim.synthesis import synthesize
from tests.conftest import FIXTURES

SCENARIO = str(FIXTURES / "two-cities-points.yaml")
shutil_usage = namedtuple("usage", "total used free")


def test_a_failing_write_leaves_the_earlier_results_as_they_were(tmp_path, monkeypatch):
    write_tables(tmp_path, {"monthly": pd.DataFrame({"a": [1]}), "settlers": pd.DataFrame({"b": [1]})}, {"run": 1})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real = pd.DataFrame.to_csv

    def disk_full_on_settlers(self, path, *args, **kwargs):
        if str(path).endswith("settlers.csv"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full_on_settlers)
    with pytest.raises(OutputError, match=r"No space left on device.*left as they were"):
        write_tables(tmp_path, {"monthly": pd.DataFrame({"a": [2]}), "settlers": pd.DataFrame({"b": [2]})}, {"run": 2})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temporary folder either


def test_other_results_in_the_folder_are_kept(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "kept.txt").write_text("a sweep's store")
    write_tables(tmp_path, {"monthly": pd.DataFrame({"a": [1]})}, {})
    assert (tmp_path / "runs" / "kept.txt").read_text() == "a sweep's store"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "monthly.csv", "runs"]


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="expected a folder, found a file"):
        check_destination(tmp_path / "file")
    with pytest.raises(OutputError, match="is a file"):
        check_destination(tmp_path / "file" / "below")
    check_destination(tmp_path / "new" / "folder")  # created when written


@pytest.mark.parametrize("command", ["run", "compare"])
def test_the_destination_is_checked_before_anything_runs(tmp_path, monkeypatch, capsys, command):
    def no_run(*args, **kwargs):
        raise AssertionError("the model ran before the destination was checked")

    monkeypatch.setattr(SettlementModel, "from_scenario", no_run)
    monkeypatch.setattr(sys.modules["sim.experiment.compare"], "run", no_run)
    (tmp_path / "file").write_text("")
    scenarios = [SCENARIO] if command == "run" else [SCENARIO, SCENARIO]
    assert main([command, *scenarios, "--out", str(tmp_path / "file"), "--quiet"]) == 1
    assert "expected a folder, found a file" in capsys.readouterr().err


def test_a_misspelled_sweep_parameter_is_refused_before_any_run(tmp_path, capsys):
    param = "behaviour.intention.aplication_rate=0.03,0.06"
    assert main(["sweep", SCENARIO, "--param", param, "--out", str(tmp_path), "--backend", "serial", "--quiet"]) == 1
    assert "unknown key 'aplication_rate'. Hint: did you mean 'application_rate'?" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_agents_set_the_size_when_there_are_no_initial_migrants():
    data = load_scenario(SCENARIO).model_dump(mode="json", by_alias=True)
    for city in data["cities"].values():
        city["migrants"] = 0
        city["inflow_per_month"] = 1_000_000
    scenario = load_scenario_from(data)
    synthesis = synthesize(scenario, 200, 0)
    assert 150 <= synthesis.population.size <= 250  # the arrivals over the run are ~200 agents, not 1 per person


def test_a_scenario_without_persons_is_refused():
    data = load_scenario(SCENARIO).model_dump(mode="json", by_alias=True)
    for city in data["cities"].values():
        city["migrants"] = 0
        city["inflow_per_month"] = 0
    with pytest.raises(ScenarioError, match="expected at least one person to simulate"):
        synthesize(load_scenario_from(data), 100, 0)


def test_a_run_too_large_for_memory_is_refused_before_synthesis():
    data = load_scenario(SCENARIO).model_dump(mode="json", by_alias=True)
    for city in data["cities"].values():
        city["migrants"] = 1
        city["inflow_per_month"] = 1_000_000
    with pytest.raises(ScenarioError, match="expected at most 50,000,000 agents over the run"):
        synthesize(load_scenario_from(data), 1000, 0)


def load_scenario_from(data):
    from sim.scenario.loader import validate_scenario

    return validate_scenario(data, {}, "test")


def test_a_read_only_or_full_destination_is_refused(tmp_path, monkeypatch):
    # The tests may run as root, for whom permission bits do not apply: the checks' inputs are simulated.
    monkeypatch.setattr("sim.destination.os.access", lambda path, mode: False)
    with pytest.raises(OutputError, match=r"expected a folder that can be written, found .* read-only"):
        check_destination(tmp_path / "out")
    monkeypatch.undo()
    monkeypatch.setattr(
        "sim.destination.shutil.disk_usage", lambda path: shutil_usage(total=10**9, used=10**9, free=4096)
    )
    with pytest.raises(OutputError, match="expected at least 10 MB free, found 4,096 bytes"):
        check_destination(tmp_path / "out")


def test_an_os_error_while_a_command_runs_is_a_message(monkeypatch, capsys):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/somewhere/out")

    monkeypatch.setattr("sim.cli.load_scenario", denied)
    assert main(["run", SCENARIO, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "error: /somewhere/out: Permission denied." in err and "Traceback" not in err
