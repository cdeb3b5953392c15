"""Explaining a person: household types, person files, and a person's eligibility month by month.

:func:`timeline` runs :func:`sim.explain.check` (the ``sim check`` of one month) for every month of
a comparison under one scenario and keeps, month by month, whether the person could settle and by
which channels, what held them back (the failed conditions of the route that came closest), and
their points by item where a points scheme is in force. No streamlit here.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.describe import labels
from sim.errors import SimError, UnknownKindError
from sim.explain import CheckReport, ConditionVerdict, RouteVerdict, check
from sim.months import month_label
from sim.person import PersonRecord, validate_person
from sim.rules.condition_kinds import CONDITION_KINDS
from sim.rules.vocabulary import kind_of
from sim.scenario import Scenario
from sim.scenario.schema import CHANNELS, COUNT_MODES, EDUCATION_LEVELS, SKILL_LEVELS
from ui.i18n import t, t_or

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOUSEHOLDS_FILE = HERE / "households.yaml"
EXAMPLES_DIR = ROOT / "docs" / "examples"
CITY = "CITY"
_RELATIVE = re.compile(r"@(-?\d+)")

STATES = ("eligible", "points_pool", "not_eligible", "not_arrived", "no_rules")
"""A person's state in a month: may settle by a channel; may enter a points round (preconditions met,
ranked against others); not eligible; not yet in the city; no rules in force."""


@functools.cache
def household_types() -> dict[str, dict[str, Any]]:
    """The household types of ``ui/households.yaml`` (months relative to the start, city ``CITY``)."""
    return yaml.safe_load(HOUSEHOLDS_FILE.read_text(encoding="utf-8"))


def examples() -> dict[str, Path]:
    """Person files shipped in ``docs/examples`` (absolute months, real cities), by file stem."""
    return {path.stem: path for path in sorted(EXAMPLES_DIR.glob("person-*.yaml"))}


def resolve_template(template: Any, start: int, city: str) -> Any:
    """A household type as a person file's data: ``@N`` → the month ``start + N``, ``CITY`` → ``city``."""
    if isinstance(template, dict):
        return {(city if key == CITY else key): resolve_template(value, start, city) for key, value in template.items()}
    if isinstance(template, list):
        return [resolve_template(value, start, city) for value in template]
    if isinstance(template, str) and "@" in template:
        return _RELATIVE.sub(lambda m: month_label(start + int(m.group(1))), template)
    return template


def record_from_data(data: Mapping[str, Any], name: str = "<person>") -> PersonRecord:
    """Validate person data (raises :class:`~sim.errors.PersonFileError` listing every problem)."""
    return validate_person(dict(data), {}, name)


def load_text(text: str, name: str) -> PersonRecord:
    """A person file's text, validated (a YAML error is a :class:`~sim.errors.PersonFileError` too)."""
    from sim.errors import PersonFileError, Problem
    from sim.scenario.yamlsource import parse_yaml

    data, _ = parse_yaml(text, name, error=PersonFileError)
    if not isinstance(data, dict):
        raise PersonFileError([Problem(name, "", "must be a mapping of keys.")])
    return record_from_data(data, name)


def extend_history(record: PersonRecord, city: str, until: int) -> PersonRecord:
    """The record with the city's last contribution range continued up to ``until`` (inclusive).

    A person file says what happened up to the day it was written; a timeline that runs further
    assumes the person keeps paying as they were (the user can switch this off).
    """
    ranges = record.social_insurance.get(city)
    if not ranges:
        return record
    last = max(ranges, key=lambda r: r[1])
    if last[1] >= until:
        return record
    extended = (*(r for r in ranges if r != last), (last[0], until))
    updated = record.model_copy(update={"social_insurance": {**record.social_insurance, city: extended}})
    if record.employment is not None and record.employment.get(city):
        jobs = record.employment[city]
        final = max(jobs, key=lambda r: r[1])
        jobs = (*(r for r in jobs if r != final), (final[0], max(final[1], until)))
        updated = updated.model_copy(update={"employment": {**record.employment, city: jobs}})
    return updated


# ------------------------------------------------------------------------------------ timeline


