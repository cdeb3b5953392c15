"""Headline indicators of each run, and bands across seeds.

:func:`run_indicators` turns the combined tables of many runs into one long table — one row per
run × city × indicator × breakdown × group — that comparisons and sweeps summarise with
:func:`bands`. Counts are in real persons; groups with no settlers are present with 0 (means: NaN),
so that every run has the same rows and a band is over all seeds.

For a run with several cities, each indicator is given per city and for ``city == "all"``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from sim.experiment.runs import AGE_BANDS
from sim.population import EDUCATION_LEVELS
from sim.scenario.schema import CHANNELS

ALL_CITIES = "all"
UNIT_SEPARATOR = "\x1f"
INDICATOR_COLUMNS = ["run", "scenario", "seed", "city", "indicator", "breakdown", "group", "value"]

INDICATORS: dict[str, tuple[str, str]] = {
    "settled_all": ("persons", "persons settled, applicants and dependants"),
    "settled": ("persons", "applicants settled"),
    "dependants": ("persons", "dependants settled with an applicant"),
    "settled_all_aged_18_34": ("persons", "persons settled aged 18–34 at settlement"),
    "share_aged_18_34": ("share", "share of persons settled aged 18–34"),
    "wait_months": ("months", "mean months from application to settlement (applicants)"),
    "months_in_city": ("months", "mean months in the city at settlement (applicants)"),
    "social_insurance_months": ("months", "mean months of contributions at settlement (applicants)"),
    "applied": ("persons", "applications made"),
    "eligible_not_settled_at_end": ("persons", "migrants eligible by some channel in the last month, not settled"),
    "eligible_not_applied_at_end": ("persons", "eligible migrants in the last month who had not applied"),
    "blocked_only_by_gap_at_end": ("persons", "migrants in the last month blocked only by a contribution gap"),
    "eligible_unaware_at_end": (
        "persons",
        "migrants in the last month eligible under the rules in force who do not know the rules that admit them",
    ),
    "migrants_at_end": ("persons", "migrants in the city in the last month"),
    "left": ("persons", "persons who left (returned home, moved on or died)"),
    "trips": ("trips", "trips to a window made by applicants (declared services only)"),
    "home_trips": ("trips", "trips to the origin province made by applicants (declared services only)"),
    "lapsed": ("persons", "applications lapsed while waiting (left, moved or no longer eligible)"),
    "queue_max": ("persons", "largest monthly queue of due applications held back by a capacity"),
    "eligible_person_months": ("persons", "sum over months of migrants eligible by some channel (person-months)"),
    "cutoff": ("points", "cut-off score of points rounds (breakdown 'total': mean over rounds)"),
    "points_applicants": ("persons", "applicants ranked in points rounds"),
}
"""Indicator name → (unit, meaning)."""

GROUPS = {"channel": CHANNELS, "age_band": AGE_BANDS, "education": tuple(EDUCATION_LEVELS)}


class RunTables(Protocol):
    """The combined tables of many runs, as :class:`sim.experiment.runner.ExperimentResult` holds them.

    Declared here so that indicators need not import the runner, which imports them.
    """

    runs: pd.DataFrame
    monthly: pd.DataFrame
    rounds: pd.DataFrame
    settlers: pd.DataFrame


def run_indicators(result: RunTables) -> pd.DataFrame:
    """The headline indicators of every finished run of ``result``, in a long table.

    Returns
    -------
    DataFrame
        Columns ``run, scenario, seed, city, indicator, breakdown, group, value``; ``breakdown`` is
        ``total`` (``group == "all"``), ``channel``, ``age_band``, ``education`` or ``round``
        (``group`` is the round's month). See :data:`INDICATORS` for names and units.
    """
    # The unit is a run under a label: one run asked for under two labels (a scenario compared with
    # itself) counts once for each.
    monthly, settlers, rounds = (_by_unit(t) for t in (result.monthly, result.settlers, result.rounds))
    monthly = _with_all_cities(monthly)
    if monthly.empty:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    scopes = monthly[["run", "city"]].drop_duplicates().sort_values(["run", "city"])
    scopes = pd.MultiIndex.from_frame(scopes)
    settlers = _with_all_cities(settlers, cities=scopes)
    parts = [
        *_settler_indicators(settlers, scopes),
        *_monthly_indicators(monthly, scopes),
        *_round_indicators(rounds),
    ]
    table = pd.concat([p for p in parts if len(p)], ignore_index=True)
    ids = result.runs.assign(unit=result.runs["run"] + UNIT_SEPARATOR + result.runs["scenario"])
    ids = ids.drop_duplicates("unit").set_index("unit")
    unit = table["run"]
    table["run"] = ids.loc[unit, "run"].to_numpy()
    table.insert(1, "scenario", ids.loc[unit, "scenario"].to_numpy())
    table.insert(2, "seed", ids.loc[unit, "seed"].to_numpy().astype(np.int64))
    order = {u: i for i, u in enumerate(ids.index)}
    table = table.iloc[np.argsort(unit.map(order).to_numpy(), kind="stable")]
    return table[INDICATOR_COLUMNS].reset_index(drop=True)


def _by_unit(table: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return table
    return table.assign(run=table["run"].astype(str) + UNIT_SEPARATOR + table["scenario"].astype(str))


def bands(frame: pd.DataFrame, by: list[str], value: str = "value", level: float = 0.90) -> pd.DataFrame:
    """Mean and central ``level`` band (quantiles across seeds) of ``value`` within groups ``by``.

    NaN values (e.g. a mean over no settlers) are left out; ``seeds`` counts the values used.
    The band is the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles (linear interpolation,
    as :func:`numpy.quantile`): 5th–95th percentiles for the default 90%.
    """
    clean = frame.dropna(subset=[value])
    grouped = clean.groupby(by, sort=False, observed=True)[value]
    lo, hi = (1 - level) / 2, (1 + level) / 2
    out = pd.DataFrame(
        {
            "mean": grouped.mean(),
            "low": grouped.quantile(lo),
            "high": grouped.quantile(hi),
            "seeds": grouped.count(),
        }
    )
    return out.reset_index()


def _with_all_cities(frame: pd.DataFrame, cities: pd.MultiIndex | None = None) -> pd.DataFrame:
    """Add ``city == "all"`` copies of the rows of runs with several cities."""
    if frame.empty:
        return frame
    if cities is None:
        counts = frame.groupby("run")["city"].nunique()
        multi = counts.index[counts > 1]
    else:
        multi = cities[cities.get_level_values("city") == ALL_CITIES].get_level_values("run")
    extra = frame[frame["run"].isin(multi)].assign(city=ALL_CITIES)
    return pd.concat([frame, extra], ignore_index=True) if len(extra) else frame


def _complete(values: pd.Series, scopes: pd.MultiIndex, groups: tuple[str, ...] | None, fill: float) -> pd.Series:
    if groups is None:
        return values.reindex(scopes, fill_value=fill)
    index = pd.MultiIndex.from_tuples(
        [(*scope, group) for scope in scopes for group in groups], names=[*scopes.names, "group"]
    )
    return values.reindex(index, fill_value=fill)


def _rows(values: pd.Series, indicator: str, breakdown: str) -> pd.DataFrame:
    frame = values.rename("value").reset_index()
    if "group" not in frame:
        frame["group"] = "all"
    frame["indicator"] = indicator
    frame["breakdown"] = breakdown
    return frame[["run", "city", "indicator", "breakdown", "group", "value"]]


def _settler_indicators(settlers: pd.DataFrame, scopes: pd.MultiIndex) -> list[pd.DataFrame]:
    frames = []
    subsets = {
        "settled_all": settlers,
        "settled": settlers[~settlers["is_dependant"].astype(bool)],
        "dependants": settlers[settlers["is_dependant"].astype(bool)],
    }
    for name, subset in subsets.items():
        frames.append(
            _rows(_complete(subset.groupby(["run", "city"])["persons"].sum(), scopes, None, 0.0), name, "total")
        )
        for breakdown, groups in GROUPS.items():
            sums = subset.groupby(["run", "city", breakdown])["persons"].sum().rename_axis(["run", "city", "group"])
            frames.append(_rows(_complete(sums, scopes, groups, 0.0), name, breakdown))
    young = settlers[settlers["is_aged_18_34"].astype(bool)].groupby(["run", "city"])["persons"].sum()
    young = _complete(young, scopes, None, 0.0)
    everyone = _complete(settlers.groupby(["run", "city"])["persons"].sum(), scopes, None, 0.0)
    frames.append(_rows(young, "settled_all_aged_18_34", "total"))
    frames.append(_rows(young / everyone.where(everyone > 0), "share_aged_18_34", "total"))
    applicants = subsets["settled"]
    for name in ("wait_months", "months_in_city", "social_insurance_months"):
        for breakdown, keys, groups in (
            ("total", ["run", "city"], None),
            ("channel", ["run", "city", "channel"], CHANNELS),
        ):
            sums = applicants.groupby(keys)[[f"{name}_sum", "agents"]].sum()
            mean = sums[f"{name}_sum"] / sums["agents"].where(sums["agents"] > 0)
            if groups is not None:
                mean = mean.rename_axis(["run", "city", "group"])
            frames.append(_rows(_complete(mean, scopes, groups, np.nan), name, breakdown))
    return frames


def _monthly_indicators(monthly: pd.DataFrame, scopes: pd.MultiIndex) -> list[pd.DataFrame]:
    by_scope = monthly.groupby(["run", "city", "month"], sort=True)
    per_month = by_scope[
        ["eligible_any", "eligible_not_applied", "blocked_only_by_gap", "migrants", "applied", "left"]
    ].sum()
    last = per_month.groupby(level=["run", "city"]).tail(1).droplevel("month")
    totals = per_month.groupby(level=["run", "city"]).sum()
    service = [c for c in ("trips", "home_trips", "lapsed") if c in monthly]
    if service:
        totals = totals.join(by_scope[service].sum().groupby(level=["run", "city"]).sum())
    columns = {
        "applied": totals["applied"],
        **{name: totals[name] for name in service},
        "eligible_person_months": totals["eligible_any"],
        "eligible_not_settled_at_end": last["eligible_any"],
        "eligible_not_applied_at_end": last["eligible_not_applied"],
        "blocked_only_by_gap_at_end": last["blocked_only_by_gap"],
        "migrants_at_end": last["migrants"],
        "left": totals["left"],
    }
    if "eligible_unaware" in monthly:
        columns["eligible_unaware_at_end"] = by_scope["eligible_unaware"].sum().groupby(level=["run", "city"]).last()
    if "queue" in monthly:
        columns["queue_max"] = by_scope["queue"].sum().groupby(level=["run", "city"]).max()
    return [_rows(_complete(values, scopes, None, 0.0), name, "total") for name, values in columns.items()]


def _round_indicators(rounds: pd.DataFrame) -> list[pd.DataFrame]:
    if rounds.empty:
        return []
    per_round = rounds.rename(columns={"month": "group"}).set_index(["run", "city", "group"])
    frames = [
        _rows(per_round["cutoff"], "cutoff", "round"),
        _rows(per_round["applicants"], "points_applicants", "round"),
        _rows(per_round["cutoff"].groupby(level=["run", "city"]).mean(), "cutoff", "total"),
    ]
    return frames
