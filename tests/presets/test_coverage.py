"""Every preset has at least one hand-computed person case in this folder."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SCENARIOS

SHARED = {"china-migrants", "beijing-migrants"}  # shared parameters, no rules of a real place


def test_every_preset_has_a_case():
    text = "\n".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    # Calibrated presets change behaviour only; their rules are their parent's, which has cases.
    calibrated = {p.stem for p in (SCENARIOS / "calibrated").glob("*.yaml")}
    presets = {p.stem for p in SCENARIOS.rglob("*.yaml")} - SHARED - calibrated
    missing = sorted(p for p in presets if f'"{p}"' not in text and f"= {p!r}" not in text)
    assert not missing, f"presets without a hand-computed case in tests/presets: {missing}"


def test_calibrated_presets_keep_their_parents_rules():
    from sim.scenario import load_scenario

    for path in (SCENARIOS / "calibrated").glob("*.yaml"):
        calibrated = load_scenario(path)
        parent = load_scenario(path.parent / calibrated.extends)
        assert calibrated.cities.keys() == parent.cities.keys()
        for city_id, city in calibrated.cities.items():
            assert city.rules == parent.cities[city_id].rules, path.name
