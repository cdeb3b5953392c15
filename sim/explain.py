"""Explain one person's eligibility: ``sim check`` ("can I settle?").

:func:`check` evaluates every channel of the rules in force in a city and month for the
person of a person file, with the same vectorised rules the model uses (on a one-household
population built by :func:`sim.person.person_population`), and keeps each condition's
verdict with what the person has, what the rule needs and a sentence saying so, e.g.
``continuous social insurance: 31/36 months, broken at 2018-03 (unpaid) ✗``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.errors import PersonFileError, Problem, ScenarioError, UnknownKindError
from sim.months import month_label, parse_month
from sim.person import PersonRecord, check_problems, load_person, person_population, unknown_city_problem
from sim.population import CHILD, HEAD, MIGRANT, PARENT, SETTLED, SPOUSE, Population
from sim.rules.channels import JOIN_ROLES, Check, channel_eligible, evaluate_route
from sim.rules.condition_kinds import CONDITION_KINDS
from sim.rules.context import RuleContext
from sim.rules.counting import CountResult
from sim.rules.history_quantities import points_month
from sim.rules.points import item_points, quantity, score
from sim.rules.service import ServiceSteps, effective_service, steps
from sim.rules.vocabulary import kind_of
from sim.scenario import load_scenario, resolve_timeline, rules_in_force
from sim.scenario.schema import (
    CHANNELS,
    COUNT_MODES,
    EDUCATION_LEVELS,
    SKILL_LEVELS,
    BracketsItem,
    Channel,
    Conditions,
    CountRule,
    PointsChannel,
    RateItem,
    RuleSet,
    Scenario,
)
from sim.scenario.timeline import RulePeriod, count_from_start
from sim.synthesis import region_index

OK, FAIL = "✓", "✗"
ROLE_NAMES = {HEAD: "head", SPOUSE: "spouse", CHILD: "child", PARENT: "parent"}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")  # fmt: skip

# joins → (whom the person joins, as what, which person-file flag marks that relative settled, applicant value)
_JOINS = {
    "spouse": ("a settled spouse", "their spouse", "household.settled.spouse", "self"),
    "child": ("a settled parent", "their child", "household.settled.parents", "child"),
    "parent": ("a settled child", "their parent", "household.settled.children", "parent"),
}


# ------------------------------------------------------------------------------------------ report


@dataclass(frozen=True)
class ConditionVerdict:
    """One condition of a route, for the person.

    Attributes
    ----------
    condition : str
        The condition's key as in the scenario (``social_insurance``, ``education_min``, ...).
    ok : bool
    have, need
        What the person has and what the rule needs, as plain JSON values.
    text : str
        A sentence saying both, ending in ✓ or ✗.
    detail : dict
        Extra facts (e.g. ``broken_at`` for continuous counting rules).
    """

    condition: str
    ok: bool
    have: Any
    need: Any
    text: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteVerdict:
    """A route into a channel: eligible when every condition holds."""

    route: str
    eligible: bool
    conditions: tuple[ConditionVerdict, ...]
    source: str = ""

    @property
    def failed(self) -> list[str]:
        """The conditions that do not hold."""
        return [c.condition for c in self.conditions if not c.ok]


@dataclass(frozen=True)
class ChannelVerdict:
    """A channel of the rules in force, for the person.

    Attributes
    ----------
    channel : str
    in_force : bool
        False for a channel the rules keep but switch off (``in_effect: false``).
    eligible : bool
        True when any route holds (points: preconditions met and the threshold reached),
        or when the person is grandfathered into it.
    routes : tuple of RouteVerdict
    eligible_if_gaps_filled : bool or None
        For a channel not eligible: whether it would be, had every month lived in the city
        been paid (None when not evaluated).
    grandfathered_until : str or None
        ``YYYY-MM`` until which the person keeps eligibility earned under the previous rules.
    """

    channel: str
    in_force: bool
    eligible: bool
    routes: tuple[RouteVerdict, ...] = ()
    eligible_if_gaps_filled: bool | None = None
    grandfathered_until: str | None = None
    processing_months: int = 0
    collective_household: bool = False
    dependants: tuple[str, ...] = ()
    source: str = ""
    service: ServiceSteps | None = None
    """What applying takes (trips, working days, a trip home) when the channel declares a service."""


@dataclass(frozen=True)
class PointsItemVerdict:
    """One item of a points scheme: the person's quantity and the points it earns."""

    item: str
    kind: str
    of: str
    points: float
    quantity: float | None = None


