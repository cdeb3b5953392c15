"""Income tax years, study periods and person attributes: hand-computed cases and synthesis checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.histories import close_tax_year
from sim.months import month_index
from sim.person_data_synthesis import draw_income_tax, study_starts
from sim.population import CHILD, EDUCATION_INDEX, MIGRANT, NO_MONTH, PARENT, SETTLED
from sim.scenario import load_scenario
from sim.synthesis import synthesize
from tests.builders import population

HERE = Path(__file__).parent
SCENARIO = load_scenario(HERE / "histories.yaml")


def months_ago(month: int, first: int, last: int) -> set[int]:
    """Months ago, seen from ``month``, of the calendar months ``first .. last``."""
    return {month - m for m in range(first, last + 1)}


def test_a_december_closes_the_year_of_income_tax():
    # Closing 2019-12: a migrant paid social insurance in 2019-04..2019-12 (9 months) with a full-year
    # tax of 120,000 yuan, so 2019 holds 90,000 and the years before move back; a settled person's
    # history is no longer kept.
    dec = month_index(2019, 12)
    jan_2020 = dec + 1
    pop = population(
        {"paid_ago": months_ago(jan_2020, month_index(2019, 4), dec)},
        {"paid_ago": months_ago(jan_2020, month_index(2019, 1), dec), "status": SETTLED},
        month=jan_2020,
    )
    pop.income_tax_cny = np.array([[50_000, 40_000, 30_000, 120_000], [1, 2, 3, 100_000]], np.float32)
    close_tax_year(pop, dec - 1)  # November closes no year
    assert pop.income_tax_cny[0].tolist() == [50_000, 40_000, 30_000, 120_000]
    close_tax_year(pop, dec)
    assert pop.income_tax_cny[0].tolist() == [90_000, 50_000, 40_000, 120_000]
    assert pop.income_tax_cny[1].tolist() == [1, 2, 3, 100_000]


def test_years_before_the_start_are_the_full_year_amount_times_the_months_paid():
    # Start 2018-03. Paid 2017-01..2017-06 (6 months), all of 2016 (12), 2015-10..2015-12 (3):
    # with a full-year amount A the years 2017, 2016, 2015 hold A/2, A, A/4. Months of 2018 are
    # not a closed year. The amount A is drawn; the shares are exact.
    start = month_index(2018, 3)
    paid = months_ago(start, month_index(2015, 10), month_index(2017, 6)) | months_ago(
        start, month_index(2018, 1), month_index(2018, 2)
    )
    pop = population({"paid_ago": paid}, {"paid_ago": paid, "role": CHILD}, month=start)
    pop.income_tax_cny = np.zeros((2, 4), np.float32)
    scenario = SCENARIO.model_copy(update={"income_tax": SCENARIO.income_tax.model_copy(update={"years": 3})})
    rng = np.random.default_rng(0)
    while pop.income_tax_cny[0, 3] == 0:  # the distribution gives 30 % of persons an amount
        draw_income_tax(rng, scenario, pop, start)
    amount = float(pop.income_tax_cny[0, 3])
    np.testing.assert_allclose(pop.income_tax_cny[0, :3], [amount / 2, amount, amount / 4], rtol=1e-6)
    assert pop.income_tax_cny[1].tolist() == [0, 0, 0, 0]  # children pay none


def test_synthesis_keeps_the_declared_income_tax_years():
    pop = synthesize(SCENARIO, 2000, seed=1).population
    assert pop.income_tax_cny.shape == (pop.size, 4)
    initial = pop.status == MIGRANT
    full = pop.income_tax_cny[:, 3]
    assert 0.2 < (full[initial] > 0).mean() < 0.35  # lognormal share 0.3 of heads and spouses
    # No closed year holds more than a full year's amount, and a year holds tax only with the amount.
    assert (pop.income_tax_cny[:, :3] <= full[:, None] * (1 + 1e-6)).all()
    assert (pop.income_tax_cny[full == 0, :3] == 0).all()
    assert (pop.income_tax_cny[initial, 0] > 0).sum() > 50


def test_a_scenario_without_income_tax_keeps_none():
    scenario = SCENARIO.model_copy(update={"income_tax": None, "attributes": {}})
    pop = synthesize(scenario, 200, seed=1).population
    assert pop.income_tax_cny.shape == (pop.size, 0) and pop.attributes.shape == (pop.size, 0)


def test_study_starts_a_degree_before_graduation():
    # A bachelor of 2012-07 enrolled in 2008-09 (four years); a master of 2015-07 in 2012-09
    # (three); a doctorate of 2020-06 in 2016-08; no degree, no study period.
    levels = np.array([EDUCATION_INDEX[x] for x in ("bachelor", "master", "doctorate", "junior_secondary")], np.int8)
    graduated = np.array([month_index(2012, 7), month_index(2015, 7), month_index(2020, 6), NO_MONTH], np.int16)
    assert study_starts(levels, graduated).tolist() == [
        month_index(2008, 9),
        month_index(2012, 9),
        month_index(2016, 8),
        NO_MONTH,
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_attributes_follow_their_distributions_within_bounds(seed):
    pop = synthesize(SCENARIO, 4000, seed=seed).population
    patents, title = pop.attributes[:, 0], pop.attributes[:, 1]
    adult = (pop.role != CHILD) & (pop.role != PARENT)
    assert (pop.attributes[~adult] == 0).all()
    # Poisson(0.5) capped at the declared maximum 3.
    assert patents.max() == 3 and set(np.unique(patents)) <= {0, 1, 2, 3}
    assert patents[adult].mean() == pytest.approx(0.5, abs=0.04)
    assert set(np.unique(title)) == {0, 1, 2}
    np.testing.assert_allclose(np.bincount(title[adult].astype(int)) / adult.sum(), [0.7, 0.2, 0.1], atol=0.03)
