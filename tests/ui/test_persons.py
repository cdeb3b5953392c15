"""ui.persons: household types, the person form, and a person's timeline under a scenario."""

import pytest

from sim.errors import PersonFileError
from sim.months import month_label, parse_month
from sim.person import load_person
from sim.scenario import load_scenario
from ui import persons

ROOT = persons.ROOT


@pytest.mark.parametrize("name", list(persons.household_types()))
def test_every_household_type_is_a_valid_person_in_any_city(name):
    data = persons.resolve_template(persons.household_types()[name], parse_month("2022-01"), "suzhou")
    record = persons.record_from_data(data, name)
    assert "suzhou" in record.arrived


def test_the_form_round_trips_a_person():
    data = persons.resolve_template(
        persons.household_types()["factory_worker_family"], parse_month("2018-01"), "ningbo"
    )
    values = persons.form_values(data, "ningbo")
    assert values["social_insurance"] == "2012-02..2016-10, 2017-01..2017-12"
    again = persons.record_from_data(persons.apply_form(data, values, "ningbo"))
    assert again == persons.record_from_data(data)
    values["social_insurance"] = "2012-02..2017-12"
    changed = persons.record_from_data(persons.apply_form(data, values, "ningbo"))
    assert changed.social_insurance["ningbo"] == ((parse_month("2012-02"), parse_month("2017-12")),)
    assert changed.origin.has_land  # a key the form does not show is kept


def test_ms_xie_could_settle_only_after_the_reform():
    """Seed 000: two unpaid months break the 2018 continuous rule; the 2019 cumulative rule admits her."""
    record = load_person(ROOT / "docs" / "examples" / "person-xie.yaml")
    start = parse_month("2019-06")
    before = persons.timeline(load_scenario("ningbo-2018-baseline"), "ningbo", record, start, 6, "en", extend=False)
    after = persons.timeline(load_scenario("ningbo-2019-reform"), "ningbo", record, start, 6, "en", extend=False)
    assert all(row.state == "not_eligible" for row in before)
    assert "talent" in persons.summary(after, "en")["channels"]
    assert persons.summary(after, "en")["first"] == "2019-09"
    assert "consecutive months" in before[0].reason and "broken at 2019-02" in before[0].reason


def test_reasons_say_what_held_the_person_back_in_chinese():
    data = persons.resolve_template(
        persons.household_types()["factory_worker_family"], parse_month("2018-01"), "ningbo"
    )
    rows = persons.timeline(
        load_scenario("ningbo-2018-baseline"),
        "ningbo",
        persons.record_from_data(data),
        parse_month("2018-01"),
        12,
        "zh",
    )
    assert rows[0].reason.startswith("居住就业落户，条件 缴纳社保：社保：连续缴纳")
    periods = persons.reason_periods(rows)
    assert len(periods) == 1 and month_label(periods[0][1]) == "2018-12"


def test_history_is_continued_when_asked():
    record = load_person(ROOT / "docs" / "examples" / "person-xie.yaml")
    extended = persons.extend_history(record, "ningbo", parse_month("2021-12"))
    assert max(last for _, last in extended.social_insurance["ningbo"]) == parse_month("2021-12")
    assert persons.extend_history(record, "hangzhou", parse_month("2021-12")) is record


def test_a_bad_person_file_lists_its_problems():
    with pytest.raises(PersonFileError, match="unknown province"):
        persons.load_text(
            "birth: 1990-01\nsex: female\neducation: {level: college}\norigin: {hukou: rural, "
            "province: atlantis}\narrived: {ningbo: 2015-01}\n",
            "me.yaml",
        )
    with pytest.raises(PersonFileError, match="not valid YAML"):
        persons.load_text("birth: [", "me.yaml")


def test_points_ledger_under_a_points_scheme():
    data = persons.resolve_template(persons.household_types()["steady_renter"], parse_month("2022-01"), "nanjing")
    rows = persons.timeline(
        load_scenario("nanjing-suzhou-points"),
        "nanjing",
        persons.record_from_data(data),
        parse_month("2023-05"),
        4,
        "en",
    )
    ledger = persons.ledger_frame({"Nanjing": rows})
    assert {"social_insurance", "residence"} <= set(ledger["item"])
    assert rows[-1].points > rows[0].points
