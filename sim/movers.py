"""What crosses between the parts of a run split by city: the month's movers and their histories.

A run can be split into parts that each hold a group of cities (:mod:`sim.split`). Every other
phase of a month reads and writes only the rows of the part's own cities; a household that
moves to a city another part holds leaves its part as a :class:`Movers` record, which the
other part writes into its arrays before the month's indicators are collected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.population import Population
from sim.regions import MovedRegions


@dataclass
class Movers:
    """Persons moving to cities that another part holds, with everything they carry.

    Attributes
    ----------
    rows : ndarray of int64
        Their slots (the same in every part).
    cities : ndarray of CITY_DTYPE
        The city each moves to.
    persons : Population
        Their rows as they were before the move (:meth:`sim.population.Population.take`):
        ledgers, counters, pending applications (which lapse on arrival).
    regions : MovedRegions
        The regions' ledgers of those who had moved before (the others' are their city's).
    grandfather_until, grandfather_channel : ndarray
        Their grandfathered channel, if any, and until when (per-person state of the model).
    relatives : ndarray of int64
        Slots of their households' settled members, whichever city they settled in.
    relatives_rows : Population
        Those members' rows: household totals (members, spouses, a settled adult to join)
        count them, so the receiving part keeps a copy that no phase changes.
    """

    rows: np.ndarray
    cities: np.ndarray
    persons: Population
    regions: MovedRegions
    grandfather_until: np.ndarray
    grandfather_channel: np.ndarray
    relatives: np.ndarray
    relatives_rows: Population

    def __len__(self) -> int:
        return len(self.rows)

    def subset(self, keep: np.ndarray) -> Movers:
        """The movers where ``keep`` is true, with their own households' relatives."""
        rows = self.rows[keep]
        households = np.unique(self.persons.household[keep])
        kin = np.isin(self.relatives_rows.household, households)
        return Movers(
            rows,
            self.cities[keep],
            self.persons.take(np.flatnonzero(keep)),
            MovedRegions(*(getattr(self.regions, f)[keep] for f in ("lo", "hi", "lifetime", "has"))),
            self.grandfather_until[keep],
            self.grandfather_channel[keep],
            self.relatives[kin],
            self.relatives_rows.take(np.flatnonzero(kin)),
        )
