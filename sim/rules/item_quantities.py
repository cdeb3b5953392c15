"""Every quantity and flag a points item may score, one entry each: schema name, array reference, words.

A ``rate`` or ``brackets`` item scores a quantity (:data:`ITEM_QUANTITIES`); a ``flag`` item a
yes/no attribute (:data:`ITEM_FLAGS`). The schema's ``of`` choices are these entries' names, the
scores their references, ``describe`` their words (``quantities.<name>`` and ``flags.<name>`` of
``ui/i18n/<lang>.yaml``). Adding one is adding an entry here (see "Adding a condition kind or a
points quantity" in ``docs/scenarios.md``).

Points have no compiled form: they are scored by the array reference alone, once a round, and
rounds are yearly (a scheme's ``rounds.months_of_year``), so the scoring is not on the monthly
path that the compiled kernel serves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sim.rules.history_quantities import age_by_birth_year, income_tax_years
from sim.rules.vocabulary import Context, Labels, entry_of
from sim.value_types import TENURES

Per = Literal["month", "year", "count"]


@dataclass(frozen=True)
class ItemQuantity:
    """A quantity points items score, in the units they count it in (months, counts, years of age).

    Attributes
    ----------
    name : str
        The value of an item's ``of``.
    per : tuple of str
        The units a ``rate`` item may give its points per (``month`` and ``year`` for months,
        ``count`` for counts); empty when only ``brackets`` items may score it (age).
    reference : callable
        ``(ctx, item) -> ndarray of float64``: the quantity per row; ``item`` is the rate item
        (its ``counted_from``, ``recognised_in`` and ``excluding_study`` apply to paid months),
        or None for a brackets item.
    words : callable
        ``labels -> str``: the quantity's name in words (``quantities.<name>``).
    paid_months : bool
        Whether it counts the months of a history, so that ``counted_from`` and ``excluding_study`` apply.
    regional : bool
        Whether months paid in recognised regions count too (``recognised_in`` applies).
    needs : tuple of str
        Fields of the rate item it reads and requires (``group``, ``threshold_cny`` and
        ``last_years``, ``attribute``); other quantities refuse them.
    """

    name: str
    per: tuple[Per, ...]
    reference: Callable[[Context, Any], np.ndarray]
    words: Callable[[Labels], str]
    paid_months: bool = False
    regional: bool = False
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemFlag:
    """A yes/no attribute ``flag`` items score.

    Attributes
    ----------
    name : str
        The value of a flag item's ``of``.
    reference : callable
        ``ctx -> ndarray of bool``, per row.
    words : callable
        ``labels -> str``: the flag in words (``flags.<name>``).
    """

    name: str
    reference: Callable[[Context], np.ndarray]
    words: Callable[[Labels], str]


def _words(section: str, name: str) -> Callable[[Labels], str]:
    return lambda lab: lab.get(section, name)


def _paid(ledger: str) -> Callable[[Context, Any], np.ndarray]:
    def reference(ctx: Context, item: Any) -> np.ndarray:
        if item is None:
            return ctx.paid_months(ledger)
        return ctx.paid_months(ledger, item.recognised_in, item.counted_from, item.excluding_study)

    return reference


def _stored(quantity: str) -> Callable[[Context, Any], np.ndarray]:
    return lambda ctx, item: ctx.quantity(quantity)


def _history(kind: str) -> Callable[[Context, Any], np.ndarray]:
    """Months of a history (:data:`sim.ledger.HISTORIES`), exact over any span, from the item's date, less study."""

    def reference(ctx: Context, item: Any) -> np.ndarray:
        if item is None:
            return ctx.history_months(kind)
        return ctx.history_months(kind, item.counted_from, item.excluding_study, item.group or "")

    return reference


def _residence(ctx: Context, item: Any) -> np.ndarray:
    # Months in the city are held whole; from a date or less the study period they are counted.
    if item is None or (item.counted_from is None and not item.excluding_study):
        return ctx.quantity("months_in_city")
    return ctx.history_months("resided", item.counted_from, item.excluding_study)


def _income_tax_years(ctx: Context, item: Any) -> np.ndarray:
    # Beijing: years with individual income tax of at least 100,000 yuan among the last 3.
    return income_tax_years(ctx.pop, item.threshold_cny, item.last_years).astype(np.float64)


