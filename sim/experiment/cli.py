"""The ``compare`` and ``sweep`` commands of ``python -m sim`` (added to its parser by :func:`add_commands`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.destination import check_destination
from sim.errors import ScenarioError
from sim.experiment.backends import BACKENDS
from sim.limits import agent_count, month_count, repeat_count, seed_number


def add_commands(commands: Any) -> None:
    """Add ``compare`` and ``sweep`` to the sub-command parsers of ``python -m sim``."""
    compare = commands.add_parser(
        "compare",
        help="run scenarios with the same seeds and report paired differences with bands",
        description=(
            "Run every scenario for the same seeds with common random numbers and write the indicators "
            "per scenario (mean and 90 % band across seeds) and the paired differences variant − baseline."
        ),
    )
    compare.add_argument("baseline", help="baseline scenario YAML file or preset id")
    compare.add_argument("variants", nargs="+", metavar="variant", help="variant scenario files or preset ids")
    _common(compare, default_seeds=10, default_out="out/compare")
    compare.set_defaults(handler=_compare)

    sweep = commands.add_parser(
        "sweep",
        help="run a scenario over a grid or a sampled design of parameter values",
        description=(
            "Run a scenario at every point of a design with the same seeds per point. Finished runs are "
            "kept in OUT/runs: rerunning an interrupted sweep computes only what is missing."
        ),
    )
    sweep.add_argument("scenario", help="scenario YAML file or preset id")
    sweep.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="PATH=V1,V2,...",
        help="values of a parameter (a dotted scenario path; values are YAML); several --param make a grid",
    )
    sweep.add_argument(
        "--range",
        action="append",
        default=[],
        metavar="PATH=LOW:HIGH",
        help="range of a parameter for a sampled design (integer bounds give integers)",
    )
    sweep.add_argument(
        "--design",
        choices=("lhs", "sobol"),
        default="lhs",
        help="how --range values are sampled: Latin hypercube (default) or Sobol'",
    )
    sweep.add_argument("--samples", type=repeat_count, default=8, help="points of a sampled design (default 8)")
    sweep.add_argument("--design-seed", type=int, default=0, help="seed of the sampled design (default 0)")
    _common(sweep, default_seeds=1, default_out="out/sweep")
    sweep.set_defaults(handler=_sweep)


def _common(parser: argparse.ArgumentParser, *, default_seeds: int, default_out: str) -> None:
    parser.add_argument("--seeds", type=repeat_count, default=default_seeds, help=f"seeds (default {default_seeds})")
    parser.add_argument("--first-seed", type=seed_number, default=0, help="first seed (default 0)")
    parser.add_argument("--agents", type=agent_count, help="agents per run (default: each scenario's)")
    parser.add_argument("--months", type=month_count, help="months per run (default: each scenario's)")
    parser.add_argument("--out", default=default_out, help=f"output directory (default ./{default_out})")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="table format (default csv)")
    parser.add_argument(
        "--backend", choices=BACKENDS, default="process", help="where runs execute (default: a local process pool)"
    )
    parser.add_argument("--workers", type=repeat_count, help="worker processes (default: one per CPU)")
    parser.add_argument(
        "--dask",
        metavar="local|ADDRESS",
        help="run on Dask: 'local' starts a LocalCluster, tcp://HOST:PORT uses a running scheduler",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _execution(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out)
    return {
        "seeds": args.seeds,
        "first_seed": args.first_seed,
        "agents": args.agents,
        "months": args.months,
        "backend": "dask" if args.dask else args.backend,
        "workers": args.workers,
        "dask": args.dask or ("local" if args.backend == "dask" else None),
        "store": out / "runs",
        "progress": False if args.quiet else None,
    }


def _report(result: Any, out: Path) -> int:
    manifest = result.manifest
    counts = manifest["runs"]
    backend = manifest["backend"]
    print(
        f"{counts['total']} runs: {counts['executed']} executed, {counts['stored']} already stored, "
        f"{counts['failed']} failed — backend {backend['name']} ({_workers(backend.get('workers'))}), "
        f"{manifest['wall_seconds']:.1f} s"
    )
    failures = result.failures
    if len(failures):
        print(f"{len(failures)} runs failed (logged in {out / 'runs' / 'failures.jsonl'}; rerun to retry):")
        for row in failures.drop_duplicates("run").head(5).itertuples():
            first_lines = " ".join(str(row.error).splitlines()[:3])
            print(f"  - {row.scenario} seed {row.seed}: {first_lines}", file=sys.stderr)
    return 1 if len(failures) else 0


def _compare(args: argparse.Namespace) -> int:
    from sim.experiment.compare import compare

    out = Path(args.out)
    check_destination(out)
    check_scenarios([args.baseline, *args.variants])
    comparison = compare([args.baseline, *args.variants], **_execution(args))
    status = _report(comparison.result, out)
    for variant in comparison.levels["scenario"].unique():
        if variant != comparison.baseline:
            print()
            print(comparison.format_headline(variant))
    written = comparison.write(out, args.format)
    print(f"\nwrote {len(written)} files to {out}/ (levels, differences, indicators, monthly bands, manifest.json)")
    return status


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiment.design import cross, grid, latin_hypercube, parse_param, parse_range, sobol
    from sim.experiment.sweep import sweep

    out = Path(args.out)
    params = dict(parse_param(text) for text in args.param)
    ranges = dict(parse_range(text) for text in args.range)
    sampled = None
    if ranges:
        sample = latin_hypercube if args.design == "lhs" else sobol
        sampled = sample(ranges, args.samples, seed=args.design_seed)
    parts = [grid(params)] if params else []
    parts += [sampled] if sampled is not None else []
    design = cross(*parts) if parts else None
    check_destination(out)
    check_scenarios([args.scenario], design)
    swept = sweep(args.scenario, design, **_execution(args))
    status = _report(swept.result, out)
    print()
    print(_sweep_table(swept))
    written = swept.write(out, args.format)
    print(f"\nwrote {len(written)} files to {out}/ (design, summary, indicators, runs, manifest.json)")
    return status


def _sweep_table(swept: Any) -> str:
    import pandas as pd

    summary = swept.summary
    if summary.empty or "indicator" not in summary:
        return "no finished runs"
    totals = summary[(summary["indicator"] == "settled_all") & (summary["breakdown"] == "total")]
    if totals.empty:
        return "no finished runs"
    cities = totals["city"].unique()
    totals = totals[totals["city"] == ("all" if "all" in cities else cities[0])]
    params = [c for c in swept.design.columns if c != "point"]
    table = totals[["point", *params]].copy()
    pct = round(swept.level * 100)
    table["persons settled"] = [f"{v:,.0f}" for v in totals["mean"]]
    table[f"{pct}% band"] = [f"[{lo:,.0f}, {hi:,.0f}]" for lo, hi in zip(totals["low"], totals["high"], strict=True)]
    table["seeds"] = totals["seeds"].to_numpy()
    with pd.option_context("display.max_colwidth", 40, "display.width", 200):
        return table.to_string(index=False)


def check_scenarios(scenarios: list[str], design: Any = None) -> None:
    """Load every scenario (with a design point's overrides) before anything runs.

    A scenario that does not load, or a parameter path that leads nowhere or names an unknown key,
    is refused with every problem at once. A point whose value the schema rejects (a rate above 1)
    is left to the sweep, which logs it as a failed point and finishes the others.

    Raises
    ------
    ScenarioError
        Listing the problems of the scenarios and of the parameter paths.
    """
    from sim.scenario import load_scenario

    # Every point of a design sets the same paths, so the first point shows a wrong path.
    points = [{}] if design is None else design.to_dict("records")[:1]
    problems = []
    for scenario in scenarios:
        for overrides in points:
            try:
                load_scenario(scenario, overrides or None)
            except ScenarioError as err:
                if not overrides:
                    problems.extend(err.problems)
                    break
                problems.extend(p for p in err.problems if _names_a_wrong_path(p, overrides))
    unique = list(dict.fromkeys(problems))
    if unique:
        raise ScenarioError(unique)


def _names_a_wrong_path(problem: Any, overrides: dict[str, Any]) -> bool:
    from sim.scenario.loader import format_key_path, parse_key_path

    paths = {format_key_path(tuple(parse_key_path(path))) for path in overrides}
    return problem.path in paths and problem.message.startswith(("unknown key", "does not lead"))


def _workers(count: Any) -> str:
    return f"{count} worker{'' if count == 1 else 's'}" if count is not None else "workers unknown"
