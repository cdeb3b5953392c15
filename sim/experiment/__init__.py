"""Experiments: replications, paired comparisons, sweeps — on one machine or a Dask cluster.

The same calls run in this process, on a local process pool (the default) or on Dask, and give
identical results whichever ran them::

    from sim import experiment

    comparison = experiment.compare(
        ["scenarios/ningbo/ningbo-2018-baseline.yaml", "scenarios/ningbo/ningbo-2019-reform.yaml"],
        seeds=10, agents=20_000, months=48, store="out/compare/runs",
    )
    print(comparison.format_headline())
    comparison.differences          # paired variant − baseline, mean and 90% band across seeds

    swept = experiment.sweep(
        "scenarios/ningbo/ningbo-2019-reform.yaml",
        experiment.latin_hypercube({"behaviour.intention.application_rate": (0.02, 0.10)}, samples=16),
        seeds=5, store="out/sweep/runs", dask="local",
    )

    result = experiment.run([experiment.RunSpec("ningbo-2019-reform", seed=s) for s in range(4)])

Modules: :mod:`~sim.experiment.runs` (a run's spec and the worker function),
:mod:`~sim.experiment.backends` (serial, process pool, Dask), :mod:`~sim.experiment.store` (the
results store that survives interruption), :mod:`~sim.experiment.runner` (:func:`run`),
:mod:`~sim.experiment.indicators`, :mod:`~sim.experiment.compare`, :mod:`~sim.experiment.design`,
:mod:`~sim.experiment.sweep`. See ``docs/experiments.md``.
"""

from sim.experiment.backends import BACKENDS, DaskBackend, ProcessPoolBackend, SerialBackend, make_backend
from sim.experiment.compare import Comparison, Variant, compare
from sim.experiment.design import cross, grid, latin_hypercube, parse_param, parse_range, sobol
from sim.experiment.errors import ExperimentError
from sim.experiment.indicators import INDICATORS, bands, run_indicators
from sim.experiment.runner import ExperimentResult, run
from sim.experiment.runs import AGE_BANDS, RunSpec, execute
from sim.experiment.store import RunStore
from sim.experiment.sweep import Sweep, sweep

__all__ = [
    "AGE_BANDS",
    "BACKENDS",
    "INDICATORS",
    "Comparison",
    "DaskBackend",
    "ExperimentError",
    "ExperimentResult",
    "ProcessPoolBackend",
    "RunSpec",
    "RunStore",
    "SerialBackend",
    "Sweep",
    "Variant",
    "bands",
    "compare",
    "cross",
    "execute",
    "grid",
    "latin_hypercube",
    "make_backend",
    "parse_param",
    "parse_range",
    "run",
    "run_indicators",
    "sobol",
    "sweep",
]
