"""Quantities over the histories: hand-computed from the Beijing and Shanghai rule texts."""

from __future__ import annotations

import numpy as np
import pytest

from sim.months import month_index
from sim.rules.history_quantities import (
    age_by_birth_year,
    income_tax_years,
    reference_month,
    retirement_age,
    whole_years,
)
from tests.builders import population


def test_beijing_counts_to_the_end_of_the_previous_year():
    # A round in 2018-06 counts everything to 2017-12-31: the months before 2018-01.
    assert reference_month(month_index(2018, 6), "end_of_previous_year") == month_index(2018, 1)
    assert reference_month(month_index(2018, 1), "end_of_previous_year") == month_index(2018, 1)
    assert reference_month(month_index(2018, 6), "month") == month_index(2018, 6)
    with pytest.raises(ValueError, match="unknown reference date"):
        reference_month(month_index(2018, 6), "end_of_round")  # type: ignore[arg-type]


def test_age_by_birth_year_at_the_reference_date():
    # Counted to 2017-12-31: born 1972-01 or 1972-12, both 45 (2017 - 1972); born 1971-12: 46.
    pop = population(
        {"birth_month": month_index(1972, 1)},
        {"birth_month": month_index(1972, 12)},
        {"birth_month": month_index(1971, 12)},
    )
    assert age_by_birth_year(pop, month_index(2018, 1)).tolist() == [45, 45, 46]


def test_retirement_age_by_sex():
    pop = population({"is_male": True}, {"is_male": False})
    assert retirement_age(pop, 60, 50).tolist() == [60, 50]


def test_income_tax_years_over_a_threshold_among_the_last_years():
    # Beijing: 2 points a year with individual income tax >= 100,000 yuan in the last 3 years, cap 6.
    pop = population({}, {}, {})
    pop.income_tax_cny = np.array(
        [
            [120_000, 99_999, 100_000, 500_000, 0],  # 2017, 2016, 2015 (and 2014): two years of three
            [0, 0, 0, 200_000, 0],  # only 2014, outside the last 3
            [100_000, 100_000, 100_000, 0, 0],
        ],
        np.float32,
    )
    assert income_tax_years(pop, 100_000, 3).tolist() == [2, 0, 3]
    assert income_tax_years(pop, 100_000, 4).tolist() == [3, 1, 3]
    with pytest.raises(ValueError, match="reads 5 years of income tax; the population keeps 4"):
        income_tax_years(pop, 100_000, 5)


def test_whole_years_drop_the_odd_months():
    assert whole_years(np.array([0, 11, 12, 95, 96])).tolist() == [0, 0, 1, 7, 8]
