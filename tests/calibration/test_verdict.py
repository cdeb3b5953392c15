"""The verdict rule on constructed means and standard errors: pure arithmetic, all three outcomes."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

from calibration import verdict
from calibration.scorecard import scorecard
from calibration.targets import load_targets
from calibration.verdict import FAIL, PASS, UNDETERMINED, decide, standard_error

from .conftest import tiny_targets, write_yaml


@pytest.mark.parametrize(
    ("error", "se", "width", "expected"),
    [
        (0.010, 0.005, 0.03, PASS),  # 0.010 + 0.010 ≤ 0.03
        (-0.020, 0.005, 0.03, PASS),  # the sign of the error does not matter
        (0.020, 0.005, 0.03, PASS),  # 0.020 + 0.010 = 0.03: on the edge, inside
        (0.100, 0.005, 0.03, FAIL),  # 0.100 − 0.010 > 0.03
        (-0.100, 0.005, 0.03, FAIL),
        (-0.018, 0.013, 0.03, UNDETERMINED),  # Ningbo's growth of record: 0.018 + 0.026 > 0.03 > 0.018 − 0.026
        (0.040, 0.005, 0.03, UNDETERMINED),  # 0.040 − 0.010 = 0.03: not outside
        (0.0, 0.02, 0.03, UNDETERMINED),  # exactly right on average, but too noisy to say
    ],
)
def test_three_outcomes(error, se, width, expected):
    assert decide(error, se, width, 10).verdict == expected


def test_undetermined_says_how_many_seeds_would_decide():
    # sd of one seed = 0.013 × √10 ≈ 0.0411; the gap to the edge is 0.012: 2 × 0.0411 / √m < 0.012 → m ≥ 47
    found = decide(-0.018, 0.013, 0.03, 10)
    assert found == verdict.Verdict(UNDETERMINED, 47)
    sd = 0.013 * math.sqrt(10)
    assert 2 * sd / math.sqrt(47) < 0.012 <= 2 * sd / math.sqrt(46)
    # with that many seeds (the same spread, the same mean) the verdict is decided: a pass
    assert decide(-0.018, sd / math.sqrt(47), 0.03, 47).verdict == PASS
    # beyond the edge it is decided as a failure
    beyond = decide(0.045, 0.013, 0.03, 10)
    assert beyond.verdict == UNDETERMINED
    assert decide(0.045, sd / math.sqrt(beyond.seeds_to_decide), 0.03, beyond.seeds_to_decide).verdict == FAIL


def test_decided_and_degenerate_cases_name_no_seeds():
    assert decide(0.0, 0.001, 0.03, 10).seeds_to_decide is None
    assert decide(0.5, 0.001, 0.03, 10).seeds_to_decide is None
    one_seed = decide(0.0, float("nan"), 0.03, 1)
    assert one_seed == verdict.Verdict(UNDETERMINED, None)  # one seed: no standard error, no verdict
    assert decide(0.03, 0.01, 0.03, 10) == verdict.Verdict(UNDETERMINED, None)  # on the edge: no seed count decides
    assert decide(float("nan"), 0.01, 0.03, 10).verdict == FAIL  # the model gives no figure


def test_standard_error():
    assert standard_error(np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)
    assert math.isnan(standard_error(np.array([1.0])))
    assert standard_error(np.array([1.0, np.nan, 3.0])) == pytest.approx(1.0)


def test_docstring_examples():
    failures, tried = doctest.testmod(verdict, raise_on_error=False)
    assert tried >= 3 and failures == 0


def test_scorecard_applies_the_rule_to_each_target(tmp_path):
    """Constructed per-seed values: one target passes, one fails, one is undetermined."""
    targets = load_targets(write_yaml(tmp_path / "t.yaml", tiny_targets()), check_scenario=False)
    offsets = np.array([-1.5, -0.5, 0.5, 1.5])  # mean 0, sample sd 1.291, se 0.645 over 4 seeds
    per_seed = {
        "settled": 12727 * 1.01 + 10 * offsets,  # +1% ± 6 persons against ±5%: PASS
        "formal": 0.30 + 0.001 * offsets,  # +0.05 against ±0.01: FAIL
        "growth": 1.4 + 0.1 * offsets,  # +0.4 ± 0.065 against ±0.5: 0.4 + 0.13 > 0.5 > 0.4 − 0.13
    }
    values = pd.DataFrame([{"seed": s, "target": t, "value": v[s]} for t, v in per_seed.items() for s in range(4)])
    card = scorecard(values, targets).set_index("target")
    assert card.loc["settled", "verdict"] == PASS and bool(card.loc["settled", "passed"])
    assert card.loc["formal", "verdict"] == FAIL and not bool(card.loc["formal", "passed"])
    assert card.loc["growth", "verdict"] == UNDETERMINED and not bool(card.loc["growth", "passed"])
    assert card.loc["growth", "se"] == pytest.approx(0.1 * np.std(offsets, ddof=1) / 2)
    assert card.loc["growth", "seeds_to_decide"] == decide(0.4, card.loc["growth", "se"], 0.5, 4).seeds_to_decide
    assert not bool(card.loc["growth", "seen_by_fit"]) and card.loc["growth", "held_out_by"] == "role"
