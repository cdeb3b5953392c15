"""Person files for ``sim check``: what a person knows of themselves, as a one-household population.

A person file (YAML, see ``docs/scenarios.md``) gives months as ``YYYY-MM`` and contribution
histories as month ranges per city (``"2014-04..2017-12"``; unlisted months are gaps). It is
validated like a scenario file: unknown keys are errors with the nearest valid key
suggested, and every problem is reported at once with file, key path and line.

:func:`person_population` turns a record into a small :class:`~sim.population.Population`
(the person and their household members as rows of one household) whose ledgers hold the
history up to, but not including, the month of application, built month by month the way
the model builds them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from sim.errors import PersonFileError, Problem, ScenarioError, shorten
from sim.ledger import BitLedger
from sim.months import check_year, month_index, month_label
from sim.population import (
    CHILD,
    EDUCATION_INDEX,
    FORMAL,
    HEAD,
    INFORMAL,
    MIGRANT,
    MONTH_DTYPE,
    NO_MONTH,
    OWN,
    PARENT,
    RENT,
    SETTLED,
    SKILL_INDEX,
    SPOUSE,
    UNEMPLOYED,
    Population,
)
from sim.scenario.loader import problem_from_error
from sim.scenario.schema import Education, Scenario, Skill
from sim.scenario.yamlsource import KeyPath, Origins, format_key_path, origin_of, read_yaml

PROVINCES = (
    "beijing",
    "tianjin",
    "hebei",
    "shanxi",
    "inner_mongolia",
    "liaoning",
    "jilin",
    "heilongjiang",
    "shanghai",
    "jiangsu",
    "zhejiang",
    "anhui",
    "fujian",
    "jiangxi",
    "shandong",
    "henan",
    "hubei",
    "hunan",
    "guangdong",
    "guangxi",
    "hainan",
    "chongqing",
    "sichuan",
    "guizhou",
    "yunnan",
    "tibet",
    "shaanxi",
    "gansu",
    "qinghai",
    "ningxia",
    "xinjiang",
)
"""The 31 provincial-level divisions of the mainland; ``origin_province`` indexes this tuple."""

PROVINCE_INDEX = {name: i for i, name in enumerate(PROVINCES)}

RENAMED: dict[str, str] = {
    "birth_month": "birth",
    "born": "birth",
    "gender": "sex",
    "title": "skill (a professional title is written at its equivalent skill level)",
    "professional_title": "skill (a professional title is written at its equivalent skill level)",
    "hukou": "origin: {hukou: rural, province: ...}",
    "province": "origin: {hukou: ..., province: hunan}",
    "arrival": "arrived: {CITY: YYYY-MM}",
    "social_insurance_months": 'social_insurance: {CITY: ["YYYY-MM..YYYY-MM"]}',
    "back_payment": 'back_paid: {CITY: ["YYYY-MM..YYYY-MM"]}',
    "permit": "residence_permit: {CITY: YYYY-MM}",
    "graduation": "education: {level: ..., graduated: YYYY-MM}",
    "graduated": "education: {level: ..., graduated: YYYY-MM}",
    "floor_area": "housing: {floor_area_m2: ...}",
    "tenure": "housing: {tenure: rent}",
    "children_birth": "household: {children: [YYYY-MM]}",
}
"""Keys people are likely to write, mapped to what the person schema calls them."""

OTHER_MEMBER_AGE_YEARS = 30
"""Age given to ``household.others`` rows: they count for floor area only, so any adult age will do."""

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


# ------------------------------------------------------------------------------------------ values


def parse_person_month(value: object) -> int:
    """Parse ``YYYY-MM`` (or a date, taken as its calendar month) into a month index.

    Unlike scenario dates, a day of month does not shift the month: a person born on
    1991-04-20 was born in April 1991.

    Raises
    ------
    ValueError
        If the value is not a month.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        check_year(value.year, value)
        return month_index(value.year, value.month)
    text = str(value).strip()
    match = _YEAR_MONTH.match(text)
    if match and 1 <= int(match[2]) <= 12:
        check_year(int(match[1]), value)
        return month_index(int(match[1]), int(match[2]))
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected a month 'YYYY-MM', got {shorten(value)}") from None
    check_year(day.year, value)
    return month_index(day.year, day.month)


