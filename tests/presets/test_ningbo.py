"""Ningbo presets (seed 000, seed 001): hand-computed ``sim check`` cases.

The four 2019 presets — baseline, reform and the two single-change variants — are checked on
the same four persons applying in September 2019 (the reform of 2019-09-15 governs
September; the history counts to 2019-08). The table says which part of the reform admits
whom:

=============================  ========  =============  ==============  ======
person                         baseline  counting only  durations only  reform
=============================  ========  =============  ==============  ======
Ms Xie (2-month gap, talent)   no        yes            yes             yes
college 2000, job change       no        no             no              yes
worker, 2-month lapse (RE)     no        yes            no              yes
worker, 3 steady years (RE)    no        no             yes             yes
=============================  ========  =============  ==============  ======
"""

from __future__ import annotations

import pytest

from tests.presets.helpers import condition, run

BASELINE, REFORM = "ningbo-2018-baseline", "ningbo-2019-reform"
COUNTING, DURATIONS = "ningbo-2019-counting-only", "ningbo-2019-durations-only"
TIMELINE = "ningbo-2020-2023"
LOCAL = "ningbo-2019-reform-local-population"  # the reform's rules with Ningbo's own population

TABLE = {
    "ningbo_xie_2019": {BASELINE: [], COUNTING: ["talent"], DURATIONS: ["talent"], REFORM: ["talent"]},
    "ningbo_college_job_change": {BASELINE: [], COUNTING: [], DURATIONS: [], REFORM: ["talent"]},
    "ningbo_two_month_lapse": {
        BASELINE: [],
        COUNTING: ["residence_employment"],
        DURATIONS: [],
        REFORM: ["residence_employment"],
    },
    "ningbo_three_steady_years": {
        BASELINE: [],
        COUNTING: [],
        DURATIONS: ["residence_employment"],
        REFORM: ["residence_employment"],
    },
}


@pytest.mark.parametrize("case", sorted(TABLE))
@pytest.mark.parametrize("scenario", [BASELINE, COUNTING, DURATIONS, REFORM, LOCAL])
def test_which_part_of_the_reform_admits_whom(scenario, case):
    expected = TABLE[case][REFORM if scenario == LOCAL else scenario]
    assert run(scenario, "ningbo", "2019-09", case).eligible_channels == expected


def test_xie_college_route_under_each_counting_rule():
    """Ms Xie: Ningbo paid 2016-08..2018-12 and 2019-03..2019-08; 2019-01 and 2019-02 unpaid.

    Last 12 months (2018-09..2019-08): 10 paid, broken at 2019-02 → continuous 12 fails.
    Last 6 months (2019-03..2019-08): all paid → continuous 6 holds (durations only).
    Last 24 months (2017-09..2019-08): 22 paid ≥ 12 (counting only). 10 of 12 ≥ 6 (reform).
    """
    base = condition(run(BASELINE, "ningbo", "2019-09", "ningbo_xie_2019"), "talent", "college", "social_insurance")
    assert (base.ok, base.have, base.need) == (False, 6, 12)  # the unbroken run since 2019-03
    counting = condition(run(COUNTING, "ningbo", "2019-09", "ningbo_xie_2019"), "talent", "college", "social_insurance")
    assert (counting.ok, counting.have, counting.need) == (True, 22, 12)
    durations = condition(
        run(DURATIONS, "ningbo", "2019-09", "ningbo_xie_2019"), "talent", "college", "social_insurance"
    )
    assert (durations.ok, durations.have, durations.need) == (True, 6, 6)
    reform = condition(run(REFORM, "ningbo", "2019-09", "ningbo_xie_2019"), "talent", "college", "social_insurance")
    assert (reform.ok, reform.have, reform.need) == (True, 10, 6)


def test_job_change_needs_both_changes():
    """Paid 2018-10..2019-03 and 2019-07..2019-08: 8 of the last 12 months, 8 of the last 24.

    Continuous 6 fails (2019-04..2019-06 unpaid); 12 in 24 fails (8 < 12); 6 in 12 holds.
    Graduated 2000-07: 19 years before, outside the reform's 15 years.
    """
    reform = run(REFORM, "ningbo", "2019-09", "ningbo_college_job_change")
    assert condition(reform, "talent", "college", "social_insurance").have == 8
    assert not condition(reform, "talent", "graduate_within_15_years", "graduated_within_years").ok
    counting = run(COUNTING, "ningbo", "2019-09", "ningbo_college_job_change")
    assert condition(counting, "talent", "college", "social_insurance").have == 8


