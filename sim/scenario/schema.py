"""The scenario schema: what a scenario file may say, with units, ranges and cross-field checks.

Every model rejects unknown keys. Policy values are real-world units (months, persons, m²).
A city's ``rules`` is a timeline of rule sets, each a *delta* on the one before: a key that
is left out is inherited, a key set to ``null`` is removed (see :mod:`sim.scenario.timeline`).
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re
from typing import Annotated, ClassVar, Literal

from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from sim.errors import shorten
from sim.limits import MAX_AGENTS, MAX_MONTHS
from sim.months import month_label, parse_month
from sim.provinces import PROVINCES
from sim.rules.condition_kinds import CONDITION_KINDS
from sim.rules.item_quantities import BRACKETS_ONLY, ITEM_FLAGS, ITEM_QUANTITIES, RATE_QUANTITIES, item_quantity
from sim.rules.vocabulary import condition_fields
from sim.scenario.person_data import MAX_DISTRICTS, AttributeSpec, District, IncomeTaxSpec
from sim.value_types import (
    COUNT_MODES,
    EDUCATION_ALIASES,
    EDUCATION_LEVELS,
    MAX_WINDOW_MONTHS,
    SKILL_LEVELS,
    TENURES,
    CountMode,
    CountRule,
    Date,
    Education,
    MonthIndex,
    Skill,
    StrictModel,
    Tenure,
)

__all__ = [  # the base types, re-exported: the schema is where they are imported from
    "COUNT_MODES",
    "EDUCATION_ALIASES",
    "EDUCATION_LEVELS",
    "MAX_WINDOW_MONTHS",
    "SKILL_LEVELS",
    "TENURES",
    "CountMode",
    "CountRule",
    "Date",
    "Education",
    "MonthIndex",
    "Skill",
    "StrictModel",
    "Tenure",
]

CHANNELS = (
    "talent",
    "residence_employment",
    "rental",
    "property",
    "family",
    "permit_conversion",
    "points",
    "open",
)
"""Settlement channels, in the order they are tried when a person qualifies for several."""


MAX_POINTS = 1_000_000
"""Largest absolute points value, cap or threshold (schemes use tens to hundreds of points)."""
MAX_PERSONS = 500_000_000
"""Largest count of persons (migrants, a quota, a capacity): more than China's whole migrant population."""
MAX_CAPACITY = 10**12
"""Largest monthly capacity of a service: far above any population (null means unlimited), far below int64."""
MAX_LOGIT = 50.0
"""Largest absolute intention coefficient: beyond it a logistic probability is 0 or 1 to double precision."""

Points = Annotated[float, Field(ge=-MAX_POINTS, le=MAX_POINTS)]
"""A number of points, finite and bounded."""
Logit = Annotated[float, Field(ge=-MAX_LOGIT, le=MAX_LOGIT)]
"""A coefficient of the intention logit."""


