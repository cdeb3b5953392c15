"""ui.briefing and ui.runs: a small comparison, its briefing (HTML, and a PDF read back as text), the cache."""

import html
import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

from sim.experiment import compare
from ui import briefing, runs, views
from ui.i18n import number, t
from ui.results import request_for
from ui.state import Settings

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is missing: ./dev test installs it"
)

SETTINGS = Settings(lang="zh", agents=1000, months=24, seeds=2)


@pytest.fixture(scope="module")
def prepared():
    return request_for(SETTINGS)


@pytest.fixture(scope="module")
def comparison(prepared):
    return runs.run_comparison(prepared.request)


def test_seed_by_seed_equals_one_compare_call(prepared, comparison):
    """The cached, seed-by-seed path gives the numbers of sim.experiment.compare."""
    scenarios = json.loads(prepared.request.scenarios_json)
    from sim.experiment import Variant

    direct = compare(
        [Variant(p, o, label) for p, o, label in scenarios], seeds=2, agents=1000, months=24, backend="serial"
    )
    key = ["scenario", "city", "indicator", "breakdown", "group"]
    a = comparison.differences.sort_values(key).reset_index(drop=True)
    b = direct.differences.sort_values(key).reset_index(drop=True)
    assert a[["mean", "low", "high"]].to_numpy() == pytest.approx(b[["mean", "low", "high"]].to_numpy(), nan_ok=True)


def test_a_repeated_request_comes_from_the_cache(prepared, comparison):
    calls = []
    again = runs.run_comparison(prepared.request, on_progress=lambda done, total: calls.append((done, total)))
    assert runs.is_finished(prepared.request)
    assert calls == [(2, 2)]  # no seed ran again
    assert again.differences.equals(comparison.differences)


def test_every_chart_draws_in_both_languages(prepared, comparison):
    for lang in ("zh", "en"):
        for chart in views.CHARTS:
            left, right, table = views.chart(chart.key, comparison, "ningbo", lang, prepared.names)
            assert left.axes and right.axes
            if chart.key != "cutoffs":
                assert not table.empty


def test_headline_is_translated(prepared, comparison):
    table = views.headline_table(comparison, comparison.levels["scenario"].unique()[1], "zh", prepared.names)
    assert table.columns[0] == "指标"
    assert "落户人数（申请人及随迁）" in set(table["指标"])


def test_headline_csv_is_numeric(prepared, comparison):
    variant = comparison.levels["scenario"].unique()[1]
    numbers = views.headline_numbers(comparison, variant, "zh", prepared.names)
    for column in ("baseline", "variant", "difference", "band_low", "band_high"):
        assert pd.api.types.is_float_dtype(numbers[column]), column
    assert "unit" in numbers and set(numbers["unit"]) <= {"persons", "share", "months", "points", "trips"}
    total = numbers[numbers["indicator_key"] == "settled_all"].iloc[0]
    assert total["variant"] - total["baseline"] == pytest.approx(total["difference"])


def test_every_chart_csv_is_numeric_with_its_unit(prepared, comparison):
    for chart in views.CHARTS:
        _, _, table = views.chart(chart.key, comparison, "ningbo", "zh", prepared.names)
        for part in ("mean", "low", "high"):
            assert f"{part}_{chart.unit}" in table.columns
            assert pd.api.types.is_numeric_dtype(table[f"{part}_{chart.unit}"])


def test_headline_sentence_is_generated_from_the_numbers(prepared, comparison):
    variant = comparison.levels["scenario"].unique()[1]
    total = comparison.headline(variant).query("indicator == 'settled_all' and breakdown == 'total'").iloc[0]
    for lang in ("zh", "en"):
        sentence = views.headline_sentence(comparison, variant, lang, prepared.names)
        assert prepared.names[variant] in sentence and prepared.names[comparison.baseline] in sentence
        if total["low"] > 0:
            assert ("more people settle" if lang == "en" else "约多") in sentence
            assert number(views._about(total["difference"]), lang) in sentence


def _sections(lang):
    return [
        t("app.dash.briefing.summary", lang),
        t("app.dash.briefing.key_figures", lang),
        t("app.headline.indicator", lang),
        t("app.briefing.scenarios", lang),
        t("app.briefing.charts", lang),
        t("app.briefing.sources", lang),
        t("app.briefing.link", lang),
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_and_pdf_briefings_are_complete(prepared, comparison, lang, tmp_path):
    names = request_for(Settings(lang=lang, agents=1000, months=24, seeds=2)).names
    figures = [views.chart(key, comparison, "ningbo", lang, names)[:2] for key in ("settlements", "age", "blocked")]
    variant = comparison.levels["scenario"].unique()[1]
    sentence = views.headline_sentence(comparison, variant, lang, names)
    link = "http://localhost:8501/?lang=" + lang + "&b=ningbo-2018-baseline&v=ningbo-2019-reform&agents=1000&months=24"
    common = {
        "lang": lang,
        "title": t("app.briefing.title", lang, baseline=names[comparison.baseline]),
        "scenarios": prepared.sources,
        "headlines": {names[variant]: views.headline_table(comparison, variant, lang, names, only=views.KEY_FIGURES)},
        "sentences": {names[variant]: sentence},
        "figures": figures,
        "settings": {"agents": number(1000, lang), "seeds": 2, "months": 24, "pct": 90},
        "link": link,
    }
    page = briefing.html_briefing(**common, manifest=comparison.manifest)
    assert page.startswith("<!doctype html>") and "data:image/png;base64," in page
    assert sentence in page and html.escape(link) in page and "seed 000" not in page
    pdf = briefing.pdf_briefing(**common)
    path = tmp_path / "briefing.pdf"
    path.write_bytes(pdf)
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+[12]\n", pages), pages
    assert "595.* x 841.*" in pages or re.search(r"Page size:\s+595\.\d+ x 841\.\d+", pages), pages
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    for section in _sections(lang):
        assert re.sub(r"\s+", "", section) in flat, section
    assert re.sub(r"\s+", "", sentence) in flat
    assert re.sub(r"\s+", "", link) in flat
    for item in prepared.sources:
        assert item.id in flat
    assert "seed000" not in flat and "落户人数" in flat if lang == "zh" else "Persons settled" in text
