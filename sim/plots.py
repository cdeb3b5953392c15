"""Figures for comparisons and explanations: matplotlib only, Chinese-capable, one Figure per call.

Every function takes a tidy table and returns a :class:`matplotlib.figure.Figure` built without
pyplot (no global figure registry, safe in a server). Text that a reader sees — titles, axis
labels, legend entries, category names — comes through a ``labels`` callable (a raw key such as
``"talent"`` or a scenario id in, the translated label out), and tick numbers through a
``number`` callable, so that the dashboard can switch every word and number format between
Chinese and English. The module never imports streamlit or ``ui``.

Chinese renders with Noto Sans CJK, registered from the ``noto-cjk-sans-otc`` package that installs
with the project; no system font is needed. A glyph missing from the font makes matplotlib warn
("Glyph … missing from font(s)"), which the test suite turns into an error.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

CJK_FAMILY = "Noto Sans CJK SC"
"""The font family of every figure: Simplified Chinese forms, with Latin letters and digits."""

PALETTE = ("#4d4d4d", "#d1495b", "#00798c", "#edae49", "#66a182", "#8d6a9f", "#2e4057")
"""Series colours: the baseline dark grey, then the variants."""

BAND_ALPHA = 0.18
Labeller = Callable[[str], str]
NumberFormat = Callable[[float], str]


def register_cjk_font() -> str:
    """Register Noto Sans CJK from the ``noto-cjk-sans-otc`` package once; return its family name.

    Raises
    ------
    ImportError
        If the package is missing (it is a dependency of the project: reinstall it).
    """
    import noto_cjk_sans_otc

    path = str(noto_cjk_sans_otc.FONT_PATH)
    manager = font_manager.fontManager
    if not any(entry.fname == path for entry in manager.ttflist):
        manager.addfont(path)
        # The packaged font goes first, so that a system copy of Noto CJK (another version) never
        # takes its place: figures look the same on every machine.
        ours = [entry for entry in manager.ttflist if entry.fname == path]
        manager.ttflist = ours + [entry for entry in manager.ttflist if entry.fname != path]
        manager._findfont_cached.cache_clear()
    return CJK_FAMILY


def cjk_font_path() -> str:
    """The file that figures' text is drawn with (the packaged Noto Sans CJK)."""
    register_cjk_font()
    return font_manager.findfont(font_manager.FontProperties(family=CJK_FAMILY), fallback_to_default=False)


def style() -> dict[str, Any]:
    """The rc settings of every figure (used as a context, never set globally)."""
    return {
        "font.family": [register_cjk_font()],
        "font.size": 9.5,
        "axes.titlesize": 10.5,
        "axes.titleweight": "normal",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.frameon": False,
        "legend.fontsize": 8.5,
        "axes.unicode_minus": True,
        "pdf.fonttype": 42,
    }


def _identity(key: str) -> str:
    return str(key)


def plain_number(value: float) -> str:
    """A tick number with thousands separators (the default ``number`` format)."""
    if value == 0:
        return "0"
    if abs(value) < 10 and not float(value).is_integer():
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _colours(series: Sequence[str], colours: Mapping[str, str] | None) -> dict[str, str]:
    if colours:
        return {s: colours.get(s, PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)}
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(series)}


