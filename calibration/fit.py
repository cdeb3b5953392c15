"""Fit the free parameters to the targets: differential evolution over common-random-number runs.

The optimiser works in the unit cube of the parameters' prior quantiles (a loguniform parameter is
searched on a log scale). The loss is the sum over fit targets of ``((mean over seeds − published) /
sigma)²`` with ``sigma`` the target's standard error, or half its tolerance. A whole population of
differential evolution (scipy, ``vectorized=True``, ``updating="deferred"``) is one batch of runs,
so a process pool or a Dask cluster runs it in parallel, and the results store makes a restarted fit
skip every finished run (the optimiser is seeded, so it proposes the same vectors again).

Intervals without ABC come from a Laplace approximation at the optimum: the Jacobian of the
z-scores in the unit cube by central differences (the same seeds), covariance ``(JᵀJ)⁻¹``, a 90%
interval ±1.645 sd mapped back to the parameter scale and clipped to the bounds. A parameter whose
interval covers more than half of its bounds, or that is almost collinear with another (|corr| >
0.95), is flagged as not identified by the targets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import differential_evolution

from calibration.abc import abc_rejection
from calibration.evaluate import Evaluator, loss, means, z_scores
from calibration.targets import TargetsFile
from sim.atomic import atomic_write_text

Z90 = 1.6448536269514722
UNIDENTIFIED_SHARE = 0.5
COLLINEAR = 0.95
FD_STEP = 0.05


@dataclass
class FitResult:
    """The outcome of a fit.

    Attributes
    ----------
    params : dict
        Fitted values.
    intervals : DataFrame
        ``parameter, fitted, low, high, method, identified, note`` (90% intervals).
    history : DataFrame
        Every evaluated vector: parameters, loss and the mean of every target over the fit seeds.
    warnings : list of str
        Parameters the targets do not identify, and other caveats.
    """

    params: dict[str, float]
    loss: float
    intervals: pd.DataFrame
    history: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def differential_evolution_fit(
    evaluator: Evaluator, *, seeds: list[int], budget: int, rng: int = 0
) -> tuple[dict[str, float], float, pd.DataFrame]:
    """Minimise the loss over the free parameters with about ``budget`` parameter vectors.

    Returns
    -------
    params, loss, history
    """
    targets = evaluator.targets.fit_targets()
    if not targets:
        raise ValueError("no target is used in the fit (all are held out)")
    k = len(evaluator.names)
    popsize = int(max(2, min(6, budget // (6 * k))))
    population = popsize * k
    maxiter = max(1, budget // population - 1)
    history: list[pd.DataFrame] = []
    generation = [0]

    def objective(x: np.ndarray) -> np.ndarray:
        points = [evaluator.to_params(column) for column in np.atleast_2d(x.T)]
        table = means(evaluator.values(points, seeds))
        losses = loss(table, targets)
        frame = pd.DataFrame(points)
        frame.insert(0, "generation", generation[0])
        frame["loss"] = losses
        for name in table.columns:
            frame[f"model:{name}"] = table[name].to_numpy()
        history.append(frame)
        best = pd.concat(history)["loss"].min()
        evaluator.say(
            f"  generation {generation[0]}/{maxiter}: {len(points)} vectors × {len(seeds)} seeds, "
            f"best loss {best:.4g} (runs: {evaluator.runs_done} computed, {evaluator.runs_stored} from the store)"
        )
        generation[0] += 1
        return losses

    evaluator.say(f"differential evolution: {k} parameters, population {population}, up to {maxiter} generations")
    result = differential_evolution(
        objective,
        bounds=[(0.0, 1.0)] * k,
        popsize=popsize,
        maxiter=maxiter,
        vectorized=True,
        updating="deferred",
        polish=False,
        init="latinhypercube",
        tol=0.0,
        rng=rng,
    )
    table = pd.concat(history, ignore_index=True)
    best = table.loc[table["loss"].idxmin()]
    params = {name: float(best[name]) for name in evaluator.names}
    del result
    return params, float(best["loss"]), table


def pattern_polish(
    evaluator: Evaluator, params: dict[str, float], best_loss: float, *, seeds: list[int], budget: int
) -> tuple[dict[str, float], float, pd.DataFrame]:
    """Refine the optimum by compass search in the unit cube, one batch of 2k vectors per round.

    Each round tries a step up and down along every parameter; the best improving vector becomes
    the centre, and the step halves when none improves. Deterministic under common random numbers.
    """
    targets = evaluator.targets.fit_targets()
    k = len(evaluator.names)
    centre, step = evaluator.to_unit(params), 0.1
    history = []
    rounds = max(0, budget // (2 * k))
    for round_ in range(rounds):
        points = []
        for j in range(k):
            for sign in (1.0, -1.0):
                u = centre.copy()
                u[j] = min(1.0, max(0.0, u[j] + sign * step))
                points.append(u)
        table = means(evaluator.values([evaluator.to_params(u) for u in points], seeds))
        losses = loss(table, targets)
        frame = pd.DataFrame([evaluator.to_params(u) for u in points])
        frame.insert(0, "generation", f"polish{round_}")
        frame["loss"] = losses
        for name in table.columns:
            frame[f"model:{name}"] = table[name].to_numpy()
        history.append(frame)
        best = int(np.argmin(losses))
        if losses[best] < best_loss:
            centre, best_loss = points[best], float(losses[best])
        else:
            step /= 2
        evaluator.say(f"  polish round {round_ + 1}/{rounds}: step {step:.3g}, best loss {best_loss:.4g}")
    table = pd.concat(history, ignore_index=True) if history else pd.DataFrame()
    return evaluator.to_params(centre), best_loss, table


def laplace_intervals(
    evaluator: Evaluator, params: dict[str, float], *, seeds: list[int]
) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """90% intervals and identification warnings from the Jacobian of the z-scores at ``params``."""
    targets = evaluator.targets.fit_targets()
    names = evaluator.names
    centre = evaluator.to_unit(params)
    points, steps = [], []
    for j in range(len(names)):
        up, down = centre.copy(), centre.copy()
        up[j], down[j] = min(1.0, centre[j] + FD_STEP), max(0.0, centre[j] - FD_STEP)
        points += [evaluator.to_params(up), evaluator.to_params(down)]
        steps.append(up[j] - down[j])
    evaluator.say(f"Jacobian at the optimum: {len(points)} vectors × {len(seeds)} seeds")
    table = z_scores(means(evaluator.values(points, seeds)), targets).to_numpy()
    jac = np.column_stack([(table[2 * j] - table[2 * j + 1]) / steps[j] for j in range(len(names))])
    responsive = np.linalg.norm(jac, axis=0) > 1e-9
    cov = np.full((len(names), len(names)), np.nan)
    if responsive.any():
        sub = jac[:, responsive]
        cov[np.ix_(responsive, responsive)] = np.linalg.pinv(sub.T @ sub, rcond=1e-10)
    sd = np.sqrt(np.clip(np.nan_to_num(np.diag(cov), nan=np.inf), 0, None))
    singular = np.linalg.svd(jac, compute_uv=False) if jac.size else np.array([])
    warnings = []
    rows = []
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    for j, name in enumerate(names):
        spec = evaluator.targets.parameters[name]
        column_norm = float(np.linalg.norm(jac[:, j]))
        lo_u, hi_u = max(0.0, centre[j] - Z90 * sd[j]), min(1.0, centre[j] + Z90 * sd[j])
        if column_norm < 1e-9:
            lo_u, hi_u = 0.0, 1.0
        share = hi_u - lo_u
        notes = []
        if column_norm < 1e-9:
            notes.append("no fit target responds to it")
        elif share > UNIDENTIFIED_SHARE:
            notes.append(f"90% interval covers {share:.0%} of its bounds")
        partners = [
            names[i] for i in range(len(names)) if i != j and np.isfinite(corr[j, i]) and abs(corr[j, i]) > COLLINEAR
        ]
        if partners:
            notes.append(f"collinear with {', '.join(partners)}")
        identified = not notes
        if not identified:
            warnings.append(f"parameter {name} is not identified by the fit targets: {'; '.join(notes)}")
        rows.append(
            {
                "parameter": name,
                "fitted": params[name],
                "low": spec.from_unit(lo_u),
                "high": spec.from_unit(hi_u),
                "method": "laplace",
                "identified": identified,
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows), warnings, singular


def nested(overrides: dict[str, Any]) -> dict[str, Any]:
    """``{"a.b.c": v}`` → ``{"a": {"b": {"c": v}}}`` (dict keys only)."""
    out: dict[str, Any] = {}
    for dotted, value in overrides.items():
        if "[" in dotted:
            raise ValueError(f"cannot write the override {dotted!r} as nested YAML (list index)")
        parts = dotted.split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def scenario_text(
    path: str | Path,
    *,
    base: str,
    base_id: str,
    base_title: tuple[str, str] | None = None,
    overrides: dict[str, Any],
    intervals: pd.DataFrame,
    targets_path: str,
    scorecard_path: str,
    summary: str,
    stamp: dict[str, Any] | None = None,
) -> str:
    """The calibrated parameters as a scenario that ``extends`` the fitted one (the text of the file).

    Parameters
    ----------
    path : path
        Where the scenario will be written; ``extends`` is written relative to it.
    base : str
        The fitted scenario file (or preset id).
    base_id, base_title : str, (zh, en)
        The fitted scenario's id and title, from which the new ones are made.
    overrides : dict
        The fitted values (dotted keys).
    intervals : DataFrame
        The fitted parameters' intervals, written under ``assumptions``.
    targets_path, scorecard_path : str
        Cited in ``source``.
    summary : str
        The scorecard's lines, written in the header comment.
    stamp : dict, optional
        Provenance (commit, dirty flag, targets file hash, seeds), written in the header and ``source``.
    """
    path = Path(path)
    base_path = Path(base)
    if base_path.suffix in (".yaml", ".yml"):
        extends = os.path.relpath(base_path.resolve().with_suffix(""), path.parent.resolve())
    else:
        extends = base
    zh, en = base_title or (base_id, base_id)
    provenance = stamp_text(stamp) if stamp else ""
    body = {
        "id": f"{base_id}-calibrated",
        "title": {"zh": f"{zh}（校准）", "en": f"{en}, calibrated"},
        "extends": extends,
        "source": f"calibration fit of {targets_path}; scorecard: {scorecard_path}"
        + (f"; {provenance}" if provenance else ""),
        **nested(overrides),
        "assumptions": [
            {
                "key": row.parameter,
                "reason": {
                    "zh": f"校准值：{row.fitted:.6g}（90%区间 {row.low:.6g}–{row.high:.6g}，{row.method}）"
                    + (f"；校准目标无法识别：{row.note}" if not row.identified else ""),
                    "en": f"calibrated: {row.fitted:.6g} (90% interval {row.low:.6g}–{row.high:.6g}, {row.method})"
                    + (f"; not identified: {row.note}" if not row.identified else ""),
                },
            }
            for row in intervals.itertuples()
        ],
    }
    lines = ["Calibrated by `python -m calibration fit` — do not edit by hand; refit instead."]
    if provenance:
        lines.append(provenance)
    header = "".join(f"# {line}\n" for line in [*lines, *summary.splitlines()])
    return header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=110)


def stamp_text(stamp: dict[str, Any]) -> str:
    """Provenance in one line: commit, dirty flag, targets file hash and seeds."""
    dirty = stamp.get("dirty")
    tree = "unknown tree state" if not isinstance(dirty, bool) else ("dirty tree" if dirty else "clean tree")
    return (
        f"commit {stamp.get('commit', 'unknown')} ({tree}), targets sha256 {stamp.get('targets_sha256', 'unknown')}, "
        f"fit seeds {seeds_text(stamp.get('fit_seeds'))}, scorecard seeds {seeds_text(stamp.get('scorecard_seeds'))}"
    )


def seeds_text(seeds: Any) -> str:
    """``1000–1009`` for consecutive seeds, else the list (``none`` when empty)."""
    seeds = list(seeds or [])
    if not seeds:
        return "none"
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 1:
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


def save_scenario(path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`scenario_text` to ``path`` atomically; return ``path``."""
    return atomic_write_text(path, scenario_text(path, **kwargs))


