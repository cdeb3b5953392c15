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
from sim.population import (
    CHILD,
    COLLEGE,
    FORMAL,
    HEAD,
    INFORMAL,
    MIGRANT,
    MINOR_AGE,
    NO_CHANNEL,
    NO_MONTH,
    OWN,
    PARENT,
    RENT,
    SETTLED,
    SPOUSE,
    UNEMPLOYED,
    Population,
)
from sim.scenario.schema import CHANNELS
from sim.threads import in_two_halves

POINTS = CHANNELS.index("points")
SPLIT_MIN = 1 << 15
"""Phases over at least this many rows run in two halves at once (see :mod:`sim.threads`)."""


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
    region_lo = tuple(r.lo for r in regions)
    region_hi = tuple(r.hi for r in regions)
    region_lifetime = tuple(r.lifetime for r in regions)

    def rows(a: int, b: int) -> None:
        # Every row is closed independently: the two halves may run at once (see sim.threads).
        _work_and_contribute(
            month,
            pop.status[a:b],
            pop.role[a:b],
            pop.birth_month[a:b],
            retirement_age[a:b],
            working_age_min,
            pop.employment[a:b],
            pop.education[a:b],
            pop.has_business[a:b],
            pop.city[a:b],
            pop.city_since[a:b],
            pop.employed_months[a:b],
            u[a:b],
            thresholds,
            pop.social_insurance.lo[a:b],
            pop.social_insurance.hi[a:b],
            pop.social_insurance.lifetime[a:b],
            pop.back_paid.lo[a:b],
            pop.back_paid.hi[a:b],
            pop.back_paid.lifetime[a:b],
            pop.tax.lo[a:b],
            pop.tax.hi[a:b],
            pop.tax.lifetime[a:b],
            tuple(x[a:b] for x in region_lo) or (np.zeros(0, np.uint64),),
            tuple(x[a:b] for x in region_hi) or (np.zeros(0, np.uint64),),
            tuple(x[a:b] for x in region_lifetime) or (np.zeros(0, np.int16),),
            region_members,
            back_u[a:b],
            np.float32(back_rate),
            back_windows,
        )

    in_two_halves(pop.size, SPLIT_MIN, rows)


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


