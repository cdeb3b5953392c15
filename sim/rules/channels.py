"""Channel eligibility: a channel admits a person when any of its routes' conditions all hold.

Each condition returns a :class:`Check` with what the person has and what the rule needs,
so that ``sim check`` can say which condition failed and by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.population import MINOR_AGE
from sim.rules.condition_kinds import CONDITION_KINDS
from sim.rules.context import JOIN_ROLES, RuleContext
from sim.rules.vocabulary import Check, in_order
from sim.scenario.schema import Channel, Conditions

__all__ = ["JOIN_ROLES", "Check", "RouteResult", "channel_eligible", "channel_verdicts", "evaluate_route"]


@dataclass(frozen=True)
class RouteResult:
    """A route's verdict and the checks behind it."""

    route: str
    ok: np.ndarray
    checks: tuple[Check, ...]


def evaluate_route(name: str, conditions: Conditions, ctx: RuleContext) -> RouteResult:
    """Evaluate every condition of a route for all rows of ``ctx``.

    A route without ``joins`` is open to adults in their own right; a ``joins`` route is for
    the relatives of a settled household member.
    """
    checks = _checks(conditions, ctx)
    ok = checks[0].ok.copy()
    for check in checks[1:]:
        ok &= check.ok
    return RouteResult(name, ok, tuple(checks))


def channel_eligible(channel: Channel, ctx: RuleContext) -> np.ndarray:
    """Whether each row qualifies for ``channel`` by any of its routes."""
    return channel_verdicts(channel, ctx)[0]


def channel_verdicts(channel: Channel, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray]:
    """Eligibility for ``channel`` now, and had every month lived in the city been paid.

    The second verdict answers "who is held back only by gaps in their contributions?": the
    conditions other than counting rules are evaluated once and shared by both verdicts.

    Returns
    -------
    eligible, eligible_if_gaps_filled : ndarray of bool
    """
    eligible = np.zeros(ctx.pop.size, bool)
    if_filled = np.zeros(ctx.pop.size, bool)
    for conditions in channel.routes.values():
        other = np.ones(ctx.pop.size, bool)
        rules = []
        for check in _checks(conditions, ctx, verdict_only=True):
            if check.rule is None:
                other &= check.ok
            else:
                rules.append(check)
        counted, filled = other.copy(), other
        for check in rules:
            counted &= check.ok
            filled &= ctx.filled_ok(check.rule)
        eligible |= counted
        if_filled |= filled
    return eligible, if_filled


def _standing(conditions: Conditions, ctx: RuleContext) -> Check | None:
    """A route without ``joins`` is open to adults in their own right (the ``joins`` check says who else)."""
    if conditions.joins is None:
        return Check("adult", ctx.age_years >= MINOR_AGE, ctx.age_years, MINOR_AGE)
    return None


def _checks(c: Conditions, ctx: RuleContext, *, verdict_only: bool = False) -> list[Check]:
    """Evaluate a route's conditions with their kinds' references, the route's standing first.

    ``verdict_only`` skips the figures behind counting rules.
    """
    standing = _standing(c, ctx)
    checks = [] if standing is None else [standing]
    for kind in in_order(CONDITION_KINDS, counts_last=False):
        value = getattr(c, kind.name)
        if value is not None:
            checks.append(kind.reference(ctx, value, verdict_only))
    return checks
