"""Shanghai 居转户 (megacity_points_schemes.yaml shanghai.permit_to_hukou): hand-computed ``sim check`` cases."""

from __future__ import annotations

from tests.presets.helpers import condition, run

SHANGHAI = "shanghai-permit-to-hukou"


def test_a_lapse_in_year_four_still_meets_the_cumulative_seven_years():
    """7 years holding the permit and 7 years of social insurance while holding it, both cumulative.

    Permit since 2011-07, checked 2020-01: 2011-07..2019-12 = 6 + 8 × 12 = 102 months ≥ 84. Social
    insurance while holding it: 2011-07..2014-12 (42) + 2015-11..2019-12 (50) = 92 ≥ 84, although
    2015-01..2015-10 (the permit's fourth year) is a 10-month lapse. Technician: skill ≥ technician.
    """
    report = run(SHANGHAI, "shanghai", "2020-01", "shanghai_lapse_year_four")
    assert report.eligible_channels == ["permit_conversion"]
    permit = condition(report, "permit_conversion", "seven_years", "residence_permit_total_months_min")
    insured = condition(report, "permit_conversion", "seven_years", "social_insurance_with_permit_months_min")
    assert (permit.have, permit.need) == (102, 84)
    assert (insured.have, insured.need) == (92, 84)
