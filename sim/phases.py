"""Per-person loops of the model's month, compiled (``sim/_loops.pyx``) and called from here.

Each function here does in one pass over the rows what :class:`sim.model.SettlementModel` would
otherwise do in a dozen whole-array numpy operations (each allocating a temporary the size of
the population). Loops that need the month's uniforms draw them as they pass each slot, from
cursors into the model's streams (:meth:`sim.streams.Streams.cursor`), and compare them in
``float32`` exactly as the array code does, so a run's results do not change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import _loops
from sim.behaviour import YEARS_IN_CITY_CAP
from sim.histories import close_tax_year
from sim.households import by_household
from sim.population import CHILD, CITY_DTYPE, HEAD, MIGRANT, MINOR_AGE, SPOUSE, Population
from sim.regions import RegionStore
from sim.rules.counters import CounterPlan
from sim.scenario.schema import CHANNELS, Intention
from sim.streams import Streams
from sim.threads import in_two_halves

POINTS = CHANNELS.index("points")
SPLIT_MIN = 1 << 15
"""Phases over at least this many rows run in two halves at once (see :mod:`sim.threads`)."""


def work_and_contribute(
    pop: Population,
    month: int,
    retirement_age: np.ndarray,
    working_age_min: int,
    streams: Streams,
    thresholds: np.ndarray,
    regions: RegionStore,
    back_rate: float,
    back_windows: np.ndarray,
    counters: CounterPlan,
) -> None:
    """Employment transitions, then this month's ledgers, counters and back-payment, for every migrant of ``pop``.

    Settled and departed persons are passed over (nothing reads their histories again); every
    row still takes its uniforms, so that slot ``i`` always gets the ``i``-th.

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
    streams : Streams
        The run's streams: each row draws its ``employment`` and ``back_payment`` uniforms.
    thresholds : ndarray of float32, shape (3, 12)
        Cumulative transition rates into formal, informal and unemployed work for each kind of
        person ``state * 4 + college * 2 + over_45`` (see :func:`sim.behaviour.transition_table`).
    regions : RegionStore
        The recognition regions' ledgers of the persons who have moved (the others' are derived).
    back_rate : float
        Share of persons paying again who back-pay their recent gaps.
    back_windows : ndarray of int64
        Months that may be back-paid, per city (0: back payment not allowed).
    counters : CounterPlan
        What each of ``pop.counters`` counts (see :mod:`sim.rules.counters`).
    """
    members = regions.members.view(np.uint8)
    back = bool(np.any(back_windows > 0))

    def rows(a: int, b: int) -> None:
        # Every row is closed independently: the two halves may run at once (see sim.threads).
        _loops.work_and_contribute(
            month,
            pop.status[a:b],
            pop.role[a:b],
            pop.birth_month[a:b],
            retirement_age[a:b],
            working_age_min,
            pop.employment[a:b],
            pop.education[a:b],
            pop.has_business[a:b].view(np.uint8),
            pop.city[a:b],
            pop.city_since[a:b],
            pop.employed_months[a:b],
            streams.cursor("employment", month, a),
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
            regions.row[a:b],
            regions.lo,
            regions.hi,
            regions.lifetime,
            members,
            streams.cursor("back_payment", month, a) if back else np.zeros(0, np.uint64),
            np.float32(back_rate),
            back_windows,
            pop.graduated_month[a:b],
            pop.enrolled_month[a:b],
            pop.permit_month[a:b],
            pop.tenure[a:b],
            pop.home_district[a:b],
            pop.work_district[a:b],
            counters.districts,
            pop.counters.values[a:b],
            counters.cities,
            counters.kind,
            counters.group,
            counters.first,
            counters.study,
        )

    in_two_halves(pop.size, SPLIT_MIN, rows)
    close_tax_year(pop, month)


def city_counts(pop: Population, n_cities: int) -> np.ndarray:
    """Per city: migrants, settled, formally employed migrants, points pool and other pending applications.

    Returns
    -------
    ndarray of int64, shape (5, n_cities)
        Rows in that order.
    """
    halves = np.zeros((2, 5, n_cities), np.int64)

    def count(a: int, b: int) -> None:
        half = halves[int(a > 0)]
        _loops.city_counts(pop.status[a:b], pop.city[a:b], pop.employment[a:b], pop.applied_channel[a:b], POINTS, half)

    in_two_halves(pop.size, SPLIT_MIN, count)
    return halves.sum(axis=0)


def reside(
    pop: Population,
    month: int,
    permit_after: np.ndarray,
    streams: Streams,
    permit_rate: float,
    purchase_rate: float,
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
    streams : Streams
        The run's streams: each row draws its ``permit``, ``home_purchase`` and ``community`` uniforms.
    permit_rate, purchase_rate, community_rate : float
        Monthly rates of the three decisions.
    n_households : int
        Households of the run.
    """
    buying = np.zeros(n_households, np.uint8)
    moving = np.zeros(n_households, np.uint8)
    in_two_halves(
        pop.size,
        SPLIT_MIN,
        lambda a, b: _loops.reside(
            month,
            pop.status[a:b],
            pop.role[a:b],
            pop.city[a:b],
            pop.city_since[a:b],
            pop.household[a:b],
            pop.permit_month[a:b],
            pop.tenure[a:b],
            pop.community_since[a:b],
            permit_after,
            streams.cursor("permit", month, a),
            np.float32(permit_rate),
            streams.cursor("home_purchase", month, a),
            np.float32(purchase_rate),
            streams.cursor("community", month, a),
            np.float32(community_rate),
            buying,
            moving,
        ),
        by_household(pop),
    )


