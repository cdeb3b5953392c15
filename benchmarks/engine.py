"""Engine benchmark: the vectorised settlement model against a plain-Mesa reference.

Usage::

    python benchmarks/engine.py [--agents 1000000] [--months 120] [--mesa-agents 5000] [--seed 0]

1. Loads ``benchmarks/engine-scenario.yaml`` (two cities in a recognition region, every
   channel, a points round with quota and tie rule, continuous and cumulative counting,
   back payment, a dated reform with grandfathering, moves between the cities).
2. Runs the full model first in the process (synthesis + every month + results), timing
   synthesis and the run, and reads the process's peak RSS (``ru_maxrss``) right after.
3. Runs the plain-Mesa reference (``benchmarks/mesa_reference.py``: one ``mesa.Agent`` per
   person, the same phases and rule conditions in Python) at ``--mesa-agents`` over the
   *same months* as the engine, reforms included, and reports its agent-months per second
   by CPU time and by wall time.
4. Runs the engine at the reference's size too and checks that both models' totals agree
   (:func:`disagreements`); the script exits with status 1 when they do not.

Agent-months are ``agents × months`` for both models, ``agents`` being the initial
migrants asked for (arrivals during the run come on top in both). Both models run the same
span: the reference's later months are cheaper than its first (settled and departed agents
leave its ``AgentSet``), so a rate timed over a few months and extrapolated would flatter
the engine. The headline speed-up divides CPU times (the engine runs long loops on two
threads, the reference on one): ``speedup_vs_mesa_cpu_same_span``. The engine's rate
includes synthesis; the reference's is its stepping alone (its population is built from the
engine's synthesis, which is not charged to it).

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
TARGET_SECONDS = 8.0
TARGET_SPEEDUP_CPU = 100.0
TARGET_RSS_MB = 350.0
FLOWS = ("applied", "settled", "dependants_settled", "left")
STOCKS = ("eligible_any", "blocked_only_by_gap")
FLOW_Z_MAX = 4.0
"""Flows may differ by at most this many standard errors of a difference of two Poisson counts of agents."""
STOCK_RELATIVE_MAX = 0.10
"""Stocks (persons eligible each month) may differ by this share of their mean where noise allows less."""
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


def disagreements(engine: pd.DataFrame, reference: pd.DataFrame, persons_per_agent: float, months: int) -> list[str]:
    """Where the engine's and the reference's totals (from :func:`totals`) differ beyond noise.

    The two models draw their own random numbers, so their totals differ by sampling noise.
    A flow (applications, settlements, departures over the run) is a count of agent events:
    it may differ by at most ``FLOW_Z_MAX`` standard errors of the difference of two Poisson
    counts, ``sqrt(a + b)`` agents. A stock summed over the months (persons eligible) is
    strongly autocorrelated: its monthly mean, in agents, is held to the same number of
    standard errors of one month's count, or to ``STOCK_RELATIVE_MAX`` of its mean, whichever
    is wider (small runs are noisy; large runs must agree within the relative tolerance).
    Both are summed over the cities.

    Returns
    -------
    list of str
        One line per counter outside its tolerance; empty when the models agree.
    """
    problems = []
    for name in FLOWS:
        a, b = engine[name].sum() / persons_per_agent, reference[name].sum() / persons_per_agent
        z = abs(a - b) / max((a + b) ** 0.5, 1.0)
        if z > FLOW_Z_MAX:
            problems.append(f"{name}: engine {a:,.0f} agents, reference {b:,.0f} ({z:.1f} standard errors)")
    for name in STOCKS:
        a, b = (frame[name].sum() / persons_per_agent / months for frame in (engine, reference))
        relative = abs(a - b) / max((a + b) / 2, 1.0)
        z = abs(a - b) / max((a + b) ** 0.5, 1.0)
        if relative > STOCK_RELATIVE_MAX and z > FLOW_Z_MAX:
            problems.append(
                f"{name}: engine {a:,.0f} agents a month, reference {b:,.0f} "
                f"({relative:.1%} apart, {z:.1f} standard errors)"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--mesa-agents", type=int, default=5000, help="the reference runs the same months")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--mesa-repeats", type=int, default=2, help="run the reference this many times and keep the fastest"
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
    engine_ns_cpu = engine["cpu_seconds"] / agent_months * 1e9
    monthly = engine["result"].monthly
    last = monthly[monthly["month"] == monthly["month"].max()]
    print(f"\nengine: {args.agents:,} agents × {args.months} months ({engine['slots']:,} slots incl. arrivals)")
    print(f"  synthesis        {engine['synthesis_seconds']:8.2f} s")
    print(f"  run              {engine['run_seconds']:8.2f} s  ({engine['run_seconds'] / args.months:.3f} s/month)")
    print(f"  total            {engine['seconds']:8.2f} s  → {engine_rate:,.0f} agent-months/s")
    print(f"  CPU time         {engine['cpu_seconds']:8.2f} s  → {engine_ns_cpu:.0f} ns per agent-month")
    print(f"  peak RSS         {peak:8.0f} MB  (population arrays {engine['population_mb']:.0f} MB)")
    print(
        f"  rounds {len(engine['result'].rounds)}, settlers {len(engine['result'].settlers):,} rows, "
        f"settled at end {last['settled_total'].sum():,.0f} persons, migrants {last['migrants'].sum():,.0f}"
    )
    del engine["model"], engine["result"], monthly, last
    gc.collect()

    # 2. The plain-Mesa reference, over the same months.
    runs = [run_mesa(args.mesa_agents, args.months, args.seed) for _ in range(max(1, args.mesa_repeats))]
    reference = min(runs, key=lambda run: run["step_cpu_seconds"])
    mesa_agent_months = args.mesa_agents * args.months
    mesa_rate = mesa_agent_months / reference["step_seconds"]
    mesa_ns_cpu = reference["step_cpu_seconds"] / mesa_agent_months * 1e9
    print(
        f"\nmesa reference: {args.mesa_agents:,} agents × {args.months} months "
        f"(least CPU of {len(runs)} runs: {', '.join(format(run['step_cpu_seconds'], '.2f') for run in runs)} s)"
    )
    print(f"  build (not charged) {reference['build_seconds']:6.2f} s")
    print(f"  steps            {reference['step_seconds']:8.2f} s  → {mesa_rate:,.0f} agent-months/s")
    print(f"  CPU time         {reference['step_cpu_seconds']:8.2f} s  → {mesa_ns_cpu:,.0f} ns per agent-month")

    # 3. The engine at the reference's size: its rate there, and the check that both simulate the same month.
    small = run_engine(args.mesa_agents, args.months, args.seed)
    small_rate = mesa_agent_months / small["seconds"]
    print(f"  engine at the same size: {small['seconds']:.2f} s → {small_rate:,.0f} agent-months/s")
    engine_totals, mesa_totals = totals(small["result"].monthly), totals(reference["monthly"])
    side = pd.concat({"engine": engine_totals, "mesa": mesa_totals}).T
    side = side.loc[(side != 0).any(axis=1)]
    print("\n  totals over the months (real persons; each model draws its own numbers):")
    print("  " + (side / 1000).round(1).to_string(float_format=lambda v: f"{v:,.1f}k").replace("\n", "\n  "))
    problems = disagreements(engine_totals, mesa_totals, small["model"].scale, args.months)
    print(
        f"  agreement: flows within {FLOW_Z_MAX:.0f} standard errors, stocks within {STOCK_RELATIVE_MAX:.0%} "
        "or that many standard errors: " + ("OK" if not problems else "FAILED")
    )
    for problem in problems:
        print(f"    {problem}")

    speedup_wall = engine_rate / mesa_rate
    speedup_cpu = mesa_ns_cpu / engine_ns_cpu
    load = os.getloadavg()
    print(f"\ntargets (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}):")
    print(
        f"  {args.agents:,} × {args.months} in < {TARGET_SECONDS:.0f} s: {engine['seconds']:.1f} s "
        f"{'OK' if engine['seconds'] < TARGET_SECONDS else 'MISSED'}"
        + ("" if (args.agents, args.months) == (1_000_000, 120) else " (not the target size)")
    )
    print(
        f"  ≥ {TARGET_SPEEDUP_CPU:.0f}× Mesa by CPU time over the same months: {speedup_cpu:.1f}× "
        f"{'OK' if speedup_cpu >= TARGET_SPEEDUP_CPU else 'MISSED'} (by wall time: {speedup_wall:.1f}×)"
    )
    print(f"  peak RSS < {TARGET_RSS_MB:.0f} MB: {peak:.0f} MB {'OK' if peak < TARGET_RSS_MB else 'MISSED'}")

    summary = {
        "scenario": SCENARIO.name,
        "seed": args.seed,
        "cores": cores(),
        "load_average_1m": round(load[0], 2),
        "slots": engine["slots"],
        "synthesis_seconds": round(engine["synthesis_seconds"], 3),
        "run_seconds": round(engine["run_seconds"], 3),
        "run_agent_months_per_s": round(agent_months / engine["run_seconds"]),
        "cpu_seconds": round(engine["cpu_seconds"], 3),
        "baseline_rss_mb": round(baseline_rss, 1),
        "mesa_agents": args.mesa_agents,
        "mesa_step_seconds": round(reference["step_seconds"], 3),
        "mesa_step_cpu_seconds": round(reference["step_cpu_seconds"], 3),
        "engine_same_size_agent_months_per_s": round(small_rate),
        "agents": args.agents,
        "months": args.months,
        "seconds": round(engine["seconds"], 3),
        "agent_months_per_s": round(engine_rate),
        "peak_rss_mb": round(peak, 1),
        "mesa_reference_agent_months_per_s": round(mesa_rate),
        "speedup_vs_mesa_wall_same_span": round(speedup_wall, 2),
        "totals_agree": not problems,
        "ns_per_agent_month_cpu": round(engine_ns_cpu, 1),
        "mesa_ns_per_agent_month_cpu": round(mesa_ns_cpu, 1),
        "speedup_vs_mesa_cpu_same_span": round(speedup_cpu, 2),
    }
    print(json.dumps(summary))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
