"""One test per kind of scenario error: each loads a small broken file and checks that the
problem names the right file, key path and line, says what is wrong and how to fix it.

The broken files live in ``tests/scenario/broken/`` (each says in a comment what is wrong with
it); files that must be written on the fly (cycles, empty files) go to ``tmp_path``. Lines are
found by a fragment of the offending line, so that editing a fixture's comments does not
break the tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import Problem, ScenarioError
from sim.scenario import load_scenario

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken"
BASE = HERE.parents[1] / "scenarios" / "base" / "china-migrants.yaml"


def problems_of(path: Path | str, **kwargs: object) -> list[Problem]:
    """Load ``path`` expecting a ScenarioError; return its problems."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, **kwargs)
    problems = caught.value.problems
    assert problems, "a ScenarioError must list at least one problem"
    return problems


def line_of(path: Path, fragment: str) -> int:
    """The 1-based line of ``path`` that contains ``fragment`` (which must be on one line only)."""
    lines = [n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in text]
    assert len(lines) == 1, f"{fragment!r} should be on exactly one line of {path.name}, found on {lines}"
    return lines[0]


def expect_one(
    path: Path,
    key_path: str,
    line: str | None,
    message: tuple[str, ...] = (),
    hint: tuple[str, ...] = (),
    **kwargs: object,
) -> Problem:
    """Load ``path``; check that it has exactly one problem, where and what it should be.

    ``line`` is a fragment of the offending line (None: the problem has no line).
    """
    problems = problems_of(path, **kwargs)
    assert len(problems) == 1, "expected one problem, got:\n" + "\n".join(map(str, problems))
    problem = problems[0]
    assert_problem(problem, path, key_path, line, message, hint)
    return problem


def assert_problem(
    problem: Problem,
    path: Path,
    key_path: str,
    line: str | None,
    message: tuple[str, ...] = (),
    hint: tuple[str, ...] = (),
) -> None:
    assert Path(problem.file).resolve() == path.resolve(), problem
    assert problem.path == key_path, problem
    assert problem.line == (line_of(path, line) if line is not None else None), problem
    for fragment in message:
        assert fragment in problem.message, problem
    for fragment in hint:
        assert fragment in problem.hint, problem


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ unknown keys


def test_unknown_key_suggests_the_nearest_valid_key() -> None:
    path = BROKEN / "unknown_key.yaml"
    expect_one(
        path,
        "sourse",
        "sourse:",
        message=("unknown key 'sourse'",),
        hint=("did you mean 'source'?",),
    )


def test_unknown_key_deep_in_a_channel_route_is_located_and_corrected() -> None:
    path = BROKEN / "unknown_route_key.yaml"
    expect_one(
        path,
        "cities.testcity.rules[0].channels.talent.routes.college.educaton_min",
        "educaton_min:",
        message=("unknown key 'educaton_min'",),
        hint=("did you mean 'education_min'?",),
    )


def test_renamed_key_is_answered_with_its_current_spelling() -> None:
    path = BROKEN / "renamed_key.yaml"
    expect_one(
        path,
        "cities.testcity.rules[0].channels.points.quota",
        "quota: 3000",
        message=("unknown key 'quota'",),
        hint=("rounds.quota_persons",),
    )


# ---------------------------------------------------------------------------------- types, ranges


def test_wrong_type() -> None:
    path = BROKEN / "wrong_type.yaml"
    expect_one(
        path,
        "cities.example.migrants",
        "migrants: lots",
        message=("valid integer", "Got 'lots'"),
    )


def test_negative_months_are_out_of_range() -> None:
    path = BROKEN / "negative_months.yaml"
    expect_one(path, "months", "months: -3", message=("greater than or equal to 1", "Got -3"))


def test_cumulative_window_shorter_than_its_months() -> None:
    path = BROKEN / "window_shorter_than_months.yaml"
    expect_one(
        path,
        "cities.testcity.rules[0].channels.residence_employment.routes.social_insurance.social_insurance",
        "window: 12",
        message=("window (12) must be at least months (36)",),
    )


