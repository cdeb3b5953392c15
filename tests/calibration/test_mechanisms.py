"""compare-mechanisms on a constructed case: the variant that generated the data must win."""

from __future__ import annotations

import pytest
import yaml

from calibration.cli import main
from calibration.evaluate import Evaluator, means
from calibration.mechanisms import choose, information_criteria, load_variant
from calibration.targets import TargetsError, load_targets

from .conftest import tiny_targets, write_yaml

SLOW = {"behaviour.awareness.monthly_rate": 0.05, "behaviour.employment.informal_to_formal": 0.01}
INSTANT = {"behaviour.awareness.monthly_rate": 1.0, "behaviour.employment.informal_to_formal": 0.01}
FREE = {"behaviour.intention.application_rate": {"low": 0.02, "high": 0.2, "prior": "loguniform"}}
SEEDS = [0]


def _variant(tmp_path, name, overrides):
    doc = {"id": name, "title": name, "overrides": overrides, "parameters": FREE}
    return write_yaml(tmp_path / f"{name}.yaml", doc)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Targets made by the slow-awareness mechanism at application rate 0.06 (the fit's seeds)."""
    tmp = tmp_path_factory.mktemp("mechanisms")
    scratch = load_targets(write_yaml(tmp / "scratch.yaml", tiny_targets()), check_scenario=False)
    evaluator = Evaluator(scratch, backend="serial", progress=False, fixed=SLOW)
    truth = means(evaluator.values([{"behaviour.intention.application_rate": 0.06}], SEEDS)).iloc[0]
    doc = tiny_targets({k: float(truth[k]) for k in ("settled", "formal", "growth")})
    doc["targets"]["growth"] |= {"use": "fit", "tolerance": {"absolute": 0.1}}
    doc["targets"]["formal"]["use"] = "holdout"
    return tmp, write_yaml(tmp / "targets.yaml", doc)


def test_the_generating_mechanism_wins(generated, capsys):
    tmp, targets = generated
    out = tmp / "out"
    argv = ["compare-mechanisms", str(targets), "--variant", str(_variant(tmp, "slow", SLOW))]
    argv += ["--variant", str(_variant(tmp, "instant", INSTANT)), "--out", str(out)]
    argv += ["--budget", "8", "--seeds", "1", "--scorecard-seeds", "2", "--backend", "serial", "--quiet"]
    assert main(argv) == 0
    table = yaml.safe_load((out / "comparison.json").read_text(encoding="utf-8"))
    assert table["chosen"] == "slow"
    text = (out / "comparison.md").read_text(encoding="utf-8")
    assert "The data choose **slow**" in text
    rows = {
        line.split("|")[1].strip(): line
        for line in text.splitlines()
        if line.startswith("| slow") or line.startswith("| instant")
    }
    assert set(rows) == {"slow", "instant"}
    for name in ("slow", "instant"):
        assert (out / name / "scorecard.md").is_file() and (out / name / "parameters.csv").is_file()
    assert "comparison" in capsys.readouterr().out


def test_criteria_and_choice_arithmetic():
    import math

    import pandas as pd

    assert information_criteria(3.0, 2, 4) == pytest.approx((7.0, 3.0 + 2 * math.log(4)))
    table = pd.DataFrame({"variant": ["a", "b", "c"], "aic": [10.0, 4.0, 5.0]})
    assert choose(table) is None  # b leads c by 1 < 2: two mechanisms that fit alike are no choice
    assert choose(table.assign(aic=[10.0, 4.0, 7.0])) == "b"


def test_a_bad_variant_file_is_reported_with_its_key(tmp_path):
    path = write_yaml(tmp_path / "v.yaml", {"id": "x", "overides": {}})
    with pytest.raises(TargetsError) as info:
        load_variant(path)
    assert "unknown key 'overides'" in str(info.value) and "did you mean 'overrides'?" in str(info.value)
    with pytest.raises(TargetsError, match="variant file not found"):
        load_variant(tmp_path / "missing.yaml")
    targets = write_yaml(tmp_path / "t.yaml", tiny_targets())
    bad = write_yaml(tmp_path / "bad.yaml", {"id": "bad", "overrides": {"behaviour.no_such_rate": 0.1}})
    good = _variant(tmp_path, "good", SLOW)
    assert main(["compare-mechanisms", str(targets), "--variant", str(bad), "--variant", str(good), "--quiet"]) == 2


def test_the_ningbo_variants_load_and_fit_the_scenario():
    from calibration.mechanisms import check_variant

    from .conftest import NINGBO_TARGETS, ROOT

    targets = load_targets(NINGBO_TARGETS)
    folder = ROOT / "calibration" / "variants" / "ningbo-2019"
    variants = {v.id: v for v in (load_variant(p) for p in sorted(folder.glob("*.yaml")))}
    assert set(variants) == {
        "slow-awareness",
        "instant-awareness",
        "announced-awareness",
        "announced-preparation",
        "pipeline",
    }
    for variant in variants.values():
        check_variant(variant, targets)
    assert variants["instant-awareness"].overrides == {"behaviour.awareness.monthly_rate": 1.0}
    assert set(variants["slow-awareness"].parameters) == set(targets.parameters)
    # The mechanisms of the announcement and the pipeline fit two parameters, as slow awareness does.
    for name in ("announced-awareness", "announced-preparation", "pipeline"):
        assert len(variants[name].parameters) == 2
