"""The calibration page: a targets file's published figures and, when published, the fit's results of record.

The targets (``calibration/targets/*.yaml``) are always shown. The results of record are the reports that
``python -m calibration fit|sensitivity … --save`` publishes to ``calibration/results/<targets id>/``
(``scorecard.csv``, ``scorecard.md``, ``parameters.csv``, ``fit.json``, ``sensitivity.csv``,
``sensitivity.png``); any of them may be missing and the page shows what there is. The results root is
:data:`RESULTS`, or the directory named by the environment variable ``HUKOU_CALIBRATION_RESULTS``
(read at each call, so that tests can point the page at hand-written results).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import streamlit as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from calibration.targets import Target, TargetsError, TargetsFile, load_targets
from sim import plots
from sim.documents import cite
from ui.i18n import number, t, tick
from ui.library import ROOT
from ui.state import Settings
from ui.widgets import download

TARGETS_DIR = ROOT / "calibration" / "targets"
RESULTS = ROOT / "calibration" / "results"
"""Default root of the results of record (one directory per targets id)."""
RESULTS_ENV = "HUKOU_CALIBRATION_RESULTS"
BOM = b"\xef\xbb\xbf"
PASS_COLOUR, FAIL_COLOUR, PUBLISHED_COLOUR = "#00798c", "#d1495b", "#2e4057"
UNDETERMINED_COLOUR = "#c77d0a"
PASS, FAIL, UNDETERMINED = "PASS", "FAIL", "UNDETERMINED"


# ---------------------------------------------------------------------------------- files


def results_root() -> Path:
    """The directory holding the results of record: ``$HUKOU_CALIBRATION_RESULTS`` or :data:`RESULTS`."""
    return Path(os.environ.get(RESULTS_ENV) or RESULTS)


def targets_files() -> list[Path]:
    """Every targets file of ``calibration/targets/``, sorted by name."""
    return sorted(TARGETS_DIR.glob("*.yaml"))


def relative(path: Path) -> str:
    """``path`` relative to the project (as a command line in the project's directory takes it)."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


@st.cache_data(show_spinner=False, max_entries=64)
def _load(path: str, mtime: float) -> TargetsFile:
    # The page only displays the file: checking the scenario at every bound would cost a scenario load
    # per parameter bound for nothing; ``mtime`` makes an edited file load again.
    del mtime
    return load_targets(path, check_scenario=False)


def load(path: Path) -> TargetsFile:
    """The validated targets file at ``path`` (cached until the file changes).

    Raises
    ------
    TargetsError
        If the file is invalid.
    """
    return _load(str(path), path.stat().st_mtime)


@dataclass(frozen=True)
class Results:
    """The reports of record of one targets file; each is ``None`` when not published."""

    scorecard: pd.DataFrame | None = None
    scorecard_md: str | None = None
    parameters: pd.DataFrame | None = None
    fit: dict[str, Any] | None = None
    sensitivity: pd.DataFrame | None = None
    sensitivity_png: bytes | None = None

    @property
    def empty(self) -> bool:
        """True when no report is published."""
        return all(value is None for value in vars(self).values())

    @property
    def has_fit(self) -> bool:
        """True when the fit's scorecard or parameters are published."""
        return self.scorecard is not None or self.parameters is not None


def _csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def read_results(directory: Path) -> Results:
    """Read the reports found in ``directory`` (a missing directory gives empty :class:`Results`).

    Parameters
    ----------
    directory : Path
        ``<results root>/<targets id>``.
    """
    md, fit, png = directory / "scorecard.md", directory / "fit.json", directory / "sensitivity.png"
    return Results(
        scorecard=_csv(directory / "scorecard.csv"),
        scorecard_md=md.read_text(encoding="utf-8") if md.is_file() else None,
        parameters=_csv(directory / "parameters.csv"),
        fit=json.loads(fit.read_text(encoding="utf-8")) if fit.is_file() else None,
        sensitivity=_csv(directory / "sensitivity.csv"),
        sensitivity_png=png.read_bytes() if png.is_file() else None,
    )


# ---------------------------------------------------------------------------------- formats


def flag(values: pd.Series) -> pd.Series:
    """A column of booleans, whether the CSV wrote ``True``/``False``, ``true``/``false`` or ``1``/``0``."""
    return values.map(lambda value: str(value).strip().lower() in ("true", "1", "yes"))


def value_text(value: float, unit: str, lang: str) -> str:
    """A target's value: persons as a count, shares as a percentage."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    if unit == "share":
        return f"{float(value) * 100:.1f}%"
    return number(float(value), lang)


def tolerance_width(text: str, observed: float) -> float:
    """The half-width of a scorecard's tolerance column: ``±5%`` (relative) or ``±0.03`` (absolute)."""
    text = str(text).strip().lstrip("±").replace(",", "")
    if text.endswith("%"):
        return float(text[:-1]) / 100 * abs(observed)
    return float(text)


def tolerance_text(target: Target, lang: str) -> str:
    """A target's tolerance: ``±5%`` when relative, ``±3 pp`` for a share, ``±500`` for a count."""
    tolerance = target.tolerance
    if tolerance.relative is not None:
        return f"±{tolerance.relative * 100:g}%"
    if target.unit == "share":
        return t("app.format.points_pp", lang, value=f"±{tolerance.absolute * 100:g}")
    return f"±{number(tolerance.absolute, lang)}"


def _card_tolerance(row: Any, lang: str) -> str:
    # The scorecard keeps the tolerance of its fit as text (the targets file may have changed since).
    if row.unit == "share" and not str(row.tolerance).endswith("%"):
        width = tolerance_width(row.tolerance, row.observed)
        return t("app.format.points_pp", lang, value=f"±{width * 100:g}")
    return str(row.tolerance)


def period_text(target: Target) -> str:
    """The published period, ``2019-09-15 – 2019-11-20`` (or its model months when no dates are given)."""

    def one(period: Any) -> str:
        if period.start and period.end:
            return f"{period.start} – {period.end}"
        months = list(period.months)
        return months[0] if len(months) == 1 else f"{months[0]} – {months[-1]}"

    return one(target.period)


def indicator_text(indicator: str, lang: str) -> str:
    """The indicator's name in ``lang`` (its code when the labels have none)."""
    names = {
        "settled_persons": t("app.calibration.indicators.settled_persons", lang),
        "settled_applicants": t("app.calibration.indicators.settled_applicants", lang),
        "growth": t("app.calibration.indicators.growth", lang),
        "share_aged_18_34": t("app.calibration.indicators.share_aged_18_34", lang),
        "share_college_or_above": t("app.calibration.indicators.share_college_or_above", lang),
        "formal_share": t("app.calibration.indicators.formal_share", lang),
        "migrants": t("app.calibration.indicators.migrants", lang),
    }
    return names.get(indicator, indicator)


def role_text(role: str, lang: str) -> str:
    """``fit`` or ``holdout`` in ``lang``."""
    return t("app.calibration.role_fit", lang) if role == "fit" else t("app.calibration.role_holdout", lang)


def unit_text(unit: str, lang: str) -> str:
    """``persons`` or ``share`` in ``lang``."""
    return t("app.calibration.unit_persons", lang) if unit == "persons" else t("app.calibration.unit_share", lang)


def parameter_value(value: float, lang: str) -> str:
    """A parameter value: large ones as counts (``186.6万``), small ones with four significant digits."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    return number(value, lang) if abs(value) >= 1_000 else f"{value:.4g}"


def seed_range(seeds: list[int]) -> str:
    """``1000–1009`` for consecutive seeds, else the list."""
    if not seeds:
        return "–"
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])
    return ", ".join(str(s) for s in seeds)


def duration(seconds: float, lang: str) -> str:
    """A wall time: ``47 s`` or ``7 min 17 s``."""
    whole = round(float(seconds))
    if whole < 60:
        return t("app.calibration.seconds", lang, seconds=whole)
    return t("app.calibration.minutes", lang, minutes=whole // 60, seconds=whole % 60)


def column_names(lang: str) -> dict[str, str]:
    """Column code → header in ``lang`` for the page's tables."""
    codes = ("target", "indicator", "figure", "unit", "period", "tolerance", "role", "source", "model",
             "band", "error", "passed", "parameter", "method", "fitted", "interval", "bounds", "prior", "identified",
             "reason")  # fmt: skip
    return {code: t(f"app.calibration.columns.{code}", lang) for code in codes}


# ---------------------------------------------------------------------------------- tables


def targets_table(targets: TargetsFile, lang: str) -> pd.DataFrame:
    """The published figures of a targets file: one row per target, headers in ``lang``."""
    rows = []
    for name, target in targets.targets.items():
        period = period_text(target)
        if target.baseline is not None:
            baseline = target.model_copy(update={"period": target.baseline})
            period = t("app.calibration.period_vs", lang, period=period, baseline=period_text(baseline))
        rows.append(
            {
                "target": name,
                "indicator": indicator_text(target.indicator, lang),
                "figure": value_text(target.value, target.unit, lang),
                "unit": unit_text(target.unit, lang),
                "period": period,
                "tolerance": tolerance_text(target, lang),
                "role": role_text(target.use, lang),
                "source": cite(target.source, lang) + (f" — {target.note.strip()}" if target.note.strip() else ""),
            }
        )
    return pd.DataFrame(rows).rename(columns=column_names(lang))


def free_parameters_table(targets: TargetsFile, lang: str) -> pd.DataFrame:
    """The free parameters of a targets file with bounds, prior and the reason they are free."""
    priors = {
        "uniform": t("app.calibration.prior_uniform", lang),
        "loguniform": t("app.calibration.prior_loguniform", lang),
    }
    rows = [
        {
            "parameter": name,
            "bounds": f"{parameter_value(p.low, lang)} – {parameter_value(p.high, lang)}",
            "prior": priors[p.prior],
            "reason": p.reason,
        }
        for name, p in targets.parameters.items()
    ]
    return pd.DataFrame(rows).rename(columns=column_names(lang))


def error_text(row: Any, lang: str) -> str:
    """Model − published: a count with its relative error, a share in percentage points."""
    if not math.isfinite(float(row.error)):
        return "–"
    if row.unit == "share":
        return t("app.format.points_pp", lang, value=f"{row.error * 100:+.1f}")
    return f"{number(row.error, lang, signed=True)} ({row.relative_error:+.1%})"


def normalise(card: pd.DataFrame) -> pd.DataFrame:
    """A scorecard with the columns of the verdict rule, whatever its age.

    Scorecards written before standard errors have no ``se``, ``verdict`` or ``seen_by_fit``: their
    verdict is their pass/fail mark, their standard error unknown (NaN), and a held-out target is
    held out by its role.
    """
    card = card.copy()
    if "verdict" not in card:
        card["verdict"] = [PASS if ok else FAIL for ok in flag(card["passed"])]
    for column in ("se", "seeds_to_decide"):
        if column not in card:
            card[column] = np.nan
    if "seen_by_fit" not in card:
        card["seen_by_fit"] = card["role"] == "fit"
    else:
        card["seen_by_fit"] = flag(card["seen_by_fit"])
    if "held_out_by" not in card:
        card["held_out_by"] = np.where(card["seen_by_fit"], "", "role")
    card["held_out_by"] = card["held_out_by"].fillna("")
    return card


def has_standard_errors(card: pd.DataFrame) -> bool:
    """Whether the scorecard was written with standard errors and the verdict rule."""
    return "verdict" in card and "se" in card


def verdict_text(row: Any, lang: str) -> str:
    """``✓ pass``, ``✗ FAIL``, or ``◐ undetermined: ≈47 seeds would decide``."""
    if row.verdict == PASS:
        return t("app.calibration.pass", lang)
    if row.verdict == FAIL:
        return t("app.calibration.fail", lang)
    seeds = row.seeds_to_decide
    if pd.isna(seeds):
        return t("app.calibration.undetermined", lang)
    return t("app.calibration.undetermined_seeds", lang, seeds=int(seeds))


def se_text(row: Any, lang: str) -> str:
    """The standard error of the model mean: ``±82`` persons or ``±1.3 pp``; ``–`` when not recorded."""
    if pd.isna(row.se):
        return "–"
    if row.unit == "share":
        points = row.se * 100
        # Two decimals below a tenth of a point: a tight share should not read as exactly ±0.0.
        return t("app.format.points_pp", lang, value=f"±{points:.1f}" if points >= 0.1 else f"±{points:.2f}")
    return f"±{number(row.se, lang)}"


def scorecard_table(card: pd.DataFrame, lang: str, held_out: bool = False) -> pd.DataFrame:
    r"""The scorecard for reading: values in the target's unit, standard errors, verdicts, headers in ``lang``.

    Parameters
    ----------
    card : DataFrame
        :func:`normalise`\ d rows of ``scorecard.csv``.
    lang : str
        Language of headers and marks.
    held_out : bool
        Add the column that says why each target was held out (its role, or its date).
    """
    rows = []
    for row in card.itertuples():
        entry = {
            "target": row.target,
            "indicator": indicator_text(row.indicator, lang),
            "figure": value_text(row.observed, row.unit, lang),
            "model": value_text(row.fitted, row.unit, lang),
            "se": se_text(row, lang),
            "band": f"{value_text(row.low, row.unit, lang)} – {value_text(row.high, row.unit, lang)}",
            "tolerance": _card_tolerance(row, lang),
            "error": error_text(row, lang),
            "verdict": verdict_text(row, lang),
        }
        if held_out:
            by_date = row.held_out_by == "date"
            entry["held_out_by"] = t(
                "app.calibration.held_out_date" if by_date else "app.calibration.held_out_role", lang
            )
        rows.append(entry)
    names = column_names(lang) | {
        "se": t("app.calibration.column_se", lang),
        "verdict": t("app.calibration.column_verdict", lang),
        "held_out_by": t("app.calibration.column_held_out_by", lang),
    }
    return pd.DataFrame(rows).rename(columns=names)


def verdicts_summary(card: pd.DataFrame, lang: str) -> str:
    """Verdict counts among the fitted targets and among the held-out ones."""
    seen = card["seen_by_fit"].astype(bool)

    def count(mask: pd.Series, verdict: str) -> int:
        return int((card.loc[mask, "verdict"] == verdict).sum())

    return t(
        "app.calibration.verdicts",
        lang,
        fit_pass=count(seen, PASS),
        fit_fail=count(seen, FAIL),
        fit_undetermined=count(seen, UNDETERMINED),
        holdout_pass=count(~seen, PASS),
        holdout_fail=count(~seen, FAIL),
        holdout_undetermined=count(~seen, UNDETERMINED),
    )


def construction_text(free: int, fitted: int, lang: str) -> str:
    """Whether the fitted figures can test the model: not when free parameters ≥ fitted figures."""
    if free >= fitted:
        return t("app.calibration.by_construction", lang, free=free, fitted=fitted)
    return t("app.calibration.partly_tested", lang, free=free, fitted=fitted, spare=fitted - free)


def identified_text(identified: bool, note: Any, lang: str) -> str:
    """``✓ yes``, or ``⚠ no — why`` (the fit's reason: collinear with…, interval covers …% of its bounds)."""
    if identified:
        return t("app.calibration.identified_yes", lang)
    why = "" if pd.isna(note) or not str(note).strip() else f" — {str(note).strip()}"
    return t("app.calibration.identified_no", lang) + why


def parameters_table(parameters: pd.DataFrame, targets: TargetsFile, lang: str) -> pd.DataFrame:
    """The fitted parameters with their 90% interval, prior bounds and whether the targets identify them."""
    identified = flag(parameters["identified"])
    methods = {"laplace": "Laplace", "abc": "ABC"}
    rows = []
    for row, ok in zip(parameters.itertuples(), identified, strict=True):
        prior = targets.parameters.get(row.parameter)
        bounds = f"{parameter_value(prior.low, lang)} – {parameter_value(prior.high, lang)}" if prior else "–"
        rows.append(
            {
                "parameter": row.parameter,
                "method": methods.get(row.method, row.method),
                "fitted": parameter_value(row.fitted, lang),
                "interval": f"{parameter_value(row.low, lang)} – {parameter_value(row.high, lang)}",
                "bounds": bounds,
                "identified": identified_text(ok, row.note, lang),
            }
        )
    return pd.DataFrame(rows).rename(columns=column_names(lang))


def _highlight(marks: tuple[str, ...], warn: tuple[str, ...] = ()) -> Callable[[Any], str]:
    # Colour a verdict (or identified) cell: failures must catch the eye in a briefing, undecided ones too.
    def colour(value: Any) -> str:
        if str(value).startswith(marks):
            return f"color: {FAIL_COLOUR}; font-weight: 600"
        if warn and str(value).startswith(warn):
            return f"color: {UNDETERMINED_COLOUR}; font-weight: 600"
        return f"color: {PASS_COLOUR}"

    return colour


def show_table(
    table: pd.DataFrame, marked: str | None = None, bad: tuple[str, ...] = (), warn: tuple[str, ...] = ()
) -> None:
    """A table with wrapped text; column ``marked`` coloured (values starting with ``bad`` red, ``warn`` amber)."""
    data: Any = table
    if marked is not None and marked in table.columns:
        data = table.style.map(_highlight(bad, warn), subset=[marked])
    # A static table: these are short, and a briefing reader must see the sources whole (a data grid would
    # cut long text and scroll sideways).
    st.table(data, hide_index=True)


# ---------------------------------------------------------------------------------- figures


def _axis_format(unit: str, lang: str) -> FuncFormatter:
    if unit == "share":
        return FuncFormatter(lambda value, _: f"{value * 100:.0f}%")
    return FuncFormatter(lambda value, _: tick(value, lang))


def _scorecard_panel(ax: Any, row: Any, width: float, lang: str) -> None:
    """One target: its tolerance band around the published figure, the model mean, ±2 standard errors, its band."""
    ok = row.verdict == PASS
    colour = {PASS: PASS_COLOUR, FAIL: FAIL_COLOUR}.get(row.verdict, UNDETERMINED_COLOUR)
    observed, fitted = float(row.observed), float(row.fitted)
    ax.axvspan(observed - width, observed + width, color=PASS_COLOUR, alpha=plots.BAND_ALPHA, lw=0, label="tol")
    ax.axvline(observed, color=PUBLISHED_COLOUR, lw=2, label="pub")
    if math.isfinite(fitted):
        spread = [[max(fitted - row.low, 0.0)], [max(row.high - fitted, 0.0)]]
        ax.errorbar([fitted], [0], xerr=spread, fmt="o", color=colour, ms=7, capsize=5, lw=1.2, label="model")
        if not pd.isna(row.se):
            # The thick bar is the mean's ±2 standard errors, the interval the verdict is read from.
            ax.errorbar([fitted], [0], xerr=[[2 * row.se], [2 * row.se]], fmt="none", color=colour, lw=5, label="se")
        # The values written in: a briefing reader should not have to read them off the axis.
        ax.annotate(
            value_text(fitted, row.unit, lang), (fitted, -0.2), ha="center", va="top", color=colour, fontsize=8.5
        )
    ax.annotate(value_text(observed, row.unit, lang), (observed, 0.62), xytext=(3, 0), textcoords="offset points",
                ha="left", va="center", color=PUBLISHED_COLOUR, fontsize=8.5)  # fmt: skip
    values = [v for v in (observed - width, observed + width, row.low, row.high, fitted) if math.isfinite(v)]
    # Each target on its own scale, wide enough for the band, the published figure and the model's range.
    low, high = min(values), max(values)
    margin = (high - low) * 0.08 or abs(observed) * 0.1 or 1.0
    ax.set_xlim(low - margin, high + margin)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    ax.grid(axis="y", visible=False)
    ax.spines["left"].set_visible(False)
    ax.xaxis.set_major_formatter(_axis_format(row.unit, lang))
    ax.xaxis.set_major_locator(MaxNLocator(5))
    # Words, not ✓/✗: the figure font has no ballot marks.
    marks = {PASS: "app.calibration.chart_pass", FAIL: "app.calibration.chart_fail"}
    mark = t(marks.get(row.verdict, "app.calibration.chart_undetermined"), lang)
    role = role_text(row.role, lang)
    title = ax.set_title(
        f"{indicator_text(row.indicator, lang)}\n{row.target} · {role} · {mark}", loc="left", fontsize=9
    )
    title.set_color("#222222" if ok else colour)


def scorecard_figure(card: pd.DataFrame, lang: str, ncols: int = 2) -> Figure:
    """Published figure vs model for every target, one small panel per target on its own scale.

    Parameters
    ----------
    card : DataFrame
        ``scorecard.csv``.
    lang : str
        Language of titles, legend and ticks.
    ncols : int
        Panels per row.
    """
    card = normalise(card)
    with matplotlib.rc_context(plots.style()):
        cols = max(1, min(ncols, len(card)))
        rows = math.ceil(len(card) / cols)
        fig = Figure(figsize=(4.6 * cols, 1.45 * rows + 0.8), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
        for ax in axes[len(card) :]:
            ax.set_visible(False)
        for ax, row in zip(axes, card.itertuples(), strict=False):
            width = tolerance_width(row.tolerance, row.observed)
            _scorecard_panel(ax, row, width, lang)
        fig.suptitle(t("app.calibration.chart_title", lang), x=0.01, ha="left", fontsize=11.5)
        _scorecard_legend(fig, axes[0], lang)
    return fig


def _scorecard_legend(fig: Figure, ax: Any, lang: str) -> None:
    names = {
        "pub": t("app.calibration.chart_published", lang),
        "model": t("app.calibration.chart_model", lang),
        "tol": t("app.calibration.chart_tolerance", lang),
        "se": t("app.calibration.chart_se", lang),
    }
    handles, keys = ax.get_legend_handles_labels()
    # The legend names a marker's meaning once, in whatever colour the first panel drew it.
    entries = [(h, names[k]) for h, k in zip(handles, keys, strict=True) if k in names]
    fig.legend([h for h, _ in entries], [n for _, n in entries], loc="outside lower center", ncols=len(entries))


def sensitivity_figure(indices: pd.DataFrame, lang: str) -> Figure:
    """Morris μ* ÷ tolerance as a heat map: one row per parameter, one column per target, values written in.

    Parameters
    ----------
    indices : DataFrame
        ``sensitivity.csv`` (columns ``target, parameter, mu_star_scaled``).
    lang : str
        Language of the title and colour bar.
    """
    grid = indices.pivot_table(index="parameter", columns="target", values="mu_star_scaled", sort=False)
    values = grid.to_numpy(dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    # A log scale: μ* spans orders of magnitude (a count moves by thousands of tolerances, a share by tenths).
    norm = LogNorm(vmin=max(positive.min(), 1e-3), vmax=max(positive.max(), 1.0)) if positive.size else None
    with matplotlib.rc_context(plots.style()):
        fig = Figure(figsize=(3.6 + 1.15 * grid.shape[1], 1.5 + 0.5 * grid.shape[0]), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        image = ax.imshow(np.where(values > 0, values, np.nan), cmap="YlOrRd", norm=norm, aspect="auto")
        ax.grid(False)
        ax.set_xticks(range(grid.shape[1]), grid.columns, rotation=20, ha="right")
        ax.set_yticks(range(grid.shape[0]), grid.index)
        for (i, j), value in np.ndenumerate(values):
            dark = norm is not None and value > 0 and norm(value) > 0.6
            ax.text(
                j,
                i,
                _heat_cell(value),
                ha="center",
                va="center",
                fontsize=8.5,
                color="white" if dark else "#222222",
            )
        # No label on the bar: the title names the unit (a label set sideways in Chinese is hard to read).
        fig.colorbar(image, ax=ax, shrink=0.9)
        ax.set_title(t("app.calibration.sensitivity_chart", lang), loc="left")
    return fig


def _heat_cell(value: float) -> str:
    """A heat map cell's number: two significant digits, a rounding residue (5.6e-17) written as 0."""
    if not np.isfinite(value):
        return "–"
    if abs(value) < 0.005:
        return "0"
    return f"{value:.2g}" if abs(value) < 100 else f"{value:,.0f}"


@st.cache_data(show_spinner=False, max_entries=64)
def figure_bytes(kind: str, csv: str, lang: str) -> bytes:
    """The PNG of the ``scorecard`` or ``sensitivity`` figure of a CSV's content (cached per language)."""
    from io import StringIO

    table = pd.read_csv(StringIO(csv))
    fig = scorecard_figure(table, lang) if kind == "scorecard" else sensitivity_figure(table, lang)
    with matplotlib.rc_context(plots.style()):
        return plots.figure_png(fig)


# ---------------------------------------------------------------------------------- commands


def fit_command(path: Path, results: Results | None = None, targets: TargetsFile | None = None) -> str:
    """The command that (re)produces the fit of record and publishes it.

    The published ``fit.json`` names its command when it has one; otherwise the command is rebuilt from
    the seeds and the fit/holdout roles of the scorecard (roles that differ from the targets file's).
    """
    fit = (results.fit if results else None) or {}
    if fit.get("command"):
        return str(fit["command"])
    parts = ["python -m calibration fit", relative(path)]
    if fit.get("fit_seeds"):
        parts.append(f"--seeds {len(fit['fit_seeds'])}")
    if fit.get("scorecard_seeds"):
        parts.append(f"--scorecard-seeds {len(fit['scorecard_seeds'])}")
    card = results.scorecard if results else None
    if card is not None and targets is not None:
        held = [str(r.target) for r in card.itertuples() if r.role == "holdout"]
        default = [name for name, target in targets.targets.items() if target.use == "holdout"]
        if sorted(held) != sorted(default):
            parts.append(f"--holdout {','.join(held)}")
    return " ".join([*parts, "--save"])


def sensitivity_command(path: Path) -> str:
    """The command that produces the Morris sensitivity of a targets file and publishes it."""
    return f"python -m calibration sensitivity {relative(path)} --save"


def score_command(path: Path, targets: TargetsFile) -> str:
    """The command that scores the calibrated preset against the targets without fitting."""
    preset = Path("scenarios") / "calibrated" / f"{Path(targets.scenario_path()).stem}-calibrated.yaml"
    return f"python -m calibration score {relative(path)} --scenario {preset.as_posix()} --out out/score/{targets.id}"


# ---------------------------------------------------------------------------------- page sections


def _choose(lang: str) -> Path | None:
    files = targets_files()
    if not files:
        st.info(t("app.calibration.no_files", lang))
        return None

    def label(path: Path) -> str:
        try:
            targets = load(path)
        except TargetsError:
            return path.name
        return f"{targets.title or targets.id} · {path.name}"

    return st.selectbox(t("app.calibration.targets_file", lang), files, format_func=label, key="w_calibration_targets")


def targets_section(path: Path, targets: TargetsFile, lang: str) -> None:
    """The published figures and the free parameters of the targets file."""
    st.header(t("app.calibration.targets_title", lang), divider="gray")
    scenario = (
        relative(Path(targets.scenario_path())) if targets.scenario.endswith((".yaml", ".yml")) else targets.scenario
    )
    st.caption(t("app.calibration.targets_note", lang, file=relative(path), scenario=scenario))
    show_table(targets_table(targets, lang))
    st.subheader(t("app.calibration.free_title", lang))
    st.caption(t("app.calibration.free_note", lang))
    show_table(free_parameters_table(targets, lang))


def scorecard_section(results: Results, directory: Path, path: Path, targets: TargetsFile, lang: str) -> None:
    """The scorecard: verdict counts, the fitted and the held-out targets apart, the chart and the downloads."""
    if results.scorecard is None:
        return
    card = normalise(results.scorecard)
    st.subheader(t("app.calibration.scorecard_title", lang))
    st.markdown(f"**{verdicts_summary(card, lang)}**")
    seeds = int(card["seeds"].max()) if "seeds" in card and len(card) else 0
    st.caption(t("app.calibration.verdict_rule", lang, seeds=seeds))
    if not has_standard_errors(results.scorecard):
        st.warning(t("app.calibration.legacy_scorecard", lang))
        st.code(score_command(path, targets), language="bash", wrap_lines=True)
    verdict_column = t("app.calibration.column_verdict", lang)
    bad, warn = (t("app.calibration.fail", lang),), (t("app.calibration.undetermined", lang),)
    seen = card[card["seen_by_fit"]]
    free = len((results.fit or {}).get("params") or targets.parameters)
    st.markdown(f"##### {t('app.calibration.fitted_section', lang)}")
    st.caption(construction_text(free, len(seen), lang))
    show_table(scorecard_table(seen, lang), verdict_column, bad, warn)
    held = card[~card["seen_by_fit"]]
    st.markdown(f"##### {t('app.calibration.holdout_section', lang)}")
    if len(held):
        st.caption(t("app.calibration.holdout_note", lang))
        show_table(scorecard_table(held, lang, held_out=True), verdict_column, bad, warn)
    else:
        st.caption(t("app.calibration.no_holdout", lang))
    csv = (directory / "scorecard.csv").read_text(encoding="utf-8")
    png = figure_bytes("scorecard", csv, lang)
    st.image(png, width="stretch")
    a, b, c = st.columns(3)
    with a:
        download(
            t("app.calibration.download.scorecard_csv", lang),
            BOM + csv.encode("utf-8"),
            "scorecard.csv",
            "text/csv",
            key="w_dl_cal_scorecard",
        )
    with b:
        download(
            t("app.calibration.download.chart_png", lang),
            png,
            f"scorecard-{lang}.png",
            "image/png",
            key="w_dl_cal_scorecard_png",
        )
    if results.scorecard_md is not None:
        with c:
            download(
                t("app.calibration.download.scorecard_md", lang),
                results.scorecard_md,
                "scorecard.md",
                "text/markdown",
                key="w_dl_cal_scorecard_md",
            )


def parameters_section(results: Results, directory: Path, targets: TargetsFile, lang: str) -> None:
    """The fitted parameters with intervals and the identification flag, then the fit's warnings."""
    if results.parameters is not None:
        st.subheader(t("app.calibration.fitted_title", lang))
        st.caption(t("app.calibration.fitted_note", lang))
        table = parameters_table(results.parameters, targets, lang)
        show_table(table, t("app.calibration.columns.identified", lang), (t("app.calibration.identified_no", lang),))
        data = BOM + (directory / "parameters.csv").read_bytes()
        download(
            t("app.calibration.download.parameters_csv", lang),
            data,
            "parameters.csv",
            "text/csv",
            key="w_dl_cal_parameters",
        )
    warnings = (results.fit or {}).get("warnings") or []
    if warnings:
        lines = "\n".join(f"- {warning}" for warning in warnings)
        st.warning(f"{t('app.calibration.warnings', lang, n=len(warnings))}\n\n{lines}")


def sensitivity_section(results: Results, directory: Path, path: Path, lang: str) -> None:
    """The Morris sensitivity: a heat map drawn in ``lang`` from the CSV (or the PNG of record alone)."""
    st.subheader(t("app.calibration.sensitivity_title", lang))
    if results.sensitivity is None and results.sensitivity_png is None:
        st.caption(t("app.calibration.no_sensitivity", lang))
        st.code(sensitivity_command(path), language="bash", wrap_lines=True)
        return
    st.caption(t("app.calibration.sensitivity_note", lang))
    csv = png = None
    if results.sensitivity is not None:
        csv = (directory / "sensitivity.csv").read_text(encoding="utf-8")
        png = figure_bytes("sensitivity", csv, lang)
        st.image(png, width="stretch")
    else:
        # The chart of record is drawn in English only: say why the page shows it as it is.
        st.caption(t("app.calibration.sensitivity_png", lang))
        st.image(results.sensitivity_png, width="stretch")
    _sensitivity_downloads(csv, png, results.sensitivity_png, lang)


def _sensitivity_downloads(csv: str | None, png: bytes | None, of_record: bytes | None, lang: str) -> None:
    a, b, c = st.columns(3)
    if csv is not None and png is not None:
        with a:
            download(t("app.calibration.download.sensitivity_csv", lang), BOM + csv.encode("utf-8"),
                     "sensitivity.csv", "text/csv", key="w_dl_cal_sensitivity")  # fmt: skip
        with b:
            download(t("app.calibration.download.chart_png", lang), png, f"sensitivity-{lang}.png", "image/png",
                     key="w_dl_cal_sensitivity_chart")  # fmt: skip
    if of_record is not None:
        with c:
            download(t("app.calibration.download.sensitivity_png", lang), of_record, "sensitivity.png", "image/png",
                     key="w_dl_cal_sensitivity_png")  # fmt: skip


def provenance_section(results: Results, path: Path, targets: TargetsFile, lang: str) -> None:
    """Where the results come from (seeds, loss, runs, wall time) and the commands that reproduce them."""
    st.subheader(t("app.calibration.provenance_title", lang))
    fit = results.fit or {}
    lines = [t("app.calibration.provenance_targets", lang, file=fit.get("targets") or relative(path))]
    if fit.get("fit_seeds"):
        loss = fit.get("loss")
        lines.append(
            t(
                "app.calibration.provenance_fit",
                lang,
                seeds=len(fit["fit_seeds"]),
                range=seed_range(fit["fit_seeds"]),
                loss=f"{loss:.4g}" if isinstance(loss, int | float) else "–",
            )
        )
    if fit.get("scorecard_seeds"):
        seeds = fit["scorecard_seeds"]
        lines.append(t("app.calibration.provenance_scorecard", lang, seeds=len(seeds), range=seed_range(seeds)))
    if fit.get("commit"):
        dirty = fit.get("dirty")
        tree = {True: "app.calibration.tree_dirty", False: "app.calibration.tree_clean"}.get(
            dirty if isinstance(dirty, bool) else None, "app.calibration.tree_unknown"
        )
        lines.append(t("app.calibration.provenance_commit", lang, commit=str(fit["commit"])[:12], tree=t(tree, lang)))
    if "wall_seconds" in fit:
        lines.append(
            t(
                "app.calibration.provenance_runs",
                lang,
                computed=fit.get("runs_computed", "–"),
                stored=fit.get("runs_from_store", "–"),
                wall=duration(fit["wall_seconds"], lang),
            )
        )
    st.markdown("\n".join(f"- {line}" for line in lines))
    st.caption(t("app.calibration.reproduce", lang))
    commands = [fit_command(path, results, targets), score_command(path, targets)] if results.has_fit else []
    if results.sensitivity is not None or results.sensitivity_png is not None:
        commands.append(sensitivity_command(path))
    st.code("\n".join(commands), language="bash", wrap_lines=True)


def results_section(path: Path, targets: TargetsFile, lang: str) -> None:
    """The results of record of ``targets``, or how to produce them when there are none."""
    st.header(t("app.calibration.results_title", lang), divider="gray")
    directory = results_root() / targets.id
    results = read_results(directory)
    if results.empty:
        st.info(t("app.calibration.no_results", lang, id=targets.id))
        st.code(f"{fit_command(path)}\n{sensitivity_command(path)}", language="bash", wrap_lines=True)
        return
    if results.has_fit:
        scorecard_section(results, directory, path, targets, lang)
        parameters_section(results, directory, targets, lang)
    else:
        st.info(t("app.calibration.no_fit", lang))
        st.code(fit_command(path), language="bash", wrap_lines=True)
    sensitivity_section(results, directory, path, lang)
    provenance_section(results, path, targets, lang)


def page(settings: Settings) -> None:
    """The calibration page: choose a targets file, show its targets, then its results of record."""
    lang = settings.lang
    path = _choose(lang)
    if path is None:
        return
    try:
        targets = load(path)
    except TargetsError as err:
        st.error(t("app.calibration.invalid", lang, file=relative(path)))
        st.code(str(err), language=None)
        return
    targets_section(path, targets, lang)
    results_section(path, targets, lang)
