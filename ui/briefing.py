"""A one-page briefing of a comparison: headline differences, key charts and sources, as HTML or PDF.

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
ul{margin:4px 0;padding-left:18px}@media print{body{margin:8mm}}
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
    """
    today = dt.date.today().isoformat()
    parts = [
        f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>{html.escape(t('app.briefing.generated', lang, date=today, version=__version__))}<br>",
        html.escape(t("app.briefing.settings", lang, **{k: str(v) for k, v in settings.items()})),
        "</p>",
        f"<h2>{html.escape(t('app.briefing.scenarios', lang))}</h2><ul>",
    ]
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
    for item in scenarios:
        for source in item.sources:
            parts.append(f"<li><code>{html.escape(item.id)}</code>: {html.escape(source)}</li>")
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
    figures: Sequence[tuple[Figure, Figure]],
    settings: Mapping[str, object],
    link: str = "",
) -> bytes:
    """The briefing as a PDF: a page of text (scenarios, headline, sources), then the charts."""
    lines = [
        t("app.briefing.generated", lang, date=dt.date.today().isoformat(), version=__version__),
        t("app.briefing.settings", lang, **{k: str(v) for k, v in settings.items()}),
        "",
        t("app.briefing.scenarios", lang),
    ]
    for position, item in enumerate(scenarios):
        role = t("app.briefing.baseline", lang) if position == 0 else t("app.briefing.variant", lang, n=position)
        lines.append(f"  {role}: {item.name} ({item.id})")
    lines.append("")
    lines.append(t("app.briefing.headline", lang))
    for name, table in headlines.items():
        lines.append(f"  {name}")
        for row in table.itertuples(index=False):
            lines.append("    " + " | ".join(str(v) for v in row))
    lines.append("")
    lines.append(t("app.briefing.sources", lang))
    for item in scenarios:
        lines.extend(f"  {item.id}: {source[:110]}" for source in item.sources)
    if link:
        lines.append("")
        lines.append(f"{t('app.briefing.link', lang)}: {link[:120]}")
    pages = [plots.text_page(title, lines)]
    for left, right in figures:
        pages.extend([left, right])
    return plots.figures_pdf(pages, {"Title": title, "Creator": f"hukou-sim {__version__}"})