def _ordered(values: Iterable[Any]) -> list[Any]:
    seen: dict[Any, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


def _new_figure(panels: int, ncols: int, panel_size: tuple[float, float]) -> tuple[Figure, list[Any]]:
    cols = max(1, min(ncols, panels))
    rows = int(np.ceil(panels / cols))
    fig = Figure(figsize=(panel_size[0] * cols, panel_size[1] * rows + 0.7), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for extra in axes[panels:]:
        extra.set_visible(False)
    return fig, axes[:panels]


def _empty_figure(title: str, message: str) -> Figure:
    fig = Figure(figsize=(6.4, 2.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.axis("off")
    ax.set_title(title, loc="left")
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#666666")
    return fig


def _legend(fig: Figure, axes: list[Any]) -> None:
    handles, names = [], []
    for ax in axes:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            if name not in names:
                handles.append(handle)
                names.append(name)
    if handles:
        fig.legend(handles, names, loc="outside lower center", ncols=_legend_columns(fig, names))


def _legend_columns(fig: Figure, names: list[str]) -> int:
    """As many legend columns as fit the figure's width (long scenario titles go one per line)."""
    # About 0.075 inch per Latin character at the legend's font size; CJK characters are twice as wide.
    widths = [0.075 * sum(2 if ord(c) > 0x2E80 else 1 for c in name) + 0.45 for name in names]
    available = fig.get_figwidth() * 0.95
    for columns in range(min(len(names), 4), 1, -1):
        rows = [widths[i::columns] for i in range(columns)]
        if sum(max(r) for r in rows if r) <= available:
            return columns
    return 1


def line_bands(
    table: pd.DataFrame,
    *,
    x: str,
    series: str,
    title: str,
    facet: str | None = None,
    ylabel: str = "",
    labels: Labeller = _identity,
    number: NumberFormat = plain_number,
    colours: Mapping[str, str] | None = None,
    zero_line: bool = False,
    markers: bool = False,
    ncols: int = 3,
    date_format: str = "%Y",
    empty_message: str = "–",
    panel_size: tuple[float, float] | None = None,
) -> Figure:
    """Lines of a mean with its band across seeds, one line per series, one panel per facet.

    Parameters
    ----------
    table : DataFrame
        Columns ``x``, ``series``, ``facet`` (if given), ``mean``, ``low``, ``high``. ``x`` may be
        datetimes (months) or numbers.
    x, series, facet : str
        Column names.
    title, ylabel : str
        Translated text.
    labels : callable
        Raw key (series or facet value) → translated label.
    number : callable
        Formats the y tick values.
    colours : mapping, optional
        Series value → colour.
    zero_line : bool
        Draw y = 0 (for differences).
    markers : bool
        Mark each point (for sparse series such as points rounds).
    date_format : str
        ``strftime`` format of date ticks (``"%Y"`` or ``"%Y年"``).
    empty_message : str
        Shown when the table is empty.
    panel_size : (float, float), optional
        Size of one panel in inches.

    Returns
    -------
    Figure
    """
    with matplotlib.rc_context(style()):
        if table.empty:
            return _empty_figure(title, empty_message)
        facets = _ordered(table[facet]) if facet else [None]
        names = _ordered(table[series])
        colour = _colours(names, colours)
        fig, axes = _new_figure(len(facets), ncols, panel_size or ((3.6, 2.5) if facet else (7.0, 3.4)))
        for ax, panel in zip(axes, facets, strict=True):
            part = table if panel is None else table[table[facet] == panel]
            for name in names:
                rows = part[part[series] == name].sort_values(x)
                if rows.empty:
                    continue
                xs = rows[x].to_numpy()
                ax.plot(
                    xs,
                    rows["mean"].to_numpy(float),
                    color=colour[name],
                    lw=1.6,
                    label=labels(name),
                    marker="o" if markers else None,
                    ms=3.5,
                )
                ax.fill_between(
                    xs,
                    rows["low"].to_numpy(float),
                    rows["high"].to_numpy(float),
                    color=colour[name],
                    alpha=BAND_ALPHA,
                    lw=0,
                )
            if zero_line:
                ax.axhline(0, color="#999999", lw=0.8)
            if panel is not None:
                ax.set_title(labels(panel), loc="left", fontsize=9.5)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: number(v)))
            ax.yaxis.set_major_locator(MaxNLocator(5))
            if pd.api.types.is_datetime64_any_dtype(table[x]):
                _date_axis(ax, date_format)
        if ylabel:
            fig.supylabel(ylabel, fontsize=9)
        fig.suptitle(title, x=0.01, ha="left", fontsize=11.5)
        _legend(fig, axes)
        return fig


def _date_axis(ax: Any, date_format: str) -> None:
    import matplotlib.dates as mdates

    locator = mdates.YearLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(date_format))


def bar_bands(
    table: pd.DataFrame,
    *,
    category: str,
    series: str,
    title: str,
    ylabel: str = "",
    labels: Labeller = _identity,
    number: NumberFormat = plain_number,
    colours: Mapping[str, str] | None = None,
    zero_line: bool = False,
    empty_message: str = "–",
    width_inches: float | None = None,
) -> Figure:
    """Grouped bars of a mean with its band across seeds as an error bar.

    Parameters
    ----------
    table : DataFrame
        Columns ``category``, ``series``, ``mean``, ``low``, ``high``; categories in the order given.
    category, series : str
        Column names.
    title, ylabel, labels, number, colours, zero_line, empty_message
        As for :func:`line_bands`; the empty message is shown too when every value is zero.
    width_inches : float, optional
        Figure width (by default from the number of categories), to draw levels and differences alike.

    Returns
    -------
    Figure
    """
    with matplotlib.rc_context(style()):
        if table.empty or not table[["mean", "low", "high"]].fillna(0).abs().to_numpy().any():
            return _empty_figure(title, empty_message)
        categories = _ordered(table[category])
        names = _ordered(table[series])
        colour = _colours(names, colours)
        width = 0.8 / len(names)
        fig = Figure(figsize=(width_inches or max(6.4, 0.95 * len(categories) + 2), 3.6), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        positions = np.arange(len(categories))
        for i, name in enumerate(names):
            rows = table[table[series] == name].set_index(category).reindex(categories)
            mean = rows["mean"].to_numpy(float)
            err = np.vstack([mean - rows["low"].to_numpy(float), rows["high"].to_numpy(float) - mean])
            err = np.nan_to_num(np.clip(err, 0, None))
            ax.bar(
                positions + (i - (len(names) - 1) / 2) * width,
                np.nan_to_num(mean),
                width * 0.92,
                yerr=err,
                color=colour[name],
                label=labels(name),
                error_kw={"lw": 0.9, "capsize": 2},
            )
        if zero_line:
            ax.axhline(0, color="#999999", lw=0.8)
        ax.set_xticks(
            positions,
            [labels(c) for c in categories],
            rotation=20 if len(categories) > 4 else 0,
            ha="right" if len(categories) > 4 else "center",
        )
        ax.grid(axis="x", visible=False)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: number(v)))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        if ylabel:
            ax.set_ylabel(ylabel)
        fig.suptitle(title, x=0.01, ha="left", fontsize=11.5)
        _legend(fig, [ax])
        return fig


