"""What the engine cannot honour exactly (transitions, fractions of a month) is refused when validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.model import SettlementModel
from sim.scenario import load_scenario
from sim.scenario.schema import Conditions, Transition

BASE = (Path(__file__).parents[2] / "scenarios" / "base" / "china-migrants.yaml").resolve()
SCENARIO = """
id: transitions-test
title: {{zh: 过渡测试, en: Transitions}}
extends: {base}
source: "test fixture"
start: {start}
months: 12
cities:
  example: null
  a:
    name: {{zh: 甲市, en: A}}
    migrants: 1000
    rules:
{rules}
"""
OPEN = "        channels: {open: {routes: {anyone: {}}}}\n"


def load(tmp_path: Path, start: str, *rule_sets: str):
    rules = "".join(f"      - from: {date}\n{extra}" + OPEN for date, extra in rule_sets)
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.format(base=BASE, start=start, rules=rules), encoding="utf-8")
    return load_scenario(path)


def test_a_transition_on_the_first_rule_set_is_refused(tmp_path):
    with pytest.raises(ScenarioError) as raised:
        load(tmp_path, "2018-01", ("2018-01-01", "        transition: {mode: prospective}\n"))
    (problem,) = raised.value.problems
    assert "cities.a.rules" in problem.path
    assert "first rule set has transition mode 'prospective'" in problem.message
    assert "no earlier rules to move from" in problem.message


def test_a_start_inside_a_grandfathering_is_refused(tmp_path):
    grandfather = "        transition: {mode: grandfather, grandfather_months: 6}\n"
    with pytest.raises(ScenarioError) as raised:
        load(tmp_path, "2019-03", ("2018-01-01", ""), ("2019-01-01", grandfather))
    (problem,) = raised.value.problems
    assert "starts 2019-03, inside the grandfathering of the rule set from 2019-01-01 (until 2019-07)" in (
        problem.message
    )
    for start in ("2019-01", "2019-07", "2018-06"):
        assert load(tmp_path, start, ("2018-01-01", ""), ("2019-01-01", grandfather)).start


def test_a_grandfathering_that_starts_with_the_run_keeps_the_earlier_eligibility(tmp_path):
    grandfather = "        transition: {mode: grandfather, grandfather_months: 6}\n"
    scenario = load(tmp_path, "2019-01", ("2018-01-01", ""), ("2019-01-01", grandfather))
    model = SettlementModel.from_scenario(scenario, agents=200, seed=1, months=1)
    model.step()
    assert (model.grandfather_until == scenario.start + 6).any()


def test_graduated_within_years_must_be_whole_months():
    assert Conditions(graduated_within_years=2.5).graduated_within_years == 2.5
    with pytest.raises(ValueError, match=r"graduated_within_years \(0.1\) is not a whole number of months \(1.2\)"):
        Conditions(graduated_within_years=0.1)


def test_grandfather_months_without_grandfathering_is_refused():
    with pytest.raises(
        ValueError, match="grandfather_months applies to mode: grandfather only, not to mode: prospective"
    ):
        Transition(mode="prospective", grandfather_months=6)
    assert Transition(mode="grandfather", grandfather_months=6).grandfather_months == 6