@dataclass(frozen=True)
class Month:
    """One month of a person's timeline under one scenario."""

    month: int
    state: str
    channels: tuple[str, ...]
    reason: str
    points: float | None
    by_item: Mapping[str, float]
    reason_key: str = ""
    """What the reason is about (channel, route and failed conditions), without the counts that change monthly."""


FIXED_CONDITIONS = frozenset(
    {"adult", "education_min", "skill_min", "graduated_within_years", "age_min", "age_max", "owns_commercial_property"}
)
"""Conditions a person cannot meet by staying and paying longer; a route failing them is a poorer answer
to "what held them back" than one that fails only on time (contributions, residence, a permit)."""


def _closest(report: CheckReport) -> tuple[str, RouteVerdict] | None:
    """The route that came closest: fewest unattainable conditions failed, then fewest failed."""
    best: tuple[int, int, int, str, RouteVerdict] | None = None
    for order, verdict in enumerate(report.channels):
        if not verdict.in_force:
            continue
        for route in verdict.routes:
            failed = [c.condition for c in route.conditions if not c.ok]
            if any(name.startswith("joins_settled_") for name in failed):
                continue  # a family route needs a settled relative: not a condition to work towards
            fixed = sum(name in FIXED_CONDITIONS for name in failed)
            key = (fixed, len(failed), order, verdict.channel, route)
            if best is None or key[:3] < best[:3]:
                best = key
    return None if best is None else (best[3], best[4])


def condition_text(verdict: ConditionVerdict, lang: str) -> str:
    """One failed condition, translated: what the person has and what the rule needs.

    A condition kind's values are worded by its entry (:mod:`sim.rules.condition_kinds`); a
    counting rule says how it counts. The route's standing (adult, joining a settled relative)
    is not a kind.

    Raises
    ------
    UnknownKindError
        If the verdict names a condition that is neither a kind nor a route's standing.
    """
    name = verdict.condition
    field = t_or(f"fields.{name}", lang, name)
    have, need = verdict.have, verdict.need
    if name == "adult":
        field = t("app.explain.adult", lang)
    elif name.startswith("joins_settled_"):
        have = t("app.explain.none", lang) if have is None else have
    elif (kind := kind_of(CONDITION_KINDS, name)).counts:
        return _count_text(verdict, field, lang)
    elif have is None:
        have = t("app.explain.none", lang)
        need = kind.value_words(need, labels(lang))
    else:
        have, need = kind.value_words(have, labels(lang)), kind.value_words(need, labels(lang))
    return t("app.explain.condition", lang, field=field, have=have, need=need)


def _count_text(verdict: ConditionVerdict, field: str, lang: str) -> str:
    """A counting rule's verdict: months that count against months needed, and how they count."""
    detail = verdict.detail
    have, need = verdict.have, verdict.need
    kind = detail.get("count", "continuous")
    if kind == "continuous":
        text = t("app.explain.continuous", lang, field=field, have=have, need=need)
        if detail.get("broken_at"):
            text += t("app.explain.broken_at", lang, month=detail["broken_at"])
        return text
    if kind != "cumulative":
        raise UnknownKindError("count", kind, COUNT_MODES)
    if detail.get("window"):
        return t("app.explain.cumulative_window", lang, field=field, have=have, need=need, window=detail["window"])
    return t("app.explain.cumulative", lang, field=field, have=have, need=need)


def _reason(report: CheckReport, lang: str) -> tuple[str, str]:
    found = _closest(report)
    if found is None:
        return t("app.explain.no_route", lang), "none"
    channel, route = found
    failed = [c for c in route.conditions if not c.ok]
    where = t(
        "app.explain.route",
        lang,
        channel=t_or(f"channels.{channel}", lang, channel),
        route=t_or(f"route_names.{route.route}", lang, route.route),
    )
    conditions = t("phrases.condition_separator", lang).join(condition_text(c, lang) for c in failed)
    text = t("phrases.label_value", lang, label=where, value=conditions)
    return text, f"{channel}/{route.route}/" + ",".join(c.condition for c in failed)


