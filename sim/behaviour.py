"""Stochastic monthly behaviour: pure functions of the population and uniform draws.

Each function receives the month's uniforms (one per slot, from :class:`sim.streams.Streams`)
and returns decisions; the model applies them. No function here draws random numbers itself.
"""

from __future__ import annotations

import numpy as np

from sim.population import COLLEGE, FORMAL, INFORMAL, UNEMPLOYED, Population
from sim.scenario.schema import EmploymentDynamics, Intention

YEARS_IN_CITY_CAP = 10
OVER_45 = 45


def employment_transitions(
    pop: Population, working: np.ndarray, u: np.ndarray, dynamics: EmploymentDynamics, month: int, age: np.ndarray
) -> np.ndarray:
    """Next month's employment state for every row (unchanged where ``working`` is False).

    Entries into formal work are scaled up for college graduates and down above 45; dated
    shocks scale exits from formal work and all hiring.
    """
    exit_factor, hiring_factor = 1.0, 1.0
    for shock in dynamics.shocks:
        if shock.start <= month <= shock.end:
            exit_factor *= shock.formal_exit_multiplier
            hiring_factor *= shock.hiring_multiplier
    formal_entry = np.where(pop.education >= COLLEGE, dynamics.college_formal_multiplier, 1.0)
    formal_entry = formal_entry * np.where(age >= OVER_45, dynamics.over_45_formal_multiplier, 1.0) * hiring_factor
    state = pop.employment
    to_formal = np.where(
        state == UNEMPLOYED,
        dynamics.unemployed_to_formal,
        np.where(state == INFORMAL, dynamics.informal_to_formal, 0.0),
    )
    to_formal = np.minimum(to_formal * formal_entry, 1.0)
    to_informal = np.where(
        state == UNEMPLOYED,
        dynamics.unemployed_to_informal * hiring_factor,
        np.where(state == FORMAL, dynamics.formal_to_informal * exit_factor, 0.0),
    )
    to_unemployed = np.where(
        state == FORMAL,
        dynamics.formal_to_unemployed * exit_factor,
        np.where(state == INFORMAL, dynamics.informal_to_unemployed, 0.0),
    )
    first = to_formal
    second = first + to_informal
    third = second + to_unemployed
    new = np.where(u < first, FORMAL, np.where(u < second, INFORMAL, np.where(u < third, UNEMPLOYED, state)))
    return np.where(working, new, state).astype(np.int8)


def intention_logit(
    pop: Population,
    rows: np.ndarray,
    intention: Intention,
    age: np.ndarray,
    months_in_city: np.ndarray,
    has_spouse: np.ndarray,
    has_children: np.ndarray,
) -> np.ndarray:
    """Settlement-intention logit for ``rows`` (arrays other than ``pop`` are already per row)."""
    years = np.minimum(months_in_city / 12.0, YEARS_IN_CITY_CAP)
    return (
        intention.intercept
        + intention.age_40_plus * (age >= 40)
        + intention.college_or_above * (pop.education[rows] >= COLLEGE)
        + intention.has_spouse_in_city * has_spouse
        + intention.has_children_in_city * has_children
        + intention.has_land * pop.has_land[rows]
        + intention.years_in_city * years
    )


def application_probability(logit: np.ndarray, intention: Intention) -> np.ndarray:
    """Monthly probability that an eligible person applies: ``application_rate × sigmoid(logit)``."""
    return intention.application_rate / (1.0 + np.exp(-logit))