def returning_home(
    pop: Population, streams: Streams, month: int, rate: float, unemployed_multiplier: float, n_households: int
) -> np.ndarray:
    """Migrants whose household returns home this month: its head drew (``return_home``) below the head's rate.

    The rate is ``rate`` times ``unemployed_multiplier`` for an unemployed head, compared in
    ``float64`` as the array code's rate array is.

    Returns
    -------
    ndarray of bool
        One per row.
    """
    returning = np.zeros(pop.size, bool)
    households = np.zeros(n_households, np.uint8)
    in_two_halves(
        pop.size,
        SPLIT_MIN,
        lambda a, b: _loops.returning_home(
            pop.status[a:b],
            pop.role[a:b],
            pop.employment[a:b],
            pop.household[a:b],
            streams.cursor("return_home", month, a),
            float(rate),
            float(unemployed_multiplier),
            households,
            returning[a:b].view(np.uint8),
        ),
        by_household(pop),
    )
    return returning


def moving_city(
    pop: Population, streams: Streams, month: int, rate: float, n_cities: int, n_households: int
) -> tuple[np.ndarray, np.ndarray]:
    """Migrants whose household moves to another city this month, and the city each moves to.

    A head draws (``move_city``) below ``rate`` (in ``float32``) to move; the target is one of
    the other cities, ``1 + floor(u * (n_cities - 1))`` cities along, ``u`` the head's
    ``move_target`` uniform (in ``float32``, as the array code).

    Returns
    -------
    rows : ndarray of int64
        The migrants who move.
    cities : ndarray of CITY_DTYPE
        Their new city.
    """
    target = np.full(n_households, -1, CITY_DTYPE)
    moving = np.zeros(pop.size, bool)
    in_two_halves(
        pop.size,
        SPLIT_MIN,
        lambda a, b: _loops.moving_city(
            pop.status[a:b],
            pop.role[a:b],
            pop.city[a:b],
            pop.household[a:b],
            streams.cursor("move_city", month, a),
            np.float32(rate),
            streams.cursor("move_target", month, a),
            n_cities,
            target,
            moving[a:b].view(np.uint8),
        ),
        by_household(pop),
    )
    rows = np.flatnonzero(moving)
    return rows, target[pop.household[rows]]


