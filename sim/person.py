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
from sim.ledger import BitLedger, Counters, CounterSpec
from sim.months import check_year, month_index, month_label
from sim.population import (
    CHILD,
    CITY_DTYPE,
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
from sim.provinces import PROVINCE_INDEX, PROVINCES
from sim.rules.counters import collect_specs
from sim.rules.history_quantities import points_month
from sim.scenario.loader import problem_from_error
from sim.scenario.schema import Education, Scenario, Skill
from sim.scenario.timeline import resolve_timeline, rules_in_force
from sim.scenario.yamlsource import KeyPath, Origins, format_key_path, origin_of, read_yaml

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

OPEN_END = 1 << 20
"""Last month of a spell still running: later than any month index (see :func:`parse_spell`)."""


def parse_spell(value: object) -> tuple[int, int]:
    """Parse a month range whose end may be left open (``"2018-01.."``: still running) into ``(first, last)``.

    Raises
    ------
    ValueError
        If the value is not a month range.
    """
    text = str(value).strip()
    if text.endswith("..") and text.count("..") == 1:
        return parse_person_month(text[:-2]), OPEN_END
    return parse_month_range(value)


def _permit_spells(value: object) -> object:
    # A single month is the permit held since then (the older form); a list gives spells.
    if isinstance(value, dict):
        return {
            city: [f"{v}.."] if not isinstance(v, list | tuple) and v is not None else v for city, v in value.items()
        }
    return value


Spell = Annotated[tuple[int, int], BeforeValidator(parse_spell)]
PermitSpells = Annotated[dict[str, tuple[Spell, ...]], BeforeValidator(_permit_spells)]


# ------------------------------------------------------------------------------------------ schema


class PersonModel(BaseModel):
    """Base of the person-file models: unknown keys are errors, models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EducationRecord(PersonModel):
    """Highest education and when it was completed."""

    level: Education
    enrolled: PersonMonth | None = Field(
        default=None, description="First month of study for the degree (study period); absent if not known."
    )
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


def _spell_text(value: object, keys: tuple[str, ...]) -> object:
    # "2015-07 own_home chaoyang" is the one-line form of {from: 2015-07, tenure: own_home, district: chaoyang}.
    if isinstance(value, str):
        parts = value.split()
        if not 1 <= len(parts) <= len(keys):
            raise ValueError(f"expected '{' '.join(k.upper() for k in keys)}', got {shorten(value)}")
        return dict(zip(keys, parts, strict=False))
    return value


class HousingSpell(PersonModel):
    """From a month on (until the next spell), the person lived in a rented or an owned home, in a district."""

    start: PersonMonth = Field(alias="from")
    tenure: Literal["rent", "own_home"]
    district: str | None = Field(default=None, description="One of the city's districts in the scenario.")

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True)


class WorkSpell(PersonModel):
    """From a month on (until the next spell), the person worked in a district."""

    start: PersonMonth = Field(alias="from")
    district: str

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True)


HousingSpells = tuple[
    Annotated[HousingSpell, BeforeValidator(lambda v: _spell_text(v, ("from", "tenure", "district")))], ...
]
WorkSpells = tuple[Annotated[WorkSpell, BeforeValidator(lambda v: _spell_text(v, ("from", "district")))], ...]


class Housing(PersonModel):
    """The dwelling in the checked city (shared by the household), and where the person lived before."""

    tenure: Literal["rent", "own_home"] | None = Field(
        default=None, description="Default: the last spell's, else rent."
    )
    spells: HousingSpells = Field(
        default=(), max_length=100, description="Homes in the checked city, each from a month on, oldest first."
    )
    community_since: PersonMonth | None = Field(
        default=None, description="Living in the current community since; default: arrival in the city."
    )
    floor_area_m2: float | None = Field(default=None, gt=0, le=10_000, description="The dwelling's floor area.")
    owns_commercial_property: bool = Field(default=False, description="Owns commercial or office property (商业用房).")

    @property
    def current_tenure(self) -> str:
        """The tenure now: ``tenure``, else the last spell's, else rent."""
        if self.tenure is not None:
            return self.tenure
        return self.spells[-1].tenure if self.spells else "rent"


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
    back_paid_excused: CityRanges = Field(
        default_factory=dict,
        description="Months back-paid after a lapse the bank or the social-insurance agency caused: "
        "paid, and not counted against a rule's back_paid_max.",
    )
    tax: CityRanges = Field(default_factory=dict)
    income_tax: dict[int, float] = Field(
        default_factory=dict, description="Individual income tax paid per calendar year, yuan."
    )
    employment: CityRanges | None = Field(default=None, description="Default: the social-insurance months.")
    residence_permit: PermitSpells = Field(
        default_factory=dict, description="Per city: the month the permit was issued, or the spells it was held."
    )
    housing: Housing = Field(default_factory=Housing)
    workplace: WorkSpells = Field(
        default=(), max_length=100, description="Districts worked in, in the checked city, each from a month on."
    )
    attributes: dict[str, float] = Field(default_factory=dict, description="The scenario's person attributes.")
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
        """Social-insurance months paid in ``city``, back-paid months (excused or not) included."""
        return (
            _months(self.social_insurance.get(city, ()))
            | _months(self.back_paid.get(city, ()))
            | _months(self.back_paid_excused.get(city, ()))
        )

    def permit_months(self, city: str, month: int) -> set[int]:
        """Months before ``month`` in which the person held ``city``'s residence permit."""
        return {m for first, last in self.residence_permit.get(city, ()) for m in range(first, min(last + 1, month))}

    def permit_since(self, city: str, month: int) -> int:
        """First month of the permit spell held in ``month`` (or ending the month before); NO_MONTH if none."""
        for first, last in self.residence_permit.get(city, ()):
            if first <= month and last >= month - 1:
                return first
        return NO_MONTH

    def tenure_months(self, city: str, month: int) -> tuple[set[int], set[int]]:
        """Months before ``month`` lived in ``city`` in an owned home, and in a rented one.

        Spells give the tenure from their month on; without spells the current tenure holds from
        ``community_since`` (default: arrival). Months in the city before the first spell (or
        before ``community_since``) count as rented.
        """
        arrival = self.arrived[city]
        spells = [(s.start, s.tenure) for s in self.housing.spells]
        if not spells:
            spells = [(self.housing.community_since or arrival, self.housing.current_tenure)]
        owned, rented = set(), set(range(arrival, max(arrival, min(spells[0][0], month))))
        for index, (first, tenure) in enumerate(spells):
            end = spells[index + 1][0] if index + 1 < len(spells) else month
            months = set(range(max(first, arrival), min(end, month)))
            (owned if tenure == "own_home" else rented).update(months)
        return owned, rented

    def district_months(self, month: int) -> tuple[dict[int, str], dict[int, str]]:
        """Per month before ``month`` of the checked city: the home district and the work district known then."""
        homes = [(s.start, s.district) for s in self.housing.spells if s.district is not None]
        works = [(s.start, s.district) for s in self.workplace]
        return _by_month(homes, month), _by_month(works, month)

    def back_paid_months(self) -> set[int]:
        """Months back-paid in any city and paid on time in none (paid on time somewhere is no back-payment).

        Months back-paid after a lapse the bank or agency caused (``back_paid_excused``) are not
        among them: no rule counts them against its back-payment cap.
        """
        back = set().union(*(_months(ranges) for ranges in self.back_paid.values()))
        on_time = set().union(*(_months(ranges) for ranges in self.social_insurance.values()))
        return back - on_time

    def employed_months(self, city: str) -> set[int]:
        """Months employed in ``city`` (by default the months with social insurance listed)."""
        source = self.social_insurance if self.employment is None else self.employment
        return _months(source.get(city, ()))


def _months(ranges: Iterable[tuple[int, int]]) -> set[int]:
    return {m for first, last in ranges for m in range(first, last + 1)}


def _by_month(spells: list[tuple[int, str]], month: int) -> dict[int, str]:
    """Month → value of the spells (each from its month until the next), before ``month``."""
    out: dict[int, str] = {}
    for index, (first, value) in enumerate(spells):
        end = spells[index + 1][0] if index + 1 < len(spells) else month
        out.update(dict.fromkeys(range(first, min(end, month)), value))
    return out


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
    problems = _cross_checks(record) + _order_checks(record) + _history_checks(record)
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
        both = _months(record.social_insurance.get(city, ())) & _months(record.back_paid[city])
        if both:
            problems.append(
                record.problem(
                    ("back_paid", city),
                    f"lists {_month_list(both)} as back-paid, but social_insurance.{city} lists "
                    f"{'it' if len(both) == 1 else 'them'} as paid: a month is either paid on time or back-paid.",
                    f"remove {'it' if len(both) == 1 else 'them'} from social_insurance.{city} if back-paid "
                    f"(补缴), or from back_paid.{city} if paid on time",
                )
            )
    return problems


MAX_INCOME_TAX_CNY = 1e10
"""Largest yearly income tax a person file may give (far above any person's)."""


def _history_checks(record: PersonRecord) -> list[Problem]:
    """The study period, spells, excused back-payments and income tax: each consistent in itself."""
    problems: list[Problem] = []
    education = record.education
    if education.enrolled is not None:
        if education.graduated is None:
            problems.append(
                record.problem(
                    ("education", "enrolled"),
                    "gives an enrolment but no graduation: a study period runs from enrolment to graduation.",
                    "add education.graduated, or remove education.enrolled",
                )
            )
        elif education.enrolled >= education.graduated:
            problems.append(
                record.problem(
                    ("education", "enrolled"),
                    f"expected an enrolment before graduation ({month_label(education.graduated)}), "
                    f"found {month_label(education.enrolled)}.",
                )
            )
        if education.enrolled < record.birth:
            problems.append(
                record.problem(
                    ("education", "enrolled"), f"enrolment {month_label(education.enrolled)} is before birth."
                )
            )
    for key, spells in ((("housing", "spells"), record.housing.spells), (("workplace",), record.workplace)):
        starts = [spell.start for spell in spells]
        for index in range(1, len(starts)):
            if starts[index] <= starts[index - 1]:
                problems.append(
                    record.problem(
                        (*key, index, "from"),
                        f"expected a month after the spell before ({month_label(starts[index - 1])}), "
                        f"found {month_label(starts[index])}.",
                        "list spells oldest first, each from the month it began",
                    )
                )
    housing = record.housing
    if housing.spells and housing.tenure is not None and housing.tenure != housing.spells[-1].tenure:
        problems.append(
            record.problem(
                ("housing", "tenure"),
                f"is '{housing.tenure}', but the last of housing.spells says '{housing.spells[-1].tenure}'.",
                "the last spell is the current home: leave housing.tenure out or make them agree",
            )
        )
    for city, spells in record.residence_permit.items():
        for index in range(1, len(spells)):
            if spells[index][0] <= spells[index - 1][1]:
                problems.append(
                    record.problem(
                        ("residence_permit", city, index),
                        "starts before the spell listed before it ends: list permit spells oldest first, apart.",
                    )
                )
    for city, ranges in record.back_paid_excused.items():
        if city not in record.arrived:
            problems.append(
                record.problem(
                    ("back_paid_excused", city), f"city '{city}' has no arrival month.", f"add arrived.{city}"
                )
            )
        excused = _months(ranges)
        for other in ("social_insurance", "back_paid"):
            both = excused & _months(getattr(record, other).get(city, ()))
            if both:
                problems.append(
                    record.problem(
                        ("back_paid_excused", city),
                        f"lists {_month_list(both)}, which {other}.{city} lists too: a month is paid on time, "
                        "back-paid, or back-paid after a lapse the bank or agency caused, once.",
                        f"remove {'it' if len(both) == 1 else 'them'} from one of the two",
                    )
                )
    for year, amount in record.income_tax.items():
        if not 1900 <= year <= 2200:
            problems.append(record.problem(("income_tax", year), f"expected a calendar year, found {year}."))
        if not 0 <= amount <= MAX_INCOME_TAX_CNY:
            problems.append(
                record.problem(
                    ("income_tax", year), f"expected yuan in [0, {MAX_INCOME_TAX_CNY:.0e}], found {amount:g}."
                )
            )
    return problems


def scenario_problems(record: PersonRecord, scenario: Scenario, city: str) -> list[Problem]:
    """What ``record`` says that ``scenario`` does not know: districts of ``city`` and person attributes."""
    problems: list[Problem] = []
    districts = list(scenario.cities[city].districts) if city in scenario.cities else []
    named = [(("housing", "spells", i, "district"), s.district) for i, s in enumerate(record.housing.spells)]
    named += [(("workplace", i, "district"), s.district) for i, s in enumerate(record.workplace)]
    for path, district in named:
        if district is not None and district not in districts:
            close = difflib.get_close_matches(district, districts, n=1)
            known = f"districts of '{city}': {', '.join(districts)}" if districts else f"'{city}' declares no districts"
            problems.append(
                record.problem(
                    path,
                    f"names district '{district}', which the scenario does not declare for '{city}'.",
                    (f"did you mean '{close[0]}'? " if close else "") + known,
                )
            )
    for name in record.attributes:
        if name not in scenario.attributes:
            declared = ", ".join(scenario.attributes) or "none"
            problems.append(
                record.problem(
                    ("attributes", name),
                    f"is not a person attribute of scenario {scenario.id} (declared: {declared}).",
                    "attributes are declared under the scenario's 'attributes'",
                )
            )
        else:
            spec = scenario.attributes[name]
            value = record.attributes[name]
            if not spec.minimum <= value <= spec.maximum:
                problems.append(
                    record.problem(
                        ("attributes", name),
                        f"expected {spec.unit} in [{spec.minimum:g}, {spec.maximum:g}], found {value:g}.",
                    )
                )
    return problems


def _month_list(months: set[int]) -> str:
    """Months as ranges, e.g. '2018-01..2018-03, 2019-07'."""
    ordered = sorted(months)
    ranges: list[list[int]] = []
    for month in ordered:
        if ranges and month == ranges[-1][1] + 1:
            ranges[-1][1] = month
        else:
            ranges.append([month, month])
    return ", ".join(
        month_label(first) if first == last else f"{month_label(first)}..{month_label(last)}" for first, last in ranges
    )


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
    if city not in scenario.cities:
        raise ScenarioError([unknown_city_problem(scenario, city)])
    problems = arrival_problems(record, city, month) or scenario_problems(record, scenario, city)
    if problems:
        raise PersonFileError(problems)
    pop, _ = persons_population([record], scenario, city, month)
    return pop, 0


def check_problems(record: PersonRecord, city: str, month: int, scenario: Scenario | None = None) -> list[Problem]:
    """Everything in ``record`` that stops a check in ``city`` in ``month``.

    Its arrival, then what contradicts the application, and what ``scenario`` (when given) does
    not declare (districts, attributes).
    """
    problems = arrival_problems(record, city, month)
    if problems:
        return problems
    problems = application_problems(record, city, record.arrived[city], month)
    if scenario is None:
        return problems
    return problems + scenario_problems(record, scenario, city) + reference_problems(record, scenario, city, month)


def reference_problems(record: PersonRecord, scenario: Scenario, city: str, month: int) -> list[Problem]:
    """An arrival after the date the points scheme in force in ``month`` counts to: such a person cannot be scored."""
    period = rules_in_force(resolve_timeline(scenario.cities[city].rules), month) if city in scenario.cities else None
    channel = period.rules.channels.points if period is not None else None
    if channel is None:
        return []
    counted_to = points_month(channel, month)
    arrival = record.arrived[city]
    if arrival < counted_to:
        return []
    return [
        record.problem(
            ("arrived", city),
            f"arrival {month_label(arrival)} is after the date the points scheme counts to "
            f"({month_label(counted_to - 1)}, reference_date {channel.reference_date}): nothing of this city's "
            "history would be scored.",
            "check the arrival month, or check a later --date",
        )
    ]


def arrival_problems(record: PersonRecord, city: str, month: int) -> list[Problem]:
    """Why ``record`` cannot be checked in ``city`` in ``month``: no arrival there, or none before it."""
    arrival = record.arrived.get(city)
    if arrival is None:
        return [
            record.problem(
                ("arrived",),
                f"gives no arrival month in '{city}' (cities given: {', '.join(record.arrived)}).",
                f"add arrived: {{{city}: YYYY-MM}}",
            )
        ]
    if arrival >= month:
        return [
            record.problem(
                ("arrived", city),
                f"arrival {month_label(arrival)} is not before the month of application {month_label(month)}.",
                "check the arrival month or choose a later --date",
            )
        ]
    return []


def persons_population(
    records: list[PersonRecord], scenario: Scenario, city: str, month: int
) -> tuple[Population, np.ndarray]:
    """Every person's household as one population, histories closed up to ``month`` (exclusive).

    Household ``i`` is person ``i``'s, its rows laid out as :func:`person_population` describes
    (the person first, then their relatives). One person's check and many persons' checks build
    their populations here, so they cannot differ.

    Parameters
    ----------
    records : list of PersonRecord
        Validated persons, each with an arrival in ``city`` before ``month``.
    scenario : Scenario
    city : str
        Id of the city where the persons apply.
    month : int
        Month index of the application.

    Returns
    -------
    population, rows
        The population and each person's row in it.
    """
    households = [_household_rows(record, month) for record in records]
    sizes = np.array([len(rows) for rows in households], np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    n = int(sizes.sum())
    flat = [row for rows in households for row in rows]
    arrival = np.array([record.arrived[city] for record in records], MONTH_DTYPE)
    community = np.array([record.housing.community_since or record.arrived[city] for record in records], MONTH_DTYPE)

    def per_household(values: list | np.ndarray, dtype: type) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype), sizes)

    def person_only(values: list, default: object, dtype: type) -> np.ndarray:
        column = np.full(n, default, dtype)
        column[starts] = np.asarray(values, dtype)
        return column

    paid = [record.paid_months(city) for record in records]
    employed = [record.employed_months(city) for record in records]
    permits = [record.permit_since(city, month) for record in records]
    int16_max = int(np.iinfo(np.int16).max)
    pop = Population(
        status=np.array([status for status, _, _ in flat], np.int8),
        city=np.full(n, list(scenario.cities).index(city), CITY_DTYPE),
        household=np.repeat(np.arange(len(records), dtype=np.int32), sizes),
        role=np.array([role for _, role, _ in flat], np.int8),
        birth_month=np.array([birth for _, _, birth in flat], MONTH_DTYPE),
        is_male=person_only([r.sex == "male" for r in records], False, bool),
        education=person_only([EDUCATION_INDEX[r.education.level] for r in records], 0, np.int8),
        skill=person_only([SKILL_INDEX[r.skill] for r in records], 0, np.int8),
        graduated_month=person_only(
            [NO_MONTH if r.education.graduated is None else r.education.graduated for r in records],
            NO_MONTH,
            MONTH_DTYPE,
        ),
        is_rural=person_only([r.origin.hukou == "rural" for r in records], False, bool),
        has_land=person_only([r.origin.has_land for r in records], False, bool),
        origin_province=person_only([PROVINCE_INDEX[r.origin.province] for r in records], 0, np.int8),
        employment=person_only(
            [
                FORMAL if month - 1 in paid_i else INFORMAL if month - 1 in employed_i else UNEMPLOYED
                for paid_i, employed_i in zip(paid, employed, strict=True)
            ],
            UNEMPLOYED,
            np.int8,
        ),
        has_business=person_only([bool(r.tax.get(city)) for r in records], False, bool),
        arrival_month=per_household(arrival, MONTH_DTYPE),
        city_since=per_household(arrival, MONTH_DTYPE),
        permit_month=person_only(
            [p if p != NO_MONTH and p <= month else NO_MONTH for p in permits], NO_MONTH, MONTH_DTYPE
        ),
        community_since=per_household(community, MONTH_DTYPE),
        tenure=per_household([RENT if r.housing.current_tenure == "rent" else OWN for r in records], np.int8),
        owns_commercial=per_household([r.housing.owns_commercial_property for r in records], bool),
        floor_area_m2=per_household([r.housing.floor_area_m2 or 0.0 for r in records], np.float32),
        honours=person_only([r.honours for r in records], 0, np.int8),
        sanctions=person_only([r.sanctions for r in records], 0, np.int8),
        shortage_industry=person_only([r.shortage_industry for r in records], False, bool),
        employed_months=person_only(
            [min(sum(1 for m in months if m < month), int16_max) for months in employed], 0, np.int16
        ),
        **_ledgers(records, scenario, city, month, starts, n),
        counters=_counters(records, scenario, city, month, n, starts),
        enrolled_month=person_only(
            [NO_MONTH if r.education.enrolled is None else r.education.enrolled for r in records],
            NO_MONTH,
            MONTH_DTYPE,
        ),
        home_district=person_only([_district_now(r, scenario, city, month, home=True) for r in records], -1, np.int8),
        work_district=person_only([_district_now(r, scenario, city, month, home=False) for r in records], -1, np.int8),
        income_tax_cny=_income_tax(records, scenario, month, n, starts),
        attributes=_attributes(records, scenario, n, starts),
        attribute_names=tuple(scenario.attributes),
    )
    return pop, starts


