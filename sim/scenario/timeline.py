"""Rule timelines: a city's rule sets, each a delta on the one before, resolved to full rule sets."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim.errors import Problem
from sim.months import month_label, parse_month
from sim.scenario.item_checks import check_history_item
from sim.scenario.schema import (
    CHANNELS,
    Channel,
    Conditions,
    CountRule,
    PointsChannel,
    RateItem,
    RuleSet,
    Scenario,
)
from sim.scenario.yamlsource import KeyPath, Origins, format_key_path, origin_of


@dataclass(frozen=True)
class RulePeriod:
    """A resolved rule set and the first month it governs."""

    start_month: int
    rules: RuleSet
    index: int
    """Position of the rule set in the city's ``rules`` list."""

    def channels(self) -> Iterator[tuple[str, Channel]]:
        """Yield ``(name, channel)`` for every channel in effect, in :data:`CHANNELS` order."""
        for name in CHANNELS:
            channel = getattr(self.rules.channels, name)
            if channel is not None and channel.in_effect:
                yield name, channel


def overlay(base: Any, delta: Any) -> Any:
    """Apply a rule-set delta to a resolved value.

    Keys the delta does not set are inherited; ``None`` removes; atomic models (counting
    rules, points items) are replaced whole; other models and mappings merge key by key.
    """
    if delta is None:
        return None
    if isinstance(delta, dict) and isinstance(base, dict):
        merged = dict(base)
        for key, value in delta.items():
            result = overlay(base.get(key), value)
            if result is None:
                merged.pop(key, None)
            else:
                merged[key] = result
        return merged
    if isinstance(delta, BaseModel) and not delta.atomic and isinstance(base, type(delta)):
        updates = {name: overlay(getattr(base, name), getattr(delta, name)) for name in delta.model_fields_set}
        return base.model_copy(update=updates)
    if isinstance(delta, dict):
        return {key: value for key, value in delta.items() if value is not None}
    return delta


def resolve_timeline(rule_sets: tuple[RuleSet, ...]) -> list[RulePeriod]:
    """Resolve a city's rule-set deltas into full rule sets with the month each starts to govern.

    A rule set's ``transition``, ``publicity`` and ``announced`` describe the change on its own date
    and are not inherited: a later rule set without a transition switches with the default (the whole
    recorded history counts), and without publicity is announced to nobody in particular.
    """
    periods: list[RulePeriod] = []
    current: RuleSet | None = None
    for index, delta in enumerate(rule_sets):
        current = delta if current is None else overlay(current, delta)
        current = _drop_removed(current).model_copy(
            update={"transition": delta.transition, "publicity": delta.publicity, "announced": delta.announced}
        )
        periods.append(RulePeriod(parse_month(delta.effective), current, index))
    return periods


def _drop_removed(rules: RuleSet) -> RuleSet:
    # Route and item maps may carry explicit nulls from the first rule set; they mean "absent".
    updates: dict[str, Any] = {}
    for name in CHANNELS:
        channel = getattr(rules.channels, name)
        if channel is None:
            continue
        changes: dict[str, Any] = {"routes": {k: v for k, v in channel.routes.items() if v is not None}}
        if isinstance(channel, PointsChannel):
            changes["items"] = {k: v for k, v in channel.items.items() if v is not None}
        updates[name] = channel.model_copy(update=changes)
    return rules.model_copy(update={"channels": rules.channels.model_copy(update=updates)})


def rules_in_force(periods: list[RulePeriod], month: int) -> RulePeriod | None:
    """Return the period governing ``month``, or None before the first rule set."""
    found = None
    for period in periods:
        if period.start_month <= month:
            found = period
    return found


def check_timelines(scenario: Scenario, origins: Origins, name: str) -> list[Problem]:
    """Cross-field checks that need the resolved timeline; returns every problem found."""
    problems: list[Problem] = []
    reported: set[tuple[Any, ...]] = set()

    def report(path: KeyPath, message: str, hint: str = "") -> None:
        # A route or item inherited by later rule sets is checked again in each of them;
        # report a problem once, at the first rule set that has it (where it is written).
        once = (*path[:3], *path[4:], message, hint) if path[2:3] == ("rules",) else (*path, message, hint)
        if once in reported:
            return
        reported.add(once)
        file, line = origin_of(origins, path) or (name, None)
        problems.append(Problem(file, format_key_path(path), message, line, hint))

    for city_id, city in scenario.cities.items():
        base: KeyPath = ("cities", city_id, "rules")
        previous = None
        for index, delta in enumerate(city.rules):
            if previous is not None and delta.effective <= previous:
                report(
                    (*base, index, "from"),
                    f"rule sets must be in strictly increasing date order; {delta.effective} "
                    f"does not come after {previous}.",
                    "merge rule sets with the same date, or sort them",
                )
            previous = delta.effective
        for period in resolve_timeline(city.rules):
            where = (*base, period.index)
            for channel_name, channel in period.channels():
                for route_name, route in channel.routes.items():
                    _check_route(
                        route,
                        scenario,
                        (*where, "channels", channel_name, "routes", route_name),
                        report,
                    )
                if isinstance(channel, PointsChannel):
                    _check_points(
                        channel,
                        scenario,
                        (*where, "channels", channel_name),
                        report,
                        period,
                    )
    return problems


