"""Route conditions over the person data, hand-computed from the rule texts."""

from __future__ import annotations

from pathlib import Path

from sim.explain import check
from sim.months import month_index
from sim.person import validate_person
from sim.rules.channels import evaluate_route
from sim.scenario import load_scenario
from sim.scenario.schema import Conditions
from tests.builders import age_birth_month, context, population

HERE = Path(__file__).parent


def test_under_the_statutory_retirement_age_of_each_sex():
    # Beijing 积分落户: below the statutory retirement age, which differs by sex (men 60, women 50
    # for workers): age_max_male 59, age_max_female 49.
    rule = Conditions(age_max_male=59, age_max_female=49)
    persons = [
        {"is_male": True, "birth_month": age_birth_month(59)},
        {"is_male": True, "birth_month": age_birth_month(60)},
        {"is_male": False, "birth_month": age_birth_month(49)},
        {"is_male": False, "birth_month": age_birth_month(50)},
        {"is_male": True, "birth_month": age_birth_month(55)},  # over the women's limit, under the men's
    ]
    result = evaluate_route("beijing", rule, context(population(*persons)))
    assert result.ok.tolist() == [True, False, True, False, True]
    by_condition = {check.condition: check for check in result.checks}
    assert by_condition["age_max_male"].have.tolist() == [59, 60, -1, -1, 55]
    assert by_condition["age_max_female"].ok.tolist() == [True, True, True, False, True]


SHANGHAI_AND_BEIJING = """
id: permit-conditions-test
title: {zh: 居转户测试, en: Permit conversion test}
extends: HISTORIES
source: "test fixture"
cities:
  a:
    rules:
      - from: 2000-01-01
        channels:
          permit_conversion:
            routes:
              seven_years: {residence_permit_total_months_min: 84, social_insurance_with_permit_months_min: 84}
          residence_employment:
            routes:
              insured: null
              seven_years_continuous: {social_insurance: {count: continuous, months: 84, back_paid_max: 5}}
"""


def test_a_lapse_in_year_four_passes_the_cumulative_permit_rule_and_fails_the_continuous_one(tmp_path):
    # Permit from 2010-07, social insurance 2010-07..2013-12 and 2014-11..2019-12: a 10-month lapse
    # (2014-01..2014-10) in the fourth year. Checked 2020-01: the permit held 2010-07..2019-12 = 114
    # months and social insurance while holding it 42 + 62 = 104 months, both at least 84 (Shanghai
    # 居转户: 7 years cumulative); the last 84 months (2013-01..2019-12) hold the lapse, so 7 years of
    # continuous social insurance (Beijing) fail.
    path = tmp_path / "permit.yaml"
    path.write_text(SHANGHAI_AND_BEIJING.replace("HISTORIES", str(HERE / "histories.yaml")), encoding="utf-8")
    scenario = load_scenario(path)
    record = validate_person(
        {
            "birth": "1985-05",
            "sex": "female",
            "education": {"level": "bachelor", "graduated": "2008-07"},
            "origin": {"hukou": "urban", "province": "anhui"},
            "arrived": {"a": "2010-01"},
            "social_insurance": {"a": ["2010-07..2013-12", "2014-11..2019-12"]},
            "residence_permit": {"a": "2010-07"},
        },
        {},
        "<test>",
    )
    report = check(scenario, "a", month_index(2020, 1), record)
    verdicts = {verdict.channel: verdict for verdict in report.channels}
    assert verdicts["permit_conversion"].eligible
    assert not verdicts["residence_employment"].eligible
    (route,) = verdicts["permit_conversion"].routes
    have = {c.condition: c.have for c in route.conditions}
    assert have["residence_permit_total_months_min"] == 114
    assert have["social_insurance_with_permit_months_min"] == 104
