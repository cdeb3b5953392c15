"""Acceptance: the calibrated Ningbo 2019 preset against seed 000, over 10 fresh seeds.

Checks the scenario that ``python -m calibration fit`` saved (``scenarios/calibrated/``), at the
size it was fitted at (20,000 agents, 2018-01..2019-12). The 12,727 figure is reproduced within 5%;
the +19.1% growth is not, and cannot be with behavioural parameters (docs/calibration.md): the
preset's reform multiplies eligibility about fivefold, so every parameter vector that gets the
level right gives a growth of several hundred percent. That test is a strict xfail: it documents
the gap and fails loudly if a change to the presets closes it.
"""

from __future__ import annotations

import pytest

from calibration.evaluate import Evaluator
from calibration.targets import load_targets

from .conftest import NINGBO_TARGETS, ROOT

CALIBRATED = ROOT / "scenarios" / "calibrated" / "ningbo-2019-reform-calibrated.yaml"
SEEDS = list(range(1000, 1010))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CALIBRATED.is_file(), reason="run `python -m calibration fit` first"),
]


@pytest.fixture(scope="module")
def card():
    targets = load_targets(NINGBO_TARGETS)
    targets = targets.model_copy(update={"scenario": str(CALIBRATED), "parameters": {}})
    evaluator = Evaluator(targets, backend="serial", progress=False)
    values = evaluator.values([{}], SEEDS)
    return values.groupby("target")["value"].mean()


def test_settled_within_5_percent(card):
    assert card["settled_2019_reform"] == pytest.approx(12727, rel=0.05)


@pytest.mark.xfail(strict=True, reason="structural: the preset's reform multiplies eligibility ~5x (see docs)")
def test_growth_within_3_points(card):
    assert card["growth_on_2018"] == pytest.approx(0.191, abs=0.03)
