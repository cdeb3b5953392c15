"""Valid scenarios: presets load, ``extends`` merges, ``null`` removes, rule sets are deltas,
overrides apply."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.months import month_index
from sim.scenario import Scenario, load_scenario, resolve_timeline, rules_in_force
from sim.scenario.schema import CountRule

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
BASE = SCENARIOS / "base" / "china-migrants.yaml"
PRESETS = sorted(SCENARIOS.rglob("*.yaml"))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def routes(scenario: Scenario, city: str, year: int, month: int) -> dict[str, list[str]]:
    """Channel → route names in force in ``city`` in a month."""
    period = rules_in_force(resolve_timeline(scenario.cities[city].rules), month_index(year, month))
    assert period is not None
    return {name: sorted(channel.routes) for name, channel in period.channels()}


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_every_preset_loads_and_is_named_after_its_file(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.id == path.stem


def test_the_base_file_loads_with_its_values() -> None:
    scenario = load_scenario(BASE)
    assert scenario.start == month_index(2018, 1)
    assert scenario.months == 24
    assert list(scenario.cities) == ["example"]
    assert scenario.population.education_shares["junior_secondary"] == pytest.approx(0.521)
    assert scenario.behaviour.intention.application_rate == pytest.approx(0.06)


def test_a_preset_loads_by_its_id() -> None:
    assert load_scenario("ningbo-2019-reform").id == "ningbo-2019-reform"


# ----------------------------------------------------------------------------------- extends


def test_extends_inherits_and_null_removes_an_inherited_city() -> None:
    baseline = load_scenario(SCENARIOS / "ningbo" / "ningbo-2018-baseline.yaml")
    assert list(baseline.cities) == ["ningbo"]  # the base file's `example` is removed by null
    assert baseline.months == 48  # overridden
    assert baseline.population == load_scenario(BASE).population  # inherited whole


def test_extends_merges_rule_lists_by_from_date(tmp_path: Path) -> None:
    variant = write(
        tmp_path / "variant.yaml",
        """\
id: ningbo-variant
extends: ningbo-2019-reform
cities:
  ningbo:
    rules:
      - from: 2019-01-01                 # new date, between the parent's two: inserted
        channels:
          residence_employment: {processing_months: 1}
      - from: 2019-09-15                 # the parent's reform date: merged into it
        source: "variant"
        channels:
          residence_employment:
            routes:
              social_insurance: {social_insurance: {count: continuous, months: 24}}
      - from: 2021-01-01                 # new date after the parent's: appended
        channels:
          rental: null
""",
    )
    scenario = load_scenario(variant)
    rules = scenario.cities["ningbo"].rules
    assert [r.effective for r in rules] == [
        dt.date(2018, 1, 1),
        dt.date(2019, 1, 1),
        dt.date(2019, 9, 15),
        dt.date(2021, 1, 1),
    ]
    reform = rules[2]
    assert reform.source == "variant"
    assert reform.title is not None and reform.title.en == "Ningbo 2019 reform"  # kept from the parent
    # The restated route replaces the parent's whole: no `window: 48` is left over from the
    # parent's cumulative rule (which would make this continuous rule invalid).
    route = reform.channels.residence_employment.routes["social_insurance"]
    assert route.social_insurance == CountRule(count="continuous", months=24)
    # Routes the variant does not mention keep the parent's reform.
    assert "graduate_within_15_years" in reform.channels.talent.routes
    periods = resolve_timeline(rules)
    assert periods[1].rules.channels.residence_employment.processing_months == 1
    assert periods[2].rules.channels.residence_employment.processing_months == 1  # inherited
    assert "rental" in routes(scenario, "ningbo", 2020, 1)
    assert "rental" not in routes(scenario, "ningbo", 2021, 1)


def test_null_in_an_extending_file_removes_a_route_of_the_parents_rule_set(tmp_path: Path) -> None:
    variant = write(
        tmp_path / "variant.yaml",
        """\
id: no-fresh-graduates
extends: ningbo-2018-baseline
cities:
  ningbo:
    rules:
      - from: 2018-01-01
        channels:
          talent:
            routes:
              fresh_graduate: null
          family: null
""",
    )
    scenario = load_scenario(variant)
    in_force = routes(scenario, "ningbo", 2018, 6)
    assert "fresh_graduate" not in in_force["talent"]
    assert "college" in in_force["talent"]
    assert "family" not in in_force


def test_null_in_a_later_rule_set_removes_a_route_and_restating_replaces_it_whole() -> None:
    scenario = load_scenario("ningbo-2019-reform")
    before, after = routes(scenario, "ningbo", 2019, 8), routes(scenario, "ningbo", 2019, 9)
    assert "fresh_graduate" in before["talent"]
    assert "fresh_graduate" not in after["talent"]
    assert "graduate_within_15_years" in after["talent"]
    assert "rental" not in before and "rental" in after
    periods = resolve_timeline(scenario.cities["ningbo"].rules)
    parent = periods[1].rules.channels.family.routes["parent"]
    assert parent.floor_area_per_capita_m2_min is None  # not restated, so the condition is gone
    assert parent.age_min == 60
    college = periods[1].rules.channels.talent.routes["college"].social_insurance
    assert college == CountRule(count="cumulative", months=6, window=12)


def test_a_later_rule_set_may_restate_part_of_rounds(tmp_path: Path) -> None:
    path = write(
        tmp_path / "rounds.yaml",
        f"""\
id: rounds-delta
extends: {BASE.as_posix()}
cities:
  example:
    rules:
      - from: 2019-01-01
        channels:
          points:
            items:
              social_insurance: {{kind: rate, of: social_insurance_months, points: 3}}
            rounds: {{months_of_year: [6], quota_persons: 100, tie: break_by_item, tie_break_item: social_insurance}}
      - from: 2020-01-01
        channels:
          points:
            rounds: {{months_of_year: [3, 9]}}
""",
    )
    scenario = load_scenario(path)
    rounds = resolve_timeline(scenario.cities["example"].rules)[2].rules.channels.points.rounds
    assert rounds.months_of_year == (3, 9)
    assert (rounds.quota_persons, rounds.tie, rounds.tie_break_item) == (100, "break_by_item", "social_insurance")


def test_a_rule_date_governs_its_month_by_the_15th() -> None:
    scenario = load_scenario("ningbo-2019-reform")
    periods = resolve_timeline(scenario.cities["ningbo"].rules)
    assert [p.start_month for p in periods] == [month_index(2018, 1), month_index(2019, 9)]  # 2019-09-15


# ---------------------------------------------------------------------------------- overrides


def test_override_is_applied_and_the_file_is_left_alone() -> None:
    changed = load_scenario(BASE, overrides={"behaviour.intention.application_rate": 0.1})
    assert changed.behaviour.intention.application_rate == pytest.approx(0.1)
    assert load_scenario(BASE).behaviour.intention.application_rate == pytest.approx(0.06)


def test_override_into_the_merged_rule_list() -> None:
    path = "cities.ningbo.rules[1].channels.residence_employment.processing_months"
    scenario = load_scenario("ningbo-2019-reform", overrides={path: 2})
    rules = scenario.cities["ningbo"].rules
    assert rules[1].effective == dt.date(2019, 9, 15)
    assert rules[1].channels.residence_employment.processing_months == 2


def test_bad_override_path_raises_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="does not lead to a value"):
        load_scenario(BASE, overrides={"cities.nowhere.migrants": 5})
