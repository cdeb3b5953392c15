"""Competing mechanisms: fit each variant on the same targets and seeds, and let the data choose.

Two mechanisms can both match the fitted figures (slow awareness of new rules, a processing
backlog, an extra route). ``python -m calibration compare-mechanisms TARGETS --variant A.yaml
--variant B.yaml`` fits every variant with the same budget, seeds and optimiser seed, scores it on
the same fresh seeds, and reports side by side: the loss at the optimum, the Akaike and Bayesian
information criteria, the loss of the fitted targets on the fresh seeds, and the held-out scores.

A variant file (YAML, data; paths relative to it)::

    id: instant-awareness
    title: "Everyone learns the new rules at once"
    scenario: ../../scenarios/ningbo/ningbo-2019-reform.yaml  # optional: the targets file's by default
    overrides: {behaviour.awareness.monthly_rate: 1.0}          # fixed values of this mechanism
    parameters:                                                  # optional: replaces the free parameters
      behaviour.intention.application_rate: {low: 0.005, high: 0.3, prior: loguniform}

The criteria: with each target's error read as Gaussian with its ``sigma``, −2 log-likelihood is
the loss (Σ z²) plus a constant shared by all variants fitted to the same targets, so
``AIC = loss + 2k`` and ``BIC = loss + k ln n`` (k free parameters, n fitted figures) compare
variants directly; the lowest wins, and a lead of less than 2 in AIC is no choice at all. The loss is
that of the fit's seeds (common random numbers); the fresh-seed loss shows whether the optimum
is the seeds' or the mechanism's.
"""

from __future__ import annotations

import difflib
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calibration.evaluate import Evaluator
from calibration.fit import fit_and_score
from calibration.library import fit_stamp, relative
from calibration.scorecard import counts_text, render_markdown, scorecard, write_scorecard
from calibration.targets import Parameter, TargetsError, TargetsFile
from sim.atomic import atomic_write_text
from sim.errors import Problem, ScenarioError
from sim.scenario.yamlsource import format_key_path, origin_of, read_yaml

CLEAR_LEAD = 2.0
"""AIC lead below which the data do not choose between two variants."""


class Variant(BaseModel):
    """One mechanism: a scenario, fixed overrides and the free parameters of its fit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = ""
    description: str = ""
    scenario: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Parameter] | None = None
    path: Path | None = Field(None, exclude=True)

    def scenario_for(self, targets: TargetsFile) -> str:
        """The scenario this variant runs: its own (resolved against its file) or the targets file's."""
        if self.scenario is None:
            return targets.scenario_path()
        if self.path is not None and self.scenario.endswith((".yaml", ".yml")):
            return str((self.path.parent / self.scenario).resolve())
        return self.scenario

    def targets_for(self, targets: TargetsFile) -> TargetsFile:
        """The targets file as this variant fits it (its scenario and free parameters)."""
        return targets.model_copy(
            update={"scenario": self.scenario_for(targets), "parameters": self.parameters or targets.parameters}
        )


def load_variant(path: str | Path) -> Variant:
    """Load and validate a variant file.

    Raises
    ------
    TargetsError
        With every problem found (file, key path, line, hint).
    """
    path = Path(path)
    if not path.is_file():
        raise TargetsError([Problem(str(path), "", "variant file not found", hint="give a YAML file per --variant")])
    data, origins = read_yaml(path, error=TargetsError)
    if not isinstance(data, Mapping):
        raise TargetsError([Problem(str(path), "", "expected a mapping at the top level")])
    try:
        variant = Variant.model_validate(dict(data))
    except ValidationError as err:
        problems = []
        for error in err.errors():
            loc = tuple(error["loc"])
            origin = origin_of(origins, loc)
            message, hint = str(error["msg"]).removeprefix("Value error, "), ""
            if error["type"] == "extra_forbidden":
                allowed = [n for n in Variant.model_fields if n != "path"] if len(loc) == 1 else []
                near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
                message = f"unknown key {loc[-1]!r}"
                hint = f"did you mean {near[0]!r}?" if near else ""
            elif error["type"] == "missing":
                message = f"required key {loc[-1]!r} is missing"
            problems.append(Problem(str(path), format_key_path(loc), message, origin[1] if origin else None, hint))
        raise TargetsError(problems) from None
    return variant.model_copy(update={"path": path.resolve()})


