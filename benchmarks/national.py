"""National benchmark: 300 cities in five tiers (``benchmarks/national-scenario.yaml``) against the two-city one.

Usage::

    python benchmarks/national.py [--agents 3000000] [--months 120] [--seed 0]
                                  [--scenario PATH] [--compare | --no-compare]
    python benchmarks/national.py --agents 300000 --months 24     # a quick look

Runs the full model (synthesis, every month, the result tables) on the scenario and prints wall
time, CPU time, CPU nanoseconds per agent-month, peak RSS and the load average. With
``--compare`` (the default) it then runs the two-city benchmark scenario
(``benchmarks/engine-scenario.yaml``) at the same size in a fresh process, so that each peak RSS
is its own run's, and prints the ratio of the two CPU times per agent-month: the issue's target
is "within 1.5×". The targets for 3,000,000 × 120 are under 45 s and under 1 GB.

Figures are measured, never asserted: the machine may be shared, which the load average beside
them tells. The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Import the working tree's ``sim`` whatever the current directory (the editable install may be stale).
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(HERE))

from engine import cores, current_rss_mb  # noqa: E402
from engine import peak_rss_mb as max_rss_mb  # noqa: E402

from sim.model import SettlementModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

NATIONAL = HERE / "national-scenario.yaml"
TWO_CITIES = HERE / "engine-scenario.yaml"
TARGET_SECONDS = 45.0
TARGET_RSS_MB = 1024.0
TARGET_RATIO = 1.5


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MB: ``VmHWM``, which starts afresh in a new program.

    ``ru_maxrss`` does not: a process started by one that had grown large reports the parent's
    peak (Linux keeps it across fork and exec), which would give the two-city run the national
    run's peak. Elsewhere than Linux, ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return max_rss_mb()


def measure(path: Path, agents: int, months: int, seed: int) -> dict:
    """Synthesis, run and result tables of ``path``; the figures of that run."""
    baseline_rss = current_rss_mb()
    scenario = load_scenario(path, {"months": months})
    load_before = os.getloadavg()[0]
    cpu = time.process_time()
    started = time.perf_counter()
    model = SettlementModel.from_scenario(scenario, agents=agents, seed=seed, months=months)
    synthesised = time.perf_counter()
    result = model.run()
    finished = time.perf_counter()
    cpu_seconds = time.process_time() - cpu
    monthly = result.monthly
    last = monthly[monthly["month"] == monthly["month"].max()]
    return {
        "scenario": path.name,
        "cities": len(scenario.cities),
        "regions": len(scenario.regions),
        "agents": agents,
        "months": months,
        "seed": seed,
        "slots": model.population.size,
        "population_mb": round(model.population.nbytes() / 2**20, 1),
        "synthesis_seconds": round(synthesised - started, 3),
        "run_seconds": round(finished - synthesised, 3),
        "seconds": round(finished - started, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "ns_per_agent_month_cpu": round(cpu_seconds / (agents * months) * 1e9, 1),
        "baseline_rss_mb": round(baseline_rss, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_average_1m_before": round(load_before, 2),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
        "cores": cores(),
        "monthly_rows": len(monthly),
        "rounds_rows": len(result.rounds),
        "settlers_rows": len(result.settlers),
        "migrants_at_end": float(last["migrants"].sum()),
        "settled_at_end": float(last["settled_total"].sum()),
    }


def report(figures: dict) -> None:
    """Print one run's figures."""
    f = figures
    print(
        f"{f['scenario']}: {f['cities']} cities, {f['regions']} regions, {f['agents']:,} agents × {f['months']} months "
        f"({f['slots']:,} slots incl. arrivals)"
    )
    print(f"  synthesis   {f['synthesis_seconds']:8.2f} s")
    print(f"  run         {f['run_seconds']:8.2f} s  ({f['run_seconds'] / f['months']:.3f} s/month)")
    print(f"  wall        {f['seconds']:8.2f} s")
    print(f"  CPU         {f['cpu_seconds']:8.2f} s  → {f['ns_per_agent_month_cpu']:.0f} ns per agent-month")
    print(
        f"  peak RSS    {f['peak_rss_mb']:8.0f} MB  (population arrays {f['population_mb']:.0f} MB, "
        f"after imports {f['baseline_rss_mb']:.0f} MB)"
    )
    print(f"  load average (1 min) {f['load_average_1m_before']:.2f} before, {f['load_average_1m_after']:.2f} after")
    print(
        f"  tables: monthly {f['monthly_rows']:,} rows, rounds {f['rounds_rows']:,}, settlers {f['settlers_rows']:,}; "
        f"at the end {f['migrants_at_end']:,.0f} migrants, {f['settled_at_end']:,.0f} settled (persons)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=3_000_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", type=Path, default=NATIONAL)
    parser.add_argument(
        "--compare",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the two-city scenario at the same size, in a fresh process",
    )
    parser.add_argument("--json-only", action="store_true", help="print only the JSON line (used by --compare)")
    args = parser.parse_args(argv)

    figures = measure(args.scenario, args.agents, args.months, args.seed)
    if args.json_only:
        print(json.dumps(figures))
        return 0
    report(figures)
    summary: dict = {"benchmark": "national", **figures}
    if args.compare:
        command = [sys.executable, __file__, "--scenario", str(TWO_CITIES), "--no-compare", "--json-only"]
        command += ["--agents", str(args.agents), "--months", str(args.months), "--seed", str(args.seed)]
        two = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        print()
        report(two)
        ratio = figures["ns_per_agent_month_cpu"] / two["ns_per_agent_month_cpu"]
        summary |= {"two_cities": two, "ns_per_agent_month_cpu_ratio": round(ratio, 2)}
        print(f"\nCPU per agent-month, {figures['scenario']} / {two['scenario']}: {ratio:.2f}×")
    load = os.getloadavg()
    print(f"\ntargets (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {cores()} cores):")
    at_size = (args.agents, args.months) == (3_000_000, 120) and args.scenario == NATIONAL
    note = "" if at_size else " (not the target size or scenario)"
    print(
        f"  wall < {TARGET_SECONDS:.0f} s: {figures['seconds']:.1f} s "
        f"{'OK' if figures['seconds'] < TARGET_SECONDS else 'MISSED'}{note}"
    )
    print(
        f"  peak RSS < {TARGET_RSS_MB:.0f} MB: {figures['peak_rss_mb']:.0f} MB "
        f"{'OK' if figures['peak_rss_mb'] < TARGET_RSS_MB else 'MISSED'}{note}"
    )
    if args.compare:
        ratio = summary["ns_per_agent_month_cpu_ratio"]
        print(
            f"  CPU per agent-month within {TARGET_RATIO}× of two cities: {ratio:.2f}× "
            f"{'OK' if ratio <= TARGET_RATIO else 'MISSED'}"
        )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
