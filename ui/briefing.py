"""A briefing of a comparison on one or two A4 pages: the result in words, key figures, charts, sources.

The HTML page is self-contained (charts embedded as base64 PNG, no external files) and prints on
A4; the PDF has the same content drawn with matplotlib (:func:`sim.plots.figures_pdf`), with the
CJK font embedded. No streamlit here.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from sim import __version__, plots
from sim.documents import cite
from sim.scenario import Scenario
from ui.i18n import t


@dataclass(frozen=True)
class ScenarioSource:
    """A compared scenario as the briefing cites it."""

    label: str
    name: str
    id: str
    reference: str
    sources: tuple[str, ...]
    edits: Mapping[str, object] = field(default_factory=dict)


def scenario_source(
    label: str, name: str, reference: str, scenario: Scenario, edits: Mapping[str, object]
) -> ScenarioSource:
    """The sources a briefing cites for one scenario: its own and those of its rule sets."""
    found: list[str] = []
    own = scenario.source if isinstance(scenario.source, tuple) else (scenario.source,)
    found.extend(s for s in own if s)
    for city in scenario.cities.values():
        for rules in city.rules:
            extra = rules.source if isinstance(rules.source, tuple) else (rules.source,)
            found.extend(s for s in extra if s)
    unique = tuple(dict.fromkeys(found))
    return ScenarioSource(label, name, scenario.id, reference, unique, dict(edits))


WIDE_FIGURE_INCHES = 9.0
"""A figure wider than this (one panel per channel) takes the PDF page's whole width."""


def cited_sources(scenarios: Sequence[ScenarioSource], lang: str) -> dict[str, list[str]]:
    """Each source once, as cited in ``lang``, with the ids of the scenarios that cite it.

    A variant that extends the baseline shares its sources: they are listed once.
    """
    found: dict[str, list[str]] = {}
    for item in scenarios:
        for source in item.sources:
            ids = found.setdefault(cite(source, lang), [])
            if item.id not in ids:
                ids.append(item.id)
    return found


def _png64(fig: Figure) -> str:
    return base64.b64encode(plots.figure_png(fig, dpi=100)).decode("ascii")


def _table_html(table: pd.DataFrame) -> str:
    if table.empty:
        return ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:24px auto;
