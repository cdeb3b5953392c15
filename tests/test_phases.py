"""The compiled phases of the month against plain array code written from their definitions."""

from __future__ import annotations

import numpy as np
import pytest

from sim import phases
from sim.behaviour import YEARS_IN_CITY_CAP
from sim.months import month_index
from sim.population import CHILD, CITY_DTYPE, COLLEGE, HEAD, LEFT, MIGRANT, MINOR_AGE, SETTLED, SPOUSE, Population
from sim.rules.context import Households
from sim.scenario import load_scenario
from sim.synthesis import synthesize
from tests.conftest import FIXTURES

T = month_index(2021, 7)
SCENARIO = load_scenario(FIXTURES / "two-cities-points.yaml")
SYNTHESIS = synthesize(SCENARIO, 3000, seed=5)


def mixed(seed: int) -> Population:
    """The synthetic population with a random mix of migrants, settled and departed persons."""
    rng = np.random.default_rng(seed)
    pop = SYNTHESIS.population.prefix(SYNTHESIS.population.size)
    pop.status = rng.choice(np.array([MIGRANT, SETTLED, LEFT], np.int8), pop.size, p=[0.7, 0.2, 0.1])
    pop.city_since = (T - rng.integers(0, 200, pop.size)).astype(np.int16)
    return pop


@pytest.mark.parametrize("seed", [0, 1])
def test_migrants_by_city_are_each_citys_migrants_in_row_order(seed):
    pop = mixed(seed)
    by_city = phases.migrants_by_city(pop, 2)
    for city, rows in enumerate(by_city):
        np.testing.assert_array_equal(rows, np.flatnonzero((pop.status == MIGRANT) & (pop.city == city)))


def test_migrants_by_city_when_every_row_is_a_migrant():
    pop = mixed(2)
    pop.status = np.full(pop.size, MIGRANT, np.int8)
    first, second = phases.migrants_by_city(pop, 2)
    assert len(first) + len(second) == pop.size
    np.testing.assert_array_equal(np.sort(np.concatenate([first, second])), np.arange(pop.size))


def test_migrants_by_city_with_hundreds_of_cities():
    # City indices past int8 (127), some cities with no migrant at all.
    pop = mixed(4)
    rng = np.random.default_rng(4)
    pop.city = rng.integers(0, 250, pop.size).astype(CITY_DTYPE)
    by_city = phases.migrants_by_city(pop, 300)
    assert len(by_city) == 300 and all(len(rows) == 0 for rows in by_city[250:])
    for city, rows in enumerate(by_city):
        np.testing.assert_array_equal(rows, np.flatnonzero((pop.status == MIGRANT) & (pop.city == city)))


def test_intention_logit_adds_the_terms_of_its_definition():
    pop = mixed(3)
    rows = np.flatnonzero(pop.status == MIGRANT)
    households = Households(pop, T)
    intention = SCENARIO.behaviour.intention.model_copy(
        update={"intercept": -1.5, "age_40_plus": 0.4, "college_or_above": 0.7, "has_spouse_in_city": 0.3}
    )
    intention = intention.model_copy(update={"has_children_in_city": 0.6, "has_land": -0.8, "years_in_city": 0.15})
    logit = phases.intention_logit(pop, rows, T, intention, households.spouses, households.minors)

    household, role = pop.household[rows], pop.role[rows]
    partner = ((role == HEAD) | (role == SPOUSE)) & (households.spouses[household] > 0)
    years = np.minimum(np.maximum(T - pop.city_since[rows], 0) / 12.0, YEARS_IN_CITY_CAP)
    expected = (
        intention.intercept
        + intention.age_40_plus * ((T - pop.birth_month[rows]) // 12 >= 40)
        + intention.college_or_above * (pop.education[rows] >= COLLEGE)
        + intention.has_spouse_in_city * partner
        + intention.has_children_in_city * (households.minors[household] > 0)
        + intention.has_land * pop.has_land[rows]
        + intention.years_in_city * years
    )
    assert len(rows) > 1000 and np.ptp(logit) > 1
    np.testing.assert_array_equal(logit, expected)


@pytest.mark.parametrize("seed", [4, 5])
def test_dependants_are_the_partners_and_minor_children_their_households_take(seed):
    pop = mixed(seed)
    rng = np.random.default_rng(seed)
    heads = np.flatnonzero((pop.status == MIGRANT) & (pop.role == HEAD))
    settlers = np.sort(rng.choice(heads, len(heads) // 4, replace=False))
    spouse_follows = np.zeros(SYNTHESIS.n_households, bool)
    minors_follow = np.zeros(SYNTHESIS.n_households, bool)
    spouse_follows[pop.household[settlers]] = rng.random(len(settlers)) < 0.7
    minors_follow[pop.household[settlers]] = rng.random(len(settlers)) < 0.7

    found = phases.dependants(pop, T, settlers, spouse_follows, minors_follow)

    # Every row of the population looked at, as the definition reads.
    partner = spouse_follows[pop.household] & ((pop.role == HEAD) | (pop.role == SPOUSE))
    minor = minors_follow[pop.household] & (pop.role == CHILD) & (T - pop.birth_month < MINOR_AGE * 12)
    expected = np.flatnonzero((pop.status == MIGRANT) & (partner | minor))
    assert len(expected) > 50
    np.testing.assert_array_equal(found, expected)