class Bilingual(StrictModel):
    """A text in Chinese and English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Title(Bilingual):
    """A name in Chinese and English."""


TEXT_TAGS = ("one_language", "both_languages")
"""Tags of the two forms of :data:`Text` (pydantic puts them into error locations; they are not keys)."""


def _text_form(value: object) -> str:
    # Choosing the form from the value's shape reports the errors of that form alone, not of both.
    return TEXT_TAGS[1] if isinstance(value, dict | Bilingual) else TEXT_TAGS[0]


Text = Annotated[
    Annotated[str, Field(min_length=1), Tag(TEXT_TAGS[0])] | Annotated[Bilingual, Tag(TEXT_TAGS[1])],
    Discriminator(_text_form),
]
"""A free text: ``{zh: ..., en: ...}``, or a plain string written in one language only."""

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def written_in(text: str) -> Literal["zh", "en"]:
    """The language a one-language text is written in: Chinese when it has more Han characters than Latin words.

    English texts quote Chinese terms (``集体户``) and Chinese texts quote ids (``social_insurance``):
    the language with more of the text wins. An English text that is mostly quoted Chinese regulation
    text counts as Chinese; write such a text in both languages.

    Parameters
    ----------
    text : str
        A plain string of a scenario file.

    Returns
    -------
    {'zh', 'en'}
        The language most of the text is written in.

    Examples
    --------
    >>> written_in("Settlers without housing go to a collective household (集体户).")
    'en'
    >>> written_in("缴纳社保满 6 个月（social_insurance）")
    'zh'
    """
    return "zh" if len(_HAN.findall(text)) > len(_LATIN_WORD.findall(text)) else "en"


def text_in(text: str | Bilingual, lang: str) -> tuple[str, str]:
    """A free text in ``lang`` where the file gives it, and the language of what is returned.

    Parameters
    ----------
    text : str or Bilingual
        A text in both languages, or a plain string in one.
    lang : {'zh', 'en'}
        The language wanted.

    Returns
    -------
    tuple of str
        The text and the language it is written in; that language differs from ``lang`` only when
        the file gives the text in the other language alone.
    """
    if isinstance(text, Bilingual):
        return (text.zh, "zh") if lang == "zh" else (text.en, "en")
    return text, written_in(text)


class Assumption(StrictModel):
    """A value chosen where the sources give none, with the reason."""

    key: str = Field(description="Dotted path of the assumed value, relative to where it is declared.")
    reason: Text = Field(description="Why the value was chosen; in both languages or one.")


# ------------------------------------------------------------------------------------- conditions


class _Route(StrictModel):
    """What ``Conditions`` adds to its fields (which :data:`sim.rules.condition_kinds.CONDITION_KINDS` declares)."""

    atomic: ClassVar[bool] = True

    @model_validator(mode="after")
    def _consistent(self) -> _Route:
        age_min, age_max = getattr(self, "age_min", None), getattr(self, "age_max", None)
        if age_min is not None and age_max is not None and age_min > age_max:
            raise ValueError(f"age_min ({age_min}) is above age_max ({age_max})")
        for name, kind in CONDITION_KINDS.items():
            value = getattr(self, name)
            if value is not None and kind.validate is not None:
                kind.validate(value)
        return self


Conditions = create_model(
    "Conditions",
    __base__=_Route,
    __module__=__name__,
    __doc__="""Conditions of one route into a channel; all must hold. Absent means no condition.

    A route restated in a later rule set replaces the earlier route whole, so a route reads
    as the regulation states it on that date. The keys are the condition kinds of
    :data:`sim.rules.condition_kinds.CONDITION_KINDS`, and ``source``.
    """,
    **condition_fields(CONDITION_KINDS),
    source=(str, ""),
)


Dependant = Literal["spouse", "minor_children"]


class Service(StrictModel):
    """How an application is served (最多跑一次, 绿色通道, 跨省通办, 容缺受理): trips, time, capacity.

    Declared on a channel, or on a rule set as the default of every channel (the channel's keys
    override the rule set's, key by key). No ``service`` anywhere is today's behaviour: applying
    costs nothing and approval takes the channel's ``processing_months``. A declared service with
    every key left out also costs nothing (no trips, online transfer, unlimited capacity).
    """

    trips_required: int = Field(default=0, ge=0, le=20, description="Trips to a window to apply (跑几次).")
    processing_working_days: float | None = Field(
        default=None,
        ge=0,
        le=22 * 36,
        description="Working days from application to approval; null = the channel's processing_months.",
    )
    green_channel_share: float = Field(default=0.0, ge=0, le=1, description="Share of applications expedited.")
    green_channel_working_days: float | None = Field(
        default=None, ge=0, le=22 * 36, description="Working days by the green channel (绿色通道)."
    )
    transfer_online: bool = Field(
        default=True,
        description="Moving the hukou out of the origin province needs no trip there (跨省通办).",
    )
    appointment: bool = Field(default=False, description="Appointments by phone or online (预约办理).")
    self_service: bool = Field(default=False, description="Self-service terminals (自助办理).")
    all_hours: bool = Field(default=False, description="Applications accepted at any hour (24小时, 7x24).")
    tolerant_acceptance: bool = Field(
        default=False,
        description="容缺受理: missing non-core papers are accepted and sent later, saving a trip.",
    )
    capacity_per_month: int | None = Field(
        default=None,
        ge=0,
        le=MAX_CAPACITY,
        description="Decisions per month, persons; null = unlimited. Excess waits FIFO.",
    )
    move_permit_valid_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Calendar days the permit to move (准迁证) stays valid; null = until used.",
    )
    deregistration_working_days: float | None = Field(
        default=None, ge=0, le=22 * 36, description="Working days the origin takes to deregister (迁出); null = 0."
    )
    registration_working_days: float | None = Field(
        default=None, ge=0, le=22 * 36, description="Working days to register in the city (落户登记); null = 0."
    )
    source: str = ""

    def has_pipeline(self) -> bool:
        """Whether settling takes time after approval (the permit to move, deregistration, registration)."""
        return (
            self.move_permit_valid_days is not None
            or bool(self.deregistration_working_days)
            or bool(self.registration_working_days)
        )

    @model_validator(mode="after")
    def _green(self) -> Service:
        if self.green_channel_share > 0 and self.green_channel_working_days is None:
            raise ValueError("green_channel_share > 0 needs green_channel_working_days")
        return self


class Channel(StrictModel):
    """A settlement channel: any one of its routes suffices."""

    in_effect: bool = True
    routes: dict[str, Conditions | None] = Field(default_factory=dict)
    processing_months: int = Field(default=0, ge=0, le=36, description="Months from application to approval.")
    dependants: tuple[Dependant, ...] = ("spouse", "minor_children")
    collective_household: bool = Field(
        default=False,
        description="Settlers without own housing go to a collective household (集体户).",
    )
    service: Service | None = Field(default=None, description="How applications are served; see Service.")
    source: str = ""


# ----------------------------------------------------------------------------------------- points

RateQuantity = Literal[RATE_QUANTITIES]
"""Quantities a ``rate`` item scores: the entries of :data:`sim.rules.item_quantities.ITEM_QUANTITIES`."""
FlagQuantity = Literal[tuple(ITEM_FLAGS)]
"""Attributes a ``flag`` item scores: the entries of :data:`sim.rules.item_quantities.ITEM_FLAGS`."""
LEVELS: dict[str, tuple[str, ...]] = {"education": EDUCATION_LEVELS, "skill": SKILL_LEVELS}
"""The ordered levels a ``table`` item scores, by its ``of``."""


class RateItem(StrictModel):
    """Points per unit of a quantity (e.g. 3 points per year of social insurance), capped."""

    atomic: ClassVar[bool] = True

    kind: Literal["rate"]
    of: RateQuantity
    points: Points = Field(description="Points per unit; negative for deductions.")
    per: Literal["month", "year", "count"] = "year"
    cap: Points | None = Field(default=None, description="Largest absolute points from this item.")
    counted_from: MonthIndex | None = None
    recognised_in: tuple[str, ...] = ()
    excluding_study: bool = Field(
        default=False,
        description="Deduct the months of the study period (earned while studying).",
    )
    group: str | None = Field(default=None, description="District group of a district quantity (e.g. 'outer').")
    threshold_cny: float | None = Field(
        default=None, ge=0, le=1e10, description="Income tax a year must reach to count, yuan."
    )
    last_years: int | None = Field(default=None, ge=1, le=9, description="Closed calendar years looked at.")
    attribute: str | None = Field(default=None, description="The person attribute scored (Scenario.attributes).")
    whole_years: bool = Field(default=False, description="Count only completed years (per: year).")
    capped_by: str | None = Field(
        default=None, description="Another rate item of the scheme whose quantity this item's quantity may not exceed."
    )
    source: str = ""

    def of_kind_counts(self) -> bool:
        """Whether the item counts paid months, so that a counted-from date applies to it."""
        return item_quantity(self.of).paid_months

    @model_validator(mode="after")
    def _units(self) -> RateItem:
        quantity = item_quantity(self.of)
        if self.per not in quantity.per:
            expected = " or ".join(quantity.per)
            raise ValueError(f"'{self.of}' is counted per {expected}, got per: {self.per}")
        if (self.counted_from is not None or self.recognised_in or self.excluding_study) and not quantity.paid_months:
            paid = " and ".join(name for name, q in ITEM_QUANTITIES.items() if q.paid_months)
            raise ValueError(
                f"counted_from, recognised_in and excluding_study apply to {paid} only, not to '{self.of}'"
            )
        for name in ("group", "threshold_cny", "last_years", "attribute"):
            given = getattr(self, name) is not None
            if given != (name in quantity.needs):
                if given:
                    raise ValueError(f"'{name}' does not apply to '{self.of}'")
                raise ValueError(f"'{self.of}' needs '{name}'")
        if self.whole_years and self.per != "year":
            raise ValueError(f"whole_years counts completed years: it needs per: year, got per: {self.per}")
        if self.recognised_in and not quantity.regional:
            regional = ", ".join(name for name, q in ITEM_QUANTITIES.items() if q.regional)
            raise ValueError(
                f"recognised_in applies to {regional} only: only social-insurance months are recorded per region"
            )
        return self


def education_table_alias(values: dict) -> dict:
    """Points by education level with ``postgraduate`` (deprecated) read as both ``master`` and ``doctorate``.

    A level the table also gives by its own name keeps its own points.

    Examples
    --------
    >>> education_table_alias({"bachelor": 90, "postgraduate": 110, "doctorate": 120})
    {'bachelor': 90, 'master': 110, 'doctorate': 120}
    """
    if "postgraduate" not in values:
        return values
    points = values["postgraduate"]
    out = {level: value for level, value in values.items() if level != "postgraduate"}
    for level in ("master", "doctorate"):
        out.setdefault(level, points)
    return {level: out[level] for level in sorted(out, key=_table_order)}


def _table_order(level: object) -> int:
    return EDUCATION_LEVELS.index(level) if level in EDUCATION_LEVELS else len(EDUCATION_LEVELS)


class TableItem(StrictModel):
    """Points by category (education level, skill level)."""

    atomic: ClassVar[bool] = True

    kind: Literal["table"]
    of: Literal["education", "skill"]
    values: dict[str, Points]
    source: str = ""

    @model_validator(mode="before")
    @classmethod
    def _postgraduate(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("of") == "education" and isinstance(data.get("values"), dict):
            data = {**data, "values": education_table_alias(data["values"])}
        return data

    @model_validator(mode="after")
    def _known_levels(self) -> TableItem:
        levels = LEVELS[self.of]
        unknown = sorted(set(self.values) - set(levels))
        if unknown:
            raise ValueError(f"unknown {self.of} levels {unknown}; expected some of {list(levels)}")
        return self


class Bracket(StrictModel):
    """Points for values below ``below`` (and at or above the previous bracket's bound)."""

    below: float | None = Field(default=None, description="Upper bound, exclusive; null = no bound.")
    points: Points


class BracketsItem(StrictModel):
    """Points from a bracket table over a numeric quantity (e.g. an age gradient)."""

    atomic: ClassVar[bool] = True

    kind: Literal["brackets"]
    of: Literal[BRACKETS_ONLY] | RateQuantity
    brackets: tuple[Bracket, ...] = Field(min_length=1)
    source: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> BracketsItem:
        bounds = [b.below for b in self.brackets]
        if any(b is None for b in bounds[:-1]):
            raise ValueError("only the last bracket may have no upper bound ('below: null')")
        finite = [b for b in bounds if b is not None]
        if finite != sorted(finite) or len(set(finite)) != len(finite):
            raise ValueError(f"bracket bounds must increase strictly, got {finite}")
        return self


class FlagItem(StrictModel):
    """One-off points when a condition holds (renting, a shortage industry, ...)."""

    atomic: ClassVar[bool] = True

    kind: Literal["flag"]
    of: FlagQuantity
    points: Points
    source: str = ""


PointsItem = Annotated[RateItem | TableItem | BracketsItem | FlagItem, Field(discriminator="kind")]
ITEM_KINDS = ("rate", "table", "brackets", "flag")
"""The kinds of points items (the ``kind`` that selects the model)."""


MONTH_DAY = re.compile(r"(\d\d)-(\d\d)")
GOVERNING_DAY = 15
"""A model month stands for its 15th: model month M covers the 15th of M to the 14th of M+1 (docs/model.md)."""


class ApplicationWindow(StrictModel):
    """The days of the year applications to a points round are open (e.g. Beijing 2018: 04-16..06-14).

    Dates are ``MM-DD``; a window may run over the new year (``11-15`` to ``02-14``). In model
    months (a month stands for its 15th) the window covers the months whose span holds one of its
    days: 04-16..06-14 is April (04-15..05-14) and May (05-15..06-14).
    """

    atomic: ClassVar[bool] = True

    opens: str = Field(description="First day applications are accepted, MM-DD.")
    closes: str = Field(description="Last day applications are accepted, MM-DD.")
    source: str = ""

    @field_validator("opens", "closes")
    @classmethod
    def _month_day(cls, value: str) -> str:
        match = MONTH_DAY.fullmatch(value)
        if not match or not 1 <= int(match[1]) <= 12:
            raise ValueError(f"expected a day of the year as MM-DD (e.g. 04-16), got {shorten(value)}")
        try:
            dt.date(2000, int(match[1]), int(match[2]))  # a leap year: 02-29 is a day of some years
        except ValueError:
            raise ValueError(f"{value} is not a day of the year") from None
        return value

    def months_of_year(self) -> tuple[int, ...]:
        """The calendar months (1..12) of the model months the window covers, in order from its opening."""
        first, last = (_model_month_of_year(day) for day in (self.opens, self.closes))
        return tuple((first - 1 + k) % 12 + 1 for k in range((last - first) % 12 + 1))


def _model_month_of_year(day: str) -> int:
    """The model month (1..12) that a day ``MM-DD`` falls in: the 1st–14th belong to the month before."""
    month, day_of_month = (int(part) for part in day.split("-"))
    return month if day_of_month >= GOVERNING_DAY else (month - 2) % 12 + 1


class PublishedCutoff(StrictModel):
    """The cut-off score published for a round before the scenario starts: what applicants know at first."""

    atomic: ClassVar[bool] = True

    points: Points
    round: MonthIndex = Field(description="The month of the round it was published for.")
    quota_persons: int | None = Field(default=None, ge=0, le=MAX_PERSONS, description="That round's quota.")
    source: str = Field(min_length=1, description="Where the figure was published, or why it is assumed.")


class ReapplyBar(StrictModel):
    """Applicants of a round with a given outcome may not apply to the next ``rounds`` rounds."""

    atomic: ClassVar[bool] = True

    after: Literal["not_admitted", "not_qualified"] = Field(
        description="not_admitted: ranked below the cut-off; not_qualified: failed the preconditions at review."
    )
    rounds: int = Field(ge=1, le=20)
    source: str = Field(min_length=1, description="The provision that bars them.")


class Rounds(StrictModel):
    """When and how applications to a points scheme are decided.

    A later rule set may restate only some keys of ``rounds`` (e.g. a new quota), so the
    checks across keys (a quota or a threshold; ``tie_break_item`` with ``break_by_item``;
    one round a year with a ``window``) are made on the rounds in force, in
    :func:`sim.scenario.timeline.check_timelines`.

    Without a ``window`` a person may apply in any month and stays in the pool until admitted
    or until they no longer qualify. With one, applications are accepted in the window only, a
    round decides the applications of the window that closed last, and everyone not admitted
    leaves the pool: whoever wants another chance applies again in the next window.
    """

    months_of_year: tuple[int, ...] = Field(default=(6,), min_length=1)
    quota_persons: int | None = Field(
        default=None, ge=0, le=MAX_PERSONS, description="Admissions per round; null = no quota."
    )
    threshold: Points | None = Field(default=None, description="Minimum score to be admitted.")
    tie: Literal["admit_all_tied", "break_by_item"] = "admit_all_tied"
    tie_break_item: str | None = None
    window: ApplicationWindow | None = Field(
        default=None, description="Days of the year applications are open; null = any month, the pool kept."
    )
    reapply_bars: tuple[ReapplyBar, ...] = Field(
        default=(), description="Outcomes after which an applicant sits out rounds; none unless a source says so."
    )
    published_cutoff: PublishedCutoff | None = Field(
        default=None, description="The last cut-off published before the scenario starts (what applicants know)."
    )

    @field_validator("months_of_year")
    @classmethod
    def _calendar_months(cls, months: tuple[int, ...]) -> tuple[int, ...]:
        bad = [m for m in months if not 1 <= m <= 12]
        if bad:
            raise ValueError(f"months_of_year must be in 1..12, got {bad}")
        return months


class PointsChannel(Channel):
    """The points channel (积分落户): preconditions are its routes; admission by rounds."""

    items: dict[str, PointsItem | None] = Field(default_factory=dict)
    rounds: Rounds | None = None
    reference_date: Literal["month", "end_of_previous_year"] = Field(
        default="month",
        description="What the items count to: the month of the round, or 31 December of the year before.",
    )


class Channels(StrictModel):
    """The channels of a rule set; a channel set to null is abolished."""

    talent: Channel | None = None
    residence_employment: Channel | None = None
    rental: Channel | None = None
    property: Channel | None = None
    family: Channel | None = None
    permit_conversion: Channel | None = None
    points: PointsChannel | None = None
    open: Channel | None = None


# ------------------------------------------------------------------------------------- rule sets


class ResidencePermit(StrictModel):
    """Residence permit (居住证) issuance."""

    after_months: int = Field(default=6, ge=0, le=120, description="Registered residence before a permit.")
    source: str = ""


class BackPayment(StrictModel):
    """Back-payment (补缴) of social insurance."""

    allowed: bool = True
    window_months: int = Field(
        default=3,
        ge=1,
        le=MAX_WINDOW_MONTHS,
        description="How far back a gap can be back-paid.",
    )
    source: str = ""


class Transition(StrictModel):
    """How a rule set treats persons at the date it takes effect."""

    mode: Literal["whole_history", "grandfather", "prospective"] = "whole_history"
    grandfather_months: int = Field(default=0, ge=0, le=120)

    @model_validator(mode="after")
    def _months(self) -> Transition:
        if self.mode == "grandfather" and self.grandfather_months == 0:
            raise ValueError("mode: grandfather needs grandfather_months > 0")
        if self.mode != "grandfather" and self.grandfather_months:
            raise ValueError(
                f"grandfather_months applies to mode: grandfather only, not to mode: {self.mode}; "
                "remove it or set mode: grandfather"
            )
        return self


class Publicity(StrictModel):
    """How the city announces a rule set on the date it takes effect (宣传: SMS, service points).

    Not inherited: it describes one announcement. Persons it does not reach learn the new rules
    at the behavioural ``awareness`` rates.
    """

    informed_share: float = Field(
        ge=0, le=1, description="Share of the city's migrants who learn the new rules on the date."
    )
    source: str = ""


class RuleSet(StrictModel):
    """A city's rules from a date on (a delta on the rule set before it)."""

    effective: Date = Field(alias="from")
    source: str | tuple[str, ...] = ""
    title: Title | None = None
    channels: Channels = Field(default_factory=Channels)
    residence_permit: ResidencePermit = Field(default_factory=ResidencePermit)
    back_payment: BackPayment = Field(default_factory=BackPayment)
    transition: Transition = Field(default_factory=Transition)
    publicity: Publicity | None = Field(default=None, description="The announcement on the date; not inherited.")
    announced: Date | None = Field(
        default=None,
        description="The day the rule set was published, before it takes effect; null = on the day. Not inherited.",
    )
    service: Service | None = Field(default=None, description="Default service of every channel.")
    assumptions: tuple[Assumption, ...] = ()

    @model_validator(mode="after")
    def _announced_before(self) -> RuleSet:
        if self.announced is not None and self.announced > self.effective:
            raise ValueError(
                f"announced ({self.announced}) is after the rule set takes effect ({self.effective}): "
                "a rule set is published on or before its date"
            )
        return self


# ------------------------------------------------------------------------------ population & city


def parse_age_band(band: str) -> tuple[int, int]:
    """Parse an age band ``'21-30'`` into ``(21, 31)`` (end exclusive); ``'51+'`` ends at 60.

    Raises
    ------
    ValueError
        If the band is not written as ``'LOW-HIGH'`` or ``'LOW+'``, or ends above 120 years.
    """
    if match := re.fullmatch(r"(\d+)-(\d+)", band):
        low, high = int(match[1]), int(match[2]) + 1
    elif match := re.fullmatch(r"(\d+)\+", band):
        low, high = int(match[1]), OPEN_AGE_BAND_END
    else:
        raise ValueError(f"age band {shorten(band)} must look like '21-30' or '51+'")
    if not low < high:
        raise ValueError(f"age band {shorten(band)} is empty")
    if high > MAX_AGE_YEARS + 1:
        raise ValueError(f"age band {shorten(band)} ends above {MAX_AGE_YEARS} years")
    return low, high


MAX_AGE_YEARS = 120
"""Oldest age an age band may reach (births stay inside the supported dates)."""


OPEN_AGE_BAND_END = 61
"""An open band such as '51+' covers ages up to 60, the end of working life for migrants."""


class YearsInCity(StrictModel):
    """Completed years already spent in the city at the start, by age band.

    ``bands`` are year bands written as age bands are (``'0-1'``: under two completed years,
    ``'20+'``: twenty or more, up to 60); each row of ``by_age_band`` gives the shares of
    those bands for the persons of one age band and sums to 1. Months are drawn uniformly
    inside a band, up to the person's arrival at ``arrival_age_min``; a band that starts beyond
    it is dropped and the row renormalised over the bands left.
    """

    bands: tuple[str, ...] = Field(min_length=1)
    by_age_band: dict[str, tuple[float, ...]] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _bands(cls, bands: tuple[str, ...]) -> tuple[str, ...]:
        edges = [parse_age_band(band) for band in bands]
        for (_, high), (low, _) in itertools.pairwise(edges):
            if low != high:
                raise ValueError(f"year bands must follow each other without gap or overlap, got {list(bands)}")
        if edges[0][0] != 0:
            raise ValueError(f"the first year band must start at 0, got {bands[0]!r}")
        return bands

    @field_validator("by_age_band")
    @classmethod
    def _rows(cls, rows: dict[str, tuple[float, ...]], info: ValidationInfo) -> dict[str, tuple[float, ...]]:
        bands = info.data.get("bands")
        for age_band, shares in rows.items():
            parse_age_band(age_band)
            if bands is not None and len(shares) != len(bands):
                raise ValueError(f"row {age_band!r} has {len(shares)} shares for {len(bands)} year bands {list(bands)}")
            total = sum(shares)
            if any(v < 0 for v in shares) or abs(total - 1) > 0.005:
                raise ValueError(f"row {age_band!r} must be non-negative and sum to 1, got a sum of {total:.4f}")
        return rows


class ContributionCareer(StrictModel):
    """A kind of contribution career: how long formal (insured) spells last and the gaps between them.

    Its coverage, the share of months insured in the long run, is
    ``formal_spell_months_mean / (formal_spell_months_mean + gap_months_mean)``; without
    ``gap_months_mean`` the kind never contributes.
    """

    share: float = Field(ge=0, le=1, description="Share of working persons with this career.")
    formal_spell_months_mean: float = Field(ge=1, le=600, description="Mean months of an insured spell.")
    gap_months_mean: float | None = Field(
        default=None, ge=1, le=600, description="Mean months between insured spells; null: never insured."
    )

    @property
    def coverage(self) -> float:
        """Long-run share of months insured."""
        if self.gap_months_mean is None:
            return 0.0
        return self.formal_spell_months_mean / (self.formal_spell_months_mean + self.gap_months_mean)


class Careers(StrictModel):
    """Careers before the start: years in the city by age, and contribution careers with their gaps.

    Without this block a population keeps one exponential time in the city
    (``months_in_city_mean``) and the scenario's employment rates for its past.
    """

    arrival_age_min: int = Field(default=16, ge=0, le=60, description="Youngest age at arrival of a worker.")
    years_in_city: YearsInCity
    contributions: dict[str, ContributionCareer] = Field(
        min_length=1,
        description="Kinds of contribution career; their shares sum to 1 and their mean coverage is the formal share.",
    )

    @field_validator("contributions")
    @classmethod
    def _shares(cls, kinds: dict[str, ContributionCareer]) -> dict[str, ContributionCareer]:
        total = sum(kind.share for kind in kinds.values())
        if abs(total - 1) > 0.005:
            raise ValueError(f"the shares of the contribution careers must sum to 1, got a sum of {total:.4f}")
        return kinds


class _PopulationTables(StrictModel):
    """The checks of a population's share tables, shared by a full population and a city's delta."""

    # Field validators, not one model validator, so that each bad table is reported at its
    # own key path and line, and all of them at once.
    @field_validator("education_shares", "age_band_shares", "skill_shares", "employment_shares", check_fields=False)
    @classmethod
    def _shares(cls, shares: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        if shares is None:
            return shares
        total = sum(shares.values())
        if any(v < 0 for v in shares.values()) or abs(total - 1) > 0.005:
            raise ValueError(f"{info.field_name} must be non-negative and sum to 1, got a sum of {total:.4f}")
        return shares

    @field_validator("age_band_shares", check_fields=False)
    @classmethod
    def _age_bands(cls, shares: dict[str, float] | None) -> dict[str, float] | None:
        for band in shares or {}:
            parse_age_band(band)
        return shares


FORMAL_SHARE_TOLERANCE = 0.02
"""Largest gap between the contribution careers' mean coverage and the formal employment share."""


class PopulationSpec(_PopulationTables):
    """Marginals for synthesising migrants (shares in [0, 1]); ``sources`` cites each."""

    education_shares: dict[Education, float]
    male_share: float = Field(ge=0, le=1)
    married_share: float = Field(ge=0, le=1)
    spouse_in_city_share: float = Field(ge=0, le=1)
    children_in_city_mean: float = Field(ge=0, le=5)
    parents_in_city_share: float = Field(ge=0, le=1)
    age_band_shares: dict[str, float]
    rural_hukou_share: float = Field(ge=0, le=1)
    has_land_share: float = Field(ge=0, le=1)
    skill_shares: dict[Skill, float]
    employment_shares: dict[Literal["formal", "informal", "unemployed"], float]
    business_owner_share: float = Field(ge=0, le=1)
    home_owner_share: float = Field(ge=0, le=1)
    commercial_property_share: float = Field(ge=0, le=1)
    floor_area_per_capita_m2: float = Field(gt=0, le=200)
    months_in_city_mean: float = Field(gt=0, le=480)
    shortage_industry_share: float = Field(ge=0, le=1)
    honours_share: float = Field(ge=0, le=1)
    sanctions_share: float = Field(ge=0, le=1)
    careers: Careers | None = Field(
        default=None, description="Years in the city by age and contribution careers; without it, one exponential."
    )
    sources: dict[str, Text] = Field(default_factory=dict, description="Each key's citation, in one language or both.")
    assumptions: tuple[Assumption, ...] = ()

    @field_validator("careers")
    @classmethod
    def _careers_fit(cls, careers: Careers | None, info: ValidationInfo) -> Careers | None:
        ages, employment = info.data.get("age_band_shares"), info.data.get("employment_shares")
        if careers is None:
            return careers
        if ages is not None:
            youngest = min(parse_age_band(band)[0] for band in ages)
            if careers.arrival_age_min > youngest:
                raise ValueError(
                    f"careers.arrival_age_min is {careers.arrival_age_min}, but age_band_shares has migrants "
                    f"aged {youngest}, who cannot have arrived that old; lower arrival_age_min to {youngest} or less"
                )
            rows = [parse_age_band(band) for band in careers.years_in_city.by_age_band]
            for band in ages:
                low, high = parse_age_band(band)
                uncovered = [a for a in range(low, high) if not any(r_low <= a < r_high for r_low, r_high in rows)]
                if uncovered:
                    raise ValueError(
                        f"careers.years_in_city.by_age_band has no row for age {uncovered[0]} of the age band "
                        f"{band!r} of age_band_shares; add a row whose band contains it"
                    )
        if employment is not None:
            coverage = sum(kind.share * kind.coverage for kind in careers.contributions.values())
            formal = employment.get("formal", 0.0)
            if abs(coverage - formal) > FORMAL_SHARE_TOLERANCE:
                raise ValueError(
                    f"the contribution careers insure {coverage:.3f} of months on average (share x spell / "
                    f"(spell + gap)), but employment_shares.formal is {formal:.3f}; they must agree within "
                    f"{FORMAL_SHARE_TOLERANCE}: change the careers' shares, spells or gaps, or the formal share"
                )
        return careers


def _optional_fields(model: type[BaseModel], leave_out: tuple[str, ...]) -> dict[str, tuple[object, object]]:
    fields: dict[str, tuple[object, object]] = {}
    for name, info in model.model_fields.items():
        if name in leave_out:
            continue
        optional = copy.copy(info)
        optional.default, optional.default_factory = None, None
        fields[name] = (info.annotation | None, optional)
    return fields


PopulationDelta = create_model(
    "PopulationDelta",
    __base__=_PopulationTables,
    __doc__="A city's population block: the keys it declares replace the scenario's, each whole.",
    **_optional_fields(PopulationSpec, ("sources", "assumptions")),
    sources=(dict[str, Text], Field(default_factory=dict, description="Citations of the declared keys.")),
    assumptions=(tuple[Assumption, ...], ()),
)


def merged_population(base: PopulationSpec, delta: BaseModel | None) -> PopulationSpec:
    """The population of a city: ``base`` with the keys ``delta`` declares (not null) replaced whole.

    ``sources`` merge key by key (the city's citation wins) and the city's ``assumptions`` follow
    the scenario's; a key the city leaves out keeps the scenario's value and citation.

    Raises
    ------
    pydantic.ValidationError
        If the merged population breaks a cross-key check (e.g. careers against the formal share).
    """
    if delta is None:
        return base
    # A key left null is not declared (a dumped delta writes every key, the undeclared as null).
    declared = {key: value for key, value in delta if value is not None and key not in ("sources", "assumptions")}
    data = {key: getattr(base, key) for key in type(base).model_fields}
    data.update(declared)
    data["sources"] = {**base.sources, **delta.sources}
    data["assumptions"] = (*base.assumptions, *delta.assumptions)
    return PopulationSpec.model_validate(data)


class Shock(StrictModel):
    """A dated change in employment dynamics (e.g. a downturn)."""

    start: MonthIndex = Field(alias="from")
    end: MonthIndex = Field(alias="to")
    formal_exit_multiplier: float = Field(default=1.0, ge=0, le=20)
    hiring_multiplier: float = Field(default=1.0, ge=0, le=20)
    source: str = ""


class EmploymentDynamics(StrictModel):
    """Monthly transition rates between formal (pays social insurance), informal and unemployed."""

    formal_to_informal: float = Field(ge=0, le=1)
    formal_to_unemployed: float = Field(ge=0, le=1)
    informal_to_formal: float = Field(ge=0, le=1)
    informal_to_unemployed: float = Field(ge=0, le=1)
    unemployed_to_formal: float = Field(ge=0, le=1)
    unemployed_to_informal: float = Field(ge=0, le=1)
    college_formal_multiplier: float = Field(default=1.0, ge=0, le=10)
    over_45_formal_multiplier: float = Field(default=1.0, ge=0, le=10)
    shocks: tuple[Shock, ...] = ()


class Intention(StrictModel):
    """Settlement intention: a logit over person attributes, turned into a monthly hazard."""

    intercept: Logit
    age_40_plus: Logit
    college_or_above: Logit
    has_spouse_in_city: Logit
    has_children_in_city: Logit
    has_land: Logit
    years_in_city: Logit = Field(description="Per year in the city, capped at 10 years.")
    application_rate: float = Field(ge=0, le=1, description="Monthly application probability at intention 1.")


class Awareness(StrictModel):
    """How fast migrants learn of a new rule set (take-up lags an announcement).

    A migrant who does not yet know the rules in force applies only through channels that both
    the rules in force and the rules they know admit them to. Each month such a migrant learns
    the rules in force with chance ``monthly_rate`` (``college_or_above_rate`` for those with a
    college education or above, when given). Arrivals and movers learn the rules of their new
    city on arrival. The defaults (1) mean everyone knows a new rule set in its first month.
    """

    monthly_rate: float = Field(default=1.0, ge=0, le=1)
    college_or_above_rate: float | None = Field(default=None, ge=0, le=1)


class ServiceCost(StrictModel):
    """The cost of applying, as a multiplier ``exp(-cost)`` on the monthly application probability.

    ``cost = person × (trip_cost × trips × convenience + home_trip_cost × far)`` where ``person`` is
    ``1 + children_weight × has_children + formal_job_weight × in_formal_job``, ``convenience`` is
    ``1`` less the discounts of the service's appointment, self-service and all-hours windows
    (floored at 0), and ``far`` is ``far_multiplier`` when the origin province is more than
    ``near_province_distance`` places from the city's province in :data:`sim.provinces.PROVINCES`
    order (or the city declares no province), else 1. The home trip counts only when the transfer
    is not online. All values are assumptions (no seed measures them); only the ordering matters.
    """

    trip_cost: float = Field(default=0.15, ge=0, le=10)
    home_trip_cost: float = Field(default=0.4, ge=0, le=10)
    far_multiplier: float = Field(default=2.0, ge=0, le=20)
    near_province_distance: int = Field(default=2, ge=0, le=30)
    children_weight: float = Field(default=0.25, ge=0, le=10)
    formal_job_weight: float = Field(default=0.25, ge=0, le=10)
    appointment_discount: float = Field(default=0.15, ge=0, le=1)
    self_service_discount: float = Field(default=0.1, ge=0, le=1)
    all_hours_discount: float = Field(default=0.15, ge=0, le=1)
    missing_papers_share: float = Field(
        default=0.2, ge=0, le=1, description="Applicants whose papers are incomplete: one extra trip."
    )


class PointsApplicants(StrictModel):
    """Whether a person eligible for a points round applies, given what they can know (optional block).

    A person knows their own score and the cut-off published for the city's last round (or the
    rounds' ``published_cutoff`` before the first round of the run); they expect the next cut-off
    there, moved by ``quota_points_per_doubling`` points down per doubling of the quota since
    that round. Unsure of how far it will move, they put their chance of admission at
    ``Φ((score − expected cut-off) / cutoff_uncertainty_points)``. Applying takes effort (papers,
    the employer's declaration): efforts, spread evenly between none and ``sure_chance`` across
    persons, are weighed against that chance, so the monthly application probability is
    multiplied by ``min(1, chance / sure_chance)``. Those far below stop applying, those near the
    cut-off keep trying; when no cut-off is known yet the probability is not changed.
    Absent (the default), applying to a points round does not depend on the score.
    """

    cutoff_uncertainty_points: float = Field(
        gt=0, le=MAX_POINTS, description="How far applicants expect the next cut-off may move (one sd), points."
    )
    sure_chance: float = Field(
        gt=0, le=1, description="Chance of admission at which every intending person finds applying worth it."
    )
    quota_points_per_doubling: float = Field(
        default=0.0, ge=0, le=MAX_POINTS, description="Points the expected cut-off falls when the quota doubles."
    )


class Pipeline(StrictModel):
    """What a person takes, after approval, to deregister at the place of origin (optional block).

    With no online transfer (跨省通办) the approved applicant carries the permit to move (准迁证)
    home: the trip takes an exponential number of working days with mean
    ``home_trip_working_days_mean`` (``far_multiplier`` times more for a far origin, as in
    ``service_cost``). A permit that expires before the trip lapses the application.
    Absent (the default), the trip home adds no time.
    """

    home_trip_working_days_mean: float = Field(gt=0, le=22 * 36)
    far_multiplier: float = Field(default=1.0, ge=1, le=20)


class Preparation(StrictModel):
    """What migrants do between a rule set's announcement and its effect (optional block).

    Persons who learn of an announced rule set (its publicity reaches them on the announcement
    day; the rest learn at the ``awareness`` rates from then on) know it when it takes effect.
    Those who are then eligible under it have their papers ready: in its first
    ``ready_months`` months they apply ``ready_multiplier`` times as readily (seed 000: Ms Xie
    applied two days after the 2019 rules took effect, her mother's flight already booked).
    """

    ready_multiplier: float = Field(ge=1, le=100)
    ready_months: int = Field(default=1, ge=1, le=24)


class BehaviourSpec(StrictModel):
    """Behavioural parameters (monthly rates in [0, 1]); ``sources`` cites each block."""

    employment: EmploymentDynamics
    intention: Intention
    home_purchase_rate: float = Field(ge=0, le=1)
    community_change_rate: float = Field(ge=0, le=1)
    return_home_rate: float = Field(ge=0, le=1)
    unemployed_return_multiplier: float = Field(ge=0, le=50)
    move_city_rate: float = Field(ge=0, le=1)
    back_payment_rate: float = Field(ge=0, le=1)
    permit_take_up_rate: float = Field(ge=0, le=1)
    annual_mortality_rate: float = Field(ge=0, le=0.2)
    retirement_age_male: int = Field(ge=40, le=80)
    retirement_age_female: int = Field(ge=40, le=80)
    awareness: Awareness = Field(
        default_factory=Awareness, description="How fast migrants learn of a new rule set; everyone at once by default."
    )
    service_cost: ServiceCost = Field(
        default_factory=ServiceCost,
        description="Cost of applying under a declared service; no effect where none is declared.",
    )
    pipeline: Pipeline | None = Field(
        default=None, description="The trip home with the permit to move; null = no time added."
    )
    preparation: Preparation | None = Field(
        default=None, description="Papers readied between announcement and effect; null = none."
    )
    points_applicants: PointsApplicants | None = Field(
        default=None, description="Applying to points rounds against the published cut-off; null = regardless of it."
    )
    sources: dict[str, Text] = Field(default_factory=dict, description="Each key's citation, in one language or both.")
    assumptions: tuple[Assumption, ...] = ()


class City(StrictModel):
    """A city: its migrant population, inflow and rule timeline."""

    name: Title
    migrants: int = Field(ge=0, le=MAX_PERSONS, description="Migrant persons in the city at the start.")
    inflow_per_month: float = Field(default=0, ge=0, le=MAX_PERSONS / 100, description="New migrant persons per month.")
    province: str | None = Field(default=None, description="The city's province (for the distance of a trip home).")
    rules: tuple[RuleSet, ...] = Field(min_length=1)
    districts: dict[str, District] = Field(
        default_factory=dict, max_length=MAX_DISTRICTS, description="The city's districts and their groups."
    )
    population: PopulationDelta | None = Field(  # type: ignore[valid-type]
        default=None,
        description="The city's own marginals for its migrants: each key replaces the scenario's whole.",
    )
    source: str | tuple[str, ...] = ""
    assumptions: tuple[Assumption, ...] = ()

    @field_validator("districts")
    @classmethod
    def _districts(cls, districts: dict[str, District]) -> dict[str, District]:
        for key in ("home_share", "work_share"):
            shares = [getattr(d, key) for d in districts.values()]
            given = [s for s in shares if s is not None]
            if given and (len(given) != len(shares) or abs(sum(given) - 1) > 0.005):
                raise ValueError(
                    f"{key} must be given for every district or for none, and sum to 1; "
                    f"got {len(given)} of {len(shares)} districts summing to {sum(given):.4f}"
                )
        return districts

    @field_validator("province")
    @classmethod
    def _province(cls, province: str | None) -> str | None:
        if province is not None and province not in PROVINCES:
            raise ValueError(f"unknown province {province!r}; expected one of {list(PROVINCES)}")
        return province

    @field_validator("rules")
    @classmethod
    def _first_has_no_transition(cls, rules: tuple[RuleSet, ...]) -> tuple[RuleSet, ...]:
        mode = rules[0].transition.mode
        if mode != "whole_history":
            raise ValueError(
                f"the first rule set has transition mode '{mode}', but there are no earlier rules to "
                "move from: a transition applies only to a rule set that follows another. Remove the "
                "transition, or add the rule set it replaces before it"
            )
        return rules


class Scenario(StrictModel):
    """A whole scenario: cities, their rule timelines, population and behaviour."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: Title
    description: Text = Field(default="", description="What the scenario shows; in both languages or one.")
    source: str | tuple[str, ...] = Field(min_length=1)
    extends: str | None = None
    start: MonthIndex
    months: int = Field(ge=1, le=MAX_MONTHS)
    agents: int = Field(default=20_000, ge=10, le=MAX_AGENTS)
    population: PopulationSpec
    behaviour: BehaviourSpec
    cities: dict[str, City] = Field(min_length=1)
    regions: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Groups of cities whose contribution months count in each other (累计互认).",
    )
    """Declared after ``cities`` so that its validator sees them and reports at ``regions``."""
    attributes: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], AttributeSpec] = Field(
        default_factory=dict, max_length=64, description="Numeric person attributes items may score."
    )
    income_tax: IncomeTaxSpec | None = Field(default=None, description="Individual income tax persons pay.")
    assumptions: tuple[Assumption, ...] = ()

    @field_validator("cities")
    @classmethod
    def _start_outside_grandfathering(cls, cities: dict[str, City], info: ValidationInfo) -> dict[str, City]:
        start = info.data.get("start")
        if start is None:
            return cities  # the start is invalid; its own error is reported
        for city_id, city in cities.items():
            for rules in city.rules:
                first, transition = parse_month(rules.effective), rules.transition
                until = first + transition.grandfather_months
                if transition.mode == "grandfather" and first < start < until:
                    raise ValueError(
                        f"city '{city_id}': the scenario starts {month_label(start)}, inside the grandfathering "
                        f"of the rule set from {rules.effective} (until {month_label(until)}): who was eligible "
                        f"under the earlier rules on {rules.effective} is not known at the start. Start the "
                        f"scenario in or before {month_label(first)}, or from {month_label(until)} on"
                    )
        return cities

    @field_validator("cities")
    @classmethod
    def _city_populations(cls, cities: dict[str, City], info: ValidationInfo) -> dict[str, City]:
        base = info.data.get("population")
        if base is None:
            return cities  # the scenario's population is invalid; its own errors are reported
        for city_id, city in cities.items():
            try:
                merged_population(base, city.population)
            except ValidationError as err:
                found = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'population'}: {e['msg']}" for e in err.errors())
                raise ValueError(
                    f"city '{city_id}': its population block merged over the scenario's is invalid ({found}); "
                    "declare in the city every key that must change with it"
                ) from err
        return cities

    def population_of(self, city_id: str) -> PopulationSpec:
        """The marginals of one city's migrants: the scenario's, with the city's own block over them."""
        return merged_population(self.population, self.cities[city_id].population)

    @field_validator("regions")
    @classmethod
    def _regions(cls, regions: dict[str, tuple[str, ...]], info: ValidationInfo) -> dict[str, tuple[str, ...]]:
        cities = info.data.get("cities")
        if cities is None:
            return regions  # the cities are invalid; their own errors are reported
        wrong = {region: sorted(set(members) - set(cities)) for region, members in regions.items()}
        wrong = {region: unknown for region, unknown in wrong.items() if unknown}
        if wrong:
            named = "; ".join(f"region '{region}' names {unknown}" for region, unknown in wrong.items())
            raise ValueError(f"{named}, not in 'cities' ({sorted(cities)})")
        return regions
