"""Tidy tables for the charts and tables of a comparison, and the charts themselves.

Each ``*_table`` function takes a :class:`~sim.experiment.Comparison` and returns the levels (per
scenario) and the paired differences (per variant, baseline subtracted seed by seed) with their
band across seeds, in the long form that :mod:`sim.plots` draws. :data:`CHARTS` lists the charts
of the compare page; :func:`chart` draws one in a language. No streamlit here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim import plots
from sim.experiment import AGE_BANDS, Comparison, bands
from sim.experiment.compare import paired_differences
from sim.experiment.indicators import ALL_CITIES, INDICATORS
from sim.population import EDUCATION_LEVELS
from sim.scenario.schema import CHANNELS
from ui.i18n import number as fmt_number
from ui.i18n import share, t, t_or, tick

LEVEL_KEYS = ["scenario", "city", "month"]


def cities(comparison: Comparison) -> list[str]:
    """The cities of the comparison, with ``all`` first when there are several."""
    found = sorted(comparison.result.monthly["city"].unique())
    return [ALL_CITIES, *found] if len(found) > 1 else found


def _month_dates(frame: pd.DataFrame, column: str = "month") -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = pd.to_datetime(frame[column], format="%Y-%m")
    return frame


def _scope(monthly: pd.DataFrame, city: str) -> pd.DataFrame:
    if city == ALL_CITIES:
        numeric = [c for c in monthly.columns if c not in ("run", "scenario", "seed", "city", "month")]
        summed = monthly.groupby(["scenario", "seed", "month"], sort=False)[numeric].sum().reset_index()
        return summed.assign(city=ALL_CITIES)
    return monthly[monthly["city"] == city]


def _levels_and_differences(
    long: pd.DataFrame, keys: list[str], baseline: str, level: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    levels = bands(long, ["scenario", *keys], level=level)
    differences = paired_differences(long, baseline, keys, level)
    return levels, differences


def monthly_table(
    comparison: Comparison, columns: list[str], city: str, *, cumulative: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Levels and differences of monthly columns over time (``column`` names the facet).

    Parameters
    ----------
    columns : list of str
        Columns of the monthly table (``settled_talent`` …, ``eligible_any`` …).
    city : str
        A city id or ``all`` (summed over the cities).
    cumulative : bool
        Sum over months from the start, seed by seed, before the bands are taken.
    """
    monthly = _scope(comparison.result.monthly, city)
    long = monthly.melt(id_vars=["scenario", "seed", "city", "month"], value_vars=columns, var_name="column")
    long = long.sort_values(["scenario", "seed", "column", "month"])
    if cumulative:
        long["value"] = long.groupby(["scenario", "seed", "column"], sort=False)["value"].cumsum()
    levels, differences = _levels_and_differences(
        long, ["column", "city", "month"], comparison.baseline, comparison.level
    )
    order = {column: i for i, column in enumerate(columns)}

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        rank = frame["column"].map(order)
        return frame.iloc[rank.argsort(kind="stable")].reset_index(drop=True)

    return _month_dates(ordered(levels)), _month_dates(ordered(differences))


def settled_channels(comparison: Comparison, city: str) -> list[str]:
    """Channels through which anyone settled, in any scenario."""
    monthly = _scope(comparison.result.monthly, city)
    return [c for c in CHANNELS if f"settled_{c}" in monthly and monthly[f"settled_{c}"].sum() > 0]


