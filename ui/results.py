"""The compare page's results: the request built from the settings, the run with progress, the charts.

:func:`request_for` turns the settings (references and edits) into a hashable
:class:`~ui.runs.Request`; :func:`show` runs it through the cache with progress beside the Run button,
draws the first chart from the first seed while the others run, then the result in a sentence and the
key figures, every chart (interactive, :mod:`ui.interactive`) with its differences, and the downloads.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from sim.errors import SimError
from sim.experiment import Comparison
from sim.plots import figure_png
from ui import briefing, interactive, library, rules, state, views
from ui.i18n import number as fmt_number
from ui.i18n import t, t_or
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
def chart_data(request_key: str, chart: str, city: str, _comparison: Comparison) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy levels and differences of a chart (cached per request, chart and city)."""
    return views.chart_tables(chart, _comparison, city)


def _interactive(
    chart: views.Chart, levels: pd.DataFrame, differences: pd.DataFrame, lang: str, names, level: float
) -> None:
    pair = interactive.pair(chart, levels, differences, lang, names, level)
    if pair is None:
        st.info(views.empty_reason(chart.key, levels, lang))
        return
    left, right = pair
    if chart.wide:
        st.altair_chart(left, width="stretch")
        st.altair_chart(right, width="stretch")
        return
    a, b = st.columns(2)
    with a:
        st.altair_chart(left, width="stretch")
    with b:
        st.altair_chart(right, width="stretch")


def _preview(comparison: Comparison, prepared: Prepared, settings: Settings, box) -> None:
    lang = settings.lang
    city = views.cities(comparison)[0]
    chart = views.find_chart("settlements")
    levels, differences = views.chart_tables("settlements", comparison, city)
    with box.container():
        st.info(t("app.compare.preview", lang, seeds=settings.seeds))
        _interactive(chart, levels, differences, lang, prepared.names, comparison.level)


def common_city_problems(settings: Settings) -> list[str]:
    """For each variant that shares no city with the baseline, why the comparison cannot run (in words)."""
    lang = settings.lang
    base_cities = library.cities_of(settings.baseline)
    problems = []
    for ref in settings.variants:
        cities = library.cities_of(ref)
        if cities and base_cities and not set(cities) & set(base_cities):
            problems.append(
                t(
                    "app.dash.no_common_city",
                    lang,
                    variant=library.title(ref, lang),
                    baseline=library.title(settings.baseline, lang),
                    variant_cities=", ".join(_city_names(ref, lang)),
                    baseline_cities=", ".join(_city_names(settings.baseline, lang)),
                )
            )
    return problems


def _city_names(ref: str, lang: str) -> list[str]:
    scenario = library.load(ref)
    return [city.name.zh if lang == "zh" else city.name.en for city in scenario.cities.values()]


def show(settings: Settings, status) -> None:
    """Run (or fetch) the comparison of ``settings`` and draw its results; progress goes to ``status``."""
    lang = settings.lang
    try:
        prepared = request_for(settings)
    except (SimError, ValueError, KeyError) as err:
        status.error(t("app.compare.cannot_run", lang))
        st.code(str(err), language=None)
        return
    request = prepared.request
    preview = st.empty()

    def progress(done: int, total: int) -> None:
        if done < total:
            status.progress(done / total, text=t("app.compare.progress", lang, done=done + 1, total=total))

    try:
        comparison = run_comparison(
            request, on_progress=progress, on_first_seed=lambda c: _preview(c, prepared, settings, preview)
        )
    except RuntimeError as err:
        status.error(t("app.compare.run_failed", lang))
        st.code(str(err), language=None)
        return
    status.success(t("app.dash.done", lang), icon=":material/check:")
    preview.empty()
    draw(comparison, prepared, settings)


def _key_figures(comparison: Comparison, variant: str, lang: str, names: Mapping[str, str]) -> None:
    numbers = comparison.headline(variant)
    shown = [
        row
        for pair in views.KEY_FIGURES
        for row in numbers.itertuples()
        if (row.indicator, row.breakdown) == pair and row.city == numbers["city"].iloc[0]
    ]
    if not shown:
        return
    pct = round(comparison.level * 100)
    for column, row in zip(st.columns(len(shown)), shown, strict=True):
        band = views.band_text(row.low, row.high, row.unit, lang)
        column.metric(
            t_or(f"app.indicators.{row.indicator}", lang, row.indicator),
            views.format_value(row.variant, row.unit, lang),
            delta=views.format_value(row.difference, row.unit, lang, signed=True),
            delta_color="off" if row.indicator in ("wait_months", "blocked_only_by_gap_at_end") else "normal",
            help=t("app.headline.band", lang, pct=pct) + ": " + band,
        )