@dataclass(frozen=True)
class PointsReport:
    """The person's score under the points scheme in force and how rounds decide."""

    total: float
    by_item: dict[str, float]
    items: tuple[PointsItemVerdict, ...]
    preconditions_met: bool
    threshold: float | None
    meets_threshold: bool | None
    quota_persons: int | None
    months_of_year: tuple[int, ...]
    next_round: str | None
    tie: str
    tie_break_item: str | None = None


@dataclass(frozen=True)
class CheckReport:
    """Everything ``sim check`` says about one person in one city and month."""

    scenario: str
    city: str
    city_name: str
    month: str
    rules_from: str
    rules_title: str | None
    person: dict[str, Any]
    channels: tuple[ChannelVerdict, ...]
    points: PointsReport | None = None
    notes: tuple[str, ...] = ()

    @property
    def eligible_channels(self) -> list[str]:
        """Channels the person may settle by (points: may apply with a score at the threshold)."""
        return [c.channel for c in self.channels if c.eligible]

    def channel(self, name: str) -> ChannelVerdict:
        """The verdict of channel ``name``.

        Raises
        ------
        KeyError
            If the rules in force have no such channel.
        """
        for verdict in self.channels:
            if verdict.channel == name:
                return verdict
        raise KeyError(f"no channel '{name}' in the rules in force (channels: {[c.channel for c in self.channels]})")

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``sim check --json``)."""
        data = dataclasses.asdict(self)
        data["eligible_channels"] = self.eligible_channels
        for channel in data["channels"]:
            for route in channel["routes"]:
                route["failed"] = [c["condition"] for c in route["conditions"] if not c["ok"]]
        return data


# ------------------------------------------------------------------------------------------- check


def rules_in_force_for_check(
    scenario: Scenario, city_id: str, month: int
) -> tuple[RulePeriod, list[RulePeriod], RuleSet]:
    """The rule period in force in ``city_id`` in ``month``, the city's periods, and the rules a check applies.

    The rules are the period's own, counting only months from its start when its transition is
    prospective.

    Raises
    ------
    ScenarioError
        If the city is not in the scenario or no rules are in force in ``month``.
    """
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


def check(scenario: Scenario, city_id: str, month: int, record: PersonRecord) -> CheckReport:
    """Evaluate every channel in force for one person, with the reasons.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    city_id : str
        The city where the person would apply.
    month : int
        Month index of the application (the history counts up to ``month - 1``).
    record : PersonRecord
        The person (see :func:`sim.person.load_person`).

    Returns
    -------
    CheckReport

    Raises
    ------
    ScenarioError
        If the city is not in the scenario or no rules are in force in ``month``.
    PersonFileError
        If the person file gives no arrival in the city before ``month``.
    """
    period, periods, rules = rules_in_force_for_check(scenario, city_id, month)
    city = scenario.cities[city_id]
    notes: list[str] = []
    if period.rules.transition.mode == "prospective" and period.index > 0:
        notes.append(
            f"These rules count only contribution months from {month_label(period.start_month)} (prospective)."
        )
    problems = check_problems(record, city_id, month, scenario)
    if problems:
        raise PersonFileError(problems)
    pop, row = person_population(record, scenario, city_id, month)
    regions = region_index(scenario)
    ctx = RuleContext(pop, month, regions)
    filled = RuleContext(pop, month, regions, filled=True)
    grandfathered = _grandfathered(scenario, city_id, periods, period, month, record)

    verdicts: list[ChannelVerdict] = []
    points_report = None
    for name in CHANNELS:
        channel = getattr(rules.channels, name)
        kept = grandfathered is not None and grandfathered[0] == name
        if channel is None:
            if kept:
                verdicts.append(ChannelVerdict(name, False, True, grandfathered_until=grandfathered[1]))  # type: ignore[index]
            continue
        if not channel.in_effect:
            verdicts.append(ChannelVerdict(name, False, kept, source=channel.source))
            continue
        routes = _route_verdicts(channel, ctx, row, record, month)
        eligible = any(r.eligible for r in routes)
        if isinstance(channel, PointsChannel):
            counted_to = points_month(channel, month)
            scored = ctx
            if counted_to != month:
                reference_pop, _ = person_population(record, scenario, city_id, counted_to)
                scored = RuleContext(reference_pop, counted_to, regions)
            points_report = _points(channel, scored, row, eligible, month)
            eligible = eligible and points_report.meets_threshold is not False
        gaps_filled = None
        if not eligible and not isinstance(channel, PointsChannel):
            gaps_filled = bool(channel_eligible(channel, filled)[row])
        verdicts.append(
            ChannelVerdict(
                channel=name,
                in_force=True,
                eligible=eligible or kept,
                routes=routes,
                eligible_if_gaps_filled=gaps_filled,
                grandfathered_until=grandfathered[1] if kept else None,  # type: ignore[index]
                processing_months=channel.processing_months,
                collective_household=channel.collective_household,
                dependants=tuple(channel.dependants),
                source=channel.source,
                service=_service_steps(rules, channel),
            )
        )
    notes.extend(_notes(record, scenario, city_id, rules, pop))
    return CheckReport(
        scenario=scenario.id,
        city=city_id,
        city_name=city.name.en,
        month=month_label(month),
        rules_from=period.rules.effective.isoformat(),
        rules_title=period.rules.title.en if period.rules.title else None,
        person=_person_summary(record, city_id, month),
        channels=tuple(verdicts),
        points=points_report,
        notes=tuple(notes),
    )


def _service_steps(rules: RuleSet, channel: Channel) -> ServiceSteps | None:
    service = effective_service(rules, channel)
    return None if service is None else steps(service, channel)


def _route_verdicts(
    channel: Channel, ctx: RuleContext, row: int, record: PersonRecord, month: int
) -> tuple[RouteVerdict, ...]:
    routes: dict[str, Conditions] = {k: v for k, v in channel.routes.items() if v is not None}
    if isinstance(channel, PointsChannel) and not routes:
        # The model admits any adult to a points scheme without preconditions.
        routes = {"preconditions": Conditions()}
    verdicts = []
    for route_name, conditions in routes.items():
        result = evaluate_route(route_name, conditions, ctx)
        described = tuple(_describe(check, conditions, ctx, row, record, month) for check in result.checks)
        verdicts.append(RouteVerdict(route_name, bool(result.ok[row]), described, conditions.source))
    return tuple(verdicts)


def _grandfathered(
    scenario: Scenario,
    city_id: str,
    periods: list[RulePeriod],
    period: RulePeriod,
    month: int,
    record: PersonRecord,
) -> tuple[str, str] | None:
    """The channel kept from the previous rules and the month it lapses, as the model grandfathers."""
    transition = period.rules.transition
    if transition.mode != "grandfather" or period.index == 0:
        return None
    until = period.start_month + transition.grandfather_months
    arrival = record.arrived.get(city_id)
    if month >= until or arrival is None or arrival >= period.start_month:
        return None
    previous = periods[period.index - 1]
    pop, row = person_population(record, scenario, city_id, period.start_month)
    ctx = RuleContext(pop, period.start_month, region_index(scenario))
    for name, channel in previous.channels():
        if not isinstance(channel, PointsChannel) and channel_eligible(channel, ctx)[row]:
            return name, month_label(until)
    return None


def _points(channel: PointsChannel, ctx: RuleContext, row: int, preconditions: bool, month: int) -> PointsReport:
    total, by_item = score(channel, ctx)
    items = []
    for name, item in channel.items.items():
        if item is None:
            continue
        amount = None
        if isinstance(item, RateItem | BracketsItem):
            amount = float(quantity(item.of, ctx, item if isinstance(item, RateItem) else None)[row])
        items.append(
            PointsItemVerdict(
                name, item.kind, item.of, round(float(item_points(item, ctx, channel.items)[row]), 4), amount
            )
        )
    rounds = channel.rounds
    threshold = rounds.threshold if rounds else None
    person_total = round(float(total[row]), 4)
    return PointsReport(
        total=person_total,
        by_item={name: round(float(points[row]), 4) for name, points in by_item.items()},
        items=tuple(items),
        preconditions_met=preconditions,
        threshold=threshold,
        meets_threshold=None if threshold is None else person_total >= threshold - 1e-9,
        quota_persons=rounds.quota_persons if rounds else None,
        months_of_year=tuple(rounds.months_of_year) if rounds else (),
        next_round=_next_round(rounds.months_of_year, month) if rounds else None,
        tie=rounds.tie if rounds else "admit_all_tied",
        tie_break_item=rounds.tie_break_item if rounds else None,
    )


def _next_round(months_of_year: tuple[int, ...], month: int) -> str:
    for ahead in range(12):
        if (month + ahead) % 12 + 1 in months_of_year:
            return month_label(month + ahead)
    return month_label(month)


# ------------------------------------------------------------------------------------ descriptions


def _describe(
    check: Check, conditions: Conditions, ctx: RuleContext, row: int, record: PersonRecord, month: int
) -> ConditionVerdict:
    """A condition's verdict with a sentence saying what the person has and what is needed."""
    ok = bool(check.ok[row])
    have = _plain(check.have[row]) if check.have is not None else None
    need = _plain(check.need)
    name = check.condition
    detail: dict[str, Any] = {}
    pop = ctx.pop
    if name == "adult":
        text = f"adult: age {have}, needs {need} or over"
    elif name.startswith("joins_settled_"):
        text, have, need, detail = _joins_text(conditions.joins or "", pop, ctx, row, record, ok)
    elif name in ("education_min", "skill_min"):
        levels = EDUCATION_LEVELS if name == "education_min" else SKILL_LEVELS
        have = levels[int(have)]
        label = "education" if name == "education_min" else "skill"
        text = f"{label}: {have}, needs {need} or above"
    elif name == "graduated_within_years":
        graduated = record.education.graduated
        need_text = f"needs graduation within {_years(need)}"
        if graduated is None:
            text = f"graduation: no graduation month given (education.graduated), {need_text}"
            have = None
        elif graduated >= month:
            text = f"graduation: {month_label(graduated)} is not before {month_label(month)}, {need_text}"
        else:
            text = f"graduated {month_label(graduated)}, {_span(int(have))} ago, {need_text}"
            detail = {"graduated": month_label(graduated), "months_since": have}
    elif name == "age_min":
        text = f"age: {have}, needs {need} or over"
    elif name == "age_max":
        text = f"age: {have}, needs at most {need}"
    elif name in ("social_insurance", "tax") and check.count is not None:
        rule: CountRule = getattr(conditions, name)
        text, detail = _count_text(name, rule, check.count, row, month)
    elif name == "residence_months_min":
        since = int(pop.city_since[row])
        text = f"residence in the city: {have} months since {month_label(since)}, needs {need}{_short(have, need)}"
    elif name == "employment_months_min":
        basis = " (months with social insurance)" if record.employment is None else ""
        text = f"employment in the city: {have} months{basis}, needs {need}{_short(have, need)}"
    elif name == "community_months_min":
        since = int(pop.community_since[row])
        text = f"same community: {have} months since {month_label(since)}, needs {need}{_short(have, need)}"
    elif name == "residence_permit_months_min":
        if have is None or have < 0:
            have = None
            text = f"residence permit: none held, needs one held {need} months"
        else:
            since = int(pop.permit_month[row])
            text = f"residence permit: held {have} months since {month_label(since)}, needs {need}{_short(have, need)}"
    elif name == "tenure":
        have = "rent" if have == 0 else "own_home"
        text = f"housing tenure: {have}, needs {need}"
    elif name == "owns_commercial_property":
        text = f"owns commercial or office property: {_yes(have)}, needs {_yes(need)}"
    elif name == "floor_area_per_capita_m2_min":
        area = record.housing.floor_area_m2
        members = _members_present(ctx, row)
        have = round(float(have), 2)
        detail = {"floor_area_m2": area, "household_members": members}
        if area is None:
            text = f"floor area per capita: not given (housing.floor_area_m2), needs {need:g} m²"
        else:
            persons = f"{members} person" + ("" if members == 1 else "s")
            text = f"floor area per capita: {have:.1f} m² ({area:g} m² / {persons}), needs {need:g} m²"
    elif name == "sanctions_max":
        text = f"sanctions: {have}, needs at most {need}"
    else:
        text = _kind_text(name, have, need)
    return ConditionVerdict(name, ok, have, need, f"{text} {OK if ok else FAIL}", detail)