def _district_now(record: PersonRecord, scenario: Scenario, city: str, month: int, *, home: bool) -> int:
    """Index of the district (of ``city``) the person lived or worked in the month before ``month``; -1 if none."""
    by_month = record.district_months(month)[0 if home else 1]
    district = by_month.get(month - 1)
    names = list(scenario.cities[city].districts)
    return names.index(district) if district in names else -1


def _income_tax(records: list[PersonRecord], scenario: Scenario, month: int, n: int, rows: np.ndarray) -> np.ndarray:
    """Income tax of the closed years before ``month`` (column j: year j + 1 before ``month``'s), per person row.

    The last column, the amount of a full year of formal work, is 0: a person file describes the
    past, and a check closes no further year.
    """
    if scenario.income_tax is None:
        return np.zeros((n, 0), np.float32)
    years = scenario.income_tax.years
    tax = np.zeros((n, years + 1), np.float32)
    this_year = month // 12
    for record, row in zip(records, rows, strict=True):
        for year, amount in record.income_tax.items():
            back = this_year - 1 - year
            if 0 <= back < years:
                tax[row, back] = amount
    return tax


def _attributes(records: list[PersonRecord], scenario: Scenario, n: int, rows: np.ndarray) -> np.ndarray:
    """The scenario's person attributes, in its order, on each person's row (0 where the file gives none)."""
    values = np.zeros((n, len(scenario.attributes)), np.float32)
    for column, name in enumerate(scenario.attributes):
        values[rows, column] = [r.attributes.get(name, 0.0) for r in records]
    return values


