"""Command line: ``python -m sim run | validate | check``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.destination import check_destination
from sim.errors import Problem, ScenarioError, SimError
from sim.experiment.cli import add_commands as add_experiment_commands
from sim.limits import agent_count, month_count, seed_number
from sim.scenario import load_scenario


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except SimError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # a disk that fills or a folder that vanishes while a command runs
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}. Hint: check the disk and the --out folder", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sim", description="Simulate hukou settlement rules.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a scenario and write its tables")
    run.add_argument("scenario", help="scenario YAML file or preset id")
    run.add_argument("--agents", type=agent_count, help="agents for the initial migrants (default: the scenario's)")
    run.add_argument("--seed", type=seed_number, default=0, help="random seed (default 0)")
    run.add_argument("--months", type=month_count, help="months to simulate (default: the scenario's)")
    run.add_argument("--out", default="out", help="output directory (default ./out)")
    run.add_argument("--format", choices=("csv", "parquet"), default="csv", help="table format (default csv)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=_run)

    validate = commands.add_parser("validate", help="check scenario files and report every problem")
    validate.add_argument("files", nargs="+", help="scenario YAML files")
    validate.set_defaults(handler=_validate)

    check = commands.add_parser("check", help="can this person settle? eligibility with reasons")
    check.add_argument("scenario", help="scenario YAML file or preset id")
    check.add_argument("--city", required=True, help="city id in the scenario")
    check.add_argument("--date", required=True, help="month of application, YYYY-MM")
    who = check.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", help="person YAML file (see docs/scenarios.md)")
    who.add_argument("--persons", help="many persons: a folder of person files, a .jsonl or a .csv file")
    check.add_argument("--json", action="store_true", help="print JSON instead of text (--person)")
    check.add_argument("--out", help="write the --persons table as CSV to this file instead of printing")
    check.add_argument(
        "--skip-invalid",
        action="store_true",
        help="--persons: check the valid persons and list the invalid ones in the table (default: refuse all)",
    )
    check.set_defaults(handler=_check)

    describe = commands.add_parser("describe", help="describe a scenario's rules in words, or diff two scenarios")
    describe.add_argument("scenario", help="scenario YAML file or preset id")
    describe.add_argument("--lang", choices=("zh", "en"), default="zh", help="language (default zh)")
    describe.add_argument("--format", choices=("md", "html"), default="md", help="Markdown or HTML (default md)")
    describe.add_argument("--out", help="write to this file instead of printing")
    describe.add_argument("--diff", metavar="OTHER", help="list what scenario OTHER changes compared with SCENARIO")
    describe.set_defaults(handler=_describe)

    add_experiment_commands(commands)  # compare, sweep
    return parser


def _describe(args: argparse.Namespace) -> int:
    from sim.describe import run_describe

    return run_describe(args.scenario, lang=args.lang, fmt=args.format, out=args.out, other=args.diff)


def _run(args: argparse.Namespace) -> int:
    from sim.model import SettlementModel  # Mesa and pandas load only for the verbs that run a model

    scenario = load_scenario(args.scenario)
    check_destination(args.out)
    model = SettlementModel.from_scenario(scenario, agents=args.agents, seed=args.seed, months=args.months)
    result = model.run(progress=not args.quiet)
    written = result.write(Path(args.out), args.format)
    monthly = result.monthly
    total = monthly["settled"].sum() + monthly["dependants_settled"].sum()
    manifest = result.manifest
    print(
        f"{scenario.id}: {manifest['agents']:,} agents × {manifest['months']} months "
        f"(1 agent = {manifest['scale_persons_per_agent']:.1f} persons) in {manifest['run_seconds']:.1f} s"
    )
    print(f"settled {total:,.0f} persons ({monthly['dependants_settled'].sum():,.0f} as dependants)")
    for path in written:
        print(f"  wrote {path}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.files:
        try:
            scenario = load_scenario(name)
        except SimError as err:
            failed += 1
            print(f"{name}: INVALID\n{err}", file=sys.stderr)
        else:
            cities = ", ".join(scenario.cities)
            print(f"{name}: ok ({scenario.id}; cities: {cities})")
            _print_notes(name)
    return 1 if failed else 0


def _print_notes(name: str) -> None:
    from sim.scenario.deprecations import deprecation_notes

    for note in deprecation_notes(name):
        print(f"  note: {note}")


def _check(args: argparse.Namespace) -> int:
    if args.persons is not None:
        from sim.check_batch import run_check_batch

        if args.json:
            raise ScenarioError(
                [
                    Problem(
                        "--json", "", "is for one person (--person).", hint="with --persons, --out writes a CSV table"
                    )
                ]
            )
        text, status = run_check_batch(args.scenario, args.city, args.date, args.persons, args.out, args.skip_invalid)
        print(text)
        return status
    if args.out is not None or args.skip_invalid:
        flag = "--out" if args.out is not None else "--skip-invalid"
        raise ScenarioError(
            [Problem(flag, "", "is for many persons (--persons).", hint="one person's check is printed; use --json")]
        )
    from sim.explain import run_check

    text, status = run_check(args.scenario, args.city, args.date, args.person, args.json)
    print(text)
    return status
