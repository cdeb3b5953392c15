"""A resolved scenario written out (manifests, sweeps) reads back as the same scenario."""

from __future__ import annotations

import pytest

from sim.errors import ScenarioError
from sim.scenario import Scenario, load_scenario
from sim.scenario.schema import Conditions, CountRule, RateItem
from tests.conftest import FIXTURES, SCENARIOS


@pytest.mark.parametrize(
    "path", [FIXTURES / "two-cities-points.yaml", SCENARIOS / "ningbo" / "ningbo-2019-reform.yaml"]
)
def test_dump_and_reload(path):
    scenario = load_scenario(path)
    dumped = scenario.model_dump(mode="json", by_alias=True)
    assert dumped["start"] == "2018-01"
    assert Scenario.model_validate(dumped) == scenario


def test_tax_rules_cannot_claim_regional_recognition():
    with pytest.raises(ValueError, match="only social-insurance months are recorded per region"):
        Conditions(tax=CountRule(count="cumulative", months=12, recognised_in=("delta",)))
    with pytest.raises(ValueError, match="social_insurance_months only"):
        RateItem(kind="rate", of="tax_months", points=1, recognised_in=("delta",))


def test_tax_recognition_is_reported_with_its_location(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        f"extends: {FIXTURES / 'two-cities-points.yaml'}\nid: s\ncities:\n  beta:\n"
        "    rules:\n      - from: 2018-01-01\n"
        "        channels:\n          property:\n            routes:\n"
        "              shop: {tax: {count: cumulative, months: 12, recognised_in: [delta]}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problem = caught.value.problems[0]
    assert problem.path.endswith("routes.shop")
    assert problem.line == 10
