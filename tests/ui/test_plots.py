"""sim.plots: Chinese renders with the packaged font; a missing glyph fails (filterwarnings=error)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim import plots


def _lines(n_series=2, facets=("talent", "rental")):
    months = pd.date_range("2019-01-01", periods=12, freq="MS")
    rows = []
    for facet in facets:
        for s in range(n_series):
            for i, m in enumerate(months):
                mean = (s + 1) * i * 1000.0
                rows.append(
                    {
                        "month": m,
                        "scenario": f"s{s}",
                        "column": facet,
                        "mean": mean,
                        "low": mean * 0.9,
                        "high": mean * 1.1,
                    }
                )
    return pd.DataFrame(rows)


def test_packaged_cjk_font_is_the_one_used():
    import noto_cjk_sans_otc

    assert plots.cjk_font_path() == str(noto_cjk_sans_otc.FONT_PATH)


def test_chinese_text_renders_without_missing_glyphs():
    labels = {
        "s0": "宁波2018年户口准入条件（连续缴纳）",
        "s1": "宁波2019户口新政",
        "talent": "人才落户",
        "rental": "租赁落户",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" would raise here
        fig = plots.line_bands(
            _lines(),
            x="month",
            series="scenario",
            facet="column",
            title="各渠道累计落户人数",
            labels=labels.get,
            number=lambda v: f"{v / 1e4:g}万",
            date_format="%Y年",
        )
        png = plots.figure_png(fig)
    assert png.startswith(b"\x89PNG")


def test_a_missing_glyph_fails_the_test_suite():
    """The guard works: a character no font has makes matplotlib warn, and the warning is an error."""
    fig = Figure()
    fig.text(0.5, 0.5, "\U0001fae8")  # a recent emoji, in neither Noto CJK nor DejaVu
    with pytest.warns(UserWarning, match="missing from font"):
        plots.figure_png(fig)


def test_bars_timeline_and_stacks_draw_with_chinese_labels():
    bars = pd.DataFrame(
        {
            "group": ["0-15", "16-24", "0-15", "16-24"],
            "scenario": ["a", "a", "b", "b"],
            "mean": [1.0, 2.0, 3.0, 4.0],
            "low": [0.5, 1.5, 2.5, 3.5],
            "high": [1.5, 2.5, 3.5, 4.5],
        }
    )
    fig = plots.bar_bands(
        bars,
        category="group",
        series="scenario",
        title="按年龄段的落户人数",
        labels={"a": "基准", "b": "方案", "0-15": "0–15岁", "16-24": "16–24岁"}.get,
    )
    assert isinstance(fig, Figure)
    plots.figure_png(fig)
    months = pd.date_range("2019-01-01", periods=6, freq="MS")
    frame = pd.DataFrame(
        {
            "month": list(months) * 2,
            "row": ["基准"] * 6 + ["方案"] * 6,
            "state": ["not_eligible"] * 9 + ["eligible"] * 3,
        }
    )
    fig = plots.timeline(
        frame,
        x="month",
        row="row",
        state="state",
        title="逐月落户资格",
        states={"eligible": "green", "not_eligible": "red"},
        labels={"eligible": "可以落户", "not_eligible": "不符合条件"}.get,
    )
    plots.figure_png(fig)
    ledger = pd.DataFrame(
        {"month": list(months) * 2, "item": ["社保"] * 6 + ["居住"] * 6, "scenario": "南京", "points": np.arange(12.0)}
    )
    plots.figure_png(
        plots.stacked_areas(ledger, x="month", stack="item", facet="scenario", value="points", title="积分")
    )


def test_empty_and_all_zero_tables_draw_a_message():
    empty = plots.line_bands(
        pd.DataFrame(columns=["month", "scenario", "mean", "low", "high"]),
        x="month",
        series="scenario",
        title="分数线",
        empty_message="这些方案没有积分评审。",
    )
    assert "这些方案没有积分评审。" in [t.get_text() for ax in empty.axes for t in ax.texts]
    zeros = pd.DataFrame({"group": ["talent"], "scenario": ["a"], "mean": [0.0], "low": [0.0], "high": [0.0]})
    fig = plots.bar_bands(zeros, category="group", series="scenario", title="等待", empty_message="全部为零")
    assert "全部为零" in [t.get_text() for ax in fig.axes for t in ax.texts]


def test_pdf_embeds_the_chinese_font():
    writer = plots.PageWriter("落户政策比较")
    writer.title("落户政策比较")
    writer.paragraph("基准方案：宁波2018；比较方案：宁波2019户口新政", 9)
    pdf = plots.figures_pdf(writer.finish(lambda n, total: f"{n}/{total}"), {"Title": "简报"})
    assert pdf.startswith(b"%PDF") and b"NotoSansCJK" in pdf


def test_text_wraps_to_the_width_and_a_full_page_starts_another():
    long = "在2018-01起的48个月内，宁波2019户口新政约多39.5万人落户 " * 6
    lines = plots.wrap(long, 10, 3.0)
    assert len(lines) > 3 and all(plots.text_width(line, 10) <= 3.0 for line in lines)
    assert "".join(lines).replace(" ", "") == long.replace(" ", "").rstrip()
    url = "http://localhost:8501/?lang=en&b=ningbo-2018-baseline&v=ningbo-2019-reform&e1=" + "x" * 200
    assert "".join(plots.wrap(url, 7, 4.0, breakable=True)) == url
    writer = plots.PageWriter("t")
    for _ in range(120):
        writer.paragraph("a line of text", 10)
    assert len(writer.finish(lambda n, total: f"{n}/{total}")) == 3


def test_a_heat_map_cell_never_shows_a_rounding_residue():
    from ui.calibration_view import _heat_cell

    assert _heat_cell(5.6e-17) == "0" and _heat_cell(-1e-12) == "0"
    assert _heat_cell(0.034) == "0.034" and _heat_cell(2.5) == "2.5" and _heat_cell(1234.0) == "1,234"
    assert _heat_cell(float("nan")) == "–"
