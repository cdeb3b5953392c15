"""ui.rules: editable values of a variant and the overrides an edit becomes."""

import pytest

from sim.describe import diff
from sim.scenario import load_scenario, resolve_timeline
from ui.rules import count_rule_value, editables, overrides_for, same_value

RESIDENCE = "cities.ningbo.rules[1].channels.residence_employment.routes.social_insurance.social_insurance"


def test_editables_list_counting_rules_numbers_and_processing():
    scenario = load_scenario("ningbo-2019-counting-only")
    found = {e.key: e for e in editables(scenario)}
    assert found[RESIDENCE].kind == "count_rule"
    assert found[RESIDENCE].value == {"count": "cumulative", "months": 60, "window": 72}
    assert found["cities.ningbo.rules[1].channels.family.routes.parent.floor_area_per_capita_m2_min"].value == 18
    assert found["cities.ningbo.rules[1].channels.talent.processing_months"].kind == "processing"


def test_points_items_quota_and_threshold_are_editable():
    found = {e.key: e for e in editables(load_scenario("nanjing-suzhou-points"))}
    assert found["cities.nanjing.rules[1].channels.points.items.social_insurance.points"].value == 10
    assert found["cities.nanjing.rules[1].channels.points.rounds.threshold"].value == 100
    assert found["cities.nanjing.rules[1].channels.points.rounds.quota_persons"].kind == "quota"


def test_an_edit_of_a_route_the_rule_set_writes_is_the_override_itself():
    scenario = load_scenario("ningbo-2019-counting-only")
    value = {"count": "cumulative", "months": 36, "window": 48}
    overrides = overrides_for(scenario, {RESIDENCE: value})
    assert overrides == {RESIDENCE: value}
    edited = load_scenario("ningbo-2019-counting-only", overrides)
    route = resolve_timeline(edited.cities["ningbo"].rules)[1].rules.channels.residence_employment.routes
    assert route["social_insurance"].social_insurance.months == 36


def test_an_inherited_route_is_restated_whole_with_every_edit():
    """fresh_graduate is written in the 2018 rule set only: the override restates it in rule set 1."""
    scenario = load_scenario("ningbo-2019-counting-only")
    base = "cities.ningbo.rules[1].channels"
    edits = {
        f"{base}.family.routes.parent.age_min": 55,
        f"{base}.family.routes.parent.floor_area_per_capita_m2_min": 10.0,
        f"{base}.talent.routes.fresh_graduate.graduated_within_years": 2.0,
    }
    overrides = overrides_for(scenario, edits)
    assert overrides[f"{base}.family"]["routes"]["parent"] == {
        "joins": "parent",
        "age_min": 55,
        "floor_area_per_capita_m2_min": 10.0,
        "source": "seed 000: 人均18平方米",
    }
    edited = load_scenario("ningbo-2019-counting-only", overrides)
    text = diff(scenario, edited, "en")
    assert "age: 60 or older" in text and "age: 55 or older" in text
    assert "within 2 years of graduation" in text
    # The 2018 rule set is untouched.
    first = resolve_timeline(edited.cities["ningbo"].rules)[0].rules.channels.family.routes["parent"]
    assert first.age_min == 60


def test_quota_edit_merges_into_inherited_rounds():
    scenario = load_scenario("nanjing-suzhou-points")
    key = "cities.suzhou.rules[2].channels.points.rounds.quota_persons"
    edited = load_scenario("nanjing-suzhou-points", overrides_for(scenario, {key: 5000}))
    rounds = resolve_timeline(edited.cities["suzhou"].rules)[2].rules.channels.points.rounds
    assert rounds.quota_persons == 5000 and rounds.threshold == 100


def test_an_edit_outside_the_rule_sets_is_rejected():
    with pytest.raises(ValueError, match="does not name"):
        overrides_for(load_scenario("ningbo-2019-reform"), {"months": 12})


def test_count_rule_value_keeps_what_applies():
    current = {"count": "continuous", "months": 24, "back_paid_max": 3, "recognised_in": ["ning_su"]}
    assert count_rule_value("cumulative", 24, 36, current) == {
        "count": "cumulative",
        "months": 24,
        "window": 36,
        "recognised_in": ["ning_su"],
    }
    assert count_rule_value("continuous", 12, None, current)["back_paid_max"] == 3
    assert same_value({"count": "continuous", "months": 12, "window": None}, {"count": "continuous", "months": 12})
