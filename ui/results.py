"""The compare page's results: the request built from the settings, the run with progress, the charts.

:func:`request_for` turns the settings (references and edits) into a hashable
:class:`~ui.runs.Request`; :func:`show` runs it through the cache with a progress bar, draws the first
chart from the first seed while the others run, then every chart side by side with its differences,
the headline table and the downloads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from sim.errors import SimError
from sim.experiment import Comparison
from sim.plots import figure_png
from ui import briefing, library, rules, state, views
from ui.i18n import t
from ui.runs import Request, run_comparison
from ui.state import Settings
from ui.widgets import download, share_link


@dataclass(frozen=True)
class Prepared:
    """A comparison ready to run: the request, display names and each scenario's citation."""

    request: Request
    names: dict[str, str]
    sources: tuple[briefing.ScenarioSource, ...]


def labels_for(settings: Settings) -> list[str]:
    """Unique, language-neutral labels of the compared scenarios (baseline first)."""
    labels: list[str] = []
    refs = [settings.baseline, *settings.variants]
    edits = [{}, *settings.edits]
    for ref, edit in zip(refs, edits, strict=True):
        base = library.load(ref).id + ("+edits" if edit else "")
        label, n = base, 2
        while label in labels:
            label, n = f"{base}#{n}", n + 1
        labels.append(label)
    return labels


def request_for(settings: Settings) -> Prepared:
    """The request and display names of the settings' comparison.

    Raises
    ------
    SimError, ValueError
        If a scenario or an edit does not load.
    """
    lang = settings.lang
    labels = labels_for(settings)
    refs = [settings.baseline, *settings.variants]
    edits = [{}, *settings.edits]
    triples = []
    names: dict[str, str] = {}
    sources = []
    for ref, edit, label in zip(refs, edits, labels, strict=True):
        scenario = library.load(ref)
        overrides = rules.overrides_for(scenario, edit) if edit else {}
        edited = library.load(ref, overrides) if overrides else scenario
        triples.append((str(library.path_of(ref)), overrides, label))
        name = library.title(ref, lang) + (t("app.compare.edited", lang) if edit else "")
        if label.rsplit("#", 1)[-1].isdigit() and "#" in label:
            name += f" ({label.rsplit('#', 1)[-1]})"
        names[label] = name
        for city_id, city in edited.cities.items():
            names.setdefault(city_id, city.name.zh if lang == "zh" else city.name.en)
        sources.append(briefing.scenario_source(label, name, ref, edited, edit))
    request = Request.build(triples, seeds=settings.seeds, agents=settings.agents, months=settings.months)
    return Prepared(request, names, tuple(sources))


@st.cache_data(show_spinner=False, max_entries=512)
def chart_files(
    request_key: str, chart: str, city: str, lang: str, names_json: str, _comparison: Comparison
) -> tuple[bytes, bytes, bytes]:
    """PNG of the levels and of the differences, and the CSV of the chart's data (cached per language)."""
    left, right, table = views.chart(chart, _comparison, city, lang, json.loads(names_json))
    return figure_png(left), figure_png(right), table.to_csv(index=False).encode("utf-8-sig")


def _draw_pair(left: bytes, right: bytes, *, wide: bool = False) -> None:
    if wide:
        st.image(left, width="stretch")
        st.image(right, width="stretch")
        return
    a, b = st.columns(2)
    a.image(left, width="stretch")
    b.image(right, width="stretch")


def _preview(comparison: Comparison, prepared: Prepared, settings: Settings, box) -> None:
    lang = settings.lang
    city = views.cities(comparison)[0]
    left, right, _ = views.chart("settlements", comparison, city, lang, prepared.names)
    with box.container():
        st.info(t("app.compare.preview", lang, seeds=settings.seeds))
        _draw_pair(figure_png(left), figure_png(right), wide=True)


def show(settings: Settings) -> None:
    """Run (or fetch) the comparison of ``settings`` and draw its results."""
    lang = settings.lang
    try:
        prepared = request_for(settings)
    except (SimError, ValueError, KeyError) as err:
        st.error(t("app.compare.cannot_run", lang))
        st.code(str(err), language=None)
        return
    request = prepared.request
    bar = st.empty()
    preview = st.empty()

    def progress(done: int, total: int) -> None:
        if done >= total:
            bar.empty()
        else:
            bar.progress(done / total, text=t("app.compare.progress", lang, done=done + 1, total=total))

    try:
        comparison = run_comparison(
            request, on_progress=progress, on_first_seed=lambda c: _preview(c, prepared, settings, preview)
        )
    except RuntimeError as err:
        bar.empty()
        st.error(t("app.compare.run_failed", lang))
        st.code(str(err), language=None)
        return
    preview.empty()
    draw(comparison, prepared, settings)


