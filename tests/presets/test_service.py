"""Service presets (issue 7; seeds 000–003): hand-computed ``sim check`` steps for eligible persons."""

from __future__ import annotations

from sim.explain import format_report
from tests.presets.helpers import run


def test_ningbo_after_the_2017_reform_ms_xie():
    """seed 000: Ms Xie, talent, 6 working days (3 by the green channel), then back to Hunan with
    the 准迁证; seed 002: 跑一次是底线, 容缺受理 — one trip even with papers missing."""
    report = run("ningbo-2019-service", "ningbo", "2019-09", "ningbo_xie_2019")
    assert "talent" in report.eligible_channels
    steps = report.channel("talent").service
    assert (steps.trips, steps.trips_if_papers_missing, steps.working_days) == (1, 1, 6.0)
    assert (steps.green_channel_working_days, steps.home_trip) == (3, True)
    text = format_report(report)
    assert "steps: 1 trip to a window; 6 working days (3 by the green channel); a trip home" in text


def test_ningbo_before_the_2017_reform_ms_xie():
    """seed 002: before, 3 trips (committee stamp; assumed), 4 with papers missing (no 容缺受理);
    6 / (1 − 0.7482) = 23.8 working days."""
    report = run("ningbo-2019-service-before", "ningbo", "2019-09", "ningbo_xie_2019")
    assert (
        report.eligible_channels == run("ningbo-2019-service", "ningbo", "2019-09", "ningbo_xie_2019").eligible_channels
    )
    steps = report.channel("talent").service
    assert (steps.trips, steps.trips_if_papers_missing, steps.working_days, steps.home_trip) == (3, 4, 23.8, True)


def test_guiyang_2022_on_the_spot():
    """seed 003: 当场办 — one trip, 0 working days, 7×24 windows, 容缺办."""
    report = run("guiyang-2022-service", "guiyang", "2022-01", "newcomer")
    assert report.eligible_channels == ["open"]
    steps = report.channel("open").service
    assert (steps.trips, steps.trips_if_papers_missing, steps.working_days) == (1, 1, 0.0)
    assert "open at all hours" in steps.windows


def test_national_transfer_online_from_2023_08():
    """seed 001: before 跨省通办 a trip home; from 2023-08 none."""
    before = run("national-2023-transfer", "small_city", "2023-03", "newcomer")
    after = run("national-2023-transfer", "small_city", "2023-09", "newcomer")
    assert before.eligible_channels == after.eligible_channels == ["open"]
    assert before.channel("open").service.home_trip
    assert not after.channel("open").service.home_trip
    assert after.channel("open").service.trips == 1
    assert "no trip home (transfer online)" in format_report(after)
