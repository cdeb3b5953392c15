"""Uniform draws split over two threads are the single generator's draws."""

from __future__ import annotations

import numpy as np
import pytest

from sim.streams import SPLIT_MIN, Streams


@pytest.mark.parametrize("size", [0, 1, 2, 3, SPLIT_MIN - 1, SPLIT_MIN, SPLIT_MIN + 1, 3 * SPLIT_MIN + 7])
def test_uniform_equals_one_generator(size):
    streams = Streams(12345)
    expected = streams.generator("mortality", 24300).random(size, dtype=np.float32)
    drawn = streams.uniform("mortality", 24300, size)
    assert drawn.dtype == np.float32
    np.testing.assert_array_equal(drawn, expected)


@pytest.mark.parametrize("slot", [0, 1, 2, 7, 1000, 1001])
def test_cursor_draws_the_slots_uniforms(slot):
    """Compiled loops draw as they go from a cursor: the same uniforms as the whole draw, from any slot on."""
    from sim._loops import fill_uniforms

    streams = Streams(99)
    expected = streams.generator("permit", 24301).random(slot + 50, dtype=np.float32)[slot:]
    drawn = np.empty(50, np.float32)
    fill_uniforms(streams.cursor("permit", 24301, slot), drawn)
    np.testing.assert_array_equal(drawn, expected)


@pytest.mark.parametrize(
    "rows",
    [[0], [1], [5, 6, 7, 100, 4001], [4000, 3, 3, 17], list(range(2, 5000, 3))],
    ids=["first", "second", "increasing", "unordered-with-repeats", "dense"],
)
def test_uniform_at_rows_is_the_whole_draw_at_those_rows(rows):
    streams = Streams(2024)
    expected = streams.uniform("awareness", 24310, 5000)[rows]
    np.testing.assert_array_equal(streams.uniform_at("awareness", 24310, np.array(rows)), expected)
