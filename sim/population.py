"""The population: one row per person, as a structure of numpy arrays.

Rows are *slots*: a person keeps their row for life, and arrivals take pre-allocated rows
in an order that does not depend on the rules in force (common random numbers). A household's
rows are consecutive and households are numbered in row order, so the compiled phases can split
the rows between two threads at a household boundary. Household aggregates are computed by
group reductions over ``household``, never stored as objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from sim.ledger import BitLedger, Counters
from sim.scenario.schema import EDUCATION_LEVELS, SKILL_LEVELS, TENURES

NO_MONTH = -1
"""Month value meaning "never" (no permit, not graduated, not settled...)."""
MONTH_DTYPE = np.int16
CITY_DTYPE = np.int16
"""Index into the scenario's cities (``city_t`` in ``sim/_loops.pyx``): up to 32,767 cities."""
"""Storage type of month-valued fields: month indices (``year * 12 + month - 1``) stay below
32,767 until the year 2730, and two bytes per field instead of four keep the population small."""

# status
INACTIVE, MIGRANT, SETTLED, LEFT = 0, 1, 2, 3
ABSENT = 4
"""Status of a row that another part of a run split by city holds (:mod:`sim.split`): every phase passes it over."""
# role in household
HEAD, SPOUSE, CHILD, PARENT = 0, 1, 2, 3
# employment
UNEMPLOYED, INFORMAL, FORMAL = 0, 1, 2
# tenure, coded by position in the schema's list
RENT, OWN = TENURES.index("rent"), TENURES.index("own_home")
NO_CHANNEL = -1

EDUCATION_INDEX = {name: i for i, name in enumerate(EDUCATION_LEVELS)}
SKILL_INDEX = {name: i for i, name in enumerate(SKILL_LEVELS)}
COLLEGE = EDUCATION_INDEX["college"]
MINOR_AGE = 18


