"""Scenario files: schema, loading with ``extends`` and overrides, and rule timelines."""

from sim.scenario.loader import load_scenario, parse_key_path
from sim.scenario.schema import Scenario
from sim.scenario.timeline import RulePeriod, resolve_timeline, rules_in_force

__all__ = [
    "RulePeriod",
    "Scenario",
    "load_scenario",
    "parse_key_path",
    "resolve_timeline",
    "rules_in_force",
]
