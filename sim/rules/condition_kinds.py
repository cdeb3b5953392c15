"""Every kind of route condition, one entry each: schema, array reference, compiled form, words, widget.

Adding a kind is adding one :class:`~sim.rules.vocabulary.ConditionKind` to :data:`CONDITION_KINDS`
(see "Adding a condition kind" in ``docs/scenarios.md``): the schema's ``Conditions`` model, the
array reference, the compiled kernel, ``describe`` and the dashboard's rule editor read it from
here, and ``tests/rules/test_vocabulary.py`` checks it has every part and that the kernel agrees
with the reference on random persons. Entries are in the order of the keys in ``Conditions``,
which is the order ``sim check`` lists the checks in.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim.errors import UnknownKindError
from sim.months import month_label
from sim.rules.vocabulary import (
    Check,
    Compare,
    ConditionKind,
    Context,
    Count,
    Joins,
    Labels,
    Widget,
    registry,
)
from sim.value_types import COUNT_MODES, EDUCATION_LEVELS, SKILL_LEVELS, TENURES, CountRule, Education, Skill, Tenure

MAX_MONTHS_MIN = 600
"""Largest number of months a ``*_months_min`` condition may ask for (50 years)."""


def plain_number(value: float) -> str:
    """A number as a rule states it: ``2`` rather than ``2.0``, ``2.5`` as it is."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def count_rule_words(rule: CountRule, lab: Labels) -> str:
    """A counting rule as a phrase: "36 consecutive months before application", ...

    Raises
    ------
    UnknownKindError
        If the rule's ``count`` is neither ``continuous`` nor ``cumulative``.
    """
    if rule.count == "continuous":
        text = lab.phrase("continuous", months=rule.months)
        if rule.back_paid_max:
            text += lab.phrase("continuous_back_paid", n=rule.back_paid_max)
    elif rule.count == "cumulative" and rule.window is not None:
        text = lab.phrase("cumulative_window", months=rule.months, window=rule.window)
    elif rule.count == "cumulative":
        text = lab.phrase("cumulative_all", months=rule.months)
    else:
        raise UnknownKindError("count", rule.count, COUNT_MODES)
    if rule.recognised_in:
        text += lab.phrase("recognised_in", regions=lab.join(f"`{r}`" for r in rule.recognised_in))
    if rule.counted_from is not None:
        text += lab.phrase("counted_from", month=month_label(rule.counted_from))
    return text


def _number(value: float, lab: Labels) -> str:
    return plain_number(value)


def _level(section: str):
    """Name a value by its label in ``section`` of the language's file (a level, a tenure, a relative)."""
    return lambda value, lab: lab.get(section, value)


def _yes_no(value: bool, lab: Labels) -> str:
    return lab.key("app.explain.yes" if value else "app.explain.no")


def _counting(ledger: Literal["social_insurance", "tax"]):
    """The reference of a counting rule on ``ledger``: the verdict, or with ``verdict_only`` off its figures too."""

    def reference(ctx: Context, rule: CountRule, verdict_only: bool) -> Check:
        if verdict_only:
            return Check(ledger, ctx.count_ok(ledger, rule), rule=rule)
        result = ctx.evaluate_count(ledger, rule)
        return Check(ledger, result.ok, result.have, rule.months, result, rule)

    return reference


def _at_least(name: str, quantity: str):
    """The reference of "``ctx.<quantity>`` at least the value" (``quantity`` a context or population array)."""

    def reference(ctx: Context, need: float, verdict_only: bool) -> Check:
        have = ctx.quantity(quantity)
        return Check(name, have >= need, have, need)

    return reference


def _at_most(name: str, quantity: str):
    """The reference of "``ctx.<quantity>`` at most the value"."""

    def reference(ctx: Context, need: float, verdict_only: bool) -> Check:
        have = ctx.quantity(quantity)
        return Check(name, have <= need, have, need)

    return reference


def _level_at_least(name: str, quantity: str, levels: tuple[str, ...]):
    """The reference of "a level (education, skill) at least the one named"."""

    def reference(ctx: Context, level: str, verdict_only: bool) -> Check:
        have = ctx.quantity(quantity)
        return Check(name, have >= levels.index(level), have, level)

    return reference


def _graduated_within(ctx: Context, years: float, verdict_only: bool) -> Check:
    since = ctx.quantity("months_since_graduation")
    ok = (since >= 0) & (since <= round(years * 12))
    return Check("graduated_within_years", ok, since, years)


