"""Paired scenario comparisons with common random numbers.

Every scenario runs with the same seeds; a person's random draws are the same in every scenario of
one seed (DESIGN §3), so the difference variant − baseline *within a seed* is the policy's effect
on the same people under the same luck. Its spread across seeds is therefore much narrower than
the spread of either scenario's level, and a band on the paired difference says how sure the
comparison is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sim.experiment.backends import Backend
from sim.experiment.errors import ExperimentError
from sim.experiment.indicators import ALL_CITIES, INDICATORS, bands
from sim.experiment.runner import ExperimentResult, run
from sim.experiment.runs import RunSpec
from sim.experiment.store import RunStore
from sim.results import write_tables
from sim.scenario import load_scenario

KEYS = ["city", "indicator", "breakdown", "group"]
MONTHLY_KEYS = ["city", "month", "column"]
MONTHLY_SKIP = {"run", "scenario", "seed", "city", "month"}


@dataclass(frozen=True)
class Variant:
    """A scenario of a comparison: a file (or preset id) with optional overrides and a label.

    Parameters
    ----------
    scenario : str or Path
        Scenario YAML file or preset id.
    overrides : mapping, optional
        ``{"dotted.path": value}`` applied to the file.
    label : str, optional
        Its name in the tables; the scenario's ``id`` by default.
    """

    scenario: str | Path
    overrides: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None


@dataclass
class Comparison:
    """A paired comparison of scenarios over the same seeds.

    Attributes
    ----------
    baseline : str
        The label of the baseline (the first scenario).
    result : ExperimentResult
        Every run's tables and the manifest.
    indicators : DataFrame
        One row per run × city × indicator × breakdown × group (see
        :func:`sim.experiment.indicators.run_indicators`).
    levels : DataFrame
        Per scenario: ``mean``, ``low``, ``high`` (band across seeds) and ``seeds`` of each indicator.
    differences : DataFrame
        Per variant: the paired difference variant − baseline (same seed), its mean and band.
    monthly_levels, monthly_differences : DataFrame
        The same for every numeric column of the monthly table, month by month (per city).
    level : float
        The band's coverage (0.90: 5th–95th percentiles).
    """

    baseline: str
    result: ExperimentResult
    indicators: pd.DataFrame
    levels: pd.DataFrame
    differences: pd.DataFrame
    monthly_levels: pd.DataFrame
    monthly_differences: pd.DataFrame
    level: float = 0.90

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest of the runs (scenarios resolved and hashed, seeds, versions, backend)."""
        return self.result.manifest

    def headline(self, variant: str | None = None) -> pd.DataFrame:
        """The headline differences of one variant (the first by default), as numbers.

        Rows: persons settled in all, as applicants and as dependants; by channel, by age band and
        education; the share aged 18–34; waiting time and months in the city; eligible but not
        settled and blocked only by a contribution gap at the end; then, to tell the effect of
        service from that of eligibility, eligible person-months, eligible not applied at the end,
        applications, trips, trips home, lapsed applications and the largest queue; cut-off scores. Rows that are 0
        (or missing) in both scenarios are left out.
        """
        variants = [s for s in self.levels["scenario"].unique() if s != self.baseline]
        if not variants:
            return pd.DataFrame()
        variant = variant or variants[0]
        levels = self.levels.set_index(["scenario", *KEYS])
        diff = self.differences[self.differences["scenario"] == variant].set_index(KEYS)
        cities = sorted(self.levels["city"].unique())
        city = ALL_CITIES if ALL_CITIES in cities else cities[0]
        wanted = [
            ("settled_all", "total"),
            ("settled", "total"),
            ("dependants", "total"),
            ("settled", "channel"),
            ("dependants", "channel"),
            ("settled_all", "age_band"),
            ("settled_all_aged_18_34", "total"),
            ("share_aged_18_34", "total"),
            ("settled", "education"),
            ("wait_months", "total"),
            ("months_in_city", "total"),
            ("eligible_not_settled_at_end", "total"),
            ("blocked_only_by_gap_at_end", "total"),
            # Service (issue 7) next to eligibility: with the rules fixed, a service reform moves
            # applications, trips and waits while eligible person-months move only through who
            # has already settled; a rules reform moves eligibility first.
            ("eligible_person_months", "total"),
            ("eligible_not_applied_at_end", "total"),
            ("eligible_unaware_at_end", "total"),
            ("applied", "total"),
            ("trips", "total"),
            ("home_trips", "total"),
            ("lapsed", "total"),
            ("queue_max", "total"),
        ]
        rows = []
        for indicator, breakdown in wanted:
            for key in diff.index:
                if key[0] == city and key[1] == indicator and key[2] == breakdown:
                    rows.append(self._headline_row(key, variant, levels, diff))
        for key in diff.index:
            if key[1] == "cutoff":
                rows.append(self._headline_row(key, variant, levels, diff))
        table = pd.DataFrame(rows)
        if table.empty:
            return table
        quiet = (table[["baseline", "variant"]].fillna(0) == 0).all(axis=1) & (table["difference"].fillna(0) == 0)
        return table[~quiet].reset_index(drop=True)

    def _headline_row(self, key: tuple, variant: str, levels: pd.DataFrame, diff: pd.DataFrame) -> dict[str, Any]:
        city, indicator, breakdown, group = key
        base = levels["mean"].get((self.baseline, *key), float("nan"))
        var = levels["mean"].get((variant, *key), float("nan"))
        row = diff.loc[key]
        return {
            "city": city,
            "indicator": indicator,
            "breakdown": breakdown,
            "group": group,
            "unit": INDICATORS.get(indicator, ("", ""))[0],
            "baseline": base,
            "variant": var,
            "difference": row["mean"],
            "low": row["low"],
            "high": row["high"],
            "seeds": int(row["seeds"]),
        }

    def format_headline(self, variant: str | None = None) -> str:
        """The headline differences as a text table, for the terminal."""
        table = self.headline(variant)
        variants = [s for s in self.levels["scenario"].unique() if s != self.baseline]
        if table.empty:
            return "no indicators to compare"
        variant = variant or variants[0]
        pct = round(self.level * 100)
        scope = table["city"].iloc[0]
        text = pd.DataFrame(
            {
                "indicator": [_describe(r, scope) for r in table.itertuples()],
                "baseline": [_fmt(v, u) for v, u in zip(table["baseline"], table["unit"], strict=True)],
                "variant": [_fmt(v, u) for v, u in zip(table["variant"], table["unit"], strict=True)],
                "difference": [
                    _fmt(v, u, signed=True) for v, u in zip(table["difference"], table["unit"], strict=True)
                ],
                f"{pct}% band": [
                    f"[{_fmt(lo, u, signed=True)}, {_fmt(hi, u, signed=True)}]"
                    for lo, hi, u in zip(table["low"], table["high"], table["unit"], strict=True)
                ],
            }
        )
        seeds = int(table["seeds"].max())
        head = f"{variant} − {self.baseline} (paired by seed, {seeds} seeds; mean and {pct}% band across seeds)"
        return head + "\n" + text.to_string(index=False)

    def write(self, out_dir: str | Path, fmt: Literal["csv", "parquet"] = "csv") -> list[Path]:
        """Write the tables (levels, differences, indicators, monthly bands, runs, raw tables) and manifest."""
        tables = {
            "levels": self.levels,
            "differences": self.differences,
            "indicators": self.indicators,
            "monthly_levels": self.monthly_levels,
            "monthly_differences": self.monthly_differences,
            "runs": self.result.runs,
            "monthly": self.result.monthly,
            "rounds": self.result.rounds,
            "settlers": self.result.settlers,
        }
        manifest = {"kind": "compare", "baseline": self.baseline, "band": self.level, **self.result.manifest}
        return write_tables(out_dir, tables, manifest, fmt)


