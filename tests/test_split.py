"""A run split into parts by city, passing movers between them, gives the whole run's tables (sim.split)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import ScenarioError
from sim.model import SettlementModel
from sim.population import ABSENT
from sim.scenario import load_scenario
from sim.split import run_split
from sim.synthesis import synthesize

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base" / "china-migrants.yaml"

# Persons settle alone (no dependants follow) and households move often, so households leave
# settled members behind: a head may then join a spouse who settled in another part's city.
KIN_ELSEWHERE = f"""
id: kin-elsewhere
title: {{zh: 分开落户, en: Kin settled elsewhere}}
extends: {BASE}
source: "test scenario"
start: 2018-01
months: 30
cities:
  example: null
  east: &city
    name: {{zh: 东城, en: East}}
    migrants: 100000
    inflow_per_month: 500
    rules:
      - from: 2018-01-01
        source: "test"
        channels:
          open: {{dependants: [], routes: {{resident: {{residence_months_min: 60}}}}}}
          family: {{dependants: [], routes: {{spouse: {{joins: spouse}}}}}}
  west: *city
  north: *city
behaviour:
  move_city_rate: 0.03
"""


def assert_same_run(scenario, groups, agents, seed, months):
    whole = SettlementModel.from_scenario(scenario, agents=agents, seed=seed, months=months).run()
    split = run_split(scenario, groups, agents=agents, seed=seed, months=months)
    for table in ("monthly", "rounds", "settlers"):
        pd.testing.assert_frame_equal(getattr(whole, table), getattr(split, table), obj=table)
    assert split.manifest["agents"] == whole.manifest["agents"]
    return split


def test_two_parts_exchanging_movers_give_the_whole_runs_tables():
    # Two cities in a recognition region: points rounds, back payment, a grandfathered reform in 2021.
    scenario = load_scenario(ROOT / "benchmarks" / "engine-scenario.yaml", {"months": 42})
    split = assert_same_run(scenario, [["metro"], ["satellite"]], agents=4000, seed=2, months=42)
    assert split.manifest["exchanged_movers"] > 50
    assert len(split.rounds) == 7  # June and December rounds of the metro alone


def test_settled_relatives_travel_with_the_movers(tmp_path):
    path = tmp_path / "kin-elsewhere.yaml"
    path.write_text(KIN_ELSEWHERE, encoding="utf-8")
    scenario = load_scenario(path)
    split = assert_same_run(scenario, [["east"], ["west", "north"]], agents=3000, seed=4, months=30)
    assert split.manifest["exchanged_relatives"] > 0
    assert split.settlers["channel"].eq("family").any()


def test_each_part_holds_only_its_cities_rows():
    scenario = load_scenario(ROOT / "benchmarks" / "engine-scenario.yaml", {"months": 3})
    part = SettlementModel(scenario, synthesize(scenario, 500, 1), seed=1, months=3, cities=["satellite"])
    in_metro = part.population.city == list(scenario.cities).index("metro")
    assert in_metro.any()
    assert np.all(part.population.status[in_metro] == ABSENT)
    assert not np.any(part.population.status[~in_metro] == ABSENT)
    part.run()
    assert set(part._monthly_table()["city"]) == {"satellite"}


def test_groups_must_name_every_city_once():
    scenario = load_scenario(ROOT / "benchmarks" / "engine-scenario.yaml", {"months": 2})
    with pytest.raises(ScenarioError) as caught:
        run_split(scenario, [["metro"], ["metro", "harbour"]], agents=200)
    message = str(caught.value)
    assert "not in any group: ['satellite']" in message
    assert "not cities of the scenario: ['harbour']" in message
    assert "in more than one group: ['metro']" in message
