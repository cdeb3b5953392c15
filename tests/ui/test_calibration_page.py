"""The calibration page: the targets always; the results of record when published (hand-written here)."""

import json
import warnings

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from calibration.targets import load_targets
from sim import plots
from tests.ui.conftest import APP
from ui import calibration_view
from ui.i18n import number, t

PAGE = "ui/pages/calibration.py"
TARGETS = calibration_view.TARGETS_DIR / "ningbo-2019.yaml"
TARGETS_ID = load_targets(TARGETS, check_scenario=False).id
FIT_COMMAND = "python -m calibration fit calibration/targets/ningbo-2019.yaml --save"
SCORE_COMMAND = (
    "python -m calibration score calibration/targets/ningbo-2019.yaml "
    "--scenario scenarios/calibrated/ningbo-2019-reform-calibrated.yaml --out out/score/ningbo-2019"
)

SCORECARD = pd.DataFrame(
    [
        ["settled_2019_reform", "seed 000: 12727人", 12727.0, 12500.0, 60.0, 11000.0, 14000.0, "PASS", True, None,
         "fit", True, "", "settled_persons", "persons", "±5%", 636.35, -227.0, -0.0178, 10],
        ["growth_on_2018", "seed 000: 同比增长19.1%", 0.191, 0.173, 0.013, 0.134, 0.248, "UNDETERMINED", False, 47,
         "fit", True, "", "growth", "share", "±0.03", 0.03, -0.018, -0.094, 10],
        ["share_aged_18_34", "seed 000: 近一半", 0.47, 0.358, 0.002, 0.348, 0.370, "FAIL", False, None,
         "holdout", False, "role", "share_aged_18_34", "share", "±0.05", 0.05, -0.112, -0.238, 10],
        ["formal_share_2018", "NBS 2012", 0.29, 0.238, 0.0001, 0.238, 0.239, "PASS", True, None,
         "holdout", False, "date", "formal_share", "share", "±0.15", 0.15, -0.052, -0.18, 10],
    ],
    columns=["target", "source", "observed", "fitted", "se", "low", "high", "verdict", "passed", "seeds_to_decide",
             "role", "seen_by_fit", "held_out_by", "indicator", "unit", "tolerance", "width", "error",
             "relative_error", "seeds"],
)  # fmt: skip
LEGACY_SCORECARD = SCORECARD[["target", "source", "observed", "fitted", "low", "high", "passed", "role", "indicator",
                              "unit", "tolerance", "error", "relative_error", "seeds"]]  # fmt: skip
PARAMETERS = pd.DataFrame(
    [
        ["behaviour.intention.application_rate", 0.05, 0.04, 0.06, "laplace", True, ""],
        ["cities.ningbo.migrants", 2_500_000.0, 1_000_000.0, 6_000_000.0, "laplace", False,
         "90% interval covers 100% of its bounds"],
    ],
    columns=["parameter", "fitted", "low", "high", "method", "identified", "note"],
)  # fmt: skip
WARNING = (
    "parameter cities.ningbo.migrants is not identified by the fit targets: 90% interval covers 100% of its bounds"
)
FIT = {
    "targets": "calibration/targets/ningbo-2019.yaml",
    "params": {"behaviour.intention.application_rate": 0.05, "cities.ningbo.migrants": 2_500_000.0},
    "loss": 12.5,
    "fit_seeds": [0, 1, 2],
    "scorecard_seeds": list(range(1000, 1010)),
    "warnings": [WARNING],
    "commit": "0123456789abcdef0123456789abcdef01234567",
    "dirty": False,
    "runs_computed": 40,
    "runs_from_store": 2,
    "wall_seconds": 437.0,
}
SENSITIVITY = pd.DataFrame(
    [
        [target, parameter, mu, mu / 10, mu / 2, scaled]
        for target, scaled_by in (("settled_2019_reform", 100.0), ("growth_on_2018", 1.0))
        for parameter, mu, scaled in (
            ("behaviour.intention.application_rate", 2.0, 2.0 * scaled_by),
            ("cities.ningbo.migrants", 0.5, 0.5 * scaled_by),
        )
    ],
    columns=["target", "parameter", "mu_star", "mu_star_conf", "sigma", "mu_star_scaled"],
)


@pytest.fixture
def results_root(tmp_path, monkeypatch):
    """An empty results root that the page reads instead of calibration/results/."""
    root = tmp_path / "results"
    root.mkdir()
    monkeypatch.setenv(calibration_view.RESULTS_ENV, str(root))
    return root