def draw(comparison: Comparison, prepared: Prepared, settings: Settings) -> None:
    """Headline in words and key figures, the interactive charts (levels and differences), downloads."""
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
            key=f"w_city_{lang}",
        )
        if city != settings.city:
            state.update(settings := replace(settings, city=city))
    st.subheader(t("app.compare.headline", lang))
    st.caption(t("app.compare.headline_note", lang, seeds=settings.seeds, pct=round(comparison.level * 100)))
    variants = [
        label for label in names if label in set(comparison.levels["scenario"]) and label != comparison.baseline
    ]
    headlines: dict[str, pd.DataFrame] = {}
    sentences: dict[str, str] = {}
    for variant in variants:
        sentence = views.headline_sentence(comparison, variant, lang, names)
        sentences[names[variant]] = sentence
        headlines[names[variant]] = views.headline_table(comparison, variant, lang, names, only=views.KEY_FIGURES)
        st.markdown(
            f"**{t('app.compare.variant_vs', lang, variant=names[variant], baseline=names[comparison.baseline])}**"
        )
        st.success(sentence, icon=":material/campaign:")
        _key_figures(comparison, variant, lang, names)
        table = views.headline_table(comparison, variant, lang, names)
        with st.expander(t("app.dash.all_headline", lang)):
            first = table.columns[0] if len(table.columns) else None
            config = {first: st.column_config.TextColumn(width="large")} if first else None
            st.dataframe(table, hide_index=True, width="stretch", column_config=config)
            numbers = views.headline_numbers(comparison, variant, lang, names)
            download(
                t("app.dash.headline_csv", lang),
                numbers.to_csv(index=False).encode("utf-8-sig"),
                f"headline-{variant}-{lang}.csv",
                "text/csv",
                key=f"w_dl_headline_{variant}",
            )
    st.caption(t("app.dash.interactive_hint", lang))
    for chart in views.CHARTS:
        st.subheader(t(f"app.charts.{chart.key}.title", lang))
        st.caption(t(f"app.charts.{chart.key}.note", lang))
        levels, differences = chart_data(prepared.request.key, chart.key, city, comparison)
        _interactive(chart, levels, differences, lang, names, comparison.level)
        csv = views.csv_table(chart, levels, differences, lang, names).to_csv(index=False).encode("utf-8-sig")
        a, b, c = st.columns(3)

        def figure(side: int, key: str = chart.key) -> bytes:
            return figure_png(views.chart(key, comparison, city, lang, names)[side])

        with a:
            download(
                t("app.download.png_levels", lang),
                functools.partial(figure, 0),
                f"{chart.key}-{lang}.png",
                "image/png",
                key=f"w_dl_{chart.key}_left",
            )
        with b:
            download(
                t("app.download.png_differences", lang),
                functools.partial(figure, 1),
                f"{chart.key}-difference-{lang}.png",
                "image/png",
                key=f"w_dl_{chart.key}_right",
            )
        with c:
            download(
                t("app.download.csv", lang), csv, f"{chart.key}-{lang}.csv", "text/csv", key=f"w_dl_{chart.key}_csv"
            )
    st.subheader(t("app.compare.downloads", lang))
    _downloads(comparison, prepared, settings, headlines, sentences, city, names_json)


BRIEFING_CHARTS = ("settlements", "age", "blocked")


def _downloads(
    comparison: Comparison,
    prepared: Prepared,
    settings: Settings,
    headlines: Mapping[str, pd.DataFrame],
    sentences: Mapping[str, str],
    city: str,
    names_json: str,
) -> None:
    # The files are made when a button is pressed, outside the page's script run: nothing below may call
    # streamlit (or a cached function), so everything they need is computed here.
    lang = settings.lang
    title = t("app.briefing.title", lang, baseline=prepared.names[comparison.baseline])
    link = share_link(settings)
    names = json.loads(names_json)
    shown = {
        "agents": fmt_number(settings.agents, lang),
        "seeds": settings.seeds,
        "months": settings.months,
        "pct": round(comparison.level * 100),
    }

    def figures():
        return [views.chart(key, comparison, city, lang, names)[:2] for key in BRIEFING_CHARTS]

    common = {
        "lang": lang,
        "title": title,
        "scenarios": prepared.sources,
        "headlines": headlines,
        "sentences": sentences,
        "settings": shown,
        "link": link,
    }

    def html_page() -> str:
        return briefing.html_briefing(**common, figures=figures(), manifest=comparison.manifest)

    def pdf_file() -> bytes:
        return briefing.pdf_briefing(**common, figures=figures())

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
