from __future__ import annotations

import pytest

from calibration.targets import TargetsError, load_targets

from .conftest import NINGBO_TARGETS, tiny_targets, write_yaml


def test_ningbo_targets_file_is_valid():
    targets = load_targets(NINGBO_TARGETS)
    assert targets.targets["settled_2019_reform"].value == 12727
    assert targets.targets["growth_on_2018"].value == pytest.approx(0.191)
    assert sum(targets.targets["settled_2019_reform"].period.months.values()) == pytest.approx(2.2)  # 66 days
    assert all(t.source for t in targets.targets.values())
    assert targets.fit_targets() and set(targets.fit_targets()) < set(targets.targets)


def test_every_problem_reported_with_line_and_hint(tmp_path):
    doc = tiny_targets()
    doc["targets"]["settled"]["tolerence"] = {"relative": 0.05}  # typo
    doc["targets"]["formal"]["unit"] = "persons"  # wrong unit for formal_share
    del doc["targets"]["growth"]["baseline"]
    doc["parameters"]["behaviour.intention.application_rate"]["low"] = 0.5  # above high
    path = write_yaml(tmp_path / "bad.yaml", doc)
    with pytest.raises(TargetsError) as info:
        load_targets(path)
    text = str(info.value)
    assert len(info.value.problems) >= 4, text
    assert "did you mean 'tolerance'?" in text
    assert "measured in 'share'" in text
    assert "needs a 'baseline'" in text
    assert "must be below 'high'" in text
    assert all(p.line for p in info.value.problems), text


def test_bad_months_and_unknown_indicator(tmp_path):
    doc = tiny_targets()
    doc["targets"]["settled"]["period"] = {"months": {"2019-9": 1.0, "2019-10": 1.5}}
    doc["targets"]["formal"]["indicator"] = "formal_shares"
    with pytest.raises(TargetsError) as info:
        load_targets(write_yaml(tmp_path / "bad.yaml", doc))
    text = str(info.value)
    assert "is not YYYY-MM" in text
    assert "did you mean 'formal_share'?" in text


def test_parameter_not_in_scenario_is_reported(tmp_path):
    doc = tiny_targets()
    doc["parameters"]["behaviour.intention.applicaton_rate"] = {"low": 0.1, "high": 0.2}
    doc["targets"]["settled"]["city"] = "hangzhou"
    with pytest.raises(TargetsError) as info:
        load_targets(write_yaml(tmp_path / "bad.yaml", doc))
    assert "rejects the low bounds" in str(info.value)


def test_unknown_city(tmp_path):
    doc = tiny_targets()
    doc["targets"]["settled"]["city"] = "hangzhou"
    with pytest.raises(TargetsError, match="city 'hangzhou' not in the scenario"):
        load_targets(write_yaml(tmp_path / "bad.yaml", doc))


def test_holdout_switches_roles(tmp_path):
    targets = load_targets(write_yaml(tmp_path / "t.yaml", tiny_targets()))
    moved = targets.with_holdout(["formal"])
    assert set(moved.fit_targets()) == {"settled", "growth"}
    with pytest.raises(TargetsError):
        targets.with_holdout(["nope"])


def test_cli_check(capsys, tmp_path):
    from calibration.cli import main

    assert main(["check", str(NINGBO_TARGETS)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tiny_targets()
    bad["targets"]["settled"]["value"] = "many"
    assert main(["check", str(write_yaml(tmp_path / "bad.yaml", bad))]) == 2
    assert "targets.settled.value" in capsys.readouterr().err


def test_sim_never_imports_calibration():
    from pathlib import Path

    sim = Path(__file__).resolve().parents[2] / "sim"
    offenders = [
        p for p in sim.rglob("*.py") if "import calibration" in p.read_text() or "from calibration" in p.read_text()
    ]
    assert not offenders