def test_continuous_rule_with_a_window() -> None:
    path = BROKEN / "continuous_with_window.yaml"
    expect_one(
        path,
        "cities.testcity.rules[0].channels.residence_employment.routes.social_insurance.social_insurance",
        "count: continuous",
        message=("a continuous rule has no window", "count: cumulative"),
    )


def test_missing_required_key_is_reported_at_its_parent() -> None:
    path = BROKEN / "missing_key.yaml"
    expect_one(
        path,
        "cities.testcity.migrants",
        "testcity:",
        message=("is required but missing",),
        hint=("docs/scenarios.md",),
    )


def test_missing_top_level_keys_of_a_complete_file_are_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path / "complete.yaml",
        "id: incomplete\n"
        "title: {zh: 不完整, en: Incomplete}\n"
        "source: test\n"
        "start: 2018-01\n"
        "cities:\n"
        "  alpha:\n"
        "    name: {zh: 甲, en: Alpha}\n"
        "    migrants: 10\n"
        "    rules: [{from: 2018-01-01}]\n",
    )
    problems = problems_of(path)
    assert {p.path for p in problems} == {"months", "population", "behaviour"}
    for problem in problems:
        assert_problem(problem, path, problem.path, "id: incomplete", ("is required but missing",))


# ------------------------------------------------------------------------------------ months, dates


def test_bad_month_format() -> None:
    path = BROKEN / "bad_month.yaml"
    problem = expect_one(
        path,
        "start",
        "start: Jan 2018",
        message=("expected a month 'YYYY-MM' or a date 'YYYY-MM-DD'", "'Jan 2018'"),
    )
    assert problem.message.count("Jan 2018") == 1, "the value found is quoted once"


def test_impossible_calendar_date_is_a_problem_not_a_crash() -> None:
    # YAML reads 2019-13-01 as a timestamp; PyYAML itself raises a bare ValueError for it.
    path = BROKEN / "bad_date.yaml"
    expect_one(
        path,
        "cities.testcity.rules[0].from",
        "from: 2019-13-01",
        message=("expected a date 'YYYY-MM-DD'", "'2019-13-01'"),
    )


# ---------------------------------------------------------------------------------- the timeline


def test_rule_sets_out_of_date_order_survive_the_merge_with_the_parent() -> None:
    path = BROKEN / "rules_out_of_order.yaml"
    # rules[0] is the parent's 2018-01-01 rule set; this file's two follow in its own order.
    expect_one(
        path,
        "cities.example.rules[2].from",
        "from: 2019-01-01",
        message=("strictly increasing date order", "2019-01-01 does not come after 2020-01-01"),
        hint=("sort them",),
    )


def test_two_rule_sets_on_one_date_in_one_file_are_not_merged_silently() -> None:
    path = BROKEN / "duplicate_rule_date.yaml"
    expect_one(
        path,
        "cities.example.rules[2].from",
        "the same date again",
        message=("2019-01-01 does not come after 2019-01-01",),
        hint=("merge rule sets with the same date",),
    )


def test_a_parents_rule_date_repeated_in_one_file_is_not_merged_twice(tmp_path: Path) -> None:
    path = write(
        tmp_path / "twice.yaml",
        f"""\
id: twice
extends: {BASE.as_posix()}
cities:
  example:
    rules:
      - from: 2018-01-01
        channels: {{open: {{processing_months: 1}}}}
      - from: 2018-01-01   # again
        channels: {{open: {{processing_months: 2}}}}
""",
    )
    (problem,) = problems_of(path)
    assert Path(problem.file).resolve() == path.resolve()
    assert problem.path.startswith("cities.example.rules[")
    assert problem.path.endswith("].from")
    assert "2018-01-01 does not come after 2018-01-01" in problem.message


