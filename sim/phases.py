"""Compiled per-person loops of the model's month.

Each function here does in one pass over the rows what :class:`sim.model.SettlementModel` would
otherwise do in a dozen whole-array numpy operations (each allocating a temporary the size of
the population). They take the month's uniforms from the model's streams and compare them in
``float32`` exactly as the array code does, so a run's results do not change.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.behaviour import OVER_45
from sim.ledger import WORD_BITS, popcount_word
from sim.population import COLLEGE, FORMAL, INFORMAL, MIGRANT, PARENT, UNEMPLOYED, Population


def work_and_contribute(
    pop: Population,
    month: int,
    retirement_age: np.ndarray,
    working_age_min: int,
    u: np.ndarray,
    thresholds: np.ndarray,
    region_members: np.ndarray,
    back_u: np.ndarray,
    back_rate: float,
    back_windows: np.ndarray,
) -> None:
    """Employment transitions, then this month's ledgers and back-payment, for every row of ``pop``.

    Parameters
    ----------
    pop : Population
        The rows of the month (arrivals so far); updated in place.
    month : int
        The month being closed.
    retirement_age : ndarray of int16
        Per row.
    working_age_min : int
        Youngest working age.
    u : ndarray of float32
        The month's employment uniforms, one per row.
    thresholds : ndarray of float32, shape (3, 12)
        Cumulative transition rates into formal, informal and unemployed work for each kind of
        person ``state * 4 + college * 2 + over_45`` (see :func:`sim.behaviour.transition_table`).
    region_members : ndarray of bool, shape (regions, cities)
        Whether each city belongs to each recognition region.
    back_u : ndarray of float32
        The month's back-payment uniforms.
    back_rate : float
        Share of persons paying again who back-pay their recent gaps.
    back_windows : ndarray of int64
        Months that may be back-paid, per city (0: back payment not allowed).
    """
    regions = pop.region_paid
    _work_and_contribute(
        month,
        pop.status,
        pop.role,
        pop.birth_month,
        retirement_age,
        working_age_min,
        pop.employment,
        pop.education,
        pop.has_business,
        pop.city,
        pop.city_since,
        pop.employed_months,
        u,
        thresholds,
        pop.social_insurance.lo,
        pop.social_insurance.hi,
        pop.social_insurance.lifetime,
        pop.back_paid.lo,
        pop.back_paid.hi,
        pop.back_paid.lifetime,
        pop.tax.lo,
        pop.tax.hi,
        pop.tax.lifetime,
        tuple(r.lo for r in regions) or (np.zeros(0, np.uint64),),
        tuple(r.hi for r in regions) or (np.zeros(0, np.uint64),),
        tuple(r.lifetime for r in regions) or (np.zeros(0, np.int16),),
        region_members,
        back_u,
        np.float32(back_rate),
        back_windows,
    )


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _work_and_contribute(
    month,
    status,
    role,
    birth_month,
    retirement_age,
    working_age_min,
    employment,
    education,
    has_business,
    city,
    city_since,
    employed_months,
    u,
    thresholds,
    si_lo,
    si_hi,
    si_lifetime,
    back_lo,
    back_hi,
    back_lifetime,
    tax_lo,
    tax_hi,
    tax_lifetime,
    region_lo,
    region_hi,
    region_lifetime,
    region_members,
    back_u,
    back_rate,
    back_windows,
):  # pragma: no cover - compiled
    top = np.uint64(WORD_BITS - 1)
    one = np.uint64(1)
    for i in range(status.shape[0]):
        age = (month - np.int64(birth_month[i])) // 12
        working = status[i] == MIGRANT and role[i] != PARENT and age >= working_age_min and age < retirement_age[i]
        state = employment[i]
        if working:
            kind = state * 4 + (education[i] >= COLLEGE) * 2 + (age >= OVER_45)
            draw = u[i]
            if draw < thresholds[0, kind]:
                state = FORMAL
            elif draw < thresholds[1, kind]:
                state = INFORMAL
            elif draw < thresholds[2, kind]:
                state = UNEMPLOYED
        else:
            state = UNEMPLOYED
        employment[i] = state
        paid = working and state == FORMAL
        employed = working and state != UNEMPLOYED
        # Close the month: every history shifts by one, this month's bit enters at bit 0.
        si_hi[i] = (si_hi[i] << one) | (si_lo[i] >> top)
        si_lo[i] = (si_lo[i] << one) | np.uint64(paid)
        si_lifetime[i] += paid
        back_hi[i] = (back_hi[i] << one) | (back_lo[i] >> top)
        back_lo[i] = back_lo[i] << one
        business = employed and has_business[i]
        tax_hi[i] = (tax_hi[i] << one) | (tax_lo[i] >> top)
        tax_lo[i] = (tax_lo[i] << one) | np.uint64(business)
        tax_lifetime[i] += business
        employed_months[i] += employed
        for r in range(region_members.shape[0]):
            bit = paid and region_members[r, city[i]]
            lo = region_lo[r]
            hi = region_hi[r]
            hi[i] = (hi[i] << one) | (lo[i] >> top)
            lo[i] = (lo[i] << one) | np.uint64(bit)
            region_lifetime[r][i] += bit
        window = back_windows[city[i]]
        if not paid or window <= 0 or not back_u[i] < back_rate:
            continue
        # Back-payment (补缴) of the gaps among the last ``span`` months.
        span = min(max(min(window, month + 1 - np.int64(city_since[i])), 0), 2 * WORD_BITS)
        gap_lo = _low_bits(min(span, WORD_BITS)) & ~si_lo[i]
        gap_hi = _low_bits(max(span - WORD_BITS, 0)) & ~si_hi[i]
        gaps = popcount_word(gap_lo) + popcount_word(gap_hi)
        if gaps == 0:
            continue
        si_lo[i] |= gap_lo
        si_hi[i] |= gap_hi
        si_lifetime[i] += gaps
        new_lo = gap_lo & ~back_lo[i]
        new_hi = gap_hi & ~back_hi[i]
        back_lo[i] |= new_lo
        back_hi[i] |= new_hi
        back_lifetime[i] += popcount_word(new_lo) + popcount_word(new_hi)
        for r in range(region_members.shape[0]):
            if region_members[r, city[i]]:
                lo = region_lo[r]
                hi = region_hi[r]
                new_lo = gap_lo & ~lo[i]
                new_hi = gap_hi & ~hi[i]
                lo[i] |= new_lo
                hi[i] |= new_hi
                region_lifetime[r][i] += popcount_word(new_lo) + popcount_word(new_hi)


@numba.njit(cache=True, nogil=True, inline="always")
def _low_bits(bits):  # pragma: no cover - compiled
    """A word with its lowest ``bits`` bits set (0..64)."""
    if bits >= WORD_BITS:
        return np.uint64(0xFFFF_FFFF_FFFF_FFFF)
    return (np.uint64(1) << np.uint64(bits)) - np.uint64(1)