def timeline(
    scenario: Scenario, city: str, record: PersonRecord, first: int, months: int, lang: str, *, extend: bool = True
) -> list[Month]:
    """The person's eligibility in ``city`` for each month ``first … first + months - 1``.

    Parameters
    ----------
    scenario : Scenario
    city : str
    record : PersonRecord
    first, months : int
        The first month (index) and how many.
    lang : str
        Language of the reasons.
    extend : bool
        Continue the person's last contribution range to the end (see :func:`extend_history`).

    Returns
    -------
    list of Month
    """
    if extend:
        record = extend_history(record, city, first + months - 1)
    arrived = record.arrived.get(city)
    rows: list[Month] = []
    for month in range(first, first + months):
        if arrived is None or arrived >= month:
            rows.append(Month(month, "not_arrived", (), t("app.explain.not_arrived", lang), None, {}))
            continue
        try:
            report = check(scenario, city, month, record)
        except SimError as err:
            rows.append(Month(month, "no_rules", (), str(err).splitlines()[-1].strip(" -"), None, {}))
            continue
        eligible = tuple(report.eligible_channels)
        points = report.points
        state = "eligible" if eligible else "not_eligible"
        if eligible == ("points",) and points is not None and points.threshold is None:
            state = "points_pool"
        reason, key = ("", ",".join(eligible)) if eligible else _reason(report, lang)
        rows.append(
            Month(
                month,
                state,
                eligible,
                reason,
                None if points is None else points.total,
                {} if points is None else dict(points.by_item),
                key,
            )
        )
    return rows


def timeline_frame(rows_by_scenario: Mapping[str, list[Month]]) -> pd.DataFrame:
    """Timelines of several scenarios as one table: scenario, month (datetime), state, channels, reason, points."""
    records = []
    for name, rows in rows_by_scenario.items():
        for row in rows:
            records.append(
                {
                    "scenario": name,
                    "month": pd.Timestamp(month_label(row.month) + "-01"),
                    "state": row.state,
                    "channels": ",".join(row.channels),
                    "reason": row.reason,
                    "points": row.points,
                }
            )
    return pd.DataFrame(records, columns=["scenario", "month", "state", "channels", "reason", "points"])


def ledger_frame(rows_by_scenario: Mapping[str, list[Month]]) -> pd.DataFrame:
    """Points by item, month by month, under each scenario that has a points scheme in force."""
    records = [
        {"scenario": name, "month": pd.Timestamp(month_label(row.month) + "-01"), "item": item, "points": value}
        for name, rows in rows_by_scenario.items()
        for row in rows
        for item, value in row.by_item.items()
    ]
    return pd.DataFrame(records, columns=["scenario", "month", "item", "points"])


def summary(rows: list[Month], lang: str) -> dict[str, str]:
    """When the person could first settle, by which channels, and what held them back before."""
    first = next((row for row in rows if row.state in ("eligible", "points_pool")), None)
    if first is None:
        last = rows[-1] if rows else None
        return {
            "first": t("app.explain.never", lang),
            "channels": "",
            "held_back": last.reason if last else "",
        }
    before = [row for row in rows if row.month < first.month and row.state == "not_eligible"]
    channels = t("phrases.list_separator", lang).join(t_or(f"channels.{c}", lang, c) for c in first.channels)
    return {
        "first": month_label(first.month),
        "channels": channels,
        "held_back": before[-1].reason if before else "",
    }


def reason_periods(rows: list[Month]) -> list[tuple[int, int, str, str]]:
    """Consecutive months in the same state for the same reason: ``(first, last, state, reason or channels)``.

    A reason whose counts change month by month (12 of 60 months, 13 of 60 …) is one period, told as in
    its last month.
    """
    periods: list[tuple[int, int, str, str]] = []
    keys: list[tuple[str, str]] = []
    for row in rows:
        text = row.reason or ",".join(row.channels)
        key = (row.state, row.reason_key or text)
        if periods and keys[-1] == key and periods[-1][1] == row.month - 1:
            periods[-1] = (periods[-1][0], row.month, row.state, text)
        else:
            periods.append((row.month, row.month, row.state, text))
            keys.append(key)
    return periods


# ------------------------------------------------------------------------------------ the form

