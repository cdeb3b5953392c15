"""``python -m calibration``: fit, scorecard, sensitivity, check.

::

    python -m calibration check calibration/targets/ningbo-2019.yaml
    python -m calibration fit calibration/targets/ningbo-2019.yaml --budget 160 --seeds 3 --out out/calibration
    python -m calibration fit TARGETS.yaml --abc 300 --holdout share_aged_18_34 --dask local
    python -m calibration sensitivity TARGETS.yaml --trajectories 10 --out out/calibration

A fit writes into ``--out``: ``runs/`` (the results store: rerunning the command recomputes
nothing that finished), ``history.csv`` (every vector tried), ``parameters.csv``, ``abc.csv`` (with
``--abc``), ``scorecard.md``, ``scorecard.csv``, ``fit.json``; and the calibrated scenario
(``scenarios/calibrated/<scenario>-calibrated.yaml`` unless ``--scenario-out`` or ``--no-save``).
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

from calibration.abc import abc_rejection
from calibration.evaluate import Evaluator
from calibration.fit import differential_evolution_fit, laplace_intervals, pattern_polish, save_scenario
from calibration.scorecard import render_markdown, scorecard, write_scorecard
from calibration.targets import TargetsFile, load_targets
from sim.errors import SimError

ROOT = Path(__file__).resolve().parents[1]
CALIBRATED_DIR = ROOT / "scenarios" / "calibrated"
RESULTS_DIR = ROOT / "calibration" / "results"
"""Results of record, one directory per targets id: the reports the dashboard's calibration page shows."""
REPORTS = ("scorecard.csv", "scorecard.md", "parameters.csv", "fit.json", "sensitivity.csv", "sensitivity.png")


