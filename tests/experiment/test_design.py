"""Designs: grids, Latin hypercubes and Sobol' samples, and the CLI's parameter syntax."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiment import ExperimentError, cross, grid, latin_hypercube, parse_param, parse_range, sobol

RANGES = {"behaviour.intention.application_rate": (0.02, 0.10), "behaviour.return_home_rate": (0.001, 0.01)}


def test_latin_hypercube_within_bounds_one_point_per_stratum():
    design = latin_hypercube(RANGES, 20, seed=3)
    assert list(design.columns) == list(RANGES)
    assert len(design) == 20
    for path, (low, high) in RANGES.items():
        values = design[path].to_numpy()
        assert ((values >= low) & (values <= high)).all()
        strata = np.floor((values - low) / (high - low) * 20).astype(int)
        assert sorted(strata) == list(range(20))
    assert design.equals(latin_hypercube(RANGES, 20, seed=3))
    assert not design.equals(latin_hypercube(RANGES, 20, seed=4))


def test_integer_bounds_give_integers_within_bounds():
    design = latin_hypercube({"behaviour.retirement_age_female": (50, 60)}, 11, seed=0)
    values = design["behaviour.retirement_age_female"].tolist()
    assert all(isinstance(v, int) for v in values)
    assert min(values) >= 50 and max(values) <= 60


def test_sobol_needs_a_power_of_two():
    design = sobol(RANGES, 16, seed=1)
    assert len(design) == 16
    for path, (low, high) in RANGES.items():
        assert design[path].between(low, high).all()
    with pytest.raises(ExperimentError, match=r"power of two of samples, got 12\. Hint: use 8 or 16"):
        sobol(RANGES, 12)


def test_grid_and_cross():
    design = grid({"a": [1, 2, 3], "b": ["x", "y"]})
    assert len(design) == 6 and design.iloc[0].to_dict() == {"a": 1, "b": "x"}
    crossed = cross(design, latin_hypercube({"c": (0.0, 1.0)}, 4))
    assert len(crossed) == 24 and list(crossed.columns) == ["a", "b", "c"]
    with pytest.raises(ExperimentError, match="'a' has no values"):
        grid({"a": []})


def test_parse_param_reads_yaml_values_and_keeps_braces_whole():
    assert parse_param("behaviour.return_home_rate=0.001,0.004,1e-2") == (
        "behaviour.return_home_rate",
        [0.001, 0.004, 0.01],
    )
    path, values = parse_param(
        "cities.ningbo.rules[1].channels.residence_employment.routes.social_insurance.social_insurance="
        "{count: continuous, months: 36},{count: cumulative, months: 36, window: 48}"
    )
    assert path.endswith("social_insurance.social_insurance")
    assert values == [{"count": "continuous", "months": 36}, {"count": "cumulative", "months": 36, "window": 48}]
    assert parse_param("x.is_on=true,false,null") == ("x.is_on", [True, False, None])
    with pytest.raises(ExperimentError, match="PATH=V1,V2"):
        parse_param("no-values")


def test_parse_range():
    assert parse_range("a.b=0.1:0.5") == ("a.b", (0.1, 0.5))
    assert parse_range("a.b=24:60") == ("a.b", (24, 60))
    with pytest.raises(ExperimentError, match="low bound must be below"):
        parse_range("a=5:1")
    with pytest.raises(ExperimentError, match="PATH=LOW:HIGH"):
        parse_range("a=x:y")
