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
import matplotlib.lines
import matplotlib.patches
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
        "font.size": 10.5,
        "axes.titlesize": 11,
        "axes.titleweight": "normal",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.frameon": False,
        "legend.fontsize": 10,
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
    # About 0.088 inch per Latin character at the legend's font size; CJK characters are twice as wide.
    widths = [0.088 * sum(2 if ord(c) > 0x2E80 else 1 for c in name) + 0.45 for name in names]
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
    from_zero: bool = False,
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
    from_zero : bool
        Start the y axis at zero when every value is positive (levels; differences keep their range).
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
            if from_zero and float(np.nanmin(part[["mean", "low"]].to_numpy(float), initial=0.0)) >= 0:
                ax.set_ylim(bottom=0)
            if panel is not None:
                ax.set_title(labels(panel), loc="left", fontsize=9.5)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: number(v)))
            ax.yaxis.set_major_locator(MaxNLocator(5))
            if pd.api.types.is_datetime64_any_dtype(table[x]):
                _date_axis(ax, date_format)
        if ylabel:
            fig.supylabel(ylabel, fontsize=10)
        fig.suptitle(title, x=0.01, ha="left", fontsize=12)
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


A4 = (8.27, 11.69)
"""An A4 page in inches (portrait)."""


def text_width(text: str, size: float) -> float:
    """The approximate printed width of ``text`` in inches at ``size`` points (CJK characters are one em)."""
    em = size / 72
    return sum(em * (1.0 if ord(c) > 0x2E80 else 0.56 if c.isupper() else 0.5) for c in text)


def wrap(text: str, size: float, width: float, *, breakable: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width`` inches at ``size`` points.

    Latin text breaks at spaces, CJK text between any two characters; ``breakable`` text (a URL)
    anywhere.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        tokens = list(paragraph) if breakable else _tokens(paragraph)
        line = ""
        for token in tokens:
            if line and text_width(line + token, size) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
            while text_width(line, size) > width and len(line) > 1:
                cut = max(1, int(len(line) * width / text_width(line, size)))
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Words with their following space, and each CJK character on its own."""
    tokens: list[str] = []
    word = ""
    for c in text:
        if ord(c) > 0x2E80:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(c)
        else:
            word += c
            if c == " ":
                tokens.append(word)
                word = ""
    if word:
        tokens.append(word)
    return tokens


class PageWriter:
    """Text, tables and figures laid out top to bottom on A4 pages, a new page when one is full.

    Every text wraps to the page width, so nothing is cut off; :meth:`finish` numbers the pages.
    """

    MARGIN = 0.55
    """Page margin in inches."""

    def __init__(self, title: str) -> None:
        self.title_text = title
        self.pages: list[Figure] = []
        self.y = 0.0
        self._new_page()

    @property
    def width(self) -> float:
        """Usable width in inches."""
        return A4[0] - 2 * self.MARGIN

    def _new_page(self) -> None:
        with matplotlib.rc_context(style()):
            fig = Figure(figsize=A4)
            FigureCanvasAgg(fig)
        self.pages.append(fig)
        self.y = self.MARGIN

    def _room(self, height: float) -> None:
        if self.y + height > A4[1] - self.MARGIN - 0.25 and self.y > self.MARGIN:
            self._new_page()

    def _text(self, x: float, text: str, size: float, **kwargs: Any) -> None:
        fig = self.pages[-1]
        fig.text(x / A4[0], 1 - self.y / A4[1], text, fontsize=size, va="top", family=[register_cjk_font()], **kwargs)

    def title(self, text: str) -> None:
        """The document's title (wrapped, large)."""
        self.paragraph(text, 15, bold=True)
        self.y += 0.04

    def heading(self, text: str) -> None:
        """A section heading with a rule under it."""
        self._room(0.75)
        self.y += 0.12
        self._text(self.MARGIN, text, 11.5, weight="bold", color="#222222")
        self.y += 11.5 / 72 * 1.45
        fig = self.pages[-1]
        line_y = 1 - self.y / A4[1]
        fig.add_artist(
            matplotlib.lines.Line2D(
                [self.MARGIN / A4[0], 1 - self.MARGIN / A4[0]], [line_y, line_y], color="#cccccc", lw=0.6
            )
        )
        self.y += 0.06

    def paragraph(
        self, text: str, size: float, *, bold: bool = False, colour: str = "#222222", breakable: bool = False
    ) -> None:
        """Wrapped text."""
        for line in wrap(text, size, self.width, breakable=breakable):
            self._room(size / 72 * 1.5)
            self._text(self.MARGIN, line, size, weight="bold" if bold else "normal", color=colour)
            self.y += size / 72 * 1.45
        self.y += 0.03

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], size: float = 8.0) -> None:
        """A table with a header row; the first column takes the room the others leave, and wraps."""
        n = len(header)
        others = [max(text_width(str(r[i]), size) for r in [header, *rows]) + 0.15 for i in range(1, n)]
        first = max(1.5, self.width - sum(others))
        widths = [first, *others]
        line = size / 72 * 1.4
        for index, row in enumerate([header, *rows]):
            cells = [wrap(str(value), size, widths[i] - 0.1) for i, value in enumerate(row)]
            height = line * max(len(c) for c in cells) + 0.05
            self._room(height)
            x = self.MARGIN
            if index == 0:
                self.pages[-1].add_artist(
                    matplotlib.patches.Rectangle(
                        (self.MARGIN / A4[0], 1 - (self.y + height) / A4[1]),
                        self.width / A4[0],
                        height / A4[1],
                        color="#f0f0f0",
                        lw=0,
                    )
                )
            for i, lines in enumerate(cells):
                top = self.y
                for text in lines:
                    right = i > 0
                    anchor = x + widths[i] - 0.05 if right else x + 0.03
                    self.pages[-1].text(
                        anchor / A4[0],
                        1 - (top + 0.025) / A4[1],
                        text,
                        fontsize=size,
                        va="top",
                        ha="right" if right else "left",
                        weight="bold" if index == 0 else "normal",
                        family=[register_cjk_font()],
                    )
                    top += line
                x += widths[i]
            self.y += height
        self.y += 0.08

    def figures(self, figures: Sequence[Figure], *, height: float) -> None:
        """Figures side by side across the page, ``height`` inches high (each keeps its aspect)."""
        from matplotlib.image import imread

        self._room(height)
        slot = self.width / len(figures)
        used = 0.0
        for position, fig in enumerate(figures):
            image = imread(io.BytesIO(figure_png(fig, dpi=150)), format="png")
            aspect = image.shape[1] / image.shape[0]
            w = min(slot - 0.1, height * aspect)
            h = w / aspect
            left = self.MARGIN + position * slot
            ax = self.pages[-1].add_axes((left / A4[0], 1 - (self.y + h) / A4[1], w / A4[0], h / A4[1]))
            ax.imshow(image, interpolation="antialiased")
            ax.axis("off")
            used = max(used, h)
        self.y += used + 0.1

    def finish(self, page_label: Callable[[int, int], str]) -> list[Figure]:
        """The pages, each numbered at its foot (``page_label(n, total)``)."""
        total = len(self.pages)
        for n, fig in enumerate(self.pages, start=1):
            fig.text(
                0.5,
                self.MARGIN / 2 / A4[1],
                page_label(n, total),
                ha="center",
                fontsize=7.5,
                color="#777777",
                family=[register_cjk_font()],
            )
        return self.pages
