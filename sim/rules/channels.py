"""Channel eligibility: a channel admits a person when any of its routes' conditions all hold.

Each condition returns a :class:`Check` with what the person has and what the rule needs,
so that ``sim check`` can say which condition failed and by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.population import (
    CHILD,
    EDUCATION_INDEX,
    HEAD,
    MINOR_AGE,
    OWN,
    PARENT,
    RENT,
    SKILL_INDEX,
    SPOUSE,
)
from sim.rules.context import RuleContext
from sim.rules.counting import CountResult, evaluate_count
from sim.scenario.schema import Channel, Conditions, CountRule

JOIN_ROLES = {"spouse": (HEAD, SPOUSE), "child": (CHILD,), "parent": (PARENT,)}


@dataclass(frozen=True)
class Check:
    """One condition evaluated for every row."""

    condition: str
    ok: np.ndarray
    have: np.ndarray | None = None
    need: object = None
    count: CountResult | None = None
    rule: CountRule | None = None


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
    checks = [_standing(conditions, ctx)]
    checks.extend(_checks(conditions, ctx))
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
        other = _standing(conditions, ctx).ok.copy()
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


def _standing(conditions: Conditions, ctx: RuleContext) -> Check:
    pop = ctx.pop
    if conditions.joins is None:
        return Check("adult", ctx.age_years >= MINOR_AGE, ctx.age_years, MINOR_AGE)
    roles = JOIN_ROLES[conditions.joins]
    related = pop.role == roles[0]
    for role in roles[1:]:
        related |= pop.role == role
    return Check(f"joins_settled_{conditions.joins}", related & ctx.has_settled_adult)


def _checks(c: Conditions, ctx: RuleContext, *, verdict_only: bool = False) -> list[Check]:
    """Evaluate a route's conditions; ``verdict_only`` skips the figures behind counting rules."""
    pop, month = ctx.pop, ctx.month
    checks: list[Check] = []
    if c.education_min is not None:
        checks.append(
            Check(
                "education_min",
                pop.education >= EDUCATION_INDEX[c.education_min],
                pop.education,
                c.education_min,
            )
        )
    if c.skill_min is not None:
        checks.append(
            Check(
                "skill_min",
                pop.skill >= SKILL_INDEX[c.skill_min],
                pop.skill,
                c.skill_min,
            )
        )
    if c.graduated_within_years is not None:
        since = ctx.months_since_graduation
        ok = (since >= 0) & (since <= round(c.graduated_within_years * 12))
        checks.append(Check("graduated_within_years", ok, since, c.graduated_within_years))
    if c.age_min is not None:
        checks.append(Check("age_min", ctx.age_years >= c.age_min, ctx.age_years, c.age_min))
    if c.age_max is not None:
        checks.append(Check("age_max", ctx.age_years <= c.age_max, ctx.age_years, c.age_max))
    for kind in ("social_insurance", "tax"):
        rule = getattr(c, kind)
        if rule is not None and verdict_only:
            checks.append(Check(kind, ctx.count_ok(kind, rule), rule=rule))
        elif rule is not None:
            result = evaluate_count(rule, ctx.history_for(kind, rule), month)
            checks.append(Check(kind, result.ok, result.have, rule.months, result, rule))
    for name, have in (
        ("residence_months_min", ctx.months_in_city),
        ("employment_months_min", pop.employed_months),
        ("community_months_min", ctx.community_months),
        ("residence_permit_months_min", ctx.permit_months),
    ):
        need = getattr(c, name)
        if need is not None:
            checks.append(Check(name, have >= need, have, need))
    if c.tenure is not None:
        checks.append(
            Check(
                "tenure",
                pop.tenure == (RENT if c.tenure == "rent" else OWN),
                pop.tenure,
                c.tenure,
            )
        )
    if c.owns_commercial_property is not None:
        checks.append(
            Check(
                "owns_commercial_property",
                pop.owns_commercial == c.owns_commercial_property,
                pop.owns_commercial,
                c.owns_commercial_property,
            )
        )
    if c.floor_area_per_capita_m2_min is not None:
        area = ctx.floor_area_per_capita_m2
        checks.append(
            Check(
                "floor_area_per_capita_m2_min",
                area >= c.floor_area_per_capita_m2_min,
                area,
                c.floor_area_per_capita_m2_min,
            )
        )
    if c.sanctions_max is not None:
        checks.append(
            Check(
                "sanctions_max",
                pop.sanctions <= c.sanctions_max,
                pop.sanctions,
                c.sanctions_max,
            )
        )
    return checks
