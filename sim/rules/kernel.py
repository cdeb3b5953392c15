"""Channel eligibility compiled: a rule period as a small condition program, run by one loop per row.

:func:`sim.rules.channels.channel_verdicts` evaluates a route condition by condition over whole
arrays; that is the reference, and what ``sim check`` explains. The model's month instead turns
the channels in force into flat numeric arrays (:func:`compile_period`, once per city and month)
and evaluates every route of every channel for one person at a time in compiled code
(:func:`verdict_bits`), stopping at the first failed condition. The verdicts are the same: see
``tests/rules/test_kernel.py``.

Verdicts come back as one byte per person, bit ``c`` for channel ``c`` of
:data:`sim.scenario.schema.CHANNELS`. The instruction set (``Op``, ``Column``, ``Mode``,
``Ledger``) is defined once, in ``sim/_loops.pyx``, whose loop runs the programs; a condition's
instruction is the compiled form its entry of :mod:`sim.rules.condition_kinds` declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sim import _loops
from sim._loops import Column, Ledger, Mode, Op
from sim.errors import UnknownKindError
from sim.ledger import HISTORY_MONTHS, CounterSpec, window_masks
from sim.population import MINOR_AGE, NO_CHANNEL, Population
from sim.rules.condition_kinds import CONDITION_KINDS
from sim.rules.context import JOIN_ROLES, Households
from sim.rules.counters import spec_of
from sim.rules.counting import filled_cap, needs_total
from sim.rules.vocabulary import Compare, Compiled, Count, Joins, in_order
from sim.scenario.schema import CHANNELS, COUNT_MODES, Conditions, CountRule, PointsChannel
from sim.scenario.timeline import RulePeriod
from sim.threads import in_two_halves

POINTS = CHANNELS.index("points")
REAL_COLUMNS = (Column.FLOOR_AREA_PER_CAPITA_M2,)
"""Columns of real values, read by ``at_least_real`` (the others are integers)."""
_LOWEST, _HIGHEST = np.iinfo(np.int64).min, np.iinfo(np.int64).max
RANGES = {
    "at_least": lambda arg: (arg, _HIGHEST),
    "at_most": lambda arg: (_LOWEST, arg),
    "equals": lambda arg: (arg, arg),
    "within": lambda arg: (0, arg),
}
"""The integer comparisons of :class:`sim.rules.vocabulary.Compare` as the ``IN_RANGE`` instruction's bounds."""
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
    conditions : ndarray of int64, shape (conditions, 10)
        One row per condition: opcode, column compared, integer argument (the low bound of a
        range), the range's high bound and, for counting rules, ledger kind, bit mask of
        recognised regions, counting mode, months needed, back-paid cap and the cap on months
        lived that the "had every gap been paid" verdict applies. A counting rule that reads an
        exact count (mode ``TOTAL``) has as argument the column of its counter, or -1 for the
        ledger's own lifetime counter.
    floats : ndarray of float64
        Real argument per condition (of ``at_least_real``: the floor-area minimum, rounded to
        ``float32`` as the array comparison does).
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

    def add(
        op: int,
        column: int = 0,
        arg: int = 0,
        high: int = 0,
        value: float = 0.0,
        count: list[int] | None = None,
        mask=(0, 0),
    ) -> None:
        conditions.append([op, column, arg, high, *(count or [0] * 6)])
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
        np.array(conditions, np.int64).reshape(-1, 10),
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
        for rule in (getattr(conditions, kind.name) for kind in CONDITION_KINDS.values() if kind.counts)
    )


def _compile_route(c: Conditions, month: int, regions: dict[str, int], counters: tuple[CounterSpec, ...], add) -> None:
    """Append a route's conditions, the most selective first (a person fails on the first that fails).

    Joining a settled relative rarely holds and being an adult nearly always does, so the one
    comes first and the other after the other plain conditions; counting rules, which also
    give the "had every gap been paid" verdict, come last (see
    :func:`sim.rules.vocabulary.in_order`).
    """
    standing_added = False
    for kind in in_order(CONDITION_KINDS, counts_last=True):
        if kind.counts and not standing_added and c.joins is None:
            add(Op.IN_RANGE, Column.AGE_YEARS, *RANGES["at_least"](MINOR_AGE))
            standing_added = True
        value = getattr(c, kind.name)
        if value is not None:
            _compile_condition(kind.name, kind.compiled, value, month, regions, counters, add)
    if not standing_added and c.joins is None:
        add(Op.IN_RANGE, Column.AGE_YEARS, *RANGES["at_least"](MINOR_AGE))


def _compile_condition(
    name: str,
    compiled: Compiled,
    value: object,
    month: int,
    regions: dict[str, int],
    counters: tuple[CounterSpec, ...],
    add,
) -> None:
    """One condition as an instruction of the kernel.

    Raises
    ------
    UnknownKindError
        If the compiled form, its opcode or its column is not one the kernel has.
    """
    if isinstance(compiled, Compare):
        column = _member(Column, compiled.column, name)
        if compiled.op == "at_least_real" and column in REAL_COLUMNS:
            add(Op.AT_LEAST_REAL, column, value=compiled.argument(value))
        elif compiled.op in RANGES and column == Column.COUNTER:
            spec = spec_of(compiled.history, (), None, False, regions)
            if spec not in counters:
                raise KeyError(f"no counter for {spec}: counters are collected from the scenario's rules")
            low, high = RANGES[compiled.op](int(compiled.argument(value)))
            add(Op.IN_RANGE, column, low, high, count=[counters.index(spec), 0, 0, 0, 0, 0])
        elif compiled.op in RANGES and column not in REAL_COLUMNS:
            low, high = RANGES[compiled.op](int(compiled.argument(value)))
            add(Op.IN_RANGE, column, low, high)
        else:
            known = ["at_least_real"] if column in REAL_COLUMNS else list(RANGES)
            raise UnknownKindError(f"comparison of column {compiled.column!r} (condition {name!r})", compiled.op, known)
    elif isinstance(compiled, Count):
        _compile_count(_member(Ledger, compiled.ledger, name), value, month, regions, counters, add)
    elif isinstance(compiled, Joins):
        add(Op.JOINS, 0, sum(1 << role for role in JOIN_ROLES[value]))
    else:
        raise UnknownKindError(
            f"compiled form (condition {name!r})", type(compiled).__name__, ("Compare", "Count", "Joins")
        )


def _member(enum: type[IntEnum], name: str, condition: str) -> IntEnum:
    """The member of a compiled enumeration (``Op``, ``Column``, ``Ledger``) named ``name`` in lower case."""
    try:
        return enum[name.upper()]
    except KeyError:
        known = [member.name.lower() for member in enum]
        raise UnknownKindError(f"{enum.__name__.lower()} (condition {condition!r})", name, known) from None


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
    elif rule.count != "cumulative":
        raise UnknownKindError("count", rule.count, COUNT_MODES)
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
    add(Op.COUNT, 0, column, count=row, mask=(int(lo), int(hi)))


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
    rows = np.asarray(rows, np.int64)
    eligible = np.zeros(len(rows), np.uint8)
    gap_only = np.zeros(len(rows), bool)
    persons = _loops.Persons(pop, households)
    tables = (month, program.routes, program.conditions, program.floats, program.masks, persons)
    flags = gap_only.view(np.uint8)
    in_two_halves(len(rows), SPLIT_MIN, lambda a, b: _loops.verdicts(rows[a:b], *tables, eligible[a:b], flags[a:b]))
    return eligible, gap_only
