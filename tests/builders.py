"""Small builders for rule tests: paid-month histories and populations written by hand.

Months are given as *months ago* relative to the application month ``t``: 1 is the month just
ended (``t - 1``), 36 is ``t - 36``. Histories are built the way the model builds them, by
closing one month at a time with :meth:`sim.ledger.BitLedger.advance`, so the tests exercise
the real bit layout rather than a copy of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from sim.ledger import BitLedger, Counters, CounterSpec, window_masks_per_row
from sim.months import month_index, month_label
from sim.population import (
    CITY_DTYPE,
    EDUCATION_INDEX,
    FORMAL,
    HEAD,
    MIGRANT,
    MONTH_DTYPE,
    NO_MONTH,
    RENT,
    SKILL_INDEX,
    Population,
)
from sim.rules.context import RuleContext
from sim.rules.counting import History

T = month_index(2019, 10)
"""Default application month: October 2019, the first full month under Ningbo's 2019 reform
(in force from 2019-09-15; seed 000's Ms Xie applied on 17 September)."""


def months(first: int, last: int) -> frozenset[int]:
    """Months ago ``first … last`` inclusive, e.g. ``months(1, 36)`` = the last three years."""
    return frozenset(range(first, last + 1))


def ledger(*rows: Iterable[int]) -> BitLedger:
    """A ledger with one row per argument; each row lists the months ago that were recorded."""
    sets = [frozenset(row) for row in rows]
    if any(ago < 1 for row in sets for ago in row):
        raise ValueError("months ago start at 1 (the month just ended)")
    oldest = max((max(row) for row in sets if row), default=0)
    is_paid = np.zeros((oldest + 1, len(sets)), bool)
    for column, row in enumerate(sets):
        is_paid[list(row), column] = True
    result = BitLedger.empty(len(sets))
    every_row = np.arange(len(sets))
    for ago in range(oldest, 0, -1):  # oldest month first, as the months were lived
        result.advance(every_row, is_paid[ago])
    return result


def history(paid_ago: Iterable[int], back_paid_ago: Iterable[int] = ()) -> History:
    """One person's history; back-paid months are paid months too (as the model records them)."""
    return histories([(paid_ago, back_paid_ago)])


def histories(rows: Sequence[tuple[Iterable[int], Iterable[int]]]) -> History:
    """Several persons' histories, one ``(paid_ago, back_paid_ago)`` pair per row."""
    backs = [frozenset(back) for _, back in rows]
    paid = ledger(*(frozenset(p) | b for (p, _), b in zip(rows, backs, strict=True)))
    back_ledger = ledger(*backs)
    return History(paid.lo, paid.hi, back_ledger.lo, back_ledger.hi, paid.lifetime)


def age_birth_month(age_years: int, month: int = T) -> int:
    """Birth month of someone who turned ``age_years`` exactly in ``month``."""
    return month - 12 * age_years


_DEFAULTS: dict[str, object] = {
    "status": MIGRANT,
    "city": 0,
    "role": HEAD,
    "birth_month": month_index(1990, 1),
    "is_male": False,
    "education": "junior_secondary",
    "skill": "none",
    "graduated_month": NO_MONTH,
    "is_rural": True,
    "has_land": False,
    "origin_province": 0,
    "employment": FORMAL,
    "has_business": False,
    "arrival_month": month_index(2010, 1),
    "city_since": month_index(2010, 1),
    "permit_month": NO_MONTH,
    "community_since": month_index(2010, 1),
    "tenure": RENT,
    "owns_commercial": False,
    "floor_area_m2": 60.0,
    "honours": 0,
    "sanctions": 0,
    "shortage_industry": False,
    "employed_months": 0,
}

_DTYPES: dict[str, type] = {
    "status": np.int8,
    "city": CITY_DTYPE,
    "household": np.int32,
    "role": np.int8,
    "birth_month": MONTH_DTYPE,
    "is_male": bool,
    "education": np.int8,
    "skill": np.int8,
    "graduated_month": MONTH_DTYPE,
    "is_rural": bool,
    "has_land": bool,
    "origin_province": np.int8,
    "employment": np.int8,
    "has_business": bool,
    "arrival_month": MONTH_DTYPE,
    "city_since": MONTH_DTYPE,
    "permit_month": MONTH_DTYPE,
    "community_since": MONTH_DTYPE,
    "tenure": np.int8,
    "owns_commercial": bool,
    "floor_area_m2": np.float32,
    "honours": np.int8,
    "sanctions": np.int8,
    "shortage_industry": bool,
    "employed_months": np.int16,
}

_HISTORY_KEYS = ("paid_ago", "back_paid_ago", "tax_paid_ago", "region_paid_ago")


def population(
    *persons: Mapping[str, object], n_regions: int = 0, specs: Sequence[CounterSpec] = (), month: int = T
) -> Population:
    """A population with one row per mapping; unspecified fields take plain defaults.

    Defaults: a migrant head of their own household (household id = row), born 1990-01,
    junior-secondary education, no skill, renting 60 m², in the city since 2010-01, no permit,
    nothing paid. Besides the :class:`Population` field names, a person may give ``age`` (years
    in :data:`T`), ``education`` / ``skill`` by level name, ``paid_ago`` and ``back_paid_ago``
    (social insurance), ``tax_paid_ago``, and ``region_paid_ago`` (one collection per region).
    The counters ``specs`` are counted from these lists, months ago before ``month``.
    """
    allowed = {*_DTYPES, *_HISTORY_KEYS, "age"}
    for row, person in enumerate(persons):
        unknown = sorted(set(person) - allowed)
        if unknown:
            raise TypeError(f"person {row}: unknown fields {unknown}")
    columns: dict[str, list[object]] = {name: [] for name in _DTYPES}
    for row, person in enumerate(persons):
        values = {**_DEFAULTS, "household": row, **person}
        if "age" in person:
            values["birth_month"] = age_birth_month(int(person["age"]))  # type: ignore[call-overload]
        if isinstance(values["education"], str):
            values["education"] = EDUCATION_INDEX[values["education"]]
        if isinstance(values["skill"], str):
            values["skill"] = SKILL_INDEX[values["skill"]]
        for name in _DTYPES:
            columns[name].append(values[name])
    arrays = {name: np.array(columns[name], dtype) for name, dtype in _DTYPES.items()}

    def rows_of(key: str) -> list[frozenset[int]]:
        return [frozenset(p.get(key, ())) for p in persons]  # type: ignore[arg-type]

    back = rows_of("back_paid_ago")
    paid = [p | b for p, b in zip(rows_of("paid_ago"), back, strict=True)]
    region_rows: list[Sequence[Iterable[int]]] = [p.get("region_paid_ago", ()) for p in persons]  # type: ignore[misc]
    regions = [ledger(*(rows[r] if r < len(rows) else () for rows in region_rows)) for r in range(n_regions)]
    counters = Counters.empty(len(persons), tuple(specs))
    taxes = rows_of("tax_paid_ago")
    for row in range(len(persons)):
        region_months = [frozenset(rows) for rows in region_rows[row]]
        for column, spec in enumerate(specs):
            if spec.kind == "tax":
                ago = set(taxes[row]) if spec.city else set()
            else:
                ago = set(paid[row]) if spec.city else set()
                for r in spec.regions:
                    ago |= region_months[r] if r < len(region_months) else set()
            counters.values[row, column] = recount(ago, spec, int(arrays["graduated_month"][row]), month)
    return Population(
        **arrays,
        social_insurance=ledger(*paid),
        back_paid=ledger(*back),
        tax=ledger(*taxes),
        region_paid=regions,
        counters=counters,
    )


def recount(paid_ago: Iterable[int], spec: CounterSpec, graduated: int, month: int = T) -> int:
    """The count ``spec`` of one person from an explicit list of months ago, by brute force."""
    paid = [month - ago for ago in paid_ago]
    first = spec.counted_from if spec.counted_from is not None else min(paid, default=month)
    return sum(1 for m in paid if m >= first and (not spec.study or (graduated != NO_MONTH and m < graduated)))


def context(
    pop: Population,
    month: int = T,
    regions: Mapping[str, int] | None = None,
    *,
    rows: np.ndarray | None = None,
    filled: bool = False,
) -> RuleContext:
    """The rule context of ``pop`` in ``month`` (default :data:`T`), optionally for some ``rows``."""
    return RuleContext(pop, month, dict(regions or {}), rows=rows, filled=filled)


def ago_label(months_ago: int, month: int = T) -> str:
    """``YYYY-MM`` of the month ``months_ago`` before ``month`` (scenario dates are labels, not indices)."""
    return month_label(month - months_ago)


def with_counters(pop: Population, specs: Sequence[CounterSpec], month: int, seed: int = 0) -> Population:
    """``pop`` (a copy of its rows) with counters for ``specs`` that agree with its ledgers.

    Each count is the months of its union among the 128 bits (since its date, before
    graduation when it counts study), plus, when the span reaches further back, a random number
    of older months no larger than the months lived in the city before the bits allow.
    """
    rng = np.random.default_rng(seed)
    pop = pop.prefix(pop.size)
    lived = np.maximum(month - pop.city_since.astype(np.int64), 0)
    graduated = pop.graduated_month.astype(np.int64)
    values = np.zeros((pop.size, len(specs)), np.int16)
    for column, spec in enumerate(specs):
        if spec.kind not in ("social_insurance", "tax"):
            # A history without bits here: a random count no larger than the months lived in the city.
            values[:, column] = rng.integers(0, lived + 1)
            continue
        ledger = getattr(pop, spec.kind)
        lo = ledger.lo if spec.city else np.zeros_like(ledger.lo)
        hi = ledger.hi if spec.city else np.zeros_like(ledger.hi)
        for r in spec.regions:
            lo, hi = lo | pop.region_paid[r].lo, hi | pop.region_paid[r].hi
        span = lived if spec.counted_from is None else np.minimum(lived, max(0, month - spec.counted_from))
        first_lo, first_hi = window_masks_per_row(np.minimum(span, 128))
        lo, hi = lo & first_lo, hi & first_hi
        if spec.study:
            since_lo, since_hi = window_masks_per_row(np.clip(month - graduated, 0, 128))
            never = graduated == NO_MONTH
            lo, hi = np.where(never, 0, lo & ~since_lo), np.where(never, 0, hi & ~since_hi)
        older = rng.integers(0, np.maximum(span - 128, 0) + 1)
        if spec.study:
            older = np.where(graduated == NO_MONTH, 0, np.minimum(older, np.maximum(graduated - (month - 128), 0)))
        values[:, column] = np.bitwise_count(lo) + np.bitwise_count(hi) + older
    pop.counters = Counters(tuple(specs), values)
    return pop
