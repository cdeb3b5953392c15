"""Evaluate parameter vectors: runs (through sim.experiment and its RunStore), indicators, loss.

Every parameter vector is run with the same seeds (common random numbers): two vectors differ in
their indicators because of the parameters, not the draws, which keeps the loss surface smooth
enough for an optimiser with a few seeds. Runs go through :func:`sim.experiment.run` with a store,
so a fit that is interrupted and restarted recomputes nothing that finished.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibration.indicators import target_values
from calibration.targets import Target, TargetsFile
from sim import experiment
from sim.errors import CalibrationError


@dataclass
class Evaluator:
    """Runs parameter vectors of a targets file and returns their indicators.

    Parameters
    ----------
    targets : TargetsFile
        The targets, free parameters and run size.
    store : path, optional
        A :class:`sim.experiment.RunStore` directory; finished runs are reused.
    backend, workers, dask
        Passed to :func:`sim.experiment.run`.
    agents, months : int, optional
        Override the targets file's run size.
    fixed : dict, optional
        Scenario overrides applied to every run besides the free parameters (a mechanism
        variant's fixed values, see :mod:`calibration.mechanisms`).
    progress : bool
        Print one line per batch.
    """

    targets: TargetsFile
    store: str | Path | None = None
    backend: str = "process"
    workers: int | None = None
    dask: str | None = None
    agents: int | None = None
    months: int | None = None
    fixed: dict[str, Any] = field(default_factory=dict)
    progress: bool = True
    runs_done: int = 0
    runs_stored: int = 0
    log: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Free parameter names, in file order."""
        return list(self.targets.parameters)

    def to_params(self, unit: Sequence[float]) -> dict[str, float]:
        """Parameter values at a point of the unit cube."""
        return {name: p.from_unit(u) for (name, p), u in zip(self.targets.parameters.items(), unit, strict=True)}

    def to_unit(self, params: dict[str, float]) -> np.ndarray:
        """The unit-cube point of parameter values."""
        return np.array([p.to_unit(params[name]) for name, p in self.targets.parameters.items()])

    def overrides(self, params: dict[str, float]) -> dict[str, Any]:
        """Scenario overrides of a parameter vector (integers where declared), over the fixed overrides."""
        free = {k: (int(v) if self.targets.parameters[k].integer else float(v)) for k, v in params.items()}
        return {**self.fixed, **free}

    def values(self, points: Sequence[dict[str, float]], seeds: Sequence[int]) -> pd.DataFrame:
        """Indicators of every target for every point × seed.

        Returns
        -------
        DataFrame
            Columns ``point, seed, target, value``.
        """
        scenario = self.targets.scenario_path()
        specs, owner = [], []
        for index, params in enumerate(points):
            for seed in seeds:
                specs.append(
                    experiment.RunSpec(
                        scenario,
                        seed=int(seed),
                        agents=self.agents or self.targets.run.agents,
                        months=self.months or self.targets.run.months,
                        overrides=self.overrides(params),
                        label=f"p{index}",
                    )
                )
                owner.append((index, int(seed)))
        result = experiment.run(
            specs,
            backend=self.backend,
            workers=self.workers,
            dask=self.dask,
            store=self.store,
            progress=False,
        )
        if len(result.failures):
            raise CalibrationError(
                f"{len(result.failures)} of {len(specs)} run(s) of {scenario} failed; the first: "
                f"{result.failures['error'].iloc[0]} (hint: check the scenario and the free parameters' bounds "
                "with `python -m calibration check TARGETS`)"
            )
        self.runs_done += len(result.executed)
        self.runs_stored += len(result.stored)
        values = target_values(result, self.targets.targets)
        by_key = {key: frame for key, frame in values.groupby("run", sort=False)}
        rows = []
        for (index, seed), key in zip(owner, result.runs["run"], strict=True):
            frame = by_key[key]
            rows.extend(
                {"point": index, "seed": seed, "target": t, "value": v}
                for t, v in zip(frame["target"], frame["value"], strict=True)
            )
        return pd.DataFrame(rows, columns=["point", "seed", "target", "value"])

    def say(self, message: str) -> None:
        """Progress line on standard error (and kept in :attr:`log`)."""
        self.log.append(message)
        if self.progress:
            print(message, file=sys.stderr, flush=True)


def means(values: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds: one row per point, one column per target."""
    return values.groupby(["point", "target"])["value"].mean().unstack("target").sort_index()


def z_scores(table: pd.DataFrame, targets: dict[str, Target]) -> pd.DataFrame:
    """(model − published) / sigma for each target (columns) and point (rows); NaN counts as far off."""
    out = {}
    for name, target in targets.items():
        z = (table[name] - target.value) / target.tolerance.sigma(target.value)
        out[name] = z.fillna(1e3)
    return pd.DataFrame(out, index=table.index)


def loss(table: pd.DataFrame, targets: dict[str, Target]) -> np.ndarray:
    """Sum of squared z-scores over ``targets`` for each point."""
    return (z_scores(table, targets) ** 2).sum(axis=1).to_numpy()
