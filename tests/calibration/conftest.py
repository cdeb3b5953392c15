from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REFORM = ROOT / "scenarios" / "ningbo" / "ningbo-2019-reform.yaml"
NINGBO_TARGETS = ROOT / "calibration" / "targets" / "ningbo-2019.yaml"
PERIOD = {"from": "2019-09-15", "to": "2019-11-20", "months": {"2019-09": 1.0, "2019-10": 1.0, "2019-11": 0.2}}
BASELINE = {"from": "2018-09-15", "to": "2018-11-20", "months": {"2018-09": 1.0, "2018-10": 1.0, "2018-11": 0.2}}
YEAR_2018 = {"months": {f"2018-{m:02d}": 1.0 for m in range(1, 13)}}


def tiny_targets(values: dict[str, float] | None = None, **changes) -> dict:
    """A small targets document over the Ningbo reform preset (2,000 agents, 24 months)."""
    values = values or {}
    doc = {
        "id": "tiny",
        "title": "tiny recovery test",
        "scenario": str(REFORM),
        "run": {"agents": 2000, "months": 24},
        "fit": {"seeds": 2, "budget": 24, "scorecard_seeds": 3},
        "parameters": {
            "behaviour.intention.application_rate": {"low": 0.02, "high": 0.2, "prior": "loguniform"},
            "behaviour.employment.informal_to_formal": {"low": 0.004, "high": 0.03, "prior": "loguniform"},
        },
        "targets": {
            "settled": {
                "indicator": "settled_persons",
                "city": "ningbo",
                "period": PERIOD,
                "value": values.get("settled", 12727),
                "unit": "persons",
                "tolerance": {"relative": 0.05},
                "source": "test",
            },
            "formal": {
                "indicator": "formal_share",
                "city": "ningbo",
                "period": YEAR_2018,
                "value": values.get("formal", 0.25),
                "unit": "share",
                "tolerance": {"absolute": 0.01},
                "source": "test",
            },
            "growth": {
                "indicator": "growth",
                "city": "ningbo",
                "period": PERIOD,
                "baseline": BASELINE,
                "value": values.get("growth", 1.0),
                "unit": "share",
                "tolerance": {"absolute": 0.5},
                "source": "test",
                "use": "holdout",
            },
        },
    }
    doc.update(changes)
    return doc


def write_yaml(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_result():
    """One seed of the reform preset at 2,000 agents over 2018-01..2019-12."""
    from sim import experiment

    spec = experiment.RunSpec(str(REFORM), seed=0, agents=2000, months=24)
    return experiment.run([spec], backend="serial", progress=False)
