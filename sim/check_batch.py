"""``sim check --persons``: score thousands of persons in one pass, one row per person.

All persons (each with the relatives their file lists) become one population, their histories
closed month by month for all of them at once, and the rules in force are evaluated over it
once, with the same functions ``sim check`` uses for one person (:mod:`sim.explain`) and the
same treatment of ``prospective`` and ``grandfather`` transitions. The table has, per person,
every channel's verdict (0/1) with a short reason — the route that admits, or for each route the
first condition that fails, as ``route:condition`` — and every points item, the total and
whether it reaches the threshold.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.atomic import atomic_write_text
from sim.errors import PersonFileError, Problem, ScenarioError
from sim.ledger import BitLedger
from sim.months import month_label, parse_month
from sim.person import PersonRecord, _household_rows, unknown_city_problem
from sim.person_sources import PersonEntry, PersonSource, read_persons
from sim.population import (
    EDUCATION_INDEX,
    FORMAL,
    INFORMAL,
    MONTH_DTYPE,
    NO_MONTH,
    OWN,
    RENT,
    SKILL_INDEX,
    UNEMPLOYED,
    Population,
)
from sim.provinces import PROVINCE_INDEX
from sim.rules.channels import channel_eligible, evaluate_route
from sim.rules.context import RuleContext
from sim.rules.points import score
from sim.scenario import load_scenario, resolve_timeline, rules_in_force
from sim.scenario.schema import CHANNELS, Channel, Conditions, PointsChannel, RuleSet, Scenario
from sim.scenario.timeline import RulePeriod, count_from_start
from sim.synthesis import region_index

ELIGIBLE_BY_GRANDFATHER = "grandfathered"
NOT_IN_FORCE = "not_in_force"
BELOW_THRESHOLD = "below_threshold"
ITEM_PREFIX = "item."
"""Points items are columns ``item.<name>``, so that no name a scenario gives an item clashes with another column."""
POINTS_DECIMALS = 4
"""Points are reported rounded as ``sim check`` reports them (and the threshold compared after rounding)."""


# ------------------------------------------------------------------------------------- population


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


def batch_population(
    records: list[PersonRecord], scenario: Scenario, city: str, month: int
) -> tuple[Population, np.ndarray]:
    """Every person's household as one population, histories closed up to ``month`` (exclusive).

    Row for row, each household is what :func:`sim.person.person_population` builds for the
    person alone (the person first, then their relatives); household ``i`` is person ``i``'s.

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
    permits = [record.residence_permit.get(city, NO_MONTH) for record in records]
    int16_max = int(np.iinfo(np.int16).max)
    pop = Population(
        status=np.array([status for status, _, _ in flat], np.int8),
        city=np.full(n, list(scenario.cities).index(city), np.int8),
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
        tenure=per_household([RENT if r.housing.tenure == "rent" else OWN for r in records], np.int8),
        owns_commercial=per_household([r.housing.owns_commercial_property for r in records], bool),
        floor_area_m2=per_household([r.housing.floor_area_m2 or 0.0 for r in records], np.float32),
        honours=person_only([r.honours for r in records], 0, np.int8),
        sanctions=person_only([r.sanctions for r in records], 0, np.int8),
        shortage_industry=person_only([r.shortage_industry for r in records], False, bool),
        employed_months=person_only(
            [min(sum(1 for m in months if m < month), int16_max) for months in employed], 0, np.int16
        ),
        **_ledgers(records, scenario, city, month, starts, n),
    )
    return pop, starts


