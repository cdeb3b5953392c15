"""The policy explorer: ``sim describe`` and ``sim describe --diff`` (sim/describe.py)."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.describe import I18N_DIR, describe, describe_html, diff, labels, markdown_to_html
from sim.documents import cite
from sim.scenario import load_scenario, resolve_timeline
from sim.scenario.schema import CHANNELS, Conditions
from tests.conftest import ROOT, SCENARIOS

PRESETS = sorted(SCENARIOS.rglob("*.yaml"))
BASELINE = "ningbo-2018-baseline"
REFORM = "ningbo-2019-reform"


@pytest.fixture(scope="module")
def scenarios():
    return {path: load_scenario(path) for path in PRESETS}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_describe_mentions_every_date_channel_route_and_assumption(scenarios, path, lang):
    scenario = scenarios[path]
    text = describe(scenario, lang)
    lab = labels(lang)
    assert text.startswith(f"# {scenario.title.zh if lang == 'zh' else scenario.title.en}\n")
    assert scenario.title.en in text and scenario.title.zh in text
    for source in [scenario.source] if isinstance(scenario.source, str) else scenario.source:
        assert cite(source, lang) in text
    for city_id, city in scenario.cities.items():
        assert f"`{city_id}`" in text
        for rule_set in city.rules:
            assert rule_set.effective.isoformat() in text
            for assumption in rule_set.assumptions:
                assert f"`{assumption.key}`" in text
        for period in resolve_timeline(city.rules):
            for name, channel in period.channels():
                assert f"**{lab.get('channels', name)}** (`{name}`)" in text
                for route in channel.routes:
                    assert f"`{route}`" in text
    for assumption in (*scenario.assumptions, *scenario.population.assumptions, *scenario.behaviour.assumptions):
        assert f"`{assumption.key}`" in text


def test_routes_read_as_sentences():
    zh, en = describe(BASELINE, "zh"), describe(BASELINE, "en")
    assert "社保：申请前连续60个月缴纳" in zh
    assert "social insurance: 60 consecutive months before application" in en
    reform_zh, reform_en = describe(REFORM, "zh"), describe(REFORM, "en")
    assert "社保：48个月内累计缴纳36个月" in reform_zh
    assert "social insurance: cumulative: 36 of the last 48 months" in reform_en
    assert "人均住房面积：不少于18平方米" in zh
    assert "[新增]" in reform_zh and "[new]" in reform_en  # rental and property channels


def test_points_items_and_rounds_are_described():
    text = describe("nanjing-suzhou-points", "zh")
    assert "社保缴纳年限：每年10分（`ning_su`内缴纳月数累计互认）" in text
    assert "紧缺艰苦行业：20分" in text
    assert "每年6月评审；每轮名额10,000人；同分按指标 `social_insurance` 排序" in text
    assert "不设名额；准入分100分" in text
    en = describe("zhenhai-2016", "en")
    assert "years of social insurance: 3 points per year, at most 30" in en
    assert "education: junior secondary school 5, senior secondary or vocational school 10" in en


def test_assumptions_name_the_key_that_overrides_them():
    text = describe("ningbo-2020-2023", "en")
    assert "(override: `cities.ningbo.rules[3].channels.permit_conversion.routes.permit_holder" in text
    assert "(override: `population.education_shares`)" in text


def test_diff_names_the_changed_counting_rule():
    zh = diff(BASELINE, REFORM, "zh")
    changed = "社保：申请前连续60个月缴纳 → 社保：48个月内累计缴纳36个月"
    assert f"**居住就业落户** · 条件 缴纳社保 (`social_insurance`)：{changed}" in zh
    assert "### 自2019-09-15起" in zh
    en = diff(BASELINE, REFORM, "en")
    assert (
        "social insurance: 60 consecutive months before application → "
        "social insurance: cumulative: 36 of the last 48 months"
    ) in en
    assert "**rental housing** added" in en
    assert "route fresh graduates (`fresh_graduate`) removed" in en


def test_diff_of_a_single_change_variant_lists_only_that_change():
    text = diff(BASELINE, "ningbo-2019-counting-only", "en")
    changes = [line for line in text.splitlines() if line.startswith("- **")]
    assert len(changes) == 5  # four talent routes and the residence-employment route
    assert all("consecutive months before application → " in line and "cumulative" in line for line in changes)
    assert "added" not in text and "removed" not in text


def test_diff_reports_a_difference_once_and_when_it_ends():
    text = diff(REFORM, "ningbo-2020-2023", "en")
    assert "`months`: 48 → 84" in text
    assert text.count("route same community (`same_community`)") == 1
    assert "### From 2023-11-24" in text and "**residence permit conversion** added" in text
    back = diff("ningbo-2020-2023", REFORM, "en")
    assert "**residence permit conversion** removed" in back


def test_diff_of_a_scenario_with_itself():
    assert "No differences in rules or settings." in diff(REFORM, REFORM, "en")
    assert "规则与设置均无差异。" in diff(REFORM, REFORM, "zh")


def test_diff_lists_cities_added():
    text = diff("ningbo-2020-2023", "zhejiang-2023", "en")
    for city in ("hangzhou", "huzhou", "jiaxing"):
        assert f"City added: `{city}`" in text
    assert "`regions.zhejiang` added" in text


class _Tree(HTMLParser):
    """Checks that every opened tag is closed in order."""

    VOID = frozenset({"meta", "br"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()


def test_html_export_is_well_formed():
    page = describe_html("zhejiang-2023", "zh")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    tree = _Tree()
    tree.feed(page)
    assert tree.stack == []
    assert {"h1", "h2", "h3", "ul", "li", "strong", "code"} <= set(tree.tags)
    assert "<code>permit_conversion</code>" in page
    assert "<strong>居住证转户籍</strong>" in page


def test_markdown_to_html_nests_lists_and_escapes():
    page = markdown_to_html("# A <b>\n\npara *em* **strong** `x<y`\n\n- one\n  - two\n    - three\n- four\n\ntail")
    body = page.split("<body>\n", 1)[1].split("\n</body>", 1)[0]
    assert body.startswith("<h1>A &lt;b&gt;</h1>")
    assert "<p>para <em>em</em> <strong>strong</strong> <code>x&lt;y</code></p>" in body
    assert body.count("<ul>") == 3 and body.count("</ul>") == 3
    assert "<li>three</li></ul></li></ul></li>" in body.replace("\n", "")
    assert body.endswith("<p>tail</p>")
    tree = _Tree()
    tree.feed(page)
    assert tree.stack == []


def test_label_files_have_the_same_keys_and_cover_the_schema():
    zh = yaml.safe_load((I18N_DIR / "zh.yaml").read_text(encoding="utf-8"))
    en = yaml.safe_load((I18N_DIR / "en.yaml").read_text(encoding="utf-8"))

    def keys(data, prefix=""):
        if isinstance(data, dict):
            return {k for key, value in data.items() for k in keys(value, f"{prefix}{key}.")} | {prefix}
        return {prefix}

    assert keys(zh) == keys(en)
    assert set(CHANNELS) <= set(zh["channels"])
    conditions = set(Conditions.model_fields) - {"source"}
    assert conditions <= set(zh["fields"]) and conditions <= set(en["fields"])


def test_unknown_language_is_an_error():
    from sim.errors import SimError

    with pytest.raises(SimError, match="language 'fr'"):
        describe(REFORM, "fr")


# ------------------------------------------------------------------------------------------- cli


def test_cli_describe_prints_markdown(capsys):
    assert main(["describe", REFORM, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Ningbo 2019 reform")


def test_cli_describe_writes_html(tmp_path, capsys):
    out = tmp_path / "sub" / "reform.html"
    assert main(["describe", str(SCENARIOS / "ningbo" / f"{REFORM}.yaml"), "--format", "html", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "wrote" in capsys.readouterr().out


def test_cli_describe_diff(capsys):
    assert main(["describe", BASELINE, "--diff", REFORM]) == 0
    assert "申请前连续60个月缴纳 → 社保：48个月内累计缴纳36个月" in capsys.readouterr().out


def test_cli_describe_invalid_scenario_exits_1(tmp_path, capsys):
    assert main(["describe", str(tmp_path / "missing.yaml")]) == 1
    assert "file not found" in capsys.readouterr().err
    assert main(["describe", REFORM, "--diff", str(ROOT / "tests" / "scenario" / "broken" / "unknown_key.yaml")]) == 1


def test_cli_describe_bad_option_exits_2():
    with pytest.raises(SystemExit) as exit_info:
        main(["describe", REFORM, "--lang", "fr"])
    assert exit_info.value.code == 2


def test_python_m_sim_describe():
    done = subprocess.run(
        [sys.executable, "-m", "sim", "describe", "guiyang-2022", "--lang", "en"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=Path(ROOT),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "**open settlement (zero threshold)** (`open`)" in done.stdout


@pytest.mark.parametrize(
    ("lang", "expected"), [("zh", "政策宣传：施行当日告知35%的流动人口"), ("en", "35% of migrants informed")]
)
def test_describe_states_a_rule_sets_publicity(lang, expected):
    publicity = {"informed_share": 0.35, "source": "illustrative"}
    scenario = load_scenario(
        SCENARIOS / "ningbo" / "ningbo-2019-reform.yaml", overrides={"cities.ningbo.rules[1].publicity": publicity}
    )
    text = describe(scenario, lang)
    assert text.count(expected) == 1
    assert expected not in describe(load_scenario(SCENARIOS / "ningbo" / "ningbo-2019-reform.yaml"), lang)
