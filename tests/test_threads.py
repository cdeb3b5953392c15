"""Phases split in two halves on two threads give the same run as one thread."""

from __future__ import annotations

import pandas as pd

from sim import households, phases, threads
from sim.model import SettlementModel
from sim.rules import kernel
from sim.scenario import load_scenario
from tests.conftest import FIXTURES


def _run() -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario = load_scenario(FIXTURES / "two-cities-points.yaml")
    result = SettlementModel.from_scenario(scenario, agents=2000, seed=3, months=36).run()
    return result.monthly, result.settlers


def test_two_halves_give_the_same_run(monkeypatch):
    monkeypatch.setattr(threads, "CORES", 1)
    one_thread = _run()
    monkeypatch.setattr(threads, "CORES", 2)
    monkeypatch.setattr(phases, "SPLIT_MIN", 2)
    monkeypatch.setattr(households, "SPLIT_MIN", 2)
    monkeypatch.setattr(kernel, "SPLIT_MIN", 2)
    two_threads = _run()
    assert one_thread[0]["settled"].sum() > 0
    pd.testing.assert_frame_equal(one_thread[0], two_threads[0])
    pd.testing.assert_frame_equal(one_thread[1], two_threads[1])
