"""The types of the rule vocabulary: what one entry of a registry of condition kinds declares.

A *condition kind* (``education_min``, ``age_max``, ``social_insurance`` ...) is declared once, in
:mod:`sim.rules.condition_kinds`, as a :class:`ConditionKind`. Everything else reads the entry:

- the scenario schema builds the ``Conditions`` model from the entries' fields
  (:func:`condition_fields`), so the key, its type, bounds, units and description are written once;
- the array reference (:mod:`sim.rules.channels`) calls the entry's ``reference``;
- the compiled kernel (:mod:`sim.rules.kernel`) writes the entry's ``compiled`` form as an
  instruction of ``sim/_loops.pyx``: a generic comparison of a per-person *column* with an
  argument (:class:`Compare`), so that a kind over a column the kernel already computes needs no
  compiled code; counting rules (:class:`Count`) and family routes (:class:`Joins`) have
  instructions of their own;
- ``describe`` words the condition with the entry's ``words``, from templates in ``ui/i18n``;
- the dashboard's rule editor offers the entry's ``widget``.

This module sits below the schema: it imports no model, no population and no compiled code, and
an entry's functions read the :class:`sim.rules.context.RuleContext` they are given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import numpy as np
from pydantic.fields import FieldInfo

from sim.errors import UnknownKindError

Context = Any
"""A :class:`sim.rules.context.RuleContext` (not imported: the context is above the schema this module feeds)."""
Labels = Any
"""A :class:`sim.describe.Labels` (templates of one language; above this module too)."""


@dataclass(frozen=True)
class Check:
    """One condition evaluated for every row: the verdict, what the person has and what the rule needs.

    Attributes
    ----------
    condition : str
        The condition's key (``adult`` and ``joins_settled_<relative>`` for a route's standing).
    ok : ndarray of bool
        The verdict per row.
    have : ndarray, optional
        What each row has, in the units of ``need``.
    need : object
        What the rule needs (the scenario's value).
    count : CountResult, optional
        The figures behind a counting rule (see :func:`sim.rules.counting.evaluate_count`).
    rule : CountRule, optional
        The counting rule, for conditions that count paid months.
    """

    condition: str
    ok: np.ndarray
    have: np.ndarray | None = None
    need: object = None
    count: Any = None
    rule: Any = None


@dataclass(frozen=True)
class Compare:
    """A condition compiled as ``column <op> argument`` of the kernel's generic instructions.

    Attributes
    ----------
    op : str
        ``at_least`` (column ≥ argument), ``at_most`` (≤), ``equals`` (=), ``within``
        (0 ≤ column ≤ argument; a negative column means "never") or ``at_least_real`` (a real
        column ≥ a real argument). Names of ``Op`` in ``sim/_loops.pyx``.
    column : str
        The per-person quantity the kernel computes for a row: a name of ``Column`` in
        ``sim/_loops.pyx`` (``age_years``, ``months_in_city``, ``education`` ...).
    argument : callable
        The scenario's value as the instruction's argument (an integer; a real for ``at_least_real``).
    """

    op: str
    column: str
    argument: Callable[[Any], float] = int
    history: str = ""
    """For the column ``counter``: the history (:data:`sim.ledger.HISTORIES`) whose exact count of
    months in the city, every month, is compared (its counter is collected from the scenario)."""


@dataclass(frozen=True)
class Count:
    """A counting rule (:class:`sim.scenario.schema.CountRule`) on the months paid into ``ledger``."""

    ledger: str


@dataclass(frozen=True)
class Joins:
    """A family route: the person is a relative of the given kind of a settled household member."""


Compiled = Compare | Count | Joins


class Widget(Enum):
    """How the dashboard's rule editor offers a condition of a route."""

    COUNT_RULE = "count_rule"
    """The counting rule's widgets: continuous or cumulative, months, window."""
    WHOLE_NUMBER = "whole_number"
    """A number input in steps of 1."""
    NUMBER = "number"
    """A number input in steps of 0.5."""
    NOT_OFFERED = "not_offered"
    """Not offered: the condition is edited in the scenario file."""


@dataclass(frozen=True)
class ConditionKind:
    """One kind of route condition, declared once with every part the project needs of it.

    Attributes
    ----------
    name : str
        The key in a scenario's route (``age_max``).
    annotation : object
        The type of its value (``int``, a ``Literal`` of levels, ``CountRule`` ...); the key's
        annotation in ``Conditions`` is ``annotation | None`` (absent: no condition).
    field : FieldInfo
        Its pydantic field (default ``None``), with bounds and a description that gives the units.
    reference : callable
        ``(ctx, value, verdict_only) -> Check``: the condition over whole arrays, the reference
        the kernel is tested against and what ``sim check`` explains. ``verdict_only`` lets a
        counting rule skip the figures behind its verdict.
    compiled : Compare, Count or Joins
        Its instruction for the compiled kernel.
    words : callable
        ``(value, labels) -> str``: the condition's value in words for ``describe`` (the key's own
        label is ``fields.<name>`` of the same file), from templates in ``ui/i18n/<lang>.yaml``.
    value_words : callable
        ``(value, labels) -> str``: a value of the kind (what a person has, what a rule needs) in
        words, for ``sim check``'s verdicts in the dashboard: a level or tenure by its label, a
        number as a rule states it, yes or no.
    widget : Widget
        How the dashboard's rule editor offers it.
    validate : callable, optional
        ``value -> None``, raising ``ValueError`` when a value the field's bounds admit is still
        not one the model can read (reported at the route's key path).
    first : bool
        Whether the kernel tries it before the other plain conditions because it rarely holds
        (a family route), so that a person fails early.
    """

    name: str
    annotation: object
    field: FieldInfo
    reference: Callable[[Context, Any, bool], Check]
    compiled: Compiled
    words: Callable[[Any, Labels], str]
    value_words: Callable[[Any, Labels], str]
    widget: Widget
    validate: Callable[[Any], None] | None = None
    first: bool = False

    @property
    def counts(self) -> bool:
        """Whether the condition is a counting rule (it also gives the "had every gap been paid" verdict)."""
        return isinstance(self.compiled, Count)


def registry(kinds: tuple[ConditionKind, ...]) -> Mapping[str, ConditionKind]:
    """The entries by name, in declaration order.

    Raises
    ------
    ValueError
        If two entries have the same name.
    """
    by_name = {kind.name: kind for kind in kinds}
    if len(by_name) != len(kinds):
        names = [kind.name for kind in kinds]
        raise ValueError(f"condition kinds declared twice: {sorted({n for n in names if names.count(n) > 1})}")
    return by_name


def condition_fields(kinds: Mapping[str, ConditionKind]) -> dict[str, tuple[object, FieldInfo]]:
    """The ``Conditions`` model's fields, for :func:`pydantic.create_model`: each kind optional, default ``None``."""
    return {name: (kind.annotation | None, kind.field) for name, kind in kinds.items()}


Entry = TypeVar("Entry")
"""An entry of a registry (a condition kind, a points quantity or flag)."""


def entry_of(entries: Mapping[str, Entry], what: str, name: str) -> Entry:
    """The entry of ``name`` in a registry of ``what`` (a condition, a points quantity, ...).

    Raises
    ------
    UnknownKindError
        If no entry has that name.
    """
    try:
        return entries[name]
    except KeyError:
        raise UnknownKindError(what, name, entries) from None


def kind_of(kinds: Mapping[str, ConditionKind], name: str) -> ConditionKind:
    """The condition kind ``name`` (see :func:`entry_of`)."""
    return entry_of(kinds, "condition", name)


def in_order(kinds: Mapping[str, ConditionKind], *, counts_last: bool) -> tuple[ConditionKind, ...]:
    """The entries with the rare ones first (a family route) and, for the kernel, counting rules last.

    The kernel stops at a person's first failed condition, so it tries the rarely met first;
    counting rules come last because they also give the "had every gap been paid" verdict, which
    every other condition must allow. ``sim check`` lists its checks in the same order, counting
    rules where ``Conditions`` declares them.
    """
    entries = list(kinds.values())
    first = [kind for kind in entries if kind.first]
    rest = [kind for kind in entries if not kind.first and not (counts_last and kind.counts)]
    last = [kind for kind in entries if counts_last and kind.counts and not kind.first]
    return (*first, *rest, *last)
