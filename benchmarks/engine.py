"""Engine benchmark: the vectorised settlement model against a plain-Mesa reference.

Usage::

    python benchmarks/engine.py [--agents 1000000] [--months 120]
                                [--mesa-agents 5000] [--mesa-months 12] [--seed 0]

1. Loads ``benchmarks/engine-scenario.yaml`` (two cities in a recognition region, every
   channel, a points round with quota and tie rule, continuous and cumulative counting,
   back payment, a dated reform with grandfathering, moves between the cities).
2. Runs the full model first in the process (synthesis + every month + results), timing
   synthesis and the run, and reads the process's peak RSS (``ru_maxrss``) right after.
3. Runs the plain-Mesa reference (``benchmarks/mesa_reference.py``: one ``mesa.Agent`` per
   person, the same phases and rule conditions in Python) at ``--mesa-agents`` ×
   ``--mesa-months`` and reports its agent-months per second.
4. Runs the engine at the reference's size too and prints both models' totals side by
   side, as a check that the reference simulates the same month.

Agent-months are ``agents × months`` for both models, ``agents`` being the initial
migrants asked for (arrivals during the run come on top in both). The engine's rate uses
its wall time *including* synthesis; the reference's rate uses its stepping time only (its
population is built from the engine's synthesis, which is not charged to it).

The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Import the working tree's ``sim`` whatever the current directory (the editable install may be stale).
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(HERE))

import mesa  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from mesa_reference import MesaSettlement  # noqa: E402

from sim.model import SettlementModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.scenario.schema import CHANNELS  # noqa: E402

SCENARIO = HERE / "engine-scenario.yaml"
TARGET_SECONDS = 15.0
TARGET_SPEEDUP = 40.0
TARGET_RSS_MB = 400.0
COMPARED = (
    "applied",
    "settled",
    "dependants_settled",
    "left",
    "eligible_any",
    "blocked_only_by_gap",
    *(f"settled_{c}" for c in CHANNELS),
)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float:
    """Current resident set size, in MB (Linux; NaN elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run_engine(agents: int, months: int, seed: int) -> dict:
    """Synthesis and run of the vectorised model; returns timings and the result."""
    scenario = load_scenario(SCENARIO, {"months": months})
    cpu = time.process_time()
    started = time.perf_counter()
    model = SettlementModel.from_scenario(scenario, agents=agents, seed=seed, months=months)
    synthesised = time.perf_counter()
    result = model.run()
    finished = time.perf_counter()
    return {
        "cpu_seconds": time.process_time() - cpu,
        "model": model,
        "result": result,
        "synthesis_seconds": synthesised - started,
        "run_seconds": finished - synthesised,
        "seconds": finished - started,
        "slots": model.pop.size,
        "population_mb": model.pop.nbytes() / 2**20,
    }


def run_mesa(agents: int, months: int, seed: int) -> dict:
    """Build and step the plain-Mesa reference; returns timings and its monthly table."""
    scenario = load_scenario(SCENARIO, {"months": months})
    started = time.perf_counter()
    model = MesaSettlement(scenario, agents=agents, seed=seed)
    built = time.perf_counter()
    cpu = time.process_time()
    for _ in range(months):
        model.step()
    finished = time.perf_counter()
    return {
        "step_cpu_seconds": time.process_time() - cpu,
        "build_seconds": built - started,
        "step_seconds": finished - built,
        "monthly": model.datacollector.get_table_dataframe("monthly"),
        "agents_at_end": len(model.agents),
    }


def totals(monthly: pd.DataFrame) -> pd.DataFrame:
    """Sums over the months of the compared counters, per city, in real persons."""
    return monthly.groupby("city")[list(COMPARED)].sum()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--mesa-agents", type=int, default=5000)
    parser.add_argument("--mesa-months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--mesa-repeats", type=int, default=3, help="run the reference this many times and keep the fastest"
    )
    args = parser.parse_args(argv)

    baseline_rss = current_rss_mb()
    print(f"engine benchmark: {SCENARIO.relative_to(ROOT)}")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, mesa {mesa.__version__}, "
        f"{cores()} cores available, RSS after imports {baseline_rss:.0f} MB"
    )

    # 1. The full model first, so that the peak RSS is the model's.
    engine = run_engine(args.agents, args.months, args.seed)
    peak = peak_rss_mb()
    agent_months = args.agents * args.months
    engine_rate = agent_months / engine["seconds"]
    monthly = engine["result"].monthly
    last = monthly[monthly["month"] == monthly["month"].max()]
    print(f"\nengine: {args.agents:,} agents × {args.months} months ({engine['slots']:,} slots incl. arrivals)")
    print(f"  synthesis        {engine['synthesis_seconds']:8.2f} s")
    print(f"  run              {engine['run_seconds']:8.2f} s  ({engine['run_seconds'] / args.months:.3f} s/month)")
    print(f"  total            {engine['seconds']:8.2f} s  → {engine_rate:,.0f} agent-months/s")
    print(f"  CPU time         {engine['cpu_seconds']:8.2f} s  (wall ≫ CPU means other processes shared the cores)")
    print(f"  peak RSS         {peak:8.0f} MB  (population arrays {engine['population_mb']:.0f} MB)")
    print(
        f"  rounds {len(engine['result'].rounds)}, settlers {len(engine['result'].settlers):,} rows, "
        f"settled at end {last['settled_total'].sum():,.0f} persons, migrants {last['migrants'].sum():,.0f}"
    )
    del engine["model"], engine["result"], monthly, last
    gc.collect()

    # 2. The plain-Mesa reference.
    runs = [run_mesa(args.mesa_agents, args.mesa_months, args.seed) for _ in range(max(1, args.mesa_repeats))]
    reference = min(runs, key=lambda run: run["step_seconds"])
    reference["step_cpu_seconds"] = min(run["step_cpu_seconds"] for run in runs)
    mesa_rate = args.mesa_agents * args.mesa_months / reference["step_seconds"]
    print(
        f"\nmesa reference: {args.mesa_agents:,} agents × {args.mesa_months} months "
        f"(fastest of {len(runs)} runs: {', '.join(format(run['step_seconds'], '.2f') for run in runs)} s)"
    )
    print(f"  build (not charged) {reference['build_seconds']:6.2f} s")
    print(f"  steps            {reference['step_seconds']:8.2f} s  → {mesa_rate:,.0f} agent-months/s")
    print(f"  CPU time         {reference['step_cpu_seconds']:8.2f} s")

    # 3. The engine at the reference's size: same-size rate and a side-by-side check of the month.
    small = run_engine(args.mesa_agents, args.mesa_months, args.seed)
    small_rate = args.mesa_agents * args.mesa_months / small["seconds"]
    print(f"  engine at the same size: {small['seconds']:.2f} s → {small_rate:,.0f} agent-months/s")
    side = pd.concat({"engine": totals(small["result"].monthly), "mesa": totals(reference["monthly"])}).T
    side = side.loc[(side != 0).any(axis=1)]
    print("\n  totals over the months (real persons; one seed, so expect sampling noise):")
    print("  " + (side / 1000).round(1).to_string(float_format=lambda v: f"{v:,.1f}k").replace("\n", "\n  "))

    speedup = engine_rate / mesa_rate
    cpu_speedup = (agent_months / engine["cpu_seconds"]) / (
        args.mesa_agents * args.mesa_months / reference["step_cpu_seconds"]
    )
    print("\ntargets:")
    print(
        f"  {args.agents:,} × {args.months} in < {TARGET_SECONDS:.0f} s: {engine['seconds']:.1f} s "
        f"{'OK' if engine['seconds'] < TARGET_SECONDS else 'MISSED'}"
        + ("" if (args.agents, args.months) == (1_000_000, 120) else " (not the target size)")
    )
    print(
        f"  ≥ {TARGET_SPEEDUP:.0f}× Mesa: {speedup:.1f}× {'OK' if speedup >= TARGET_SPEEDUP else 'MISSED'} "
        f"(by CPU time: {cpu_speedup:.1f}×)"
    )
    print(f"  peak RSS < {TARGET_RSS_MB:.0f} MB: {peak:.0f} MB {'OK' if peak < TARGET_RSS_MB else 'MISSED'}")

    summary = {
        "scenario": SCENARIO.name,
        "seed": args.seed,
        "cores": cores(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "slots": engine["slots"],
        "synthesis_seconds": round(engine["synthesis_seconds"], 3),
        "run_seconds": round(engine["run_seconds"], 3),
        "run_agent_months_per_s": round(agent_months / engine["run_seconds"]),
        "cpu_seconds": round(engine["cpu_seconds"], 3),
        "baseline_rss_mb": round(baseline_rss, 1),
        "mesa_agents": args.mesa_agents,
        "mesa_months": args.mesa_months,
        "mesa_step_seconds": round(reference["step_seconds"], 3),
        "mesa_step_cpu_seconds": round(reference["step_cpu_seconds"], 3),
        "speedup_vs_mesa_by_cpu_time": round(cpu_speedup, 2),
        "engine_same_size_agent_months_per_s": round(small_rate),
        "agents": args.agents,
        "months": args.months,
        "seconds": round(engine["seconds"], 3),
        "agent_months_per_s": round(engine_rate),
        "peak_rss_mb": round(peak, 1),
        "mesa_reference_agent_months_per_s": round(mesa_rate),
        "speedup_vs_mesa": round(speedup, 2),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