def check_variant(variant: Variant, targets: TargetsFile) -> None:
    """Load the variant's scenario with its overrides and every free parameter at its bounds.

    Raises
    ------
    TargetsError
        If the scenario rejects them (a key path it does not have, a value out of range).
    """
    from sim.scenario import load_scenario

    fitted = variant.targets_for(targets)
    for bound in ("low", "high"):
        values = {k: getattr(p, bound) for k, p in fitted.parameters.items()}
        try:
            load_scenario(fitted.scenario_path(), {**variant.overrides, **values})
        except ScenarioError as err:
            where = str(variant.path or variant.id)
            raise TargetsError(
                [Problem(where, "overrides", f"the scenario rejects this variant at the {bound} bounds: {err}")]
            ) from None


@dataclass
class Comparison:
    """The side-by-side table, its Markdown and the files written."""

    table: pd.DataFrame
    markdown: str
    files: dict[str, Path]
    chosen: str | None


def information_criteria(loss: float, free: int, fitted: int) -> tuple[float, float]:
    """``(AIC, BIC)`` from the loss (Σ z² at the optimum), ``free`` parameters and ``fitted`` figures."""
    return loss + 2 * free, loss + free * math.log(max(fitted, 1))


def choose(table: pd.DataFrame) -> str | None:
    """The variant with the lowest AIC, or None when the runner-up is within :data:`CLEAR_LEAD`."""
    ranked = table.sort_values("aic", kind="stable")
    if len(ranked) > 1 and ranked["aic"].iloc[1] - ranked["aic"].iloc[0] < CLEAR_LEAD:
        return None
    return str(ranked["variant"].iloc[0])


def _z2(card: pd.DataFrame, targets: TargetsFile, names: Sequence[str]) -> float:
    rows = card.set_index("target")
    total = 0.0
    for name in names:
        target = targets.targets[name]
        z = (rows.loc[name, "fitted"] - target.value) / target.tolerance.sigma(target.value)
        total += float(z**2) if math.isfinite(z) else 1e6
    return total


