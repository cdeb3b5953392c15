"""The model's verdict-only path agrees with the full evaluation that ``sim check`` explains."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.months import month_index, month_label
from sim.population import MIGRANT
from sim.rules.channels import channel_verdicts, evaluate_route
from sim.rules.context import RuleContext
from sim.rules.counting import History, count_ok, evaluate_count
from sim.scenario import load_scenario, resolve_timeline
from sim.scenario.schema import CountRule
from sim.synthesis import synthesize
from tests.conftest import FIXTURES, SCENARIOS
from tests.rules.test_kernel import assert_kernel_equals_arrays

T = month_index(2020, 3)
WORDS = st.integers(0, 2**64 - 1)


@settings(max_examples=300, deadline=None)
@given(
    lo=WORDS,
    hi=WORDS,
    back_lo=WORDS,
    back_hi=WORDS,
    months=st.integers(1, 128),
    window_extra=st.one_of(st.none(), st.integers(0, 127)),
    continuous=st.booleans(),
    cap=st.integers(0, 5),
    counted_from=st.one_of(st.none(), st.integers(T - 140, T)),
)
def test_count_ok_equals_evaluate_count(lo, hi, back_lo, back_hi, months, window_extra, continuous, cap, counted_from):
    back_lo &= lo  # back-paid months are paid months
    back_hi &= hi
    history = History(
        np.array([lo], np.uint64),
        np.array([hi], np.uint64),
        np.array([back_lo], np.uint64),
        np.array([back_hi], np.uint64),
        np.array([bin(lo).count("1") + bin(hi).count("1")], np.int16),
    )
    since = None if counted_from is None else month_label(counted_from)
    if continuous:
        rule = CountRule(count="continuous", months=months, back_paid_max=cap, counted_from=since)
    else:
        window = None if window_extra is None else min(months + window_extra, 128)
        rule = CountRule(count="cumulative", months=months, window=window, counted_from=since)
    assert count_ok(rule, history, T)[0] == evaluate_count(rule, history, T).ok[0]


PRESETS = [*sorted(SCENARIOS.rglob("*.yaml")), FIXTURES / "two-cities-points.yaml"]


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_channel_verdicts_equal_route_by_route_evaluation(path):
    scenario = load_scenario(path)
    synthesis = synthesize(scenario, 2000, seed=4)
    pop = synthesis.population
    for city_index, city in enumerate(scenario.cities.values()):
        rows = np.flatnonzero((pop.status == MIGRANT) & (pop.city == city_index))
        for period in resolve_timeline(city.rules):
            month = max(period.start_month, scenario.start)
            for _, channel in period.channels():
                ctx = RuleContext(pop, month, synthesis.regions, rows=rows)
                eligible, _ = channel_verdicts(channel, ctx)
                explained = np.zeros(len(rows), bool)
                for name, route in channel.routes.items():
                    explained |= evaluate_route(name, route, RuleContext(pop, month, synthesis.regions, rows=rows)).ok
                np.testing.assert_array_equal(eligible, explained)
            assert_kernel_equals_arrays(period, pop, month, synthesis.regions)