def test_undeclared_region_in_recognised_in_is_reported_once() -> None:
    # The route is inherited by the second rule set; the problem is reported where it is written.
    path = BROKEN / "undeclared_region.yaml"
    expect_one(
        path,
        "cities.testcity.rules[0].channels.residence_employment.routes.social_insurance.social_insurance.recognised_in",
        "recognised_in: [yangtze_delta]",
        message=("names region 'yangtze_delta', which is not declared",),
        hint=("declare it under 'regions:'", "declared: none"),
    )


def test_tie_break_item_naming_no_item_of_the_scheme() -> None:
    path = BROKEN / "tie_break_unknown_item.yaml"
    expect_one(
        path,
        "cities.testcity.rules[0].channels.points.rounds.tie_break_item",
        "tie_break_item: educaton",
        message=("names item 'educaton'", "['education', 'social_insurance']"),
        hint=("did you mean 'education'?",),
    )


def test_points_channel_without_rounds() -> None:
    path = BROKEN / "points_without_rounds.yaml"
    expect_one(
        path,
        "cities.testcity.rules[0].channels.points.rounds",
        "# no rounds",
        message=("points channel in force from 2018-01 has no rounds",),
        hint=("add rounds:",),
    )


def test_rounds_without_quota_or_threshold_and_tie_rule_without_item() -> None:
    path = BROKEN / "rounds_incomplete.yaml"
    quota, tie = problems_of(path)
    base = "cities.testcity.rules[0].channels.points.rounds"
    assert_problem(quota, path, base, "rounds:", ("needs a quota_persons, a threshold, or both",), ("quota_persons",))
    assert_problem(
        tie,
        path,
        f"{base}.tie",
        "tie: break_by_item",
        ("needs tie_break_item",),
        ("one of ['social_insurance']",),
    )


# ------------------------------------------------------------------------------------- extends


def test_extends_a_missing_file_suggests_the_nearest() -> None:
    path = BROKEN / "extends_missing.yaml"
    expect_one(
        path,
        "extends",
        "extends:",
        message=("no scenario '../../../scenarios/base/china-migrant' found",),
        hint=("did you mean '../../../scenarios/base/china-migrants'?",),
    )


def test_extends_a_misspelt_preset_id_suggests_the_preset(tmp_path: Path) -> None:
    path = write(tmp_path / "variant.yaml", "id: variant\nextends: ningbo-2018-basline\n")
    expect_one(path, "extends", "extends:", hint=("did you mean 'ningbo-2018-baseline'?",))


def test_extends_cycle(tmp_path: Path) -> None:
    first = write(tmp_path / "first.yaml", "id: first\nextends: second\n")
    second = write(tmp_path / "second.yaml", "id: second\nsource: test\nextends: first.yaml\n")
    problem = problems_of(first)[0]
    assert_problem(
        problem,
        second,
        "extends",
        "extends: first.yaml",
        ("cycle", "first.yaml → second.yaml → first.yaml"),
        ("remove 'extends'",),
    )


def test_a_file_extending_itself(tmp_path: Path) -> None:
    path = write(tmp_path / "self.yaml", "id: self\nextends: self\n")
    expect_one(path, "extends", "extends:", message=("self.yaml → self.yaml",))


def test_problem_in_a_parent_names_the_parent_file_and_line(tmp_path: Path) -> None:
    parent = write(tmp_path / "parent.yaml", f"id: parent\nextends: {BASE.as_posix()}\nmonths: 0\n")
    child = write(tmp_path / "child.yaml", "id: child\nextends: parent\n")
    (problem,) = problems_of(child)
    assert_problem(problem, parent, "months", "months: 0", ("greater than or equal to 1", "Got 0"))


# ---------------------------------------------------------------------------------- YAML itself


def test_invalid_yaml_syntax_reports_the_line() -> None:
    path = BROKEN / "invalid_yaml.yaml"
    expect_one(
        path,
        "",
        "agents: 1000",
        message=("is not valid YAML", "mapping values are not allowed"),
        hint=("indentation",),
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [("", "an empty file"), ("# only a comment\n", "an empty file"), ("- a\n- list\n", "list")],
)
def test_empty_or_non_mapping_file(tmp_path: Path, text: str, found: str) -> None:
    path = write(tmp_path / "empty.yaml", text)
    expect_one(path, "", None, message=(f"must be a mapping of keys, got {found}",))


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    expect_one(path, "", None, message=("file not found",), hint=("check the path",))


