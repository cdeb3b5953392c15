"""Dashboard benchmark: how long until the compare page shows its first charts, cold and from the cache.

Usage::

    python benchmarks/dashboard.py [--agents 100000] [--months 120] [--seeds 5] [--target 20]
                                   [--baseline ningbo-2018-baseline] [--variant ningbo-2019-reform]

The compare page's default comparison: ``--agents 20000 --months 48 --seeds 3 --target 10``.

Goes through the same functions the compare page calls (``ui.results.request_for``,
``ui.runs.run_comparison`` with its first-seed preview, ``ui.results.chart_data`` and the interactive
charts' Vega-Lite specifications of ``ui.interactive.pair``), in a fresh process, so the cold figures
include starting the worker pool:

0. the worker pool is started and its workers import the model, as the compare page does when it opens
   with settings that call for the pool (``--cold-pool`` counts it in the cold figures instead);
1. *cold*: from the request until the first charts (the settlement chart, levels and differences,
   of the first seed when it takes long enough to show it alone, else of every seed) — what the
   page shows first; then until the whole comparison is summarised, and until every chart is drawn;
2. *warm*: the same request again — the comparison and the first chart's PNGs from the cache.

Outside a Streamlit server ``st.cache_data`` keeps its entries in this process's memory, as the
server does. The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--baseline", default="ningbo-2018-baseline")
    parser.add_argument("--variant", default="ningbo-2019-reform")
    parser.add_argument("--lang", default="zh")
    parser.add_argument("--target", type=float, default=20.0, help="seconds allowed until the first charts (cold)")
    parser.add_argument(
        "--cold-pool",
        dest="warm_pool",
        action="store_false",
        help="count starting the worker pool in the cold figures (the page starts it when it opens)",
    )
    args = parser.parse_args()
    # Outside a server streamlit warns that it runs "bare"; the warnings say nothing about speed.
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    started = time.perf_counter()
    from ui import interactive, runs, views
    from ui.results import chart_data, request_for
    from ui.state import Settings

    imported = time.perf_counter() - started
    settings = Settings(
        lang=args.lang,
        baseline=args.baseline,
        variants=(args.variant,),
        edits=({},),
        agents=args.agents,
        seeds=args.seeds,
        months=args.months,
    )
    prepared = request_for(settings)
    request = prepared.request
    first: dict[str, float] = {}

    def draw(key: str, comparison, levels=None, differences=None) -> None:
        if levels is None:
            levels, differences = views.chart_tables(key, comparison, views.cities(comparison)[0])
        pair = interactive.pair(views.find_chart(key), levels, differences, args.lang, prepared.names)
        for chart in pair or ():
            chart.to_dict()

    def draw_cached(key: str, comparison) -> None:
        draw(key, comparison, *chart_data(request.key, key, views.cities(comparison)[0], comparison))

    seeds_done: list[tuple[int, float]] = []

    def on_first_seed(comparison) -> None:
        draw("settlements", comparison)
        first["seconds"] = time.perf_counter() - cold_start

    def on_progress(done: int, total: int) -> None:
        seeds_done.append((done, round(time.perf_counter() - cold_start, 2)))

    pool_seconds = 0.0
    if args.warm_pool and runs.backend_name(args.agents, args.months, 2) == "process":
        # The compare page starts the worker pool as soon as its settings call for one, while the user is
        # still choosing; the run then finds the workers ready.
        pool_start = time.perf_counter()
        runs.pool().warm(wait_ready=True)
        pool_seconds = time.perf_counter() - pool_start
    load_before = os.getloadavg()[0]
    cold_start = time.perf_counter()
    comparison = runs.run_comparison(request, on_progress=on_progress, on_first_seed=on_first_seed)
    cold_comparison = time.perf_counter() - cold_start
    draw_cached("settlements", comparison)
    cold_first_final = time.perf_counter() - cold_start
    for chart in views.CHARTS:
        draw_cached(chart.key, comparison)
    cold_all_charts = time.perf_counter() - cold_start

    warm_start = time.perf_counter()
    again = runs.run_comparison(request)
    draw_cached("settlements", again)
    warm_first = time.perf_counter() - warm_start
    for chart in views.CHARTS:
        draw_cached(chart.key, again)
    warm_all = time.perf_counter() - warm_start

    backend = runs.backend_name(args.agents, args.months, 2)
    result = {
        "benchmark": "dashboard",
        "scenarios": [args.baseline, args.variant],
        "agents": args.agents,
        "months": args.months,
        "seeds": args.seeds,
        "runs": 2 * args.seeds,
        "backend": backend,
        "cpus": os.cpu_count(),
        "load_average_1min_before": round(load_before, 2),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "import_seconds": round(imported, 2),
        "pool_start_seconds": round(pool_seconds, 2),
        "pool_started_before_run": bool(args.warm_pool and pool_seconds),
        "cold_first_charts_seconds": round(first.get("seconds", cold_first_final), 2),
        "cold_comparison_seconds": round(cold_comparison, 2),
        "cold_final_first_chart_seconds": round(cold_first_final, 2),
        "cold_all_charts_seconds": round(cold_all_charts, 2),
        "warm_first_charts_seconds": round(warm_first, 3),
        "warm_all_charts_seconds": round(warm_all, 3),
        "seed_progress_seconds": seeds_done,
        "targets": {"cold_first_charts_seconds": args.target, "warm_first_charts_seconds": 1.0},
    }
    result["meets_targets"] = (
        result["cold_first_charts_seconds"] < args.target and result["warm_first_charts_seconds"] < 1.0
    )
    print(
        f"first charts after {result['cold_first_charts_seconds']} s (cold, {backend}), "
        f"whole comparison {result['cold_comparison_seconds']} s, every chart {result['cold_all_charts_seconds']} s; "
        f"from the cache: first charts {result['warm_first_charts_seconds']} s"
    )
    print(json.dumps(result))
    if runs._POOL is not None and runs._POOL._executor is not None:
        runs._POOL._executor.shutdown(wait=True)


if __name__ == "__main__":
    main()
