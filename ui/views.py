"""Tidy tables for the charts and tables of a comparison, and the charts themselves.

Each ``*_table`` function takes a :class:`~sim.experiment.Comparison` and returns the levels (per
scenario) and the paired differences (per variant, baseline subtracted seed by seed) with their
band across seeds, in the long form that :mod:`sim.plots` draws. :data:`CHARTS` lists the charts
of the compare page; :func:`chart` draws one in a language. No streamlit here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import plots
from sim.experiment import AGE_BANDS, Comparison, bands
from sim.experiment.compare import paired_differences
from sim.experiment.indicators import ALL_CITIES, INDICATORS
from sim.population import EDUCATION_LEVELS
from sim.scenario.schema import CHANNELS
from ui.i18n import number as fmt_number
from ui.i18n import share, significant, t, t_or, tick

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
    """A chart of the compare page: its key (the i18n key under ``app.charts``), data and drawing.

    ``tables`` gives the tidy levels and differences that both the interactive chart on the page and
    the matplotlib figure (PNG download, briefing) are drawn from; ``kind`` is ``line`` (over months)
    or ``bar`` (by group); ``facet`` names the column that splits a line chart into panels; ``unit``
    is the i18n key of the values' unit under ``app.units``. ``wide`` charts are drawn across the page.
    """

    key: str
    tables: Callable[[Comparison, str], tuple[pd.DataFrame, pd.DataFrame]]
    kind: str
    unit: str
    facet: str | None = None
    wide: bool = False
    markers: bool = False


def labeller(lang: str, names: Mapping[str, str]) -> Callable[[str], str]:
    """Raw key (scenario label, city id, channel, age band, education level, metric) → its words in ``lang``."""

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


def _variant_colours(levels: pd.DataFrame) -> dict[str, str]:
    names = list(dict.fromkeys(levels["scenario"])) if len(levels) else []
    return {name: plots.PALETTE[i % len(plots.PALETTE)] for i, name in enumerate(names)}


def _settlements_tables(comparison: Comparison, city: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    channels = settled_channels(comparison, city)
    columns = ["settled", *(f"settled_{c}" for c in channels)]
    return monthly_table(comparison, columns, city, cumulative=True)


def _monthly(column: str, *, cumulative: bool) -> Callable[[Comparison, str], tuple[pd.DataFrame, pd.DataFrame]]:
    def tables(comparison: Comparison, city: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        return monthly_table(comparison, [column], city, cumulative=cumulative)

    return tables


def _by_group(
    indicator: str, breakdown: str, groups: tuple[str, ...] | None
) -> Callable[[Comparison, str], tuple[pd.DataFrame, pd.DataFrame]]:
    def tables(comparison: Comparison, city: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        chosen = groups if groups is not None else tuple(settled_channels(comparison, city))
        return indicator_table(comparison, indicator, breakdown, city, chosen)

    return tables


def _cutoff_tables(comparison: Comparison, city: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return rounds_table(comparison, city)


CHARTS: tuple[Chart, ...] = (
    Chart("settlements", _settlements_tables, "line", "persons", facet="column", wide=True),
    Chart("dependants", _monthly("dependants_settled", cumulative=True), "line", "persons"),
    Chart("age", _by_group("settled_all", "age_band", AGE_BANDS), "bar", "persons"),
    Chart("education", _by_group("settled", "education", tuple(EDUCATION_LEVELS)), "bar", "persons", wide=True),
    Chart("eligible", _monthly("eligible_any", cumulative=False), "line", "persons"),
    Chart("blocked", _monthly("blocked_only_by_gap", cumulative=False), "line", "persons"),
    Chart("waiting", _by_group("wait_months", "channel", None), "bar", "months"),
    Chart("cutoffs", _cutoff_tables, "line", "points", markers=True),
)
"""The compare page's charts, in page order."""


def find_chart(key: str) -> Chart:
    """The chart of :data:`CHARTS` with ``key``."""
    (found,) = [c for c in CHARTS if c.key == key]
    return found