def publish(out: str | Path, targets_id: str, results: str | Path | None = None) -> list[Path]:
    """Copy the reports found in ``out`` (not its run store) to ``results/<targets_id>/``.

    Returns
    -------
    list of Path
        The files written.
    """
    target = Path(results or RESULTS_DIR) / targets_id
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in REPORTS:
        source = Path(out) / name
        if source.is_file():
            (target / name).write_bytes(source.read_bytes())
            written.append(target / name)
    return written


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
    scenario_out: str | Path | None = None,
    cite: str = "",
    progress: bool = True,
    rng: int = 0,
    command: str = "",
) -> Calibration:
    """Fit, estimate intervals, score with fresh seeds, write the reports and the calibrated scenario."""
    started = time.time()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = targets.fit
    fit_seeds = list(range(seeds or settings.seeds))
    card_seeds = [settings.scorecard_seed_base + i for i in range(scorecard_seeds or settings.scorecard_seeds)]
    evaluator = Evaluator(
        targets, store=out / "runs", backend=backend, workers=workers, dask=dask, agents=agents, progress=progress
    )
    total = budget or settings.budget
    params, best_loss, history = differential_evolution_fit(
        evaluator, seeds=fit_seeds, budget=(3 * total) // 4, rng=rng
    )
    params, best_loss, polished = pattern_polish(evaluator, params, best_loss, seeds=fit_seeds, budget=total // 4)
    history = pd.concat([history, polished], ignore_index=True)
    history.to_csv(out / "history.csv", index=False)
    intervals, warnings, singular = laplace_intervals(evaluator, params, seeds=fit_seeds)
    files: dict[str, Path] = {"history": out / "history.csv"}
    draws = settings.abc_draws if abc is None else abc
    if draws:
        posterior = abc_rejection(evaluator, draws=draws, accept=settings.abc_accept, seeds=fit_seeds, rng=rng)
        posterior.draws.assign(accepted=posterior.draws.index.isin(posterior.accepted.index)).to_csv(
            out / "abc.csv", index=False
        )
        files["abc"] = out / "abc.csv"
        intervals = pd.concat([intervals, posterior.intervals], ignore_index=True)  # ABC rows: posterior median
        warnings += posterior.warnings
    intervals.to_csv(out / "parameters.csv", index=False)
    files["parameters"] = out / "parameters.csv"
    card_agents = scorecard_agents or settings.scorecard_agents or agents
    evaluator.say(f"scorecard: fitted parameters × {len(card_seeds)} fresh seeds")
    evaluator.agents = card_agents  # the fit is done: from here on runs are the scorecard's
    values = evaluator.values([params], card_seeds)
    card = scorecard(values, targets)
    size = f"{agents or targets.run.agents or 'scenario default'} agents, {targets.run.months or 'all'} months"
    card_size = f"{card_agents or targets.run.agents or 'scenario default'} agents"
    notes = [
        f"targets file: `{_rel(targets.path)}`; scenario: `{_rel(targets.scenario_path())}`",
        f"fit: differential evolution + compass polish, {len(history)} vectors × {len(fit_seeds)} seeds "
        f"(common random numbers), loss {best_loss:.4g}; {size}",
        f"scorecard: {len(card_seeds)} fresh seeds ({card_seeds[0]}–{card_seeds[-1]}) at {card_size}; "
        "fitted = mean, band = 5%–95%",
        f"passed: {int(card['passed'].sum())}/{len(card)} "
        f"(fit targets {int(card.loc[card.role == 'fit', 'passed'].sum())}/{int((card.role == 'fit').sum())})",
    ]
    markdown = render_markdown(card, intervals, warnings, title=targets.title or targets.id, notes=notes)
    csv, md = write_scorecard(out, card, markdown)
    files |= {"scorecard_csv": csv, "scorecard_md": md}
    if scenario_out is not False:
        stem = Path(targets.scenario_path()).stem
        path = Path(scenario_out) if scenario_out else CALIBRATED_DIR / f"{stem}-calibrated.yaml"
        from sim.scenario import load_scenario

        base_id = load_scenario(targets.scenario_path()).id
        summary = "\n".join(
            [
                f"{r.target}: observed {r.observed:g}, model {r.fitted:.4g} ({'pass' if r.passed else 'FAIL'})"
                for r in card.itertuples()
            ]
        )
        files["scenario"] = save_scenario(
            path,
            base=targets.scenario_path(),
            base_id=base_id,
            overrides=evaluator.overrides(params),
            intervals=intervals[intervals["method"] == "laplace"],
            targets_path=_rel(targets.path),
            scorecard_path=_rel(md) + (f"; {cite}" if cite else ""),
            summary=summary,
        )
    info: dict[str, Any] = {
        "command": command,
        "targets": _rel(targets.path),
        "params": params,
        "loss": best_loss,
        "fit_seeds": fit_seeds,
        "scorecard_seeds": card_seeds,
        "jacobian_singular_values": [float(s) for s in singular],
        "warnings": warnings,
        "runs_computed": evaluator.runs_done,
        "runs_from_store": evaluator.runs_stored,
        "wall_seconds": round(time.time() - started, 1),
        "files": {k: _rel(v) for k, v in files.items()},
    }
    (out / "fit.json").write_text(json.dumps(info, indent=2, ensure_ascii=False), encoding="utf-8")
    files["fit"] = out / "fit.json"
    return Calibration(params, best_loss, intervals, warnings, card, markdown, history, files)


def _publish(args: argparse.Namespace, targets_id: str) -> None:
    if args.publish:
        for path in publish(args.out, targets_id):
            print(f"published: {_rel(path)}")


def _rel(path: Any) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except (ValueError, TypeError):
        return str(path)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    parser = argparse.ArgumentParser(prog="python -m calibration", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a targets file")
    check.add_argument("targets")
    for name, helptext in (
        ("fit", "fit the free parameters and write the scorecard"),
        ("sensitivity", "Morris screening"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("targets")
        p.add_argument("--out", default="out/calibration", help="output directory (and results store)")
        p.add_argument("--seeds", type=int, help="seeds per parameter vector (common random numbers)")
        p.add_argument("--agents", type=int, help="agents per run (overrides the targets file)")
        p.add_argument("--backend", default="process", choices=["serial", "process", "dask"])
        p.add_argument("--workers", type=int)
        p.add_argument("--dask", help="'local' or a scheduler address (tcp://host:8786)")
        p.add_argument("--quiet", action="store_true")
    fit = sub.choices["fit"]
    fit.add_argument("--budget", type=int, help="parameter vectors for differential evolution")
    fit.add_argument("--scorecard-seeds", type=int, help="fresh seeds for the scorecard (10 by default)")
    fit.add_argument("--scorecard-agents", type=int, help="agents per scorecard run (default: the fit's)")
    fit.add_argument("--abc", type=int, help="ABC rejection with this many prior draws (0: off)")
    fit.add_argument("--holdout", default="", help="comma-separated targets to hold out of the fit")
    fit.add_argument("--scenario-out", help="where to write the calibrated scenario")
    fit.add_argument("--no-save", action="store_true", help="do not write a calibrated scenario")
    fit.add_argument("--cite", default="", help="text appended to the calibrated scenario's source")
    for name in ("fit", "sensitivity"):
        sub.choices[name].add_argument(
            "--publish",
            action="store_true",
            help="also copy the reports to calibration/results/<targets id>/ (shown by the dashboard)",
        )
    sens = sub.choices["sensitivity"]
    sens.add_argument("--trajectories", type=int, default=10)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        targets = load_targets(args.targets)
        if args.command == "check":
            print(f"{args.targets}: {len(targets.targets)} targets, {len(targets.parameters)} free parameters: OK")
            return 0
        if args.command == "fit":
            if args.holdout:
                targets = targets.with_holdout([n.strip() for n in args.holdout.split(",") if n.strip()])
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
                scenario_out=False if args.no_save else args.scenario_out,
                cite=args.cite,
                progress=not args.quiet,
                command=shlex.join(["python", "-m", "calibration", *(sys.argv[1:] if argv is None else argv)]),
            )
            print(result.markdown)
            for name, path in result.files.items():
                print(f"{name}: {_rel(path)}")
            _publish(args, targets.id)
            return 0
        from calibration import sensitivity

        evaluator = Evaluator(
            targets,
            store=Path(args.out) / "runs",
            backend=args.backend,
            workers=args.workers,
            dask=args.dask,
            agents=args.agents,
            progress=not args.quiet,
        )
        indices = sensitivity.morris(evaluator, trajectories=args.trajectories, seeds=list(range(args.seeds or 2)))
        csv, png = sensitivity.write(args.out, indices, f"Morris: {targets.id}")
        print(indices.pivot(index="parameter", columns="target", values="mu_star_scaled").round(2).to_string())
        print(f"sensitivity: {_rel(csv)}, {_rel(png)}")
        _publish(args, targets.id)
        return 0
    except SimError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