def draw(comparison: Comparison, prepared: Prepared, settings: Settings) -> None:
    """Headline, charts (levels and differences side by side), downloads and briefing."""
    lang = settings.lang
    names = prepared.names
    names_json = json.dumps(names, sort_keys=True, ensure_ascii=False)
    cities = views.cities(comparison)
    city = settings.city if settings.city in cities else cities[0]
    if len(cities) > 1:
        city = st.selectbox(
            t("app.compare.city", lang),
            cities,
            index=cities.index(city),
            format_func=lambda c: t("app.compare.all_cities", lang) if c == "all" else names.get(c, c),
            key="w_city",
        )
        if city != settings.city:
            state.update(settings := _with_city(settings, city))
    st.subheader(t("app.compare.headline", lang))
    st.caption(t("app.compare.headline_note", lang, seeds=settings.seeds, pct=round(comparison.level * 100)))
    variants = [
        label for label in names if label in set(comparison.levels["scenario"]) and label != comparison.baseline
    ]
    headlines: dict[str, pd.DataFrame] = {}
    for variant in variants:
        table = views.headline_table(comparison, variant, lang, names)
        headlines[names[variant]] = table
        st.markdown(
            f"**{t('app.compare.variant_vs', lang, variant=names[variant], baseline=names[comparison.baseline])}**"
        )
        first = table.columns[0] if len(table.columns) else None
        config = {first: st.column_config.TextColumn(width="large")} if first else None
        st.dataframe(table, hide_index=True, width="stretch", height=36 * (len(table) + 1) + 4, column_config=config)
        download(
            t("app.download.csv", lang),
            table.to_csv(index=False).encode("utf-8-sig"),
            f"headline-{variant}-{lang}.csv",
            "text/csv",
            key=f"w_dl_headline_{variant}",
        )
    for chart in views.CHARTS:
        st.subheader(t(f"app.charts.{chart.key}.title", lang))
        st.caption(t(f"app.charts.{chart.key}.note", lang))
        left, right, csv = chart_files(prepared.request.key, chart.key, city, lang, names_json, comparison)
        _draw_pair(left, right, wide=chart.wide)
        a, b, c = st.columns(3)
        with a:
            download(
                t("app.download.png_levels", lang),
                left,
                f"{chart.key}-{lang}.png",
                "image/png",
                key=f"w_dl_{chart.key}_left",
            )
        with b:
            download(
                t("app.download.png_differences", lang),
                right,
                f"{chart.key}-difference-{lang}.png",
                "image/png",
                key=f"w_dl_{chart.key}_right",
            )
        with c:
            download(
                t("app.download.csv", lang), csv, f"{chart.key}-{lang}.csv", "text/csv", key=f"w_dl_{chart.key}_csv"
            )
    st.subheader(t("app.compare.downloads", lang))
    _downloads(comparison, prepared, settings, headlines, city)


def _with_city(settings: Settings, city: str) -> Settings:
    from dataclasses import replace

    return replace(settings, city=city)


BRIEFING_CHARTS = ("settlements", "age", "blocked")


def _downloads(
    comparison: Comparison, prepared: Prepared, settings: Settings, headlines: Mapping[str, pd.DataFrame], city: str
) -> None:
    lang = settings.lang
    title = t("app.briefing.title", lang, baseline=prepared.names[comparison.baseline])
    link = share_link(settings)
    shown = {
        "agents": f"{settings.agents:,}",
        "seeds": settings.seeds,
        "months": settings.months,
        "pct": round(comparison.level * 100),
    }

    def figures():
        return [views.chart(key, comparison, city, lang, prepared.names)[:2] for key in BRIEFING_CHARTS]

    def html_page() -> str:
        return briefing.html_briefing(
            lang=lang,
            title=title,
            scenarios=prepared.sources,
            headlines=headlines,
            figures=figures(),
            settings=shown,
            link=link,
            manifest=comparison.manifest,
        )

    def pdf_file() -> bytes:
        return briefing.pdf_briefing(
            lang=lang,
            title=title,
            scenarios=prepared.sources,
            headlines=headlines,
            figures=figures(),
            settings=shown,
            link=link,
        )

    a, b, c, d = st.columns(4)
    with a:
        download(
            t("app.download.briefing_html", lang),
            html_page,
            f"briefing-{lang}.html",
            "text/html",
            key="w_dl_briefing_html",
        )
    with b:
        download(
            t("app.download.briefing_pdf", lang),
            pdf_file,
            f"briefing-{lang}.pdf",
            "application/pdf",
            key="w_dl_briefing_pdf",
        )
    with c:
        download(
            t("app.download.levels", lang),
            lambda: comparison.levels.to_csv(index=False).encode("utf-8-sig"),
            "levels.csv",
            "text/csv",
            key="w_dl_levels",
        )
    with d:
        download(
            t("app.download.differences", lang),
            lambda: comparison.differences.to_csv(index=False).encode("utf-8-sig"),
            "differences.csv",
            "text/csv",
            key="w_dl_differences",
        )
