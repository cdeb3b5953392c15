"""Shared helpers for the hand-computed preset cases: ``sim check`` on a person file."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sim.explain import CheckReport, check
from sim.months import parse_month
from sim.person import load_person
from sim.scenario import Scenario, load_scenario

CASES = Path(__file__).parent / "cases"


@cache
def preset(scenario_id: str) -> Scenario:
    """A preset of ``scenarios/`` by id, loaded once per test session."""
    return load_scenario(scenario_id)


def run(scenario_id: str, city: str, month: str, case: str) -> CheckReport:
    """``sim check`` for ``cases/<case>.yaml`` applying in ``city`` in ``month`` (``YYYY-MM``)."""
    return check(preset(scenario_id), city, parse_month(month), load_person(CASES / f"{case}.yaml"))


def route_ok(report: CheckReport, channel: str, route: str) -> bool:
    """Whether one route of a channel holds for the person."""
    (found,) = [r for r in report.channel(channel).routes if r.route == route]
    return found.eligible


def condition(report: CheckReport, channel: str, route: str, name: str):
    """One condition's verdict (``ok``, ``have``, ``need``, ``text``) in a route."""
    (found,) = [r for r in report.channel(channel).routes if r.route == route]
    (verdict,) = [c for c in found.conditions if c.condition == name]
    return verdict
