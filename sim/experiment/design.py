"""Designs of sweeps: a grid of listed values, or a Latin hypercube / Sobol' sample over ranges.

A design is a DataFrame with one column per parameter (its dotted scenario path, as overrides take
it) and one row per point. Sampled designs use :mod:`scipy.stats.qmc`; a range whose two bounds are
integers gives integer values (rounded), so that integer fields of the schema accept them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.experiment.errors import ExperimentError

Range = tuple[float, float]


def grid(params: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Every combination of the listed values (the first parameter varies slowest).

    Examples
    --------
    >>> grid({"a": [1, 2], "b": ["x", "y"]}).to_dict("records")
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    for path, values in params.items():
        if len(values) == 0:
            raise ExperimentError(f"parameter '{path}' has no values. Hint: write PATH=V1,V2,...")
    names = list(params)
    rows = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*params.values())]
    return pd.DataFrame(rows, columns=names) if rows else pd.DataFrame(columns=names)


def latin_hypercube(ranges: Mapping[str, Range], samples: int, *, seed: int = 0) -> pd.DataFrame:
    """A Latin hypercube sample of ``samples`` points over the ranges ``{path: (low, high)}``.

    Each parameter's range is cut into ``samples`` equal strata and every stratum holds one point.
    """
    from scipy.stats import qmc  # imported here: scipy.stats takes a while, and only designs need it

    _check(ranges, samples)
    unit = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed)).random(samples)
    return _scaled(ranges, unit)


def sobol(ranges: Mapping[str, Range], samples: int, *, seed: int = 0) -> pd.DataFrame:
    """A scrambled Sobol' sample of ``samples`` points (a power of two) over the ranges."""
    from scipy.stats import qmc

    _check(ranges, samples)
    power = int(np.log2(samples))
    if 2**power != samples:
        raise ExperimentError(
            f"a Sobol' design needs a power of two of samples, got {samples}. "
            f"Hint: use {2**power} or {2 ** (power + 1)}, or a Latin hypercube (--design lhs)."
        )
    unit = qmc.Sobol(d=len(ranges), rng=np.random.default_rng(seed)).random_base2(power)
    return _scaled(ranges, unit)


def cross(*designs: pd.DataFrame) -> pd.DataFrame:
    """Every row of one design with every row of the others (e.g. a grid × a sampled design)."""
    designs = tuple(d for d in designs if len(d.columns))
    if not designs:
        return pd.DataFrame(index=[0])
    out = designs[0]
    for design in designs[1:]:
        out = out.merge(design, how="cross")
    return out.reset_index(drop=True)


def parse_param(text: str) -> tuple[str, list[Any]]:
    """``"a.b[0].c=1,2,3"`` → ``("a.b[0].c", [1, 2, 3])``; values are YAML (``true``, ``{k: v}``, ``x``).

    Commas inside brackets or braces do not split values:
    ``"p={count: continuous, months: 36},{count: cumulative, months: 36, window: 48}"``.
    """
    path, values = _split_assignment(text, "PATH=V1,V2,...")
    return path, [_yaml_value(v, text) for v in _split_top_level(values)]


def parse_range(text: str) -> tuple[str, Range]:
    """``"a.b=0.1:0.5"`` → ``("a.b", (0.1, 0.5))``."""
    path, values = _split_assignment(text, "PATH=LOW:HIGH")
    parts = values.split(":")
    bounds = [_yaml_value(p, text) for p in parts]
    if len(parts) != 2 or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds):
        raise ExperimentError(f"'{text}' is not a range. Hint: write PATH=LOW:HIGH with numbers, e.g. x=0.1:0.5")
    low, high = bounds
    if not low < high:
        raise ExperimentError(f"'{text}': the low bound must be below the high bound, got {low} and {high}.")
    return path, (low, high)


def _check(ranges: Mapping[str, Range], samples: int) -> None:
    if not ranges:
        raise ExperimentError("a sampled design needs at least one range. Hint: --range PATH=LOW:HIGH")
    if samples < 1:
        raise ExperimentError(f"a sampled design needs at least one sample, got {samples}.")


def _scaled(ranges: Mapping[str, Range], unit: np.ndarray) -> pd.DataFrame:
    low = np.array([r[0] for r in ranges.values()], dtype=float)
    high = np.array([r[1] for r in ranges.values()], dtype=float)
    values = low + unit * (high - low)
    columns = {}
    for index, (path, (lo, hi)) in enumerate(ranges.items()):
        column = values[:, index]
        if isinstance(lo, int) and isinstance(hi, int):
            columns[path] = [int(v) for v in np.clip(np.rint(column), lo, hi)]
        else:
            columns[path] = [float(v) for v in column]
    return pd.DataFrame(columns)


def _split_assignment(text: str, form: str) -> tuple[str, str]:
    path, sep, values = text.partition("=")
    if not sep or not path.strip() or not values.strip():
        raise ExperimentError(f"'{text}' is not of the form {form}.")
    return path.strip(), values.strip()


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _yaml_value(text: str, whole: str) -> Any:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ExperimentError(f"cannot read the value '{text}' in '{whole}': {err}") from err
    if isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value.strip()):
        return float(value)  # YAML 1.1 reads 1e-3 as a string; a sweep means the number
    return value