def _ledgers(
    records: list[PersonRecord], scenario: Scenario, city: str, month: int, rows: np.ndarray, n: int
) -> dict[str, object]:
    """The persons' ledgers, closed month by month for all of them at once, as the model closes them."""
    histories: list[list[list[tuple[int, int]]]] = [
        [[*r.social_insurance.get(city, ()), *r.back_paid.get(city, ())] for r in records],
        [list(r.back_paid.get(city, ())) for r in records],
        [list(r.tax.get(city, ())) for r in records],
    ]
    for members in scenario.regions.values():
        histories.append(
            [
                [
                    span
                    for member in members
                    for key in ("social_insurance", "back_paid")
                    for span in getattr(r, key).get(member, ())
                ]
                for r in records
            ]
        )
    firsts = [first for history in histories for spans in history for first, _ in spans]
    earliest = min(firsts, default=month)
    span = max(month - earliest, 0)
    bits = np.zeros((len(histories), span, len(records)), bool)
    for kind, history in enumerate(histories):
        for person, spans in enumerate(history):
            for first, last in spans:
                # Months from the application on are in the file but not yet in the history.
                bits[kind, first - earliest : min(last, month - 1) - earliest + 1, person] = True
    ledgers = [BitLedger.empty(n) for _ in histories]
    for offset in range(span):
        for ledger, kind_bits in zip(ledgers, bits, strict=True):
            ledger.advance(rows, kind_bits[offset])
    social_insurance, back_paid, tax, *region_paid = ledgers
    return {"social_insurance": social_insurance, "back_paid": back_paid, "tax": tax, "region_paid": region_paid}


# ------------------------------------------------------------------------------------------ check


