"""The compare page's charts on screen: Vega-Lite (Altair) from the tidy tables the PNG figures use.

Hover a line or bar to read its value and band; drag or scroll a time axis to zoom a period
(double-click to reset); click a legend entry to show one scenario. :func:`pair` takes the same
levels and differences as :func:`ui.views.chart` draws with matplotlib, so the page, the PNG
downloads and the briefing never disagree. Numbers follow the page's language (:mod:`ui.i18n`).
No streamlit here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import altair as alt
import pandas as pd

from sim import plots
from ui.i18n import number, share, significant, t
from ui.views import Chart, city_count, is_empty, labeller

LINE_HEIGHT = 300
FACET_HEIGHT = 170
FACET_WIDTH = 205
BAR_HEIGHT = 300
FONT = "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif"


def _axis_labels(lang: str) -> str:
    """A Vega expression writing an axis number in the language's convention (万 from 10,000 in Chinese)."""
    if lang == "zh":
        return (
            "abs(datum.value) >= 10000 ? format(datum.value / 10000, ',~r') + '万' : "
            "(abs(datum.value) < 1e-9 ? '0' : format(datum.value, ',~r'))"
        )
    return "abs(datum.value) < 1e-9 ? '0' : format(datum.value, ',~r')"


def _value_text(value: float, unit: str, lang: str, *, signed: bool) -> str:
    if pd.isna(value):
        return "–"
    if unit == "share":
        return share(value, lang, signed=signed)
    if unit == "persons":
        return number(significant(value), lang, signed=signed)
    return number(value, lang, decimals=1, signed=signed)


def _data(frame: pd.DataFrame, chart: Chart, lang: str, names: Mapping[str, str], *, signed: bool) -> pd.DataFrame:
    words = labeller(lang, names)
    found: dict[str, str] = {}

    def label(key: str) -> str:
        # Each distinct key is looked up once: a table has hundreds of rows and few keys.
        if key not in found:
            found[key] = words(key)
        return found[key]

    data = pd.DataFrame(
        {
            "scenario": [label(s) for s in frame["scenario"]],
            "mean": frame["mean"].to_numpy(float),
            "low": frame["low"].to_numpy(float),
            "high": frame["high"].to_numpy(float),
        }
    )
    data["value_text"] = [_value_text(v, chart.unit, lang, signed=signed) for v in data["mean"]]
    data["band_text"] = [
        f"{_value_text(lo, chart.unit, lang, signed=signed)} … {_value_text(hi, chart.unit, lang, signed=signed)}"
        for lo, hi in zip(data["low"], data["high"], strict=True)
    ]
    if "month" in frame:
        data["month"] = pd.to_datetime(frame["month"]).to_numpy()
        data["month_text"] = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m").to_numpy()
    facet = _facet_column(chart, frame)
    if facet:
        data["panel"] = [label(v) for v in frame[facet]]
    if "group" in frame:
        data["group"] = [label(v) for v in frame["group"]]
    return data


def _facet_column(chart: Chart, frame: pd.DataFrame) -> str | None:
    if chart.facet:
        return chart.facet
    if chart.key == "cutoffs" and city_count(frame) > 1:
        return "city"
    return None


def _colours(levels: pd.DataFrame, lang: str, names: Mapping[str, str], *, variants_only: bool) -> alt.Scale:
    """Each scenario's colour, as in the PNG figures (the baseline first); a differences chart lists the variants."""
    label = labeller(lang, names)
    order = list(dict.fromkeys(levels["scenario"]))
    first = 1 if variants_only else 0
    return alt.Scale(
        domain=[label(s) for s in order[first:]],
        range=[plots.PALETTE[i % len(plots.PALETTE)] for i in range(first, len(order))],
    )


def _tooltip(lang: str, *, months: bool, group: bool) -> list[alt.Tooltip]:
    tips = [alt.Tooltip("scenario:N", title=t("app.dash.scenario", lang))]
    if months:
        tips.append(alt.Tooltip("month_text:N", title=t("app.dash.month", lang)))
    if group:
        tips.append(alt.Tooltip("group:N", title=t("app.dash.series", lang)))
    tips += [
        alt.Tooltip("value_text:N", title=t("app.dash.value", lang)),
        alt.Tooltip("band_text:N", title=t("app.dash.band", lang)),
    ]
    return tips