def dependants(
    pop: Population, month: int, settlers: np.ndarray, spouse_follows: np.ndarray, minors_follow: np.ndarray
) -> np.ndarray:
    """Migrants who settle as dependants: heads and spouses, and minor children, of households that take them.

    Only the households of ``settlers`` can take anyone, and a household's rows are consecutive
    (:class:`sim.population.Population`), so only their rows are looked at.

    Parameters
    ----------
    pop : Population
        The rows of the month.
    month : int
        The month (for ages).
    settlers : ndarray of int64
        The rows settling in their own right this month.
    spouse_follows, minors_follow : ndarray of bool
        Per household, whether the head's or spouse's partner, and the minor children, follow.

    Returns
    -------
    ndarray of int64
        The dependants' rows, in order.
    """
    households = np.unique(pop.household[settlers])
    first = np.searchsorted(pop.household, households, side="left")
    size = np.searchsorted(pop.household, households, side="right") - first
    # The households' rows: each household's first row, counted up through its size.
    rows = np.repeat(first - np.cumsum(size) + size, size) + np.arange(size.sum())
    household, role = pop.household[rows], pop.role[rows]
    partner = spouse_follows[household] & ((role == HEAD) | (role == SPOUSE))
    minor = minors_follow[household] & (role == CHILD) & (month - pop.birth_month[rows] < MINOR_AGE * 12)
    return rows[(pop.status[rows] == MIGRANT) & (partner | minor)]


def dying(pop: Population, streams: Streams, month: int, rate: float) -> np.ndarray:
    """Migrants who die this month: their ``mortality`` uniform falls below ``rate`` (compared in ``float32``)."""
    halves: list[np.ndarray] = [np.zeros(0, np.int64)] * 2

    def draw(a: int, b: int) -> None:
        cursor = streams.cursor("mortality", month, a)
        halves[int(a > 0)] = _loops.dying(pop.status[a:b], cursor, np.float32(rate), a)

    in_two_halves(pop.size, SPLIT_MIN, draw)
    return np.concatenate(halves)


def migrants_by_city(pop: Population, n_cities: int) -> list[np.ndarray]:
    """The rows of each city's migrants, in row order (one pass instead of a mask per city)."""
    order, starts = _loops.rows_by_city(pop.status, pop.city, n_cities)
    return [order[starts[c] : starts[c + 1]] for c in range(n_cities)]


@dataclass
class Choice:
    """What a city's verdicts of one month come to (see :func:`choose`).

    Attributes
    ----------
    candidates : ndarray of int64
        Rows that may apply this month: a channel they know admits them, and no application
        pending (or one waiting in a points pool while an ordinary channel now admits them).
    channels : ndarray of int8
        The channel each candidate would apply to.
    eligible_any, blocked_only_by_gap, eligible_unaware, eligible_not_applied : int
        Counts of the month's migrants (``eligible_not_applied`` before anyone applies).
    eligible_by_channel : ndarray of int64
        Migrants each channel admits under the rules in force (before grandfathering).
    """

    candidates: np.ndarray
    channels: np.ndarray
    eligible_any: int
    blocked_only_by_gap: int
    eligible_unaware: int
    eligible_not_applied: int
    eligible_by_channel: np.ndarray


