"""The dashboard under streamlit.testing: every page, both languages, a run, an upload, the URL."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from sim.scenario import load_scenario
from sim.scenario.schema import Bilingual
from tests.ui.conftest import APP, TINY
from ui.i18n import t

PAGES = {
    "compare": None,
    "explain": "ui/pages/explain.py",
    "scenarios": "ui/pages/scenarios.py",
    "calibration": "ui/pages/calibration.py",
}
TITLES = {
    "compare": "app.compare.title",
    "explain": "app.explain.title",
    "scenarios": "app.scenarios_page.title",
    "calibration": "app.calibration.title",
}
EDIT = "cities.ningbo.rules[1].channels.residence_employment.routes.social_insurance.social_insurance"


def _app(**params) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    return at


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_in_both_languages(page, lang):
    at = _app(lang=lang, **TINY).run()
    if PAGES[page]:
        at.switch_page(PAGES[page]).run()
    _no_exception(at)
    assert at.title[0].value == t(TITLES[page], lang)
    assert at.sidebar.radio(key="w_lang").value == lang


def test_choose_scenarios_run_and_see_charts_and_tables():
    at = _app(lang="en", **TINY).run()
    at.selectbox(key="w_variant_0_en").set_value("ningbo-2019-counting-only").run()
    assert at.query_params["v"] == "ningbo-2019-counting-only"
    assert not at.get("vega_lite_chart")  # nothing runs before the button is pressed
    at.button(key="w_run").click().run()
    _no_exception(at)
    headers = [s.value for s in at.subheader]
    assert t("app.compare.headline", "en") in headers
    assert t("app.charts.settlements.title", "en") in headers and t("app.charts.cutoffs.title", "en") in headers
    # Every chart with data: its levels and its differences, interactive; the others say why they are empty.
    assert len(at.get("vega_lite_chart")) == 2 * 6
    infos = [i.value for i in at.info]
    assert t("app.dash.waiting_zero", "en") in infos and t("app.compare.no_rounds", "en") in infos
    sentence = at.success[1].value
    assert sentence.startswith("Under Ningbo 2019 variant: cumulative counting only, about ")
    assert "more people settle than under Ningbo 2018 settlement rules" in sentence and "90 % band" in sentence
    assert at.metric[0].label == "Persons settled (applicants and dependants)"
    headline = at.dataframe[0].value
    assert "Persons settled (applicants and dependants)" in set(headline["Indicator"])
    assert at.query_params["run"] == "1"
    labels = [b.label for b in at.get("download_button")]
    assert "Briefing (HTML)" in labels and "Briefing (PDF)" in labels and "Data (CSV)" in labels
    assert "Headline differences (CSV)" in labels


def test_switching_language_switches_every_label():
    at = _app(lang="en", run="1", **TINY).run()
    assert at.title[0].value == "Compare settlement policies"
    assert "Ningbo 2019 reform · ningbo-2019-reform" in at.selectbox(key="w_variant_0_en").options
    at.sidebar.radio(key="w_lang").set_value("zh").run()
    _no_exception(at)
    assert at.title[0].value == "比较落户政策"
    # The select boxes are drawn anew in the page's language, keeping their choice.
    assert "宁波2019户口新政 · ningbo-2019-reform" in at.selectbox(key="w_variant_0_zh").options
    assert "宁波2018年户口准入条件（连续缴纳） · ningbo-2018-baseline" in at.selectbox(key="w_baseline_zh").options
    assert at.selectbox(key="w_variant_0_zh").value == "ningbo-2019-reform"
    assert not [b for b in at.selectbox if b.key and b.key.endswith("_en")]
    assert "万" in at.success[1].value and "与宁波2018年户口准入条件（连续缴纳）相比" in at.success[1].value
    assert at.button(key="w_run").label == "运行比较"
    assert "主要差异" in [s.value for s in at.subheader]
    assert "指标" in at.dataframe[0].value.columns
    assert at.query_params["lang"] == "zh"


def test_a_bad_uploaded_scenario_shows_the_validation_errors_and_the_app_keeps_working():
    bad = (
        "id: bad\ntitle: {zh: 坏, en: bad}\nextends: ningbo-2018-baseline\nsource: test\ncities:\n  ningbo:\n"
        "    migrantz: 3\n    rules:\n      - from: 2019-09-15\n        channels:\n          talent:\n"
        "            routes:\n"
        "              college: {social_insurance: {count: cumulative, months: 36, window: 12}}\n"
    )
    at = _app(lang="en", **TINY).run()
    at.file_uploader(key="w_upload").upload("bad.yaml", bad.encode(), "application/x-yaml").run()
    _no_exception(at)
    shown = "\n".join(c.value for c in at.code)
    assert "bad.yaml: INVALID\n2 problems found:" in shown
    assert "bad.yaml:7: 'cities.ningbo.migrantz': unknown key 'migrantz'. Hint: did you mean 'migrants'?" in shown
    assert "window (12) must be at least months (36)" in shown
    assert at.selectbox(key="w_variant_0_en").value == "ningbo-2019-reform"  # the choice before the upload stands
    at.button(key="w_run").click().run()
    _no_exception(at)
    assert at.get("vega_lite_chart")


def test_a_good_uploaded_scenario_becomes_a_variant():
    good = (
        "id: my-variant\ntitle: {zh: 我的方案, en: My variant}\nextends: ningbo-2018-baseline\nsource: test\n"
        "cities:\n  ningbo:\n    rules:\n      - from: 2019-01-01\n        channels:\n          residence_employment:\n"
        "            routes:\n"
        "              social_insurance: {social_insurance: {count: cumulative, months: 36, window: 48}}\n"
    )
    at = _app(lang="en", **TINY).run()
    at.file_uploader(key="w_upload").upload("mine.yaml", good.encode(), "application/x-yaml").run()
    _no_exception(at)
    assert at.selectbox(key="w_variant_0_en").value.startswith("upload:")
    assert any("My variant" in s.value for s in at.success)


def test_editing_a_rule_shows_the_diff_and_goes_into_the_url():
    at = _app(lang="en", v="ningbo-2019-counting-only", **TINY).run()
    key = "w_edit_0_ningbo-2019-counting-only_cities.ningbo.rules[1].channels.residence_employment.routes."
    at.number_input(key=key + "social_insurance.social_insurance_months").set_value(36).run()
    _no_exception(at)
    edits = json.loads(at.query_params["e1"])
    assert edits[EDIT] == {"count": "cumulative", "months": 36, "window": 72}
    diffs = "\n".join(m.value for m in at.markdown)
    assert "60 consecutive months before application → social insurance: cumulative: 36 of the last 72 months" in diffs
    at.radio(key=key + "social_insurance.social_insurance_count").set_value("continuous").run()
    assert json.loads(at.query_params["e1"])[EDIT] == {"count": "continuous", "months": 36}


def test_an_invalid_edit_is_reported_and_run_is_disabled():
    edits = json.dumps({EDIT: {"count": "cumulative", "months": 60, "window": 12}})
    for lang in ("en", "zh"):
        at = _app(lang=lang, v="ningbo-2019-counting-only", e1=edits, **TINY).run()
        _no_exception(at)
        # Said once, in the page's language, next to the field; the status beside Run says to fix it.
        assert t("app.dash.window_too_short", lang, window=12, months=60) in [e.value for e in at.error]
        assert not any("window (12) must be at least months (60)" in c.value for c in at.code)
        assert at.button(key="w_run").disabled
        assert t("app.dash.fix_edits", lang) in [w.value for w in at.warning]


def test_scenarios_that_share_no_city_are_explained_and_the_parameters_file_is_not_offered():
    at = _app(lang="en", b="ningbo-2018-baseline", v="guiyang-2022", **TINY).run()
    _no_exception(at)
    assert any("share no city" in w.value and "Guiyang" in w.value for w in at.warning)
    assert at.button(key="w_run").disabled
    options = at.selectbox(key="w_baseline_en").options
    assert not [o for o in options if o.endswith("· china-migrants")]
    assert [o for o in options if o.endswith("· ningbo-2018-baseline")]


def test_url_parameters_restore_the_settings():
    edits = {EDIT: {"count": "cumulative", "months": 36, "window": 48}}
    at = _app(
        lang="en",
        b="ningbo-2018-baseline",
        v=["ningbo-2019-reform", "ningbo-2019-counting-only"],
        e2=json.dumps(edits),
        agents="3000",
        seeds="2",
        months="24",
    ).run()
    _no_exception(at)
    assert at.selectbox(key="w_baseline_en").value == "ningbo-2018-baseline"
    assert at.number_input(key="w_variant_count").value == 2
    assert at.selectbox(key="w_variant_1_en").value == "ningbo-2019-counting-only"
    assert at.number_input(key="w_agents").value == 3000
    assert at.slider(key="w_seeds").value == 2
    assert at.number_input(key="w_months").value == 24
    key = f"w_edit_1_ningbo-2019-counting-only_{EDIT}_months"
    at.radio(key="w_edit_which").set_value(1).run()
    assert at.number_input(key=key).value == 36
    link = next(c.value for c in at.code if "?lang=" in c.value)
    assert "?lang=en&b=ningbo-2018-baseline&v=ningbo-2019-reform&v=ningbo-2019-counting-only&e2=" in link


def test_a_bad_link_is_reported_and_defaults_used():
    at = _app(lang="en", b="nowhere", agents="many").run()
    _no_exception(at)
    assert any("b=nowhere" in w.value and "agents=many" in w.value for w in at.warning)


def test_explain_a_household_type_under_each_scenario():
    at = _app(lang="en", person="type:factory_worker_family", **TINY).run()
    at.switch_page("ui/pages/explain.py").run()
    _no_exception(at)
    summary = at.table[0].value
    assert list(summary["Scenario"]) == [
        "Ningbo 2018 settlement rules (continuous contributions)",
        "Ningbo 2019 reform",
    ]
    assert list(summary["First month eligible"]) == ["not within the period", "2019-09"]
    assert (
        "residence and employment, route social insurance: social insurance 35 of 60 consecutive months"
        in (summary["Held back before by"].iloc[0])
    )
    assert at.image  # the timeline


def test_explain_a_person_entered_in_the_form_in_chinese():
    at = _app(lang="zh", person="type:young_graduate", **TINY).run()
    at.switch_page("ui/pages/explain.py").run()
    prefix = "w_pf_type:young_graduate_ningbo_"
    at.text_input(key=prefix + "social_insurance").set_value("2016-08..2017-12")
    at.button[0].click().run()  # the form's submit button
    _no_exception(at)
    summary = at.table[0].value
    assert "方案" in summary.columns
    assert (summary["最早符合条件的月份"] != "").all()


def test_an_invalid_person_file_is_reported():
    at = _app(lang="en", person="upload", **TINY).run()
    at.switch_page("ui/pages/explain.py").run()
    person = "birth: 1990-01\nsex: female\neducation: {level: college}\norigin: {hukou: rural, province: atlantis}\n"
    at.file_uploader(key="w_person_upload").upload("me.yaml", (person + "arrived: {ningbo: 2015-01}\n").encode()).run()
    _no_exception(at)
    assert any("unknown province 'atlantis'" in c.value for c in at.code)


def test_scenarios_page_describes_and_diffs():
    at = _app(lang="zh").run()
    at.switch_page("ui/pages/scenarios.py").run()
    _no_exception(at)
    text = "\n".join(m.value for m in at.markdown)
    assert "宁波2018年户口准入条件（连续缴纳）" in text
    assert "48个月内累计缴纳36个月" in text  # the reform, in the diff against the baseline


def test_scenarios_page_shows_a_presets_texts_in_the_pages_language():
    reform = load_scenario("ningbo-2019-reform")
    assert isinstance(reform.description, Bilingual)
    zh_text, en_text = (" ".join(text.split()) for text in (reform.description.zh, reform.description.en))
    reason = reform.assumptions[0].reason  # "seed 000 ..." in both: the document number is shown as its name
    zh_reason, en_reason = (" ".join(text.split()).removeprefix("seed 000 ") for text in (reason.zh, reason.en))
    at = _app(lang="zh").run()
    at.switch_page("ui/pages/scenarios.py").run()
    at.selectbox(key="w_describe").set_value("ningbo-2019-reform").run()
    _no_exception(at)
    text = "\n".join(m.value for m in at.markdown)
    assert zh_text in text and en_text not in text
    assert zh_reason in text and en_reason not in text
    assert "仅有英文" not in text
    at.sidebar.radio(key="w_lang").set_value("en").run()
    _no_exception(at)
    text = "\n".join(m.value for m in at.markdown)
    assert en_text in text and zh_text not in text
    assert en_reason in text and zh_reason not in text