def _kind_text(name: str, have: object, need: object) -> str:
    """A kind without wording of its own here, in the English words of its entry.

    Raises
    ------
    UnknownKindError
        If ``name`` is not a condition kind.
    """
    kind = kind_of(CONDITION_KINDS, name)
    # Imported here: only a kind without its own wording above needs the label files.
    from sim.describe import labels

    en = labels("en")
    have_text = "not given" if have is None else kind.value_words(have, en)
    return f"{en.get('fields', name)}: {have_text}, needs {kind.value_words(need, en)}"


_LEDGER_WORDS = {"social_insurance": "social insurance", "tax": "business tax"}
"""What ``sim check`` calls the months a counting rule counts, by ledger."""


def _count_text(kind: str, rule: CountRule, result: CountResult, row: int, month: int) -> tuple[str, dict[str, Any]]:
    if kind not in _LEDGER_WORDS:
        raise UnknownKindError("counted ledger", kind, _LEDGER_WORDS)
    if rule.count not in COUNT_MODES:
        raise UnknownKindError("count", rule.count, COUNT_MODES)
    label = _LEDGER_WORDS[kind]
    if rule.recognised_in:
        label += f" (with months paid in {', '.join(rule.recognised_in)})"
    have, need = int(result.have[row]), rule.months
    detail: dict[str, Any] = {"count": rule.count, "window": rule.window, "recognised_in": list(rule.recognised_in)}
    if rule.counted_from is not None:
        detail["counted_from"] = month_label(rule.counted_from)
    if rule.count == "continuous":
        gap = int(result.gap_months_ago[row])
        back = int(result.back_paid_in_window[row])
        detail |= {"back_paid_in_window": back, "back_paid_max": rule.back_paid_max}
        text = f"continuous {label}: {have}/{need} months"
        if gap:
            broken = month - gap
            if rule.counted_from is not None and broken < rule.counted_from:
                text += f", months before {month_label(rule.counted_from)} do not count"
            else:
                text += f", broken at {month_label(broken)} (unpaid)"
                detail["broken_at"] = month_label(broken)
        elif back > rule.back_paid_max:
            text += f", but {back} of them back-paid where at most {rule.back_paid_max} may be"
        elif back:
            text += f" ({back} back-paid, at most {rule.back_paid_max} allowed)"
        return text, detail
    if rule.window is not None:
        first = month - rule.window
        if rule.counted_from is not None and rule.counted_from > first:
            first = rule.counted_from
        scope = f"within the last {rule.window} ({month_label(first)}..{month_label(month - 1)})"
    elif rule.counted_from is not None:
        scope = f"since {month_label(rule.counted_from)}"
    else:
        scope = "in the whole history"
    text = f"cumulative {label}: {have} months paid {scope}, {need} needed{_short(have, need)}"
    return text, detail


