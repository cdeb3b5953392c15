"""Social-insurance and tax counting rules (连续N个月 / W个月内累计M个月).

Semantics (DESIGN §4a), for an application in month ``t``:

- **continuous N**: months ``t-N … t-1`` are all paid; a back-paid (补缴) month counts as
  paid only while the back-paid months among those N stay within ``back_paid_max``.
- **cumulative M in W**: at least M paid months among ``t-W … t-1``; no W means the whole
  recorded history. Back-paid months count as paid.
- **counted from D**: months before D do not count, however far back D lies.
- **recognised in regions**: months paid in any city of a named region count too; a month
  paid in two cities counts once (the bits are OR-ed, the counts are of the union). A month
  back-paid in any city counts as back-paid.

A count that reaches further back than the 128 months of the bit masks (a cumulative rule
without a window, counted from no date or from one more than 128 months back) is read from an
exact counter (:mod:`sim.rules.counters`), passed in as :attr:`History.total`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.errors import UnknownKindError
from sim.ledger import HISTORY_MONTHS, popcount, trailing_ones, window_masks
from sim.scenario.schema import COUNT_MODES, CountRule

_UNCAPPED = 1 << 30


@dataclass(frozen=True)
class History:
    """Paid months as bits (see :mod:`sim.ledger`) for the rows being evaluated.

    ``total`` is the exact count a rule reaching further back than 128 months reads (see
    :func:`sim.rules.counters.needs_total`); None when the rule needs none.
    """

    lo: np.ndarray
    hi: np.ndarray
    back_lo: np.ndarray
    back_hi: np.ndarray
    total: np.ndarray | None = None


@dataclass(frozen=True)
class CountResult:
    """Outcome of a counting rule per row.

    Attributes
    ----------
    ok : ndarray of bool
    have : ndarray of int16
        Months that count: the current unbroken run (continuous) or the paid months in the
        window (cumulative).
    need : int
        Months required.
    gap_months_ago : ndarray of int16
        Continuous rules: how many months before ``t`` the latest disqualifying month lies
        (1 = the month just ended), 0 when the run is unbroken.
    back_paid_in_window : ndarray of int16
        Continuous rules: back-paid months among the last N.
    """

    ok: np.ndarray
    have: np.ndarray
    need: int
    gap_months_ago: np.ndarray
    back_paid_in_window: np.ndarray


def needs_total(rule: CountRule, month: int) -> bool:
    """Whether ``rule`` at ``month`` counts further back than the ledgers' 128 months hold.

    A cumulative rule without a window counted from no date, or from a date more than 128
    months before ``month``; any other rule is a mask over the last 128 months.
    """
    if rule.count == "continuous" or rule.window is not None:
        return False
    if rule.count != "cumulative":
        raise UnknownKindError("count", rule.count, COUNT_MODES)
    return rule.counted_from is None or month - rule.counted_from > HISTORY_MONTHS


def evaluate_count(rule: CountRule, history: History, month: int) -> CountResult:
    """Evaluate a counting rule for every row of ``history`` at application month ``month``.

    Parameters
    ----------
    rule : CountRule
        Continuous or cumulative, as the regulation states it.
    history : History
        Paid and back-paid months, already combined across recognised regions, with the exact
        total when the rule needs one.
    month : int
        Month index of the application.

    Returns
    -------
    CountResult
    """
    countable = HISTORY_MONTHS if rule.counted_from is None else max(0, month - rule.counted_from)
    zeros = np.zeros(len(history.lo), np.int16)
    if rule.count == "continuous":
        window = min(rule.months, countable)
        lo_mask, hi_mask = window_masks(window)
        streak = np.minimum(trailing_ones(history.lo & lo_mask, history.hi & hi_mask), window)
        # A back-paid month counts where it is a month of the ledgers read (paid in the union).
        back = popcount(history.back_lo & history.lo & lo_mask, history.back_hi & history.hi & hi_mask)
        unbroken = streak >= rule.months
        within_cap = back <= rule.back_paid_max
        gap = np.where(unbroken, 0, streak + 1).astype(np.int16)
        if rule.months > countable:
            gap = np.where(streak >= countable, countable + 1, gap).astype(np.int16)
        return CountResult(unbroken & within_cap, streak, rule.months, gap, back)
    if rule.count != "cumulative":
        raise UnknownKindError("count", rule.count, COUNT_MODES)
    if needs_total(rule, month):
        if history.total is None:
            raise ValueError(f"{rule} counts further back than 128 months: its history needs the exact total")
        have = history.total.astype(np.int16)
    else:
        window = min(rule.window or HISTORY_MONTHS, countable)
        lo_mask, hi_mask = window_masks(window)
        have = popcount(history.lo & lo_mask, history.hi & hi_mask)
    return CountResult(have >= rule.months, have, rule.months, zeros, zeros)


def count_ok(rule: CountRule, history: History, month: int) -> np.ndarray:
    """The verdict of :func:`evaluate_count` alone, without the figures behind it (the model's path)."""
    countable = HISTORY_MONTHS if rule.counted_from is None else max(0, month - rule.counted_from)
    if rule.count == "continuous":
        if rule.months > countable:
            return np.zeros(len(history.lo), bool)
        lo_mask, hi_mask = window_masks(rule.months)
        ok = ((history.lo & lo_mask) == lo_mask) & ((history.hi & hi_mask) == hi_mask)
        if rule.back_paid_max == 0:
            return ok & ((history.back_lo & lo_mask) == 0) & ((history.back_hi & hi_mask) == 0)
        return ok & (popcount(history.back_lo & lo_mask, history.back_hi & hi_mask) <= rule.back_paid_max)
    return evaluate_count(rule, history, month).ok


def filled_count_ok(rule: CountRule, months_in_city: np.ndarray, month: int) -> np.ndarray:
    """Whether ``rule`` would hold had every month lived in the city been paid.

    Equals :func:`evaluate_count` on a history with every month since arrival paid (the
    ``filled`` view of :class:`sim.rules.context.RuleContext`), without building that history.
    """
    return np.minimum(months_in_city.astype(np.int32), filled_cap(rule, month)) >= rule.months


def filled_cap(rule: CountRule, month: int) -> int:
    """Most months ``rule`` can count at ``month`` whatever was paid: its window, and months since its date."""
    cap = _UNCAPPED if rule.window is None else rule.window
    if rule.counted_from is not None:
        cap = min(cap, max(0, month - rule.counted_from))
    return cap
