"""Points schemes (积分办法): an indicator table turned into a score per person.

Item kinds: ``rate`` (points per year, month or count of a quantity, fractional by month,
capped), ``table`` (points by education or skill level), ``brackets`` (a gradient over a
numeric quantity such as age) and ``flag`` (one-off points when a condition holds).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.errors import UnknownKindError
from sim.rules.context import RuleContext
from sim.rules.history_quantities import whole_years
from sim.rules.item_quantities import item_flag, item_quantity
from sim.scenario.schema import (
    ITEM_KINDS,
    LEVELS,
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
    by_item = {name: item_points(item, ctx, channel.items) for name, item in channel.items.items()}
    total = np.zeros(ctx.pop.size, np.float64)
    for points in by_item.values():
        total += points
    return total, by_item


def item_points(
    item: RateItem | TableItem | BracketsItem | FlagItem, ctx: RuleContext, items: Mapping[str, object] | None = None
) -> np.ndarray:
    """Points of one scheme item for every row.

    A rate item ``capped_by`` another counts at most that item's quantity (Beijing: residence
    years counted may not exceed social-insurance years); ``whole_years`` counts completed years.

    Raises
    ------
    UnknownKindError
        If the item is of no kind this module scores.
    KeyError
        If ``capped_by`` names no rate item of ``items``.
    """
    if isinstance(item, RateItem):
        counted = quantity(item.of, ctx, item)
        if item.capped_by is not None:
            other = (items or {}).get(item.capped_by)
            if not isinstance(other, RateItem):
                raise KeyError(f"capped_by names '{item.capped_by}', which is no rate item of the scheme")
            counted = np.minimum(counted, quantity(other.of, ctx, other))
        if item.whole_years:
            counted = whole_years(counted) * 12
        raw = counted * PER_UNIT[item.per] * item.points
        if item.cap is not None:
            raw = np.sign(raw) * np.minimum(np.abs(raw), item.cap)
        return raw
    if isinstance(item, TableItem):
        levels = LEVELS[item.of]
        table = np.zeros(len(levels))
        for level, points in item.values.items():
            table[levels.index(level)] = points
        return table[getattr(ctx.pop, item.of)]
    if isinstance(item, BracketsItem):
        values = quantity(item.of, ctx, None)
        bounds = np.array([b.below if b.below is not None else np.inf for b in item.brackets])
        points = np.array([b.points for b in item.brackets] + [0.0])
        return points[np.searchsorted(bounds, values, side="right")]
    if isinstance(item, FlagItem):
        return flag(item.of, ctx).astype(np.float64) * item.points
    raise UnknownKindError("points item kind", getattr(item, "kind", type(item).__name__), ITEM_KINDS)


def quantity(name: str, ctx: RuleContext, item: RateItem | None) -> np.ndarray:
    """A person's quantity in the units items count it in (months, years of age, counts).

    See :mod:`sim.rules.item_quantities`, which declares each quantity and how it is computed.
    """
    return np.asarray(item_quantity(name).reference(ctx, item), np.float64)


def flag(name: str, ctx: RuleContext) -> np.ndarray:
    """A yes/no attribute used by ``flag`` items; see :mod:`sim.rules.item_quantities`."""
    return np.asarray(item_flag(name).reference(ctx), bool)
