"""Comparisons for the dashboard: :func:`sim.experiment.compare`'s runs, cached and run seed by seed.

:func:`run_seed` runs every scenario of the comparison for one seed (the scenarios in parallel) and
is cached with ``st.cache_data`` on hashable arguments — scenario paths, labels and overrides as a
sorted JSON string, seed, agents, months. :func:`comparison` joins the seeds with
:func:`sim.experiment.compare.summarise` (bands and paired differences, exactly as ``compare`` does)
and is cached too. :func:`run_comparison` drives both for a page: one seed at a time, so that a
progress bar can move between seeds and the first charts can be drawn from the first seed while the
others run. A repeated request comes from the cache; a request with more seeds than an earlier one
runs only the new seeds.

Runs execute in a process pool that lives as long as the server (workers stay warm between
comparisons), or in this process for small comparisons, where starting workers would cost more than
it saves (``HUKOU_DASHBOARD_BACKEND`` = ``auto`` (default), ``serial`` or ``process``).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from sim.experiment import Comparison, ExperimentResult, RunSpec, SerialBackend
from sim.experiment import run as run_specs
from sim.experiment.backends import as_finished
from sim.experiment.compare import summarise
from sim.experiment.runs import canonical_json

SERIAL_AGENT_MONTHS = 4_000_000
"""Below this many agent-months per seed (all scenarios), runs stay in this process (measured:
starting two spawned workers costs about 2 s; a 20,000-agent × 48-month run takes 0.5 s)."""


@dataclass(frozen=True)
class Request:
    """A comparison as the cache sees it: hashable, no models.

    Attributes
    ----------
    scenarios_json : str
        ``[[path, overrides, label], …]`` as canonical JSON, the baseline first.
    seeds, agents, months : int
    """

    scenarios_json: str
    seeds: int
    agents: int
    months: int

    @classmethod
    def build(
        cls, scenarios: Sequence[tuple[str, dict[str, Any], str]], *, seeds: int, agents: int, months: int
    ) -> Request:
        """A request from ``(path, overrides, label)`` triples (the baseline first)."""
        return cls(canonical_json([[str(p), dict(o), label] for p, o, label in scenarios]), seeds, agents, months)

    @property
    def labels(self) -> list[str]:
        """The scenario labels, the baseline first."""
        return [label for _, _, label in json.loads(self.scenarios_json)]

    @property
    def key(self) -> str:
        """A text that identifies the request."""
        return canonical_json([self.scenarios_json, self.seeds, self.agents, self.months])


# ------------------------------------------------------------------------------------ backends


class PersistentPool:
    """A process pool kept for the server's life, used as an experiment backend.

    :func:`sim.experiment.run` enters and leaves its backend for every call; this one keeps its
    workers across calls, so that only the first comparison pays for starting them.
    """

    name = "process"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> ProcessPoolExecutor:
        """The pool, started on first use."""
        with self._lock:
            if self._executor is None:
                # One thread per worker for the native libraries: with as many workers as cores, their own
                # thread pools only compete (measured on 2 cores: two 100,000-agent runs side by side took
                # 10.7 s and 9.5 s with default threads, 8.6 s and 7.3 s with one; alone, 5.4 s). Workers are
                # spawned with this environment; the server's own libraries are already initialised.
                for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                    os.environ.setdefault(name, "1")
                context = multiprocessing.get_context("spawn")
                self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
            return self._executor

    def warm(self, *, wait_ready: bool = False) -> None:
        """Start the workers and import the model in them (without waiting, unless ``wait_ready``)."""
        pool = self.executor()
        with _plain_main():
            futures = [pool.submit(_import_model) for _ in range(self.workers)]
        if wait_ready:
            wait(futures)

    def __enter__(self) -> PersistentPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def map_unordered(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any, Any]]:
        """Submit every item; yield ``(index, value, error)`` as each finishes."""
        with _plain_main():
            pending = {self.executor().submit(fn, item): index for index, item in enumerate(items)}
        yield from as_finished(pending)

    def describe(self) -> dict[str, Any]:
        """Name and settings, for the manifest."""
        return {"name": self.name, "workers": self.workers, "start_method": "spawn", "persistent": True}


@contextlib.contextmanager
def _plain_main() -> Iterator[None]:
    """Start workers with an empty ``__main__``: a spawned worker imports its parent's main module.

    Inside the server the main module is the page script (``app.py``), so each worker would run the
    dashboard without a session (and fill the log with "missing ScriptRunContext"). Workers start when
    jobs are submitted; for that moment the main module is a blank one.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _import_model() -> bool:
    import sim.experiment.runs  # noqa: F401  (the import is the point: it warms the worker)

    return True


_POOL: PersistentPool | None = None


def pool() -> PersistentPool:
    """The server's process pool (one worker per core)."""
    global _POOL
    if _POOL is None:
        _POOL = PersistentPool(os.cpu_count() or 1)
    return _POOL