def indicator_table(
    comparison: Comparison, indicator: str, breakdown: str, city: str, groups: tuple[str, ...] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Levels and differences of one indicator by ``breakdown`` (groups in their natural order)."""
    scope = city if city in set(comparison.levels["city"]) else comparison.levels["city"].iloc[0]

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        rows = frame[(frame["city"] == scope) & (frame["indicator"] == indicator) & (frame["breakdown"] == breakdown)]
        if groups is not None:
            rows = rows[rows["group"].isin(groups)]
            order = {g: i for i, g in enumerate(groups)}
            rows = rows.assign(_order=rows["group"].map(order)).sort_values(["_order"], kind="stable")
            rows = rows.drop(columns="_order")
        return rows.reset_index(drop=True)

    return pick(comparison.levels), pick(comparison.differences)


def rounds_table(comparison: Comparison, city: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cut-off scores per points round (``city`` ``all``: every city, faceted)."""
    rounds = comparison.result.rounds
    if rounds.empty:
        empty = pd.DataFrame(columns=["scenario", "city", "month", "mean", "low", "high", "seeds"])
        return empty, empty.assign(baseline=pd.Series(dtype=object))
    if city != ALL_CITIES:
        rounds = rounds[rounds["city"] == city]
    long = rounds.rename(columns={"cutoff": "value"})[["scenario", "seed", "city", "month", "value"]]
    levels, differences = _levels_and_differences(long, ["city", "month"], comparison.baseline, comparison.level)
    return _month_dates(levels), _month_dates(differences)


# --------------------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Chart:
    """A chart of the compare page: its key (the i18n key under ``app.charts``) and how to draw it.

    ``wide`` charts (one panel per channel) are drawn across the page, the differences below the
    levels; the others side by side.
    """

    key: str
    draw: Callable[[Comparison, str, str, Callable[[str], str]], tuple[Figure, Figure, pd.DataFrame]]
    wide: bool = False


def _labeller(lang: str, names: Mapping[str, str]) -> Callable[[str], str]:
    def label(key: str) -> str:
        key = str(key)
        if key in names:
            return names[key]
        for section in ("channels", "app.age_band", "education", "app.metric"):
            found = t_or(f"{section}.{key}", lang, "")
            if found:
                return found
        if key.startswith("settled_") and key.removeprefix("settled_") in CHANNELS:
            return t(f"channels.{key.removeprefix('settled_')}", lang)
        if key == ALL_CITIES:
            return t("app.compare.all_cities", lang)
        return key

    return label


def _date_format(lang: str) -> str:
    return "%Y年" if lang == "zh" else "%Y"


def _lines(
    levels: pd.DataFrame,
    differences: pd.DataFrame,
    lang: str,
    label: Callable[[str], str],
    title: str,
    unit: str,
    facet: str | None,
) -> tuple[Figure, Figure]:
    common: dict[str, Any] = {
        "x": "month",
        "facet": facet,
        "ncols": 4,
        "labels": label,
        "number": lambda v: tick(v, lang),
        "date_format": _date_format(lang),
        "empty_message": t("app.compare.no_data", lang),
        "ylabel": unit,
    }
    left = plots.line_bands(levels, series="scenario", title=title, **common)
    right = plots.line_bands(
        differences,
        series="scenario",
        title=t("app.compare.difference_of", lang, what=title),
        zero_line=True,
        colours=_variant_colours(levels),
        **common,
    )
    return left, right


def _variant_colours(levels: pd.DataFrame) -> dict[str, str]:
    names = list(dict.fromkeys(levels["scenario"])) if len(levels) else []
    return {name: plots.PALETTE[i % len(plots.PALETTE)] for i, name in enumerate(names)}


def _bars(
    levels: pd.DataFrame,
    differences: pd.DataFrame,
    lang: str,
    label: Callable[[str], str],
    title: str,
    unit: str,
    fmt: Callable[[float], str],
) -> tuple[Figure, Figure]:
    common: dict[str, Any] = {
        "category": "group",
        "series": "scenario",
        "labels": label,
        "number": fmt,
        "empty_message": t("app.compare.no_data", lang),
        "ylabel": unit,
    }
    width = max(6.4, 0.95 * levels["group"].nunique() + 2) if len(levels) else None
    common["width_inches"] = width
    left = plots.bar_bands(levels, title=title, **common)
    right = plots.bar_bands(
        differences,
        title=t("app.compare.difference_of", lang, what=title),
        zero_line=True,
        colours=_variant_colours(levels),
        **common,
    )
    return left, right


def _tidy(levels: pd.DataFrame, differences: pd.DataFrame) -> pd.DataFrame:
    """Levels and differences in one table for the CSV download."""
    a = levels.assign(kind="level")
    b = differences.assign(kind="difference")
    return pd.concat([a, b], ignore_index=True)


def _settlements(comparison: Comparison, city: str, lang: str, label: Callable[[str], str]):
    channels = settled_channels(comparison, city)
    columns = ["settled", *(f"settled_{c}" for c in channels)]
    levels, differences = monthly_table(comparison, columns, city, cumulative=True)
    title = t("app.charts.settlements.title", lang)
    left, right = _lines(levels, differences, lang, label, title, "", "column")
    return left, right, _tidy(levels, differences)


def _dependants(comparison: Comparison, city: str, lang: str, label: Callable[[str], str]):
    levels, differences = monthly_table(comparison, ["dependants_settled"], city, cumulative=True)
    title = t("app.charts.dependants.title", lang)
    left, right = _lines(levels, differences, lang, label, title, "", None)
    return left, right, _tidy(levels, differences)


def _age(comparison: Comparison, city: str, lang: str, label: Callable[[str], str]):
    levels, differences = indicator_table(comparison, "settled_all", "age_band", city, AGE_BANDS)
    title = t("app.charts.age.title", lang)
    left, right = _bars(levels, differences, lang, label, title, "", lambda v: tick(v, lang))
    return left, right, _tidy(levels, differences)


def _education(comparison: Comparison, city: str, lang: str, label: Callable[[str], str]):
    levels, differences = indicator_table(comparison, "settled", "education", city, tuple(EDUCATION_LEVELS))
    title = t("app.charts.education.title", lang)
    left, right = _bars(levels, differences, lang, label, title, "", lambda v: tick(v, lang))
    return left, right, _tidy(levels, differences)


def _eligible(comparison: Comparison, city: str, lang: str, label: Callable[[str], str]):
    levels, differences = monthly_table(comparison, ["eligible_any"], city, cumulative=False)
    title = t("app.charts.eligible.title", lang)
    left, right = _lines(levels, differences, lang, label, title, "", None)
    return left, right, _tidy(levels, differences)


def _blocked(comparison: Comparison, city: str, lang: str, label: Callable[[str], str]):
    levels, differences = monthly_table(comparison, ["blocked_only_by_gap"], city, cumulative=False)
    title = t("app.charts.blocked.title", lang)
    left, right = _lines(levels, differences, lang, label, title, "", None)
    return left, right, _tidy(levels, differences)


def _waiting(comparison: Comparison, city: str, lang: str, label: Callable[[str], str]):
    groups = tuple(settled_channels(comparison, city))
    levels, differences = indicator_table(comparison, "wait_months", "channel", city, groups)
    title = t("app.charts.waiting.title", lang)
    left, right = _bars(levels, differences, lang, label, title, t("app.units.months", lang), lambda v: f"{v:g}")
    return left, right, _tidy(levels, differences)


def _cutoffs(comparison: Comparison, city: str, lang: str, label: Callable[[str], str]):
    levels, differences = rounds_table(comparison, city)
    title = t("app.charts.cutoffs.title", lang)
    common: dict[str, Any] = {
        "x": "month",
        "facet": "city" if city == ALL_CITIES else None,
        "labels": label,
        "number": lambda v: f"{v:g}",
        "markers": True,
        "date_format": _date_format(lang),
        "empty_message": t("app.compare.no_rounds", lang),
        "ylabel": t("app.units.points", lang),
    }
    left = plots.line_bands(levels, series="scenario", title=title, **common)
    right = plots.line_bands(
        differences,
        series="scenario",
        title=t("app.compare.difference_of", lang, what=title),
        zero_line=True,
        colours=_variant_colours(levels),
        **common,
    )
    return left, right, _tidy(levels, differences)


CHARTS: tuple[Chart, ...] = (
    Chart("settlements", _settlements, wide=True),
    Chart("dependants", _dependants),
    Chart("age", _age),
    Chart("education", _education),
    Chart("eligible", _eligible),
    Chart("blocked", _blocked),
    Chart("waiting", _waiting),
    Chart("cutoffs", _cutoffs),
)
"""The compare page's charts, in page order."""


def chart(key: str, comparison: Comparison, city: str, lang: str, names: Mapping[str, str]):
    """Draw chart ``key``: ``(levels figure, differences figure, tidy table)``."""
    (found,) = [c for c in CHARTS if c.key == key]
    return found.draw(comparison, city, lang, _labeller(lang, names))


# --------------------------------------------------------------------------------------- headline


def headline_table(comparison: Comparison, variant: str, lang: str, names: Mapping[str, str]) -> pd.DataFrame:
    """The headline differences of ``variant`` with translated row names and formatted numbers."""
    table = comparison.headline(variant)
    if table.empty:
        return table
    label = _labeller(lang, names)
    rows = []
    scope = table["city"].iloc[0]
    for row in table.itertuples():
        name = t_or(f"app.indicators.{row.indicator}", lang, row.indicator)
        if row.breakdown == "round":
            name = t("app.compare.cutoff_round", lang, month=row.group)
        elif row.breakdown != "total":
            name = f"{name} · {label(row.group)}"
        if row.city != scope:
            name = f"{name} · {row.city}"
        rows.append(
            {
                t("app.headline.indicator", lang): name,
                t("app.headline.baseline", lang, name=names.get(comparison.baseline, comparison.baseline)): _fmt(
                    row.baseline, row.unit, lang
                ),
                t("app.headline.variant", lang, name=names.get(variant, variant)): _fmt(row.variant, row.unit, lang),
                t("app.headline.difference", lang): _fmt(row.difference, row.unit, lang, signed=True),
                t("app.headline.band", lang, pct=round(comparison.level * 100)): (
                    f"{_fmt(row.low, row.unit, lang, signed=True)} … {_fmt(row.high, row.unit, lang, signed=True)}"
                ),
            }
        )
    return pd.DataFrame(rows)


def _fmt(value: float, unit: str, lang: str, *, signed: bool = False) -> str:
    if pd.isna(value):
        return "–"
    if unit == "share":
        return share(value, lang, signed=signed)
    if unit in ("months", "points"):
        return fmt_number(value, lang, decimals=1, signed=signed)
    return fmt_number(value, lang, signed=signed)


INDICATOR_NAMES = tuple(INDICATORS)
"""Indicators that have a label under ``app.indicators`` in both label files."""