@dataclass
class Population:
    """Every person of a run as rows of equal-length arrays.

    Month-valued fields are month indices (:func:`sim.months.month_index`) or
    :data:`NO_MONTH`; areas are m²; ``weight`` is not stored: every row stands for the run's
    scale factor of real persons.
    """

    status: np.ndarray  # int8, INACTIVE / MIGRANT / SETTLED / LEFT (ABSENT: held by another part of a split run)
    city: np.ndarray  # CITY_DTYPE, index into the scenario's cities
    household: np.ndarray  # int32
    role: np.ndarray  # int8, HEAD / SPOUSE / CHILD / PARENT
    birth_month: np.ndarray  # int16 (MONTH_DTYPE)
    is_male: np.ndarray  # bool
    education: np.ndarray  # int8, index into EDUCATION_LEVELS
    skill: np.ndarray  # int8, index into SKILL_LEVELS
    graduated_month: np.ndarray  # int16 (MONTH_DTYPE)
    is_rural: np.ndarray  # bool
    has_land: np.ndarray  # bool
    origin_province: np.ndarray  # int8
    employment: np.ndarray  # int8, UNEMPLOYED / INFORMAL / FORMAL
    has_business: np.ndarray  # bool, pays business tax while working
    arrival_month: np.ndarray  # int16 (MONTH_DTYPE), entry into the population (slot activation)
    city_since: np.ndarray  # int16 (MONTH_DTYPE), arrival in the current city
    permit_month: np.ndarray  # int16 (MONTH_DTYPE), residence permit held since
    community_since: np.ndarray  # int16 (MONTH_DTYPE)
    tenure: np.ndarray  # int8, RENT / OWN
    owns_commercial: np.ndarray  # bool
    floor_area_m2: np.ndarray  # float32, the household's dwelling (same on every member)
    honours: np.ndarray  # int8
    sanctions: np.ndarray  # int8
    shortage_industry: np.ndarray  # bool
    employed_months: np.ndarray  # int16, months employed in the current city
    social_insurance: BitLedger  # paid in the current city (back-paid months included)
    back_paid: BitLedger  # months back-paid in any city (kept on a move, as the regions' histories are)
    tax: BitLedger  # business tax paid in the current city
    region_paid: list[BitLedger] = field(default_factory=list)  # paid anywhere in region r
    counters: Counters = field(default_factory=lambda: Counters.empty(0))  # exact counts over any span
    applied_month: np.ndarray = field(default_factory=lambda: np.zeros(0, MONTH_DTYPE))
    applied_channel: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    decision_month: np.ndarray = field(default_factory=lambda: np.zeros(0, MONTH_DTYPE))
    settled_month: np.ndarray = field(default_factory=lambda: np.zeros(0, MONTH_DTYPE))
    settled_channel: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    is_dependant: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    left_month: np.ndarray = field(default_factory=lambda: np.zeros(0, MONTH_DTYPE))
    enrolled_month: np.ndarray = field(default_factory=lambda: np.zeros(0, MONTH_DTYPE))
    """Start of the study period that ended at ``graduated_month`` (NO_MONTH: not known)."""
    home_district: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    """Index into the city's districts (``sim.districts.NO_DISTRICT``: not known)."""
    work_district: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    income_tax_cny: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    """Individual income tax, shape (persons, years + 1), or (persons, 0) when the scenario declares none:
    column j < years is the calendar year j + 1 before the current one; the last column is the amount
    a full year of formal work pays (see :func:`sim.histories.close_tax_year`)."""
    attributes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    """The scenario's person attributes (``Scenario.attributes``, in order), shape (persons, attributes)."""
    attribute_names: tuple[str, ...] = ()
    """The names of ``attributes``' columns."""

    def __post_init__(self) -> None:
        n = len(self.status)
        if not self.counters.specs and len(self.counters.values) != n:
            self.counters = Counters.empty(n)
        for name, default, dtype in (
            ("applied_month", NO_MONTH, MONTH_DTYPE),
            ("applied_channel", NO_CHANNEL, np.int8),
            ("decision_month", NO_MONTH, MONTH_DTYPE),
            ("settled_month", NO_MONTH, MONTH_DTYPE),
            ("settled_channel", NO_CHANNEL, np.int8),
            ("is_dependant", False, bool),
            ("left_month", NO_MONTH, MONTH_DTYPE),
            ("enrolled_month", NO_MONTH, MONTH_DTYPE),
            ("home_district", -1, np.int8),
            ("work_district", -1, np.int8),
        ):
            if len(getattr(self, name)) != n:
                setattr(self, name, np.full(n, default, dtype))
        for name in ("income_tax_cny", "attributes"):
            if len(getattr(self, name)) != n:
                setattr(self, name, np.zeros((n, getattr(self, name).shape[1]), np.float32))
        for f in fields(self):
            value = getattr(self, f.name)
            arrays = _arrays(value)
            if any(len(a) != n for a in arrays):
                raise ValueError(f"Population.{f.name} has a length other than {n}")

    @property
    def size(self) -> int:
        """Number of rows (slots), active or not."""
        return len(self.status)

    def age_years(self, month: int) -> np.ndarray:
        """Completed years of age in ``month``, as ``int16``."""
        return ((month - self.birth_month) // 12).astype(np.int16)

    def months_in_city(self, month: int) -> np.ndarray:
        """Months lived in the current city before ``month``."""
        return np.maximum(month - self.city_since, 0).astype(np.int16)

    def nbytes(self) -> int:
        """Memory held by the population's arrays, in bytes."""
        # The regions' arrays may be shared between regions (see sim.regions): each counts once.
        arrays = {id(a): a for f in fields(self) for a in _arrays(getattr(self, f.name))}
        return sum(a.nbytes for a in arrays.values())

    def prefix(self, n: int) -> Population:
        """The first ``n`` rows as views: writes go through to this population."""
        values: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, BitLedger):
                values[f.name] = BitLedger(value.lo[:n], value.hi[:n], value.lifetime[:n])
            elif isinstance(value, list):
                values[f.name] = [BitLedger(v.lo[:n], v.hi[:n], v.lifetime[:n]) for v in value]
            elif isinstance(value, Counters):
                values[f.name] = Counters(value.specs, value.values[:n])
            elif isinstance(value, tuple):
                values[f.name] = value
            else:
                values[f.name] = value[:n]
        return Population(**values)  # type: ignore[arg-type]

    def take(self, rows: np.ndarray) -> Population:
        """A copy of ``rows``, every field (what a person's row carries to another part of a split run)."""
        values: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, BitLedger):
                values[f.name] = value.take(rows)
            elif isinstance(value, list):
                values[f.name] = [ledger.take(rows) for ledger in value]
            elif isinstance(value, Counters):
                values[f.name] = value.take(rows)
            elif isinstance(value, tuple):
                values[f.name] = value
            else:
                values[f.name] = value[rows]
        return Population(**values)  # type: ignore[arg-type]

    def put(self, rows: np.ndarray, part: Population) -> None:
        """Write ``part`` (rows taken with :meth:`take`, in the order of ``rows``) into ``rows``."""
        for f in fields(self):
            for mine, theirs in zip(_arrays(getattr(self, f.name)), _arrays(getattr(part, f.name)), strict=True):
                mine[rows] = theirs


def _arrays(value: object) -> list[np.ndarray]:
    if isinstance(value, BitLedger):
        return [value.lo, value.hi, value.lifetime]
    if isinstance(value, list):
        return [a for ledger in value for a in _arrays(ledger)]
    if isinstance(value, Counters):
        return [value.values]
    if isinstance(value, tuple):
        return []  # names, not rows
    return [value]  # type: ignore[list-item]


def household_any(household: np.ndarray, flags: np.ndarray, n_households: int) -> np.ndarray:
    """Whether any member of each household has ``flags`` set."""
    out = np.zeros(n_households, bool)
    out[household[flags]] = True
    return out
