from __future__ import annotations

import numpy as np
import pytest

from calibration.indicators import COLLEGE_OR_ABOVE, target_value, target_values
from calibration.targets import load_targets

from .conftest import tiny_targets, write_yaml


def test_indicators_match_hand_computation(tiny_result, tmp_path):
    targets = load_targets(write_yaml(tmp_path / "t.yaml", tiny_targets()), check_scenario=False)
    monthly = tiny_result.monthly.set_index("month")
    persons = monthly["settled"] + monthly["dependants_settled"]
    reform = persons["2019-09"] + persons["2019-10"] + 0.2 * persons["2019-11"]
    before = persons["2018-09"] + persons["2018-10"] + 0.2 * persons["2018-11"]
    values = target_values(tiny_result, targets.targets).set_index("target")["value"]
    assert values["settled"] == pytest.approx(reform)
    assert values["growth"] == pytest.approx(reform / before - 1)
    assert values["formal"] == pytest.approx(monthly.loc["2018-01":"2018-12", "formal_share"].mean())
    assert reform > 0 and before > 0


def test_shares_from_settlers_table(tiny_result, tmp_path):
    doc = tiny_targets()
    targets = load_targets(write_yaml(tmp_path / "t.yaml", doc), check_scenario=False)
    base = targets.targets["settled"]
    settlers = tiny_result.settlers
    w = settlers["month"].map({"2019-09": 1.0, "2019-10": 1.0, "2019-11": 0.2}).fillna(0) * settlers["persons"]
    age = base.model_copy(update={"indicator": "share_aged_18_34", "unit": "share"})
    assert target_value(tiny_result.monthly, settlers, age) == pytest.approx(w[settlers.is_aged_18_34].sum() / w.sum())
    college = base.model_copy(update={"indicator": "share_college_or_above", "unit": "share", "adults_only": True})
    adult = settlers["age_band"] != "0-15"
    expected = w[adult & settlers.education.isin(COLLEGE_OR_ABOVE)].sum() / w[adult].sum()
    assert target_value(tiny_result.monthly, settlers, college) == pytest.approx(expected)
    # the settlers table agrees with the monthly counters on the persons settled in the period
    monthly = tiny_result.monthly.set_index("month")
    counted = sum(
        wt * (monthly.loc[m, "settled"] + monthly.loc[m, "dependants_settled"])
        for m, wt in {"2019-09": 1.0, "2019-10": 1.0, "2019-11": 0.2}.items()
    )
    assert np.isclose(w.sum(), counted, rtol=0.05)


def test_months_outside_the_run_are_an_error(tiny_result, tmp_path):
    targets = load_targets(write_yaml(tmp_path / "t.yaml", tiny_targets()), check_scenario=False)
    late = targets.targets["settled"].model_copy(
        update={"period": targets.targets["settled"].period.model_copy(update={"months": {"2021-01": 1.0}})}
    )
    with pytest.raises(ValueError, match="not simulated"):
        target_value(tiny_result.monthly, tiny_result.settlers, late, "late")


def test_a_point_repeated_in_one_batch_counts_its_run_once(tmp_path):
    from calibration.evaluate import Evaluator

    targets = load_targets(write_yaml(tmp_path / "t.yaml", tiny_targets()))
    evaluator = Evaluator(targets, backend="serial", progress=False)
    point = {name: p.from_unit(0.5) for name, p in targets.parameters.items()}
    once = evaluator.values([point], [0]).set_index("target")["value"]
    twice = evaluator.values([point, point], [0])
    for index in (0, 1):
        values = twice[twice["point"] == index].set_index("target")["value"]
        assert values.to_dict() == pytest.approx(once.to_dict())