# -------------------------------------------------------------------------- population, regions


def test_shares_not_summing_to_one() -> None:
    path = BROKEN / "shares_not_summing.yaml"
    expect_one(
        path,
        "population.education_shares",
        "education_shares:",
        message=("education_shares must be non-negative and sum to 1", "1.1000"),
    )


def test_bad_age_band() -> None:
    path = BROKEN / "bad_age_band.yaml"
    expect_one(
        path,
        "population.age_band_shares",
        "age_band_shares:",
        message=("age band '51 and over'", "'21-30' or '51+'"),
    )


def test_region_naming_an_unknown_city() -> None:
    path = BROKEN / "region_unknown_city.yaml"
    expect_one(
        path,
        "regions",
        "regions:",
        message=("region 'yangtze_delta' names ['shanghai']", "not in 'cities' (['example'])"),
    )


# ------------------------------------------------------------------------------- all at once


def test_several_errors_in_one_file_are_all_reported_together() -> None:
    path = BROKEN / "several_errors.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = caught.value
    route = "cities.testcity.rules[0].channels.talent.routes.college"
    expected = {
        ("sourse", "sourse:"),
        ("months", "months: -3"),
        ("cities.testcity.migrants", "migrants: lots"),
        ("cities.testcity.rules[0].from", "effective_from:"),
        ("cities.testcity.rules[0].effective_from", "effective_from:"),
        (f"{route}.educaton_min", "educaton_min:"),
        (f"{route}.social_insurance", "educaton_min:"),
    }
    found = {(p.path, p.line) for p in error.problems}
    assert found == {(key, line_of(path, fragment)) for key, fragment in expected}
    assert all(Path(p.file).resolve() == path.resolve() for p in error.problems)
    hints = {p.path: p.hint for p in error.problems}
    assert hints["sourse"] == "did you mean 'source'?"
    assert hints[f"{route}.educaton_min"] == "did you mean 'education_min'?"
    assert "from" in hints["cities.testcity.rules[0].effective_from"]
    text = str(error)
    assert text.startswith("7 problems found:")
    assert all(str(problem) in text for problem in error.problems)


# --------------------------------------------------------------------------------- overrides


def test_override_with_a_path_that_leads_nowhere() -> None:
    (problem,) = problems_of(BASE, overrides={"behaviour.intention.nowhere.rate": 0.1})
    assert problem.file == "<overrides>"
    assert problem.path == "behaviour.intention.nowhere.rate"
    assert "does not lead to a value" in problem.message
    assert "[i]" in problem.hint


def test_override_with_an_unknown_final_key_suggests_the_nearest() -> None:
    (problem,) = problems_of(BASE, overrides={"behaviour.intention.aplication_rate": 0.1})
    assert problem.file == "<overrides>"
    assert problem.path == "behaviour.intention.aplication_rate"
    assert problem.hint == "did you mean 'application_rate'?"


def test_override_with_a_bad_value_is_blamed_on_the_override_not_the_file() -> None:
    (problem,) = problems_of(BASE, overrides={"behaviour.intention.application_rate": 2.0})
    assert problem.file == "<overrides>"
    assert problem.path == "behaviour.intention.application_rate"
    assert "less than or equal to 1" in problem.message
    assert "Got 2.0" in problem.message


def test_problem_text_names_file_line_path_message_and_hint() -> None:
    problem = Problem("a.yaml", "cities.x.migrants", "must be an integer.", 7, "write a number")
    assert str(problem) == "a.yaml:7: 'cities.x.migrants': must be an integer. Hint: write a number"
    assert str(Problem("a.yaml", "", "is empty.")) == "a.yaml: is empty."