def parse_month_range(value: object) -> tuple[int, int]:
    """Parse ``"YYYY-MM..YYYY-MM"`` (both ends included) or a single month into ``(first, last)``.

    Raises
    ------
    ValueError
        If either end is not a month or the range ends before it starts.
    """
    if isinstance(value, dt.date):
        month = parse_person_month(value)
        return month, month
    text = str(value).strip()
    if ".." not in text:
        try:
            month = parse_person_month(text)
        except ValueError:
            raise ValueError(
                f"expected a month range 'YYYY-MM..YYYY-MM' or a single month 'YYYY-MM', got {shorten(value)}"
            ) from None
        return month, month
    first_text, _, last_text = (part.strip() for part in text.partition(".."))
    ends = []
    for end in (first_text, last_text):
        try:
            ends.append(parse_person_month(end))
        except ValueError as err:
            raise ValueError(f"in range {shorten(text)}: {err}") from None
    first, last = ends
    if last < first:
        raise ValueError(
            f"range {shorten(text)} ends ({last_text}) before it starts ({first_text}); write the earlier month first"
        )
    return first, last


PersonMonth = Annotated[int, BeforeValidator(parse_person_month)]
"""A month ``YYYY-MM``; stored as a month index (:func:`sim.months.month_index`)."""

MonthRange = Annotated[tuple[int, int], BeforeValidator(parse_month_range)]
"""A range of months ``YYYY-MM..YYYY-MM``, both ends included; stored as ``(first, last)`` indices."""


def _no_months_as_empty(value: object) -> object:
    # DESIGN §5 writes "back_paid: []" for "none"; a list cannot say which city its months were in.
    if isinstance(value, list) and not value:
        return {}
    if isinstance(value, list):
        raise ValueError('give months per city, e.g. {ningbo: ["2018-01..2018-02"]}, not a bare list')
    return value


CityRanges = Annotated[dict[str, tuple[MonthRange, ...]], BeforeValidator(_no_months_as_empty)]


# ------------------------------------------------------------------------------------------ schema


