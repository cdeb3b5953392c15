"""Person files: parsing, validation errors, and the one-household population they become."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.errors import PersonFileError, ScenarioError
from sim.months import month_index
from sim.person import (
    PROVINCE_INDEX,
    load_person,
    parse_month_range,
    person_population,
    validate_person,
)
from sim.population import CHILD, HEAD, MIGRANT, PARENT, SETTLED, SPOUSE
from sim.scenario import load_scenario
from tests.builders import ledger, months

HERE = Path(__file__).parent
CASES = HERE / "cases"
BROKEN = HERE / "broken"
EXAMPLE = HERE.parents[1] / "docs" / "examples" / "person-xie.yaml"
T = month_index(2019, 10)


@pytest.fixture(scope="module")
def reform():
    return load_scenario("ningbo-2019-reform")


def person_data(**changes):
    data = {
        "birth": "1990-01",
        "sex": "female",
        "education": {"level": "college", "graduated": "2012-07"},
        "origin": {"hukou": "rural", "province": "hunan"},
        "arrived": {"ningbo": "2014-03"},
    }
    data.update(changes)
    return data


def problems_of(err: pytest.ExceptionInfo[PersonFileError]) -> list[str]:
    return [str(p) for p in err.value.problems]


# ------------------------------------------------------------------------------------ month ranges


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-04..2017-12", (month_index(2014, 4), month_index(2017, 12))),
        ("2018-05", (month_index(2018, 5), month_index(2018, 5))),
        (" 2018-5 .. 2018-06 ", (month_index(2018, 5), month_index(2018, 6))),
        ("2018-05..2018-05", (month_index(2018, 5), month_index(2018, 5))),
    ],
)
def test_month_ranges_parse(text, expected):
    assert parse_month_range(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2018-13..2019-01", "got '2018-13'"),
        ("2019-05..2018-03", "ends (2018-03) before it starts (2019-05)"),
        ("2018-01...2018-02", "expected a month"),
        ("since 2018", "expected a month range"),
    ],
)
def test_bad_month_ranges_are_rejected(text, fragment):
    with pytest.raises(ValueError) as err:
        parse_month_range(text)
    assert fragment in str(err.value)


# -------------------------------------------------------------------------------------- loading


def test_example_person_file_loads():
    record = load_person(EXAMPLE)
    assert record.birth == month_index(1995, 3)
    assert record.education.level == "college"
    assert record.origin.province == "hunan"
    assert record.arrived == {"ningbo": month_index(2016, 7)}
    assert len(record.paid_months("ningbo")) == 29 + 6
    assert record.back_paid == {}


def test_design_example_back_paid_empty_list_means_none():
    record = validate_person(person_data(back_paid=[]), {}, "<test>")
    assert record.back_paid == {}


def test_unknown_key_suggests_nearest(tmp_path):
    with pytest.raises(PersonFileError) as err:
        load_person(BROKEN / "unknown_key.yaml")
    text = "\n".join(problems_of(err))
    assert "unknown_key.yaml:3: 'educaton': unknown key 'educaton'. Hint: did you mean 'education'?" in text
    assert "'education': is required but missing" in text  # every problem at once


def test_bad_month_in_range_names_file_path_and_line():
    with pytest.raises(PersonFileError) as err:
        load_person(BROKEN / "bad_month_range.yaml")
    (problem,) = problems_of(err)
    assert "bad_month_range.yaml:7: 'social_insurance.ningbo[0]'" in problem
    assert "in range '2018-13..2019-01': expected a month 'YYYY-MM', got '2018-13'" in problem


def test_range_ending_before_start_is_rejected():
    with pytest.raises(PersonFileError) as err:
        load_person(BROKEN / "range_reversed.yaml")
    (problem,) = problems_of(err)
    assert "range_reversed.yaml:7: 'social_insurance.ningbo[1]'" in problem
    assert "ends (2018-03) before it starts (2019-05); write the earlier month first" in problem


def test_settled_relative_must_be_listed():
    with pytest.raises(PersonFileError) as err:
        load_person(BROKEN / "settled_without_relative.yaml")
    (problem,) = problems_of(err)
    assert "'household.settled.spouse'" in problem
    assert "Hint: add household.spouse: true" in problem


def test_unknown_province_suggests_nearest():
    with pytest.raises(PersonFileError) as err:
        load_person(BROKEN / "unknown_province.yaml")
    assert "unknown province 'hunnan'; did you mean 'hunan'?" in problems_of(err)[0]


def test_renamed_key_gets_migration_hint():
    with pytest.raises(PersonFileError) as err:
        validate_person(person_data(title="intermediate"), {}, "<test>")
    assert "'title' is written skill" in problems_of(err)[0]


def test_parent_applicant_needs_a_child():
    with pytest.raises(PersonFileError) as err:
        validate_person(person_data(applicant="parent"), {}, "<test>")
    assert "household.children lists no child" in problems_of(err)[0]


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(PersonFileError, match="file not found"):
        load_person(tmp_path / "nobody.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(PersonFileError, match="must be a mapping of keys, got list"):
        load_person(path)


def test_date_values_are_calendar_months():
    # A birthday on the 20th is in its own month: the mid-month rule is for rule dates only.
    record = validate_person(person_data(birth="1991-04-20"), {}, "<test>")
    assert record.birth == month_index(1991, 4)


# ----------------------------------------------------------------------------------- population


def test_ledger_built_month_by_month_matches_months_ago(reform):
    record = load_person(CASES / "gap_5_months_ago.yaml")
    pop, row = person_population(record, reform, "ningbo", T)
    # Paid 2016-04..2019-03 (42..7 months ago) and 2019-06..2019-09 (4..1 months ago).
    expected = ledger(months(1, 4) | months(7, 42))
    assert pop.social_insurance.lo[row] == expected.lo[0]
    assert pop.social_insurance.hi[row] == expected.hi[0]
    assert pop.social_insurance.lifetime[row] == 40
    assert pop.employed_months[row] == 40  # default: the months with social insurance
    assert pop.city_since[row] == month_index(2016, 3)
    assert pop.status[row] == MIGRANT


def test_back_paid_months_are_paid_and_marked(reform):
    record = load_person(CASES / "back_paid.yaml")
    pop, row = person_population(record, reform, "ningbo", T)
    back = ledger(months(3, 4))  # 2019-06 and 2019-07
    assert pop.back_paid.lo[row] == back.lo[0]
    paid = ledger(months(1, 32))  # 2017-02 .. 2019-09 without a gap
    assert pop.social_insurance.lo[row] == paid.lo[0]
    assert pop.social_insurance.hi[row] == paid.hi[0]


def test_history_stops_before_the_application_month(reform):
    record = load_person(EXAMPLE)
    earlier, _ = person_population(record, reform, "ningbo", month_index(2017, 1))
    # 2016-08 .. 2016-12 paid: five months, the last one just ended.
    assert earlier.social_insurance.lifetime[0] == 5
    assert earlier.social_insurance.lo[0] == np.uint64(0b11111)


def test_region_ledgers_combine_member_cities():
    scenario = load_scenario(HERE / "two-cities.yaml")
    record = load_person(CASES / "two_cities.yaml")
    pop, row = person_population(record, scenario, "ningbo", T)
    assert pop.social_insurance.lifetime[row] == 20  # Ningbo only
    (yrd,) = pop.region_paid
    assert yrd.lifetime[row] == 35 + 20  # Hangzhou and Ningbo; Shanghai is in no region


def test_parent_applicant_household_roles(reform):
    record = load_person(CASES / "parent_joins_child.yaml")
    pop, row = person_population(record, reform, "ningbo", T)
    assert row == 0
    assert pop.role.tolist() == [PARENT, HEAD, CHILD, CHILD]
    assert pop.status.tolist() == [MIGRANT, SETTLED, MIGRANT, MIGRANT]
    assert len(set(pop.household.tolist())) == 1
    assert np.allclose(pop.floor_area_m2, 60.0)


def test_self_applicant_household_roles(reform):
    data = person_data(household={"spouse": True, "children": ["2016-09"], "settled": {"spouse": True}})
    record = validate_person(data, {}, "<test>")
    pop, _ = person_population(record, reform, "ningbo", T)
    assert pop.role.tolist() == [HEAD, SPOUSE, CHILD]
    assert pop.status.tolist() == [MIGRANT, SETTLED, MIGRANT]
    assert pop.birth_month[2] == month_index(2016, 9)


def test_child_applicant_household_roles(reform):
    data = person_data(
        applicant="child",
        household={"spouse": True, "parents": ["1960-01", "1962-03"], "settled": {"parents": True}},
    )
    record = validate_person(data, {}, "<test>")
    pop, _ = person_population(record, reform, "ningbo", T)
    assert pop.role.tolist() == [CHILD, CHILD, HEAD, SPOUSE]
    assert pop.status.tolist() == [MIGRANT, MIGRANT, SETTLED, SETTLED]


def test_person_fields(reform):
    record = load_person(EXAMPLE)
    pop, row = person_population(record, reform, "ningbo", month_index(2019, 9))
    assert pop.origin_province[row] == PROVINCE_INDEX["hunan"]
    assert bool(pop.is_rural[row])
    assert pop.permit_month[row] == month_index(2017, 1)
    assert pop.community_since[row] == month_index(2017, 3)
    assert not bool(pop.is_male[row])


def test_city_must_be_in_scenario_and_arrival_given(reform):
    record = load_person(EXAMPLE)
    with pytest.raises(ScenarioError, match="cities in this scenario: ningbo"):
        person_population(record, reform, "hangzhou", T)
    data = person_data(arrived={"hangzhou": "2014-03"})
    with pytest.raises(PersonFileError, match="gives no arrival month in 'ningbo'"):
        person_population(validate_person(data, {}, "<test>"), reform, "ningbo", T)
    with pytest.raises(PersonFileError, match="is not before the month of application 2015-01"):
        person_population(record, reform, "ningbo", month_index(2015, 1))
