"""Households as groups of consecutive rows: where to split them, and their per-month totals.

Both the model's phases (:mod:`sim.phases`) and the rules (:class:`sim.rules.context.Households`)
read these, so they live below both.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim import _loops
from sim.population import Population
from sim.threads import in_two_halves

SPLIT_MIN = 1 << 15
"""Totals over at least this many rows are computed in two halves at once (see :mod:`sim.threads`)."""


def by_household(pop: Population) -> Callable[[int], int]:
    """Where to split ``pop``'s rows so that no household straddles the two halves.

    A household's rows are consecutive (:class:`sim.population.Population`), so the first row of
    the household at the middle is a boundary; loops that write per-household totals or flags
    can then run their halves at once.
    """
    return lambda middle: int(np.searchsorted(pop.household, pop.household[middle], side="left"))


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
    members, spouses, minors : ndarray of int16
        Present (migrant or settled) persons of each household, of them spouses, and children
        under :data:`sim.population.MINOR_AGE`.
    has_settled_adult : ndarray of bool
        Whether a head or spouse of the household has settled.
    """
    size = int(pop.household.max()) + 1 if pop.size else 0
    members = np.zeros(size, np.int16)
    spouses = np.zeros(size, np.int16)
    minors = np.zeros(size, np.int16)
    has_settled_adult = np.zeros(size, bool)
    in_two_halves(
        pop.size,
        SPLIT_MIN,
        lambda a, b: _loops.household_totals(
            month,
            pop.status[a:b],
            pop.role[a:b],
            pop.household[a:b],
            pop.birth_month[a:b],
            members,
            spouses,
            minors,
            has_settled_adult.view(np.uint8),
        ),
        by_household(pop),
    )
    return members, spouses, minors, has_settled_adult
