"""Stochastic monthly behaviour: pure functions of the population and uniform draws.

Each function receives the month's uniforms (one per slot, from :class:`sim.streams.Streams`)
and returns decisions; the model applies them. No function here draws random numbers itself.
"""

from __future__ import annotations

import numpy as np

from sim.population import FORMAL, INFORMAL, UNEMPLOYED
from sim.scenario.schema import EmploymentDynamics, Intention, PointsApplicants, Service, ServiceCost

YEARS_IN_CITY_CAP = 10
OVER_45 = 45


def transition_table(dynamics: EmploymentDynamics, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monthly rates into formal, informal and unemployed for each kind ``state*4 + college*2 + over_45``."""
    exit_factor, hiring_factor = 1.0, 1.0
    for shock in dynamics.shocks:
        if shock.start <= month <= shock.end:
            exit_factor *= shock.formal_exit_multiplier
            hiring_factor *= shock.hiring_multiplier
    to_formal = np.zeros(12, np.float32)
    to_informal = np.zeros(12, np.float32)
    to_unemployed = np.zeros(12, np.float32)
    into_formal = {UNEMPLOYED: dynamics.unemployed_to_formal, INFORMAL: dynamics.informal_to_formal, FORMAL: 0.0}
    for state in (UNEMPLOYED, INFORMAL, FORMAL):
        for college in (0, 1):
            for over_45 in (0, 1):
                kind = state * 4 + college * 2 + over_45
                entry = hiring_factor
                entry *= dynamics.college_formal_multiplier if college else 1.0
                entry *= dynamics.over_45_formal_multiplier if over_45 else 1.0
                to_formal[kind] = min(into_formal[state] * entry, 1.0)
                if state == UNEMPLOYED:
                    to_informal[kind] = dynamics.unemployed_to_informal * hiring_factor
                elif state == FORMAL:
                    to_informal[kind] = dynamics.formal_to_informal * exit_factor
                    to_unemployed[kind] = dynamics.formal_to_unemployed * exit_factor
                else:
                    to_unemployed[kind] = dynamics.informal_to_unemployed
    return to_formal, to_informal, to_unemployed


def application_probability(logit: np.ndarray, intention: Intention) -> np.ndarray:
    """Monthly probability that an eligible person applies: ``application_rate × sigmoid(logit)``."""
    return intention.application_rate / (1.0 + np.exp(-logit))


def service_cost(
    service: Service,
    costs: ServiceCost,
    trips: np.ndarray,
    far: np.ndarray,
    has_children: np.ndarray,
    in_formal_job: np.ndarray,
) -> np.ndarray:
    """Cost of applying under ``service`` per person; the application probability is multiplied by ``exp(-cost)``.

    ``trips`` are the trips to a window each person would make; the trip home to the origin
    province counts when the transfer is not online (跨省通办), ``far_multiplier`` times more for a
    far origin. Parents of minor children and persons in formal jobs (who must take leave) bear
    more. Appointments, self-service terminals and all-hours windows make a trip cheaper.
    See :class:`sim.scenario.schema.ServiceCost` for the formula; its values are assumptions.
    """
    convenience = max(
        1.0
        - costs.appointment_discount * service.appointment
        - costs.self_service_discount * service.self_service
        - costs.all_hours_discount * service.all_hours,
        0.0,
    )
    cost = costs.trip_cost * trips * convenience
    if not service.transfer_online:
        cost = cost + costs.home_trip_cost * np.where(far, costs.far_multiplier, 1.0)
    person = 1.0 + costs.children_weight * has_children + costs.formal_job_weight * in_formal_job
    return person * cost


def admission_chance(scores: np.ndarray, expected_cutoff: float, spec: PointsApplicants) -> np.ndarray:
    """The chance of admission a person puts on their ``scores`` against the cut-off they expect.

    ``Φ((score − expected_cutoff) / cutoff_uncertainty_points)``: the next cut-off is read as last
    round's (``expected_cutoff``) give or take ``cutoff_uncertainty_points`` (one sd).
    """
    from scipy.special import ndtr  # imported here: only runs with points applicants need it

    return ndtr((np.asarray(scores, np.float64) - expected_cutoff) / spec.cutoff_uncertainty_points)


def round_entry_multiplier(scores: np.ndarray, expected_cutoff: float, spec: PointsApplicants) -> np.ndarray:
    """Factor on the application probability of persons eligible for a points round, by their score.

    ``min(1, chance / sure_chance)``: efforts spread evenly between none and ``sure_chance``
    across persons, a person applies when their chance of admission (:func:`admission_chance`)
    outweighs their effort. It rises with the score and falls as the expected cut-off rises.
    See :class:`sim.scenario.schema.PointsApplicants`.
    """
    return np.minimum(1.0, admission_chance(scores, expected_cutoff, spec) / spec.sure_chance)


def expected_cutoff(
    published: float, quota_then: int | None, quota_now: int | None, spec: PointsApplicants | None
) -> float:
    """The cut-off applicants expect: the last published one, moved for a change of quota since.

    ``published − quota_points_per_doubling × log2(quota_now / quota_then)`` when both quotas are
    known and positive; else ``published``.
    """
    shift = 0.0 if spec is None else spec.quota_points_per_doubling
    if shift and quota_then and quota_now:
        return published - shift * float(np.log2(quota_now / quota_then))
    return published
