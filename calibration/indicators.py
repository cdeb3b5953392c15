"""Turn the tables of runs into the indicators that targets name.

Each target aggregates model months with the weights of its period (``period.months``): counts are
weighted sums, shares are ratios of weighted sums, stocks (``formal_share``, ``migrants``) weighted
means. Counts come from the monthly table (exact counters, real persons); breakdowns by channel, age
and education come from the summarised settlers table (``persons`` per group).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from calibration.targets import Period, Target

if TYPE_CHECKING:
    from sim.experiment import ExperimentResult

COLLEGE_OR_ABOVE = ("college", "bachelor", "master", "doctorate")
"""Education levels counted as 大专及以上 (college or above)."""
CHILD_BAND = "0-15"


def _weights(period: Period, months: pd.Series) -> np.ndarray:
    return months.astype(str).map(period.months).fillna(0.0).to_numpy(dtype=float)


def _check_months(period: Period, available: set[str], name: str) -> None:
    missing = sorted(set(period.months) - available)
    if missing:
        raise ValueError(
            f"target {name!r}: months {missing} are not simulated (run covers {min(available)}..{max(available)}); "
            "raise `run.months` or the scenario's start"
        )


def _settled(monthly: pd.DataFrame, settlers: pd.DataFrame, target: Target, period: Period) -> float:
    if target.channel is None:
        w = _weights(period, monthly["month"])
        column = (
            monthly["settled"]
            if target.indicator == "settled_applicants"
            else monthly["settled"] + monthly["dependants_settled"]
        )
        return float(np.sum(w * column.to_numpy(dtype=float)))
    rows = settlers[settlers["channel"] == target.channel]
    if target.indicator == "settled_applicants":
        rows = rows[~rows["is_dependant"].astype(bool)]
    return float(np.sum(_weights(period, rows["month"]) * rows["persons"].to_numpy(dtype=float)))


def _share(settlers: pd.DataFrame, target: Target) -> float:
    rows = settlers
    if target.channel is not None:
        rows = rows[rows["channel"] == target.channel]
    if target.adults_only:
        rows = rows[rows["age_band"] != CHILD_BAND]
    w = _weights(target.period, rows["month"]) * rows["persons"].to_numpy(dtype=float)
    if target.indicator == "share_aged_18_34":
        hit = rows["is_aged_18_34"].astype(bool).to_numpy()
    else:
        hit = rows["education"].isin(COLLEGE_OR_ABOVE).to_numpy()
    total = w.sum()
    return float(w[hit].sum() / total) if total > 0 else float("nan")


def target_value(monthly: pd.DataFrame, settlers: pd.DataFrame, target: Target, name: str = "") -> float:
    """The value of one target's indicator in one run.

    Parameters
    ----------
    monthly, settlers : DataFrame
        One run's monthly table and summarised settlers table (all cities).
    target : Target
        The target (indicator, city, filters, period).
    name : str
        The target's name, for error messages.
    """
    monthly = monthly[monthly["city"] == target.city]
    settlers = settlers[settlers["city"] == target.city]
    available = set(monthly["month"].astype(str))
    _check_months(target.period, available, name)
    indicator = target.indicator
    if indicator in ("settled_persons", "settled_applicants"):
        return _settled(monthly, settlers, target, target.period)
    if indicator == "growth":
        _check_months(target.baseline, available, name)
        count = target.model_copy(update={"indicator": "settled_persons"})
        now = _settled(monthly, settlers, count, target.period)
        before = _settled(monthly, settlers, count, target.baseline)
        return now / before - 1.0 if before > 0 else float("nan")
    if indicator in ("share_aged_18_34", "share_college_or_above"):
        return _share(settlers, target)
    w = _weights(target.period, monthly["month"])
    return float(np.sum(w * monthly[indicator].to_numpy(dtype=float)) / w.sum())


def _one_label(frame: pd.DataFrame) -> pd.DataFrame:
    """One copy of a run's rows.

    A run asked for under two labels (two equal parameter vectors of one batch) enters the
    result's tables once for each, and its counts must not add up twice.
    """
    labels = frame["scenario"]
    return frame if (labels == labels.iloc[0]).all() else frame[labels == labels.iloc[0]]


def target_values(result: ExperimentResult, targets: dict[str, Target]) -> pd.DataFrame:
    """Every target's indicator in every finished run of ``result``.

    Returns
    -------
    DataFrame
        Columns ``run, seed, target, value``; one row per run × target, in run order.
    """
    rows = []
    monthly_by_run = {run: _one_label(frame) for run, frame in result.monthly.groupby("run", sort=False)}
    settlers_by_run = {run: _one_label(frame) for run, frame in result.settlers.groupby("run", sort=False)}
    empty = result.settlers.iloc[0:0]
    for run in result.runs.itertuples():
        if run.run not in monthly_by_run:
            continue
        monthly = monthly_by_run[run.run]
        settlers = settlers_by_run.get(run.run, empty)
        for name, target in targets.items():
            rows.append(
                {
                    "run": run.run,
                    "seed": run.seed,
                    "target": name,
                    "value": target_value(monthly, settlers, target, name),
                }
            )
    return pd.DataFrame(rows, columns=["run", "seed", "target", "value"])