def compare(
    scenarios: Sequence[str | Path | Variant],
    *,
    seeds: int | Sequence[int] = 10,
    first_seed: int = 0,
    agents: int | None = None,
    months: int | None = None,
    level: float = 0.90,
    backend: str | Backend | None = "process",
    workers: int | None = None,
    dask: str | None = None,
    store: str | Path | RunStore | None = None,
    progress: bool | None = None,
) -> Comparison:
    """Run every scenario with the same seeds and compare each with the first (the baseline).

    Parameters
    ----------
    scenarios : sequence of path, preset id or Variant
        The baseline first, then one or more variants.
    seeds : int or sequence of int
        How many seeds (``first_seed, first_seed + 1, …``) or which seeds.
    agents, months : int, optional
        Size of every run; each scenario's own by default.
    level : float
        Coverage of the bands (0.90: the 5th–95th percentiles across seeds).
    backend, workers, dask, store, progress
        As for :func:`sim.experiment.run`.

    Returns
    -------
    Comparison

    Raises
    ------
    ExperimentError
        Fewer than two scenarios, or two with the same label.
    ScenarioError
        A scenario file does not load.
    """
    variants = [s if isinstance(s, Variant) else Variant(s) for s in scenarios]
    if len(variants) < 2:
        raise ExperimentError("compare needs a baseline and at least one variant; got one scenario.")
    labels = [v.label or load_scenario(v.scenario, dict(v.overrides) or None).id for v in variants]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ExperimentError(
            f"two scenarios of the comparison are both called {', '.join(repeated)}. "
            "Hint: give each a label (Variant(..., label=...)) or a different 'id'."
        )
    seed_list = list(range(first_seed, first_seed + seeds)) if isinstance(seeds, int) else list(seeds)
    specs = [
        RunSpec(str(v.scenario), seed, agents, months, dict(v.overrides), label)
        for v, label in zip(variants, labels, strict=True)
        for seed in seed_list
    ]
    result = run(specs, backend=backend, workers=workers, dask=dask, store=store, progress=progress)
    return summarise(result, baseline=labels[0], level=level)