def warm_up(agents: int, months: int, scenarios: int) -> None:
    """Start the worker pool ahead of a run that will use it (the first seed then does not wait for it)."""
    if backend_name(agents, months, scenarios) == "process" and (_POOL is None or _POOL._executor is None):
        pool().warm()


def backend_name(agents: int, months: int, scenarios: int) -> str:
    """``serial`` or ``process`` for a seed of this size (see :data:`SERIAL_AGENT_MONTHS`)."""
    chosen = os.environ.get("HUKOU_DASHBOARD_BACKEND", "auto")
    if chosen in ("serial", "process"):
        return chosen
    if (os.cpu_count() or 1) < 2 or agents * months * scenarios <= SERIAL_AGENT_MONTHS:
        return "serial"
    return "process"


# ------------------------------------------------------------------------------------ cached runs


@st.cache_data(show_spinner=False, max_entries=128)
def run_seed(scenarios_json: str, seed: int, agents: int, months: int) -> ExperimentResult:
    """Run every scenario of a comparison with one seed (cached).

    Raises
    ------
    RuntimeError
        If a run failed (the message is the run's error).
    """
    scenarios = json.loads(scenarios_json)
    specs = [RunSpec(path, seed, agents, months, overrides, label) for path, overrides, label in scenarios]
    name = backend_name(agents, months, len(specs))
    backend = SerialBackend() if name == "serial" else pool()
    result = run_specs(specs, backend=backend, progress=False)
    failures = result.failures
    if len(failures):
        raise RuntimeError("; ".join(str(e) for e in failures["error"]))
    return result


def combine(results: Sequence[ExperimentResult]) -> ExperimentResult:
    """One result from the results of several seeds (tables stacked, manifests joined)."""
    first = results[0]
    tables = {
        name: pd.concat([getattr(r, name) for r in results], ignore_index=True)
        for name in ("runs", "monthly", "rounds", "settlers")
    }
    manifest = dict(first.manifest)
    manifest["seeds"] = sorted({s for r in results for s in r.manifest.get("seeds", [])})
    for key in ("run_keys", "run_seconds", "scenarios"):
        manifest[key] = {k: v for r in results for k, v in r.manifest.get(key, {}).items()}
    runs = tables["runs"]
    counts = runs["status"].value_counts().to_dict()
    manifest["runs"] = {"total": len(runs), **{k: int(counts.get(k, 0)) for k in ("executed", "stored", "failed")}}
    manifest["wall_seconds"] = round(sum(r.manifest.get("wall_seconds", 0.0) for r in results), 3)
    return ExperimentResult(manifest=manifest, **tables)


@st.cache_data(show_spinner=False, max_entries=16)
def comparison(scenarios_json: str, seeds: int, agents: int, months: int) -> Comparison:
    """The comparison of every seed (cached): bands across seeds and paired differences."""
    results = [run_seed(scenarios_json, seed, agents, months) for seed in range(seeds)]
    baseline = json.loads(scenarios_json)[0][2]
    return summarise(combine(results), baseline=baseline)


def partial(request: Request, seeds: int) -> Comparison:
    """The comparison of the first ``seeds`` seeds (not cached: shown while the others run)."""
    results = [run_seed(request.scenarios_json, seed, request.agents, request.months) for seed in range(seeds)]
    return summarise(combine(results), baseline=request.labels[0])


FIRST_SEED_PREVIEW_SECONDS = 1.0
"""The first seed's charts are drawn before the others run only when it took this long to compute."""

_FINISHED: set[str] = set()
"""Keys of requests whose comparison was cached by this server (so a page can skip the progress bar)."""


def is_finished(request: Request) -> bool:
    """Whether the comparison of ``request`` was computed by this server (and is likely cached)."""
    return request.key in _FINISHED


def run_comparison(
    request: Request,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    on_first_seed: Callable[[Comparison], None] | None = None,
) -> Comparison:
    """The comparison of ``request``: from the cache, or seed by seed with progress.

    Parameters
    ----------
    request : Request
    on_progress : callable, optional
        Called with ``(seeds done, seeds)`` before each seed and at the end.
    on_first_seed : callable, optional
        Called with the comparison of the first seed alone when more seeds follow, so that a page
        can draw its first charts while the others run.

    Returns
    -------
    Comparison
    """
    if request.key not in _FINISHED:
        for seed in range(request.seeds):
            if on_progress is not None:
                on_progress(seed, request.seeds)
            started = time.perf_counter()
            run_seed(request.scenarios_json, seed, request.agents, request.months)
            computed = time.perf_counter() - started > FIRST_SEED_PREVIEW_SECONDS
            if seed == 0 and request.seeds > 1 and computed and on_first_seed is not None:
                on_first_seed(partial(request, 1))
    result = comparison(request.scenarios_json, request.seeds, request.agents, request.months)
    _FINISHED.add(request.key)
    if on_progress is not None:
        on_progress(request.seeds, request.seeds)
    return result
