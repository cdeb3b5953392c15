from __future__ import annotations

from calibration import sensitivity
from calibration.evaluate import Evaluator
from calibration.targets import load_targets

from .conftest import tiny_targets, write_yaml


def test_morris_indices_and_plot(tmp_path):
    targets = load_targets(write_yaml(tmp_path / "t.yaml", tiny_targets()), check_scenario=False)
    evaluator = Evaluator(targets, store=tmp_path / "runs", backend="serial", progress=False)
    indices = sensitivity.morris(evaluator, trajectories=2, seeds=[0])
    assert set(indices["target"]) == set(targets.targets)
    assert set(indices["parameter"]) == set(targets.parameters)
    assert (indices["mu_star"] >= 0).all()
    by = indices.set_index(["target", "parameter"])["mu_star_scaled"]
    # the formal share responds to the employment rate, not to the application rate
    assert (
        by["formal", "behaviour.employment.informal_to_formal"] > by["formal", "behaviour.intention.application_rate"]
    )
    csv, png = sensitivity.write(tmp_path, indices, "test")
    assert csv.is_file() and png.stat().st_size > 1000