@dataclass
class FitOutcome:
    """A fit and its scorecard runs, before anything is written.

    Attributes
    ----------
    params : dict
        The fitted values.
    loss : float
        Σ z² of the fitted targets at the optimum (fit seeds).
    history : DataFrame
        Every vector tried.
    intervals : DataFrame
        Laplace (and ABC) intervals.
    warnings : list of str
        Identification warnings.
    singular : ndarray
        Singular values of the Jacobian at the optimum.
    values : DataFrame
        The fitted vector's indicators on the scorecard's seeds (``point, seed, target, value``).
    abc_draws : DataFrame or None
        The ABC draws, flagged ``accepted``.
    """

    params: dict[str, float]
    loss: float
    history: pd.DataFrame
    intervals: pd.DataFrame
    warnings: list[str]
    singular: Any
    values: pd.DataFrame
    abc_draws: pd.DataFrame | None = None


def fit_and_score(
    targets: TargetsFile,
    evaluator: Evaluator,
    *,
    fit_seeds: list[int],
    card_seeds: list[int],
    budget: int,
    card_agents: int | None,
    abc: int = 0,
    rng: int = 0,
) -> FitOutcome:
    """Fit on the fit targets, estimate intervals, then run the fitted vector on fresh seeds.

    Only :meth:`TargetsFile.fit_targets` enter the optimiser, the intervals and ABC; the held-out
    targets are computed from the same runs but only scored.
    """
    params, best_loss, history = differential_evolution_fit(
        evaluator, seeds=fit_seeds, budget=(3 * budget) // 4, rng=rng
    )
    params, best_loss, polished = pattern_polish(evaluator, params, best_loss, seeds=fit_seeds, budget=budget // 4)
    history = pd.concat([history, polished], ignore_index=True)
    intervals, warnings, singular = laplace_intervals(evaluator, params, seeds=fit_seeds)
    draws = None
    if abc:
        posterior = abc_rejection(evaluator, draws=abc, accept=targets.fit.abc_accept, seeds=fit_seeds, rng=rng)
        draws = posterior.draws.assign(accepted=posterior.draws.index.isin(posterior.accepted.index))
        intervals = pd.concat([intervals, posterior.intervals], ignore_index=True)  # ABC rows: posterior median
        warnings = warnings + posterior.warnings
    evaluator.say(f"scorecard: fitted parameters × {len(card_seeds)} fresh seeds")
    fit_agents = evaluator.agents
    evaluator.agents = card_agents  # the fit is done: from here on runs are the scorecard's
    values = evaluator.values([params], card_seeds)
    evaluator.agents = fit_agents
    return FitOutcome(params, best_loss, history, intervals, warnings, singular, values, draws)