def _joins_text(
    joins: str, pop: Population, ctx: RuleContext, row: int, record: PersonRecord, ok: bool
) -> tuple[str, str, str, dict[str, Any]]:
    whom, as_what, flag, applicant = _JOINS[joins]
    role = ROLE_NAMES.get(int(pop.role[row]), "?")
    related = int(pop.role[row]) in JOIN_ROLES[joins]
    settled = bool(ctx.has_settled_adult[row])
    head = f"joins {whom} (as {as_what})"
    detail = {"role": role, "household_has_settled_head_or_spouse": settled}
    if ok:
        return f"{head}: yes", role, f"{joins} of a settled resident", detail
    if not related:
        reason = f"this file is for applicant: {record.applicant}; write applicant: {applicant} for this route"
    else:
        reason = f"no settled relative listed ({flag})"
    return f"{head}: {reason}", role, f"{joins} of a settled resident", detail


def _members_present(ctx: RuleContext, row: int) -> int:
    full = ctx.full
    present = (full.status == MIGRANT) | (full.status == SETTLED)
    return int((present & (full.household == full.household[row])).sum())


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


def _short(have: Any, need: Any) -> str:
    if isinstance(have, int | float) and isinstance(need, int | float) and have < need:
        return f", {need - have:g} short"
    return ""


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _years(value: float) -> str:
    return f"{value:g} year" + ("" if value == 1 else "s")


