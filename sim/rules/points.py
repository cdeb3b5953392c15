"""Points schemes (积分办法): an indicator table turned into a score per person.

Item kinds: ``rate`` (points per year, month or count of a quantity, fractional by month,
capped), ``table`` (points by education or skill level), ``brackets`` (a gradient over a
numeric quantity such as age) and ``flag`` (one-off points when a condition holds).
"""

from __future__ import annotations

import numpy as np

from sim.ledger import HISTORY_MONTHS, popcount, window_masks, window_masks_per_row
from sim.population import (
    EDUCATION_INDEX,
    HEAD,
    NO_MONTH,
    OWN,
    RENT,
    SKILL_INDEX,
    SPOUSE,
)
from sim.rules.context import RuleContext
from sim.scenario.schema import (
    EDUCATION_LEVELS,
    SKILL_LEVELS,
    BracketsItem,
    FlagItem,
    PointsChannel,
    RateItem,
    TableItem,
)

PER_UNIT = {"year": 1 / 12, "month": 1.0, "count": 1.0}


def score(channel: PointsChannel, ctx: RuleContext) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Total points and points by item for every row.

    Parameters
    ----------
    channel : PointsChannel
        The scheme in force.
    ctx : RuleContext
        The population at the round's month.

    Returns
    -------
    total, by_item
        ``float64`` arrays, one value per row.
    """
    by_item = {name: item_points(item, ctx) for name, item in channel.items.items()}
    total = np.zeros(ctx.pop.size, np.float64)
    for points in by_item.values():
        total += points
    return total, by_item


def item_points(item: RateItem | TableItem | BracketsItem | FlagItem, ctx: RuleContext) -> np.ndarray:
    """Points of one scheme item for every row."""
    if isinstance(item, RateItem):
        raw = quantity(item.of, ctx, item) * PER_UNIT[item.per] * item.points
        if item.cap is not None:
            raw = np.sign(raw) * np.minimum(np.abs(raw), item.cap)
        return raw
    if isinstance(item, TableItem):
        levels = EDUCATION_LEVELS if item.of == "education" else SKILL_LEVELS
        index = EDUCATION_INDEX if item.of == "education" else SKILL_INDEX
        table = np.zeros(len(levels))
        for level, points in item.values.items():
            table[index[level]] = points
        return table[getattr(ctx.pop, item.of)]
    if isinstance(item, BracketsItem):
        values = quantity(item.of, ctx, None)
        bounds = np.array([b.below if b.below is not None else np.inf for b in item.brackets])
        points = np.array([b.points for b in item.brackets] + [0.0])
        return points[np.searchsorted(bounds, values, side="right")]
    return flag(item.of, ctx).astype(np.float64) * item.points


def quantity(name: str, ctx: RuleContext, item: RateItem | None) -> np.ndarray:
    """A person's quantity in the units items count it in (months, years of age, counts)."""
    pop, month = ctx.pop, ctx.month
    if name in ("social_insurance_months", "tax_months"):
        return _paid_months(
            "social_insurance" if name == "social_insurance_months" else "tax",
            ctx,
            item,
        )
    values = {
        "residence_months": lambda: ctx.months_in_city,
        "employment_months": lambda: pop.employed_months,
        "residence_permit_months": lambda: np.where(pop.permit_month == NO_MONTH, 0, month - pop.permit_month),
        "community_months": lambda: np.maximum(month - pop.community_since, 0),
        "honours": lambda: pop.honours,
        "sanctions": lambda: pop.sanctions,
        "age_years": lambda: ctx.age_years,
    }
    return np.asarray(values[name](), np.float64)


def _paid_months(kind: str, ctx: RuleContext, item: RateItem | None) -> np.ndarray:
    """Months paid, from the item's date on, less those paid before graduation when it excludes study.

    Within the last 128 months the bit masks count exactly; a count reaching further back is
    read from the exact counters (:meth:`sim.rules.context.RuleContext.count`).
    """
    recognised_in = item.recognised_in if item else ()
    counted_from = item.counted_from if item else None
    excluding_study = item is not None and item.excluding_study
    if counted_from is None or ctx.month - counted_from > HISTORY_MONTHS:
        months = ctx.count(kind, recognised_in, counted_from).astype(np.float64)
        if excluding_study:
            months -= ctx.count(kind, recognised_in, counted_from, study=True)
        return months
    history = ctx.history(kind, recognised_in)
    lo_mask, hi_mask = window_masks(max(0, ctx.month - counted_from))
    lo, hi = history.lo & lo_mask, history.hi & hi_mask
    months = popcount(lo, hi).astype(np.float64)
    if excluding_study:
        # Months paid before graduation were earned while studying and are deducted.
        since = np.where(
            ctx.pop.graduated_month == NO_MONTH,
            HISTORY_MONTHS,
            ctx.month - ctx.pop.graduated_month,
        )
        recent_lo, recent_hi = window_masks_per_row(np.clip(since, 0, HISTORY_MONTHS))
        months -= popcount(lo & ~recent_lo, hi & ~recent_hi)
    return months


def flag(name: str, ctx: RuleContext) -> np.ndarray:
    """A yes/no attribute used by ``flag`` items."""
    pop = ctx.pop
    flags = {
        "rents_home": lambda: pop.tenure == RENT,
        "owns_home": lambda: pop.tenure == OWN,
        "shortage_industry": lambda: pop.shortage_industry,
        "owns_commercial_property": lambda: pop.owns_commercial,
        "has_spouse": lambda: _has_spouse(ctx),
    }
    return np.asarray(flags[name](), bool)


def _has_spouse(ctx: RuleContext) -> np.ndarray:
    adults = (ctx.pop.role == HEAD) | (ctx.pop.role == SPOUSE)
    return adults & (ctx.households.spouses[ctx.pop.household] > 0)