def _whole_months(years: float) -> None:
    # Graduation is recorded by month: a fraction of a month could only be rounded.
    if abs(years * 12 - round(years * 12)) > 1e-9:
        raise ValueError(
            f"graduated_within_years ({years:g}) is not a whole number of months ({years * 12:g}); "
            f"write {round(years * 12) / 12:g} years ({round(years * 12)} months) or another multiple of 1/12"
        )


def _tax_in_this_city(rule: CountRule) -> None:
    if rule.recognised_in:
        raise ValueError("tax.recognised_in is not supported: only social-insurance months are recorded per region")


def _tenure(ctx: Context, tenure: str, verdict_only: bool) -> Check:
    have = ctx.quantity("tenure")
    return Check("tenure", have == TENURES.index(tenure), have, tenure)


def _owns_commercial(ctx: Context, owns: bool, verdict_only: bool) -> Check:
    have = ctx.quantity("owns_commercial")
    return Check("owns_commercial_property", have == owns, have, owns)


def _joins(ctx: Context, relative: str, verdict_only: bool) -> Check:
    return Check(f"joins_settled_{relative}", ctx.related_as(relative) & ctx.has_settled_adult)


def _months(name: str, quantity: str, column: str, description: str) -> ConditionKind:
    """A "at least N months of ..." condition."""
    return ConditionKind(
        name,
        int,
        Field(default=None, ge=0, le=MAX_MONTHS_MIN, description=description),
        _at_least(name, quantity),
        Compare("at_least", column),
        lambda months, lab: lab.phrase("months_min", months=months),
        _number,
        Widget.WHOLE_NUMBER,
    )


def _history_months(name: str, history: str, description: str) -> ConditionKind:
    """An "at least N months of a history" condition, exact over any span (the history's counter)."""

    def reference(ctx: Context, need: int, verdict_only: bool) -> Check:
        have = ctx.history_months(history).astype(np.int64)
        return Check(name, have >= need, have, need)

    return ConditionKind(
        name,
        int,
        Field(default=None, ge=0, le=MAX_MONTHS_MIN, description=description),
        reference,
        Compare("at_least", "counter", history=history),
        lambda months, lab: lab.phrase("months_min", months=months),
        _number,
        Widget.WHOLE_NUMBER,
    )


def _permit_words(months: int, lab: Labels) -> str:
    return lab.phrase("permit_months", months=months) if months else lab.phrase("permit_held")


def _graduated_words(years: float, lab: Labels) -> str:
    if years == 1:
        return lab.phrase("graduated_within_one")
    return lab.phrase("graduated_within", years=plain_number(years))


