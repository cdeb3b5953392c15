"""Region ledgers kept only for movers (sim.regions) against exact counters kept by another path."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.ledger import CounterSpec
from sim.model import SettlementModel
from sim.months import month_index
from sim.population import INACTIVE, LEFT
from sim.regions import colours
from sim.rules.counters import counted
from sim.scenario import load_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "base" / "china-migrants.yaml"
# Cities a and b form a region, c is outside it; households move often and back-pay their gaps.
# The routes count the region's months since 1950 and since the start: exact counters that the
# month's loop keeps apart from the ledgers (sim.rules.counters), so the two can be compared.
THREE_CITIES = f"""
id: three-cities
title: {{zh: 三城, en: Three cities}}
extends: {BASE}
source: "test scenario"
start: 2018-01
months: 30
regions:
  ab: [a, b]
cities:
  example: null
  a: &city
    name: {{zh: 甲, en: A}}
    migrants: 100000
    inflow_per_month: 800
    rules:
      - from: 2018-01-01
        source: "test"
        back_payment: {{allowed: true, window_months: 6}}
        channels:
          residence_employment:
            routes:
              long:
                social_insurance: {{count: cumulative, months: 400, recognised_in: [ab], counted_from: 1950-01}}
              recent:
                social_insurance: {{count: cumulative, months: 400, recognised_in: [ab], counted_from: 2018-01}}
  b: *city
  c: *city
behaviour:
  move_city_rate: 0.05
  back_payment_rate: 0.5
"""


def test_movers_region_ledgers_match_the_exact_counts(tmp_path):
    path = tmp_path / "three-cities.yaml"
    path.write_text(THREE_CITIES, encoding="utf-8")
    scenario = load_scenario(path)
    model = SettlementModel.from_scenario(scenario, agents=3000, seed=3)
    model.run()
    pop, store = model.population, model.region_store
    rows = np.flatnonzero((pop.status != INACTIVE) & (pop.status != LEFT))
    moved = store.row[rows] >= 0
    assert moved.sum() > 300  # many persons carry region ledgers of their own
    ledger = store.ledger(pop, 0, rows)
    since_1950 = counted(pop, CounterSpec("social_insurance", False, (0,), month_index(1950, 1), False))[rows]
    np.testing.assert_array_equal(ledger.lifetime, since_1950)
    # The months since the start are the ledger's newest bits (bit 0: the last month closed).
    since_start = counted(pop, CounterSpec("social_insurance", False, (0,), scenario.start, False))[rows]
    bits = np.bitwise_count(ledger.lo & np.uint64((1 << scenario.months) - 1))
    np.testing.assert_array_equal(bits, since_start)
    assert since_start[moved].sum() > 0


def test_regions_named_by_one_city_get_different_colours():
    named = [{0, 1}, {1, 2}, {3}, set()]
    colour = colours(named, 4)
    assert colour[0] != colour[1] and colour[1] != colour[2]
    assert colour[3] == 0  # named alone: it shares the first colour
    assert colours([{0}, {1}, {2}], 3).tolist() == [0, 0, 0]
