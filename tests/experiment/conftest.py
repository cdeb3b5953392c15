from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SCENARIOS

HERE = Path(__file__).resolve().parent
TWO_CITIES = FIXTURES / "two-cities-points.yaml"
REFORM = SCENARIOS / "ningbo" / "ningbo-2019-reform.yaml"
BASELINE = SCENARIOS / "ningbo" / "ningbo-2018-baseline.yaml"
CONTINUOUS = HERE / "ningbo-2019-continuous.yaml"
"""The 2019 reform with its contribution requirements counted continuously instead of cumulatively."""


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"
