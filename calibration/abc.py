"""Approximate Bayesian computation by rejection: parameter uncertainty from the targets.

Draws come from the priors (a Latin hypercube in the unit cube of prior quantiles, so uniform and
loguniform priors are both respected); each draw is run with one seed taken in turn from the fit
seeds, so the model's own noise enters the posterior. The distance of a draw is the root mean
square of its z-scores over the fit targets; the closest ``accept`` fraction of draws is the
posterior sample. Intervals are its 5% and 95% quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from calibration.evaluate import Evaluator, z_scores

UNIDENTIFIED_SHARE = 0.5


@dataclass
class AbcResult:
    """The posterior sample and its summary."""

    draws: pd.DataFrame
    accepted: pd.DataFrame
    threshold: float
    intervals: pd.DataFrame
    warnings: list[str]


def abc_rejection(evaluator: Evaluator, *, draws: int, accept: float, seeds: list[int], rng: int = 0) -> AbcResult:
    """Run ABC rejection with ``draws`` prior draws and keep the closest ``accept`` fraction."""
    targets = evaluator.targets.fit_targets()
    names = evaluator.names
    unit = qmc.LatinHypercube(d=len(names), rng=rng).random(draws)
    points = [evaluator.to_params(u) for u in unit]
    evaluator.say(f"ABC rejection: {draws} prior draws, keeping the closest {accept:.0%}")
    frames = []
    for seed_index, seed in enumerate(seeds):
        chosen = list(range(seed_index, draws, len(seeds)))
        if not chosen:
            continue
        values = evaluator.values([points[i] for i in chosen], [seed])
        values["point"] = [chosen[p] for p in values["point"]]
        frames.append(values)
        evaluator.say(f"  seed {seed}: {len(chosen)} draws done")
    values = pd.concat(frames, ignore_index=True)
    table = values.pivot_table(index="point", columns="target", values="value").sort_index()
    z = z_scores(table, targets)
    distance = np.sqrt((z**2).mean(axis=1))
    frame = pd.DataFrame(points)
    frame["distance"] = distance.reindex(frame.index).to_numpy()
    for name in table.columns:
        frame[f"model:{name}"] = table[name].reindex(frame.index).to_numpy()
    keep = max(2, round(accept * draws))
    accepted = frame.nsmallest(keep, "distance")
    threshold = float(accepted["distance"].max())
    rows, warnings = [], []
    for name in names:
        spec = evaluator.targets.parameters[name]
        low, high = accepted[name].quantile([0.05, 0.95])
        centre = float(accepted[name].median())
        share = spec.to_unit(high) - spec.to_unit(low)
        identified = share <= UNIDENTIFIED_SHARE
        note = "" if identified else f"posterior 90% interval covers {share:.0%} of its bounds"
        if not identified:
            warnings.append(f"parameter {name} is not identified by the fit targets (ABC): {note}")
        rows.append(
            {
                "parameter": name,
                "fitted": centre,
                "low": float(low),
                "high": float(high),
                "method": "abc",
                "identified": identified,
                "note": note,
            }
        )
    return AbcResult(frame, accepted, threshold, pd.DataFrame(rows), warnings)
