"""The fast "held back only by gaps" verdict equals the slow reference (a filled history)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger import CounterSpec
from sim.months import month_index, month_label
from sim.population import MIGRANT
from sim.rules.channels import channel_eligible, channel_verdicts
from sim.rules.context import RuleContext
from sim.scenario import load_scenario, resolve_timeline
from sim.scenario.schema import Channel, Conditions, CountRule
from sim.synthesis import synthesize
from tests.builders import with_counters
from tests.conftest import FIXTURES

T = month_index(2019, 10)
SINCE = [T - 200, T - 129, T - 128, T - 127, T - 60, T - 1, T]
"""Dates counted from: beyond the bits, at their edge, within them."""


def rules():
    continuous = st.builds(CountRule, count=st.just("continuous"), months=st.integers(1, 128))
    cumulative = st.integers(1, 128).flatmap(
        lambda m: st.builds(
            CountRule,
            count=st.just("cumulative"),
            months=st.just(m),
            window=st.one_of(st.none(), st.integers(m, 128)),
            counted_from=st.one_of(st.none(), st.sampled_from(SINCE).map(month_label)),
        )
    )
    return st.one_of(continuous, cumulative)


POPULATION = with_counters(
    synthesize(load_scenario(FIXTURES / "two-cities-points.yaml"), 3000, seed=9).population,
    [CounterSpec(kind, True, (), since, False) for kind in ("social_insurance", "tax") for since in SINCE],
    T,
)
ROWS = np.flatnonzero(POPULATION.status == MIGRANT)


@settings(max_examples=60, deadline=None)
@given(si=rules(), tax=st.one_of(st.none(), rules()), education=st.sampled_from([None, "college"]))
def test_filled_verdict_equals_a_filled_history(si, tax, education):
    channel = Channel(routes={"r": Conditions(social_insurance=si, tax=tax, education_min=education)})
    eligible, if_filled = channel_verdicts(channel, RuleContext(POPULATION, T, {}, rows=ROWS))
    reference = channel_eligible(channel, RuleContext(POPULATION, T, {}, rows=ROWS, filled=True))
    np.testing.assert_array_equal(if_filled, reference)
    np.testing.assert_array_equal(eligible, channel_eligible(channel, RuleContext(POPULATION, T, {}, rows=ROWS)))
    assert not (eligible & ~if_filled).any()


def test_filled_verdict_on_every_fixture_channel():
    scenario = load_scenario(FIXTURES / "two-cities-points.yaml")
    for period in resolve_timeline(scenario.cities["alpha"].rules):
        for _, channel in period.channels():
            if not channel.routes:
                continue
            _, if_filled = channel_verdicts(channel, RuleContext(POPULATION, T, {"delta": 0}, rows=ROWS))
            reference = channel_eligible(channel, RuleContext(POPULATION, T, {"delta": 0}, rows=ROWS, filled=True))
            np.testing.assert_array_equal(if_filled, reference)
