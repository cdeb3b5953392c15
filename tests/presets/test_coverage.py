"""Every preset has at least one hand-computed person case in this folder."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SCENARIOS

SHARED = {"china-migrants"}  # shared parameters, no rules of a real place


def test_every_preset_has_a_case():
    text = "\n".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    presets = {p.stem for p in SCENARIOS.rglob("*.yaml")} - SHARED
    missing = sorted(p for p in presets if f'"{p}"' not in text and f"= {p!r}" not in text)
    assert not missing, f"presets without a hand-computed case in tests/presets: {missing}"