def compare(
    targets: TargetsFile,
    variants: Sequence[Variant],
    *,
    out: str | Path,
    budget: int | None = None,
    seeds: int | None = None,
    scorecard_seeds: int | None = None,
    scorecard_agents: int | None = None,
    agents: int | None = None,
    backend: str = "process",
    workers: int | None = None,
    dask: str | None = None,
    progress: bool = True,
    command: str = "",
    rng: int = 0,
) -> Comparison:
    """Fit every variant on ``targets`` with the same seeds and budget, score each on the same fresh seeds.

    Writes ``comparison.md``, ``comparison.csv``, ``comparison.json`` and, per variant,
    ``<id>/scorecard.md``, ``<id>/scorecard.csv``, ``<id>/parameters.csv`` into ``out``; the runs go to
    ``out/runs`` (shared: variants that run the same scenario share runs).
    """
    started = time.time()
    out = Path(out)
    ids = [v.id for v in variants]
    if len(variants) < 2 or len(set(ids)) != len(ids):
        raise TargetsError([Problem("--variant", "id", f"give two or more variants with distinct ids; got {ids}")])
    for variant in variants:
        check_variant(variant, targets)
    settings = targets.fit
    fit_seeds = list(range(seeds or settings.seeds))
    card_seeds = [settings.scorecard_seed_base + i for i in range(scorecard_seeds or settings.scorecard_seeds)]
    card_agents = scorecard_agents or settings.scorecard_agents or agents
    total = budget or settings.budget
    rows, files = [], {}
    for variant in variants:
        fitted = variant.targets_for(targets)
        evaluator = Evaluator(
            fitted,
            store=out / "runs",
            backend=backend,
            workers=workers,
            dask=dask,
            agents=agents,
            fixed=dict(variant.overrides),
            progress=progress,
        )
        count = len(fitted.parameters)
        evaluator.say(f"variant {variant.id}: {count} free parameter{'s' if count != 1 else ''}")
        outcome = fit_and_score(
            fitted,
            evaluator,
            fit_seeds=fit_seeds,
            card_seeds=card_seeds,
            budget=total,
            card_agents=card_agents,
            rng=rng,
        )
        params, best, intervals, warnings = outcome.params, outcome.loss, outcome.intervals, outcome.warnings
        card = scorecard(outcome.values, fitted)
        k, n = len(params), len(fitted.fit_targets())
        aic, bic = information_criteria(best, k, n)
        markdown = render_markdown(
            card,
            intervals,
            warnings,
            title=f"{targets.title or targets.id} — variant {variant.id}",
            notes=[f"variant file: `{relative(variant.path)}`; fixed: {dict(variant.overrides) or 'nothing'}"],
            free_parameters=k,
        )
        csv, md = write_scorecard(out / variant.id, card, markdown)
        files |= {f"{variant.id} scorecard": md, f"{variant.id} scorecard csv": csv}
        files[f"{variant.id} parameters"] = atomic_write_text(
            out / variant.id / "parameters.csv", intervals.to_csv(index=False)
        )
        seen, held = card[card["seen_by_fit"]], card[~card["seen_by_fit"]]
        rows.append(
            {
                "variant": variant.id,
                "title": variant.title,
                "free_parameters": k,
                "fitted_figures": n,
                "by_construction": k >= n,
                "loss": best,
                "aic": aic,
                "bic": bic,
                "fresh_seed_loss": _z2(card, fitted, list(seen["target"])),
                "holdout_loss": _z2(card, fitted, list(held["target"])),
                "fitted_verdicts": counts_text(seen),
                "holdout_verdicts": counts_text(held),
                "params": json.dumps(params),
            }
        )
    table = pd.DataFrame(rows)
    table["delta_aic"] = table["aic"] - table["aic"].min()
    chosen = choose(table)
    stamp = fit_stamp(targets, fit_seeds, card_seeds)
    markdown = _markdown(targets, table, chosen, stamp, len(fit_seeds), total)
    files["comparison"] = atomic_write_text(out / "comparison.md", markdown)
    files["comparison csv"] = atomic_write_text(out / "comparison.csv", table.to_csv(index=False))
    info = {
        "command": command,
        "targets": relative(targets.path),
        **stamp,
        "variants": {v.id: relative(v.path) for v in variants},
        "chosen": chosen,
        "wall_seconds": round(time.time() - started, 1),
    }
    files["comparison json"] = atomic_write_text(out / "comparison.json", json.dumps(info, indent=2))
    return Comparison(table, markdown, files, chosen)


def _markdown(
    targets: TargetsFile, table: pd.DataFrame, chosen: str | None, stamp: dict[str, Any], seeds: int, budget: int
) -> str:
    lines = [
        f"# Mechanisms compared: {targets.title or targets.id}",
        "",
        f"- every variant fitted on the same targets ({', '.join(targets.fit_targets())}), {seeds} seeds, "
        f"{budget} vectors, optimiser seed 0; scored on the same fresh seeds {stamp['scorecard_seeds'][0]}–"
        f"{stamp['scorecard_seeds'][-1]}",
        "- AIC = loss + 2k, BIC = loss + k ln n (loss = Σ z² of the fitted targets at the optimum, fit seeds); "
        f"lowest wins, a lead under {CLEAR_LEAD:g} is no choice",
        f"- code: commit {stamp['commit']}, dirty: {stamp['dirty']}",
        "",
        "| variant | k free | n fitted | loss | AIC | ΔAIC | BIC | fresh-seed loss | held-out loss "
        "| fitted verdicts | held-out verdicts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in table.itertuples():
        name = f"{r.variant}{' (k ≥ n: fits by construction)' if r.by_construction else ''}"
        lines.append(
            f"| {name} | {r.free_parameters} | {r.fitted_figures} | {r.loss:.3g} | {r.aic:.3g} | {r.delta_aic:.3g} "
            f"| {r.bic:.3g} | {r.fresh_seed_loss:.3g} | {r.holdout_loss:.3g} | {r.fitted_verdicts} "
            f"| {r.holdout_verdicts} |"
        )
    lines.append("")
    if chosen is None:
        lines.append(f"The data do not choose: the two best variants are within {CLEAR_LEAD:g} in AIC.")
    else:
        lead = table.sort_values("aic")["aic"].diff().iloc[1]
        lines.append(f"The data choose **{chosen}** (AIC lower by {lead:.3g} than the next variant).")
    return "\n".join(lines) + "\n"
