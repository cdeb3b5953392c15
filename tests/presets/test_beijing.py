"""Beijing 积分落户 (megacity_points_schemes.yaml beijing): hand-computed ``sim check`` cases.

No outcome of 2020 or later (cut-offs, admitted lists) is used: the cases check rules only.
"""

from __future__ import annotations

import pytest

from tests.presets.helpers import condition, run

BEIJING = "beijing-points"


def test_points_item_by_item_under_the_2020_rules():
    """The January 2021 round under the 2020 rules, everything counted to 2020-12-31.

    - social insurance 1999-01..2020-12 = 264 months, less 34 paid while studying for the master's
      (2003-09..2006-06) = 230 months × 3 / 12 = 57.5;
    - residence 1998-07..2020-12 = 270 months: owned since 2012-03 = 106 months × 1 / 12 = 8.8333;
      rented 164 less the 34 of the study period = 130 × 0.5 / 12 = 5.4167 (both under the 230
      months of social insurance that cap them);
    - education, master: 26;
    - area, counted from 2018-01 under the 2020 rules: living outside the six core districts
      (Changping) 36 months × 2 / 12 = 6; working there 36 × 1 / 12 = 3;
    - income tax >= 100,000 yuan in 2018 and 2020 of the last three years: 2 × 2 = 4;
    - age by birth year at 2020-12-31: 2020 - 1974 = 46, the 2020 gradient gives 16;
    - innovation, honours, law record: 0.
    Total 126.75.
    """
    report = run(BEIJING, "beijing", "2021-01", "beijing_master_2021")
    assert report.points.by_item == pytest.approx(
        {
            "social_insurance": 57.5,
            "residence_owned": 8.8333,
            "residence_rented": 5.4167,
            "education": 26,
            "area_home": 6,
            "area_work": 3,
            "innovation": 0,
            "tax": 4,
            "age": 16,
            "honours": 0,
            "law_record": 0,
        },
        abs=1e-4,
    )
    assert report.points.total == pytest.approx(126.75, abs=1e-4)
    assert report.points.preconditions_met


def test_the_trial_rules_score_the_same_person_without_the_deduction():
    """The January 2020 round (trial rules, counted to 2019-12-31): no study deduction, area from 2017-01.

    Social insurance 1999-01..2019-12 = 252 months × 3 / 12 = 63; owned 2012-03..2019-12 = 94 months
    = 7.8333; rented 164 × 0.5 / 12 = 6.8333; area from 2017-01: home 36 months = 6, work 36 = 3;
    age in completed years at 2020-01: 45 (born 1974-03) = 20; tax: 2018 only of 2017..2019 = 2.
    """
    report = run(BEIJING, "beijing", "2020-01", "beijing_master_2021")
    by_item = report.points.by_item
    assert by_item["social_insurance"] == pytest.approx(63)
    assert by_item["residence_owned"] == pytest.approx(94 / 12, abs=1e-4)
    assert by_item["residence_rented"] == pytest.approx(164 * 0.5 / 12, abs=1e-4)
    assert (by_item["area_home"], by_item["area_work"], by_item["age"], by_item["tax"]) == (6, 3, 20, 2)


def test_a_lapse_in_year_four_breaks_the_seven_continuous_years():
    """Beijing needs 7 years of continuous social insurance: the 84 months before 2020-01
    (2013-01..2019-12) hold the unpaid lapse 2015-01..2015-10, so the precondition fails, while
    Shanghai's cumulative rule admits the same history (tests/presets/test_shanghai.py)."""
    report = run(BEIJING, "beijing", "2020-01", "beijing_lapse_year_four")
    verdict = condition(report, "points", "eligibility", "social_insurance")
    assert not verdict.ok
    assert not report.points.preconditions_met