@dataclass
class BatchResult:
    """The check of many persons: one row per person, in the order they were read.

    Attributes
    ----------
    scenario, city, month, rules_from : str
        What was checked: scenario id, city id, month of application and the rules in force.
    ids : list of str
        Each person's id.
    columns : dict of str to ndarray
        Column name → one value per person (verdicts ``bool``, points ``float64``, reasons ``str``).
    invalid : list of PersonEntry
        Persons left out for their problems (with ``--skip-invalid``).
    """

    scenario: str
    city: str
    month: str
    rules_from: str
    ids: list[str]
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    invalid: list[PersonEntry] = field(default_factory=list)

    def to_csv(self) -> str:
        """The table as CSV: verdicts 0/1, points as numbers; invalid persons last, with their problems."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        names = list(self.columns)
        with_problems = bool(self.invalid)
        writer.writerow(["id", *names, *(["problems"] if with_problems else [])])
        for index, person_id in enumerate(self.ids):
            row = [person_id, *(_cell(self.columns[name][index]) for name in names)]
            writer.writerow(row + ([""] if with_problems else []))
        for entry in self.invalid:
            writer.writerow([entry.id, *([""] * len(names)), " | ".join(str(p) for p in entry.problems)])
        return buffer.getvalue()

    def format_table(self) -> str:
        """A compact text table: per person the channels it may settle by and its points total."""
        verdicts = [name for name in self.columns if name in CHANNELS]
        lines = [
            f"{len(self.ids)} persons checked in {self.city}, {self.month} "
            f"(scenario {self.scenario}; rules in force from {self.rules_from})"
        ]
        width = max([len("id"), *(len(i) for i in self.ids), *(len(e.id) for e in self.invalid)])
        has_points = "points.total" in self.columns
        head = f"{'id':<{width}}  {'eligible':<40}" + ("  points" if has_points else "")
        lines += ["", head.rstrip()]
        for index, person_id in enumerate(self.ids):
            eligible = [name for name in verdicts if self.columns[name][index]]
            text = f"{person_id:<{width}}  {', '.join(eligible) or '-':<40}"
            if has_points:
                text += f"  {_number(float(self.columns['points.total'][index]))}"
            lines.append(text.rstrip())
        for entry in self.invalid:
            lines.append(f"{entry.id:<{width}}  INVALID: {entry.problems[0]}")
        counts = ", ".join(f"{name} {int(np.sum(self.columns[name]))}" for name in verdicts)
        lines += ["", f"eligible: {counts}" if counts else "no channel in force"]
        if self.invalid:
            lines.append(f"{len(self.invalid)} invalid persons left out")
        return "\n".join(lines)


def _cell(value: object) -> object:
    if isinstance(value, np.bool_ | bool):
        return int(value)
    if isinstance(value, np.floating | float):
        return _number(float(value))
    return value


def _number(value: float) -> str:
    """``value`` to :data:`POINTS_DECIMALS` places without trailing zeros (``30``, ``12.25``, ``-1.5``)."""
    text = f"{value:.{POINTS_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def check_many(scenario: Scenario, city_id: str, month: int, records: list[PersonRecord]) -> dict[str, np.ndarray]:
    """Evaluate every channel in force for many persons at once.

    Parameters
    ----------
    scenario : Scenario
    city_id : str
        The city where the persons would apply.
    month : int
        Month index of the application (histories count up to ``month - 1``).
    records : list of PersonRecord
        Validated persons, each arrived in the city before ``month`` (see :func:`arrival_problems`).

    Returns
    -------
    dict of str to ndarray
        For each channel of the rules in force (and each channel kept by grandfathering) its
        verdict (``bool``) and ``<channel>.why``; for a points scheme ``item.<name>`` per item,
        ``points.total`` and ``points.threshold_met``. Verdicts equal ``sim check``'s
        (:func:`sim.explain.check`) person by person.

    Raises
    ------
    ScenarioError
        If the city is not in the scenario or no rules are in force in ``month``.
    """
    period, periods, rules = _rules(scenario, city_id, month)
    pop, rows = batch_population(records, scenario, city_id, month)
    ctx = RuleContext(pop, month, region_index(scenario), rows=rows)
    kept = _grandfathered(scenario, city_id, periods, period, month, records)
    columns: dict[str, np.ndarray] = {}
    points: dict[str, np.ndarray] = {}
    for index, name in enumerate(CHANNELS):
        channel = getattr(rules.channels, name)
        is_kept = kept == index
        if channel is None or not channel.in_effect:
            if channel is not None or is_kept.any():
                columns[name] = is_kept
                columns[f"{name}.why"] = np.where(is_kept, ELIGIBLE_BY_GRANDFATHER, NOT_IN_FORCE)
            continue
        eligible, why = _channel(channel, ctx, points)
        columns[name] = eligible | is_kept
        columns[f"{name}.why"] = np.where(eligible | ~is_kept, why, ELIGIBLE_BY_GRANDFATHER)
    columns.update(points)
    return columns


def _rules(scenario: Scenario, city_id: str, month: int) -> tuple[RulePeriod, list[RulePeriod], RuleSet]:
    if city_id not in scenario.cities:
        raise ScenarioError([unknown_city_problem(scenario, city_id)])
    periods = resolve_timeline(scenario.cities[city_id].rules)
    period = rules_in_force(periods, month)
    if period is None:
        first = month_label(periods[0].start_month)
        raise ScenarioError(
            [
                Problem(
                    f"scenario {scenario.id}",
                    f"cities.{city_id}.rules",
                    f"no rules are in force in {month_label(month)}: the first rule set governs from {first}.",
                    hint=f"choose --date {first} or later",
                )
            ]
        )
    rules = period.rules
    if rules.transition.mode == "prospective" and period.index > 0:
        rules = count_from_start(rules, period.start_month)
    return period, periods, rules


def _channel(channel: Channel, ctx: RuleContext, points: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A channel's verdict per person and why: the first route that holds, or each route's first failure."""
    routes: dict[str, Conditions] = {k: v for k, v in channel.routes.items() if v is not None}
    if isinstance(channel, PointsChannel) and not routes:
        # As sim check: the model admits any adult to a points scheme without preconditions.
        routes = {"preconditions": Conditions()}
    size = ctx.pop.size
    eligible = np.zeros(size, bool)
    admitted_by = np.full(size, "", object)
    failures = np.full(size, "", object)
    for name, conditions in routes.items():
        result = evaluate_route(name, conditions, ctx)
        codes = np.array([f"{name}:{check.condition}" for check in result.checks], object)
        failed = ~np.stack([check.ok for check in result.checks])
        first_failed = codes[np.argmax(failed, axis=0)]
        admitted_by = np.where(result.ok & ~eligible, name, admitted_by)
        failures = np.where(result.ok, failures, np.where(failures == "", first_failed, failures + " " + first_failed))
        eligible |= result.ok
    why = np.where(eligible, admitted_by, failures)
    if isinstance(channel, PointsChannel):
        total, by_item = score(channel, ctx)
        for item, values in by_item.items():
            points[f"{ITEM_PREFIX}{item}"] = np.round(values, POINTS_DECIMALS)
        total = np.round(total, POINTS_DECIMALS)
        points["points.total"] = total
        threshold = channel.rounds.threshold if channel.rounds else None
        if threshold is not None:
            meets = total >= threshold - 1e-9
            points["points.threshold_met"] = meets
            why = np.where(eligible & ~meets, BELOW_THRESHOLD, why)
            eligible &= meets
    return eligible, why.astype(str)