def _span(months: int) -> str:
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year" + ("" if years == 1 else "s"))
    if rest or not years:
        parts.append(f"{rest} month" + ("" if rest == 1 else "s"))
    return " ".join(parts)


def _person_summary(record: PersonRecord, city_id: str, month: int) -> dict[str, Any]:
    arrival = record.arrived[city_id]
    household = record.household
    return {
        "name": record.name,
        "applicant": record.applicant,
        "sex": record.sex,
        "birth": month_label(record.birth),
        "age_years": (month - record.birth) // 12,
        "education": record.education.level,
        "graduated": None if record.education.graduated is None else month_label(record.education.graduated),
        "skill": record.skill,
        "hukou": record.origin.hukou,
        "province": record.origin.province,
        "arrived": month_label(arrival),
        "months_in_city": month - arrival,
        "social_insurance_months": len([m for m in record.paid_months(city_id) if m < month]),
        "household": {
            "spouse": household.spouse,
            "children": [month_label(m) for m in household.children],
            "parents": [month_label(m) for m in household.parents],
            "others": household.others,
            "settled": household.settled.model_dump(),
        },
    }


def _notes(record: PersonRecord, scenario: Scenario, city_id: str, rules: RuleSet, pop: Population) -> list[str]:
    notes = []
    recognised: set[str] = set()
    for _, channel in RulePeriod(0, rules, 0).channels():
        for route in channel.routes.values():
            for key in ("social_insurance", "tax"):
                rule = getattr(route, key, None) if route is not None else None
                if rule is not None:
                    recognised |= set(rule.recognised_in)
        if isinstance(channel, PointsChannel):
            for item in channel.items.values():
                if isinstance(item, RateItem):
                    recognised |= set(item.recognised_in)
    for other in sorted(set(record.social_insurance) | set(record.back_paid)):
        if other == city_id or not record.paid_months(other):
            continue
        regions = sorted(r for r, members in scenario.regions.items() if other in members and r in recognised)
        if regions:
            notes.append(f"Months paid in {other} count where a rule recognises {', '.join(regions)}.")
        else:
            notes.append(f"Months paid in {other} do not count here: no rule in force recognises them.")
    if record.applicant == "self" and record.household.settled.parents:
        notes.append("To check joining a settled parent, write the file for the child with applicant: child.")
    return notes