def _ledgers(
    records: list[PersonRecord], scenario: Scenario, city: str, month: int, rows: np.ndarray, n: int
) -> dict[str, object]:
    """The persons' ledgers, closed month by month for all of them at once, as the model closes them."""
    regions = [
        [set().union(*(r.paid_months(member) for member in members)) for r in records]
        for members in scenario.regions.values()
    ]
    histories: list[list[set[int]]] = [
        [r.paid_months(city) for r in records],
        [r.back_paid_months() for r in records],
        [_months(r.tax.get(city, ())) for r in records],
        *regions,
    ]
    earliest = min((min(months) for history in histories for months in history if months), default=month)
    span = max(month - earliest, 0)
    bits = np.zeros((len(histories), span, len(records)), bool)
    for kind, history in enumerate(histories):
        for person, months in enumerate(history):
            # Months from the application on are in the file but not yet in the history.
            offsets = [m - earliest for m in months if earliest <= m < month]
            bits[kind, offsets, person] = True
    ledgers = [BitLedger.empty(n) for _ in histories]
    for offset in range(span):
        for ledger, kind_bits in zip(ledgers, bits, strict=True):
            ledger.advance(rows, kind_bits[offset])
    social_insurance, back_paid, tax, *region_paid = ledgers
    return {"social_insurance": social_insurance, "back_paid": back_paid, "tax": tax, "region_paid": region_paid}


