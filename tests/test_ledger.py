"""The bit layout the rules rely on (sim.ledger), checked through the test builders."""

from __future__ import annotations

import numpy as np
import pytest

from sim.ledger import BitLedger, popcount, trailing_ones, window_masks, window_masks_per_row
from tests.builders import ledger, months


@pytest.mark.parametrize(
    ("months_ago", "lo", "hi"),
    [
        pytest.param({1}, 1, 0, id="t-1-is-lo-bit-0"),
        pytest.param({64}, 1 << 63, 0, id="t-64-is-lo-bit-63"),
        pytest.param({65}, 0, 1, id="t-65-is-hi-bit-0"),
        pytest.param({128}, 0, 1 << 63, id="t-128-is-hi-bit-63"),
        # Older than 128 months: out of the bits, still in the lifetime count.
        pytest.param({129}, 0, 0, id="t-129-dropped"),
    ],
)
def test_bit_positions(months_ago, lo, hi):
    result = ledger(months_ago)
    assert (int(result.lo[0]), int(result.hi[0])) == (lo, hi)
    assert int(result.lifetime[0]) == 1


def test_advance_shifts_only_the_given_rows():
    result = ledger(months(1, 3), ())
    result.advance(np.array([0]), np.array([False]))
    # Row 0: t-2 … t-4 now; row 1 untouched.
    assert int(result.lo[0]) == 0b1110
    assert int(result.lo[1]) == 0
    assert result.lifetime.tolist() == [3, 0]


def test_mark_recent_counts_only_new_months():
    result = ledger(months(1, 3) - {2})
    result.mark_recent(np.array([0]), window_masks(4))  # back-pay t-1 … t-4; t-1 and t-3 already paid
    assert int(result.lo[0]) == 0b1111
    assert int(result.lifetime[0]) == 4


@pytest.mark.parametrize("n", [0, 1, 36, 63, 64, 65, 100, 127, 128, 200])
def test_window_masks_select_the_last_n_months(n):
    lo, hi = window_masks(n)
    expected = min(n, 128)
    assert int(popcount(np.array([lo]), np.array([hi]))[0]) == expected
    assert int(trailing_ones(np.array([lo]), np.array([hi]))[0]) == expected
    row_lo, row_hi = window_masks_per_row(np.array([n]))
    assert (int(row_lo[0]), int(row_hi[0])) == (int(lo), int(hi))


def test_clear_and_take():
    result = ledger(months(1, 5), months(1, 70))
    part = result.take(np.array([1]))
    assert int(part.lifetime[0]) == 70
    result.clear(np.array([1]))
    assert result.lifetime.tolist() == [5, 0]
    assert int(part.lifetime[0]) == 70  # take copies
    assert isinstance(BitLedger.empty(0).lo, np.ndarray)
