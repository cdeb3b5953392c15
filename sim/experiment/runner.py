"""Run many specs on a backend, optionally through a store that survives interruption."""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import mesa
import numpy as np
import pandas as pd
from tqdm import tqdm

from sim import __version__, provenance
from sim.experiment.backends import Backend, make_backend
from sim.experiment.indicators import run_indicators
from sim.experiment.runs import TABLES_COLUMNS, ResolvedRun, RunOutcome, RunSpec, canonical_json, execute, resolve
from sim.experiment.store import RunStore
from sim.results import write_tables

ID_COLUMNS = ["run", "scenario", "seed"]
"""Columns that identify a run in every combined table (``scenario`` is the spec's label)."""


@dataclass
class ExperimentResult:
    """The combined results of many runs, in spec order.

    Attributes
    ----------
    runs : DataFrame
        One row per spec: ``run`` (key), ``scenario`` (label), ``path``, ``seed``, ``agents``,
        ``months``, ``overrides`` (JSON), ``status`` (``executed``, ``stored`` or ``failed``), ``error``.
    monthly, rounds, settlers : DataFrame
        The runs' tables stacked, each row tagged with ``run``, ``scenario`` (label) and ``seed``.
        ``settlers`` is summarised: one row per city × month × channel × dependant ×
        age band × education group (see :func:`sim.experiment.runs.summarise_settlers`).
    manifest : dict
        Package and library versions, backend, seeds, sizes, and every resolved scenario with its hash.
    """

    runs: pd.DataFrame
    monthly: pd.DataFrame
    rounds: pd.DataFrame
    settlers: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> pd.DataFrame:
        """The runs that failed, with their errors."""
        return self.runs[self.runs["status"] == "failed"].reset_index(drop=True)

    @property
    def executed(self) -> list[str]:
        """Keys of the runs computed by this call."""
        return self.runs.loc[self.runs["status"] == "executed", "run"].tolist()

    @property
    def stored(self) -> list[str]:
        """Keys of the runs found finished in the store and not recomputed."""
        return self.runs.loc[self.runs["status"] == "stored", "run"].tolist()

    def indicators(self) -> pd.DataFrame:
        """Headline indicators of every run (see :func:`sim.experiment.indicators.run_indicators`)."""
        return run_indicators(self)

    def write(self, out_dir: str | Path, fmt: Literal["csv", "parquet"] = "csv") -> list[Path]:
        """Write ``runs``, the three tables and ``manifest.json`` into ``out_dir``."""
        tables = {"runs": self.runs, "monthly": self.monthly, "rounds": self.rounds, "settlers": self.settlers}
        return write_tables(out_dir, tables, self.manifest, fmt)


def run(
    specs: Iterable[RunSpec],
    *,
    backend: str | Backend | None = "process",
    workers: int | None = None,
    dask: str | None = None,
    store: str | Path | RunStore | None = None,
    progress: bool | None = None,
) -> ExperimentResult:
    """Run every spec and return the combined results in spec order.

    Parameters
    ----------
    specs : iterable of RunSpec
        The runs. A spec repeated (same key) runs once.
    backend : {"serial", "process", "dask"} or Backend
        Where the runs execute; ``"process"`` (a local process pool) by default. Results do not
        depend on it.
    workers : int, optional
        Worker processes for ``process`` and a local Dask cluster (``os.cpu_count()`` by default).
    dask : str, optional
        ``"local"`` to start a Dask LocalCluster, or a scheduler address (``"tcp://host:8786"``);
        implies the Dask backend.
    store : path or RunStore, optional
        A results store: finished runs found there are not recomputed, each run is written there as
        soon as it finishes, failures are logged there. Without one, results stay in memory.
    progress : bool, optional
        Show a progress bar; by default when standard error is a terminal.

    Returns
    -------
    ExperimentResult
        A failed run does not raise: it is listed in ``result.failures`` (and the store's log).
    """
    started = time.time()
    specs = list(specs)
    store = RunStore(store) if store is not None and not isinstance(store, RunStore) else store
    resolved, errors = resolve(specs)
    outcomes: dict[str, RunOutcome] = {}
    status: dict[str, str] = {}
    for index, message in errors.items():
        key = specs[index].spec_key
        outcomes[key] = RunOutcome(key, error=message)
        status[key] = "failed"
        if store is not None:
            store.record_failure(key, specs[index].to_dict(), message)
    todo: dict[str, ResolvedRun] = {}
    for item in resolved:
        if item is None or item.key in status or item.key in todo:
            continue
        if store is not None and store.has(item.key):
            status[item.key] = "stored"
        else:
            todo[item.key] = item
    backend_obj = make_backend(backend, workers=workers, dask=dask)
    backend_info: dict[str, Any] = backend_obj.describe()
    if store is not None:
        for item in _distinct_scenarios(resolved):
            store.save_scenario(item.scenario_sha256, item.scenario.model_dump(mode="json", by_alias=True))
    locks: dict[str, IO[str]] = {}
    try:
        if todo:
            show = sys.stderr.isatty() if progress is None else progress
            with backend_obj as active, tqdm(total=len(todo), desc="runs", unit="run", disable=not show) as bar:
                backend_info = active.describe()
                waiting = dict(todo)
                while waiting:
                    batch = _claim(store, waiting, locks, status, bar)
                    if not batch:
                        time.sleep(LOCK_POLL_SECONDS)  # the runs left are being computed by another process
                        continue
                    tasks = [item.task() for item in batch]
                    for index, value, error in active.map_unordered(execute, tasks):
                        item = batch[index]
                        if error is not None:
                            value = RunOutcome(item.key, error=f"{type(error).__name__}: {error}")
                        outcome: RunOutcome = value
                        outcomes[item.key] = outcome
                        status[item.key] = "executed" if outcome.ok else "failed"
                        if store is not None:
                            if outcome.ok:
                                store.save(outcome, _run_manifest(item, outcome, backend_info))
                            else:
                                trace = outcome.traceback
                                store.record_failure(item.key, item.spec.to_dict(), outcome.error or "", trace)
                            store.release(locks.pop(item.key))
                        bar.update()
    finally:
        for lock in locks.values():
            RunStore.release(lock)
    return _assemble(specs, resolved, outcomes, status, store, backend_info, started)


