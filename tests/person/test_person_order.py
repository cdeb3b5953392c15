"""Person files that contradict themselves or the application are refused with a located message."""

from __future__ import annotations

import pytest

from sim.errors import PersonFileError
from sim.explain import check
from sim.months import month_index
from sim.person import person_population, validate_person
from sim.scenario import load_scenario
from tests.person.test_person import person_data

T = month_index(2019, 10)


@pytest.fixture(scope="module")
def reform():
    return load_scenario("ningbo-2019-reform")


@pytest.mark.parametrize(
    ("changes", "path", "fragment"),
    [
        (
            {"arrived": {"ningbo": "1989-05"}},
            "arrived.ningbo",
            "expected an arrival after birth (1990-01), found 1989-05",
        ),
        ({"birth": "0000-01"}, "birth", "expected a date from 1900-01 to 2200-12, got '0000-01'"),
        ({"birth": "2800-01"}, "birth", "expected a date from 1900-01 to 2200-12, got '2800-01'"),
        (
            {"housing": {"community_since": "1985-02"}},
            "housing.community_since",
            "expected a month after birth (1990-01), found 1985-02",
        ),
        (
            {"household": {"children": ["1988-03"]}},
            "household.children[0]",
            "expected a child born after the person (1990-01), found 1988-03",
        ),
        (
            {"household": {"parents": ["1995-03"]}},
            "household.parents[0]",
            "expected a parent born before the person (1990-01), found 1995-03",
        ),
        ({"housing": {"floor_area_m2": float("nan")}}, "housing.floor_area_m2", "found NaN (not a number)"),
        ({"honours": float("inf")}, "honours", "expected a finite number, found inf (infinite)"),
        (
            {"social_insurance": {"ningbo": ["2014-04..2800-01"]}},
            "social_insurance.ningbo[0]",
            "in range '2014-04..2800-01': expected a date from 1900-01 to 2200-12",
        ),
    ],
)
def test_contradictions_in_the_file_are_refused(changes, path, fragment):
    with pytest.raises(PersonFileError) as err:
        validate_person(person_data(**changes), {}, "p.yaml")
    found = [p for p in err.value.problems if p.path == path]
    assert found and fragment in found[0].message, err.value.problems


def test_a_bad_value_is_quoted_by_a_short_prefix_only():
    with pytest.raises(PersonFileError) as err:
        validate_person(person_data(birth="1" * 10_000), {}, "p.yaml")
    text = str(err.value)
    assert "10,002 characters" in text and len(text) < 400


@pytest.mark.parametrize(
    ("changes", "path", "fragment"),
    [
        (
            {"education": {"level": "college", "graduated": "2019-11"}},
            "education.graduated",
            "expected a graduation before the month of application (2019-10), found 2019-11",
        ),
        (
            {"housing": {"community_since": "2013-01"}},
            "housing.community_since",
            "expected a month on or after the arrival in 'ningbo' (2014-03), found 2013-01",
        ),
    ],
)
def test_contradictions_with_the_application_are_refused(reform, changes, path, fragment):
    record = validate_person(person_data(**changes), {}, "p.yaml")
    with pytest.raises(PersonFileError) as err:
        check(reform, "ningbo", T, record)
    assert [p.path for p in err.value.problems] == [path]
    assert fragment in err.value.problems[0].message


def test_a_graduation_after_an_earlier_evaluation_month_is_no_contradiction(reform):
    record = validate_person(person_data(education={"level": "college", "graduated": "2019-08"}), {}, "p.yaml")
    population, row = person_population(record, reform, "ningbo", month_index(2019, 6))  # as grandfathering does
    assert population.graduated_month[row] == month_index(2019, 8)
