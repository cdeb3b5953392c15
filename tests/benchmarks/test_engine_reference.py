"""The plain-Mesa reference of ``benchmarks/engine.py`` simulates the engine's month.

A speed-up over a reference means something only if the reference computes the same thing: the
benchmark exits with status 1 when the two models' totals disagree beyond sampling noise. These
tests run that same check at a small size and show that it can fail.
"""

import sys
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import engine  # noqa: E402


@pytest.mark.slow
def test_engine_and_mesa_reference_agree_over_the_same_months():
    months = 48
    small = engine.run_engine(1000, months, seed=3)
    reference = engine.run_mesa(1000, months, seed=3)
    problems = engine.disagreements(
        engine.totals(small["result"].monthly), engine.totals(reference["monthly"]), small["model"].scale, months
    )
    assert problems == []
    assert small["result"].monthly["settled"].sum() > 0


def _totals(settled: float, eligible: float) -> pd.DataFrame:
    row = dict.fromkeys(engine.COMPARED, 0.0) | {"applied": settled, "settled": settled, "eligible_any": eligible}
    return pd.DataFrame([row], index=pd.Index(["metro"], name="city"))


def test_a_flow_outside_four_standard_errors_is_a_disagreement():
    # 400 against 280 agents: a difference of 120 against a standard error of sqrt(680) = 26.1.
    problems = engine.disagreements(_totals(400 * 50, 1e6), _totals(280 * 50, 1e6), persons_per_agent=50, months=1)
    assert [p.split(":")[0] for p in problems] == ["applied", "settled"]
    assert "(4.6 standard errors)" in problems[0]


def test_noise_within_tolerance_is_agreement():
    # 400 against 360 agents is 1.5 standard errors; eligible persons 5 % apart.
    assert engine.disagreements(_totals(400 * 50, 1.00e6), _totals(360 * 50, 1.05e6), 50, months=1) == []


def test_a_small_run_may_differ_by_more_than_ten_percent_within_its_noise():
    # 33 against 42 agents eligible a month: 24 % apart but 1.0 standard error.
    assert engine.disagreements(_totals(0, 33 * 120), _totals(0, 42 * 120), 1, months=120) == []


def test_a_stock_more_than_ten_percent_and_four_standard_errors_apart_is_a_disagreement():
    # 1,000 against 1,200 agents eligible a month: 18 % apart, 4.3 standard errors.
    problems = engine.disagreements(_totals(400, 1000 * 12), _totals(400, 1200 * 12), 1, months=12)
    assert len(problems) == 1 and problems[0].startswith("eligible_any")


def test_the_mesa_reference_refuses_a_kind_it_does_not_implement():
    """A condition, count, quantity or flag added to the engine stops the comparison until the reference has it."""
    import mesa_reference
    from pydantic import create_model

    from sim.scenario.schema import Conditions, CountRule, FlagItem, RateItem

    later = create_model("Later", __base__=Conditions, height_cm_min=(int | None, None))
    with pytest.raises(mesa_reference.UnsupportedKindError, match="route condition 'height_cm_min'"):
        mesa_reference.compile_route(later(height_cm_min=170), {})
    assert mesa_reference.compile_route(Conditions(age_min=20), {}) is not None
    rolling = CountRule.model_construct(count="rolling", months=12, window=None, back_paid_max=0, recognised_in=())
    with pytest.raises(mesa_reference.UnsupportedKindError, match="count 'rolling'"):
        mesa_reference.compile_count(rolling.model_copy(update={"counted_from": None}), "tax", {})
    with pytest.raises(mesa_reference.UnsupportedKindError, match="points flag 'owns_car'"):
        mesa_reference.compile_item(FlagItem.model_construct(kind="flag", of="owns_car", points=1), {})
    with pytest.raises(mesa_reference.UnsupportedKindError, match="points quantity 'patents'"):
        mesa_reference.compile_item(RateItem.model_construct(kind="rate", of="patents", points=1, per="count"), {})