def is_empty(levels: pd.DataFrame) -> bool:
    """Whether a chart has nothing to show: no rows, or zero in every scenario."""
    return levels.empty or not levels[["mean", "low", "high"]].fillna(0).abs().to_numpy().any()


def empty_reason(key: str, levels: pd.DataFrame, lang: str) -> str:
    """Why a chart is empty, in words (the waiting time and cut-offs have reasons of their own)."""
    if key == "waiting" and not levels.empty:
        return t("app.dash.waiting_zero", lang)
    if key == "cutoffs":
        return t("app.compare.no_rounds", lang)
    return t("app.compare.no_data", lang)


def _figure_pair(
    chart: Chart, levels: pd.DataFrame, differences: pd.DataFrame, lang: str, label: Callable[[str], str]
) -> tuple[Figure, Figure]:
    title = t(f"app.charts.{chart.key}.title", lang)
    unit = t(f"app.units.{chart.unit}", lang)
    empty = empty_reason(chart.key, levels, lang)
    colours = _variant_colours(levels)
    if is_empty(levels):
        levels = levels.iloc[0:0]
        differences = differences.iloc[0:0]
    fmt = (lambda v: tick(v, lang)) if chart.unit == "persons" else (lambda v: f"{v:g}" if abs(v) > 1e-9 else "0")
    if chart.kind == "bar":
        common: dict[str, Any] = {
            "category": "group",
            "series": "scenario",
            "labels": label,
            "number": fmt,
            "empty_message": empty,
            "ylabel": unit,
        }
        common["width_inches"] = max(6.4, 0.95 * levels["group"].nunique() + 2) if len(levels) else None
        left = plots.bar_bands(levels, title=title, **common)
        right = plots.bar_bands(
            differences,
            title=t("app.compare.difference_of", lang, what=title),
            zero_line=True,
            colours=colours,
            **common,
        )
        return left, right
    facet = chart.facet or ("city" if chart.key == "cutoffs" and city_count(levels) > 1 else None)
    common = {
        "x": "month",
        "facet": facet,
        "ncols": 4,
        "labels": label,
        "number": fmt,
        "markers": chart.markers,
        "date_format": _date_format(lang),
        "empty_message": empty,
        "ylabel": unit,
    }
    left = plots.line_bands(levels, series="scenario", title=title, from_zero=True, **common)
    right = plots.line_bands(
        differences,
        series="scenario",
        title=t("app.compare.difference_of", lang, what=title),
        zero_line=True,
        colours=colours,
        **common,
    )
    return left, right


def city_count(levels: pd.DataFrame) -> int:
    """How many cities a chart's table covers."""
    return levels["city"].nunique() if "city" in levels and len(levels) else 0