LOCK_POLL_SECONDS = 0.5
"""How often a process waiting for runs that another process computes looks again."""


def _claim(
    store: RunStore | None,
    waiting: dict[str, ResolvedRun],
    locks: dict[str, IO[str]],
    status: dict[str, str],
    bar: tqdm,
) -> list[ResolvedRun]:
    """Take from ``waiting`` the runs this process may compute now (all of them without a store).

    A run locked by another process stays waiting; a run that another process stored meanwhile
    is marked stored. A run another process failed is computed again here once its lock is free.
    """
    batch = []
    for key, item in list(waiting.items()):
        lock = None if store is None else store.claim(key)
        if store is not None and lock is None:
            continue
        del waiting[key]
        if store is not None and store.has(key):
            RunStore.release(lock)
            status[key] = "stored"
            bar.update()
            continue
        if lock is not None:
            locks[key] = lock
        batch.append(item)
    return batch


def _distinct_scenarios(resolved: Sequence[ResolvedRun | None]) -> list[ResolvedRun]:
    seen: dict[str, ResolvedRun] = {}
    for item in resolved:
        if item is not None and item.scenario_sha256 not in seen:
            seen[item.scenario_sha256] = item
    return list(seen.values())


def _run_manifest(item: ResolvedRun, outcome: RunOutcome, backend: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": item.key,
        "spec": item.spec.to_dict(),
        "label": item.label,
        **outcome.manifest,
        "backend": backend,
    }


def _assemble(
    specs: list[RunSpec],
    resolved: list[ResolvedRun | None],
    outcomes: dict[str, RunOutcome],
    status: dict[str, str],
    store: RunStore | None,
    backend: dict[str, Any],
    started: float,
) -> ExperimentResult:
    rows = []
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES_COLUMNS}
    run_manifests: dict[str, dict[str, Any]] = {}
    tagged: set[tuple[str, str]] = set()
    for spec, item in zip(specs, resolved, strict=True):
        key = item.key if item is not None else spec.spec_key
        outcome = outcomes.get(key)
        tables = None
        if status[key] == "stored":
            tables, run_manifests[key] = store.load(key)
        elif outcome is not None and outcome.ok:
            tables, run_manifests[key] = outcome.tables, outcome.manifest
        label = item.label if item is not None else spec.label or Path(spec.scenario).stem
        rows.append(
            {
                "run": key,
                "scenario": label,
                "path": spec.scenario,
                "seed": spec.seed,
                "agents": item.agents if item else spec.agents,
                "months": item.months if item else spec.months,
                "overrides": canonical_json(spec.overrides_dict),
                "status": status[key],
                "error": None if tables is not None else (outcome.error if outcome else None),
                "scenario_sha256": item.scenario_sha256 if item else None,
            }
        )
        if tables is not None and (key, label) not in tagged:
            # A run repeated under one label enters the tables once; under two labels, once for each.
            tagged.add((key, label))
            for name, table in tables.items():
                if len(table):
                    parts[name].append(_tag(table, key, label))
    runs = pd.DataFrame(rows)
    combined = {
        name: pd.concat(frames, ignore_index=True) if frames else _empty(name) for name, frames in parts.items()
    }
    manifest = _manifest(specs, resolved, runs, backend, run_manifests, started)
    return ExperimentResult(runs=runs, manifest=manifest, **combined)


def _tag(table: pd.DataFrame, key: str, label: str) -> pd.DataFrame:
    table = table.drop(columns=["scenario"])
    table.insert(0, "scenario", label)
    table.insert(0, "run", key)
    return table


def _empty(name: str) -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype=object) for column in ["run", *TABLES_COLUMNS[name]]})
    frame["seed"] = frame["seed"].astype(np.int64)
    return frame


def _manifest(
    specs: list[RunSpec],
    resolved: list[ResolvedRun | None],
    runs: pd.DataFrame,
    backend: dict[str, Any],
    run_manifests: dict[str, dict[str, Any]],
    started: float,
) -> dict[str, Any]:
    scenarios = {}
    for item in _distinct_scenarios(resolved):
        scenarios[item.scenario_sha256] = {
            "id": item.scenario.id,
            "path": item.spec.scenario,
            "overrides": item.spec.overrides_dict,
            "resolved": item.scenario.model_dump(mode="json", by_alias=True),
        }
    counts = runs["status"].value_counts().to_dict()
    versions = {"package": __version__, "python": platform.python_version(), "numpy": np.__version__}
    versions |= {"pandas": pd.__version__, "mesa": mesa.__version__}
    if backend.get("name") == "dask":
        import distributed

        versions["distributed"] = distributed.__version__
    return {
        "package_version": __version__,
        **provenance.stamp(),
        "versions": versions,
        "backend": backend,
        "seeds": sorted({spec.seed for spec in specs}),
        "runs": {"total": len(runs), **{k: int(counts.get(k, 0)) for k in ("executed", "stored", "failed")}},
        "run_keys": {row.run: {"scenario": row.scenario, "seed": row.seed} for row in runs.itertuples()},
        "run_seconds": {key: m.get("run_seconds") for key, m in run_manifests.items()},
        "scenarios": scenarios,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "wall_seconds": round(time.time() - started, 3),
    }