# ------------------------------------------------------------------------------------------ output


def format_report(report: CheckReport, lang: str = "en") -> str:
    """The report as plain text.

    Parameters
    ----------
    report : CheckReport
    lang : str
        Language of the text; only ``'en'`` is available so far.

    Raises
    ------
    ValueError
        For a language other than English.
    """
    if lang != "en":
        raise ValueError(f"format_report supports lang='en' only, got {lang!r}")
    person = report.person
    who = person["name"] or "this person"
    lines = [
        f"Can {who} settle in {report.city_name} ({report.city}) in {report.month}?",
        f"Scenario {report.scenario}; rules in force from {report.rules_from}"
        + (f": {report.rules_title}" if report.rules_title else ""),
        _person_line(person, report.city),
        "",
    ]
    eligible = report.eligible_channels
    others = [c.channel for c in report.channels if not c.eligible]
    lines.append(f"Eligible: {', '.join(eligible) if eligible else 'none'}")
    if others:
        lines.append(f"Not eligible: {', '.join(others)}")
    for verdict in report.channels:
        lines.append("")
        lines.extend(_channel_lines(verdict, report.points if verdict.channel == "points" else None))
    if report.notes:
        lines.append("")
        lines.append("Notes:")
        lines.extend(f"  - {note}" for note in report.notes)
    return "\n".join(lines)