def chart_tables(key: str, comparison: Comparison, city: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy levels and differences of chart ``key`` (what every drawing of it reads)."""
    return find_chart(key).tables(comparison, city)


def chart(key: str, comparison: Comparison, city: str, lang: str, names: Mapping[str, str]):
    """Draw chart ``key`` with matplotlib: ``(levels figure, differences figure, numeric CSV table)``."""
    found = find_chart(key)
    levels, differences = found.tables(comparison, city)
    label = labeller(lang, names)
    left, right = _figure_pair(found, levels, differences, lang, label)
    return left, right, csv_table(found, levels, differences, lang, names)


def csv_table(
    chart: Chart, levels: pd.DataFrame, differences: pd.DataFrame, lang: str, names: Mapping[str, str]
) -> pd.DataFrame:
    """Levels and differences in one numeric table for the CSV download, the unit in the value columns' names.

    ``kind`` is ``level`` or ``difference`` (variant − baseline, paired by seed); ``series`` is the
    row's channel, age band, education level or metric in words; months are ``YYYY-MM``.
    """
    label = labeller(lang, names)
    unit = chart.unit
    frames = []
    for kind, frame in (("level", levels), ("difference", differences)):
        if frame.empty:
            continue
        part = pd.DataFrame({"kind": kind, "scenario": frame["scenario"].astype(str)})
        part["scenario_name"] = [label(s) for s in part["scenario"]]
        if "city" in frame:
            part["city"] = frame["city"].to_numpy()
        if "month" in frame:
            part["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m").to_numpy()
        for column in ("column", "group"):
            if column in frame:
                part["series"] = [label(v) for v in frame[column]]
                part["series_key"] = frame[column].astype(str).to_numpy()
        for column in ("mean", "low", "high"):
            part[f"{column}_{unit}"] = frame[column].to_numpy(float)
        part["seeds"] = frame["seeds"].to_numpy() if "seeds" in frame else np.nan
        frames.append(part)
    if not frames:
        columns = {name: pd.Series(dtype=object) for name in ("kind", "scenario", "scenario_name")}
        columns |= {f"{part}_{unit}": pd.Series(dtype=float) for part in ("mean", "low", "high")}
        return pd.DataFrame(columns)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------- headline


def headline_numbers(comparison: Comparison, variant: str, lang: str, names: Mapping[str, str]) -> pd.DataFrame:
    """The headline differences of ``variant`` as numbers, for the CSV download.

    One row per indicator (and group): its name in words, the unit, the baseline's and the variant's
    mean, the paired difference and its band. Shares are fractions (0.25 = 25 %).
    """
    table = comparison.headline(variant)
    columns = ["indicator", "indicator_key", "group", "unit", "baseline", "variant", "difference", "band_low"]
    if table.empty:
        return pd.DataFrame(columns=[*columns, "band_high", "seeds"])
    rows = _row_names(table, comparison, lang, names)
    return pd.DataFrame(
        {
            "indicator": rows,
            "indicator_key": table["indicator"],
            "group": table["group"].astype(str),
            "unit": table["unit"],
            "baseline": table["baseline"].astype(float),
            "variant": table["variant"].astype(float),
            "difference": table["difference"].astype(float),
            "band_low": table["low"].astype(float),
            "band_high": table["high"].astype(float),
            "seeds": table["seeds"].astype(int),
        }
    )


def _row_names(table: pd.DataFrame, comparison: Comparison, lang: str, names: Mapping[str, str]) -> list[str]:
    label = labeller(lang, names)
    scope = table["city"].iloc[0]
    found = []
    for row in table.itertuples():
        name = t_or(f"app.indicators.{row.indicator}", lang, row.indicator)
        if row.breakdown == "round":
            name = t("app.compare.cutoff_round", lang, month=row.group)
        elif row.breakdown != "total":
            name = f"{name} · {label(row.group)}"
        if row.city != scope:
            name = f"{name} · {label(row.city)}"
        found.append(name)
    return found


def headline_table(
    comparison: Comparison,
    variant: str,
    lang: str,
    names: Mapping[str, str],
    only: Sequence[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """The headline differences of ``variant`` with translated row names and formatted numbers (for reading).

    ``only`` keeps the rows of these ``(indicator, breakdown)`` pairs, in that order (e.g. :data:`KEY_FIGURES`).
    """
    table = comparison.headline(variant)
    if table.empty:
        return table
    if only is not None:
        rank = {pair: i for i, pair in enumerate(only)}
        order = [rank.get((r.indicator, r.breakdown)) for r in table.itertuples()]
        table = table.assign(_rank=order).dropna(subset=["_rank"]).sort_values("_rank", kind="stable")
        table = table.drop(columns="_rank").reset_index(drop=True)
        if table.empty:
            return pd.DataFrame()
    heads = {
        "indicator": t("app.headline.indicator", lang),
        "baseline": t("app.headline.baseline", lang, name=names.get(comparison.baseline, comparison.baseline)),
        "variant": t("app.headline.variant", lang, name=names.get(variant, variant)),
        "difference": t("app.headline.difference", lang),
        "band": t("app.headline.band", lang, pct=round(comparison.level * 100)),
    }
    rows = []
    for name, row in zip(_row_names(table, comparison, lang, names), table.itertuples(), strict=True):
        rows.append(
            {
                heads["indicator"]: name,
                heads["baseline"]: format_value(row.baseline, row.unit, lang),
                heads["variant"]: format_value(row.variant, row.unit, lang),
                heads["difference"]: format_value(row.difference, row.unit, lang, signed=True),
                heads["band"]: band_text(row.low, row.high, row.unit, lang),
            }
        )
    return pd.DataFrame(rows)


def band_text(low: float, high: float, unit: str, lang: str) -> str:
    """A band of a difference for reading: ``+1,200 … +3,400``."""
    return f"{format_value(low, unit, lang, signed=True)} … {format_value(high, unit, lang, signed=True)}"


KEY_FIGURES = (
    ("settled_all", "total"),
    ("settled", "total"),
    ("share_aged_18_34", "total"),
    ("wait_months", "total"),
    ("blocked_only_by_gap_at_end", "total"),
)
"""The headline figures a briefing shows (those present, at most five)."""


def format_value(value: float, unit: str, lang: str, *, signed: bool = False) -> str:
    """A headline value written for reading: a count, months or points with one decimal, or a share in %."""
    if pd.isna(value):
        return "–"
    if unit == "share":
        return share(value, lang, signed=signed)
    if unit in ("months", "points"):
        return fmt_number(value, lang, decimals=1, signed=signed)
    # A mean across seeds is an estimate: four significant figures say as much as it knows.
    return fmt_number(significant(value), lang, signed=signed)


def _about(value: float) -> float:
    """``value`` rounded to three significant figures (a sentence says "about 12,700")."""
    if value == 0 or pd.isna(value):
        return 0.0
    digits = 2 - int(np.floor(np.log10(abs(value))))
    return float(round(value, min(digits, 0)))


def headline_sentence(comparison: Comparison, variant: str, lang: str, names: Mapping[str, str]) -> str:
    """The comparison's result in one sentence, generated from the numbers.

    Persons settled over the period (with the band of the paired difference), the channel that
    contributes most to the difference and the age band that gains (or loses) most.
    """
    table = comparison.headline(variant)
    label = labeller(lang, names)
    months = sorted(comparison.result.monthly["month"].unique())
    period = {"months": len(months), "start": months[0] if months else ""}
    base, var = names.get(comparison.baseline, comparison.baseline), names.get(variant, variant)
    total = table[(table["indicator"] == "settled_all") & (table["breakdown"] == "total")] if len(table) else table
    if total.empty:
        return t("app.dash.sentence.none", lang, variant=var, baseline=base, **period)
    row = total.iloc[0]
    pct = round(comparison.level * 100)
    band = {"pct": pct, "low": fmt_number(_about(row["low"]), lang), "high": fmt_number(_about(row["high"]), lang)}
    if row["low"] <= 0 <= row["high"]:
        return t("app.dash.sentence.unclear", lang, variant=var, baseline=base, **period, **band)
    more = row["difference"] > 0
    sign = 1 if more else -1
    text = t(
        f"app.dash.sentence.{'more' if more else 'fewer'}",
        lang,
        variant=var,
        baseline=base,
        n=fmt_number(abs(_about(row["difference"])), lang),
        **period,
        **band,
    )
    parts = [text]
    channels = table[(table["indicator"] == "settled") & (table["breakdown"] == "channel")]
    channels = channels[channels["difference"] * sign > 0]
    if len(channels):
        top = channels.loc[(channels["difference"] * sign).idxmax()]
        mostly = abs(top["difference"]) >= 0.5 * abs(row["difference"])
        key = "app.dash.sentence.channel_mostly" if mostly else "app.dash.sentence.channel_most"
        parts.append(t(key, lang, channel=label(top["group"])))
    ages = table[(table["indicator"] == "settled_all") & (table["breakdown"] == "age_band")]
    ages = ages[ages["difference"] * sign > 0]
    if len(ages):
        top = ages.loc[(ages["difference"] * sign).idxmax()]
        key = "app.dash.sentence.age_gain" if more else "app.dash.sentence.age_lose"
        parts.append(t(key, lang, age=label(top["group"])))
    return t("app.dash.sentence.join", lang).join(parts) + t("app.dash.sentence.end", lang)


INDICATOR_NAMES = tuple(INDICATORS)
"""Indicators that have a label under ``app.indicators`` in both label files."""
