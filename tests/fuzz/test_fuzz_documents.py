"""Fuzzing: every mutated scenario or person document is either refused with located messages, or runs.

Documents go through the same path as a file (YAML text → bounded reader → schema). A valid
scenario must run a short simulation; a valid person file must be checked. Any other exception
fails the test, as does an example taking more than 5 s (Hypothesis' deadline).
"""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError, SimError
from sim.explain import check
from sim.model import SettlementModel
from sim.months import month_index
from sim.person import validate_person
from sim.scenario import load_scenario
from sim.scenario.loader import validate_scenario
from sim.scenario.yamlsource import parse_yaml
from tests.conftest import FIXTURES
from tests.fuzz.strategies import mutated

SCENARIO_BASE = load_scenario(FIXTURES / "two-cities-points.yaml").model_dump(mode="json", by_alias=True)
PERSON_BASE = {
    "birth": "1990-01",
    "sex": "female",
    "education": {"level": "college", "graduated": "2012-07"},
    "skill": "intermediate",
    "origin": {"hukou": "rural", "province": "hunan", "has_land": True},
    "arrived": {"ningbo": "2014-03"},
    "social_insurance": {"ningbo": ["2014-04..2017-12", "2018-03..2019-08"]},
    "back_paid": {"ningbo": ["2018-01..2018-02"]},
    "residence_permit": {"ningbo": "2014-10"},
    "housing": {"tenure": "rent", "community_since": "2016-05", "floor_area_m2": 38.0},
    "household": {"spouse": True, "children": ["2016-09"], "parents": ["1960-01"], "others": 1},
    "honours": 1,
}
FUZZ = settings(
    max_examples=60,
    deadline=5000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MAX_MESSAGE_CHARS = 600
"""A problem's text: where, what, found (a short prefix at most) and a hint."""


@pytest.fixture(scope="module")
def reform():
    return load_scenario("ningbo-2019-reform")


def _as_file(data, name, error=ScenarioError):
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return parse_yaml(text, name, error=error)


def _assert_located(err: ScenarioError, name: str) -> None:
    assert err.problems, "an error without problems"
    for problem in err.problems:
        text = str(problem)
        assert problem.file and problem.message, problem
        assert len(text) <= MAX_MESSAGE_CHARS, text[:200]
        assert "Input should be a finite number" not in text  # NaN and infinities have their own message


@FUZZ
@given(st.one_of(mutated(SCENARIO_BASE), mutated(SCENARIO_BASE, hostile=False)))
def test_a_mutated_scenario_is_refused_or_runs(data):
    try:
        loaded, origins = _as_file(data, "fuzz.yaml")
        scenario = validate_scenario(loaded, origins, "fuzz.yaml")
    except ScenarioError as err:
        _assert_located(err, "fuzz.yaml")
        event("refused by validation")
        return
    try:
        model = SettlementModel.from_scenario(scenario, agents=200, seed=1, months=min(3, scenario.months))
    except ScenarioError as err:  # a size refused before synthesis
        _assert_located(err, "fuzz.yaml")
        event("refused before synthesis")
        return
    result = model.run(progress=False)
    event("ran")
    counts = result.monthly.select_dtypes("number").drop(columns=["mean_points"], errors="ignore")
    assert counts.notna().all().all() and all(math.isfinite(v) for v in counts.to_numpy().ravel())


@FUZZ
@given(st.one_of(mutated(PERSON_BASE), mutated(PERSON_BASE, hostile=False)))
def test_a_mutated_person_file_is_refused_or_checked(reform, data):
    try:
        loaded, origins = _as_file(data, "person.yaml")
        record = validate_person(loaded, origins, "person.yaml")
        report = check(reform, "ningbo", month_index(2019, 10), record)
    except SimError as err:
        if isinstance(err, ScenarioError):
            _assert_located(err, "person.yaml")
        event("refused")
        return
    event("checked")
    assert report.to_dict()
