"""``python -m calibration``: check, fit, score, compare-mechanisms, sensitivity.

::

    python -m calibration check calibration/targets/ningbo-2019.yaml
    python -m calibration fit calibration/targets/ningbo-2019.yaml --budget 96 --seeds 4 --out out/calibration
    python -m calibration fit TARGETS.yaml --fit-until 2018 --out out/temporal   # temporal validation
    python -m calibration score TARGETS.yaml --scenario scenarios/calibrated/X.yaml --seeds 10 --out out/score
    python -m calibration compare-mechanisms TARGETS.yaml --variant A.yaml --variant B.yaml --out out/mechanisms
    python -m calibration sensitivity TARGETS.yaml --trajectories 10 --out out/sensitivity

Every command writes only under ``--out``: ``runs/`` (the results store: rerunning recomputes
nothing that finished) and its reports. A fit writes ``history.csv``, ``parameters.csv``,
``abc.csv`` (with ``--abc``), ``scorecard.md``, ``scorecard.csv``, ``fit.json`` and the calibrated
scenario ``<scenario>-calibrated.yaml``. ``fit --save`` also publishes the calibrated preset into
``scenarios/calibrated/`` and the reports into ``calibration/results/<targets id>/``, together and
stamped with the commit, the dirty flag, the targets file's hash and the seeds.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from calibration.evaluate import Evaluator
from calibration.fit import fit_and_score, scenario_text, seeds_text
from calibration.library import (
    CALIBRATED_DIR,
    FIT_REPORTS,
    RESULTS_DIR,
    SENSITIVITY_REPORTS,
    fit_stamp,
    publish,
    relative,
    targets_sha256,
)
from calibration.scorecard import render_markdown, scorecard, write_scorecard
from calibration.targets import TargetsFile, load_targets
from sim import provenance
from sim.atomic import atomic_write_text
from sim.errors import SimError


@dataclass
class Calibration:
    """Everything a fit produced."""

    params: dict[str, float]
    loss: float
    intervals: pd.DataFrame
    warnings: list[str]
    card: pd.DataFrame
    markdown: str
    history: pd.DataFrame
    files: dict[str, Path]
    info: dict[str, Any]


def calibrate(
    targets: TargetsFile,
    *,
    out: str | Path,
    budget: int | None = None,
    seeds: int | None = None,
    scorecard_seeds: int | None = None,
    scorecard_agents: int | None = None,
    abc: int | None = None,
    backend: str = "process",
    workers: int | None = None,
    dask: str | None = None,
    agents: int | None = None,
    cite: str = "",
    progress: bool = True,
    rng: int = 0,
    command: str = "",
    save: bool = False,
    calibrated_dir: str | Path | None = None,
    results_dir: str | Path | None = None,
) -> Calibration:
    """Fit, estimate intervals, score with fresh seeds; write the reports and the calibrated scenario to ``out``.

    Nothing is written outside ``out`` unless ``save``: then the calibrated preset goes to
    ``calibrated_dir`` (:data:`~calibration.library.CALIBRATED_DIR`) and the reports to
    ``results_dir/<targets id>/`` (:data:`~calibration.library.RESULTS_DIR`), both stamped.
    """
    started = time.time()
    out = Path(out)
    settings = targets.fit
    fit_seeds = list(range(seeds or settings.seeds))
    card_seeds = [settings.scorecard_seed_base + i for i in range(scorecard_seeds or settings.scorecard_seeds)]
    evaluator = Evaluator(
        targets, store=out / "runs", backend=backend, workers=workers, dask=dask, agents=agents, progress=progress
    )
    card_agents = scorecard_agents or settings.scorecard_agents or agents
    draws = settings.abc_draws if abc is None else abc
    outcome = fit_and_score(
        targets,
        evaluator,
        fit_seeds=fit_seeds,
        card_seeds=card_seeds,
        budget=budget or settings.budget,
        card_agents=card_agents,
        abc=draws,
        rng=rng,
    )
    params, best_loss, history, intervals = outcome.params, outcome.loss, outcome.history, outcome.intervals
    warnings, values = outcome.warnings, outcome.values
    card = scorecard(values, targets)
    stamp = fit_stamp(targets, fit_seeds, card_seeds)
    size = f"{agents or targets.run.agents or 'scenario default'} agents, {targets.run.months or 'all'} months"
    card_size = f"{card_agents or targets.run.agents or 'scenario default'} agents"
    split = f"; fitting period up to {targets.split.fit_until}" if targets.split else ""
    notes = [
        f"targets file: `{relative(targets.path)}` (sha256 {stamp['targets_sha256'][:12]}); "
        f"scenario: `{relative(targets.scenario_path())}`{split}",
        f"fit: differential evolution + compass polish, {len(history)} vectors × {len(fit_seeds)} seeds "
        f"(common random numbers), loss {best_loss:.4g}; {size}",
        f"scorecard: {len(card_seeds)} fresh seeds ({card_seeds[0]}–{card_seeds[-1]}) at {card_size}; "
        "model = mean ± standard error, band = 5%–95% across seeds",
        f"code: commit {stamp['commit']}, {_tree(stamp['dirty'])}",
    ]
    markdown = render_markdown(
        card, intervals, warnings, title=targets.title or targets.id, notes=notes, free_parameters=len(params)
    )
    files: dict[str, Path] = {
        "history": atomic_write_text(out / "history.csv", history.to_csv(index=False)),
        "parameters": atomic_write_text(out / "parameters.csv", intervals.to_csv(index=False)),
        "values": atomic_write_text(out / "values.csv", values.drop(columns="point").to_csv(index=False)),
    }
    if outcome.abc_draws is not None:
        files["abc"] = atomic_write_text(out / "abc.csv", outcome.abc_draws.to_csv(index=False))
    csv, md = write_scorecard(out, card, markdown)
    files |= {"scorecard_csv": csv, "scorecard_md": md}
    stem = Path(targets.scenario_path()).stem
    name = f"{stem}-calibrated.yaml"

    def preset(path: Path, cited: Path) -> str:
        from sim.scenario import load_scenario

        base = load_scenario(targets.scenario_path())
        summary = "\n".join(
            f"{r.target}: observed {r.observed:g}, model {r.fitted:.4g} ± {r.se:.2g} ({r.verdict}, {r.role})"
            for r in card.itertuples()
        )
        return scenario_text(
            path,
            base=targets.scenario_path(),
            base_id=base.id,
            base_title=(base.title.zh, base.title.en),
            overrides=evaluator.overrides(params),
            intervals=intervals[intervals["method"] == "laplace"],
            targets_path=relative(targets.path),
            scorecard_path=relative(cited) + (f"; {cite}" if cite else ""),
            summary=summary,
            stamp=stamp,
        )

    files["scenario"] = atomic_write_text(out / name, preset(out / name, md))
    info: dict[str, Any] = {
        "command": command,
        "targets": relative(targets.path),
        **stamp,
        "fit_until": targets.split.fit_until if targets.split else None,
        "fit_targets": list(targets.fit_targets()),
        "holdout_targets": {k: targets.held_out_by(k) for k in targets.holdout_targets()},
        "params": params,
        "loss": best_loss,
        "jacobian_singular_values": [float(s) for s in outcome.singular],
        "warnings": warnings,
        "runs_computed": evaluator.runs_done,
        "runs_from_store": evaluator.runs_stored,
        "wall_seconds": round(time.time() - started, 1),
        "files": {k: relative(v) for k, v in files.items()},
    }
    if save:
        library = Path(calibrated_dir or CALIBRATED_DIR) / name
        results = Path(results_dir or RESULTS_DIR)
        info["saved"] = {"scenario": relative(library), "results": relative(results / targets.id)}
    files["fit"] = atomic_write_text(out / "fit.json", json.dumps(info, indent=2, ensure_ascii=False))
    if save:
        published = publish(out, targets.id, FIT_REPORTS, results)
        files |= {f"saved {p.name}": p for p in published}
        files["saved scenario"] = atomic_write_text(library, preset(library, results / targets.id / "scorecard.md"))
    return Calibration(params, best_loss, intervals, warnings, card, markdown, history, files, info)


def _tree(dirty: Any) -> str:
    if not isinstance(dirty, bool):
        return "tree state unknown"
    return "uncommitted changes in the tree (dirty)" if dirty else "clean tree"


def score_preset(
    targets: TargetsFile,
    *,
    out: str | Path,
    scenario: str | None = None,
    seeds: int | None = None,
    agents: int | None = None,
    backend: str = "process",
    workers: int | None = None,
    dask: str | None = None,
    progress: bool = True,
    command: str = "",
) -> tuple[pd.DataFrame, str, dict[str, Path]]:
    """The scorecard of a saved preset against a targets file, without fitting.

    Parameters
    ----------
    targets : TargetsFile
        The published figures; their roles (and ``split``) say which ones the fit that made the
        preset saw.
    out : path
        Where ``scorecard.md``, ``scorecard.csv``, ``values.csv`` (one row per seed and target) and
        ``score.json`` go, with the run store ``runs/``.
    scenario : str, optional
        A scenario file or preset id; the targets file's scenario by default.
    seeds, agents : int, optional
        Fresh seeds (from ``fit.scorecard_seed_base``) and agents per run; the targets file's
        scorecard settings by default.

    Returns
    -------
    card, markdown, files
    """
    started = time.time()
    out = Path(out)
    settings = targets.fit
    path = scenario or targets.scenario_path()
    if Path(path).suffix in (".yaml", ".yml"):
        path = str(Path(path).resolve())  # a file given on the command line is relative to the working directory
    from sim.scenario import load_scenario

    load_scenario(path)  # a missing or invalid preset is reported here, with its problems, before any run
    free = len(targets.parameters)
    preset_targets = targets.model_copy(update={"scenario": path, "parameters": {}})
    card_seeds = [settings.scorecard_seed_base + i for i in range(seeds or settings.scorecard_seeds)]
    size = agents or settings.scorecard_agents or targets.run.agents
    evaluator = Evaluator(
        preset_targets, store=out / "runs", backend=backend, workers=workers, dask=dask, agents=size, progress=progress
    )
    evaluator.say(f"score: {relative(path)} × {len(card_seeds)} seeds at {size or 'the scenario default'} agents")
    values = evaluator.values([{}], card_seeds)
    card = scorecard(values, targets)
    stamp = {**provenance.stamp(), "targets_sha256": targets_sha256(targets), "scorecard_seeds": card_seeds}
    split = f"; fitting period up to {targets.split.fit_until}" if targets.split else ""
    notes = [
        f"targets file: `{relative(targets.path)}` (sha256 {stamp['targets_sha256'][:12]}){split}",
        f"scenario scored: `{relative(path)}` (no fit: its parameters as saved)",
        f"{len(card_seeds)} seeds ({seeds_text(card_seeds)}) at {size or 'the scenario default'} agents, "
        f"{targets.run.months or 'all'} months; model = mean ± standard error, band = 5%–95% across seeds",
        "fitted targets are those the targets file fits (the free parameters it declares: "
        + (", ".join(f"`{k}`" for k in targets.parameters) or "none")
        + ")",
        f"code: commit {stamp['commit']}, {_tree(stamp['dirty'])}",
    ]
    markdown = render_markdown(
        card, None, [], title=f"{targets.title or targets.id} — {Path(path).stem}", notes=notes, free_parameters=free
    )
    csv, md = write_scorecard(out, card, markdown)
    files = {"scorecard_csv": csv, "scorecard_md": md}
    files["values"] = atomic_write_text(out / "values.csv", values.drop(columns="point").to_csv(index=False))
    info = {
        "command": command,
        "targets": relative(targets.path),
        "scenario": relative(path),
        "agents": size,
        **stamp,
        "runs_computed": evaluator.runs_done,
        "runs_from_store": evaluator.runs_stored,
        "wall_seconds": round(time.time() - started, 1),
    }
    files["score"] = atomic_write_text(out / "score.json", json.dumps(info, indent=2, ensure_ascii=False))
    return card, markdown, files


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    parser = argparse.ArgumentParser(prog="python -m calibration", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a targets file")
    check.add_argument("targets")
    commands = (
        ("fit", "fit the free parameters and write the scorecard", "out/calibration"),
        ("score", "score a saved preset against the targets without fitting", "out/score"),
        ("compare-mechanisms", "fit competing mechanisms on the same targets and seeds", "out/mechanisms"),
        ("sensitivity", "Morris screening of every free and assumed behavioural parameter", "out/sensitivity"),
    )
    for name, helptext, default in commands:
        p = sub.add_parser(name, help=helptext)
        p.add_argument("targets")
        p.add_argument("--out", default=default, help="output directory and run store; nothing is written elsewhere")
        p.add_argument("--agents", type=positive, help="agents per run (overrides the targets file)")
        p.add_argument("--backend", default="process", choices=["serial", "process", "dask"])
        p.add_argument("--workers", type=positive)
        p.add_argument("--dask", help="'local' or a scheduler address (tcp://host:8786)")
        p.add_argument("--quiet", action="store_true")
    for name in ("fit", "compare-mechanisms", "sensitivity"):
        seeds_help = "seeds per parameter vector (common random numbers)"
        sub.choices[name].add_argument("--seeds", type=positive, help=seeds_help)
    for name in ("fit", "compare-mechanisms"):
        p = sub.choices[name]
        p.add_argument("--budget", type=positive, help="parameter vectors: 3/4 differential evolution, 1/4 polish")
        p.add_argument("--scorecard-seeds", type=positive, help="fresh seeds for the scorecard (10 by default)")
        p.add_argument("--scorecard-agents", type=positive, help="agents per scorecard run (default: the fit's)")
        p.add_argument("--holdout", default="", help="comma-separated targets to hold out of the fit")
    for name in ("fit", "score", "compare-mechanisms"):
        sub.choices[name].add_argument(
            "--fit-until",
            help="temporal validation: fit only targets whose months end by YYYY or YYYY-MM; score the later ones",
        )
    fit = sub.choices["fit"]
    fit.add_argument("--abc", type=non_negative, help="ABC rejection with this many prior draws (0: off)")
    fit.add_argument("--cite", default="", help="text appended to the calibrated scenario's source")
    for name in ("fit", "sensitivity"):
        p = sub.choices[name]
        p.add_argument(
            "--save",
            action="store_true",
            help="publish into the library: "
            + (
                "the calibrated preset (scenarios/calibrated/) and the reports (calibration/results/<id>/)"
                if name == "fit"
                else "the reports (calibration/results/<id>/)"
            ),
        )
        p.add_argument("--publish", dest="save", action="store_true", help=argparse.SUPPRESS)  # former name
    score = sub.choices["score"]
    score.add_argument("--scenario", help="the preset (file or id) to score; the targets file's scenario by default")
    score.add_argument("--seeds", type=positive, help="fresh seeds (the targets file's scorecard_seeds by default)")
    mech = sub.choices["compare-mechanisms"]
    mech.add_argument("--variant", action="append", required=True, help="a variant file (give two or more)")
    sens = sub.choices["sensitivity"]
    sens.add_argument("--trajectories", type=two_or_more, default=10)
    sens.add_argument("--free-only", action="store_true", help="screen only the targets file's free parameters")
    return parser


def _whole(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, got {value}")
    return value


def positive(text: str) -> int:
    """An argparse type: a whole number above 0."""
    return _whole(text, 1)


def two_or_more(text: str) -> int:
    """An argparse type: a whole number of at least 2 (Morris needs two trajectories for a spread)."""
    return _whole(text, 2)


def non_negative(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    return _whole(text, 0)


def _command(argv: list[str] | None) -> str:
    return shlex.join(["python", "-m", "calibration", *(sys.argv[1:] if argv is None else argv)])


def _targets(args: argparse.Namespace) -> TargetsFile:
    targets = load_targets(args.targets)
    if getattr(args, "holdout", ""):
        targets = targets.with_holdout([n.strip() for n in args.holdout.split(",") if n.strip()])
    if getattr(args, "fit_until", None):
        targets = targets.with_fit_until(args.fit_until)
    return targets


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        targets = _targets(args)
        if args.command == "check":
            print(f"{args.targets}: {len(targets.targets)} targets, {len(targets.parameters)} free parameters: OK")
            return 0
        if args.command == "fit":
            result = calibrate(
                targets,
                out=args.out,
                budget=args.budget,
                seeds=args.seeds,
                scorecard_seeds=args.scorecard_seeds,
                scorecard_agents=args.scorecard_agents,
                abc=args.abc,
                backend=args.backend,
                workers=args.workers,
                dask=args.dask,
                agents=args.agents,
                cite=args.cite,
                progress=not args.quiet,
                command=_command(argv),
                save=args.save,
            )
            print(result.markdown)
            for name, path in result.files.items():
                print(f"{name}: {relative(path)}")
            if not args.save:
                print("nothing was written outside --out; `--save` publishes the preset and the results of record")
            return 0
        if args.command == "score":
            _, markdown, files = score_preset(
                targets,
                out=args.out,
                scenario=args.scenario,
                seeds=args.seeds,
                agents=args.agents,
                backend=args.backend,
                workers=args.workers,
                dask=args.dask,
                progress=not args.quiet,
                command=_command(argv),
            )
            print(markdown)
            for name, path in files.items():
                print(f"{name}: {relative(path)}")
            return 0
        if args.command == "compare-mechanisms":
            from calibration import mechanisms

            comparison = mechanisms.compare(
                targets,
                [mechanisms.load_variant(v) for v in args.variant],
                out=args.out,
                budget=args.budget,
                seeds=args.seeds,
                scorecard_seeds=args.scorecard_seeds,
                scorecard_agents=args.scorecard_agents,
                agents=args.agents,
                backend=args.backend,
                workers=args.workers,
                dask=args.dask,
                progress=not args.quiet,
                command=_command(argv),
            )
            print(comparison.markdown)
            for name, path in comparison.files.items():
                print(f"{name}: {relative(path)}")
            return 0
        return _sensitivity(args, targets)
    except SimError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _sensitivity(args: argparse.Namespace, targets: TargetsFile) -> int:
    from calibration import sensitivity
    from calibration.assumed import with_assumed

    screened = targets if args.free_only else with_assumed(targets)
    evaluator = Evaluator(
        screened,
        store=Path(args.out) / "runs",
        backend=args.backend,
        workers=args.workers,
        dask=args.dask,
        agents=args.agents,
        progress=not args.quiet,
    )
    indices = sensitivity.morris(evaluator, trajectories=args.trajectories, seeds=list(range(args.seeds or 2)))
    indices["kind"] = ["free" if p in targets.parameters else "assumed" for p in indices["parameter"]]
    files = sensitivity.write(args.out, indices, f"Morris: {targets.id}", screened)
    print(sensitivity.most_moved(indices, screened).to_string(index=False))
    print(", ".join(relative(p) for p in files))
    if args.save:
        for path in publish(args.out, targets.id, SENSITIVITY_REPORTS):
            print(f"saved: {relative(path)}")
    return 0