def household_totals(pop: Population, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Members, spouses and minor children present, and whether a head or spouse has settled, per household.

    Parameters
    ----------
    pop : Population
        The rows of the month.
    month : int
        The month (for ages).

    Returns
    -------
    members, spouses, minors : ndarray of int64
        Present (migrant or settled) persons of each household, of them spouses, and children
        under :data:`sim.population.MINOR_AGE`.
    has_settled_adult : ndarray of bool
        Whether a head or spouse of the household has settled.
    """
    size = int(pop.household.max()) + 1 if pop.size else 0
    members = np.zeros(size, np.int64)
    spouses = np.zeros(size, np.int64)
    minors = np.zeros(size, np.int64)
    has_settled_adult = np.zeros(size, bool)
    _household_totals(
        month, pop.status, pop.role, pop.household, pop.birth_month, members, spouses, minors, has_settled_adult
    )
    return members, spouses, minors, has_settled_adult


@numba.njit(cache=True, nogil=True)
def _household_totals(
    month, status, role, household, birth_month, members, spouses, minors, has_settled_adult
):  # pragma: no cover - compiled
    for i in range(status.shape[0]):
        if status[i] != MIGRANT and status[i] != SETTLED:
            continue
        h = household[i]
        members[h] += 1
        if role[i] == SPOUSE:
            spouses[h] += 1
        elif role[i] == CHILD and month - np.int64(birth_month[i]) < MINOR_AGE * 12:
            minors[h] += 1
        if status[i] == SETTLED and (role[i] == HEAD or role[i] == SPOUSE):
            has_settled_adult[h] = True


def city_counts(pop: Population, n_cities: int) -> np.ndarray:
    """Per city: migrants, settled, formally employed migrants, points pool and other pending applications.

    Returns
    -------
    ndarray of int64, shape (5, n_cities)
        Rows in that order.
    """
    counts = np.zeros((5, n_cities), np.int64)
    _city_counts(pop.status, pop.city, pop.employment, pop.applied_channel, POINTS, counts)
    return counts


@numba.njit(cache=True, nogil=True)
def _city_counts(status, city, employment, applied_channel, points, counts):  # pragma: no cover - compiled
    for i in range(status.shape[0]):
        c = city[i]
        if status[i] == MIGRANT:
            counts[0, c] += 1
            counts[2, c] += employment[i] == FORMAL
            if applied_channel[i] == points:
                counts[3, c] += 1
            elif applied_channel[i] != NO_CHANNEL:
                counts[4, c] += 1
        elif status[i] == SETTLED:
            counts[1, c] += 1


def reside(
    pop: Population,
    month: int,
    permit_after: np.ndarray,
    permit_u: np.ndarray,
    permit_rate: float,
    purchase_u: np.ndarray,
    purchase_rate: float,
    community_u: np.ndarray,
    community_rate: float,
    n_households: int,
) -> None:
    """Residence permits, home purchases and moves within the city, for every migrant of ``pop``.

    A household buys a home or changes community when its renting head draws below the rate;
    every member present follows. Uniforms are compared with the rates in ``float32``, as the
    array comparison with a Python float does.

    Parameters
    ----------
    pop : Population
        The rows of the month; updated in place.
    month : int
        The month.
    permit_after : ndarray of int64
        Months in the city after which a permit may be taken up, per city.
    permit_u, purchase_u, community_u : ndarray of float32
        The month's uniforms of each decision, one per row.
    permit_rate, purchase_rate, community_rate : float
        Monthly rates of the three decisions.
    n_households : int
        Households of the run.
    """
    _reside(
        month,
        pop.status,
        pop.role,
        pop.city,
        pop.city_since,
        pop.household,
        pop.permit_month,
        pop.tenure,
        pop.community_since,
        permit_after,
        permit_u,
        np.float32(permit_rate),
        purchase_u,
        np.float32(purchase_rate),
        community_u,
        np.float32(community_rate),
        np.zeros(n_households, bool),
        np.zeros(n_households, bool),
    )


@numba.njit(cache=True, nogil=True)
def _reside(
    month,
    status,
    role,
    city,
    city_since,
    household,
    permit_month,
    tenure,
    community_since,
    permit_after,
    permit_u,
    permit_rate,
    purchase_u,
    purchase_rate,
    community_u,
    community_rate,
    buying,
    moving,
):  # pragma: no cover - compiled
    for i in range(status.shape[0]):
        if status[i] != MIGRANT:
            continue
        entitled = permit_month[i] == NO_MONTH and month - np.int64(city_since[i]) >= permit_after[city[i]]
        if entitled and permit_u[i] < permit_rate:
            permit_month[i] = month
        if role[i] == HEAD and tenure[i] == RENT:
            if purchase_u[i] < purchase_rate:
                buying[household[i]] = True
            if community_u[i] < community_rate:
                moving[household[i]] = True
    for i in range(status.shape[0]):
        if status[i] != MIGRANT:
            continue
        if buying[household[i]]:
            tenure[i] = OWN
        if moving[household[i]]:
            community_since[i] = month


def returning_home(
    pop: Population, u: np.ndarray, rate: float, unemployed_multiplier: float, n_households: int
) -> np.ndarray:
    """Migrants whose household returns home this month: its head drew below the head's rate.

    The rate is ``rate`` times ``unemployed_multiplier`` for an unemployed head, compared in
    ``float64`` as the array code's rate array is.

    Returns
    -------
    ndarray of bool
        One per row.
    """
    returning = np.zeros(pop.size, bool)
    _returning_home(
        pop.status,
        pop.role,
        pop.employment,
        pop.household,
        u,
        float(rate),
        float(unemployed_multiplier),
        np.zeros(n_households, bool),
        returning,
    )
    return returning


@numba.njit(cache=True, nogil=True)
def _returning_home(
    status, role, employment, household, u, rate, multiplier, households, returning
):  # pragma: no cover - compiled
    for i in range(status.shape[0]):
        if status[i] == MIGRANT and role[i] == HEAD:
            head_rate = rate * (multiplier if employment[i] == UNEMPLOYED else 1.0)
            if np.float64(u[i]) < head_rate:
                households[household[i]] = True
    for i in range(status.shape[0]):
        returning[i] = status[i] == MIGRANT and households[household[i]]


def moving_city(
    pop: Population, move_u: np.ndarray, rate: float, target_u: np.ndarray, n_cities: int, n_households: int
) -> tuple[np.ndarray, np.ndarray]:
    """Migrants whose household moves to another city this month, and the city each moves to.

    A head draws below ``rate`` (in ``float32``) to move; the target is one of the other cities,
    ``1 + floor(target_u * (n_cities - 1))`` cities along (in ``float32``, as the array code).

    Returns
    -------
    rows : ndarray of int64
        The migrants who move.
    cities : ndarray of int8
        Their new city.
    """
    target = np.full(n_households, -1, np.int8)
    moving = np.zeros(pop.size, bool)
    _moving_city(
        pop.status,
        pop.role,
        pop.city,
        pop.household,
        move_u,
        np.float32(rate),
        target_u,
        n_cities,
        target,
        moving,
    )
    rows = np.flatnonzero(moving)
    return rows, target[pop.household[rows]]


@numba.njit(cache=True, nogil=True)
def _moving_city(
    status, role, city, household, move_u, rate, target_u, n_cities, target, moving
):  # pragma: no cover - compiled
    others = np.float32(n_cities - 1)
    for i in range(status.shape[0]):
        if status[i] == MIGRANT and role[i] == HEAD and move_u[i] < rate:
            step = 1 + np.int64(np.floor(target_u[i] * others))
            target[household[i]] = (np.int64(city[i]) + step) % n_cities
    for i in range(status.shape[0]):
        moving[i] = status[i] == MIGRANT and target[household[i]] >= 0


def dependants(pop: Population, month: int, spouse_follows: np.ndarray, minors_follow: np.ndarray) -> np.ndarray:
    """Migrants who settle as dependants: heads and spouses, and minor children, of households that take them.

    Parameters
    ----------
    pop : Population
        The rows of the month.
    month : int
        The month (for ages).
    spouse_follows, minors_follow : ndarray of bool
        Per household, whether the head's or spouse's partner, and the minor children, follow.

    Returns
    -------
    ndarray of int64
        The dependants' rows, in order.
    """
    follows = np.zeros(pop.size, bool)
    _dependants(month, pop.status, pop.role, pop.household, pop.birth_month, spouse_follows, minors_follow, follows)
    return np.flatnonzero(follows)


@numba.njit(cache=True, nogil=True)
def _dependants(
    month, status, role, household, birth_month, spouse_follows, minors_follow, follows
):  # pragma: no cover - compiled
    for i in range(status.shape[0]):
        if status[i] != MIGRANT:
            continue
        h = household[i]
        partner = spouse_follows[h] and (role[i] == HEAD or role[i] == SPOUSE)
        minor = minors_follow[h] and role[i] == CHILD and month - np.int64(birth_month[i]) < MINOR_AGE * 12
        follows[i] = partner or minor