def _lines(
    data: pd.DataFrame, chart: Chart, lang: str, colours: alt.Scale, title: str, *, zero_line: bool, from_zero: bool
) -> alt.TopLevelMixin:
    pick = alt.selection_point(fields=["scenario"], bind="legend")
    zoom = alt.selection_interval(encodings=["x"], bind="scales")
    faceted = "panel" in data
    legend = alt.Legend(
        title=None, orient="bottom", direction="vertical", labelFontSize=13, labelLimit=520, symbolStrokeWidth=3
    )
    # The data goes on the layer, once: Altair copies a chart's data into every chart derived from it.
    base = alt.Chart().encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%Y", labelFontSize=12, tickCount="year")),
        color=alt.Color("scenario:N", scale=colours, legend=legend),
    )
    unit = t(f"app.units.{chart.unit}", lang)
    y_axis = alt.Axis(title=unit, labelExpr=_axis_labels(lang), labelFontSize=12, titleFontSize=12)
    band = base.mark_area(opacity=0.18).encode(
        y=alt.Y("low:Q", axis=y_axis, scale=alt.Scale(zero=from_zero)),
        y2="high:Q",
        opacity=alt.condition(pick, alt.value(0.2), alt.value(0.03)),
    )
    line = base.mark_line(strokeWidth=2, point=chart.markers).encode(
        y=alt.Y("mean:Q", axis=y_axis, scale=alt.Scale(zero=from_zero)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)),
        tooltip=_tooltip(lang, months=True, group=False),
    )
    hover = base.mark_point(size=60, opacity=0, filled=True).encode(
        y="mean:Q", tooltip=_tooltip(lang, months=True, group=False)
    )
    layers = [band, line, hover]
    if zero_line:
        layers.append(base.mark_rule(color="#999999").encode(y=alt.datum(0), color=alt.value("#999999")))
    if faceted:
        layered = alt.layer(*layers, data=data).properties(width=FACET_WIDTH, height=FACET_HEIGHT)
        layered = layered.add_params(pick, zoom)
        order = list(dict.fromkeys(data["panel"]))
        combined = (
            layered.facet(
                facet=alt.Facet(
                    "panel:N", title=None, sort=order, header=alt.Header(labelFontSize=13, labelAnchor="start")
                ),
                columns=3,
            )
            .resolve_scale(y="independent")
            .resolve_axis(x="independent")
        )
    else:
        combined = alt.layer(*layers, data=data).properties(height=LINE_HEIGHT).add_params(pick, zoom)
    return combined.properties(title=alt.TitleParams(title, anchor="start", fontSize=15))


def _bars(data: pd.DataFrame, chart: Chart, lang: str, colours: alt.Scale, title: str, *, zero_line: bool):
    pick = alt.selection_point(fields=["scenario"], bind="legend")
    # Long category names go on two or three lines: slanted labels would squeeze the bars.
    data = data.assign(group=[textwrap.fill(g, 14) if " " in g else g for g in data["group"]])
    order = list(dict.fromkeys(data["group"]))
    # One legend entry per line: long scenario titles side by side run off a half-width chart.
    legend = alt.Legend(title=None, orient="bottom", direction="vertical", labelFontSize=13, labelLimit=520)
    axis = alt.Axis(
        labelAngle=0, labelFontSize=12, labelLimit=200, labelOverlap=False, labelExpr="split(datum.label, '\\n')"
    )
    x = alt.X("group:N", sort=order, title=None, axis=axis)
    unit = t(f"app.units.{chart.unit}", lang)
    y_axis = alt.Axis(title=unit, labelExpr=_axis_labels(lang), labelFontSize=12, titleFontSize=12)
    base = alt.Chart().encode(x=x, xOffset=alt.XOffset("scenario:N", scale=alt.Scale(domain=colours.domain)))
    bars = base.mark_bar().encode(
        y=alt.Y("mean:Q", axis=y_axis),
        color=alt.Color("scenario:N", scale=colours, legend=legend),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.2)),
        tooltip=_tooltip(lang, months=False, group=True),
    )
    errors = base.mark_rule(color="#222222").encode(y="low:Q", y2="high:Q")
    layers = [bars, errors]
    if zero_line:
        layers.append(alt.Chart().mark_rule(color="#999999").encode(y=alt.datum(0)))
    combined = alt.layer(*layers, data=data).properties(height=BAR_HEIGHT).add_params(pick)
    return combined.properties(title=alt.TitleParams(title, anchor="start", fontSize=15))


def pair(
    chart: Chart,
    levels: pd.DataFrame,
    differences: pd.DataFrame,
    lang: str,
    names: Mapping[str, str],
    level: float = 0.90,
) -> tuple[alt.TopLevelMixin, alt.TopLevelMixin] | None:
    """Interactive charts of the levels and the differences, or None when there is nothing to show.

    Parameters
    ----------
    chart : Chart
        Which chart (its kind, unit and facet).
    levels, differences : DataFrame
        The tidy tables of :func:`ui.views.chart_tables`.
    lang : str
    names : mapping
        Scenario label or city id → display name.
    level : float
        The bands' coverage (the comparison's ``level``).
    """
    if is_empty(levels):
        return None
    # The page's heading names the chart: the two panels say which is which, and the band's level.
    pct = round(level * 100)
    title = t("app.dash.levels_title", lang, pct=pct)
    colours = _colours(levels, lang, names, variants_only=False)
    variant_colours = _colours(levels, lang, names, variants_only=True)
    left_data = _data(levels, chart, lang, names, signed=False)
    right_data = _data(differences, chart, lang, names, signed=True)
    difference_title = t("app.dash.differences_title", lang, pct=pct)
    if chart.kind == "bar":
        left = _bars(left_data, chart, lang, colours, title, zero_line=False)
        right = _bars(right_data, chart, lang, variant_colours, difference_title, zero_line=True)
    else:
        left = _lines(left_data, chart, lang, colours, title, zero_line=False, from_zero=True)
        right = _lines(right_data, chart, lang, variant_colours, difference_title, zero_line=True, from_zero=False)
    return _styled(left), _styled(right)


def _styled(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT).configure_legend(labelFontSize=13).configure_axis(labelFontSize=12)
