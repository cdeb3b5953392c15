"""A fixed-seed run whose summary is kept in tests/golden/.

On a deliberate change of behaviour, regenerate the file and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from sim.model import SettlementModel
from sim.scenario import load_scenario
from tests.conftest import FIXTURES

GOLDEN = FIXTURES.parent / "golden" / "two-cities-points-seed7.csv"
COLUMNS = ["migrants", "settled", "dependants_settled", "left", "eligible_any", "blocked_only_by_gap", "points_pool"]


def summary() -> pd.DataFrame:
    scenario = load_scenario(FIXTURES / "two-cities-points.yaml")
    monthly = SettlementModel.from_scenario(scenario, agents=2000, seed=7).run().monthly
    monthly["year"] = monthly["month"].str[:4]
    settled_cols = [c for c in monthly.columns if c.startswith("settled_") and c != "settled_total"]
    table = monthly.groupby(["city", "year"])[[*COLUMNS[1:4], *settled_cols]].sum()
    table = table.join(
        monthly.groupby(["city", "year"])[["migrants", "eligible_any", "blocked_only_by_gap", "points_pool"]].last()
    )
    return table.round(3).reset_index()


def test_golden_run():
    actual = summary()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        actual.to_csv(GOLDEN, index=False)
        pytest.skip(f"golden file rewritten: {GOLDEN}")
    expected = pd.read_csv(GOLDEN, dtype={"year": str})
    mismatched = []
    for (_, want), (_, got) in zip(expected.iterrows(), actual.iterrows(), strict=True):
        for column in expected.columns:
            same = want[column] == got[column] or (
                isinstance(want[column], float) and got[column] == pytest.approx(want[column], rel=1e-9)
            )
            if not same:
                mismatched.append(f"{want['city']} {want['year']} {column}: expected {want[column]}, got {got[column]}")
    assert not mismatched, (
        "The fixed-seed run no longer matches tests/golden/. If the change in behaviour is intended, "
        "regenerate with `UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py` and commit "
        "the new file with the reason. Differences:\n  " + "\n  ".join(mismatched[:20])
    )
