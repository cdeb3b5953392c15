"""The scenario's basic value types, below both the schema and the vocabulary of conditions built into it.

:mod:`sim.scenario.schema` re-exports every name; import them from there. They live here, outside
the :mod:`sim.scenario` package (whose ``__init__`` loads the schema), so that
:mod:`sim.rules.condition_kinds` can declare conditions on them without importing the schema it
is part of.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from sim.errors import UnknownKindError
from sim.months import month_label, parse_date, parse_month

EducationLevel = Literal[
    "none",
    "primary",
    "junior_secondary",
    "senior_secondary",
    "college",
    "bachelor",
    "master",
    "doctorate",
]
EDUCATION_ALIASES = {"postgraduate": "master"}
"""Deprecated education levels, read as the level they stand for.

``postgraduate`` (研究生) was one level before ``master`` and ``doctorate`` were told apart:
as a minimum or a population share it is ``master`` (a doctorate is above it); a points table
that gives ``postgraduate`` scores both (see :func:`sim.scenario.schema.education_table_alias`).
"""


def education_alias(value: object) -> object:
    """An education level with a deprecated name replaced by the level it stands for."""
    return EDUCATION_ALIASES.get(value, value) if isinstance(value, str) else value


Education = Annotated[EducationLevel, BeforeValidator(education_alias)]
"""An education level; ``postgraduate`` is read as ``master`` (deprecated)."""

Skill = Literal["none", "junior", "intermediate", "senior", "technician", "senior_technician"]

EDUCATION_LEVELS: tuple[str, ...] = get_args(EducationLevel)
"""Ordered education levels; ``senior_secondary`` includes secondary vocational and technical schools."""

SKILL_LEVELS: tuple[str, ...] = get_args(Skill)
"""Ordered vocational skill (职业资格) levels."""

Tenure = Literal["rent", "own_home"]
TENURES: tuple[str, ...] = get_args(Tenure)
"""Housing tenures; a tenure's position is its code in ``Population.tenure``."""

CountMode = Literal["continuous", "cumulative"]
COUNT_MODES: tuple[str, ...] = get_args(CountMode)
"""How a counting rule counts (see :mod:`sim.rules.counting`)."""

MonthIndex = Annotated[int, BeforeValidator(parse_month), PlainSerializer(month_label, return_type=str)]
"""A month given as ``YYYY-MM`` or a date; stored as an integer month index, written back as ``YYYY-MM``."""

Date = Annotated[dt.date, BeforeValidator(parse_date)]

MAX_WINDOW_MONTHS = 128
"""Longest counting window: the ledgers keep the last 128 months as bits."""


class StrictModel(BaseModel):
    """Base for every scenario model: unknown keys are errors, models are immutable, numbers are finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    atomic: ClassVar[bool] = False
    """Whether a later rule set replaces this object whole instead of merging into it."""


class CountRule(StrictModel):
    """A contribution-counting rule (社保/税款缴纳年限).

    ``continuous``: the ``months`` months before the application month are all paid
    (连续N个月); back-paid (补缴) months count only up to ``back_paid_max``.
    ``cumulative``: at least ``months`` paid months within the last ``window`` months
    (W个月内累计M个月); no ``window`` means the whole recorded history.
    """

    atomic: ClassVar[bool] = True

    count: CountMode
    months: int = Field(ge=1, le=600, description="Required paid months (N or M).")
    window: int | None = Field(
        default=None,
        ge=1,
        le=MAX_WINDOW_MONTHS,
        description="W, months; cumulative only.",
    )
    back_paid_max: int = Field(
        default=0,
        ge=0,
        le=MAX_WINDOW_MONTHS,
        description="Back-paid months tolerated inside a continuous run.",
    )
    recognised_in: tuple[str, ...] = Field(default=(), description="Regions whose cities' months count too (累计互认).")
    counted_from: MonthIndex | None = Field(default=None, description="Months before this date do not count.")

    def of_kind_counts(self) -> bool:
        """Whether the rule counts paid months (always true; see :meth:`RateItem.of_kind_counts`)."""
        return True

    @model_validator(mode="after")
    def _consistent(self) -> CountRule:
        if self.count == "continuous":
            if self.window is not None:
                raise ValueError("a continuous rule has no window: use count: cumulative for 'M months within W'")
            if self.months > MAX_WINDOW_MONTHS:
                raise ValueError(f"continuous months must be at most {MAX_WINDOW_MONTHS}, got {self.months}")
        elif self.count == "cumulative":
            if self.back_paid_max:
                raise ValueError(
                    "back_paid_max applies to continuous rules; cumulative rules count back-paid months as paid"
                )
            if self.window is not None and self.window < self.months:
                raise ValueError(
                    f"window ({self.window}) must be at least months ({self.months}): "
                    f"{self.months} paid months cannot fit in {self.window}"
                )
        else:
            raise UnknownKindError("count", self.count, COUNT_MODES)
        return self
