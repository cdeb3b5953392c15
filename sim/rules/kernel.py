"""Channel eligibility compiled: a rule period as a small condition program, run by one loop per row.

:func:`sim.rules.channels.channel_verdicts` evaluates a route condition by condition over whole
arrays; that is the reference, and what ``sim check`` explains. The model's month instead turns
the channels in force into flat numeric arrays (:func:`compile_period`, once per city and month)
and evaluates every route of every channel for one person at a time in compiled code
(:func:`verdict_bits`), stopping at the first failed condition. The verdicts are the same: see
``tests/rules/test_kernel.py``.

Verdicts come back as one byte per person, bit ``c`` for channel ``c`` of
:data:`sim.scenario.schema.CHANNELS`. The instruction set (``Op``, ``Mode``, ``Ledger``) is
defined once, in ``sim/_loops.pyx``, whose loop runs the programs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import _loops
from sim._loops import Ledger, Mode, Op
from sim.ledger import HISTORY_MONTHS, CounterSpec, window_masks
from sim.population import EDUCATION_INDEX, MINOR_AGE, NO_CHANNEL, OWN, RENT, SKILL_INDEX, Population
from sim.rules.channels import JOIN_ROLES
from sim.rules.context import Households
from sim.rules.counters import spec_of
from sim.rules.counting import filled_cap, needs_total
from sim.scenario.schema import CHANNELS, Conditions, CountRule, PointsChannel
from sim.scenario.timeline import RulePeriod
from sim.threads import in_two_halves

POINTS = CHANNELS.index("points")
SPLIT_MIN = 1 << 15
"""Calls over at least this many rows evaluate them in two halves at once (see :mod:`sim.threads`)."""


@dataclass(frozen=True)
class Program:
    """The channels of one rule period at one month, as arrays.

    Attributes
    ----------
    routes : ndarray of int64, shape (routes, 3)
        Channel index, first and one-past-last condition of each route, routes of a channel
        consecutive, channels in :data:`CHANNELS` order.
    conditions : ndarray of int64, shape (conditions, 8)
        One row per condition: opcode, integer argument and, for counting rules, ledger kind,
        bit mask of recognised regions, counting mode, months needed, back-paid cap and the cap
        on months lived that the "had every gap been paid" verdict applies. A counting rule that
        reads an exact count (mode ``TOTAL``) has as argument the column of its counter, or -1
        for the ledger's own lifetime counter.
    floats : ndarray of float64
        Floating argument per condition (the floor-area minimum, rounded to ``float32`` as the
        array comparison does).
    masks : ndarray of uint64, shape (conditions, 2)
        The ``(lo, hi)`` window of each counting rule.
    first_channel : ndarray of int8, shape (256,)
        For each byte of verdicts, the channel a person applies to: the first ordinary channel
        in force in :data:`CHANNELS` order, else points, else ``NO_CHANNEL``.
    """

    routes: np.ndarray
    conditions: np.ndarray
    floats: np.ndarray
    masks: np.ndarray
    first_channel: np.ndarray


def compile_period(
    period: RulePeriod, month: int, regions: dict[str, int], counters: tuple[CounterSpec, ...] = ()
) -> Program:
    """Compile the channels in force of ``period`` for applications in ``month``.

    Parameters
    ----------
    period : RulePeriod
        The city's rules in force.
    month : int
        Month index of the application (counting windows depend on it through ``counted_from``).
    regions : dict of str to int
        Region name → index into ``Population.region_paid``.
    counters : tuple of CounterSpec
        The population's counters (``Population.counters.specs``), for rules that count
        further back than 128 months.

    Raises
    ------
    KeyError
        If a rule needs a counter that ``counters`` lacks.

    Returns
    -------
    Program
    """
    routes: list[tuple[int, int, int]] = []
    conditions: list[list[int]] = []
    floats: list[float] = []
    masks: list[tuple[int, int]] = []

    def add(op: int, arg: int = 0, value: float = 0.0, count: list[int] | None = None, mask=(0, 0)) -> None:
        conditions.append([op, arg, *(count or [0] * 6)])
        floats.append(value)
        masks.append(mask)

    in_force = []
    for name, channel in period.channels():
        index = CHANNELS.index(name)
        in_force.append(index)
        routes_of = channel.routes.values()
        if isinstance(channel, PointsChannel) and not channel.routes:
            routes_of = [Conditions()]  # an adult in their own right: the scheme's only precondition
        for conditions_of in routes_of:
            first = len(conditions)
            _compile_route(conditions_of, month, regions, counters, add)
            routes.append((index, first, len(conditions)))
    first_channel = np.full(256, NO_CHANNEL, np.int8)
    for bits in range(256):
        ordinary = [c for c in in_force if c != POINTS and bits >> c & 1]
        if ordinary:
            first_channel[bits] = ordinary[0]
        elif bits >> POINTS & 1:
            first_channel[bits] = POINTS
    return Program(
        np.array(routes, np.int64).reshape(-1, 3),
        np.array(conditions, np.int64).reshape(-1, 8),
        np.array(floats, np.float64),
        np.array(masks, np.uint64).reshape(-1, 2),
        first_channel,
    )


def counts_from_a_date(period: RulePeriod) -> bool:
    """Whether a counting rule of ``period`` counts from a date, so its program changes with the month."""
    return any(
        rule is not None and rule.counted_from is not None
        for _, channel in period.channels()
        for conditions in channel.routes.values()
        for rule in (conditions.social_insurance, conditions.tax)
    )


def _compile_route(c: Conditions, month: int, regions: dict[str, int], counters: tuple[CounterSpec, ...], add) -> None:
    """Append a route's conditions, the most selective first (a person fails on the first that fails).

    Joining a settled relative rarely holds and being an adult nearly always does, so the one
    comes first and the other after the other plain conditions; counting rules, which also
    give the "had every gap been paid" verdict, come last.
    """
    if c.joins is not None:
        add(Op.JOINS, sum(1 << role for role in JOIN_ROLES[c.joins]))
    if c.education_min is not None:
        add(Op.EDUCATION_MIN, EDUCATION_INDEX[c.education_min])
    if c.skill_min is not None:
        add(Op.SKILL_MIN, SKILL_INDEX[c.skill_min])
    if c.graduated_within_years is not None:
        add(Op.GRADUATED_WITHIN, round(c.graduated_within_years * 12))
    if c.age_min is not None:
        add(Op.AGE_MIN, c.age_min)
    if c.age_max is not None:
        add(Op.AGE_MAX, c.age_max)
    for op, need in (
        (Op.RESIDENCE_MIN, c.residence_months_min),
        (Op.EMPLOYMENT_MIN, c.employment_months_min),
        (Op.COMMUNITY_MIN, c.community_months_min),
        (Op.PERMIT_MIN, c.residence_permit_months_min),
    ):
        if need is not None:
            add(op, need)
    if c.tenure is not None:
        add(Op.TENURE, RENT if c.tenure == "rent" else OWN)
    if c.owns_commercial_property is not None:
        add(Op.COMMERCIAL, int(c.owns_commercial_property))
    if c.floor_area_per_capita_m2_min is not None:
        add(Op.AREA_MIN, value=float(np.float32(c.floor_area_per_capita_m2_min)))
    if c.sanctions_max is not None:
        add(Op.SANCTIONS_MAX, c.sanctions_max)
    if c.joins is None:
        add(Op.ADULT, MINOR_AGE)
    for kind, rule in ((Ledger.SOCIAL_INSURANCE, c.social_insurance), (Ledger.TAX, c.tax)):
        if rule is not None:
            _compile_count(kind, rule, month, regions, counters, add)


def _compile_count(
    kind: int, rule: CountRule, month: int, regions: dict[str, int], counters: tuple[CounterSpec, ...], add
) -> None:
    """A counting rule with the semantics of :func:`sim.rules.counting.count_ok` and ``filled_count_ok``."""
    countable = HISTORY_MONTHS if rule.counted_from is None else max(0, month - rule.counted_from)
    # Only social-insurance months are recorded per region (a tax rule cannot name regions).
    region_bits = sum(1 << regions[r] for r in rule.recognised_in) if kind == Ledger.SOCIAL_INSURANCE else 0
    column = 0
    if rule.count == "continuous":
        mode = Mode.NEVER if rule.months > countable else Mode.CONTINUOUS
        window = rule.months
    elif needs_total(rule, month):
        mode, window = Mode.TOTAL, 0
        name = "social_insurance" if kind == Ledger.SOCIAL_INSURANCE else "tax"
        spec = spec_of(name, rule.recognised_in, rule.counted_from, False, regions)
        if spec.is_lifetime():
            column = -1
        elif spec in counters:
            column = counters.index(spec)
        else:
            raise KeyError(f"no counter for {spec}: counters are collected from the scenario's rules")
    else:
        mode = Mode.WINDOW
        window = min(rule.window or HISTORY_MONTHS, countable)
    lo, hi = window_masks(window)
    row = [kind, region_bits, mode, rule.months, rule.back_paid_max, filled_cap(rule, month)]
    add(Op.COUNT, column, count=row, mask=(int(lo), int(hi)))


def verdict_bits(
    program: Program, pop: Population, rows: np.ndarray, month: int, households: Households
) -> tuple[np.ndarray, np.ndarray]:
    """Eligibility of ``rows`` for every channel of ``program``, now and had all gaps been paid.

    Parameters
    ----------
    program : Program
        The compiled channels (:func:`compile_period`).
    pop : Population
        The population (``rows`` index into it).
    rows : ndarray of int
        The persons to evaluate.
    month : int
        Month index of the application (the one ``program`` was compiled for).
    households : Households
        This month's household totals.

    Returns
    -------
    eligible : ndarray of uint8
        One byte per row, bit ``c`` set when the row qualifies for channel ``c``.
    gap_only : ndarray of bool
        Whether the row qualifies for no channel but would for one had every gap in its
        contributions been paid (``if_filled`` of :func:`sim.rules.channels.channel_verdicts`).
    """
    regions = pop.region_paid
    region_lo = [r.lo for r in regions]
    region_hi = [r.hi for r in regions]
    rows = np.asarray(rows, np.int64)
    eligible = np.zeros(len(rows), np.uint8)
    gap_only = np.zeros(len(rows), bool)
    columns = (
        month,
        program.routes,
        program.conditions,
        program.floats,
        program.masks,
        pop.birth_month,
        pop.role,
        pop.household,
        households.has_settled_adult.view(np.uint8),
        households.members,
        pop.education,
        pop.skill,
        pop.graduated_month,
        pop.city_since,
        pop.employed_months,
        pop.community_since,
        pop.permit_month,
        pop.tenure,
        pop.owns_commercial.view(np.uint8),
        pop.floor_area_m2,
        pop.sanctions,
        pop.social_insurance.lo,
        pop.social_insurance.hi,
        pop.social_insurance.lifetime,
        pop.back_paid.lo,
        pop.back_paid.hi,
        pop.tax.lo,
        pop.tax.hi,
        pop.tax.lifetime,
        region_lo,
        region_hi,
        pop.counters.values,
    )
    flags = gap_only.view(np.uint8)
    in_two_halves(len(rows), SPLIT_MIN, lambda a, b: _loops.verdicts(rows[a:b], *columns, eligible[a:b], flags[a:b]))
    return eligible, gap_only
