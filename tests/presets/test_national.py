"""National city-size tiers (seed 001, published_marginals.yaml): hand-computed cases."""

from __future__ import annotations

import pytest

from tests.presets.helpers import condition, preset, run

TIERS = "city-size-tiers"


def test_small_city_has_no_restriction():
    """Under 3 million: 落户限制基本取消 — a newcomer of last month settles."""
    assert run(TIERS, "small_city", "2023-01", "newcomer").eligible_channels == ["open"]


def test_large_city_needs_12_of_24_months():
    """Paid 2022-01..2022-12. January 2024: window 2022-01..2023-12 holds 12 → yes;
    February 2024: window 2022-02..2024-01 holds 11 → no."""
    january = run(TIERS, "large_city", "2024-01", "large_city_insured")
    assert january.eligible_channels == ["residence_employment"]
    february = run(TIERS, "large_city", "2024-02", "large_city_insured")
    verdict = condition(february, "residence_employment", "insured", "social_insurance")
    assert (verdict.ok, verdict.have, verdict.need) == (False, 11, 12)


def test_megacity_points_weigh_social_insurance_and_residence():
    """Bachelor, in the city since 2017-01, social insurance from 2018-01.

    January 2023: 60 months × 10 / 12 = 50 + residence 72 months → 30 + bachelor 15 = 95 < 100.
    January 2024: 60 + 35 + 15 = 110 ≥ 100; social insurance and residence are 95 of 110.
    """
    before = run(TIERS, "megacity", "2023-01", "megacity_bachelor").points
    assert before.by_item == pytest.approx({"social_insurance": 50, "residence": 30, "education": 15, "skill": 0})
    assert not before.meets_threshold
    after = run(TIERS, "megacity", "2024-01", "megacity_bachelor")
    assert after.points.total == pytest.approx(110) and after.eligible_channels == ["points"]
    main = after.points.by_item["social_insurance"] + after.points.by_item["residence"]
    assert main / after.points.total > 0.5


def test_megacity_scheme_gives_the_main_share_to_social_insurance_and_residence():
    """seed 001: 社会保险缴纳年限和居住年限分数占主要比例; 鼓励取消年度落户名额限制."""
    points = preset(TIERS).cities["megacity"].rules[0].channels.points
    caps = {name: item.cap for name, item in points.items.items() if item.kind == "rate"}
    tables = {name: max(item.values.values()) for name, item in points.items.items() if item.kind == "table"}
    main = caps["social_insurance"] + caps["residence"]
    assert main > sum(tables.values()) and main / (main + sum(tables.values())) > 0.5
    assert points.rounds.quota_persons is None
