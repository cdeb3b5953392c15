"""Every preset in scenarios/ validates and runs a short, small simulation."""

from __future__ import annotations

import pytest

from sim.model import SettlementModel
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS

PRESETS = sorted(SCENARIOS.rglob("*.yaml"))


def test_presets_exist():
    assert len(PRESETS) >= 3


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_preset_validates_and_runs(path):
    scenario = load_scenario(path)
    assert scenario.title.zh and scenario.title.en and scenario.source
    result = SettlementModel.from_scenario(scenario, agents=600, seed=1, months=24).run()
    assert len(result.monthly) == 24 * len(scenario.cities)
    assert (result.monthly["migrants"] >= 0).all()
