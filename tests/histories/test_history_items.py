"""Points items over the person histories, hand-computed from the rule texts (tests/histories/points.yaml)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.errors import ScenarioError
from sim.explain import check
from sim.months import month_index
from sim.person import load_person, person_population, validate_person
from sim.rules.context import RuleContext
from sim.rules.points import score
from sim.scenario import load_scenario
from sim.synthesis import region_index

HERE = Path(__file__).parent
SCENARIO = load_scenario(HERE / "points.yaml")
PERSON = load_person(HERE / "person-histories.yaml")
RAW = yaml.safe_load((HERE / "person-histories.yaml").read_text(encoding="utf-8"))
CHECKED = month_index(2020, 1)


def points_of(record, scenario=SCENARIO) -> dict[str, float]:
    pop, row = person_population(record, scenario, "a", CHECKED)
    channel = scenario.cities["a"].rules[0].channels.points
    _, by_item = score(channel, RuleContext(pop, CHECKED, region_index(scenario)))
    return {name: round(float(points[row]), 4) for name, points in by_item.items()}


def test_each_item_scores_by_hand():
    # Mr Gao in 2020-01 (months counted in tests/histories/test_person_file.py):
    # si: 134 paid - 34 while studying = 100 months = 8 1/3 years x 3 = 25; in whole years 8 x 3 = 24.
    # owned: 42 months (none while studying) x 1/year = 3.5; rented: 100 - 34 studying = 66 x 0.5/year = 2.75;
    #   neither exceeds the 100 months of social insurance that cap them.
    # home outside the core since 2017-01: 36 months x 2/year = 6; working outside: 36 x 1/year = 3.
    # income tax >= 100,000 in 2017 and 2019 of the last three years: 2 x 2 = 4 (cap 6).
    # patents: 2 x 3 = 6 (cap 6). permit, all spells: 103 months = 8.5833 years x 1;
    # social insurance while holding the permit: 96 months x 0.1 = 9.6.
    assert points_of(PERSON) == {
        "si": 25,
        "si_whole": 24,
        "owned": 3.5,
        "rented": 2.75,
        "home_outer": 6,
        "work_outer": 3,
        "tax": 4,
        "patents": 6,
        "permit": 8.5833,
        "si_permit": 9.6,
    }


def test_a_residence_item_counts_no_more_years_than_social_insurance():
    # Beijing: residence years counted may not exceed social-insurance years. Paid only 2017-01..2019-12
    # (36 months, after the studies): the 42 owned months count as 36 (3 points), the 66 rented as 36 (1.5).
    paid = {"social_insurance": {"a": ["2017-01..2019-12"]}, "back_paid": {}, "back_paid_excused": {}}
    record = validate_person(RAW | paid, {}, "<test>")
    points = points_of(record)
    assert points["si"] == 9 and points["owned"] == 3 and points["rented"] == 1.5


def test_sim_check_lists_the_items():
    report = check(SCENARIO, "a", CHECKED, PERSON)
    scored = {item.item: item.points for item in report.points.items}
    assert scored["owned"] == 3.5 and scored["tax"] == 4 and scored["patents"] == 6


def _with_item(tmp_path, item: str) -> Path:
    text = (HERE / "points.yaml").read_text(encoding="utf-8")
    text = text.replace("extends: histories.yaml", f"extends: {HERE / 'histories.yaml'}")
    text = text.replace("              si_permit:", f"              probe: {item}\n              si_permit:")
    path = tmp_path / "probe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("item", "fragments"),
    [
        pytest.param(
            "{kind: rate, of: home_in_group_months, group: suburbs, points: 2}",
            ["items.probe.group'", "names district group 'suburbs'", "groups declared: core, outer"],
            id="unknown-group",
        ),
        pytest.param(
            "{kind: rate, of: attribute, attribute: patent, per: count, points: 2}",
            ["items.probe.attribute'", "names person attribute 'patent'", "did you mean 'patents'?"],
            id="unknown-attribute",
        ),
        pytest.param(
            "{kind: rate, of: income_tax_years, threshold_cny: 100000, last_years: 5, per: count, points: 2}",
            ["items.probe.last_years'", "reads 5 years of income tax, but the scenario keeps 3"],
            id="more-tax-years-than-kept",
        ),
        pytest.param(
            "{kind: rate, of: owned_months, points: 1, capped_by: sii}",
            ["items.probe.capped_by'", "names 'sii', which is not a rate item of the scheme"],
            id="capped-by-unknown-item",
        ),
        pytest.param(
            "{kind: rate, of: home_in_group_months, points: 2}",
            ["items.probe'", "'home_in_group_months' needs 'group'"],
            id="group-missing",
        ),
        pytest.param(
            "{kind: rate, of: owned_months, group: outer, points: 2}",
            ["items.probe'", "'group' does not apply to 'owned_months'"],
            id="group-where-none-applies",
        ),
        pytest.param(
            "{kind: rate, of: owned_months, per: month, whole_years: true, points: 2}",
            ["items.probe'", "whole_years counts completed years: it needs per: year"],
            id="whole-years-per-month",
        ),
    ],
)
def test_validate_refuses_what_the_engine_cannot_honour(tmp_path, item, fragments):
    with pytest.raises(ScenarioError) as err:
        load_scenario(_with_item(tmp_path, item))
    for fragment in fragments:
        assert fragment in str(err.value)


def test_a_run_scores_the_history_items():
    from sim.model import SettlementModel

    model = SettlementModel.from_scenario(SCENARIO, agents=600, seed=1, months=6)
    rounds = model.run().rounds
    assert (rounds["applicants"] > 0).any()
    counters = {spec.kind for spec in model.population.counters.specs}
    assert {"owned", "rented", "home_in_group", "work_in_group", "permit", "social_insurance_with_permit"} <= counters
    assert np.isfinite(model.population.counters.values).all()


AGE_GRADIENT = (
    "{kind: brackets, of: OF, brackets: [{below: 46, points: 20}, {below: 47, points: 16}, {below: 48, points: 12}, "
    "{below: 49, points: 8}, {below: 50, points: 4}, {points: 0}]}"
)


def _counted_to_december(tmp_path, rounds: str = "[1]") -> Path:
    text = (HERE / "points.yaml").read_text(encoding="utf-8")
    text = text.replace("extends: histories.yaml", f"extends: {HERE / 'histories.yaml'}")
    text = text.replace(
        "            rounds: {months_of_year: [6], quota_persons: 100}",
        f"            rounds: {{months_of_year: {rounds}, quota_persons: 100}}\n"
        "            reference_date: end_of_previous_year",
    )
    text = text.replace(
        "              si_permit:",
        f"              age_2020: {AGE_GRADIENT.replace('OF', 'age_by_birth_year')}\n"
        f"              age_completed: {AGE_GRADIENT.replace('OF', 'age_years')}\n"
        "              si_permit:",
    )
    path = tmp_path / "december.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_beijing_counts_to_december_and_ages_by_birth_year(tmp_path):
    # Checked in 2020-06 under a scheme that counts to 2019-12-31: every history item scores as in
    # 2020-01 (the months of 2020 do not count). Born 1974-01: by birth year 2019 - 1974 = 45, so
    # 20 points under the 2020 age gradient (45 or under: 20; -4 a year over 45); in completed years
    # at 2020-01 he is 46, which would give 16.
    scenario = load_scenario(_counted_to_december(tmp_path))
    record = validate_person(RAW | {"birth": "1974-01"}, {}, "<test>")
    report = check(scenario, "a", month_index(2020, 6), record)
    scored = {item.item: item.points for item in report.points.items}
    assert scored == {
        "si": 25,
        "si_whole": 24,
        "owned": 3.5,
        "rented": 2.75,
        "home_outer": 6,
        "work_outer": 3,
        "tax": 4,
        "patents": 6,
        "permit": 8.5833,
        "age_2020": 20,
        "age_completed": 16,
        "si_permit": 9.6,
    }


def test_a_scheme_counted_to_december_needs_its_rounds_in_january(tmp_path):
    with pytest.raises(ScenarioError) as err:
        load_scenario(_counted_to_december(tmp_path, rounds="[6]"))
    assert "channels.points.reference_date'" in str(err.value)
    assert "set rounds.months_of_year: [1]" in str(err.value)


def test_a_person_arrived_after_the_reference_date_is_refused(tmp_path):
    from sim.errors import PersonFileError

    scenario = load_scenario(_counted_to_december(tmp_path))
    data = {k: v for k, v in RAW.items() if k not in ("housing", "workplace", "residence_permit")}
    record = validate_person(
        data | {"arrived": {"a": "2020-02"}, "social_insurance": {}, "back_paid": {}, "back_paid_excused": {}},
        {},
        "<test>",
    )
    with pytest.raises(PersonFileError, match="is after the date the points scheme counts to"):
        check(scenario, "a", month_index(2020, 6), record)


def test_describe_words_the_item_parameters():
    from sim.describe import describe

    text = describe(SCENARIO, "en")
    assert "(districts of group `outer`)" in text
    assert "(years with at least 100000 yuan of income tax among the last 3)" in text
    assert "(attribute `patents`)" in text
    assert "(no more than the quantity of `si`)" in text
    assert "(completed years only)" in text
    assert "（`outer`组各区）" in describe(SCENARIO, "zh")
