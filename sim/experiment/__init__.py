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

The names below are imported on first use: most of these modules need pandas, Mesa or Dask, and
``python -m sim`` reads :mod:`sim.experiment.cli` for every command, including those that run no
experiment (``check``, ``validate``, ``describe``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_HOMES = {
    "BACKENDS": "sim.experiment.backends",
    "DaskBackend": "sim.experiment.backends",
    "ProcessPoolBackend": "sim.experiment.backends",
    "SerialBackend": "sim.experiment.backends",
    "make_backend": "sim.experiment.backends",
    "Comparison": "sim.experiment.compare",
    "Variant": "sim.experiment.compare",
    "compare": "sim.experiment.compare",
    "cross": "sim.experiment.design",
    "grid": "sim.experiment.design",
    "latin_hypercube": "sim.experiment.design",
    "parse_param": "sim.experiment.design",
    "parse_range": "sim.experiment.design",
    "sobol": "sim.experiment.design",
    "ExperimentError": "sim.experiment.errors",
    "INDICATORS": "sim.experiment.indicators",
    "bands": "sim.experiment.indicators",
    "run_indicators": "sim.experiment.indicators",
    "ExperimentResult": "sim.experiment.runner",
    "run": "sim.experiment.runner",
    "AGE_BANDS": "sim.experiment.runs",
    "RunSpec": "sim.experiment.runs",
    "execute": "sim.experiment.runs",
    "RunStore": "sim.experiment.store",
    "Sweep": "sim.experiment.sweep",
    "sweep": "sim.experiment.sweep",
}
"""Public name → the module that defines it."""

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim.experiment' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """The package, keeping ``compare`` and ``sweep`` the functions once their modules are loaded.

    Importing a submodule binds it as an attribute of its package, and two public functions share
    their module's name: without this, ``from sim.experiment import compare`` would give the
    module ``sim.experiment.compare`` whenever that module had been loaded first.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and name in _HOMES:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
