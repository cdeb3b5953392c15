"""Nanjing's revised points scheme and Suzhou's admission score (seed 001): hand-computed cases.

All point values are the preset's marked assumptions; the cases check that the scheme adds
up as written, and the directions that seed 001 states.
"""

from __future__ import annotations

import pytest

from tests.presets.helpers import preset, run

SCENARIO = "nanjing-suzhou-points"


def test_renter_in_a_shortage_industry_old_and_new_scheme():
    """In Nanjing since 2018-06, paying every month; senior secondary; born 1985-01; renting.

    June 2023 (old scheme): social insurance 5 years × 5 = 25, residence 5 × 3 = 15,
    education 10, age 38 → 5: 55 points, ranked under a quota (no admission score).
    June 2024 (revised): social insurance 6 × 10 = 60, residence 6 × 6 = 36, education 5,
    shortage industry 20, renter 10: 131 ≥ 100.
    """
    old = run(SCENARIO, "nanjing", "2023-06", "nanjing_renter_shortage").points
    assert old.by_item == pytest.approx(
        {"social_insurance": 25, "residence": 15, "education": 10, "skill": 0, "age": 5, "honours": 0}
    )
    assert old.quota_persons == 10_000 and old.meets_threshold is None
    new = run(SCENARIO, "nanjing", "2024-06", "nanjing_renter_shortage").points
    assert new.by_item == pytest.approx(
        {"social_insurance": 60, "residence": 36, "education": 5, "skill": 0, "shortage_industry": 20, "renter": 10}
    )
    assert new.total == pytest.approx(131)
    assert new.quota_persons is None and new.meets_threshold


def test_months_paid_in_suzhou_count_in_nanjing_from_2023():
    """36 months in Suzhou (2017-01..2019-12), then Nanjing 2020-01..2024-05 (53 months).

    June 2024: social insurance (53 + 36) / 12 × 10 = 74.17; residence in Nanjing 53 months
    → 53 / 12 × 6 = 26.5; renter 10: 110.67 ≥ 100. Without recognition it would be
    53 / 12 × 10 + 26.5 + 10 = 80.67. Before 2023 (old scheme) only Nanjing months count:
    June 2023, 41 months → 41 / 12 × 5 = 17.08.
    """
    new = run(SCENARIO, "nanjing", "2024-06", "suzhou_then_nanjing").points
    assert new.by_item["social_insurance"] == pytest.approx(89 / 12 * 10, abs=1e-3)
    assert new.by_item["residence"] == pytest.approx(26.5)
    assert new.total == pytest.approx(89 / 12 * 10 + 26.5 + 10, abs=1e-3)
    assert new.meets_threshold
    old = run(SCENARIO, "nanjing", "2023-06", "suzhou_then_nanjing").points
    assert old.by_item["social_insurance"] == pytest.approx(41 / 12 * 5, abs=1e-3)


def test_suzhou_admission_score_changes_on_2024_01_01():
    """College 20, renter 5, social insurance and residence since 2017-01 at 8 and 4 a year.

    December 2023: 83 months → 55.33 + 27.67 + 25 = 108 < 120. January 2024: 84 months →
    56 + 28 + 25 = 109 ≥ 100 (the assumed new score).
    """
    december = run(SCENARIO, "suzhou", "2023-12", "suzhou_college_renter")
    assert december.points.total == pytest.approx(108)
    assert december.points.threshold == 120 and not december.points.meets_threshold
    assert december.eligible_channels == []
    january = run(SCENARIO, "suzhou", "2024-01", "suzhou_college_renter")
    assert january.points.total == pytest.approx(109)
    assert january.points.threshold == 100 and january.eligible_channels == ["points"]


def test_revised_scheme_follows_the_seeds_directions():
    """seed 001: larger social-insurance and residence weights, lower education, fewer items."""
    from sim.scenario import resolve_timeline

    old, new = (p.rules.channels.points for p in resolve_timeline(preset(SCENARIO).cities["nanjing"].rules))
    assert new.items["social_insurance"].points > old.items["social_insurance"].points
    assert new.items["residence"].points > old.items["residence"].points
    assert max(new.items["education"].values.values()) < max(old.items["education"].values.values())
    assert len([i for i in new.items.values() if i.kind != "flag"]) < len(old.items)
    assert {i.of for i in new.items.values() if i.kind == "flag"} == {"shortage_industry", "rents_home"}
    assert old.rounds.quota_persons and new.rounds.quota_persons is None