def _person_line(person: dict[str, Any], city: str) -> str:
    education = person["education"] + (f" (graduated {person['graduated']})" if person["graduated"] else "")
    text = (
        f"Person: {person['sex']}, born {person['birth']} (age {person['age_years']}), {education}, "
        f"skill {person['skill']}, {person['hukou']} hukou of {person['province']}; in {city} since "
        f"{person['arrived']} ({person['months_in_city']} months), {person['social_insurance_months']} months "
        f"of social insurance there"
    )
    if person["applicant"] != "self":
        text += f"; applies as the {person['applicant']} of a household member"
    return text


def _channel_lines(verdict: ChannelVerdict, points: PointsReport | None) -> list[str]:
    name = verdict.channel
    if not verdict.in_force:
        if verdict.grandfathered_until:
            return [f"{name}: ELIGIBLE (grandfathered until {verdict.grandfathered_until}; not in the rules in force)"]
        return [f"{name}: not in force"]
    passing = [r.route for r in verdict.routes if r.eligible]
    if verdict.eligible:
        how = f"by {', '.join(passing)}" if passing else f"grandfathered until {verdict.grandfathered_until}"
        head = f"{name}: ELIGIBLE ({how})"
        extras = []
        if verdict.processing_months:
            extras.append(f"processing {verdict.processing_months} months")
        if verdict.collective_household:
            extras.append("settles into a collective household")
        if extras:
            head += f"; {', '.join(extras)}"
    else:
        head = f"{name}: not eligible"
        if verdict.eligible_if_gaps_filled:
            head += " (would be, had every month in the city been paid)"
    lines = [head]
    if verdict.eligible and verdict.service is not None:
        lines.append(f"  steps: {verdict.service.text()}")
    for route in verdict.routes:
        state = "holds" if route.eligible else f"fails on {', '.join(route.failed)}"
        lines.append(f"  route {route.route}: {state}")
        lines.extend(f"    {condition.text}" for condition in route.conditions)
    if points is not None:
        lines.extend(_points_lines(points))
    return lines


def _points_lines(points: PointsReport) -> list[str]:
    lines = [f"  score: {points.total:g} points"]
    for item in points.items:
        amount = "" if item.quantity is None else f" ({item.of} = {item.quantity:g})"
        lines.append(f"    {item.item}: {item.points:g}{amount}")
    rules = []
    if points.threshold is not None:
        mark = OK if points.meets_threshold else FAIL
        rules.append(f"threshold {points.threshold:g} {mark}")
    if points.quota_persons is not None:
        rules.append(f"quota {points.quota_persons:,} persons per round, ranked by score (ties: {points.tie})")
    months = ", ".join(MONTH_NAMES[m - 1] for m in points.months_of_year)
    if months:
        rules.append(f"rounds in {months}; next round {points.next_round}")
    lines.append(f"  {'; '.join(rules)}")
    return lines


def run_check(scenario_path: str, city: str, date: str, person_path: str, as_json: bool) -> tuple[str, int]:
    """Run ``sim check``: load the scenario and person file, check, and render.

    Parameters
    ----------
    scenario_path : str
        Scenario file or preset id.
    city : str
        City id in the scenario.
    date : str
        Month of application ``YYYY-MM`` (a full date governs the month of its mid-month rule).
    person_path : str
        Person YAML file.
    as_json : bool
        Render JSON instead of text.

    Returns
    -------
    text, status
        What to print and the exit status (0).

    Raises
    ------
    ScenarioError
        For an invalid scenario, date or city (a :class:`~sim.errors.PersonFileError` for an
        invalid person file).
    """
    try:
        month = parse_month(date)
    except ValueError as err:
        raise ScenarioError(
            [Problem("--date", "", f"{err}.", hint="write the month as YYYY-MM, e.g. 2019-10")]
        ) from err
    record = load_person(person_path)
    scenario = load_scenario(scenario_path)
    report = check(scenario, city, month, record)
    if as_json:
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=2), 0
    return format_report(report), 0
