"""Sweep throughput: the same replications run serially, on a local process pool and on Dask, for 1 and 2 workers.

Usage::

    python benchmarks/sweep.py [--runs 200] [--agents 100000] [--months 60]
                               [--scenario ningbo-2019-reform] [--workers 1,2]
                               [--backends serial,process,dask] [--serial-runs K]

Each backend runs seeds ``0 … runs-1`` of one scenario through :func:`sim.experiment.run`, without a
store (results stay in memory), once for each worker count of ``--workers`` (the serial backend once).
Start-up is timed apart from the runs: from starting the pool or the Dask LocalCluster, through a
warm-up of two tiny runs per worker (each worker imports the package on its first task), to the
moment the sweep is submitted. Reported per backend and worker count: start-up seconds, the sweep's
wall time and runs per second without start-up, the same with start-up, the shutdown time, and the
mean compute time of one run as its worker measured it, with the load average before and after.

``--serial-runs K`` runs only the first K seeds serially and scales the serial rate to the full
sweep (the serial runs are independent, so the rate is per run); the output marks it as measured on
K runs. All backends' results are checked to be identical on the seeds they share.

The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Import the working tree's ``sim`` whatever the current directory (the editable install may be stale).
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from sim import __version__, experiment  # noqa: E402
from sim.experiment.backends import Backend  # noqa: E402


class _Started:
    """A backend already started: :func:`sim.experiment.run` uses it without starting or stopping it."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.name = backend.name

    def __enter__(self) -> _Started:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def map_unordered(self, fn: Callable, items: Sequence) -> Iterator:
        """The started backend's."""
        return self.backend.map_unordered(fn, items)

    def describe(self) -> dict:
        """The started backend's."""
        return self.backend.describe()


def _make(name: str, workers: int) -> Backend:
    return {
        "serial": lambda: experiment.SerialBackend(),
        "process": lambda: experiment.ProcessPoolBackend(workers),
        "dask": lambda: experiment.DaskBackend("local", workers),
    }[name]()


def measure(name: str, workers: int, specs: list[experiment.RunSpec], scenario: str) -> tuple[dict, object]:
    """Start ``name`` with ``workers``, warm it up, run ``specs``, stop it; the figures and the result."""
    load_before = os.getloadavg()[0]
    warm_up = [experiment.RunSpec(scenario, 10_000 + seed, 2000, 3) for seed in range(2 * workers)]
    started = time.perf_counter()
    with _make(name, workers) as backend:
        if name != "serial":
            warm = experiment.run(warm_up, backend=_Started(backend), progress=False)
            if not warm.failures.empty:
                raise SystemExit(f"{name}: warm-up failed: {warm.failures['error'].iloc[0]}")
        ready = time.perf_counter()
        result = experiment.run(specs, backend=_Started(backend), progress=sys.stderr.isatty())
        finished = time.perf_counter()
    stopped = time.perf_counter()
    if not result.failures.empty:
        raise SystemExit(f"{name}: {len(result.failures)} runs failed: {result.failures['error'].iloc[0]}")
    sweep = finished - ready
    figures = {
        "backend": name,
        "workers": workers,
        "runs": len(specs),
        "startup_seconds": round(ready - started, 2),
        "sweep_seconds": round(sweep, 2),
        "runs_per_second": round(len(specs) / sweep, 4),
        "runs_per_second_with_startup": round(len(specs) / (finished - started), 4),
        "shutdown_seconds": round(stopped - finished, 2),
        "mean_run_seconds": round(float(pd.Series(result.manifest["run_seconds"]).mean()), 3),
        "load_average_1m_before": round(load_before, 2),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    return figures, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "ningbo" / "ningbo-2019-reform.yaml"))
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts for process and dask")
    parser.add_argument("--backends", default="serial,process,dask")
    parser.add_argument("--serial-runs", type=int, help="run only this many seeds serially and scale the rate")
    args = parser.parse_args()

    worker_counts = [int(w) for w in args.workers.split(",")]
    specs = [experiment.RunSpec(args.scenario, seed, args.agents, args.months) for seed in range(args.runs)]
    rows: list[dict] = []
    results: dict[str, experiment.ExperimentResult] = {}
    print(
        f"sweep benchmark: {args.runs} runs × {args.agents:,} agents × {args.months} months, workers {worker_counts}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, sim {__version__}"
    )
    for name in args.backends.split(","):
        for workers in [1] if name == "serial" else worker_counts:
            chosen = specs[: args.serial_runs] if name == "serial" and args.serial_runs else specs
            figures, result = measure(name, workers, chosen, args.scenario)
            rows.append(figures)
            results[f"{name}-{workers}"] = result
            print(
                f"  {name:8s} {workers} worker(s): start-up {figures['startup_seconds']:6.1f} s, "
                f"{len(chosen)} runs in {figures['sweep_seconds']:7.1f} s → {figures['runs_per_second']:.3f} runs/s "
                f"(load {figures['load_average_1m_before']:.2f} → {figures['load_average_1m_after']:.2f})"
            )

    _check_identical(results)
    serial = next((row["runs_per_second"] for row in rows if row["backend"] == "serial"), None)
    print()
    print(
        "| backend | workers | runs | start-up s | sweep s | runs/s | runs/s with start-up | vs serial "
        "| mean s per run (on its worker) | load average (1 min) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        if serial:
            row["speedup_vs_serial"] = round(row["runs_per_second"] / serial, 2)
        speedup = row.get("speedup_vs_serial", float("nan"))
        print(
            f"| {row['backend']} | {row['workers']} | {row['runs']} | {row['startup_seconds']:.1f} | "
            f"{row['sweep_seconds']:.1f} | {row['runs_per_second']:.3f} | {row['runs_per_second_with_startup']:.3f} | "
            f"{speedup:.2f}× | {row['mean_run_seconds']:.2f} | "
            f"{row['load_average_1m_before']:.2f} → {row['load_average_1m_after']:.2f} |"
        )
    print(
        json.dumps(
            {
                "benchmark": "sweep",
                "runs": args.runs,
                "agents": args.agents,
                "months": args.months,
                "cpus": os.cpu_count(),
                "scenario": Path(args.scenario).stem,
                "measurements": rows,
            }
        )
    )


def _check_identical(results: dict[str, experiment.ExperimentResult]) -> None:
    """Every backend's tables equal the others' on the runs they share."""
    names = list(results)
    for name in names[1:]:
        first, other = results[names[0]], results[name]
        shared = sorted(set(first.runs["run"]) & set(other.runs["run"]))
        for table in ("monthly", "rounds", "settlers"):
            a, b = getattr(first, table), getattr(other, table)
            pd.testing.assert_frame_equal(
                a[a["run"].isin(shared)].reset_index(drop=True),
                b[b["run"].isin(shared)].reset_index(drop=True),
                obj=f"{table}: {names[0]} vs {name}",
            )


if __name__ == "__main__":
    main()
