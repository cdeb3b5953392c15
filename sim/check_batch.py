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
from sim.explain import rules_in_force_for_check
from sim.months import month_label, parse_month
from sim.person import PersonRecord, check_problems, persons_population
from sim.person_sources import PersonEntry, PersonSource, read_persons
from sim.rules.channels import channel_eligible, evaluate_route
from sim.rules.context import RuleContext
from sim.rules.history_quantities import points_month
from sim.rules.points import score
from sim.scenario import load_scenario, resolve_timeline, rules_in_force
from sim.scenario.schema import CHANNELS, Channel, Conditions, PointsChannel, Scenario
from sim.scenario.timeline import RulePeriod
from sim.synthesis import region_index

ELIGIBLE_BY_GRANDFATHER = "grandfathered"
NOT_IN_FORCE = "not_in_force"
BELOW_THRESHOLD = "below_threshold"
ITEM_PREFIX = "item."
"""Points items are columns ``item.<name>``, so that no name a scenario gives an item clashes with another column."""
POINTS_DECIMALS = 4
"""Points are reported rounded as ``sim check`` reports them (and the threshold compared after rounding)."""


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
        Validated persons, each arrived in the city before ``month`` (see :func:`sim.person.check_problems`).

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
    period, periods, rules = rules_in_force_for_check(scenario, city_id, month)
    pop, rows = persons_population(records, scenario, city_id, month)
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
        scored = ctx
        if isinstance(channel, PointsChannel) and points_month(channel, month) != month:
            counted_to = points_month(channel, month)
            reference_pop, reference_rows = persons_population(records, scenario, city_id, counted_to)
            scored = RuleContext(reference_pop, counted_to, region_index(scenario), rows=reference_rows)
        eligible, why = _channel(channel, ctx, points, scored)
        columns[name] = eligible | is_kept
        columns[f"{name}.why"] = np.where(eligible | ~is_kept, why, ELIGIBLE_BY_GRANDFATHER)
    columns.update(points)
    return columns


def _channel(
    channel: Channel, ctx: RuleContext, points: dict[str, np.ndarray], scored: RuleContext | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A channel's verdict per person and why: the first route that holds, or each route's first failure.

    A points channel is scored in ``scored`` (the persons at the date it counts to; default ``ctx``).
    """
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
        total, by_item = score(channel, scored if scored is not None else ctx)
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
    pop, rows = persons_population(chosen, scenario, city_id, period.start_month)
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
    # An unknown city or a month before the rules: say so before reading persons.
    rules_in_force_for_check(scenario, city, month)
    source = read_persons(persons_path)
    valid, invalid = _split(source, city, month, scenario)
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


def _split(
    source: PersonSource, city: str, month: int, scenario: Scenario
) -> tuple[list[PersonEntry], list[PersonEntry]]:
    valid, invalid = [], []
    for entry in source.entries:
        problems = list(entry.problems)
        if entry.record is not None:
            problems += check_problems(entry.record, city, month, scenario)
        if problems:
            invalid.append(PersonEntry(entry.id, None, tuple(problems), entry.line))
        else:
            valid.append(entry)
    return valid, invalid
