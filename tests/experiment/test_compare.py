"""Paired comparisons: table shapes, bands, indicators that add up, common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import experiment
from sim.experiment import ExperimentError, Variant
from sim.experiment.indicators import INDICATORS
from tests.experiment.conftest import TWO_CITIES

QUOTA = "cities.alpha.rules[0].channels.points.rounds.quota_persons"
SEEDS = 4


@pytest.fixture(scope="module")
def comparison():
    return experiment.compare(
        [
            Variant(TWO_CITIES),
            Variant(TWO_CITIES, {QUOTA: 6000}, label="double-quota"),
            Variant(TWO_CITIES, label="same-again"),
        ],
        seeds=SEEDS,
        agents=600,
        months=18,
        backend="serial",
        progress=False,
    )


def test_tables_have_one_row_per_scenario_and_indicator(comparison):
    levels, diffs = comparison.levels, comparison.differences
    assert comparison.baseline == "two-cities-points"
    assert set(levels["scenario"]) == {"two-cities-points", "double-quota", "same-again"}
    assert set(diffs["scenario"]) == {"double-quota", "same-again"}
    assert (diffs["baseline"] == "two-cities-points").all()
    keys = ["scenario", "city", "indicator", "breakdown", "group"]
    assert not levels.duplicated(keys).any() and not diffs.duplicated(keys).any()
    assert set(levels["city"]) == {"alpha", "beta", "all"}
    assert set(levels["indicator"]) <= set(INDICATORS)
    per_scenario = levels.groupby("scenario").size()
    assert per_scenario.nunique() == 1  # every scenario has the same rows
    channels = levels[(levels["indicator"] == "settled") & (levels["breakdown"] == "channel")]
    assert channels.groupby(["scenario", "city"]).size().eq(8).all()
    counts = levels[levels["indicator"].map(lambda i: INDICATORS[i][0]) == "persons"]
    assert counts["seeds"].eq(SEEDS).all()


def test_bands_are_ordered(comparison):
    for table in (comparison.levels, comparison.differences, comparison.monthly_levels):
        assert (table["low"] <= table["mean"] + 1e-9).all()
        assert (table["mean"] <= table["high"] + 1e-9).all()


def test_band_is_the_5th_to_95th_percentile_of_paired_differences(comparison):
    ind = comparison.indicators
    total = ind[(ind["indicator"] == "settled_all") & (ind["breakdown"] == "total") & (ind["city"] == "all")]
    wide = total.pivot(index="seed", columns="scenario", values="value")
    diff = (wide["double-quota"] - wide["two-cities-points"]).to_numpy()
    row = comparison.differences.query(
        "scenario == 'double-quota' and city == 'all' and indicator == 'settled_all' and breakdown == 'total'"
    ).iloc[0]
    assert row["mean"] == pytest.approx(diff.mean())
    assert row["low"] == pytest.approx(np.quantile(diff, 0.05))
    assert row["high"] == pytest.approx(np.quantile(diff, 0.95))
    assert row["seeds"] == SEEDS
    assert row["mean"] > 0  # a larger points quota settles more people


def test_same_scenario_twice_differs_by_exactly_zero(comparison):
    """Common random numbers: with the same rules and seed, a rerun is the same run."""
    same = comparison.differences[comparison.differences["scenario"] == "same-again"]
    assert (same[["mean", "low", "high"]].abs() < 1e-9).all().all()
    monthly = comparison.monthly_differences[comparison.monthly_differences["scenario"] == "same-again"]
    assert (monthly[["mean", "low", "high"]].abs() < 1e-9).all().all()


def test_indicators_add_up_to_the_monthly_table(comparison):
    ind = comparison.indicators.set_index(["scenario", "run", "city", "indicator", "breakdown", "group"])["value"]
    ind = ind.loc[comparison.baseline].sort_index()
    monthly = comparison.result.monthly
    for run, rows in monthly[monthly["scenario"] == comparison.baseline].groupby("run"):
        settled = rows["settled"].sum() + rows["dependants_settled"].sum()
        assert ind[(run, "all", "settled_all", "total", "all")] == pytest.approx(settled)
        assert ind[(run, "all", "dependants", "total", "all")] == pytest.approx(rows["dependants_settled"].sum())
        for channel in ("points", "talent"):
            assert ind[(run, "all", "settled", "channel", channel)] == pytest.approx(rows[f"settled_{channel}"].sum())
        by_band = ind.loc[(run, "alpha", "settled_all", "age_band")].sum()
        assert by_band == pytest.approx(ind[(run, "alpha", "settled_all", "total", "all")])
        by_education = ind.loc[(run, "beta", "settled", "education")].sum()
        assert by_education == pytest.approx(ind[(run, "beta", "settled", "total", "all")])
        share = ind[(run, "all", "share_aged_18_34", "total", "all")]
        young = ind[(run, "all", "settled_all_aged_18_34", "total", "all")]
        assert share == pytest.approx(young / ind[(run, "all", "settled_all", "total", "all")])
        last = rows[rows["month"] == rows["month"].max()]
        assert ind[(run, "all", "blocked_only_by_gap_at_end", "total", "all")] == pytest.approx(
            last["blocked_only_by_gap"].sum()
        )


def test_cutoffs_are_per_round_and_city(comparison):
    cutoffs = comparison.levels[comparison.levels["indicator"] == "cutoff"]
    assert set(cutoffs["city"]) == {"alpha"}  # only alpha runs a points scheme
    rounds = cutoffs[cutoffs["breakdown"] == "round"]
    assert sorted(rounds["group"].unique()) == ["2018-06", "2018-12", "2019-06"]
    quota = comparison.differences.query("scenario == 'double-quota' and indicator == 'cutoff'")
    assert (quota["mean"] <= 0).all()  # more places: the cut-off score cannot rise


def test_headline_lists_the_differences_that_matter(comparison):
    headline = comparison.headline("double-quota")
    names = set(zip(headline["indicator"], headline["breakdown"], strict=True))
    assert {("settled_all", "total"), ("settled", "total"), ("dependants", "total")} <= names
    assert ("settled", "channel") in names and ("settled_all", "age_band") in names
    assert ("settled", "education") in names and ("cutoff", "round") in names
    assert ("blocked_only_by_gap_at_end", "total") in names or headline["indicator"].str.contains("eligible").any()
    text = comparison.format_headline("double-quota")
    assert text.splitlines()[0].startswith("double-quota − two-cities-points (paired by seed, 4 seeds")
    assert "settled[points]" in text and "90% band" in text


def test_write(tmp_path, comparison):
    written = comparison.write(tmp_path)
    names = {p.name for p in written}
    assert {"levels.csv", "differences.csv", "indicators.csv", "monthly_levels.csv", "manifest.json"} <= names
    levels = pd.read_csv(tmp_path / "levels.csv")
    assert len(levels) == len(comparison.levels)


def test_labels_must_differ():
    with pytest.raises(ExperimentError, match="both called two-cities-points"):
        experiment.compare([TWO_CITIES, TWO_CITIES], seeds=1, agents=100, months=1, backend="serial")
    with pytest.raises(ExperimentError, match="at least one variant"):
        experiment.compare([TWO_CITIES], seeds=1, backend="serial")
