"""The scorecard: each target's published figure against the model's mean, its standard error and a verdict.

``fitted`` is the mean over the scorecard's seeds (never those of the fit), ``se`` its standard
error, ``low``/``high`` the 5% and 95% quantiles across seeds. The verdict weighs the error
against the tolerance *and* the Monte-Carlo error (:mod:`calibration.verdict`): PASS, FAIL, or
UNDETERMINED with the number of seeds that would decide it. Targets the fit saw and targets it
never saw (held out by role, or by date after the fitting period) are reported in separate
sections; when the free parameters are at least as many as the fitted figures the scorecard says in
words that those figures are matched by construction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibration.targets import TargetsFile
from calibration.verdict import FAIL, PASS, UNDETERMINED, Z, decide, standard_error
from sim.atomic import atomic_write_text

COLUMNS = ["target", "source", "observed", "fitted", "se", "low", "high", "verdict", "passed"]
EXTRA = [
    "seeds_to_decide",
    "role",
    "seen_by_fit",
    "held_out_by",
    "indicator",
    "unit",
    "tolerance",
    "width",
    "error",
    "relative_error",
    "seeds",
]


def scorecard(values: pd.DataFrame, targets: TargetsFile) -> pd.DataFrame:
    """Build the scorecard from per-seed values (columns ``seed, target, value``).

    ``role`` is ``fit`` for targets the fit saw, ``holdout`` for the others; ``held_out_by`` says
    why (``role`` or ``date``); ``passed`` is ``verdict == "PASS"``.
    """
    rows = []
    for name, target in targets.targets.items():
        v = values.loc[values["target"] == name, "value"].to_numpy(dtype=float)
        finite = v[np.isfinite(v)]
        fitted = float(finite.mean()) if len(finite) else float("nan")
        low, high = np.quantile(finite, [0.05, 0.95]) if len(finite) else (np.nan, np.nan)
        se = standard_error(v)
        width = target.tolerance.width(target.value)
        error = fitted - target.value
        verdict = decide(error, se, width, len(finite))
        tolerance = f"±{target.tolerance.relative:.0%}" if target.tolerance.relative is not None else f"±{width:g}"
        held_out_by = targets.held_out_by(name)
        rows.append(
            {
                "target": name,
                "source": target.source,
                "observed": target.value,
                "fitted": fitted,
                "se": se,
                "low": float(low),
                "high": float(high),
                "verdict": verdict.verdict,
                "passed": verdict.verdict == PASS,
                "seeds_to_decide": verdict.seeds_to_decide,
                "role": targets.role(name),
                "seen_by_fit": held_out_by is None,
                "held_out_by": held_out_by or "",
                "indicator": target.indicator,
                "unit": target.unit,
                "tolerance": tolerance,
                "width": width,
                "error": error,
                "relative_error": error / target.value if target.value else float("nan"),
                "seeds": len(v),
            }
        )
    card = pd.DataFrame(rows, columns=COLUMNS + EXTRA)
    card["seeds_to_decide"] = card["seeds_to_decide"].astype("Int64")
    return card


def construction_note(free_parameters: int, fitted_figures: int) -> str:
    """What the fitted targets can and cannot show, given the free parameters against the fitted figures."""
    if fitted_figures == 0:
        return "No target was fitted."
    params = f"{free_parameters} free parameter{'s' if free_parameters != 1 else ''}"
    figures = f"{fitted_figures} fitted figure{'s' if fitted_figures != 1 else ''}"
    if free_parameters >= fitted_figures:
        return (
            f"{params} against {figures}: the fit can match the fitted figures by construction, so their "
            "verdicts show that the fit converged, not that the model is right. They are not validation; "
            "only the held-out targets test the model."
        )
    spare = fitted_figures - free_parameters
    return (
        f"{params} against {figures}: {spare} degree{'s' if spare != 1 else ''} of freedom left, so the "
        "fitted figures test the model only in part; the held-out targets test it out of sample."
    )


def verdict_text(row: Any) -> str:
    """The verdict cell: ``PASS``, ``FAIL``, or ``UNDETERMINED (≈47 seeds would decide)``."""
    verdict = str(row.verdict)
    if verdict != UNDETERMINED:
        return verdict
    seeds = row.seeds_to_decide
    if pd.isna(seeds):
        return f"{UNDETERMINED} (no standard error)" if int(row.seeds) < 2 else UNDETERMINED
    return f"{UNDETERMINED} (≈{int(seeds):,} seeds would decide)"


def counts_text(card: pd.DataFrame) -> str:
    """``PASS 1, FAIL 0, UNDETERMINED 1`` for the rows of ``card``."""
    counts = card["verdict"].value_counts()
    return ", ".join(f"{v} {int(counts.get(v, 0))}" for v in (PASS, FAIL, UNDETERMINED))


def _fmt(value: float, unit: str) -> str:
    if not np.isfinite(value):
        return "n/a"
    if unit == "persons":
        return f"{value:,.0f}"
    return f"{value:.3f}"


def _table(card: pd.DataFrame, held_out: bool) -> list[str]:
    head = "| target | observed | model mean ± se | 5%–95% across seeds | tolerance | error | verdict |"
    rule = "|---|---:|---:|---:|---:|---:|---|"
    if held_out:
        head, rule = head + " held out by |", rule + "---|"
    lines = [head + " source |", rule + "---|"]
    for row in card.itertuples():
        error = _fmt(row.error, row.unit)
        if row.unit == "persons" and np.isfinite(row.relative_error):
            error += f" ({row.relative_error:+.1%})"
        cells = [
            row.target,
            _fmt(row.observed, row.unit),
            f"{_fmt(row.fitted, row.unit)} ± {_fmt(row.se, row.unit)}",
            f"{_fmt(row.low, row.unit)}–{_fmt(row.high, row.unit)}",
            row.tolerance,
            error,
            verdict_text(row),
        ]
        if held_out:
            cells.append("its role (`use: holdout`)" if row.held_out_by == "role" else "date (after the fit period)")
        lines.append("| " + " | ".join(str(c) for c in [*cells, row.source]) + " |")
    return lines


def render_markdown(
    card: pd.DataFrame,
    intervals: pd.DataFrame | None,
    warnings: list[str],
    *,
    title: str,
    notes: list[str],
    free_parameters: int,
) -> str:
    """The scorecard as Markdown (also printed on the terminal).

    Parameters
    ----------
    card : DataFrame
        From :func:`scorecard`.
    intervals : DataFrame or None
        The fitted parameters' intervals (None when scoring a preset without a fit).
    warnings : list of str
        Caveats of the fit.
    title : str
        Heading.
    notes : list of str
        Provenance lines (targets file, scenario, seeds, size).
    free_parameters : int
        Free parameters of the fit, for the by-construction statement.
    """
    seen = card[card["seen_by_fit"].astype(bool)]
    held = card[~card["seen_by_fit"].astype(bool)]
    lines = [f"# Scorecard: {title}", ""]
    lines += [f"- {note}" for note in notes]
    lines += [
        f"- verdict: PASS when |error| + {Z:g} se ≤ tolerance, FAIL when |error| − {Z:g} se > tolerance, "
        "otherwise UNDETERMINED (the seeds drawn decide; the number of seeds that would decide it is given); "
        "se = standard error of the mean over the scorecard's seeds",
        "",
        f"## Fitted targets: seen by the fit ({len(seen)}; {counts_text(seen)})",
        "",
        construction_note(free_parameters, len(seen)),
        "",
    ]
    if len(seen):
        lines += _table(seen, held_out=False)
    lines += ["", f"## Held-out targets: not seen by the fit ({len(held)}; {counts_text(held)})", ""]
    if len(held):
        lines += ["Out-of-sample checks: the optimiser never saw these figures.", ""]
        lines += _table(held, held_out=True)
    else:
        lines.append("None: every target was fitted, so nothing on this scorecard tests the model out of sample.")
    if intervals is not None and len(intervals):
        lines += [
            "",
            "## Fitted parameters (90% intervals)",
            "",
            "`laplace`: the optimum and a Laplace interval; `abc`: the ABC posterior median and 5%–95% quantiles.",
            "",
            "| parameter | fitted | low | high | method | identified |",
            "|---|---:|---:|---:|---|---|",
        ]
        for row in intervals.itertuples():
            flag = "yes" if row.identified else f"**no** ({row.note})"
            lines.append(
                f"| {row.parameter} | {row.fitted:.6g} | {row.low:.6g} | {row.high:.6g} | {row.method} | {flag} |"
            )
    if warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in warnings]
    return "\n".join(lines) + "\n"


def write_scorecard(out: str | Path, card: pd.DataFrame, markdown: str) -> tuple[Path, Path]:
    """Write ``scorecard.csv`` and ``scorecard.md`` into ``out`` (each atomically)."""
    out = Path(out)
    csv = atomic_write_text(out / "scorecard.csv", card.to_csv(index=False))
    md = atomic_write_text(out / "scorecard.md", markdown)
    return csv, md
