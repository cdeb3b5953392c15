"""Hypothesis strategies for hostile scenario and person documents.

A document is a valid one (a fixture scenario resolved in full, or a person file) with a few
mutations: a value moved to a plausible neighbour (a number rescaled, another month), a value
replaced by something hostile (NaN, infinities, huge or negative numbers, dates out of range,
long text, wrong types), a key removed or an unknown key added.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import strategies as st

KeyPath = tuple[Any, ...]

HOSTILE_TEXT = [
    "2800-01",
    "0000-01",
    "1899-12",
    "2200-12",
    "2019-13",
    "2019-02-30",
    "",
    "x" * 5000,
    "ningbo",
    "nan",
    "-1",
    "1e400",
    "../../../../etc/passwd",
]

hostile_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e12, 1e19, -1.0, 0.0, 1e-300]),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 10**19, 600, 601]),
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=12),
    st.none(),
    st.booleans(),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(min_value=-5, max_value=5), max_size=2),
)


@st.composite
def nudged(draw: st.DrawFn, value: Any) -> Any:
    """A plausible neighbour of ``value``: a number rescaled, a month moved, else a hostile value."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return draw(st.integers(min_value=0, max_value=max(2 * value, 3)))
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e300:
        return draw(st.floats(min_value=0, max_value=max(2 * value, 1.0)))
    if isinstance(value, str) and len(value) in (7, 10) and value[4:5] == "-" and value[:4].isdigit():
        year = min(max(int(value[:4]) + draw(st.integers(min_value=-6, max_value=6)), 1900), 2200)
        return f"{year:04d}-{draw(st.integers(min_value=1, max_value=12)):02d}"
    return draw(hostile_values)


def key_paths(data: Any, at: KeyPath = ()) -> list[KeyPath]:
    """Every key path of ``data`` (mappings and lists), the root excluded."""
    paths = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        paths.append((*at, key))
        paths.extend(key_paths(value, (*at, key)))
    return paths


def _apply(data: Any, mutation: tuple[str, KeyPath, Any]) -> None:
    kind, path, value = mutation
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if kind == "replace":
        parent[key] = value
    elif kind == "remove":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif isinstance(parent, dict):
        parent[f"unknown_{key}"] = value


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], max_mutations: int = 3, *, hostile: bool = True) -> dict[str, Any]:
    """``base`` with 1 to ``max_mutations`` mutations; only plausible neighbours if not ``hostile``."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=max_mutations))):
        paths = key_paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        kinds = ["nudge", "nudge", "nudge", "replace", "replace", "remove", "add"] if hostile else ["nudge"]
        kind = draw(st.sampled_from(kinds))
        if kind == "nudge":
            current = data
            for key in path:
                current = current[key]
            kind, value = "replace", draw(nudged(current))
        else:
            value = draw(hostile_values)
        _apply(data, (kind, path, value))
    return data
