"""Hand-computed ``sim check`` cases from seed 000 (Ningbo, before and after the 2019-09-15 reform).

Seed 000 (宁波户口新政施行两个月 12727人受益落户宁波) lists what the reform changed: talent
settlement for graduates within 15 years; 专科学历或中级技能 6 months of contributions instead
of a continuous year; residence-and-employment settlement after 36 months within 4 years
instead of 5 continuous years; no 18 m² per capita for parents joining a child; a new rental
channel after 5 years of employment and residence in the same community.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import PersonFileError, ScenarioError
from sim.explain import CheckReport, check, format_report, run_check
from sim.months import month_index
from sim.person import load_person
from sim.scenario import load_scenario

HERE = Path(__file__).parent
CASES = HERE / "cases"
EXAMPLE = HERE.parents[1] / "docs" / "examples" / "person-xie.yaml"
OCT_2019 = month_index(2019, 10)


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("ningbo-2018-baseline")


@pytest.fixture(scope="module")
def reform():
    return load_scenario("ningbo-2019-reform")


def run(scenario, case: str, month: int = OCT_2019) -> CheckReport:
    return check(scenario, "ningbo", month, load_person(CASES / f"{case}.yaml"))


def texts(report: CheckReport, channel: str, route: str) -> list[str]:
    (found,) = [r for r in report.channel(channel).routes if r.route == route]
    return [c.text for c in found.conditions]


def route_ok(report: CheckReport, channel: str, route: str) -> bool:
    (found,) = [r for r in report.channel(channel).routes if r.route == route]
    return found.eligible


# ------------------------------------------------------------------------------------ seed cases


def test_graduate_of_2008_is_talent_under_reform_only(baseline, reform):
    after = run(reform, "graduate_2008")
    assert after.eligible_channels == ["talent"]
    assert route_ok(after, "talent", "graduate_within_15_years")
    assert "graduated 2008-07, 11 years 3 months ago, needs graduation within 15 years ✓" in texts(
        after, "talent", "graduate_within_15_years"
    )
    before = run(baseline, "graduate_2008")
    assert before.eligible_channels == []
    assert "graduated 2008-07, 11 years 3 months ago, needs graduation within 1 year ✗" in texts(
        before, "talent", "fresh_graduate"
    )
    assert "continuous social insurance: 0/12 months, broken at 2019-09 (unpaid) ✗" in texts(
        before, "talent", "college"
    )


def test_two_month_gap_passes_36_in_48_but_breaks_continuous_60(baseline, reform):
    after = run(reform, "gap_5_months_ago")
    assert after.channel("residence_employment").eligible
    (condition,) = [c for c in after.channel("residence_employment").routes[0].conditions if c.condition != "adult"]
    assert (condition.ok, condition.have, condition.need) == (True, 40, 36)
    assert condition.text == (
        "cumulative social insurance: 40 months paid within the last 48 (2015-10..2019-09), 36 needed ✓"
    )
    before = run(baseline, "gap_5_months_ago")
    verdict = before.channel("residence_employment")
    assert not verdict.eligible
    (condition,) = [c for c in verdict.routes[0].conditions if c.condition == "social_insurance"]
    # The run from 2019-09 back is 4 months (2019-06..2019-09); the latest unpaid month is 2019-05.
    assert (condition.ok, condition.have, condition.need) == (False, 4, 60)
    assert condition.detail["broken_at"] == "2019-05"
    assert condition.text == "continuous social insurance: 4/60 months, broken at 2019-05 (unpaid) ✗"


def test_college_with_6_of_12_months_is_talent_under_reform_only(baseline, reform):
    after = run(reform, "college_6_of_12")
    assert after.eligible_channels == ["talent"]
    assert route_ok(after, "talent", "college")
    assert not route_ok(after, "talent", "graduate_within_15_years")  # graduated 16 years 3 months ago
    assert "cumulative social insurance: 6 months paid within the last 12 (2018-10..2019-09), 6 needed ✓" in texts(
        after, "talent", "college"
    )
    before = run(baseline, "college_6_of_12")
    assert not before.channel("talent").eligible
    assert "continuous social insurance: 0/12 months, broken at 2019-09 (unpaid) ✗" in texts(
        before, "talent", "college"
    )


def test_parent_with_15_m2_per_capita_joins_child_under_reform_only(baseline, reform):
    before = run(baseline, "parent_joins_child")
    family = before.channel("family")
    assert not family.eligible
    parent_texts = texts(before, "family", "parent")
    assert "joins a settled child (as their parent): yes ✓" in parent_texts
    assert "age: 65, needs 60 or over ✓" in parent_texts
    assert "floor area per capita: 15.0 m² (60 m² / 4 persons), needs 18 m² ✗" in parent_texts
    after = run(reform, "parent_joins_child")
    assert after.eligible_channels == ["family"]
    assert route_ok(after, "family", "parent")
    assert not route_ok(after, "family", "spouse")


def test_rental_channel_after_five_years_in_one_community(baseline, reform):
    after = run(reform, "rental_five_years")
    assert after.eligible_channels == ["rental"]
    rental = after.channel("rental")
    assert rental.collective_household
    assert texts(after, "rental", "same_community")[1:] == [
        "employment in the city: 62 months, needs 60 ✓",
        "same community: 60 months since 2014-10, needs 60 ✓",
        "housing tenure: rent, needs rent ✓",
    ]
    assert "settles into a collective household" in format_report(after)
    before = run(baseline, "rental_five_years")
    assert "rental" not in [c.channel for c in before.channels]  # no rental channel before 2019-09-15
    assert before.eligible_channels == []


def test_back_paid_months_break_a_continuous_rule_without_cap(baseline, reform):
    before = run(baseline, "back_paid")
    assert not before.channel("talent").eligible
    assert "continuous social insurance: 12/12 months, but 2 of them back-paid where at most 0 may be ✗" in texts(
        before, "talent", "college"
    )
    after = run(reform, "back_paid")
    assert route_ok(after, "talent", "college")  # cumulative rules count back-paid months as paid


def test_ms_xie_example(baseline, reform):
    record = load_person(EXAMPLE)
    september = month_index(2019, 9)
    after = check(reform, "ningbo", september, record)
    assert after.eligible_channels == ["talent"]
    assert after.rules_from == "2019-09-15"
    before = check(baseline, "ningbo", september, record)
    assert before.eligible_channels == []
    talent = before.channel("talent")
    assert talent.eligible_if_gaps_filled
    assert "continuous social insurance: 6/12 months, broken at 2019-02 (unpaid) ✗" in texts(
        before, "talent", "college"
    )


def test_months_in_a_recognised_region_count():
    scenario = load_scenario(HERE / "two-cities.yaml")
    report = check(scenario, "ningbo", OCT_2019, load_person(CASES / "two_cities.yaml"))
    assert report.channel("residence_employment").eligible
    (text,) = texts(report, "residence_employment", "social_insurance")[1:]
    assert text.startswith("cumulative social insurance (with months paid in yrd): 47 months paid")
    assert "Months paid in hangzhou count where a rule recognises yrd." in report.notes
    assert "Months paid in shanghai do not count here: no rule in force recognises them." in report.notes


def test_points_scheme_reports_total_items_and_round():
    scenario = load_scenario(HERE / "points-scenario.yaml")
    report = check(scenario, "ningbo", month_index(2019, 9), load_person(EXAMPLE))
    points = report.points
    assert points is not None
    assert points.by_item == pytest.approx({"social_insurance": 35 / 12 * 3, "education": 20, "age": 10, "renting": 2})
    assert points.total == pytest.approx(40.75)
    assert (points.threshold, points.meets_threshold, points.quota_persons) == (30, True, 5000)
    assert points.next_round == "2020-06"
    assert report.channel("points").eligible
    text = format_report(report)
    assert "  score: 40.75 points" in text
    assert "    social_insurance: 8.75 (social_insurance_months = 35)" in text
    assert "threshold 30 ✓; quota 5,000 persons per round" in text
    assert "next round 2020-06" in text


# ------------------------------------------------------------------------------------- rendering


def test_text_report_lists_verdicts_and_reasons(baseline):
    text = format_report(run(baseline, "gap_5_months_ago"))
    assert text.startswith("Can this person settle in Ningbo (ningbo) in 2019-10?")
    assert "Eligible: none" in text
    # 43 months in Ningbo: even paying every one of them would not make 60 continuous months.
    assert "residence_employment: not eligible\n" in text
    assert "  route social_insurance: fails on social_insurance" in text
    assert "    continuous social insurance: 4/60 months, broken at 2019-05 (unpaid) ✗" in text
    with pytest.raises(ValueError, match="lang='en' only"):
        format_report(run(baseline, "gap_5_months_ago"), lang="fr")


def test_json_output_structure():
    text, status = run_check("ningbo-2019-reform", "ningbo", "2019-10", str(CASES / "gap_5_months_ago.yaml"), True)
    assert status == 0
    data = json.loads(text)
    assert {"scenario", "city", "month", "rules_from", "person", "channels", "points", "notes"} <= set(data)
    assert (data["scenario"], data["city"], data["month"]) == ("ningbo-2019-reform", "ningbo", "2019-10")
    assert data["eligible_channels"] == ["residence_employment"]
    assert data["points"] is None
    channel = next(c for c in data["channels"] if c["channel"] == "residence_employment")
    assert {"channel", "in_force", "eligible", "routes"} <= set(channel)
    route = channel["routes"][0]
    assert route["route"] == "social_insurance"
    assert route["failed"] == []
    condition = route["conditions"][1]
    assert {"condition", "ok", "have", "need", "text", "detail"} <= set(condition)
    assert (condition["condition"], condition["ok"], condition["have"], condition["need"]) == (
        "social_insurance",
        True,
        40,
        36,
    )
    assert condition["detail"]["window"] == 48
    talent = next(c for c in data["channels"] if c["channel"] == "talent")
    education = talent["routes"][0]["conditions"][1]
    assert (education["have"], education["need"]) == ("junior_secondary", "college")


def test_cli_check_prints_the_report(capsys):
    status = main(
        [
            "check",
            "ningbo-2019-reform",
            "--city",
            "ningbo",
            "--date",
            "2019-10",
            "--person",
            str(CASES / "graduate_2008.yaml"),
        ]
    )
    assert status == 0
    assert "talent: ELIGIBLE (by graduate_within_15_years)" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------- errors


def test_unknown_city_lists_the_cities(reform):
    with pytest.raises(ScenarioError) as err:
        check(reform, "ningpo", OCT_2019, load_person(EXAMPLE))
    assert "has no city 'ningpo'" in str(err.value)
    assert "did you mean 'ningbo'? cities in this scenario: ningbo" in str(err.value)


def test_no_rules_in_force_before_the_first_rule_set(reform):
    with pytest.raises(ScenarioError) as err:
        check(reform, "ningbo", month_index(2017, 6), load_person(CASES / "graduate_2008.yaml"))
    assert "no rules are in force in 2017-06: the first rule set governs from 2018-01" in str(err.value)


def test_bad_date_and_bad_person_file_through_run_check(capsys):
    with pytest.raises(ScenarioError, match="--date"):
        run_check("ningbo-2019-reform", "ningbo", "2019-13", str(EXAMPLE), False)
    with pytest.raises(PersonFileError):
        run_check("ningbo-2019-reform", "ningbo", "2019-10", str(HERE / "broken" / "unknown_key.yaml"), False)
    status = main(
        ["check", "ningbo-2019-reform", "--city", "ningbo", "--date", "2019-10", "--person", str(HERE / "nobody.yaml")]
    )
    assert status == 1
    assert "file not found" in capsys.readouterr().err


# ----------------------------------------------------------------------------------- transitions


def test_prospective_rules_count_only_months_from_their_start():
    scenario = load_scenario(
        "ningbo-2019-reform", overrides={"cities.ningbo.rules[1].transition": {"mode": "prospective"}}
    )
    report = check(scenario, "ningbo", OCT_2019, load_person(CASES / "gap_5_months_ago.yaml"))
    assert not report.channel("residence_employment").eligible
    (text,) = texts(report, "residence_employment", "social_insurance")[1:]
    assert text == (
        "cumulative social insurance: 1 months paid within the last 48 (2019-09..2019-09), 36 needed, 35 short ✗"
    )
    assert "These rules count only contribution months from 2019-09 (prospective)." in report.notes


def test_grandfathered_channel_stays_eligible_until_the_period_ends():
    stricter = {"social_insurance": {"social_insurance": {"count": "cumulative", "months": 100, "window": 120}}}
    scenario = load_scenario(
        "ningbo-2019-reform",
        overrides={
            "cities.ningbo.rules[1].transition": {"mode": "grandfather", "grandfather_months": 6},
            "cities.ningbo.rules[1].channels.residence_employment.routes": stricter,
        },
    )
    record = load_person(HERE / "cases" / "five_years_paid.yaml")
    during = check(scenario, "ningbo", month_index(2019, 11), record)
    verdict = during.channel("residence_employment")
    assert verdict.eligible
    assert not verdict.routes[0].eligible  # the new route alone would not admit
    assert verdict.grandfathered_until == "2020-03"
    assert "residence_employment: ELIGIBLE (grandfathered until 2020-03)" in format_report(during)
    after = check(scenario, "ningbo", month_index(2020, 3), record)
    assert not after.channel("residence_employment").eligible
