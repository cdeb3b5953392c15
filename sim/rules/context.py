"""What a rule sees: the population at one month, with per-month derived quantities cached."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from sim.errors import UnknownKindError
from sim.households import household_totals
from sim.ledger import HISTORY_MONTHS, BitLedger, Counters, popcount, window_masks, window_masks_per_row
from sim.population import CHILD, HEAD, NO_MONTH, PARENT, SPOUSE, Population
from sim.rules.counters import counted, spec_of
from sim.rules.counting import CountResult, History, count_ok, evaluate_count, filled_count_ok, needs_total
from sim.scenario.schema import CountRule

JOIN_ROLES = {"spouse": (HEAD, SPOUSE), "child": (CHILD,), "parent": (PARENT,)}
"""The household roles of the relatives a family route (``joins``) is open to."""

DERIVED_QUANTITIES = (
    "age_years",
    "months_in_city",
    "community_months",
    "permit_months",
    "months_holding_permit",
    "months_since_graduation",
    "floor_area_per_capita_m2",
    "has_spouse",
    "age_if_male",
    "age_if_female",
)
"""Per-person quantities a rule reads that the context derives (its properties of the same names)."""
STORED_QUANTITIES = (
    "education",
    "skill",
    "employed_months",
    "tenure",
    "owns_commercial",
    "sanctions",
    "honours",
    "shortage_industry",
)
"""Per-person quantities a rule reads as the population stores them."""


class Households:
    """Per-household totals of one month, computed once and shared by every rule and city.

    Parameters
    ----------
    pop : Population
        The whole population.
    month : int
        The month (for ages).
    """

    def __init__(self, pop: Population, month: int) -> None:
        self.members, self.spouses, self.minors, self.has_settled_adult = household_totals(pop, month)


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
    households : Households, optional
        This month's household totals, when the caller has them already.
    filled : bool
        Evaluate as if every month lived in the city had been paid: answers "who is held
        back only by gaps in their contributions?" (the reference for
        :func:`sim.rules.channels.channel_verdicts`).
    """

    def __init__(
        self,
        pop: Population,
        month: int,
        regions: dict[str, int],
        *,
        rows: np.ndarray | None = None,
        households: Households | None = None,
        filled: bool = False,
    ) -> None:
        self.full = pop
        self.rows = rows
        self.pop: Population = pop if rows is None else _RowView(pop, rows)  # type: ignore[assignment]
        self.month = month
        self.regions = regions
        self.filled = filled
        self.households = households if households is not None else Households(pop, month)
        self._histories: dict[tuple[str, tuple[str, ...]], History] = {}
        self._counts: dict[tuple[str, tuple[str, ...], int | None, bool], np.ndarray] = {}
        self._verdicts: dict[tuple[str, str, CountRule], np.ndarray] = {}

    @cached_property
    def age_years(self) -> np.ndarray:
        """Completed years of age."""
        return ((self.month - self.pop.birth_month) // 12).astype(np.int16)

    @cached_property
    def age_if_male(self) -> np.ndarray:
        """Completed years of age of men; -1 for women (a limit for men does not apply to them)."""
        return np.where(self.pop.is_male, self.age_years, -1).astype(np.int16)

    @cached_property
    def age_if_female(self) -> np.ndarray:
        """Completed years of age of women; -1 for men."""
        return np.where(self.pop.is_male, -1, self.age_years).astype(np.int16)

    @cached_property
    def months_in_city(self) -> np.ndarray:
        """Months lived in the current city."""
        return np.maximum(self.month - self.pop.city_since, 0).astype(np.int16)

    @cached_property
    def community_months(self) -> np.ndarray:
        """Months in the current community."""
        return np.maximum(self.month - self.pop.community_since, 0)

    @cached_property
    def permit_months(self) -> np.ndarray:
        """Months a residence permit has been held (-1: none)."""
        permit = self.pop.permit_month
        return np.where(permit == NO_MONTH, -1, self.month - permit)

    @cached_property
    def months_holding_permit(self) -> np.ndarray:
        """Months a residence permit has been held (0: none), as points items count them."""
        permit = self.pop.permit_month
        return np.where(permit == NO_MONTH, 0, self.month - permit)

    @cached_property
    def has_spouse(self) -> np.ndarray:
        """Whether the row is a head or spouse whose household has a spouse present."""
        adults = (self.pop.role == HEAD) | (self.pop.role == SPOUSE)
        return adults & (self.households.spouses[self.pop.household] > 0)

    @cached_property
    def months_since_graduation(self) -> np.ndarray:
        """Months since graduation (-1: never graduated)."""
        graduated = self.pop.graduated_month
        return np.where(graduated == NO_MONTH, -1, self.month - graduated)

    def quantity(self, name: str) -> np.ndarray:
        """A per-person quantity by name, one value per row (the names the compiled kernel's columns have).

        Raises
        ------
        UnknownKindError
            If ``name`` is neither a derived nor a stored quantity.
        """
        if name in DERIVED_QUANTITIES:
            return getattr(self, name)
        if name in STORED_QUANTITIES:
            return getattr(self.pop, name)
        raise UnknownKindError("quantity", name, DERIVED_QUANTITIES + STORED_QUANTITIES)

    def related_as(self, relative: str) -> np.ndarray:
        """Whether each row has a household role that a family route for ``relative`` is open to.

        Raises
        ------
        UnknownKindError
            If ``relative`` is not one of :data:`JOIN_ROLES`.
        """
        if relative not in JOIN_ROLES:
            raise UnknownKindError("relative", relative, JOIN_ROLES)
        roles = JOIN_ROLES[relative]
        related = self.pop.role == roles[0]
        for role in roles[1:]:
            related |= self.pop.role == role
        return related

    def evaluate_count(self, kind: str, rule: CountRule) -> CountResult:
        """A counting rule on ``kind`` months with the figures behind it (see :func:`evaluate_count`)."""
        return evaluate_count(rule, self.history_for(kind, rule), self.month)

    def paid_months(
        self,
        kind: str,
        recognised_in: tuple[str, ...] = (),
        counted_from: int | None = None,
        excluding_study: bool = False,
    ) -> np.ndarray:
        """Months of ``kind`` paid from ``counted_from`` on, less those paid before graduation when excluding study.

        Within the last 128 months the bit masks count exactly; a count reaching further back is
        read from the exact counters (:meth:`count`).

        Returns
        -------
        ndarray of float64
        """
        if counted_from is None or self.month - counted_from > HISTORY_MONTHS:
            months = self.count(kind, recognised_in, counted_from).astype(np.float64)
            if excluding_study:
                months -= self.count(kind, recognised_in, counted_from, study=True)
            return months
        history = self.history(kind, recognised_in)
        lo_mask, hi_mask = window_masks(max(0, self.month - counted_from))
        lo, hi = history.lo & lo_mask, history.hi & hi_mask
        months = popcount(lo, hi).astype(np.float64)
        if excluding_study:
            # Months paid in the study period (enrolment to graduation) were earned while studying.
            graduated = self.pop.graduated_month.astype(np.int64)
            enrolled = self.pop.enrolled_month.astype(np.int64)
            since = np.where(graduated == NO_MONTH, HISTORY_MONTHS, self.month - graduated)
            began = np.where(enrolled == NO_MONTH, HISTORY_MONTHS, self.month - enrolled)
            recent_lo, recent_hi = window_masks_per_row(np.clip(since, 0, HISTORY_MONTHS))
            study_lo, study_hi = window_masks_per_row(np.clip(began, 0, HISTORY_MONTHS))
            months -= popcount(lo & study_lo & ~recent_lo, hi & study_hi & ~recent_hi)
        return months

    def history_months(
        self, kind: str, counted_from: int | None = None, excluding_study: bool = False, group: str = ""
    ) -> np.ndarray:
        """Months of a history (:data:`sim.ledger.HISTORIES`: owned, rented, permit...) from ``counted_from`` on.

        Read from the exact counters (any span); with ``excluding_study`` the months of the study
        period are deducted. ``group`` names the district group of the district histories.

        Returns
        -------
        ndarray of float64
        """
        spec = spec_of(kind, (), counted_from, False, self.regions, group)
        months = counted(self.pop, spec).astype(np.float64)
        if excluding_study:
            months -= counted(self.pop, spec_of(kind, (), counted_from, True, self.regions, group))
        return months

    def attribute(self, name: str) -> np.ndarray:
        """The person attribute ``name`` (declared by the scenario), per row.

        Raises
        ------
        KeyError
            If the population carries no such attribute.
        """
        names = self.pop.attribute_names
        if name not in names:
            raise KeyError(f"no person attribute {name!r}; the population carries {list(names)}")
        return self.pop.attributes[:, names.index(name)].astype(np.float64)

    def count_ok(self, kind: str, rule: CountRule) -> np.ndarray:
        """Verdict of a counting rule on ``kind`` months, computed once per rule and month."""
        key = ("ok", kind, rule)
        if key not in self._verdicts:
            self._verdicts[key] = count_ok(rule, self.history_for(kind, rule), self.month)
        return self._verdicts[key]

    def filled_ok(self, rule: CountRule) -> np.ndarray:
        """Verdict of a counting rule had every month in the city been paid, once per rule and month."""
        key = ("filled", "", rule)
        if key not in self._verdicts:
            self._verdicts[key] = filled_count_ok(rule, self.months_in_city, self.month)
        return self._verdicts[key]

    @cached_property
    def floor_area_per_capita_m2(self) -> np.ndarray:
        """Dwelling floor area divided by the household's members in the city, per row."""
        members = self.households.members[self.pop.household]
        # Divided in float64, then rounded to float32, as the compiled kernel does.
        return (self.pop.floor_area_m2.astype(np.float64) / np.maximum(members, 1)).astype(np.float32)

    @cached_property
    def has_settled_adult(self) -> np.ndarray:
        """Whether the row's household has a settled head or spouse (for family routes)."""
        return self.households.has_settled_adult[self.pop.household]

    def history(self, kind: str, recognised_in: tuple[str, ...] = ()) -> History:
        """Paid months of ``kind`` ('social_insurance' or 'tax') in the last 128, combined over recognised regions."""
        key = (kind, tuple(sorted(recognised_in)))
        if key not in self._histories:
            self._histories[key] = self._filled_history() if self.filled else self._history(kind, key[1])
        return self._histories[key]

    def history_for(self, kind: str, rule: CountRule) -> History:
        """The history ``rule`` reads, with its exact total when it counts further back than 128 months."""
        history = self.history(kind, rule.recognised_in)
        if not needs_total(rule, self.month):
            return history
        total = self.count(kind, rule.recognised_in, rule.counted_from)
        return History(history.lo, history.hi, history.back_lo, history.back_hi, total)

    def count(
        self, kind: str, recognised_in: tuple[str, ...] = (), counted_from: int | None = None, study: bool = False
    ) -> np.ndarray:
        """Exact months of ``kind`` paid before this month, over any span (see :mod:`sim.rules.counters`).

        Parameters
        ----------
        kind : str
            'social_insurance' or 'tax'.
        recognised_in : tuple of str
            Regions whose months count with the city's (a month paid in two counts once).
        counted_from : int, optional
            First month that counts.
        study : bool
            Count only months before the person's graduation month.
        """
        key = (kind, tuple(sorted(recognised_in)), counted_from, study)
        if key not in self._counts:
            if self.filled:
                if study:
                    raise ValueError("the 'had every gap been paid' view counts no months while studying")
                countable = self.month - counted_from if counted_from is not None else np.iinfo(np.int16).max
                value = np.minimum(self.months_in_city, max(countable, 0)).astype(np.int16)
            else:
                value = counted(self.pop, spec_of(kind, key[1], counted_from, study, self.regions))
            self._counts[key] = value
        return self._counts[key]

    def _history(self, kind: str, regions: tuple[str, ...]) -> History:
        ledger: BitLedger = getattr(self.pop, kind)
        lo, hi = ledger.lo, ledger.hi
        for region in regions if kind == "social_insurance" else ():
            other = self.pop.region_paid[self.regions[region]]
            lo, hi = lo | other.lo, hi | other.hi
        # Back-paid months are kept per person, whichever city they were back-paid in.
        back = self.pop.back_paid if kind == "social_insurance" else None
        zeros = np.zeros_like(lo)
        return History(lo, hi, back.lo if back else zeros, back.hi if back else zeros)

    def _filled_history(self) -> History:
        lo, hi = window_masks_per_row(self.months_in_city)
        zeros = np.zeros_like(lo)
        return History(lo, hi, zeros, zeros)


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
        if isinstance(value, BitLedger | Counters):
            value = value.take(self._rows)
        elif isinstance(value, list):
            value = [ledger.take(self._rows) for ledger in value]
        elif isinstance(value, np.ndarray):
            value = value[self._rows]
        else:
            return value
        setattr(self, name, value)
        return value