@pytest.fixture
def published(results_root):
    """Hand-written results of record: one failing fit target, one unidentified parameter, a warning."""
    directory = results_root / TARGETS_ID
    directory.mkdir()
    SCORECARD.to_csv(directory / "scorecard.csv", index=False)
    (directory / "scorecard.md").write_text("# Scorecard\n", encoding="utf-8")
    PARAMETERS.to_csv(directory / "parameters.csv", index=False)
    (directory / "fit.json").write_text(json.dumps(FIT, ensure_ascii=False), encoding="utf-8")
    SENSITIVITY.to_csv(directory / "sensitivity.csv", index=False)
    return directory


def _page(lang: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The first table with a column headed ``column``."""
    for table in at.table:
        frame = table.value.data if hasattr(table.value, "data") else table.value
        if column in frame.columns:
            return frame
    raise AssertionError(f"no table with a column {column!r}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_renders_with_its_title_and_the_targets(results_root, lang):
    at = _page(lang)
    assert at.title[0].value == t("app.calibration.title", lang)
    targets = _table(at, t("app.calibration.columns.figure", lang))
    assert "settled_2019_reform" in set(targets[t("app.calibration.columns.target", lang)])
    assert number(12_727, lang) in set(targets[t("app.calibration.columns.figure", lang)])
    free = _table(at, t("app.calibration.columns.prior", lang))
    declared = load_targets(calibration_view.TARGETS_DIR / "ningbo-2019.yaml").parameters
    assert set(free[t("app.calibration.columns.parameter", lang)]) == set(declared)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_results_the_page_says_so_and_gives_the_command(results_root, lang):
    at = _page(lang)
    assert t("app.calibration.no_results", lang, id=TARGETS_ID) in [i.value for i in at.info]
    commands = "\n".join(c.value for c in at.code)
    assert FIT_COMMAND in commands
    assert "python -m calibration sensitivity calibration/targets/ningbo-2019.yaml --save" in commands
    assert not at.image


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_published_results_show_scorecard_parameters_warnings_and_sensitivity(published, lang):
    at = _page(lang)
    verdict = t("app.calibration.column_verdict", lang)
    target = t("app.calibration.columns.target", lang)
    fitted, held = [
        (table.value.data if hasattr(table.value, "data") else table.value).set_index(target)
        for table in at.table
        if verdict in (table.value.data if hasattr(table.value, "data") else table.value).columns
    ]
    # fitted and held-out targets in separate tables
    assert list(fitted.index) == ["settled_2019_reform", "growth_on_2018"]
    assert list(held.index) == ["share_aged_18_34", "formal_share_2018"]
    assert fitted.loc["settled_2019_reform", verdict] == t("app.calibration.pass", lang)
    assert fitted.loc["growth_on_2018", verdict] == t("app.calibration.undetermined_seeds", lang, seeds=47)
    assert held.loc["share_aged_18_34", verdict] == t("app.calibration.fail", lang)
    assert held.loc["formal_share_2018", verdict] == t("app.calibration.pass", lang)
    by = t("app.calibration.column_held_out_by", lang)
    assert held.loc["share_aged_18_34", by] == t("app.calibration.held_out_role", lang)
    assert held.loc["formal_share_2018", by] == t("app.calibration.held_out_date", lang)
    assert t("app.calibration.column_held_out_by", lang) not in fitted.columns
    # standard errors: a count in persons, a share in percentage points
    se = t("app.calibration.column_se", lang)
    assert fitted.loc["settled_2019_reform", se] == "±60"
    assert fitted.loc["growth_on_2018", se] == t("app.format.points_pp", lang, value="±1.3")
    assert fitted.loc["growth_on_2018", t("app.calibration.columns.figure", lang)] == "19.1%"
    summary = t("app.calibration.verdicts", lang, fit_pass=1, fit_fail=0, fit_undetermined=1, holdout_pass=1,
                holdout_fail=1, holdout_undetermined=0)  # fmt: skip
    assert f"**{summary}**" in [m.value for m in at.markdown]
    captions = [c.value for c in at.caption]
    # two free parameters (fit.json) against two fitted figures: said in words
    assert t("app.calibration.by_construction", lang, free=2, fitted=2) in captions
    assert t("app.calibration.verdict_rule", lang, seeds=10) in captions
    assert not any(t("app.calibration.legacy_scorecard", lang) in w.value for w in at.warning)

    parameters = _table(at, t("app.calibration.columns.identified", lang))
    parameters = parameters.set_index(t("app.calibration.columns.parameter", lang))
    identified = parameters[t("app.calibration.columns.identified", lang)]
    assert identified["behaviour.intention.application_rate"] == t("app.calibration.identified_yes", lang)
    assert identified["cities.ningbo.migrants"].startswith(t("app.calibration.identified_no", lang))
    assert "100% of its bounds" in identified["cities.ningbo.migrants"]
    assert parameters.loc["behaviour.intention.application_rate", t("app.calibration.columns.fitted", lang)] == "0.05"

    assert any(WARNING in w.value for w in at.warning)
    assert len(at.image) == 2  # the scorecard chart and the sensitivity heat map
    labels = [b.label for b in at.get("download_button")]
    for key in ("scorecard_csv", "scorecard_md", "parameters_csv", "sensitivity_csv"):
        assert t(f"app.calibration.download.{key}", lang) in labels
    commands = "\n".join(c.value for c in at.code)
    assert "python -m calibration fit calibration/targets/ningbo-2019.yaml --seeds 3 --scorecard-seeds 10" in commands
    assert SCORE_COMMAND in commands
    provenance = "\n".join(m.value for m in at.markdown)
    assert "1000–1009" in provenance and calibration_view.duration(437, lang) in provenance
    tree = t("app.calibration.tree_clean", lang)
    assert t("app.calibration.provenance_commit", lang, commit="0123456789ab", tree=tree) in provenance


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_scorecard_of_record_without_standard_errors_says_so(published, lang):
    LEGACY_SCORECARD.to_csv(published / "scorecard.csv", index=False)
    at = _page(lang)
    assert any(t("app.calibration.legacy_scorecard", lang) in w.value for w in at.warning)
    assert SCORE_COMMAND in "\n".join(c.value for c in at.code)
    verdict = t("app.calibration.column_verdict", lang)
    tables = [table.value.data if hasattr(table.value, "data") else table.value for table in at.table]
    fitted = next(frame for frame in tables if verdict in frame.columns)
    # without a standard error the old mark is shown as it was, with no standard error beside it
    assert list(fitted[verdict]) == [t("app.calibration.pass", lang), t("app.calibration.fail", lang)]
    assert set(fitted[t("app.calibration.column_se", lang)]) == {"–"}


def test_a_sensitivity_alone_shows_the_fit_command_and_the_chart_of_record(results_root):
    directory = results_root / TARGETS_ID
    directory.mkdir()
    (directory / "sensitivity.png").write_bytes(
        plots.figure_png(calibration_view.sensitivity_figure(SENSITIVITY, "en"))
    )
    at = _page("en")
    assert t("app.calibration.no_fit", "en") in [i.value for i in at.info]
    assert FIT_COMMAND in "\n".join(c.value for c in at.code)
    assert len(at.image) == 1
    assert t("app.calibration.download.sensitivity_png", "en") in [b.label for b in at.get("download_button")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_draw_every_glyph(lang):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" would raise here
        for fig in (calibration_view.scorecard_figure(SCORECARD, lang),
                    calibration_view.scorecard_figure(LEGACY_SCORECARD, lang),
                    calibration_view.sensitivity_figure(SENSITIVITY, lang)):  # fmt: skip
            assert plots.figure_png(fig).startswith(b"\x89PNG")


def test_formats_and_commands():
    assert calibration_view.tolerance_width("±5%", 12727) == pytest.approx(636.35)
    assert calibration_view.tolerance_width("±0.03", 0.191) == pytest.approx(0.03)
    assert calibration_view.seed_range([1000, 1001, 1002]) == "1000–1002"
    assert calibration_view.seed_range([3, 7]) == "3, 7"
    assert calibration_view.duration(437, "en") == "7 min 17 s"
    assert calibration_view.duration(47, "zh") == "47秒"
    assert calibration_view.value_text(3_000_000, "persons", "zh") == "300万"
    assert calibration_view.value_text(0.191, "share", "en") == "19.1%"
    assert calibration_view.fit_command(TARGETS) == FIT_COMMAND
    targets = load_targets(TARGETS, check_scenario=False)
    default = {name for name, target in targets.targets.items() if target.use == "holdout"}
    card = pd.DataFrame({"target": list(targets.targets), "role": ["holdout"] * len(targets.targets)})
    command = calibration_view.fit_command(TARGETS, calibration_view.Results(scorecard=card, fit={}), targets)
    # Roles other than the targets file's go on the command line; the file's own need not.
    assert ("--holdout" in command) == (default != set(targets.targets))
    named = calibration_view.Results(fit={"command": "python -m calibration fit x.yaml --abc 200 --save"})
    assert calibration_view.fit_command(TARGETS, named) == "python -m calibration fit x.yaml --abc 200 --save"
    assert calibration_view.score_command(TARGETS, targets) == SCORE_COMMAND
