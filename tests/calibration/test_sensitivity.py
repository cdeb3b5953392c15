from __future__ import annotations

import pytest

from calibration import sensitivity
from calibration.assumed import assumed_parameters, with_assumed
from calibration.cli import main
from calibration.evaluate import Evaluator
from calibration.targets import load_targets
from sim.scenario import load_scenario

from .conftest import REFORM, tiny_targets, write_yaml


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
    csv, md, png = sensitivity.write(tmp_path, indices, "test", targets)
    assert csv.is_file() and png.stat().st_size > 1000
    moved = sensitivity.most_moved(indices, targets).set_index("parameter")
    assert (
        moved.loc["behaviour.employment.informal_to_formal", "moves_most"]
        == by.xs("behaviour.employment.informal_to_formal", level="parameter").idxmax()
    )
    assert "| behaviour.employment.informal_to_formal | free |" in md.read_text(encoding="utf-8")


def test_every_assumed_behavioural_parameter_is_screened():
    targets = load_targets(write_yaml_tmp(tiny_targets()), check_scenario=False)
    assumed = assumed_parameters(targets)
    behaviour = load_scenario(REFORM).behaviour
    # the free ones are not repeated; every other number under `behaviour` is there
    assert not set(assumed) & set(targets.parameters)
    for key in ("behaviour.intention.intercept", "behaviour.awareness.monthly_rate", "behaviour.return_home_rate",
                "behaviour.retirement_age_male",
                "behaviour.employment.college_formal_multiplier"):  # fmt: skip
        assert key in assumed, key
    intercept = assumed["behaviour.intention.intercept"]
    assert (intercept.low, intercept.high) == pytest.approx(
        (behaviour.intention.intercept * 1.5, behaviour.intention.intercept * 0.5)
    )
    rate = assumed["behaviour.return_home_rate"]
    assert (rate.low, rate.high, rate.prior) == (
        behaviour.return_home_rate / 2,
        behaviour.return_home_rate * 2,
        "loguniform",
    )
    awareness = assumed["behaviour.awareness.monthly_rate"]
    assert awareness.high <= 1.0  # clipped to the schema's bound
    assert assumed["behaviour.retirement_age_male"].integer
    # every assumed range is accepted by the scenario at both ends
    for bound in ("low", "high"):
        values = {k: (int(getattr(p, bound)) if p.integer else getattr(p, bound)) for k, p in assumed.items()}
        load_scenario(REFORM, values)
    assert len(with_assumed(targets).parameters) == len(targets.parameters) + len(assumed)
    # the service-cost block is not written by the preset (no city declares a service): it cannot be moved
    assert not any(key.startswith("behaviour.service_cost.") for key in assumed)


def write_yaml_tmp(doc):
    import tempfile
    from pathlib import Path

    return write_yaml(Path(tempfile.mkdtemp()) / "t.yaml", doc)


def test_sensitivity_command_covers_free_and_assumed(tmp_path, capsys):
    targets = write_yaml(tmp_path / "t.yaml", tiny_targets())
    out = tmp_path / "out"
    argv = ["sensitivity", str(targets), "--out", str(out), "--trajectories", "2", "--seeds", "1"]
    assert main([*argv, "--agents", "500", "--backend", "serial", "--quiet"]) == 0
    import pandas as pd

    indices = pd.read_csv(out / "sensitivity.csv")
    kinds = indices.drop_duplicates("parameter").set_index("parameter")["kind"]
    assert kinds["behaviour.intention.application_rate"] == "free"
    assert kinds["behaviour.intention.intercept"] == "assumed"
    assert len(kinds) > 20
    table = (out / "sensitivity.md").read_text(encoding="utf-8")
    assert "| behaviour.intention.intercept | assumed |" in table
    assert "moves most" in capsys.readouterr().out.replace("moves_most", "moves most")
