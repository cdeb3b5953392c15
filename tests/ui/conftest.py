from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
TINY = {"agents": "1000", "months": "24", "seeds": "2"}
"""Run settings small enough for a comparison to take well under a second (the reform starts in month 21)."""


@pytest.fixture(autouse=True)
def dashboard_dir(tmp_path, monkeypatch):
    """Uploads go to a temporary directory, never into out/."""
    monkeypatch.setenv("HUKOU_DASHBOARD_DIR", str(tmp_path / "dashboard"))
    return tmp_path / "dashboard"
