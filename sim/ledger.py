"""Contribution histories as rolling bit masks.

Each person's last 128 months are two ``uint64`` words: bit 0 of ``lo`` is the month just
ended (``t - 1``), bit 63 of ``lo`` is ``t - 64``, bit 0 of ``hi`` is ``t - 65``. Recording a
month shifts both words left by one and sets bit 0. "Continuous N" and "M within the last
W" are then a mask and a popcount: O(1) per person whatever the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WORD_BITS = 64
HISTORY_MONTHS = 2 * WORD_BITS
_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
_ONE = np.uint64(1)


def window_masks(months: int) -> tuple[np.uint64, np.uint64]:
    """Return the ``(lo, hi)`` masks that select the last ``months`` months (0..128)."""
    months = max(0, min(int(months), HISTORY_MONTHS))
    lo = _ONES if months >= WORD_BITS else np.uint64((1 << months) - 1)
    hi = np.uint64((1 << (months - WORD_BITS)) - 1) if months > WORD_BITS else np.uint64(0)
    if months == HISTORY_MONTHS:
        hi = _ONES
    return lo, hi


def window_masks_per_row(months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row version of :func:`window_masks` for windows that differ between persons."""
    months = np.clip(np.asarray(months, dtype=np.int64), 0, HISTORY_MONTHS)
    lo_bits = np.minimum(months, WORD_BITS).astype(np.uint64)
    hi_bits = np.maximum(months - WORD_BITS, 0).astype(np.uint64)
    # Shifting a uint64 by 64 is undefined, so the full word is selected separately.
    lo = np.where(lo_bits == WORD_BITS, _ONES, (_ONE << np.minimum(lo_bits, 63)) - _ONE)
    hi = np.where(hi_bits == WORD_BITS, _ONES, (_ONE << np.minimum(hi_bits, 63)) - _ONE)
    return lo.astype(np.uint64), hi.astype(np.uint64)