def timeline(
    table: pd.DataFrame,
    *,
    x: str,
    row: str,
    state: str,
    title: str,
    states: Mapping[str, str],
    labels: Labeller = _identity,
    date_format: str = "%Y",
    empty_message: str = "–",
) -> Figure:
    """A state timeline: one horizontal band per row, coloured by the state of each month.

    Parameters
    ----------
    table : DataFrame
        Columns ``x`` (datetimes, one per month), ``row`` and ``state``; rows in the order given.
    states : mapping
        State value → colour; the legend shows ``labels(state)``.
    title, labels, date_format, empty_message
        As for :func:`line_bands`.

    Returns
    -------
    Figure
    """
    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    with matplotlib.rc_context(style()):
        if table.empty:
            return _empty_figure(title, empty_message)
        rows = _ordered(table[row])
        fig = Figure(figsize=(7.5, 0.9 + 0.38 * len(rows) + 0.6), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        for i, name in enumerate(rows):
            part = table[table[row] == name]
            for value, colour in states.items():
                months = pd.to_datetime(part.loc[part[state] == value, x])
                if months.empty:
                    continue
                starts = mdates.date2num(months.to_numpy())
                ends = mdates.date2num((months + pd.offsets.MonthBegin(1)).to_numpy())
                spans = list(zip(starts, ends - starts, strict=True))
                ax.broken_barh(spans, (i - 0.35, 0.7), color=colour, lw=0)
        ax.set_yticks(range(len(rows)), [labels(r) for r in rows])
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.xaxis_date()
        _date_axis(ax, date_format)
        present = [s for s in states if (table[state] == s).any()]
        handles = [Patch(color=states[s], label=labels(s)) for s in present]
        fig.legend(
            handles=handles, loc="outside lower center", ncols=_legend_columns(fig, [labels(s) for s in present])
        )
        fig.suptitle(title, x=0.01, ha="left", fontsize=11.5)
        return fig


def stacked_areas(
    table: pd.DataFrame,
    *,
    x: str,
    stack: str,
    facet: str,
    value: str,
    title: str,
    ylabel: str = "",
    labels: Labeller = _identity,
    number: NumberFormat = plain_number,
    ncols: int = 2,
    date_format: str = "%Y",
    empty_message: str = "–",
) -> Figure:
    """Stacked areas of ``value`` by ``stack`` over ``x``, one panel per ``facet`` (a points ledger).

    Negative values (deductions) are drawn below zero, stacked separately.

    Returns
    -------
    Figure
    """
    with matplotlib.rc_context(style()):
        if table.empty:
            return _empty_figure(title, empty_message)
        facets = _ordered(table[facet])
        parts = _ordered(table[stack])
        colour = {p: PALETTE[(i + 1) % len(PALETTE)] for i, p in enumerate(parts)}
        fig, axes = _new_figure(len(facets), ncols, (4.4, 2.9))
        top = 0.0
        for ax, panel in zip(axes, facets, strict=True):
            wide = table[table[facet] == panel].pivot_table(index=x, columns=stack, values=value, aggfunc="sum")
            wide = wide.reindex(columns=[p for p in parts if p in wide.columns]).fillna(0.0).sort_index()
            xs = wide.index.to_numpy()
            positive, negative = wide.clip(lower=0), wide.clip(upper=0)
            ax.stackplot(
                xs,
                *[positive[c].to_numpy() for c in wide.columns],
                colors=[colour[c] for c in wide.columns],
                labels=[labels(c) for c in wide.columns],
                alpha=0.85,
            )
            if (negative < 0).any().any():
                ax.stackplot(
                    xs,
                    *[negative[c].to_numpy() for c in wide.columns],
                    colors=[colour[c] for c in wide.columns],
                    alpha=0.85,
                )
            top = max(top, float(positive.sum(axis=1).max()))
            ax.set_title(labels(panel), loc="left", fontsize=9.5)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: number(v)))
            if pd.api.types.is_datetime64_any_dtype(table[x]):
                _date_axis(ax, date_format)
        for ax in axes:
            ax.set_ylim(top=top * 1.08 if top > 0 else 1)
        if ylabel:
            fig.supylabel(ylabel, fontsize=9)
        fig.suptitle(title, x=0.01, ha="left", fontsize=11.5)
        _legend(fig, axes)
        return fig


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def figures_pdf(figures: Sequence[Figure], metadata: Mapping[str, str] | None = None) -> bytes:
    """Several figures as the pages of one PDF (fonts embedded as TrueType subsets)."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(style()), PdfPages(buffer, metadata=dict(metadata or {})) as pdf:
        for fig in figures:
            pdf.savefig(fig)
    return buffer.getvalue()


def text_page(title: str, lines: Sequence[str], *, size: tuple[float, float] = (8.27, 11.69)) -> Figure:
    """A page of text (a title and lines), for the first page of a PDF briefing."""
    with matplotlib.rc_context(style()):
        fig = Figure(figsize=size)
        FigureCanvasAgg(fig)
        fig.text(0.07, 0.95, title, fontsize=15, va="top")
        y = 0.90
        for line in lines:
            fig.text(0.07, y, line, fontsize=8.5, va="top", family=[CJK_FAMILY])
            y -= 0.022
            if y < 0.04:
                break
        return fig
