"""The scorecard: each target with its source, published vs fitted value, band across seeds, pass/fail.

``fitted`` is the mean over the scorecard seeds (distinct from the fit's seeds); ``low``/``high``
the 5% and 95% quantiles across them. A target passes when the mean lies within its tolerance of
the published value. Targets held out of the fit are marked ``holdout``: their error is the
out-of-sample check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibration.targets import TargetsFile

COLUMNS = ["target", "source", "observed", "fitted", "low", "high", "passed"]
EXTRA = ["role", "indicator", "unit", "tolerance", "error", "relative_error", "seeds"]


def scorecard(values: pd.DataFrame, targets: TargetsFile) -> pd.DataFrame:
    """Build the scorecard from per-seed values (columns ``seed, target, value``)."""
    rows = []
    for name, target in targets.targets.items():
        v = values.loc[values["target"] == name, "value"].to_numpy(dtype=float)
        fitted = float(np.nanmean(v)) if len(v) else float("nan")
        low, high = np.nanquantile(v, [0.05, 0.95]) if len(v) else (np.nan, np.nan)
        width = target.tolerance.width(target.value)
        error = fitted - target.value
        tolerance = f"±{target.tolerance.relative:.0%}" if target.tolerance.relative is not None else f"±{width:g}"
        rows.append(
            {
                "target": name,
                "source": target.source,
                "observed": target.value,
                "fitted": fitted,
                "low": float(low),
                "high": float(high),
                "passed": bool(abs(error) <= width),
                "role": target.use,
                "indicator": target.indicator,
                "unit": target.unit,
                "tolerance": tolerance,
                "error": error,
                "relative_error": error / target.value if target.value else float("nan"),
                "seeds": len(v),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS + EXTRA)


def _fmt(value: float, unit: str) -> str:
    if not np.isfinite(value):
        return "n/a"
    if unit == "persons":
        return f"{value:,.0f}"
    return f"{value:.3f}"


def render_markdown(
    card: pd.DataFrame, intervals: pd.DataFrame, warnings: list[str], *, title: str, notes: list[str]
) -> str:
    """The scorecard as Markdown (also printed on the terminal)."""
    lines = [f"# Scorecard: {title}", ""]
    lines += [f"- {note}" for note in notes]
    lines += [
        "",
        "| target | role | observed | fitted (mean) | 5%–95% across seeds | tolerance | error | passed | source |",
        "|---|---|---:|---:|---:|---:|---:|:---:|---|",
    ]
    for row in card.itertuples():
        error = _fmt(row.error, row.unit)
        if row.unit == "persons" and np.isfinite(row.relative_error):
            error += f" ({row.relative_error:+.1%})"
        lines.append(
            f"| {row.target} | {row.role} | {_fmt(row.observed, row.unit)} | {_fmt(row.fitted, row.unit)} | "
            f"{_fmt(row.low, row.unit)}–{_fmt(row.high, row.unit)} | {row.tolerance} | {error} | "
            f"{'PASS' if row.passed else 'FAIL'} | {row.source} |"
        )
    lines += [
        "",
        "## Fitted parameters (90% intervals)",
        "",
        "`laplace`: the optimum and a Laplace interval; `abc`: the ABC posterior median and 5%–95% quantiles.",
        "",
        "| parameter | fitted | low | high | method | identified |",
    ]
    lines.append("|---|---:|---:|---:|---|---|")
    for row in intervals.itertuples():
        flag = "yes" if row.identified else f"**no** ({row.note})"
        lines.append(f"| {row.parameter} | {row.fitted:.6g} | {row.low:.6g} | {row.high:.6g} | {row.method} | {flag} |")
    if warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in warnings]
    holdout = card[card["role"] == "holdout"]
    if len(holdout):
        lines += ["", "## Out-of-sample (held-out targets)", ""]
        for row in holdout.itertuples():
            lines.append(
                f"- {row.target}: observed {_fmt(row.observed, row.unit)}, model {_fmt(row.fitted, row.unit)}, "
                f"error {_fmt(row.error, row.unit)} ({'within' if row.passed else 'outside'} tolerance {row.tolerance})"
            )
    return "\n".join(lines) + "\n"


def write_scorecard(out: str | Path, card: pd.DataFrame, markdown: str) -> tuple[Path, Path]:
    """Write ``scorecard.csv`` and ``scorecard.md`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv, md = out / "scorecard.csv", out / "scorecard.md"
    card.to_csv(csv, index=False)
    md.write_text(markdown, encoding="utf-8")
    return csv, md