CONDITION_KINDS = registry(
    (
        ConditionKind(
            "education_min",
            Education,
            Field(default=None, description="Lowest education level (a level of the ordered list, or above)."),
            _level_at_least("education_min", "education", EDUCATION_LEVELS),
            Compare("at_least", "education", EDUCATION_LEVELS.index),
            lambda level, lab: lab.phrase("or_above", level=lab.get("education", level)),
            _level("education"),
            Widget.NOT_OFFERED,
        ),
        ConditionKind(
            "skill_min",
            Skill,
            Field(default=None, description="Lowest vocational skill (职业资格) level, or above."),
            _level_at_least("skill_min", "skill", SKILL_LEVELS),
            Compare("at_least", "skill", SKILL_LEVELS.index),
            lambda level, lab: lab.phrase("or_above", level=lab.get("skill", level)),
            _level("skill"),
            Widget.NOT_OFFERED,
        ),
        ConditionKind(
            "graduated_within_years",
            float,
            Field(default=None, gt=0, le=60, description="Graduated at most this many years ago (whole months)."),
            _graduated_within,
            Compare("within", "months_since_graduation", lambda years: round(years * 12)),
            _graduated_words,
            _number,
            Widget.NOT_OFFERED,
            validate=_whole_months,
        ),
        ConditionKind(
            "age_min",
            int,
            Field(default=None, ge=0, le=120, description="Youngest age, completed years."),
            _at_least("age_min", "age_years"),
            Compare("at_least", "age_years"),
            lambda years, lab: lab.phrase("age_min", years=years),
            _number,
            Widget.WHOLE_NUMBER,
        ),
        ConditionKind(
            "age_max",
            int,
            Field(default=None, ge=0, le=120, description="Oldest age, completed years."),
            _at_most("age_max", "age_years"),
            Compare("at_most", "age_years"),
            lambda years, lab: lab.phrase("age_max", years=years),
            _number,
            Widget.WHOLE_NUMBER,
        ),
        ConditionKind(
            "age_max_male",
            int,
            Field(
                default=None,
                ge=0,
                le=120,
                description="Oldest age of a man, completed years (under a statutory retirement age of men).",
            ),
            _at_most("age_max_male", "age_if_male"),
            Compare("at_most", "age_if_male"),
            lambda years, lab: lab.phrase("age_max_male", years=years),
            _number,
            Widget.WHOLE_NUMBER,
        ),
        ConditionKind(
            "age_max_female",
            int,
            Field(
                default=None,
                ge=0,
                le=120,
                description="Oldest age of a woman, completed years (under a statutory retirement age of women).",
            ),
            _at_most("age_max_female", "age_if_female"),
            Compare("at_most", "age_if_female"),
            lambda years, lab: lab.phrase("age_max_female", years=years),
            _number,
            Widget.WHOLE_NUMBER,
        ),
        ConditionKind(
            "social_insurance",
            CountRule,
            Field(default=None, description="Months of social insurance paid in the city (社保缴纳年限)."),
            _counting("social_insurance"),
            Count("social_insurance"),
            count_rule_words,
            _number,
            Widget.COUNT_RULE,
        ),
        ConditionKind(
            "tax",
            CountRule,
            Field(default=None, description="Months of business tax paid in the city (纳税年限)."),
            _counting("tax"),
            Count("tax"),
            count_rule_words,
            _number,
            Widget.COUNT_RULE,
            validate=_tax_in_this_city,
        ),
        _months("residence_months_min", "months_in_city", "months_in_city", "Months lived in the city."),
        _months("employment_months_min", "employed_months", "employed_months", "Months employed in the city."),
        _months("community_months_min", "community_months", "community_months", "Months in the same community."),
        ConditionKind(
            "residence_permit_months_min",
            int,
            Field(
                default=None,
                ge=0,
                le=MAX_MONTHS_MIN,
                description="Months a residence permit (居住证) has been held; 0: held at all.",
            ),
            _at_least("residence_permit_months_min", "permit_months"),
            Compare("at_least", "permit_months"),
            _permit_words,
            _number,
            Widget.WHOLE_NUMBER,
        ),
        _history_months(
            "residence_permit_total_months_min",
            "permit",
            "Months holding the city's residence permit, all spells (累计持证).",
        ),
        _history_months(
            "social_insurance_with_permit_months_min",
            "social_insurance_with_permit",
            "Months of social insurance paid while holding the residence permit (Shanghai 居转户).",
        ),
        _history_months("owned_months_min", "owned", "Months lived in the city in an owned home."),
        ConditionKind(
            "tenure",
            Tenure,
            Field(default=None, description="Housing tenure: renting, or owning the home lived in."),
            _tenure,
            Compare("equals", "tenure", TENURES.index),
            lambda tenure, lab: lab.get("tenure", tenure),
            _level("tenure"),
            Widget.NOT_OFFERED,
        ),
        ConditionKind(
            "owns_commercial_property",
            bool,
            Field(default=None, description="Owns (true) or owns no (false) commercial or office property."),
            _owns_commercial,
            Compare("equals", "owns_commercial"),
            lambda owns, lab: lab.phrase("owns_commercial" if owns else "owns_no_commercial"),
            _yes_no,
            Widget.NOT_OFFERED,
        ),
        ConditionKind(
            "floor_area_per_capita_m2_min",
            float,
            Field(default=None, gt=0, le=500, description="Dwelling floor area per household member in the city, m²."),
            _at_least("floor_area_per_capita_m2_min", "floor_area_per_capita_m2"),
            # Compared in float32, as the array reference compares the float32 area per capita.
            Compare("at_least_real", "floor_area_per_capita_m2", lambda m2: float(np.float32(m2))),
            lambda m2, lab: lab.phrase("floor_area", m2=plain_number(m2)),
            _number,
            Widget.NUMBER,
        ),
        ConditionKind(
            "sanctions_max",
            int,
            Field(default=None, ge=0, le=100, description="Most recorded sanctions (违法记录), count."),
            _at_most("sanctions_max", "sanctions"),
            Compare("at_most", "sanctions"),
            lambda n, lab: lab.phrase("sanctions_max", n=n),
            _number,
            Widget.NOT_OFFERED,
        ),
        ConditionKind(
            "joins",
            Literal["spouse", "child", "parent"],
            Field(default=None, description="Family route: the person joins a settled relative of this kind."),
            _joins,
            Joins(),
            lambda relative, lab: lab.phrase("joins", relative=lab.get("joins", relative)),
            _level("joins"),
            Widget.NOT_OFFERED,
            first=True,
        ),
    )
)
"""The condition kinds by key, in the order of ``Conditions``."""