def summarise(result: ExperimentResult, *, baseline: str, level: float = 0.90) -> Comparison:
    """Bands and paired differences of a result whose runs share seeds across scenarios."""
    indicators = result.indicators()
    levels = bands(indicators, ["scenario", *KEYS], level=level)
    differences = paired_differences(indicators, baseline, KEYS, level)
    monthly = _monthly_long(result.monthly)
    monthly_levels = bands(monthly, ["scenario", *MONTHLY_KEYS], level=level)
    monthly_differences = paired_differences(monthly, baseline, MONTHLY_KEYS, level)
    return Comparison(baseline, result, indicators, levels, differences, monthly_levels, monthly_differences, level)


def paired_differences(frame: pd.DataFrame, baseline: str, keys: list[str], level: float = 0.90) -> pd.DataFrame:
    """Band of ``value[variant] − value[baseline]`` over seeds, for each variant and key.

    Only seeds where both runs finished enter; ``seeds`` counts them.
    """
    wide = frame.groupby(["seed", *keys, "scenario"], sort=False)["value"].first().unstack("scenario")
    if baseline not in wide:
        return pd.DataFrame(columns=["scenario", "baseline", *keys, "mean", "low", "high", "seeds"])
    parts = []
    for variant in [c for c in wide.columns if c != baseline]:
        diff = (wide[variant] - wide[baseline]).rename("value").reset_index()
        summary = bands(diff, keys, level=level)
        summary.insert(0, "baseline", baseline)
        summary.insert(0, "scenario", variant)
        parts.append(summary)
    if not parts:
        return pd.DataFrame(columns=["scenario", "baseline", *keys, "mean", "low", "high", "seeds"])
    return pd.concat(parts, ignore_index=True)


def _monthly_long(monthly: pd.DataFrame) -> pd.DataFrame:
    columns = [c for c in monthly.columns if c not in MONTHLY_SKIP and pd.api.types.is_numeric_dtype(monthly[c])]
    return monthly.melt(id_vars=["scenario", "seed", "city", "month"], value_vars=columns, var_name="column")


def _describe(row: Any, scope: str) -> str:
    if row.breakdown == "total":
        name = "cutoff (mean of rounds)" if row.indicator == "cutoff" else row.indicator
    elif row.breakdown in ("round", "channel"):
        name = f"{row.indicator}[{row.group}]"
    else:
        name = f"{row.indicator}[{row.breakdown}={row.group}]"
    return name if row.city == scope else f"{name} @{row.city}"


def _fmt(value: float, unit: str, *, signed: bool = False) -> str:
    if pd.isna(value):
        return "–"
    sign = "+" if signed else ""
    if unit == "share":
        return f"{value * 100:{sign}.1f}%" if not signed else f"{value * 100:+.1f} pp"
    if unit in ("months", "points"):
        return f"{value:{sign}.1f}"
    return f"{value:{sign},.0f}"
