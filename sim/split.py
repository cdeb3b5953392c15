"""A run split into parts that each hold a group of cities and pass movers between them every month.

What a national model beyond one machine needs, run here in one process: each part is a
:class:`~sim.model.SettlementModel` that holds the rows of its own cities (the others' rows are
``ABSENT`` in it and every phase passes them over), runs the month's phases up to the moves
(:meth:`~sim.model.SettlementModel.advance`), and hands the households moving to another part's
city to that part as :class:`~sim.movers.Movers` records; then every part collects its month
(:meth:`~sim.model.SettlementModel.close_month`). Random draws are keyed by seed, decision, month
and slot, not by part, so the split run gives the tables of the whole run (``tests/test_split.py``).

Each part here still allocates arrays for every slot and draws every slot's numbers, so a split
run costs about as many times a whole run as it has parts: it shows where the exchange happens and
that it is complete, not a speed-up. See docs/model.md, "A national model beyond one machine".
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.model import SettlementModel
from sim.population import ABSENT
from sim.results import RunResult
from sim.scenario.schema import Scenario
from sim.synthesis import region_store, synthesize


def run_split(
    scenario: Scenario,
    groups: Sequence[Sequence[str]],
    *,
    agents: int | None = None,
    seed: int = 0,
    months: int | None = None,
) -> RunResult:
    """Run ``scenario`` as one part per group of cities, exchanging movers each month.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    groups : sequence of sequences of str
        City ids of each part; every city in exactly one group.
    agents, seed, months
        As for :meth:`sim.model.SettlementModel.from_scenario`.

    Returns
    -------
    RunResult
        The whole run's tables (rows in the order a single model writes them); the manifest adds
        ``parts`` (the groups) and ``exchanged_movers`` / ``exchanged_relatives`` (rows passed between parts).

    Raises
    ------
    ScenarioError
        If the groups do not cover every city exactly once.
    """
    _check_groups(scenario, groups)
    synthesis = synthesize(scenario, agents or scenario.agents, seed)
    every_row = np.arange(synthesis.population.size)
    parts = []
    for group in groups:
        population = synthesis.population.take(every_row)
        own = dataclasses.replace(synthesis, population=population, region_store=region_store(scenario, population))
        parts.append(SettlementModel(scenario, own, seed=seed, months=months, cities=group))
    del synthesis
    city_ids = list(scenario.cities)
    part_of_city = np.zeros(len(city_ids), np.int64)
    for index, group in enumerate(groups):
        part_of_city[[city_ids.index(c) for c in group]] = index
    exchanged = {"exchanged_movers": 0, "exchanged_relatives": 0}
    started = time.perf_counter()
    for _ in range(parts[0].months):
        for part in parts:
            part.advance()
        for part in parts:
            movers, part.departures = part.departures, None
            if movers is None:
                continue
            destination = part_of_city[movers.cities]
            for index in np.unique(destination):
                batch = movers.subset(destination == index)
                parts[index].receive(batch)
                exchanged["exchanged_movers"] += len(batch.rows)
                exchanged["exchanged_relatives"] += len(batch.relatives)
        for part in parts:
            part.close_month()
    result = _combine(parts, groups, city_ids, time.perf_counter() - started)
    result.manifest |= exchanged
    return result


def _combine(
    parts: list[SettlementModel], groups: Sequence[Sequence[str]], city_ids: list[str], seconds: float
) -> RunResult:
    """The whole run's tables from its parts: each row of the population from the part that holds it."""
    city_order = {city: i for i, city in enumerate(city_ids)}

    def ordered(frames: list[pd.DataFrame]) -> pd.DataFrame:
        # A part without rows (no rounds in its cities) would turn the columns' dtypes to object.
        table = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
        key = table["city"].map(city_order)
        return table.iloc[np.lexsort((key.to_numpy(), table["month"].to_numpy().astype(str)))].reset_index(drop=True)

    first = parts[0]
    population = first.population.take(np.arange(first.population.size))
    owner = np.zeros(population.size, np.int64)
    held = np.zeros(population.size, np.int64)
    for index, part in enumerate(parts):
        mine = (part.population.status != ABSENT) & part.holds[part.population.city]
        held += mine
        owner[mine] = index
    if np.any(held != 1):
        raise RuntimeError(f"{int(np.sum(held != 1))} rows are held by no part or by several")
    for index, part in enumerate(parts[1:], start=1):
        rows = np.flatnonzero(owner == index)
        population.put(rows, part.population.take(rows))
    manifest = first._manifest(seconds)
    manifest["agents"] = sum(part.initial_agents for part in parts)
    manifest["parts"] = [list(group) for group in groups]
    return RunResult(
        monthly=ordered([part._monthly_table() for part in parts]),
        rounds=ordered([part.datacollector.get_table_dataframe("rounds") for part in parts]),
        settlers=first._settlers(population),
        manifest=manifest,
    )


def _check_groups(scenario: Scenario, groups: Sequence[Sequence[str]]) -> None:
    named = [city for group in groups for city in group]
    missing = [city for city in scenario.cities if city not in named]
    unknown = [city for city in named if city not in scenario.cities]
    twice = sorted({city for city in named if named.count(city) > 1})
    if missing or unknown or twice or not groups:
        found = "; ".join(
            text
            for text in (
                f"not in any group: {missing}" if missing else "",
                f"not cities of the scenario: {unknown}" if unknown else "",
                f"in more than one group: {twice}" if twice else "",
                "no groups" if not groups else "",
            )
            if text
        )
        raise ScenarioError(
            [
                Problem(
                    f"scenario {scenario.id}",
                    "cities",
                    f"expected groups of cities that name every city of the scenario once, found {found}.",
                    hint=f"the scenario's cities are {list(scenario.cities)}",
                )
            ]
        )
