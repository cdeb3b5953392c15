"""Route conditions evaluated on small hand-built populations (application month 2019-10)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.months import month_index
from sim.population import CHILD, HEAD, LEFT, NO_MONTH, OWN, PARENT, RENT, SETTLED, SPOUSE
from sim.rules.channels import channel_eligible, evaluate_route
from sim.scenario.schema import Channel, Conditions
from tests.builders import T, context, months, population


def route_ok(conditions: Conditions, *persons, **kwargs) -> list[bool]:
    pop = population(*persons)
    return evaluate_route("route", conditions, context(pop, **kwargs)).ok.tolist()


def check(conditions: Conditions, name: str, *persons):
    result = evaluate_route("route", conditions, context(population(*persons)))
    return next(c for c in result.checks if c.condition == name)


# ----------------------------------------------------------------- education, skill, graduation


def test_education_min_college():
    levels = ["junior_secondary", "senior_secondary", "college", "bachelor", "master", "doctorate"]
    persons = [{"education": level} for level in levels]
    assert route_ok(Conditions(education_min="college"), *persons) == [False, False, True, True, True, True]


def test_education_min_postgraduate_is_read_as_master():
    # "postgraduate" (研究生) predates master/doctorate: as a minimum it admits both.
    levels = ["bachelor", "master", "doctorate"]
    persons = [{"education": level} for level in levels]
    assert Conditions(education_min="postgraduate").education_min == "master"
    assert route_ok(Conditions(education_min="postgraduate"), *persons) == [False, True, True]
    assert route_ok(Conditions(education_min="doctorate"), *persons) == [False, False, True]


def test_skill_min_intermediate():
    levels = ["none", "junior", "intermediate", "senior", "senior_technician"]
    persons = [{"skill": level} for level in levels]
    assert route_ok(Conditions(skill_min="intermediate"), *persons) == [False, False, True, True, True]


# Ningbo 2019: 毕业15年内 replaces 全日制大专以上应届毕业生. Application in 2019-10.
WITHIN_15 = Conditions(education_min="senior_secondary", graduated_within_years=15)
FRESH = Conditions(education_min="college", graduated_within_years=1)


@pytest.mark.parametrize(
    ("graduated", "within_15", "fresh"),
    [
        # 2008-07 → 2019-10 is 11 years 3 months = 135 months ≤ 180, but not ≤ 12.
        pytest.param(month_index(2008, 7), True, False, id="2008-graduate"),
        # 2019-07: 3 months ago, both.
        pytest.param(month_index(2019, 7), True, True, id="2019-graduate"),
        # 2018-10: exactly 12 months ago, still a graduate of the last year.
        pytest.param(month_index(2018, 10), True, True, id="12-months-ago"),
        pytest.param(month_index(2018, 9), True, False, id="13-months-ago"),
        # 2004-10: exactly 180 months ago, the last month within 15 years.
        pytest.param(month_index(2004, 10), True, False, id="exactly-15-years"),
        pytest.param(month_index(2004, 9), False, False, id="15-years-1-month"),
        # Graduating next summer: not a graduate yet.
        pytest.param(month_index(2020, 6), False, False, id="not-yet-graduated"),
        pytest.param(NO_MONTH, False, False, id="never-graduated"),
    ],
)
def test_graduated_within_years(graduated, within_15, fresh):
    person = {"education": "college", "graduated_month": graduated}
    assert route_ok(WITHIN_15, person) == [within_15]
    assert route_ok(FRESH, person) == [fresh]


def test_graduation_check_reports_months_since():
    c = check(WITHIN_15, "graduated_within_years", {"graduated_month": month_index(2008, 7)}, {})
    assert c.have.tolist() == [135, -1]
    assert c.need == 15


# ---------------------------------------------------------------------------------------- age


def test_age_bounds_in_completed_years():
    # Born 1959-10: 60 in 2019-10. Born 1959-11: still 59.
    persons = [
        {"birth_month": month_index(1959, 10)},
        {"birth_month": month_index(1959, 11)},
        {"birth_month": month_index(1984, 10)},  # 35
        {"birth_month": month_index(1984, 9)},  # 35 years 1 month
        {"birth_month": month_index(1983, 10)},  # 36
    ]
    assert route_ok(Conditions(age_min=60), *persons) == [True, False, False, False, False]
    assert route_ok(Conditions(age_max=35), *persons) == [False, False, True, True, False]


def test_minors_cannot_use_own_right_routes():
    # A route with no conditions at all is still for adults only (18 completed years).
    persons = [{"age": 17}, {"age": 18}, {"birth_month": T - 18 * 12 + 1}]  # last: 17y 11m
    assert route_ok(Conditions(), *persons) == [False, True, False]
    assert route_ok(Conditions(education_min="none"), *persons) == [False, True, False]
    adult = check(Conditions(), "adult", *persons)
    assert adult.have.tolist() == [17, 18, 17]


# ------------------------------------------------------------------- months in city, permit


@pytest.mark.parametrize(
    ("conditions", "field", "value", "ok"),
    [
        # In the city since t-60: 60 months lived before October 2019.
        pytest.param(Conditions(residence_months_min=60), "city_since", T - 60, True, id="residence-60"),
        pytest.param(Conditions(residence_months_min=60), "city_since", T - 59, False, id="residence-59"),
        # Arriving this month: 0 months, never negative.
        pytest.param(Conditions(residence_months_min=0), "city_since", T + 2, True, id="residence-future-is-0"),
        pytest.param(Conditions(employment_months_min=60), "employed_months", 60, True, id="employment-60"),
        pytest.param(Conditions(employment_months_min=60), "employed_months", 59, False, id="employment-59"),
        pytest.param(Conditions(community_months_min=60), "community_since", T - 60, True, id="community-60"),
        pytest.param(Conditions(community_months_min=60), "community_since", T - 59, False, id="community-59"),
        pytest.param(Conditions(residence_permit_months_min=6), "permit_month", T - 6, True, id="permit-6"),
        pytest.param(Conditions(residence_permit_months_min=6), "permit_month", T - 5, False, id="permit-5"),
        # Holding no permit fails even a zero-month requirement.
        pytest.param(Conditions(residence_permit_months_min=0), "permit_month", NO_MONTH, False, id="no-permit"),
        pytest.param(Conditions(residence_permit_months_min=0), "permit_month", T, True, id="permit-this-month"),
    ],
)
def test_month_counts(conditions, field, value, ok):
    assert route_ok(conditions, {field: value}) == [ok]


def test_rental_route_of_ningbo_2019():
    # 在我市就业和居住同一社区均满5年: renting, 60 months in the community and employed.
    same_community = Conditions(tenure="rent", community_months_min=60, employment_months_min=60)
    persons = [
        {"tenure": RENT, "community_since": T - 60, "employed_months": 60},
        {"tenure": OWN, "community_since": T - 60, "employed_months": 60},  # owns: other routes
        {"tenure": RENT, "community_since": T - 30, "employed_months": 60},  # moved 30 months ago
        {"tenure": RENT, "community_since": T - 72, "employed_months": 48},
    ]
    assert route_ok(same_community, *persons) == [True, False, False, False]


# ----------------------------------------------------------------------- housing and property


def test_tenure():
    persons = [{"tenure": RENT}, {"tenure": OWN}]
    assert route_ok(Conditions(tenure="rent"), *persons) == [True, False]
    assert route_ok(Conditions(tenure="own_home"), *persons) == [False, True]


def test_commercial_property_route_needs_ownership_and_contributions():
    # 取得商业用房或办公用房合法所有权 + 税款缴纳满3年 (36 in 48 after the reform).
    route = Conditions(owns_commercial_property=True, tax={"count": "cumulative", "months": 36, "window": 48})
    persons = [
        {"owns_commercial": True, "tax_paid_ago": months(1, 36)},
        {"owns_commercial": True, "tax_paid_ago": months(1, 35)},
        {"owns_commercial": False, "tax_paid_ago": months(1, 48)},
        # Social insurance does not stand in for tax on this route.
        {"owns_commercial": True, "paid_ago": months(1, 48)},
    ]
    assert route_ok(route, *persons) == [True, False, False, False]
    tax = check(route, "tax", *persons)
    assert tax.have.tolist() == [36, 35, 48, 0]
    assert tax.need == 36


def test_floor_area_per_capita():
    # Household 0: three present members in 50 m² → 16.7 m² each < 18.
    # Household 1: two members in 50 m² → 25 m².
    # Household 2: 54 m² for three → exactly 18.
    # Household 3: three rows in 50 m², but one has left the city → 25 m².
    def member(household, area, **extra):
        return {"household": household, "floor_area_m2": area, **extra}

    persons = [
        member(0, 50, age=35),
        member(0, 50, role=SPOUSE),
        member(0, 50, role=CHILD, age=5),
        member(1, 50),
        member(1, 50, role=SPOUSE),
        member(2, 54),
        member(2, 54, role=SPOUSE),
        member(2, 54, role=CHILD, age=3),
        member(3, 50),
        member(3, 50, role=SPOUSE),
        member(3, 50, role=CHILD, status=LEFT),
    ]
    rule = Conditions(floor_area_per_capita_m2_min=18)
    area = check(rule, "floor_area_per_capita_m2_min", *persons)
    assert area.have[0] == pytest.approx(50 / 3, rel=1e-6)
    assert area.have[3] == pytest.approx(25.0)
    assert area.have[5] == pytest.approx(18.0)
    assert area.have[8] == pytest.approx(25.0)
    assert area.ok.tolist() == [False] * 3 + [True] * 8


def test_sanctions_max():
    persons = [{"sanctions": 0}, {"sanctions": 1}, {"sanctions": 2}]
    assert route_ok(Conditions(sanctions_max=1), *persons) == [True, True, False]


# ------------------------------------------------------------------------------------ family


PARENT_ROUTE = Conditions(joins="parent", age_min=60)


def test_parent_joins_a_settled_head():
    persons = [
        # Household 0: the head has settled; the 65-year-old parent may follow.
        {"household": 0, "role": HEAD, "status": SETTLED},
        {"household": 0, "role": PARENT, "age": 65},
        # Household 1: the head is still a migrant: the parent cannot join yet.
        {"household": 1, "role": HEAD},
        {"household": 1, "role": PARENT, "age": 65},
        # Household 2: the spouse settled (the head has not): the parent may join.
        {"household": 2, "role": HEAD},
        {"household": 2, "role": SPOUSE, "status": SETTLED},
        {"household": 2, "role": PARENT, "age": 70},
        # Household 3: settled head, but the parent is 59 (route needs 60).
        {"household": 3, "role": HEAD, "status": SETTLED},
        {"household": 3, "role": PARENT, "age": 59},
        # Household 4: only a settled *child* row; children do not anchor the parent route.
        {"household": 4, "role": HEAD},
        {"household": 4, "role": CHILD, "status": SETTLED, "age": 20},
        {"household": 4, "role": PARENT, "age": 65},
    ]
    ok = route_ok(PARENT_ROUTE, *persons)
    parents = [1, 3, 6, 8, 11]
    assert [ok[i] for i in parents] == [True, False, True, False, False]
    # Heads, spouses and children are not parents.
    assert not any(ok[i] for i in range(len(persons)) if i not in parents)


def test_minor_child_may_join_a_settled_parent():
    # Join routes are open to minors: a 5-year-old child of a settled head.
    persons = [
        {"household": 0, "role": HEAD, "status": SETTLED},
        {"household": 0, "role": CHILD, "age": 5},
        {"household": 1, "role": HEAD},
        {"household": 1, "role": CHILD, "age": 5},
    ]
    assert route_ok(Conditions(joins="child"), *persons) == [False, True, False, False]


def test_spouse_joins_a_settled_head():
    persons = [
        {"household": 0, "role": HEAD, "status": SETTLED},
        {"household": 0, "role": SPOUSE},
        {"household": 1, "role": HEAD},
        {"household": 1, "role": SPOUSE},
        {"household": 1, "role": PARENT, "age": 65},
    ]
    ok = route_ok(Conditions(joins="spouse"), *persons)
    assert ok[1] is True
    assert ok[2:] == [False, False, False]


def test_parent_floor_area_before_2019():
    # Ningbo before 2019-09-15: parents joining a child need 18 m² per capita.
    route = Conditions(joins="parent", age_min=60, floor_area_per_capita_m2_min=18)
    persons = [
        {"household": 0, "role": HEAD, "status": SETTLED, "floor_area_m2": 50},
        {"household": 0, "role": SPOUSE, "status": SETTLED, "floor_area_m2": 50},
        {"household": 0, "role": PARENT, "age": 65, "floor_area_m2": 50},
    ]
    assert route_ok(route, *persons)[2] is False  # 50 / 3 = 16.7 m²
    assert route_ok(PARENT_ROUTE, *persons)[2] is True  # the 2019 reform dropped the condition


# ------------------------------------------------------------- contributions, whole routes


def test_ningbo_college_route_before_and_after_2019():
    # 专科学历 … 社保缴纳年限 1年 (continuous 12) → 6个月 counted as 6 within 12.
    before = Conditions(education_min="college", social_insurance={"count": "continuous", "months": 12})
    after = Conditions(education_min="college", social_insurance={"count": "cumulative", "months": 6, "window": 12})
    persons = [
        # Paid t-1, t-2 and t-4 … t-8: 7 in the last 12, but t-3 breaks continuity.
        {"education": "college", "paid_ago": months(1, 8) - {3}},
        # Twelve unbroken months.
        {"education": "college", "paid_ago": months(1, 12)},
        # Same contributions, senior-secondary: education fails.
        {"education": "senior_secondary", "paid_ago": months(1, 12)},
        # Five months only.
        {"education": "college", "paid_ago": months(1, 5)},
    ]
    assert route_ok(before, *persons) == [False, True, False, False]
    assert route_ok(after, *persons) == [True, True, False, False]
    si = check(before, "social_insurance", *persons)
    assert si.count is not None
    assert si.count.gap_months_ago.tolist() == [3, 0, 0, 6]


def test_checks_name_every_condition_in_order():
    route = Conditions(
        education_min="college",
        age_max=45,
        social_insurance={"count": "cumulative", "months": 6, "window": 12},
        residence_months_min=6,
        tenure="rent",
    )
    result = evaluate_route("college", route, context(population({})))
    names = [c.condition for c in result.checks]
    assert names == ["adult", "education_min", "age_max", "social_insurance", "residence_months_min", "tenure"]
    assert result.route == "college"


def test_all_conditions_must_hold_and_any_route_suffices():
    channel = Channel(
        routes={
            "college": Conditions(education_min="college", social_insurance={"count": "continuous", "months": 6}),
            "skill": Conditions(skill_min="intermediate", social_insurance={"count": "continuous", "months": 6}),
        }
    )
    persons = [
        {"education": "college", "paid_ago": months(1, 6)},
        {"skill": "intermediate", "paid_ago": months(1, 6)},
        {"education": "college", "skill": "intermediate", "paid_ago": months(1, 5)},
        {"education": "college", "skill": "intermediate", "paid_ago": months(1, 6), "age": 17},
        {},
    ]
    ctx = context(population(*persons))
    assert channel_eligible(channel, ctx).tolist() == [True, True, False, False, False]
    assert channel_eligible(Channel(), ctx).tolist() == [False] * 5


def test_region_recognition_in_a_route():
    route = Conditions(social_insurance={"count": "continuous", "months": 12, "recognised_in": ["delta"]})
    pop = population(
        {"paid_ago": months(1, 4), "region_paid_ago": [months(5, 12)]},
        {"paid_ago": months(1, 4), "region_paid_ago": [months(6, 12)]},
        n_regions=1,
    )
    result = evaluate_route("r", route, context(pop, regions={"delta": 0}))
    assert result.ok.tolist() == [True, False]


def test_empty_population():
    result = evaluate_route("r", Conditions(education_min="college"), context(population()))
    assert result.ok.shape == (0,)
    assert np.asarray(result.ok).dtype == bool


def test_evaluating_some_rows_keeps_household_totals_of_everyone():
    # A context restricted to the migrants of a city still sees the settled head (for the
    # parent route) and every present member (for floor area per capita).
    persons = [
        {"household": 0, "role": HEAD, "status": SETTLED, "floor_area_m2": 50},
        {"household": 0, "role": SPOUSE, "floor_area_m2": 50},
        {"household": 0, "role": PARENT, "age": 65, "floor_area_m2": 50},
        {"household": 1, "role": HEAD, "floor_area_m2": 40},
        {"household": 1, "role": PARENT, "age": 65, "floor_area_m2": 40},
    ]
    pop = population(*persons)
    rows = np.array([2, 4])
    route = Conditions(joins="parent", age_min=60, floor_area_per_capita_m2_min=18)
    full = evaluate_route("parent", route, context(pop))
    part = evaluate_route("parent", route, context(pop, rows=rows))
    # Household 0: 50 / 3 = 16.7 m² → refused; household 1: 40 / 2 = 20 m² but no settled head.
    assert full.ok.tolist() == [False] * 5
    assert part.ok.tolist() == [False, False]
    area = next(c for c in part.checks if c.condition == "floor_area_per_capita_m2_min")
    assert area.have.tolist() == pytest.approx([50 / 3, 20.0])
    joins = next(c for c in part.checks if c.condition == "joins_settled_parent")
    assert joins.ok.tolist() == [True, False]
