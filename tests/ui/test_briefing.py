"""ui.briefing and ui.runs: a small comparison, its one-page briefing, the cache."""

import json

import pytest

from sim.experiment import compare
from ui import briefing, runs, views
from ui.results import request_for
from ui.state import Settings

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


def test_html_and_pdf_briefings(prepared, comparison):
    figures = [views.chart("settlements", comparison, "ningbo", "zh", prepared.names)[:2]]
    variant = comparison.levels["scenario"].unique()[1]
    headlines = {prepared.names[variant]: views.headline_table(comparison, variant, "zh", prepared.names)}
    common = {
        "lang": "zh",
        "title": "落户政策比较",
        "scenarios": prepared.sources,
        "headlines": headlines,
        "figures": figures,
        "settings": {"agents": "1,000", "seeds": 2, "months": 24, "pct": 90},
        "link": "http://localhost:8501/?b=ningbo-2018-baseline",
    }
    page = briefing.html_briefing(**common, manifest=comparison.manifest)
    assert page.startswith("<!doctype html>") and "data:image/png;base64," in page
    assert "主要差异" in page and "资料来源" in page and "seed 000" in page
    assert "ningbo-2019-reform" in page and "http://localhost:8501/?b=ningbo-2018-baseline" in page
    pdf = briefing.pdf_briefing(**common)
    assert pdf.startswith(b"%PDF")