FORM_FIELDS = (
    "birth",
    "sex",
    "education",
    "graduated",
    "skill",
    "hukou",
    "province",
    "arrived",
    "social_insurance",
    "residence_permit",
    "tenure",
    "community_since",
    "floor_area_m2",
    "owns_commercial_property",
    "spouse",
    "children",
    "shortage_industry",
    "honours",
)
"""The fields of the "enter a person" form (labels under ``app.person`` in the label files)."""


def form_values(data: Mapping[str, Any], city: str) -> dict[str, Any]:
    """The form's values from a person file's data, for one city."""
    education = data.get("education", {}) or {}
    origin = data.get("origin", {}) or {}
    housing = data.get("housing", {}) or {}
    household = data.get("household", {}) or {}
    ranges = (data.get("social_insurance", {}) or {}).get(city, [])
    return {
        "birth": str(data.get("birth", "1990-01")),
        "sex": data.get("sex", "female"),
        "education": education.get("level", "senior_secondary"),
        "graduated": str(education.get("graduated") or ""),
        "skill": data.get("skill", "none"),
        "hukou": origin.get("hukou", "rural"),
        "province": origin.get("province", "hunan"),
        "arrived": str((data.get("arrived", {}) or {}).get(city, "")),
        "social_insurance": ", ".join(str(r) for r in ranges),
        "residence_permit": str((data.get("residence_permit", {}) or {}).get(city, "") or ""),
        "tenure": housing.get("tenure", "rent"),
        "community_since": str(housing.get("community_since") or ""),
        "floor_area_m2": float(housing.get("floor_area_m2") or 30.0),
        "owns_commercial_property": bool(housing.get("owns_commercial_property", False)),
        "spouse": bool(household.get("spouse", False)),
        "children": ", ".join(str(c) for c in household.get("children", []) or []),
        "shortage_industry": bool(data.get("shortage_industry", False)),
        "honours": int(data.get("honours", 0) or 0),
    }


def data_from_form(values: Mapping[str, Any], city: str, name: str = "") -> dict[str, Any]:
    """A person file's data from the form's values (validated later by :func:`record_from_data`)."""

    def items(text: str) -> list[str]:
        return [part.strip() for part in str(text).replace("，", ",").split(",") if part.strip()]

    data: dict[str, Any] = {
        "birth": values["birth"],
        "sex": values["sex"],
        "education": {"level": values["education"]},
        "skill": values["skill"],
        "origin": {"hukou": values["hukou"], "province": values["province"]},
        "arrived": {city: values["arrived"]},
        "housing": {"tenure": values["tenure"], "floor_area_m2": float(values["floor_area_m2"])},
        "household": {"spouse": bool(values["spouse"]), "children": items(values["children"])},
        "shortage_industry": bool(values["shortage_industry"]),
        "honours": int(values["honours"]),
    }
    if name:
        data["name"] = name
    if values.get("graduated"):
        data["education"]["graduated"] = values["graduated"]
    ranges = items(values.get("social_insurance", ""))
    if ranges:
        data["social_insurance"] = {city: ranges}
    if values.get("residence_permit"):
        data["residence_permit"] = {city: values["residence_permit"]}
    if values.get("community_since"):
        data["housing"]["community_since"] = values["community_since"]
    if values.get("owns_commercial_property"):
        data["housing"]["owns_commercial_property"] = True
    return data


def apply_form(data: Mapping[str, Any], values: Mapping[str, Any], city: str) -> dict[str, Any]:
    """``data`` with the form's values written over it; keys the form does not show are kept."""
    merged = copy.deepcopy(dict(data))
    form = data_from_form(values, city)
    for key, value in form.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "education":
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    if "social_insurance" not in form and isinstance(merged.get("social_insurance"), dict):
        merged["social_insurance"].pop(city, None)
    if "residence_permit" not in form and isinstance(merged.get("residence_permit"), dict):
        merged["residence_permit"].pop(city, None)
    if not values.get("community_since") and isinstance(merged.get("housing"), dict):
        merged["housing"].pop("community_since", None)
    return merged


EDUCATION_CHOICES = EDUCATION_LEVELS
SKILL_CHOICES = SKILL_LEVELS
CHANNEL_ORDER = CHANNELS
