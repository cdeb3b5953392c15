"""The monthly table built for every city at once (sim.monthly) against per-group numpy."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.monthly import MonthCounts, _group_mean_p90


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 400)), max_size=60))
def test_group_mean_p90_is_numpy_mean_and_quantile_per_group(pairs):
    keys = np.array([k for k, _ in pairs], np.int64)
    values = np.array([v for _, v in pairs], np.float64)
    mean, p90 = _group_mean_p90(keys, values, 7)
    for key in range(7):
        group = values[keys == key]
        expected = (float(group.mean()), float(np.quantile(group, 0.9))) if len(group) else (0.0, 0.0)
        assert (mean[key], p90[key]) == expected  # exactly: the same float operations


def test_a_city_view_writes_its_row_only():
    month = MonthCounts(3)
    stats = month[1]
    stats.counts["settled"] += 2
    stats.eligible_any += 5
    stats.settled_by_channel[0] += 1
    stats.waits.append((np.array([0]), np.array([4])))
    month.add("settled", np.array([2, 2, 1]))
    assert month.counts[:, 4].tolist() == [0, 3, 2]
    assert month.eligible_any.tolist() == [0, 5, 0]
    assert month.settled_by_channel[:, 0].tolist() == [0, 1, 0]
    assert list(month.waits) == [1]
