"""Results are identical whichever backend ran them."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import experiment
from sim.experiment import DaskBackend, ExperimentError, ProcessPoolBackend, RunSpec, SerialBackend, make_backend
from tests.experiment.conftest import TWO_CITIES

SPECS = [RunSpec(str(TWO_CITIES), seed=seed, agents=400, months=12) for seed in (1, 2)]


@pytest.fixture(scope="module")
def serial():
    return experiment.run(SPECS, backend="serial", progress=False)


def _assert_same(result, reference):
    for name in ("monthly", "rounds", "settlers"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(reference, name), obj=name)
    pd.testing.assert_frame_equal(result.runs, reference.runs, obj="runs")
    assert result.manifest["scenarios"] == reference.manifest["scenarios"]


def test_serial_result_is_complete(serial):
    assert serial.runs["status"].tolist() == ["executed", "executed"]
    assert serial.manifest["backend"] == {"name": "serial", "workers": 1}
    assert len(serial.monthly) == 2 * 12 * 2  # runs × months × cities
    assert len(serial.rounds) == 2 * 2  # June and December of one year, per run
    assert set(serial.settlers["seed"]) == {1, 2}


def test_process_pool_gives_identical_results(serial):
    result = experiment.run(SPECS, backend=ProcessPoolBackend(workers=2), progress=False)
    _assert_same(result, serial)
    assert result.manifest["backend"]["name"] == "process"


def test_dask_local_cluster_gives_identical_results(serial):
    result = experiment.run(SPECS, backend=DaskBackend("local", workers=2), progress=False)
    _assert_same(result, serial)
    assert result.manifest["backend"]["name"] == "dask"
    assert result.manifest["backend"]["workers"] == 2
    assert "distributed" in result.manifest["versions"]


def test_results_come_back_in_spec_order_whatever_the_finishing_order(serial):
    reverse = list(reversed(SPECS))
    result = experiment.run(reverse, backend=ProcessPoolBackend(workers=2), progress=False)
    assert result.runs["seed"].tolist() == [2, 1]
    first = result.monthly[result.monthly["seed"] == 1].reset_index(drop=True)
    expected = serial.monthly[serial.monthly["seed"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, expected)


def test_make_backend():
    assert isinstance(make_backend("serial"), SerialBackend)
    assert isinstance(make_backend(None), ProcessPoolBackend)
    assert make_backend("process", workers=3).workers == 3
    dask = make_backend("process", dask="tcp://127.0.0.1:1")
    assert isinstance(dask, DaskBackend) and dask.address == "tcp://127.0.0.1:1"
    with pytest.raises(ExperimentError, match="unknown backend 'threads'"):
        make_backend("threads")


def test_serial_backend_reports_an_exception_as_that_item_failing():
    def fail_on_two(x):
        if x == 2:
            raise ValueError("two")
        return x * 10

    with SerialBackend() as backend:
        out = list(backend.map_unordered(fail_on_two, [1, 2, 3]))
    assert [(i, v) for i, v, e in out if e is None] == [(0, 10), (2, 30)]
    assert [str(e) for _, _, e in out if e is not None] == ["two"]
