"""Points items and scheme totals, computed by hand (application month 2019-10)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.ledger import CounterSpec
from sim.months import month_index
from sim.population import HEAD, LEFT, NO_MONTH, OWN, RENT, SPOUSE
from sim.rules.counters import item_specs
from sim.rules.points import item_points, score
from sim.scenario.schema import BracketsItem, FlagItem, PointsChannel, RateItem, Rounds, TableItem
from tests.builders import T, ago_label, context, months, population


def points(item, *persons, n_regions=0, regions=None) -> list[float]:
    specs = item_specs(item, regions or {}) if isinstance(item, RateItem) else set()
    pop = population(*persons, n_regions=n_regions, specs=sorted(specs, key=CounterSpec.sort_key))
    return item_points(item, context(pop, regions=regions)).tolist()


def si_rate(**kwargs) -> RateItem:
    """3 points per year of social insurance unless overridden."""
    return RateItem(**{"kind": "rate", "of": "social_insurance_months", "points": 3, **kwargs})


# -------------------------------------------------------------------------------------- rate


@pytest.mark.parametrize(
    ("item", "paid", "expected"),
    [
        # 30 paid months = 2.5 years x 3 = 7.5 (fractional by month).
        pytest.param(si_rate(), months(1, 30), 7.5, id="per-year-fractional"),
        pytest.param(si_rate(), months(1, 12), 3.0, id="one-year"),
        pytest.param(si_rate(), months(1, 1), 0.25, id="one-month"),
        pytest.param(si_rate(), frozenset(), 0.0, id="never-paid"),
        # Gaps do not matter to a rate: 30 months spread over 60 → still 7.5.
        pytest.param(si_rate(), frozenset(range(2, 62, 2)), 7.5, id="gaps-irrelevant"),
        # 0.25 points per month x 30 months = 7.5.
        pytest.param(si_rate(points=0.25, per="month"), months(1, 30), 7.5, id="per-month"),
        # Cap 6: 7.5 → 6; below the cap nothing changes.
        pytest.param(si_rate(cap=6), months(1, 30), 6.0, id="capped"),
        pytest.param(si_rate(cap=6), months(1, 20), 5.0, id="under-cap"),
        # Counted from 12 months ago (an item introduced then starts at zero): 12 months → 3.
        pytest.param(si_rate(counted_from=ago_label(12)), months(1, 30), 3.0, id="counted-from-t-12"),
        # Counted from next month: nothing yet.
        pytest.param(si_rate(counted_from=ago_label(-1)), months(1, 30), 0.0, id="counted-from-future"),
        # Counted from 200 months ago: everything in a 150-month history (1 … 150) → 37.5.
        pytest.param(si_rate(counted_from=ago_label(200)), months(1, 150), 37.5, id="counted-from-long-ago"),
        # Lifetime beyond the 128 bits of history: 150 months = 12.5 years → 37.5.
        pytest.param(si_rate(), months(1, 150), 37.5, id="lifetime-beyond-bits"),
    ],
)
def test_social_insurance_rate(item, paid, expected):
    assert points(item, {"paid_ago": paid}) == [pytest.approx(expected)]


@pytest.mark.parametrize(
    ("graduated", "expected"),
    [
        # Graduated 10 months ago: only t-1 … t-10 of the 30 paid months count → 10/12 x 3 = 2.5.
        pytest.param(T - 10, 2.5, id="graduated-10-months-ago"),
        # Graduated 30 months ago: the month of graduation counts → all 30 → 7.5.
        pytest.param(T - 30, 7.5, id="graduated-at-first-payment"),
        # Graduated 40 months ago: nothing was paid while studying → 7.5.
        pytest.param(T - 40, 7.5, id="graduated-before-payments"),
        # Still studying (graduates next year): every paid month is deducted → 0.
        pytest.param(T + 9, 0.0, id="still-studying"),
        # No graduation on record: nothing deducted.
        pytest.param(NO_MONTH, 7.5, id="never-graduated"),
    ],
)
def test_social_insurance_excluding_study(graduated, expected):
    item = si_rate(excluding_study=True)
    assert points(item, {"paid_ago": months(1, 30), "graduated_month": graduated}) == [pytest.approx(expected)]


def test_excluding_study_within_counted_from():
    # Paid t-1 … t-30, counted from t-20, graduated t-10: t-1 … t-10 count → 10 months → 2.5.
    item = si_rate(excluding_study=True, counted_from=ago_label(20))
    assert points(item, {"paid_ago": months(1, 30), "graduated_month": T - 10}) == [pytest.approx(2.5)]
    # Graduated t-25: t-1 … t-20 count (counted-from binds) → 5.0.
    assert points(item, {"paid_ago": months(1, 30), "graduated_month": T - 25}) == [pytest.approx(5.0)]


def test_recognised_region_months_count_once():
    # 12 months here, 24 in the region of which 12 overlap: 24 distinct months → 2 years → 6.
    item = si_rate(recognised_in=("delta",))
    person = {"paid_ago": months(1, 12), "region_paid_ago": [months(1, 24)]}
    assert points(item, person, n_regions=1, regions={"delta": 0}) == [pytest.approx(6.0)]
    assert points(si_rate(), person, n_regions=1, regions={"delta": 0}) == [pytest.approx(3.0)]


@pytest.mark.parametrize(
    ("item", "person", "expected"),
    [
        # 0.5 per month of residence, in the city since t-25 → 12.5.
        pytest.param(
            RateItem(kind="rate", of="residence_months", points=0.5, per="month"),
            {"city_since": T - 25},
            12.5,
            id="residence-per-month",
        ),
        # 2 per year of residence permit held since t-18 → 1.5 years → 3.
        pytest.param(
            RateItem(kind="rate", of="residence_permit_months", points=2),
            {"permit_month": T - 18},
            3.0,
            id="permit-per-year",
        ),
        pytest.param(
            RateItem(kind="rate", of="residence_permit_months", points=2),
            {"permit_month": NO_MONTH},
            0.0,
            id="no-permit",
        ),
        # 1 per year in the same community since t-42 → 3.5.
        pytest.param(
            RateItem(kind="rate", of="community_months", points=1),
            {"community_since": T - 42},
            3.5,
            id="community-per-year",
        ),
        pytest.param(
            RateItem(kind="rate", of="employment_months", points=2, cap=10),
            {"employed_months": 90},
            10.0,  # 7.5 years x 2 = 15, capped at 10
            id="employment-capped",
        ),
        # 5 per honour, 3 honours, cap 12 → 12.
        pytest.param(
            RateItem(kind="rate", of="honours", points=5, per="count", cap=12),
            {"honours": 3},
            12.0,
            id="honours-capped",
        ),
        # Deduction: -5 per sanction, 2 sanctions → -10; cap 8 bounds the absolute value → -8.
        pytest.param(
            RateItem(kind="rate", of="sanctions", points=-5, per="count"),
            {"sanctions": 2},
            -10.0,
            id="sanctions-deduction",
        ),
        pytest.param(
            RateItem(kind="rate", of="sanctions", points=-5, per="count", cap=8),
            {"sanctions": 2},
            -8.0,
            id="sanctions-deduction-capped",
        ),
        # Tax months: 36 paid → 3 years x 2 = 6.
        pytest.param(
            RateItem(kind="rate", of="tax_months", points=2),
            {"tax_paid_ago": months(1, 36)},
            6.0,
            id="tax-per-year",
        ),
    ],
)
def test_other_rates(item, person, expected):
    assert points(item, person) == [pytest.approx(expected)]


# ------------------------------------------------------------------------------------- table

EDUCATION_TABLE = TableItem(
    kind="table",
    of="education",
    values={"senior_secondary": 20, "college": 60, "bachelor": 90, "postgraduate": 100},
)


def test_education_table():
    levels = ["primary", "junior_secondary", "senior_secondary", "college", "bachelor", "master", "doctorate"]
    persons = [{"education": level} for level in levels]
    # Levels the table does not name score 0; "postgraduate" (deprecated) scores master and doctorate alike.
    assert EDUCATION_TABLE.values == {
        "senior_secondary": 20,
        "college": 60,
        "bachelor": 90,
        "master": 100,
        "doctorate": 100,
    }
    assert points(EDUCATION_TABLE, *persons) == [0, 0, 20, 60, 90, 100, 100]


def test_education_table_master_and_doctorate():
    # Beijing 积分落户 education indicator: college 10.5, bachelor 15, master 26, doctorate 37.
    item = TableItem(
        kind="table", of="education", values={"college": 10.5, "bachelor": 15, "master": 26, "doctorate": 37}
    )
    persons = [{"education": level} for level in ("senior_secondary", "college", "bachelor", "master", "doctorate")]
    assert points(item, *persons) == [0, 10.5, 15, 26, 37]


def test_skill_table():
    item = TableItem(kind="table", of="skill", values={"intermediate": 15, "senior": 30, "technician": 45})
    persons = [{"skill": s} for s in ("none", "junior", "intermediate", "senior", "technician", "senior_technician")]
    assert points(item, *persons) == [0, 0, 15, 30, 45, 0]


# ---------------------------------------------------------------------------------- brackets

AGE_GRADIENT = BracketsItem(
    kind="brackets",
    of="age_years",
    brackets=(
        {"below": 18, "points": 0},
        {"below": 36, "points": 20},
        {"below": 46, "points": 10},
        {"below": 61, "points": 5},
    ),
)


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        pytest.param(17, 0, id="17"),
        # A bracket's bound is exclusive: 18 is the first age of the 18-35 bracket.
        pytest.param(18, 20, id="18-lower-edge"),
        pytest.param(35, 20, id="35-upper-edge"),
        pytest.param(36, 10, id="36-next-bracket"),
        pytest.param(45, 10, id="45"),
        pytest.param(46, 5, id="46"),
        pytest.param(60, 5, id="60"),
        # Past the last bound with no open bracket: no points.
        pytest.param(61, 0, id="61-beyond-table"),
        pytest.param(80, 0, id="80"),
    ],
)
def test_age_gradient_edges(age, expected):
    assert points(AGE_GRADIENT, {"age": age}) == [expected]


def test_age_gradient_uses_completed_years():
    # Born one month after the 36th birthday would fall in 2019-10: still 35 → 20 points.
    assert points(AGE_GRADIENT, {"birth_month": T - 36 * 12 + 1}) == [20]


def test_open_last_bracket():
    item = BracketsItem(
        kind="brackets",
        of="residence_months",
        brackets=({"below": 12, "points": 0}, {"below": 60, "points": 5}, {"below": None, "points": 10}),
    )
    persons = [{"city_since": T - m} for m in (11, 12, 59, 60, 500)]
    assert points(item, *persons) == [0, 5, 5, 10, 10]


# -------------------------------------------------------------------------------------- flag


def test_flags():
    persons = [
        {"household": 0, "tenure": RENT, "shortage_industry": True},
        {"household": 0, "role": SPOUSE, "tenure": RENT},
        {"household": 1, "tenure": OWN, "owns_commercial": True},
    ]
    assert points(FlagItem(kind="flag", of="rents_home", points=5), *persons) == [5, 5, 0]
    assert points(FlagItem(kind="flag", of="owns_home", points=8), *persons) == [0, 0, 8]
    assert points(FlagItem(kind="flag", of="shortage_industry", points=10), *persons) == [10, 0, 0]
    assert points(FlagItem(kind="flag", of="owns_commercial_property", points=3), *persons) == [0, 0, 3]
    # Household 0 has a head and a spouse; household 1 is a single head.
    assert points(FlagItem(kind="flag", of="has_spouse", points=2), *persons) == [2, 2, 0]


# ------------------------------------------------------------------------------------ scheme

SCHEME = PointsChannel(
    items={
        "social_insurance": si_rate(cap=30),
        "education": EDUCATION_TABLE,
        "age": AGE_GRADIENT,
        "rents": FlagItem(kind="flag", of="rents_home", points=5),
        "sanctions": RateItem(kind="rate", of="sanctions", points=-10, per="count"),
    },
    rounds=Rounds(quota_persons=100),
)


def test_scheme_total_and_items():
    persons = [
        # 30 months → 7.5; college 60; age 30 → 20; renting 5; no sanctions. Total 92.5.
        {"paid_ago": months(1, 30), "education": "college", "age": 30, "tenure": RENT},
        # 150 months → 37.5 capped at 30; bachelor 90; age 40 → 10; owns 0; one sanction -10. Total 120.
        {"paid_ago": months(1, 150), "education": "bachelor", "age": 40, "tenure": OWN, "sanctions": 1},
        # Nothing: junior secondary 0; age 17 → 0; renting 5. Total 5.
        {"age": 17},
    ]
    total, by_item = score(SCHEME, context(population(*persons)))
    assert total.tolist() == pytest.approx([92.5, 120.0, 5.0])
    assert set(by_item) == set(SCHEME.items)
    assert by_item["social_insurance"].tolist() == pytest.approx([7.5, 30.0, 0.0])
    assert by_item["education"].tolist() == [60, 90, 0]
    assert by_item["age"].tolist() == [20, 10, 0]
    assert by_item["rents"].tolist() == [5, 0, 5]
    assert by_item["sanctions"].tolist() == [0, -10, 0]
    assert total.dtype == np.float64
    np.testing.assert_allclose(total, sum(by_item.values()))


def test_scheme_without_items_scores_zero():
    total, by_item = score(PointsChannel(rounds=Rounds(quota_persons=1)), context(population({}, {})))
    assert total.tolist() == [0.0, 0.0]
    assert by_item == {}


def test_points_are_evaluated_in_the_round_month():
    # The same person a year later has a year more of residence.
    item = RateItem(kind="rate", of="residence_months", points=1)
    pop = population({"city_since": month_index(2015, 10)})
    assert item_points(item, context(pop, month=month_index(2019, 10))).tolist() == [pytest.approx(4.0)]
    assert item_points(item, context(pop, month=month_index(2020, 10))).tolist() == [pytest.approx(5.0)]


def test_left_household_member_does_not_change_own_points():
    # Status matters to household aggregates, not to a person's own items.
    persons = [{"education": "college", "status": LEFT, "role": HEAD}]
    assert points(EDUCATION_TABLE, *persons) == [60]