def choose(
    pop: Population,
    rows: np.ndarray,
    eligible: np.ndarray,
    known: np.ndarray,
    gap_only: np.ndarray,
    first_channel: np.ndarray,
    grandfather_until: np.ndarray,
    grandfather_channel: np.ndarray,
    month: int,
    eligible_channel: np.ndarray,
    still_eligible: np.ndarray,
) -> Choice:
    """One pass from a city's verdicts to the month's counts and its candidates for applying.

    Grandfathered persons (``grandfather_until`` after ``month``) keep ``grandfather_channel``
    in ``eligible`` and ``known``, which are updated in place. The first channel in
    :data:`CHANNELS` order that admits a person is the one they apply to, points only when no
    ordinary channel does (``first_channel`` maps a byte of verdicts to it).

    Parameters
    ----------
    pop : Population
        The rows of the month.
    rows : ndarray of int64
        The city's migrants.
    eligible, known : ndarray of uint8
        Per row of ``rows``, the channels the rules in force admit the person to, and those
        the rules the person knows admit them to (may be the same array).
    gap_only : ndarray of bool
        Per row of ``rows``, whether only gaps in contributions hold the person back.
    first_channel : ndarray of int8, shape (256,)
        From :class:`sim.rules.kernel.Program`.
    grandfather_until : ndarray of int16
        Per slot, the month a grandfathered channel lapses.
    grandfather_channel : ndarray of int8
        Per slot, that channel.
    month : int
        The month.
    eligible_channel : ndarray of int8
        Per slot; set for ``rows`` to the channel the rules in force admit them to first.
    still_eligible : ndarray of bool
        Per slot; set for pending applicants of ``rows`` to whether they still qualify.
    """
    counts = np.zeros((2, 4 + 8), np.int64)
    candidates = np.empty(len(rows), np.int64)
    channels = np.empty(len(rows), np.int8)
    found, starts = [0, 0], [0, 0]
    flags = gap_only.view(np.uint8)

    def rows_from(a: int, b: int) -> None:
        # Each half writes its own rows, counts and candidates (from position a on).
        half = int(a > 0)
        found[half] = _loops.choose(
            rows[a:b],
            eligible[a:b],
            known[a:b],
            flags[a:b],
            first_channel,
            grandfather_until,
            grandfather_channel,
            pop.applied_channel,
            month,
            POINTS,
            eligible_channel,
            still_eligible.view(np.uint8),
            counts[half],
            candidates[a:b],
            channels[a:b],
        )
        starts[half] = a

    in_two_halves(len(rows), SPLIT_MIN, rows_from)
    counts = counts.sum(axis=0)
    chosen = np.concatenate([np.arange(starts[h], starts[h] + found[h]) for h in (0, 1)])
    return Choice(
        candidates[chosen],
        channels[chosen],
        int(counts[0]),
        int(counts[1]),
        int(counts[2]),
        int(counts[3]),
        counts[4 : 4 + len(CHANNELS)],
    )


def intention_logit(
    pop: Population, rows: np.ndarray, month: int, intention: Intention, spouses: np.ndarray, minors: np.ndarray
) -> np.ndarray:
    """Settlement-intention logit of ``rows`` in ``month``.

    The terms: age 40 or over, college or above, a spouse in the city (for a head or spouse),
    minor children in the city, land at home, and years in the city (capped at
    :data:`sim.behaviour.YEARS_IN_CITY_CAP`); ``spouses`` and ``minors`` are the month's
    household totals.
    """
    out = np.empty(len(rows), np.float64)
    in_two_halves(
        len(rows), SPLIT_MIN, lambda a, b: _logit(pop, rows[a:b], month, intention, spouses, minors, out[a:b])
    )
    return out


def _logit(
    pop: Population,
    rows: np.ndarray,
    month: int,
    intention: Intention,
    spouses: np.ndarray,
    minors: np.ndarray,
    out: np.ndarray,
) -> None:
    _loops.intention_logit(
        rows,
        month,
        pop.role,
        pop.household,
        spouses,
        minors,
        pop.birth_month,
        pop.city_since,
        pop.education,
        pop.has_land.view(np.uint8),
        intention.intercept,
        intention.age_40_plus,
        intention.college_or_above,
        intention.has_spouse_in_city,
        intention.has_children_in_city,
        intention.has_land,
        intention.years_in_city,
        YEARS_IN_CITY_CAP,
        out,
    )
