"""Zhenhai 2016 (seed 004): hand-computed ``sim check`` cases."""

from __future__ import annotations

import pytest

from tests.presets.helpers import condition, run

ZHENHAI = "zhenhai-2016"


def test_renter_settles_once_the_opinion_is_in_force():
    """seed 004: 有合法稳定住所（含租赁）的人员…可以在我区申请登记常住户口 (from 2016-08-29).

    In Zhenhai since 2015-06, renting, no permit: before the opinion only the points scheme
    exists and it needs a residence permit. From September 2016 (2016-08-29 governs it) the
    rental route holds: 15 months of residence ≥ the assumed 12.
    """
    before = run(ZHENHAI, "zhenhai", "2016-08", "zhenhai_renter")
    assert before.eligible_channels == []
    assert not before.points.preconditions_met
    after = run(ZHENHAI, "zhenhai", "2016-09", "zhenhai_renter")
    assert after.eligible_channels == ["rental"]
    verdict = condition(after, "rental", "registered_rental", "residence_months_min")
    assert (verdict.have, verdict.need) == (15, 12)


def test_migrant_worker_points():
    """The points scheme (镇海区外来务工人员积分落户实施办法), June 2016 round.

    College 20 + intermediate skill 10 + continuous residence 6 years × 2 = 12 + work 6 years
    × 2 = 12 (72 months employed, 2010-06..2016-05) + social insurance 6 years × 3 = 18 + one
    award × 10 = 82 points ≥ 40.
    """
    report = run(ZHENHAI, "zhenhai", "2016-06", "zhenhai_points")
    assert report.points.by_item == pytest.approx(
        {"education": 20, "skill": 10, "residence": 12, "work": 12, "social_insurance": 18, "contribution": 10}
    )
    assert report.points.total == pytest.approx(82)
    assert report.points.meets_threshold and report.points.preconditions_met
    assert report.eligible_channels == ["points"]


def test_unified_hukou_date_changes_no_channel():
    """2016-09-30 24:00 unifies hukou types; the channels in force stay those of 2016-08-29."""
    september = run(ZHENHAI, "zhenhai", "2016-09", "zhenhai_renter")
    october = run(ZHENHAI, "zhenhai", "2016-10", "zhenhai_renter")
    assert october.rules_from == "2016-10-01"
    assert [c.channel for c in september.channels] == [c.channel for c in october.channels]