def _attribute(ctx: Context, item: Any) -> np.ndarray:
    return ctx.attribute(item.attribute)


def _months(name: str, reference: Callable[[Context, Any], np.ndarray], **paid: bool) -> ItemQuantity:
    return ItemQuantity(name, ("month", "year"), reference, _words("quantities", name), **paid)


def _counts(name: str) -> ItemQuantity:
    return ItemQuantity(name, ("count",), _stored(name), _words("quantities", name))


def _quantities(*entries: ItemQuantity) -> Mapping[str, ItemQuantity]:
    return {entry.name: entry for entry in entries}


def _flags(*entries: ItemFlag) -> Mapping[str, ItemFlag]:
    return {entry.name: entry for entry in entries}


def _flag(name: str, reference: Callable[[Context], np.ndarray]) -> ItemFlag:
    return ItemFlag(name, reference, _words("flags", name))


ITEM_QUANTITIES = _quantities(
    _months("social_insurance_months", _paid("social_insurance"), paid_months=True, regional=True),
    _months("residence_months", _residence, paid_months=True),
    _months("employment_months", _stored("employed_months")),
    _months("tax_months", _paid("tax"), paid_months=True),
    _months("residence_permit_months", _stored("months_holding_permit")),
    _months("community_months", _stored("community_months")),
    _months("owned_months", _history("owned"), paid_months=True),
    _months("rented_months", _history("rented"), paid_months=True),
    _months("residence_permit_total_months", _history("permit"), paid_months=True),
    _months("social_insurance_with_permit_months", _history("social_insurance_with_permit"), paid_months=True),
    ItemQuantity(
        "home_in_group_months",
        ("month", "year"),
        _history("home_in_group"),
        _words("quantities", "home_in_group_months"),
        paid_months=True,
        needs=("group",),
    ),
    ItemQuantity(
        "work_in_group_months",
        ("month", "year"),
        _history("work_in_group"),
        _words("quantities", "work_in_group_months"),
        paid_months=True,
        needs=("group",),
    ),
    ItemQuantity(
        "income_tax_years",
        ("count",),
        _income_tax_years,
        _words("quantities", "income_tax_years"),
        needs=("threshold_cny", "last_years"),
    ),
    ItemQuantity("attribute", ("count",), _attribute, _words("quantities", "attribute"), needs=("attribute",)),
    _counts("honours"),
    _counts("sanctions"),
    ItemQuantity("age_years", (), _stored("age_years"), _words("quantities", "age_years")),
    ItemQuantity(
        "age_by_birth_year",
        (),
        lambda ctx, item: age_by_birth_year(ctx.pop, ctx.month),
        _words("quantities", "age_by_birth_year"),
    ),
)
"""The quantities items score, by name; the order is that of the schema's choices."""

ITEM_FLAGS = _flags(
    _flag("rents_home", lambda ctx: ctx.quantity("tenure") == TENURES.index("rent")),
    _flag("owns_home", lambda ctx: ctx.quantity("tenure") == TENURES.index("own_home")),
    _flag("shortage_industry", lambda ctx: ctx.quantity("shortage_industry")),
    _flag("owns_commercial_property", lambda ctx: ctx.quantity("owns_commercial")),
    _flag("has_spouse", lambda ctx: ctx.quantity("has_spouse")),
)
"""The flags items score, by name."""

RATE_QUANTITIES: tuple[str, ...] = tuple(name for name, q in ITEM_QUANTITIES.items() if q.per)
"""Quantities a ``rate`` item may score (every quantity but the brackets-only ones)."""
BRACKETS_ONLY: tuple[str, ...] = tuple(name for name, q in ITEM_QUANTITIES.items() if not q.per)
"""Quantities only a ``brackets`` item may score (age: points by age band, not per year of age)."""


def item_quantity(name: str) -> ItemQuantity:
    """The entry of quantity ``name``; an unknown name is an :class:`~sim.errors.UnknownKindError`."""
    return entry_of(ITEM_QUANTITIES, "points quantity", name)


def item_flag(name: str) -> ItemFlag:
    """The entry of flag ``name``; an unknown name is an :class:`~sim.errors.UnknownKindError`."""
    return entry_of(ITEM_FLAGS, "points flag", name)
