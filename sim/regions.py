"""Months paid in each recognition region (累计互认), stored only where they differ from the city's ledger.

A person who has never moved between cities has paid in region ``r`` exactly the months of their
city's ledger if their city belongs to ``r`` (back payments included: both are recorded together),
and no month otherwise. Only a person who has moved needs region ledgers of their own: the city's
ledger starts afresh on a move, the regions' histories go along. :class:`RegionStore` keeps those
(one row of ``R`` ledgers per person who ever moved) and derives everyone else's, so a month costs a
pass over the movers' regions instead of one over every person for every region, and memory grows
with the movers rather than with persons × regions.

The rules read the regions through ``Population.region_paid`` (one :class:`~sim.ledger.BitLedger`
per region, indexed by row): the eligibility kernel, points items and exact counts. Those arrays
are written by :meth:`RegionStore.materialize` each month, from the store, for the regions each
person's city's rules name (the regions a person's verdict can read). Regions that no city names
together share one array ("colour"), so a scenario whose cities each name one region keeps one set
of arrays however many regions it has. ``region_paid[r]`` is therefore exact only at rows whose
city's rules name ``r``: the readers of a month read no other; :meth:`RegionStore.ledger` gives any
region for any rows exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim._loops import region_view
from sim.ledger import BitLedger
from sim.population import Population
from sim.scenario.schema import CHANNELS, PointsChannel, RateItem, Scenario
from sim.scenario.timeline import resolve_timeline

NO_ROW = -1


def named_regions(scenario: Scenario) -> list[set[int]]:
    """Per city, the regions its rules name (any rule set, counting rule or points item)."""
    index = {name: i for i, name in enumerate(scenario.regions)}
    named: list[set[int]] = []
    for city in scenario.cities.values():
        regions: set[int] = set()
        for period in resolve_timeline(city.rules):
            for name in CHANNELS:
                channel = getattr(period.rules.channels, name)
                if channel is None:
                    continue
                for route in channel.routes.values():
                    if route is not None and route.social_insurance is not None:
                        regions |= {index[r] for r in route.social_insurance.recognised_in}
                if isinstance(channel, PointsChannel):
                    for item in channel.items.values():
                        if isinstance(item, RateItem):
                            regions |= {index[r] for r in item.recognised_in}
        named.append(regions)
    return named


def colours(named: list[set[int]], n_regions: int) -> np.ndarray:
    """A colour per region such that regions named by one city differ (greedy, in region order)."""
    colour = np.full(n_regions, -1, np.int64)
    for region in range(n_regions):
        taken = {int(colour[other]) for regions in named if region in regions for other in regions}
        colour[region] = next(c for c in range(n_regions) if c not in taken)
    return colour


@dataclass
class MovedRegions:
    """Region ledgers of some persons who have moved (what a mover carries to another part of a split run)."""

    lo: np.ndarray
    hi: np.ndarray
    lifetime: np.ndarray
    has: np.ndarray
    """Whether each person had ledgers of their own (else they are derived from their city's ledger)."""


class RegionStore:
    """Every person's region ledgers: derived from the city's ledger, or their own once they have moved.

    Parameters
    ----------
    scenario : Scenario
        Its regions and which cities name them.
    size : int
        Slots of the run.
    """

    def __init__(self, scenario: Scenario, size: int) -> None:
        city_ids = list(scenario.cities)
        self.n_regions = len(scenario.regions)
        self.members = np.zeros((self.n_regions, len(city_ids)), bool)
        for r, cities in enumerate(scenario.regions.values()):
            self.members[r, [city_ids.index(c) for c in cities]] = True
        named = named_regions(scenario)
        self.colour = colours(named, self.n_regions)
        n_colours = int(self.colour.max()) + 1 if self.n_regions else 0
        self.named = np.full((n_colours, len(city_ids)), NO_ROW, np.int64)
        """For each colour and city, the region of that colour the city names (-1: none)."""
        for city, regions in enumerate(named):
            for r in regions:
                self.named[self.colour[r], city] = r
        self.row = np.full(size, NO_ROW, np.int32)
        """Each slot's row in the movers' ledgers (-1: never moved, derived from the city's ledger)."""
        self.count = 0
        self.lo = np.zeros((0, self.n_regions), np.uint64)
        self.hi = np.zeros((0, self.n_regions), np.uint64)
        self.lifetime = np.zeros((0, self.n_regions), np.int16)
        self.views = [BitLedger.empty(size) for _ in range(n_colours)]

    def region_paid(self) -> list[BitLedger]:
        """The per-region arrays the rules read (``Population.region_paid``): one per colour, shared."""
        return [self.views[c] for c in self.colour]

    def nbytes(self) -> int:
        """Memory held, in bytes (the shared arrays once)."""
        arrays = [self.row, self.lo, self.hi, self.lifetime, self.named, self.members]
        arrays += [a for view in self.views for a in (view.lo, view.hi, view.lifetime)]
        return sum(a.nbytes for a in arrays)

    def ledger(self, pop: Population, region: int, rows: np.ndarray) -> BitLedger:
        """Region ``region``'s ledger of ``rows``, exactly (whatever their city names)."""
        rows = np.asarray(rows, np.int64)
        own = self.row[rows]
        inside = self.members[region, pop.city[rows]] & (own == NO_ROW)
        paid = pop.social_insurance
        out = BitLedger(
            np.where(inside, paid.lo[rows], np.uint64(0)),
            np.where(inside, paid.hi[rows], np.uint64(0)),
            np.where(inside, paid.lifetime[rows], 0).astype(np.int16),
        )
        moved = own != NO_ROW
        out.lo[moved] = self.lo[own[moved], region]
        out.hi[moved] = self.hi[own[moved], region]
        out.lifetime[moved] = self.lifetime[own[moved], region]
        return out

    def materialize(self, pop: Population, rows: np.ndarray | None = None) -> None:
        """Write the regions each row's city names into the arrays the rules read (every row by default)."""
        if rows is None:
            # In one compiled pass per colour: no temporaries the size of the population.
            paid, members = pop.social_insurance, self.members.view(np.uint8)
            for colour, view in enumerate(self.views):
                n = pop.size
                region_view(
                    pop.city,
                    self.row[:n],
                    self.named[colour],
                    members,
                    paid.lo,
                    paid.hi,
                    paid.lifetime,
                    self.lo,
                    self.hi,
                    self.lifetime,
                    view.lo[:n],
                    view.hi[:n],
                    view.lifetime[:n],
                )
            return
        rows = np.asarray(rows, np.int64)
        for colour, view in enumerate(self.views):
            region = self.named[colour, pop.city[rows]]
            named = region >= 0
            these, regions = rows[named], region[named]
            own = self.row[these]
            derived = own == NO_ROW
            inside = self.members[regions, pop.city[these]] & derived
            paid = pop.social_insurance
            view.lo[these] = np.where(inside, paid.lo[these], np.uint64(0))
            view.hi[these] = np.where(inside, paid.hi[these], np.uint64(0))
            view.lifetime[these] = np.where(inside, paid.lifetime[these], 0)
            moved = ~derived
            view.lo[these[moved]] = self.lo[own[moved], regions[moved]]
            view.hi[these[moved]] = self.hi[own[moved], regions[moved]]
            view.lifetime[these[moved]] = self.lifetime[own[moved], regions[moved]]

    def moving(self, pop: Population, rows: np.ndarray) -> None:
        """Give ``rows``, about to leave their city, ledgers of their own (derived from the city they leave)."""
        rows = np.asarray(rows, np.int64)
        new = rows[self.row[rows] == NO_ROW]
        if not len(new) or not self.n_regions:
            return
        first = self._allocate(len(new))
        inside = self.members[:, pop.city[new]].T  # (persons, regions)
        paid = pop.social_insurance
        self.lo[first : first + len(new)] = np.where(inside, paid.lo[new, None], np.uint64(0))
        self.hi[first : first + len(new)] = np.where(inside, paid.hi[new, None], np.uint64(0))
        self.lifetime[first : first + len(new)] = np.where(inside, paid.lifetime[new, None], 0)
        self.row[new] = np.arange(first, first + len(new), dtype=np.int32)

    def take(self, rows: np.ndarray) -> MovedRegions:
        """The own ledgers of ``rows`` (for the part of a split run they move to)."""
        own = self.row[rows]
        has = own != NO_ROW
        safe = np.where(has, own, 0)
        if not self.count:
            empty = np.zeros((len(rows), self.n_regions))
            return MovedRegions(empty.astype(np.uint64), empty.astype(np.uint64), empty.astype(np.int16), has)
        return MovedRegions(self.lo[safe], self.hi[safe], self.lifetime[safe], has)

    def put(self, rows: np.ndarray, moved: MovedRegions) -> None:
        """Take in the own ledgers of ``rows`` from another part (those without keep deriving theirs)."""
        rows = np.asarray(rows, np.int64)
        self.row[rows] = NO_ROW
        keep = np.flatnonzero(moved.has)
        if not len(keep):
            return
        first = self._allocate(len(keep))
        self.lo[first : first + len(keep)] = moved.lo[keep]
        self.hi[first : first + len(keep)] = moved.hi[keep]
        self.lifetime[first : first + len(keep)] = moved.lifetime[keep]
        self.row[rows[keep]] = np.arange(first, first + len(keep), dtype=np.int32)

    def _allocate(self, n: int) -> int:
        """Room for ``n`` more movers' rows; returns the first.

        The capacity grows by a quarter at a time: movers come a few thousand a month, and a
        doubling would leave up to half of the largest array unused at the peak.
        """
        first = self.count
        if first + n > len(self.lo):
            capacity = max(len(self.lo) + len(self.lo) // 4, first + n, 1024)
            for name in ("lo", "hi", "lifetime"):
                old = getattr(self, name)
                grown = np.zeros((capacity, self.n_regions), old.dtype)
                grown[:first] = old[:first]
                setattr(self, name, grown)
        self.count = first + n
        return first
