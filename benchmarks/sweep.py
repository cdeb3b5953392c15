"""Sweep throughput: the same replications run serially, on a local process pool and on Dask.

Usage::

    python benchmarks/sweep.py [--runs 200] [--agents 100000] [--months 60]
                               [--scenario ningbo-2019-reform] [--workers N]
                               [--backends serial,process,dask] [--serial-runs K]

Each backend runs seeds ``0 … runs-1`` of one scenario through :func:`sim.experiment.run`, without a
store (results stay in memory), and is timed from the call to the combined tables, so that pool or
cluster start-up and the transfer of summarised results are charged to it. Reported: wall time,
runs per second, speed-up over serial, and the mean compute time of one run as its worker measured
it. The process pool and the Dask LocalCluster get ``--workers`` processes (one per CPU by default).

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
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Import the working tree's ``sim`` whatever the current directory (the editable install may be stale).
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from sim import __version__, experiment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "ningbo" / "ningbo-2019-reform.yaml"))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--backends", default="serial,process,dask")
    parser.add_argument("--serial-runs", type=int, help="run only this many seeds serially and scale the rate")
    args = parser.parse_args()

    specs = [experiment.RunSpec(args.scenario, seed, args.agents, args.months) for seed in range(args.runs)]
    figures: dict[str, dict[str, float]] = {}
    results: dict[str, experiment.ExperimentResult] = {}
    print(
        f"sweep benchmark: {args.runs} runs × {args.agents:,} agents × {args.months} months, "
        f"{args.workers} workers, {os.cpu_count()} CPUs, Python {platform.python_version()}, sim {__version__}"
    )
    for name in args.backends.split(","):
        chosen = specs
        if name == "serial" and args.serial_runs:
            chosen = specs[: args.serial_runs]
        backend = {
            "serial": experiment.SerialBackend(),
            "process": experiment.ProcessPoolBackend(args.workers),
            "dask": experiment.DaskBackend("local", args.workers),
        }[name]
        started = time.perf_counter()
        result = experiment.run(chosen, backend=backend, progress=sys.stderr.isatty())
        seconds = time.perf_counter() - started
        if not result.failures.empty:
            raise SystemExit(f"{name}: {len(result.failures)} runs failed: {result.failures['error'].iloc[0]}")
        per_run = pd.Series(result.manifest["run_seconds"]).mean()
        figures[name] = {
            "runs": len(chosen),
            "wall_seconds": round(seconds, 2),
            "runs_per_second": round(len(chosen) / seconds, 4),
            "mean_run_seconds": round(float(per_run), 3),
        }
        results[name] = result
        print(f"  {name:8s} {len(chosen):4d} runs in {seconds:8.1f} s  {len(chosen) / seconds:7.3f} runs/s")

    _check_identical(results)
    if "serial" in figures:
        base = figures["serial"]["runs_per_second"]
        for entry in figures.values():
            entry["speedup_vs_serial"] = round(entry["runs_per_second"] / base, 2)
    print()
    print("| backend | runs | wall s | runs/s | speed-up vs serial | mean s per run (on its worker) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, entry in figures.items():
        speedup = entry.get("speedup_vs_serial", float("nan"))
        print(
            f"| {name} | {entry['runs']} | {entry['wall_seconds']:.1f} | {entry['runs_per_second']:.3f} | "
            f"{speedup:.2f}× | {entry['mean_run_seconds']:.2f} |"
        )
    print(
        json.dumps(
            {
                "benchmark": "sweep",
                "runs": args.runs,
                "agents": args.agents,
                "months": args.months,
                "workers": args.workers,
                "cpus": os.cpu_count(),
                "scenario": Path(args.scenario).stem,
                "backends": figures,
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