def test_lapse_of_two_months_counts_cumulatively():
    """Paid 2013-02..2019-08 except 2018-11 and 2018-12.

    Continuous 60 or 36: broken 9 months before application. 60 in 72 (2013-09..2019-08):
    70 paid. 36 in 48 (2015-09..2019-08): 46 paid.
    """
    counting = run(COUNTING, "ningbo", "2019-09", "ningbo_two_month_lapse")
    verdict = condition(counting, "residence_employment", "social_insurance", "social_insurance")
    assert (verdict.have, verdict.need) == (70, 60)
    reform = run(REFORM, "ningbo", "2019-09", "ningbo_two_month_lapse")
    verdict = condition(reform, "residence_employment", "social_insurance", "social_insurance")
    assert (verdict.have, verdict.need) == (46, 36)


def test_three_steady_years_need_the_shorter_duration():
    """Paid 2016-02..2019-08 without a gap: 43 months; 43 < 60 but ≥ 36.

    (A continuous rule reports the unbroken run up to the N months it looks at.)
    """
    durations = run(DURATIONS, "ningbo", "2019-09", "ningbo_three_steady_years")
    verdict = condition(durations, "residence_employment", "social_insurance", "social_insurance")
    assert (verdict.ok, verdict.have, verdict.need) == (True, 36, 36)
    counting = run(COUNTING, "ningbo", "2019-09", "ningbo_three_steady_years")
    verdict = condition(counting, "residence_employment", "social_insurance", "social_insurance")
    assert (verdict.ok, verdict.have, verdict.need) == (False, 43, 60)


def test_renters_settle_after_two_years_from_2020():
    """In the same community since 2018-06 (27 months by 2020-09), paid 2018-07..2020-08.

    2019 rules: rental needs 60 months in the community and 60 of employment → no.
    2020 rules: 24 months in the community and 24 paid of the last 36 (2017-09..2020-08: 26).
    """
    assert run(REFORM, "ningbo", "2020-09", "ningbo_renter_2020").eligible_channels == []
    assert run(TIMELINE, "ningbo", "2020-06", "ningbo_renter_2020").eligible_channels == []
    after = run(TIMELINE, "ningbo", "2020-09", "ningbo_renter_2020")
    assert after.eligible_channels == ["rental"]
    verdict = condition(after, "rental", "same_community", "social_insurance")
    assert (verdict.have, verdict.need) == (26, 24)
    assert after.channel("rental").collective_household


def test_yu_family_settles_by_permit_conversion_from_2023_11_24():
    """seed 001: 8 years in Ningbo, a residence permit, no social insurance.

    The policy of 2023-11-24 governs from December 2023 (a rule governs a month when in force
    on its 15th): 97 months of residence ≥ 60 and a permit held.
    """
    assert run(TIMELINE, "ningbo", "2023-11", "ningbo_yu_2023").eligible_channels == []
    after = run(TIMELINE, "ningbo", "2023-12", "ningbo_yu_2023")
    assert after.eligible_channels == ["permit_conversion"]
    verdict = condition(after, "permit_conversion", "permit_holder", "residence_months_min")
    assert (verdict.have, verdict.need) == (97, 60)


def test_yangtze_delta_months_count_only_where_the_other_city_is_in_the_region():
    """35 months in Hangzhou, then 16 in Ningbo; residence-employment needs 36 of the last 48.

    In ningbo-2020-2023 the region has Ningbo only: 16 < 36. In zhejiang-2023 Hangzhou is in
    it: 2019-06..2021-12 in Hangzhou (31) + 16 = 47 ≥ 36.
    """
    alone = run(TIMELINE, "ningbo", "2023-06", "yrd_hangzhou_then_ningbo")
    assert condition(alone, "residence_employment", "social_insurance", "social_insurance").have == 16
    assert alone.eligible_channels == []
    province = run("zhejiang-2023", "ningbo", "2023-06", "yrd_hangzhou_then_ningbo")
    assert condition(province, "residence_employment", "social_insurance", "social_insurance").have == 47
    assert province.eligible_channels == ["residence_employment"]
