"""Zhejiang 2023 (seed 001): Hangzhou, Huzhou and Jiaxing, hand-computed ``sim check`` cases.

Ningbo's cases in this scenario (Yangtze River Delta recognition) are in test_ningbo.py.
"""

from __future__ import annotations

from tests.presets.helpers import run

ZHEJIANG = "zhejiang-2023"


def test_hangzhou_graduates_settle_first_from_may_2023():
    """A bachelor graduate of 2022 in Hangzhou without social insurance.

    April 2023 (provincial rules, assumed): talent needs 6 paid months in 12 → no.
    May 2023 (seed 001: 先落户后工作): bachelor graduates settle first → talent.
    """
    april = run(ZHEJIANG, "hangzhou", "2023-04", "hangzhou_bachelor")
    assert april.eligible_channels == []
    may = run(ZHEJIANG, "hangzhou", "2023-05", "hangzhou_bachelor")
    assert may.eligible_channels == ["talent"]
    assert may.channel("talent").processing_months == 0  # seed 001: Ms Ye settled within two days


def test_huzhou_parent_joins_faster_after_the_2023_10_25_notice():
    """seed 001: a mother's hukou moved to Huzhou in under a week after the notice.

    Family settlement holds before and after; processing falls from the assumed month to
    within the month (2023-10-25 governs November).
    """
    before = run(ZHEJIANG, "huzhou", "2023-10", "huzhou_mother")
    after = run(ZHEJIANG, "huzhou", "2023-11", "huzhou_mother")
    assert before.channel("family").eligible and after.channel("family").eligible
    assert (before.channel("family").processing_months, after.channel("family").processing_months) == (1, 0)


def test_jiaxing_is_open_and_one_stop_from_march_2023():
    """A newcomer settles by residence in Jiaxing; one-stop handling (2023-03-01) speeds it up."""
    february = run(ZHEJIANG, "jiaxing", "2023-02", "newcomer")
    march = run(ZHEJIANG, "jiaxing", "2023-03", "newcomer")
    assert february.eligible_channels == march.eligible_channels == ["open"]
    assert (february.channel("open").processing_months, march.channel("open").processing_months) == (1, 0)
