"""Global sensitivity of the target indicators to every parameter: Morris elementary effects.

The screened parameters are the targets file's free parameters and every assumed behavioural
parameter of its scenario (:mod:`calibration.assumed`, each over a range around its assumed value),
so that an assumption that moves a figure more than the fitted parameters do is seen.

Why Morris (with SALib): a fit has a handful of free parameters and each run costs about half a
second, so the question is *which parameters matter for which indicator, and do they interact* —
screening, not variance decomposition. Morris answers it with ``r (k + 1)`` runs (r trajectories,
k parameters: 60 runs for r = 10, k = 5), where Sobol indices need ``N (2k + 2)`` runs with N in
the hundreds to be stable. SALib provides the trajectory design and the analysis (μ*, σ and the
bootstrap confidence of μ*), which scipy.stats does not (it has Sobol indices only). Parameters
are sampled in the unit cube of prior quantiles, like the fit, so a loguniform parameter is
explored on its log scale; elementary effects are per unit of that cube (the whole prior range).
Runs use common random numbers, so an elementary effect is the parameter's, not the noise's.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample

from calibration.evaluate import Evaluator, means
from calibration.targets import TargetsFile
from sim.atomic import atomic_write_text


def morris(
    evaluator: Evaluator, *, trajectories: int = 10, seeds: list[int], levels: int = 4, rng: int = 0
) -> pd.DataFrame:
    """Morris screening of every target's indicator.

    Returns
    -------
    DataFrame
        Columns ``target, parameter, mu_star, mu_star_conf, sigma, mu_star_scaled`` where
        ``mu_star_scaled`` is μ* divided by the target's tolerance half-width (how many tolerances
        a move across the whole prior range shifts it).
    """
    names = evaluator.names
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    design = morris_sample.sample(problem, N=trajectories, num_levels=levels, seed=rng)
    evaluator.say(f"Morris: {trajectories} trajectories × {len(names) + 1} points × {len(seeds)} seeds")
    table = means(evaluator.values([evaluator.to_params(u) for u in design], seeds))
    rows = []
    for target_name, target in evaluator.targets.targets.items():
        y = table[target_name].to_numpy(dtype=float)
        y = np.where(np.isfinite(y), y, np.nanmean(y))
        analysis = morris_analyze.analyze(problem, design, y, num_levels=levels, seed=rng)
        width = target.tolerance.width(target.value)
        for j, name in enumerate(names):
            rows.append(
                {
                    "target": target_name,
                    "parameter": name,
                    "mu_star": float(analysis["mu_star"][j]),
                    "mu_star_conf": float(analysis["mu_star_conf"][j]),
                    "sigma": float(analysis["sigma"][j]),
                    "mu_star_scaled": float(analysis["mu_star"][j]) / width,
                }
            )
    return pd.DataFrame(rows)


def plot(indices: pd.DataFrame, title: str = "Morris μ* / tolerance"):
    """Grouped bars: for each target, μ* of each parameter in units of the target's tolerance."""
    import matplotlib

    from sim.plots import style

    with matplotlib.rc_context(style()):
        from matplotlib.figure import Figure

        targets = list(dict.fromkeys(indices["target"]))
        params = list(dict.fromkeys(indices["parameter"]))
        fig = Figure(figsize=(max(6.0, 1.6 * len(targets)), 4.2), layout="constrained")
        ax = fig.subplots()
        width = 0.8 / len(params)
        x = np.arange(len(targets))
        for j, param in enumerate(params):
            part = indices[indices["parameter"] == param].set_index("target").reindex(targets)
            ax.bar(x + j * width - 0.4 + width / 2, part["mu_star_scaled"], width, label=param.split(".")[-1])
        ax.set_xticks(x, targets, rotation=20, ha="right")
        ax.set_yscale("symlog", linthresh=1.0)
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_ylabel("μ* ÷ tolerance (symlog)")
        ax.set_title(title)
        ax.legend(fontsize=8, ncols=2)
    return fig


def most_moved(indices: pd.DataFrame, targets: TargetsFile) -> pd.DataFrame:
    """For each parameter, the figure it moves most (in tolerances across its range) and by how much.

    Returns
    -------
    DataFrame
        Columns ``parameter, kind, low, high, moves_most, mu_star_scaled``, sorted by
        ``mu_star_scaled`` (largest first).
    """
    best = indices.loc[indices.groupby("parameter", sort=False)["mu_star_scaled"].idxmax()]
    rows = []
    for row in best.itertuples():
        spec = targets.parameters[row.parameter]
        rows.append(
            {
                "parameter": row.parameter,
                "kind": getattr(row, "kind", "free"),
                "low": spec.low,
                "high": spec.high,
                "moves_most": row.target,
                "mu_star_scaled": row.mu_star_scaled,
            }
        )
    return pd.DataFrame(rows).sort_values("mu_star_scaled", ascending=False, ignore_index=True)


def write(out: str | Path, indices: pd.DataFrame, title: str, targets: TargetsFile) -> tuple[Path, Path, Path]:
    """Write ``sensitivity.csv``, ``sensitivity.md`` (the figure each parameter moves most) and ``sensitivity.png``."""
    out = Path(out)
    csv = atomic_write_text(out / "sensitivity.csv", indices.to_csv(index=False))
    table = most_moved(indices, targets)
    lines = [
        f"# {title}",
        "",
        "μ* ÷ tolerance: by how many tolerances a move across the parameter's whole range shifts the figure. "
        "Free parameters are screened over their prior bounds; assumed ones over the range of "
        "`calibration/assumed.py` (a factor of two around the assumed value).",
        "",
        "| parameter | kind | range | moves most | μ* ÷ tolerance |",
        "|---|---|---|---|---:|",
        *(
            f"| {r.parameter} | {r.kind} | {r.low:.4g}–{r.high:.4g} | {r.moves_most} | {r.mu_star_scaled:.3g} |"
            for r in table.itertuples()
        ),
    ]
    md = atomic_write_text(out / "sensitivity.md", "\n".join(lines) + "\n")
    fig = plot(indices, title)
    png = out / "sensitivity.png"
    temp = png.with_name(f".{png.name}.tmp-{uuid.uuid4().hex[:8]}")  # a rename: the chart appears whole
    try:
        fig.savefig(temp, dpi=110, format="png")
        os.replace(temp, png)
    finally:
        temp.unlink(missing_ok=True)
    return csv, md, png