def popcount(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Number of set bits across both words, as ``int16``."""
    return (np.bitwise_count(lo) + np.bitwise_count(hi)).astype(np.int16)


def trailing_ones(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Length of the run of set bits from bit 0 upward (the current streak), 0..128."""
    low_run = _trailing_zeros(~lo)
    high_run = _trailing_zeros(~hi)
    return np.where(low_run == WORD_BITS, WORD_BITS + high_run, low_run).astype(np.int16)


def _trailing_zeros(word: np.ndarray) -> np.ndarray:
    lowest = word & (~word + _ONE)
    return np.where(word == 0, WORD_BITS, np.bitwise_count(lowest - _ONE)).astype(np.int16)


@dataclass
class BitLedger:
    """A monthly yes/no history per person: 128 months of bits plus a lifetime counter.

    Attributes
    ----------
    lo, hi : ndarray of uint64
        The last 128 months as bits (see module docstring).
    lifetime : ndarray of int16
        Months recorded since the history began, including those older than 128 months.
    """

    lo: np.ndarray
    hi: np.ndarray
    lifetime: np.ndarray

    @classmethod
    def empty(cls, n: int) -> BitLedger:
        """A ledger of ``n`` persons with no months recorded."""
        return cls(np.zeros(n, np.uint64), np.zeros(n, np.uint64), np.zeros(n, np.int16))

    def advance(self, rows: np.ndarray, bit: np.ndarray) -> None:
        """Close a month for ``rows``: shift their history and record ``bit`` as the newest month."""
        lo, hi = self.lo[rows], self.hi[rows]
        self.hi[rows] = (hi << _ONE) | (lo >> np.uint64(WORD_BITS - 1))
        self.lo[rows] = (lo << _ONE) | bit.astype(np.uint64)
        self.lifetime[rows] += bit.astype(np.int16)

    def mark_recent(self, rows: np.ndarray, months_mask: tuple[np.ndarray, np.ndarray]) -> None:
        """Set the bits of ``months_mask`` for ``rows`` (used for back-payment) and count them."""
        new_lo = months_mask[0] & ~self.lo[rows]
        new_hi = months_mask[1] & ~self.hi[rows]
        self.lo[rows] |= new_lo
        self.hi[rows] |= new_hi
        self.lifetime[rows] += popcount(new_lo, new_hi)

    def clear(self, rows: np.ndarray) -> None:
        """Forget the history of ``rows`` (a move to a city that does not recognise it)."""
        self.lo[rows] = 0
        self.hi[rows] = 0
        self.lifetime[rows] = 0

    def take(self, rows: np.ndarray) -> BitLedger:
        """A copy of the ledger restricted to ``rows``."""
        return BitLedger(self.lo[rows], self.hi[rows], self.lifetime[rows])


HISTORIES: tuple[str, ...] = (
    "social_insurance",
    "tax",
    "resided",
    "owned",
    "rented",
    "permit",
    "social_insurance_with_permit",
    "home_in_group",
    "work_in_group",
)
"""What a counter may count, one month at a time (the codes of ``sim/_loops.pyx``, in this order).

``social_insurance``: paid (back-paid included); ``tax``: business tax paid; ``resided``: lived
in the city; ``owned`` / ``rented``: lived there in an owned / a rented home; ``permit``: held
the city's residence permit; ``social_insurance_with_permit``: paid while holding the permit;
``home_in_group`` / ``work_in_group``: lived / worked in a district of the counter's group
(e.g. the districts outside the core). The codes before ``home_in_group`` are bits of the month's
flags in the compiled loops; the two district kinds compare the person's district group.
"""
HISTORY_INDEX = {name: i for i, name in enumerate(HISTORIES)}
DISTRICT_KINDS = ("home_in_group", "work_in_group")
"""Kinds that count the months spent in a district group; a spec of these kinds names its group."""


@dataclass(frozen=True)
class CounterSpec:
    """What an exact counter counts: months of one history in the union of some ledgers, from a date on.

    Attributes
    ----------
    kind : str
        One of :data:`HISTORIES`.
    city : bool
        Whether months in the current city count (the city's ledger is in the union).
    regions : tuple of int
        Indices of the recognition regions whose ledgers are in the union, in increasing order
        (``social_insurance`` only: only social-insurance months are recorded per region).
    counted_from : int or None
        First month that counts (None: every month).
    study : bool
        Count only months of the person's study period: from enrolment (every month before
        graduation when the enrolment is not known) to graduation, excluded; none if never
        graduated.
    group : str
        The district group of a ``home_in_group`` or ``work_in_group`` counter (else empty).
    """

    kind: str
    city: bool
    regions: tuple[int, ...]
    counted_from: int | None
    study: bool
    group: str = ""

    def __post_init__(self) -> None:
        if self.kind not in HISTORY_INDEX:
            raise ValueError(f"unknown history {self.kind!r}; expected one of {', '.join(HISTORIES)}")
        if (self.kind in DISTRICT_KINDS) != bool(self.group):
            raise ValueError(f"a {self.kind} counter {'needs' if not self.group else 'takes no'} district group")
        if self.regions and self.kind != "social_insurance":
            raise ValueError(f"a {self.kind} counter cannot count regions' months: only social insurance can")

    def sort_key(self) -> tuple[str, bool, tuple[int, ...], int, bool, str]:
        """A key that orders specs (``counted_from`` None first)."""
        return (
            self.kind,
            self.city,
            self.regions,
            -(1 << 30) if self.counted_from is None else self.counted_from,
            self.study,
            self.group,
        )

    def is_lifetime(self) -> bool:
        """Whether the count is a ledger's own lifetime counter, so needs no array of its own.

        The current city's social-insurance or tax ledger alone, or a single region's ledger
        alone (social insurance), every month, not only while studying.
        """
        if self.counted_from is not None or self.study or self.kind not in ("social_insurance", "tax"):
            return False
        return (self.city and not self.regions) or (not self.city and len(self.regions) == 1)

    def without_city(self) -> CounterSpec:
        """The same count without the current city's ledger (what remains after a move)."""
        return CounterSpec(self.kind, False, self.regions, self.counted_from, self.study, self.group)


@dataclass
class Counters:
    """Exact per-person counts over any span (see :class:`CounterSpec`), one column per spec.

    Attributes
    ----------
    specs : tuple of CounterSpec
        What each column counts.
    values : ndarray of int16, shape (persons, specs)
        The counts; a person's counters are adjacent, so the month's loop touches one cache line.
    """

    specs: tuple[CounterSpec, ...]
    values: np.ndarray

    @classmethod
    def empty(cls, n: int, specs: tuple[CounterSpec, ...] = ()) -> Counters:
        """Counters of ``n`` persons, all zero."""
        return cls(specs, np.zeros((n, len(specs)), np.int16))

    def column(self, spec: CounterSpec) -> int:
        """Index of ``spec``'s column.

        Raises
        ------
        KeyError
            If the counters do not include ``spec`` (it was not collected from the scenario).
        """
        try:
            return self.specs.index(spec)
        except ValueError:
            raise KeyError(f"no counter for {spec}: counters are collected from the scenario's rules") from None

    def take(self, rows: np.ndarray) -> Counters:
        """A copy restricted to ``rows``."""
        return Counters(self.specs, self.values[rows])