def _check_route(route: Conditions, scenario: Scenario, path: KeyPath, report: Any) -> None:
    for key in ("social_insurance", "tax"):
        rule = getattr(route, key)
        if isinstance(rule, CountRule):
            _check_regions(rule.recognised_in, scenario, (*path, key, "recognised_in"), report)


def _check_points(
    channel: PointsChannel,
    scenario: Scenario,
    path: KeyPath,
    report: Any,
    period: RulePeriod,
) -> None:
    if channel.rounds is None:
        report(
            (*path, "rounds"),
            f"the points channel in force from {month_label(period.start_month)} has no rounds.",
            "add rounds: {months_of_year: [6], quota_persons: 1000}",
        )
    else:
        rounds = channel.rounds
        if rounds.quota_persons is None and rounds.threshold is None:
            report(
                (*path, "rounds"),
                "a points scheme needs a quota_persons, a threshold, or both.",
                "add quota_persons: N (persons admitted per round) or threshold: S (points)",
            )
        published = rounds.published_cutoff
        if published is not None and published.round >= scenario.start:
            report(
                (*path, "rounds", "published_cutoff", "round"),
                f"the cut-off of round {month_label(published.round)} is declared as published before the "
                f"run, which starts {month_label(scenario.start)}; the run publishes the cut-offs of its own rounds.",
                "give the last round before the start, or remove published_cutoff",
            )
        if rounds.window is not None and len(rounds.months_of_year) != 1:
            report(
                (*path, "rounds", "window"),
                f"an application window is annual, so it needs one round a year; months_of_year is "
                f"{list(rounds.months_of_year)}.",
                "keep one month in months_of_year (the month the round is decided), or remove the window",
            )
        if rounds.tie == "break_by_item" and not rounds.tie_break_item:
            report(
                (*path, "rounds", "tie"),
                "tie: break_by_item needs tie_break_item naming a scheme item.",
                f"add tie_break_item: one of {sorted(channel.items)}",
            )
        elif rounds.tie_break_item and rounds.tie_break_item not in channel.items:
            close = difflib.get_close_matches(rounds.tie_break_item, list(channel.items), n=1)
            report(
                (*path, "rounds", "tie_break_item"),
                f"names item '{rounds.tie_break_item}', which is not in the scheme's items ({sorted(channel.items)}).",
                f"did you mean '{close[0]}'?" if close else "name one of the scheme's items",
            )
    if not channel.items:
        report((*path, "items"), "a points channel in force needs at least one item.")
    rounds_in = channel.rounds.months_of_year if channel.rounds is not None else ()
    if channel.reference_date == "end_of_previous_year" and tuple(rounds_in) != (1,):
        # A run scores a round on the state of its month; counts cannot be wound back to December.
        report(
            (*path, "reference_date"),
            "counts to 31 December of the year before, but the rounds are not in January: a run scores a "
            f"round on the persons' state in its month (rounds in months {list(rounds_in)}).",
            "set rounds.months_of_year: [1], so that a round is decided on the state at its reference date",
        )
    for item_name, item in channel.items.items():
        if isinstance(item, RateItem):
            _check_regions(
                item.recognised_in,
                scenario,
                (*path, "items", item_name, "recognised_in"),
                report,
            )
            check_history_item(item, channel.items, scenario, (*path, "items", item_name), report)


def _check_regions(regions: tuple[str, ...], scenario: Scenario, path: KeyPath, report: Any) -> None:
    for region in regions:
        if region not in scenario.regions:
            report(
                path,
                f"names region '{region}', which is not declared.",
                f"declare it under 'regions:' (declared: {sorted(scenario.regions) or 'none'})",
            )


def count_from_start(rules: RuleSet, start_month: int) -> RuleSet:
    """Apply a prospective transition: no counting rule or points item counts months before ``start_month``."""

    def later(value: Any) -> Any:
        if isinstance(value, CountRule | RateItem) and value.of_kind_counts():
            current = value.counted_from
            return value.model_copy(update={"counted_from": max(current, start_month) if current else start_month})
        return value

    updates: dict[str, Any] = {}
    for name in CHANNELS:
        channel = getattr(rules.channels, name)
        if channel is None:
            continue
        routes = {
            key: route.model_copy(update={k: later(getattr(route, k)) for k in ("social_insurance", "tax")})
            for key, route in channel.routes.items()
            if route is not None
        }
        changes: dict[str, Any] = {"routes": routes}
        if isinstance(channel, PointsChannel):
            changes["items"] = {key: later(item) for key, item in channel.items.items()}
        updates[name] = channel.model_copy(update=changes)
    return rules.model_copy(update={"channels": rules.channels.model_copy(update=updates)})