max-width:960px;color:#222;font-size:13px;line-height:1.45}
h1{font-size:21px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 6px;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:12px}table{border-collapse:collapse;width:100%;font-size:12px;margin:4px 0 8px}
th,td{border-bottom:1px solid #e3e3e3;padding:3px 6px;text-align:right}th:first-child,td:first-child{text-align:left}
th{background:#f4f4f4}img{width:100%;max-width:900px;display:block;margin:6px 0}
.figs{display:grid;grid-template-columns:1fr 1fr;gap:6px}code{font-size:11px;word-break:break-all}
ul{margin:4px 0;padding-left:18px}.lead{font-size:15px;line-height:1.5}@media print{body{margin:8mm}}
"""


def html_briefing(
    *,
    lang: str,
    title: str,
    scenarios: Sequence[ScenarioSource],
    headlines: Mapping[str, pd.DataFrame],
    figures: Sequence[tuple[Figure, Figure]],
    settings: Mapping[str, object],
    link: str = "",
    manifest: Mapping[str, object] | None = None,
    sentences: Mapping[str, str] | None = None,
) -> str:
    """The briefing as a self-contained HTML page.

    Parameters
    ----------
    lang : str
    title : str
        The page title.
    scenarios : sequence of ScenarioSource
        The baseline first.
    headlines : mapping
        Variant display name → its formatted headline table (:func:`ui.views.headline_table`).
    figures : sequence of (Figure, Figure)
        Pairs (levels, differences) of the charts to include.
    settings : mapping
        Agents, seeds, months, band level, as shown.
    link : str
        The URL that reopens the comparison.
    manifest : mapping, optional
        The runs' manifest (versions, scenario hashes).
    sentences : mapping, optional
        Variant display name → the comparison's result in a sentence (:func:`ui.views.headline_sentence`).
    """
    today = dt.date.today().isoformat()
    parts = [
        f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>{html.escape(t('app.briefing.generated', lang, date=today, version=__version__))}<br>",
        html.escape(t("app.briefing.settings", lang, **{k: str(v) for k, v in settings.items()})),
        "</p>",
    ]
    if sentences:
        parts.append(f"<h2>{html.escape(t('app.dash.briefing.summary', lang))}</h2>")
        parts.extend(f"<p class='lead'>{html.escape(text)}</p>" for text in sentences.values())
    parts.append(f"<h2>{html.escape(t('app.briefing.scenarios', lang))}</h2><ul>")
    for position, item in enumerate(scenarios):
        role = t("app.briefing.baseline", lang) if position == 0 else t("app.briefing.variant", lang, n=position)
        parts.append(f"<li><b>{html.escape(role)}</b>: {html.escape(item.name)} (<code>{html.escape(item.id)}</code>)")
        if item.edits:
            edits = "; ".join(f"{k} = {v}" for k, v in item.edits.items())
            parts.append(f"<br>{html.escape(t('app.briefing.edits', lang))}: <code>{html.escape(edits)}</code>")
        parts.append("</li>")
    parts.append("</ul>")
    parts.append(f"<h2>{html.escape(t('app.briefing.headline', lang))}</h2>")
    for name, table in headlines.items():
        parts.append(f"<p><b>{html.escape(name)}</b></p>{_table_html(table)}")
    parts.append(f"<p class='meta'>{html.escape(t('app.briefing.band_note', lang))}</p>")
    if figures:
        parts.append(f"<h2>{html.escape(t('app.briefing.charts', lang))}</h2>")
        for left, right in figures:
            parts.append(f"<div class='figs'><img alt='' src='data:image/png;base64,{_png64(left)}'>")
            parts.append(f"<img alt='' src='data:image/png;base64,{_png64(right)}'></div>")
    parts.append(f"<h2>{html.escape(t('app.briefing.sources', lang))}</h2><ul>")
    for source, ids in cited_sources(scenarios, lang).items():
        parts.append(f"<li>{html.escape(source)} (<code>{html.escape(', '.join(ids))}</code>)</li>")
    parts.append("</ul>")
    parts.append(f"<p class='meta'>{html.escape(t('app.briefing.model_note', lang))}")
    if manifest:
        versions = manifest.get("versions", {})
        if isinstance(versions, Mapping):
            text = ", ".join(f"{k} {v}" for k, v in versions.items())
            parts.append(f"<br>{html.escape(t('app.briefing.versions', lang))}: {html.escape(text)}")
        hashes = manifest.get("scenarios", {})
        if isinstance(hashes, Mapping):
            short = ", ".join(f"{v.get('id')} {k[:12]}" for k, v in hashes.items() if isinstance(v, Mapping))
            parts.append(f"<br>{html.escape(t('app.briefing.hashes', lang))}: <code>{html.escape(short)}</code>")
    if link:
        parts.append(f"<br>{html.escape(t('app.briefing.link', lang))}: <a href='{html.escape(link)}'>")
        parts.append(f"{html.escape(link)}</a>")
    parts.append("</p></body></html>")
    return "".join(parts)


def pdf_briefing(
    *,
    lang: str,
    title: str,
    scenarios: Sequence[ScenarioSource],
    headlines: Mapping[str, pd.DataFrame],
    sentences: Mapping[str, str],
    figures: Sequence[tuple[Figure, Figure]],
    settings: Mapping[str, object],
    link: str = "",
) -> bytes:
    """The briefing as a PDF of two A4 pages that prints whole.

    The first page: the title, the result of each variant in a sentence, its key figures with their
    bands (a table with a header), the scenarios compared and the first chart; the second: the
    other charts, the sources and the link that reopens the comparison. Text wraps to the page;
    nothing is cut off.
    """
    writer = plots.PageWriter(title)
    writer.title(title)
    writer.paragraph(t("app.briefing.generated", lang, date=dt.date.today().isoformat(), version=__version__), 8)
    writer.paragraph(t("app.briefing.settings", lang, **{k: str(v) for k, v in settings.items()}), 8)
    writer.heading(t("app.dash.briefing.summary", lang))
    for sentence in sentences.values():
        writer.paragraph(sentence, 10.5)
    writer.heading(t("app.dash.briefing.key_figures", lang))
    for name, table in headlines.items():
        writer.paragraph(name, 9, bold=True)
        if not table.empty:
            writer.table(list(table.columns), [[str(v) for v in row] for row in table.itertuples(index=False)])
    writer.paragraph(t("app.briefing.band_note", lang), 7.5, colour="#555555")
    writer.heading(t("app.briefing.scenarios", lang))
    for position, item in enumerate(scenarios):
        role = t("app.briefing.baseline", lang) if position == 0 else t("app.briefing.variant", lang, n=position)
        writer.paragraph(f"{role}: {item.name} ({item.id})", 8.5)
        if item.edits:
            edits = "; ".join(f"{k} = {v}" for k, v in item.edits.items())
            writer.paragraph(f"{t('app.briefing.edits', lang)}: {edits}", 7, colour="#555555")
    if figures:
        writer.heading(t("app.briefing.charts", lang))
        for left, right in figures:
            if max(left.get_figwidth(), right.get_figwidth()) > WIDE_FIGURE_INCHES:
                writer.figures([left], height=2.2)
                writer.figures([right], height=2.2)
            else:
                writer.figures([left, right], height=2.35)
    writer.heading(t("app.briefing.sources", lang))
    for source, ids in cited_sources(scenarios, lang).items():
        writer.paragraph(f"{source} ({', '.join(ids)})", 7.2)
    writer.paragraph(t("app.briefing.model_note", lang), 7.2, colour="#555555")
    if link:
        writer.heading(t("app.briefing.link", lang))
        writer.paragraph(link, 7, colour="#1a4d8f", breakable=True)
    pages = writer.finish(lambda n, total: t("app.dash.briefing.page", lang, n=n, total=total))
    return plots.figures_pdf(pages, {"Title": title, "Creator": f"hukou-sim {__version__}"})
