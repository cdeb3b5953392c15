"""Profile the settlement model (synthesis + run) under cProfile.

Usage::

    python benchmarks/profile_engine.py [--agents 200000] [--months 24] [--seed 0]
                                        [--top 25] [--scenario benchmarks/engine-scenario.yaml]
                                        [--out profile.pstats]

Prints the top functions by cumulative and by total (own) time, and a per-phase table of
the model's month (``SettlementModel.take_rules`` … ``collect``) so that the cost of each
phase is visible at a glance. ``--out`` keeps the raw statistics for snakeviz / pstats.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from sim.model import SettlementModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

PHASES = (
    "take_rules",
    "demography",
    "assess_and_apply",
    "admit",
    "work_and_contribute",
    "reside",
    "migrate",
    "collect",
    "result",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--scenario", type=Path, default=HERE / "engine-scenario.yaml")
    parser.add_argument("--out", type=Path, default=None, help="write the raw pstats here")
    args = parser.parse_args(argv)

    scenario = load_scenario(args.scenario, {"months": args.months})
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    model = SettlementModel.from_scenario(scenario, agents=args.agents, seed=args.seed, months=args.months)
    synthesised = time.perf_counter()
    model.run()
    profiler.disable()
    finished = time.perf_counter()
    print(
        f"{args.scenario.name}: {args.agents:,} agents × {args.months} months, {model.pop.size:,} slots; "
        f"under cProfile: synthesis {synthesised - started:.2f} s, run {finished - synthesised:.2f} s"
    )
    if args.out:
        profiler.dump_stats(args.out)
        print(f"raw statistics written to {args.out}")

    stats = pstats.Stats(profiler)
    phase_rows = []
    for (filename, _, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if filename.endswith(str(Path("sim", "model.py"))) and name in PHASES:
            phase_rows.append((cumulative, name, calls, own))
    total = sum(row[0] for row in phase_rows if row[1] != "result") or 1.0
    print("\nphases of the month (cumulative seconds over the run):")
    for cumulative, name, calls, own in sorted(phase_rows, reverse=True):
        share = f"{100 * cumulative / total:5.1f}%" if name != "result" else "     "
        print(f"  {name:22s} {cumulative:8.2f} s {share}  calls {calls:5d}  own {own:6.2f} s")

    for key, title in (("cumulative", "cumulative time"), ("tottime", "total (own) time")):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(args.top)
        text = out.getvalue()
        print(f"\n=== top {args.top} by {title} ===")
        print(text[text.index("ncalls") :] if "ncalls" in text else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
