"""Points rounds: quota, threshold, ties (DESIGN §4a "Rounds")."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.rules.admission import RoundOutcome, decide_round


def outcome(o: RoundOutcome) -> tuple[list[bool], float, int, int]:
    return o.admitted.tolist(), o.cutoff, o.tied_at_cutoff, o.over_quota_ties


@pytest.mark.parametrize(
    ("scores", "quota", "threshold", "tie_break", "expected"),
    [
        # expected = (admitted, cutoff, tied_at_cutoff, over_quota_ties)
        pytest.param([90, 80, 70, 60], 2, None, None, ([True, True, False, False], 80, 1, 0), id="quota-top-2"),
        # Input order does not matter: the same scores shuffled.
        pytest.param([70, 90, 60, 80], 2, None, None, ([False, True, False, True], 80, 1, 0), id="quota-unsorted"),
        # No quota: everyone at or above the threshold, the threshold itself included.
        pytest.param([90, 80, 70, 60], None, 70, None, ([True, True, True, False], 70, 1, 0), id="threshold-only"),
        # Quota not binding, threshold binding.
        pytest.param([90, 80, 70, 60], 5, 75, None, ([True, True, False, False], 80, 1, 0), id="threshold-under-quota"),
        # Both binding: 3 above 65, quota 2.
        pytest.param([90, 80, 70, 60], 2, 65, None, ([True, True, False, False], 80, 1, 0), id="quota-and-threshold"),
        # admit_all_tied: three applicants tied at the 2nd place → 4 admitted, 2 over quota.
        pytest.param(
            [90, 80, 80, 80, 70], 2, None, None, ([True, True, True, True, False], 80, 3, 2), id="all-tied-over-quota"
        ),
        # Tie exactly filling the quota: no one over.
        pytest.param([90, 80, 80, 70], 3, None, None, ([True, True, True, False], 80, 2, 0), id="tie-fills-quota"),
        # A tie just below the boundary does not matter.
        pytest.param([90, 80, 70, 70], 2, None, None, ([True, True, False, False], 80, 1, 0), id="tie-below-cutoff"),
        # Ties over quota but the threshold still excludes those below it.
        pytest.param([80, 80, 79], 1, 80, None, ([True, True, False], 80, 2, 1), id="ties-at-threshold"),
        # Break by item (higher first): among the 80s, key 7 wins the one remaining place.
        pytest.param(
            [90, 80, 80, 80, 70],
            2,
            None,
            [0, 5, 7, 3, 9],
            ([True, False, True, False, False], 80, 3, 0),
            id="tie-break",
        ),
        # Two places left for the 80s: keys 7 and 5.
        pytest.param(
            [90, 80, 80, 80, 70],
            3,
            None,
            [0, 5, 7, 3, 9],
            ([True, True, True, False, False], 80, 3, 0),
            id="tie-break-2",
        ),
        # Tied on the item too: both admitted, one over quota.
        pytest.param(
            [90, 80, 80, 80], 2, None, [0, 5, 5, 3], ([True, True, True, False], 80, 3, 1), id="tie-break-still-tied"
        ),
        # The tie-break item never overrides the score.
        pytest.param([80, 70], 1, None, [0, 100], ([True, False], 80, 1, 0), id="tie-break-after-score"),
        # No quota, no threshold: everyone.
        pytest.param([10, 0, -5], None, None, None, ([True, True, True], -5, 1, 0), id="no-quota-no-threshold"),
        # Negative scores are ranked like any other.
        pytest.param([-1, -3, -2], 1, None, None, ([True, False, False], -1, 1, 0), id="negative-scores"),
    ],
)
def test_decide_round(scores, quota, threshold, tie_break, expected):
    result = outcome(decide_round(np.array(scores, float), quota, threshold, tie_break))
    admitted, cutoff, tied, over = expected
    assert result == (admitted, pytest.approx(cutoff), tied, over)


def test_quota_zero_admits_nobody():
    o = decide_round(np.array([90.0, 80.0]), 0, None)
    assert o.admitted.tolist() == [False, False]
    assert math.isnan(o.cutoff)
    assert (o.tied_at_cutoff, o.over_quota_ties) == (0, 0)


def test_nobody_reaches_the_threshold():
    o = decide_round(np.array([50.0, 60.0]), 1, 70.0)
    assert o.admitted.tolist() == [False, False]
    assert math.isnan(o.cutoff)


@pytest.mark.parametrize("quota", [None, 0, 3], ids=["no-quota", "quota-0", "quota-3"])
@pytest.mark.parametrize("threshold", [None, 50.0], ids=["no-threshold", "threshold"])
def test_no_applicants(quota, threshold):
    o = decide_round(np.array([], float), quota, threshold)
    assert o.admitted.shape == (0,)
    assert o.admitted.dtype == bool
    assert math.isnan(o.cutoff)
    assert (o.tied_at_cutoff, o.over_quota_ties) == (0, 0)


def test_threshold_tolerates_float_rounding():
    # 0.7 + 0.1 = 0.7999999999999999 in binary floating point: a score summed from items
    # must not miss a threshold of 0.8 by rounding.
    scores = np.array([0.7 + 0.1, 0.79])
    o = decide_round(scores, None, 0.8)
    assert o.admitted.tolist() == [True, False]


def test_quota_larger_than_applicants():
    o = decide_round(np.array([1.0, 2.0]), 10, None)
    assert o.admitted.tolist() == [True, True]
    assert o.cutoff == pytest.approx(1.0)
    assert o.over_quota_ties == 0


def test_accepts_lists_and_integers():
    o = decide_round([3, 2, 1], 2, None)  # type: ignore[arg-type]
    assert o.admitted.tolist() == [True, True, False]
    assert o.cutoff == pytest.approx(2.0)
