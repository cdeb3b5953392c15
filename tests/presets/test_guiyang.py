"""Guiyang 2022 "三最" (seed 003): hand-computed ``sim check`` cases."""

from __future__ import annotations

from tests.presets.helpers import run


def test_zero_threshold_admits_a_newcomer():
    """seed 003: 零门槛…按实际居住地落户即可 — arrived last month, nothing paid, no permit."""
    report = run("guiyang-2022", "guiyang", "2022-01", "newcomer")
    assert report.eligible_channels == ["open"]
    assert report.channel("open").processing_months == 0  # 当场办


def test_vocational_graduate_settles_with_a_diploma():
    """seed 003: 大、中专院校毕业生…可凭本人书面申请、毕业证、居民身份证 — talent and open."""
    report = run("guiyang-2022", "guiyang", "2022-02", "guiyang_vocational_graduate")
    assert report.eligible_channels == ["talent", "open"]