def _grandfathered(
    scenario: Scenario,
    city_id: str,
    periods: list[RulePeriod],
    period: RulePeriod,
    month: int,
    records: list[PersonRecord],
) -> np.ndarray:
    """Per person, the index of the channel kept from the previous rules, or -1 (as ``sim check`` keeps it)."""
    kept = np.full(len(records), -1, np.int64)
    transition = period.rules.transition
    if transition.mode != "grandfather" or period.index == 0:
        return kept
    if month >= period.start_month + transition.grandfather_months:
        return kept
    before = np.array([r.arrived[city_id] < period.start_month for r in records], bool)
    if not before.any():
        return kept
    chosen = [r for r, is_before in zip(records, before, strict=True) if is_before]
    pop, rows = batch_population(chosen, scenario, city_id, period.start_month)
    ctx = RuleContext(pop, period.start_month, region_index(scenario), rows=rows)
    found = np.full(len(chosen), -1, np.int64)
    for name, channel in periods[period.index - 1].channels():
        if not isinstance(channel, PointsChannel):
            found[(found == -1) & channel_eligible(channel, ctx)] = CHANNELS.index(name)
    kept[before] = found
    return kept


# ------------------------------------------------------------------------------------------ command


def run_check_batch(
    scenario_path: str, city: str, date: str, persons_path: str, out: str | None, skip_invalid: bool
) -> tuple[str, int]:
    """Run ``sim check --persons``: read, validate, check everyone, and write or render the table.

    Parameters
    ----------
    scenario_path : str
        Scenario file or preset id.
    city : str
        City id in the scenario.
    date : str
        Month of application ``YYYY-MM``.
    persons_path : str
        A folder of person files, a ``.jsonl`` or a ``.csv`` file (see :mod:`sim.person_sources`).
    out : str or None
        Write the table as CSV to this file (atomically); None prints a compact table.
    skip_invalid : bool
        Check the valid persons and list the invalid ones with their problems, instead of
        refusing the whole input.

    Returns
    -------
    text, status
        What to print and the exit status (0).

    Raises
    ------
    PersonFileError
        Listing every problem of every invalid person (without ``skip_invalid``); nothing is written.
    ScenarioError
        For an invalid scenario, date or city.
    """
    try:
        month = parse_month(date)
    except ValueError as err:
        raise ScenarioError(
            [Problem("--date", "", f"{err}.", hint="write the month as YYYY-MM, e.g. 2019-10")]
        ) from err
    scenario = load_scenario(scenario_path)
    _rules(scenario, city, month)  # an unknown city or a month before the rules: say so before reading persons
    source = read_persons(persons_path)
    valid, invalid = _split(source, city, month)
    if invalid and not skip_invalid:
        raise PersonFileError(
            [
                *(problem for entry in invalid for problem in entry.problems),
                Problem(
                    source.path,
                    "",
                    f"{len(invalid)} of {len(source.entries)} persons are invalid; nothing was written.",
                    hint="fix them, or pass --skip-invalid to check the others and list these in the output",
                ),
            ]
        )
    records = [entry.record for entry in valid if entry.record is not None]
    columns = check_many(scenario, city, month, records) if records else {}
    period = rules_in_force(resolve_timeline(scenario.cities[city].rules), month)
    result = BatchResult(
        scenario=scenario.id,
        city=city,
        month=month_label(month),
        rules_from=period.rules.effective.isoformat() if period else "",
        ids=[entry.id for entry in valid],
        columns=columns,
        invalid=invalid,
    )
    if out is None:
        return result.format_table(), 0
    written = atomic_write_text(Path(out), result.to_csv())
    summary = f"wrote {written}: {len(valid)} persons checked"
    if invalid:
        summary += f", {len(invalid)} invalid listed with their problems"
    return summary, 0


def _split(source: PersonSource, city: str, month: int) -> tuple[list[PersonEntry], list[PersonEntry]]:
    valid, invalid = [], []
    for entry in source.entries:
        problems = list(entry.problems)
        if entry.record is not None:
            problems += arrival_problems(entry.record, city, month)
        if problems:
            invalid.append(PersonEntry(entry.id, None, tuple(problems), entry.line))
        else:
            valid.append(entry)
    return valid, invalid
