"""What a rule sees: the population at one month, with per-month derived quantities cached."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from sim.ledger import BitLedger, window_masks_per_row
from sim.population import (
    HEAD,
    MIGRANT,
    SETTLED,
    SPOUSE,
    Population,
    household_any,
    household_sum,
)
from sim.rules.counting import History


class RuleContext:
    """The population as a rule sees it in ``month``.

    Quantities derived from the arrays (ages, household aggregates, combined histories) are
    computed once per month and shared by every rule that reads them.

    Parameters
    ----------
    pop : Population
        The persons (all rows; rules return one value per row).
    month : int
        Month index of the application.
    regions : dict of str to int
        Region name → index into ``pop.region_paid``.
    rows : ndarray of int, optional
        Evaluate only these rows (e.g. the migrants of one city); household aggregates are
        still taken over the whole population.
    filled : bool
        Evaluate as if every month lived in the city had been paid: answers "who is held
        back only by gaps in their contributions?".
    """

    def __init__(
        self,
        pop: Population,
        month: int,
        regions: dict[str, int],
        *,
        rows: np.ndarray | None = None,
        filled: bool = False,
    ) -> None:
        self.full = pop
        self.rows = rows
        self.pop: Population = pop if rows is None else _RowView(pop, rows)  # type: ignore[assignment]
        self.month = month
        self.regions = regions
        self.filled = filled
        self._histories: dict[tuple[str, tuple[str, ...]], History] = {}

    @cached_property
    def age_years(self) -> np.ndarray:
        """Completed years of age."""
        return ((self.month - self.pop.birth_month) // 12).astype(np.int16)

    @cached_property
    def months_in_city(self) -> np.ndarray:
        """Months lived in the current city."""
        return np.maximum(self.month - self.pop.city_since, 0).astype(np.int16)

    @cached_property
    def n_households(self) -> int:
        """One more than the largest household id."""
        return int(self.full.household.max()) + 1 if self.full.size else 0

    @cached_property
    def floor_area_per_capita_m2(self) -> np.ndarray:
        """Dwelling floor area divided by the household's members in the city, per row."""
        full = self.full
        present = (full.status == MIGRANT) | (full.status == SETTLED)
        members = household_sum(full.household, present.astype(np.float64), self.n_households)
        household = self.pop.household
        area = self.pop.floor_area_m2.astype(np.float64)
        return (area / np.maximum(members[household], 1.0)).astype(np.float32)

    @cached_property
    def has_settled_adult(self) -> np.ndarray:
        """Whether the row's household has a settled head or spouse (for family routes)."""
        full = self.full
        settled_adult = (full.status == SETTLED) & ((full.role == HEAD) | (full.role == SPOUSE))
        return household_any(full.household, settled_adult, self.n_households)[self.pop.household]

    def per_household(self, values: np.ndarray) -> np.ndarray:
        """Sum a full-population array over households and return it for the evaluated rows."""
        return household_sum(self.full.household, values, self.n_households)[self.pop.household]

    def history(self, kind: str, recognised_in: tuple[str, ...] = ()) -> History:
        """Paid months of ``kind`` ('social_insurance' or 'tax'), combined over recognised regions."""
        key = (kind, tuple(sorted(recognised_in)))
        if key not in self._histories:
            self._histories[key] = self._filled_history() if self.filled else self._history(kind, key[1])
        return self._histories[key]

    def _history(self, kind: str, regions: tuple[str, ...]) -> History:
        ledger: BitLedger = getattr(self.pop, kind)
        lo, hi, lifetime = ledger.lo, ledger.hi, ledger.lifetime
        for region in regions if kind == "social_insurance" else ():
            other = self.pop.region_paid[self.regions[region]]
            lo, hi = lo | other.lo, hi | other.hi
            lifetime = np.maximum(lifetime, other.lifetime)
        back = self.pop.back_paid if kind == "social_insurance" else None
        zeros = np.zeros_like(lo)
        return History(lo, hi, lifetime, back.lo if back else zeros, back.hi if back else zeros)

    def _filled_history(self) -> History:
        lo, hi = window_masks_per_row(self.months_in_city)
        zeros = np.zeros_like(lo)
        return History(lo, hi, self.months_in_city, zeros, zeros)


class _RowView:
    """The population restricted to some rows, gathered field by field on first use."""

    def __init__(self, pop: Population, rows: np.ndarray) -> None:
        self._pop = pop
        self._rows = rows

    @property
    def size(self) -> int:
        return len(self._rows)

    def __getattr__(self, name: str) -> object:
        value = getattr(self._pop, name)
        if isinstance(value, BitLedger):
            value = value.take(self._rows)
        elif isinstance(value, list):
            value = [ledger.take(self._rows) for ledger in value]
        elif isinstance(value, np.ndarray):
            value = value[self._rows]
        else:
            return value
        setattr(self, name, value)
        return value