def _counters(
    records: list[PersonRecord], scenario: Scenario, city: str, month: int, n: int, rows: np.ndarray
) -> Counters:
    """The exact counts the scenario's rules read, on each person's row, from their full month lists."""
    specs = collect_specs(scenario)
    counters = Counters.empty(n, specs)
    for record, row in zip(records, rows, strict=True):
        counters.values[row] = person_counts(record, scenario, city, month, specs)
    return counters


def person_counts(
    record: PersonRecord, scenario: Scenario, city: str, month: int, specs: tuple[CounterSpec, ...]
) -> list[int]:
    """The person's count of each of ``specs`` before ``month`` in ``city``, from their full month lists."""
    region_months = [
        set().union(*(record.paid_months(member) for member in members)) for members in scenario.regions.values()
    ]
    return [
        _count(spec, history_months(record, spec, scenario, city, month, region_months), record.education, month)
        for spec in specs
    ]


def history_months(
    record: PersonRecord, spec: CounterSpec, scenario: Scenario, city: str, month: int, region_months: list[set[int]]
) -> set[int]:
    """The months before ``month`` of the history ``spec`` counts, from the person's file (any date, any study)."""
    kind = spec.kind
    if kind == "social_insurance":
        months = record.paid_months(city) if spec.city else set()
        for region in spec.regions:
            months |= region_months[region]
        return months
    if not spec.city:
        return set()
    arrival = record.arrived[city]
    if kind == "tax":
        return _months(record.tax.get(city, ()))
    if kind == "resided":
        return set(range(arrival, month))
    if kind in ("owned", "rented"):
        owned, rented = record.tenure_months(city, month)
        return owned if kind == "owned" else rented
    if kind == "permit":
        return record.permit_months(city, month)
    if kind == "social_insurance_with_permit":
        return record.paid_months(city) & record.permit_months(city, month)
    if kind in ("home_in_group", "work_in_group"):
        districts = scenario.cities[city].districts
        home, work = record.district_months(month)
        by_month = home if kind == "home_in_group" else work
        months = {m for m, name in by_month.items() if name in districts and districts[name].group == spec.group}
        if kind == "work_in_group":
            months &= record.employed_months(city)
        return {m for m in months if m >= arrival}
    raise ValueError(f"no person-file history for counter kind {kind!r}")


def _count(spec: CounterSpec, months: set[int], education: EducationRecord, month: int) -> int:
    """The count ``spec`` of ``months`` before ``month``: from its date on, in the study period if it says so."""
    first = spec.counted_from if spec.counted_from is not None else min(months, default=month)
    last = month
    if spec.study:
        graduated = NO_MONTH if education.graduated is None else education.graduated
        last = min(month, graduated)
        if education.enrolled is not None:
            first = max(first, education.enrolled)
    return sum(1 for m in months if first <= m < last)


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