class PersonModel(BaseModel):
    """Base of the person-file models: unknown keys are errors, models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EducationRecord(PersonModel):
    """Highest education and when it was completed."""

    level: Education
    graduated: PersonMonth | None = Field(default=None, description="Month of graduation; absent if none.")


class Origin(PersonModel):
    """Where the person's hukou is registered now."""

    hukou: Literal["rural", "urban"]
    province: str
    has_land: bool = Field(default=False, description="Keeps contracted land or a homestead at origin.")

    @field_validator("province", mode="before")
    @classmethod
    def _known_province(cls, value: object) -> str:
        name = str(value).strip().lower().replace(" ", "_")
        if name not in PROVINCE_INDEX:
            close = difflib.get_close_matches(name, PROVINCES, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"one of {', '.join(PROVINCES)}"
            raise ValueError(f"unknown province {shorten(value)}; {hint}")
        return name


class Housing(PersonModel):
    """The dwelling in the checked city (shared by the household)."""

    tenure: Literal["rent", "own_home"] = "rent"
    community_since: PersonMonth | None = Field(
        default=None, description="Living in the current community since; default: arrival in the city."
    )
    floor_area_m2: float | None = Field(default=None, gt=0, le=10_000, description="The dwelling's floor area.")
    owns_commercial_property: bool = Field(default=False, description="Owns commercial or office property (商业用房).")


class Settled(PersonModel):
    """Which household members already hold the city's hukou."""

    spouse: bool = False
    children: bool = False
    parents: bool = False


class Household(PersonModel):
    """Family members living in the city with the person (relative to the person)."""

    spouse: bool = False
    children: tuple[PersonMonth, ...] = Field(default=(), max_length=10, description="Birth months.")
    parents: tuple[PersonMonth, ...] = Field(default=(), max_length=4, description="Birth months.")
    others: int = Field(
        default=0, ge=0, le=20, description="Other persons sharing the dwelling (count for floor area per capita)."
    )
    settled: Settled = Field(default_factory=Settled)


class PersonRecord(PersonModel):
    """One person's history as they know it (the person file, validated).

    Month values are month indices; month ranges are ``(first, last)`` pairs, both included.
    """

    name: str = ""
    source: str = ""
    applicant: Literal["self", "parent", "child"] = Field(
        default="self",
        description="Whose file this is: 'parent' = a parent joining a settled child, "
        "'child' = a child joining a settled parent.",
    )
    birth: PersonMonth
    sex: Literal["male", "female"]
    education: EducationRecord
    skill: Skill = "none"
    origin: Origin
    arrived: dict[str, PersonMonth] = Field(min_length=1, description="Arrival month per city.")
    social_insurance: CityRanges = Field(default_factory=dict)
    back_paid: CityRanges = Field(default_factory=dict)
    tax: CityRanges = Field(default_factory=dict)
    employment: CityRanges | None = Field(default=None, description="Default: the social-insurance months.")
    residence_permit: dict[str, PersonMonth] = Field(default_factory=dict)
    housing: Housing = Field(default_factory=Housing)
    honours: int = Field(default=0, ge=0, le=100)
    sanctions: int = Field(default=0, ge=0, le=100)
    shortage_industry: bool = False
    household: Household = Field(default_factory=Household)

    _file: str = PrivateAttr(default="<person>")
    _origins: Origins = PrivateAttr(default_factory=dict)

    @property
    def file(self) -> str:
        """The file the record was read from."""
        return self._file

    def problem(self, path: KeyPath, message: str, hint: str = "") -> Problem:
        """A :class:`~sim.errors.Problem` located at ``path`` of the person file."""
        file, line = origin_of(self._origins, path) or (self._file, None)
        return Problem(file, format_key_path(path), message, line, hint)

    def paid_months(self, city: str) -> set[int]:
        """Social-insurance months paid in ``city``, back-paid months included."""
        return _months(self.social_insurance.get(city, ())) | _months(self.back_paid.get(city, ()))

    def employed_months(self, city: str) -> set[int]:
        """Months employed in ``city`` (by default the months with social insurance listed)."""
        source = self.social_insurance if self.employment is None else self.employment
        return _months(source.get(city, ()))


def _months(ranges: Iterable[tuple[int, int]]) -> set[int]:
    return {m for first, last in ranges for m in range(first, last + 1)}


# ------------------------------------------------------------------------------------------ loading


def load_person(path: str | Path) -> PersonRecord:
    """Read and validate a person file.

    Parameters
    ----------
    path : str or Path
        A person YAML file (format in ``docs/scenarios.md``).

    Returns
    -------
    PersonRecord

    Raises
    ------
    PersonFileError
        Listing every problem found, each with file, key path, line and a hint.
    """
    name = str(path)
    data, origins = read_yaml(Path(path), error=PersonFileError)
    return validate_person(data, origins, name)


def validate_person(data: Any, origins: Origins, name: str) -> PersonRecord:
    """Validate person data read from ``name``; raise a :class:`PersonFileError` with every problem."""
    if not isinstance(data, dict):
        found = "an empty file" if data is None else type(data).__name__
        raise PersonFileError([Problem(name, "", f"must be a mapping of keys, got {found}.")])
    try:
        record = PersonRecord.model_validate(data)
    except ValidationError as err:
        raise PersonFileError(
            [
                problem_from_error(
                    e, origins, name, model=PersonRecord, renamed=RENAMED, doc="docs/scenarios.md, 'Person files'"
                )
                for e in err.errors()
            ]
        ) from err
    record._file = name
    record._origins = origins
    problems = _cross_checks(record) + _order_checks(record)
    if problems:
        raise PersonFileError(problems)
    return record


def _cross_checks(record: PersonRecord) -> list[Problem]:
    problems: list[Problem] = []
    household = record.household
    listed = {"spouse": household.spouse, "children": bool(household.children), "parents": bool(household.parents)}
    for relative, present in listed.items():
        if getattr(household.settled, relative) and not present:
            problems.append(
                record.problem(
                    ("household", "settled", relative),
                    f"says the {relative} settled, but household.{relative} lists none.",
                    f"add household.{relative}" + (": true" if relative == "spouse" else ": [BIRTH-MONTH]"),
                )
            )
    if record.applicant == "parent" and not household.children:
        problems.append(
            record.problem(
                ("applicant",),
                "is 'parent' (a parent joining a settled child), but household.children lists no child.",
                "list the child's birth month under household.children and set household.settled.children: true",
            )
        )
    if record.applicant == "child" and not household.parents:
        problems.append(
            record.problem(
                ("applicant",),
                "is 'child' (a child joining a settled parent), but household.parents lists no parent.",
                "list the parent's birth month under household.parents and set household.settled.parents: true",
            )
        )
    graduated = record.education.graduated
    if graduated is not None and graduated <= record.birth:
        problems.append(
            record.problem(
                ("education", "graduated"),
                f"graduation {month_label(graduated)} is not after birth {month_label(record.birth)}.",
            )
        )
    for key in ("social_insurance", "back_paid", "tax", "employment"):
        for city, ranges in (getattr(record, key) or {}).items():
            for index, (first, _) in enumerate(ranges):
                if first < record.birth:
                    problems.append(
                        record.problem(
                            (key, city, index),
                            f"starts {month_label(first)}, before birth {month_label(record.birth)}.",
                        )
                    )
    for city in record.back_paid:
        if city not in record.arrived:
            problems.append(
                record.problem(("back_paid", city), f"city '{city}' has no arrival month.", f"add arrived.{city}")
            )
    return problems


def _order_checks(record: PersonRecord) -> list[Problem]:
    """Events that cannot precede birth, and relatives whose births contradict the person's."""
    problems: list[Problem] = []
    birth = month_label(record.birth)
    for city, arrival in record.arrived.items():
        if arrival < record.birth:
            problems.append(
                record.problem(
                    ("arrived", city),
                    f"expected an arrival after birth ({birth}), found {month_label(arrival)}.",
                    "check the year of the arrival or of birth",
                )
            )
    since = record.housing.community_since
    if since is not None and since < record.birth:
        problems.append(
            record.problem(
                ("housing", "community_since"),
                f"expected a month after birth ({birth}), found {month_label(since)}.",
                "give the month the person moved into the current community",
            )
        )
    for index, child in enumerate(record.household.children):
        if child <= record.birth:
            problems.append(
                record.problem(
                    ("household", "children", index),
                    f"expected a child born after the person ({birth}), found {month_label(child)}.",
                    "household.children lists the birth months of the person's children",
                )
            )
    for index, parent in enumerate(record.household.parents):
        if parent >= record.birth:
            problems.append(
                record.problem(
                    ("household", "parents", index),
                    f"expected a parent born before the person ({birth}), found {month_label(parent)}.",
                    "household.parents lists the birth months of the person's parents",
                )
            )
    return problems


def application_problems(record: PersonRecord, city: str, arrival: int, month: int) -> list[Problem]:
    """What the file says that contradicts the application in ``city`` (arrival month ``arrival``) in ``month``.

    A graduation not before ``month``, or a community tenure that starts before the arrival. Checked
    at the month of application only: a person is also evaluated at earlier months (whether old
    rules grandfather them), when a later graduation is no contradiction.
    """
    problems: list[Problem] = []
    graduated = record.education.graduated
    if graduated is not None and graduated >= month:
        problems.append(
            record.problem(
                ("education", "graduated"),
                f"expected a graduation before the month of application ({month_label(month)}), "
                f"found {month_label(graduated)}.",
                "check the graduation month or choose a later --date",
            )
        )
    since = record.housing.community_since
    if since is not None and since < arrival:
        problems.append(
            record.problem(
                ("housing", "community_since"),
                f"expected a month on or after the arrival in '{city}' ({month_label(arrival)}), "
                f"found {month_label(since)}.",
                f"housing describes the dwelling in the city checked; check community_since or arrived.{city}",
            )
        )
    return problems


# ------------------------------------------------------------------------------------- population


def person_population(record: PersonRecord, scenario: Scenario, city: str, month: int) -> tuple[Population, int]:
    """Build the person's household as a population, with histories up to ``month`` (exclusive).

    Rows: the person, then (relative to them) spouse, children, parents and ``others``, all of
    one household. Roles follow ``applicant``: ``self`` makes the person the head; ``parent``
    makes the first listed child the head and the person (and their spouse) parents of it;
    ``child`` makes the first listed parent the head, the second its spouse, and the person a
    child. Relatives flagged in ``household.settled`` have status SETTLED, the rest MIGRANT.

    Parameters
    ----------
    record : PersonRecord
        The validated person file.
    scenario : Scenario
        The scenario (for city and region indices).
    city : str
        Id of the city where the person applies.
    month : int
        Month index of the application.

    Returns
    -------
    population, row
        The household's population and the person's row in it (always 0).

    Raises
    ------
    ScenarioError
        If ``city`` is not a city of the scenario.
    PersonFileError
        If the person file gives no arrival in ``city`` or one after ``month``.
    """
    city_ids = list(scenario.cities)
    if city not in scenario.cities:
        raise ScenarioError([unknown_city_problem(scenario, city)])
    arrival = record.arrived.get(city)
    if arrival is None:
        raise PersonFileError(
            [
                record.problem(
                    ("arrived",),
                    f"gives no arrival month in '{city}' (cities given: {', '.join(record.arrived)}).",
                    f"add arrived: {{{city}: YYYY-MM}}",
                )
            ]
        )
    if arrival >= month:
        raise PersonFileError(
            [
                record.problem(
                    ("arrived", city),
                    f"arrival {month_label(arrival)} is not before the month of application {month_label(month)}.",
                    "check the arrival month or choose a later --date",
                )
            ]
        )
    rows = _household_rows(record, month)
    n = len(rows)
    permit = record.residence_permit.get(city, NO_MONTH)
    paid = record.paid_months(city)
    employed = record.employed_months(city)
    tax = _months(record.tax.get(city, ()))
    area = record.housing.floor_area_m2 or 0.0
    person = {
        "education": EDUCATION_INDEX[record.education.level],
        "skill": SKILL_INDEX[record.skill],
        "graduated_month": NO_MONTH if record.education.graduated is None else record.education.graduated,
        "is_rural": record.origin.hukou == "rural",
        "has_land": record.origin.has_land,
        "origin_province": PROVINCE_INDEX[record.origin.province],
        "employment": FORMAL if month - 1 in paid else INFORMAL if month - 1 in employed else UNEMPLOYED,
        "has_business": bool(tax),
        "permit_month": permit if permit != NO_MONTH and permit <= month else NO_MONTH,
        "honours": record.honours,
        "sanctions": record.sanctions,
        "shortage_industry": record.shortage_industry,
        "employed_months": min(sum(1 for m in employed if m < month), np.iinfo(np.int16).max),
    }
    columns: dict[str, np.ndarray] = {
        "status": np.array([status for status, _, _ in rows], np.int8),
        "city": np.full(n, city_ids.index(city), np.int8),
        "household": np.zeros(n, np.int32),
        "role": np.array([role for _, role, _ in rows], np.int8),
        "birth_month": np.array([birth for _, _, birth in rows], MONTH_DTYPE),
        "is_male": np.array([record.sex == "male"] + [False] * (n - 1), bool),
        "arrival_month": np.full(n, arrival, MONTH_DTYPE),
        "city_since": np.full(n, arrival, MONTH_DTYPE),
        "community_since": np.full(n, record.housing.community_since or arrival, MONTH_DTYPE),
        "tenure": np.full(n, RENT if record.housing.tenure == "rent" else OWN, np.int8),
        "owns_commercial": np.full(n, record.housing.owns_commercial_property, bool),
        "floor_area_m2": np.full(n, area, np.float32),
    }
    defaults = {
        "education": (0, np.int8),
        "skill": (0, np.int8),
        "graduated_month": (NO_MONTH, MONTH_DTYPE),
        "is_rural": (False, bool),
        "has_land": (False, bool),
        "origin_province": (0, np.int8),
        "employment": (UNEMPLOYED, np.int8),
        "has_business": (False, bool),
        "permit_month": (NO_MONTH, MONTH_DTYPE),
        "honours": (0, np.int8),
        "sanctions": (0, np.int8),
        "shortage_industry": (False, bool),
        "employed_months": (0, np.int16),
    }
    for key, (default, dtype) in defaults.items():
        values = np.full(n, default, dtype)
        values[0] = person[key]
        columns[key] = values
    region_months = []
    for members in scenario.regions.values():
        months: set[int] = set()
        for member in members:
            months |= record.paid_months(member)
        region_months.append(months)
    back = _months(record.back_paid.get(city, ()))
    histories = [paid, back, tax, *region_months]
    ledgers = _ledgers(histories, n, month)
    social_insurance, back_paid, tax_ledger, *region_paid = ledgers
    pop = Population(
        **columns,
        social_insurance=social_insurance,
        back_paid=back_paid,
        tax=tax_ledger,
        region_paid=region_paid,
    )
    return pop, 0


def unknown_city_problem(scenario: Scenario, city: str) -> Problem:
    """The problem reported when ``city`` is not one of the scenario's cities."""
    known = sorted(scenario.cities)
    close = difflib.get_close_matches(city, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return Problem(
        f"scenario {scenario.id}",
        "cities",
        f"has no city '{city}'.",
        hint=f"{hint}cities in this scenario: {', '.join(known)}",
    )


def _household_rows(record: PersonRecord, month: int) -> list[tuple[int, int, int]]:
    """``(status, role, birth_month)`` of the person and each household member, person first."""
    household, settled = record.household, record.household.settled

    def status(is_settled: bool) -> int:
        return SETTLED if is_settled else MIGRANT

    spouse_role, child_roles, parent_roles = SPOUSE, [CHILD], [PARENT]
    person_role = HEAD
    if record.applicant == "parent":
        # The person is a parent of the household head: the first child listed is the head.
        person_role, spouse_role, child_roles = PARENT, PARENT, [HEAD, CHILD]
    elif record.applicant == "child":
        # The person joins a settled parent: the first parent listed is the head, the second its
        # spouse. The person's own spouse is a child-in-law of the head (role CHILD), so that a
        # settled spouse of the child does not count as a settled head or spouse of the household.
        person_role, spouse_role, parent_roles = CHILD, CHILD, [HEAD, SPOUSE, PARENT]
    rows = [(MIGRANT, person_role, record.birth)]
    if household.spouse:
        rows.append((status(settled.spouse), spouse_role, record.birth))
    for index, birth in enumerate(household.children):
        rows.append((status(settled.children), child_roles[min(index, len(child_roles) - 1)], birth))
    for index, birth in enumerate(household.parents):
        rows.append((status(settled.parents), parent_roles[min(index, len(parent_roles) - 1)], birth))
    rows.extend((MIGRANT, CHILD, month - 12 * OTHER_MEMBER_AGE_YEARS) for _ in range(household.others))
    return rows


def _ledgers(histories: list[set[int]], n: int, month: int) -> list[BitLedger]:
    """One ledger per history with the person's months on row 0, closed month by month up to ``month - 1``."""
    ledgers = [BitLedger.empty(n) for _ in histories]
    earliest = min((min(months) for months in histories if months), default=month)
    every_row = np.arange(n)
    for current in range(earliest, month):
        for ledger, months in zip(ledgers, histories, strict=True):
            bit = np.zeros(n, bool)
            bit[0] = current in months
            ledger.advance(every_row, bit)
    return ledgers
