"""Parameter sweeps: one scenario, a design of override points, several seeds per point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sim.experiment.backends import Backend
from sim.experiment.design import grid
from sim.experiment.indicators import bands
from sim.experiment.runner import ExperimentResult, run
from sim.experiment.runs import RunSpec, canonical_json
from sim.experiment.store import RunStore
from sim.results import write_tables

SUMMARY_KEYS = ["city", "indicator", "breakdown", "group"]


@dataclass
class Sweep:
    """The results of a sweep.

    Attributes
    ----------
    design : DataFrame
        One row per point: ``point`` and one column per parameter path (values that are not
        numbers or strings are shown as JSON).
    result : ExperimentResult
        Every run's tables (each tagged with its ``point``) and the manifest.
    indicators : DataFrame
        Headline indicators per run, with ``point``.
    summary : DataFrame
        Per point: ``mean``, ``low``, ``high`` and ``seeds`` of each indicator across seeds,
        with the point's parameter values.
    """

    design: pd.DataFrame
    result: ExperimentResult
    indicators: pd.DataFrame
    summary: pd.DataFrame
    points: list[int]
    """The point of each run, in the order of ``result.runs``."""
    level: float = 0.90

    @property
    def failures(self) -> pd.DataFrame:
        """Runs that failed, with their errors (finished runs are kept)."""
        return self.result.failures

    def write(self, out_dir: str | Path, fmt: Literal["csv", "parquet"] = "csv") -> list[Path]:
        """Write design, summary, indicators, runs, the tagged tables and the manifest."""
        points = pd.DataFrame({"run": self.result.runs["run"], "point": self.points})
        tables = {
            "design": self.design,
            "summary": self.summary,
            "indicators": self.indicators,
            "runs": self.result.runs.assign(point=self.points),
            "monthly": _tag(self.result.monthly, points),
            "rounds": _tag(self.result.rounds, points),
            "settlers": _tag(self.result.settlers, points),
        }
        manifest = {"kind": "sweep", "band": self.level, "design": self.design.to_dict("records")}
        return write_tables(out_dir, tables, manifest | self.result.manifest, fmt)


def sweep(
    scenario: str | Path,
    design: pd.DataFrame | Mapping[str, Sequence[Any]] | None = None,
    *,
    seeds: int | Sequence[int] = 1,
    first_seed: int = 0,
    agents: int | None = None,
    months: int | None = None,
    level: float = 0.90,
    label: str | None = None,
    backend: str | Backend | None = "process",
    workers: int | None = None,
    dask: str | None = None,
    store: str | Path | RunStore | None = None,
    progress: bool | None = None,
) -> Sweep:
    """Run a scenario at every point of a design, with the same seeds at every point.

    Parameters
    ----------
    scenario : str or Path
        Scenario YAML file or preset id.
    design : DataFrame or mapping, optional
        Points as rows, parameter paths as columns (from :func:`~sim.experiment.design.grid`,
        :func:`~sim.experiment.design.latin_hypercube`, :func:`~sim.experiment.design.sobol`), or
        ``{path: [values]}`` for a grid. None: the scenario as it is (replications only).
    seeds : int or sequence of int
        How many seeds per point (``first_seed, …``) or which seeds. Points share seeds, so the
        difference between two points is paired (common random numbers).
    store : path or RunStore, optional
        Where finished runs are kept: a rerun of an interrupted sweep computes only what is missing;
        a failed point (e.g. a value the schema rejects) is logged and the others finish.
    agents, months, level, label, backend, workers, dask, progress
        As for :func:`sim.experiment.compare`.
    """
    if design is None:
        design = pd.DataFrame(index=[0])
    elif not isinstance(design, pd.DataFrame):
        design = grid(design)
    design = design.reset_index(drop=True)
    seed_list = list(range(first_seed, first_seed + seeds)) if isinstance(seeds, int) else list(seeds)
    specs, points = [], []
    for point, row in enumerate(design.to_dict("records")):
        for seed in seed_list:
            specs.append(RunSpec(str(scenario), seed, agents, months, row, label))
            points.append(point)
    result = run(specs, backend=backend, workers=workers, dask=dask, store=store, progress=progress)
    shown = _shown(design)
    run_points = pd.DataFrame({"run": result.runs["run"], "point": points}).drop_duplicates()
    indicators = result.indicators().merge(run_points, on="run", how="left")
    indicators = indicators.merge(shown, on="point", how="left")
    summary = bands(indicators, ["point", "scenario", *SUMMARY_KEYS], level=level)
    summary = shown.merge(summary, on="point", how="right")
    return Sweep(design=shown, result=result, indicators=indicators, summary=summary, points=points, level=level)


def _shown(design: pd.DataFrame) -> pd.DataFrame:
    """The design with a ``point`` column and non-scalar values as JSON text."""
    shown = design.copy()
    for column in shown.columns:
        shown[column] = [v if isinstance(v, (int, float, str, bool)) else canonical_json(v) for v in shown[column]]
    shown.insert(0, "point", range(len(shown)))
    return shown


def _tag(table: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return table.assign(point=pd.Series(dtype="int64"))
    return table.merge(points.drop_duplicates(), on="run", how="left")
