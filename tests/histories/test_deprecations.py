"""``postgraduate`` is read as ``master`` (tables: both); ``validate`` and ``describe`` say where it is written."""

from __future__ import annotations

from pathlib import Path

from sim.cli import main
from sim.scenario import load_scenario
from sim.scenario.deprecations import deprecation_notes

ROOT = Path(__file__).parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "two-cities-points.yaml"


def test_a_table_with_postgraduate_scores_master_and_doctorate():
    scenario = load_scenario(FIXTURE)
    table = scenario.cities["alpha"].rules[0].channels.points.items["education"]
    assert table.values == {"senior_secondary": 10, "college": 20, "bachelor": 30, "master": 40, "doctorate": 40}


def test_validate_notes_each_place_postgraduate_is_written(capsys, tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(
        FIXTURE.read_text(encoding="utf-8").replace("extends: ", f"extends: {FIXTURE.parent}/"), encoding="utf-8"
    )
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "old.yaml: ok" in out
    assert (
        f"note: {path}:34: 'cities.alpha.rules[0].channels.points.items.education.values.postgraduate': "
        "education level 'postgraduate' is deprecated and read as 'master'"
    ) in out
    assert "Hint: write 'master' or 'doctorate'" in out


def test_describe_prints_the_notes_apart_from_the_description(capsys):
    assert main(["describe", str(FIXTURE), "--lang", "en"]) == 0
    captured = capsys.readouterr()
    assert "'postgraduate' is deprecated" in captured.err
    assert "deprecated" not in captured.out


def test_presets_are_written_without_deprecated_levels():
    presets = sorted((ROOT / "scenarios").glob("*/*.yaml"))
    assert presets
    assert [str(p) for p in presets if deprecation_notes(p)] == []
