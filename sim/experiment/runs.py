"""One run of an experiment: its spec, its resolution into a task, and the worker that executes it.

A :class:`RunSpec` says *what* to run — scenario file (or preset id), overrides, seed, agents,
months — and is small, hashable and picklable. The driver resolves it (loads and validates the
scenario) into a :class:`RunTask` that carries the validated scenario itself, so that a worker on
another machine needs the package but not the scenario files. :func:`execute` runs the model on the
worker and summarises its tables there, so that what travels back is a few kilobytes.

A run's identity (its *key*) is a hash of what determines its result: the resolved scenario, the
seed, the agent count, the months and the package version. The label and the path do not enter it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import SimError
from sim.model import MONTHLY_COLUMNS, ROUND_COLUMNS, SettlementModel
from sim.provenance import code_sha256
from sim.scenario import Scenario, load_scenario

AGE_BANDS = ("0-15", "16-24", "25-34", "35-44", "45-59", "60+")
"""Bands of age at settlement (years) in the summarised settlers table."""
AGE_BAND_EDGES = (0, 16, 25, 35, 45, 60)
AGED_18_34 = (18, 35)
"""Age range [18, 35) flagged separately: calibration targets quote the share of settlers aged 18–34."""

SETTLER_KEYS = [
    "scenario",
    "seed",
    "city",
    "month",
    "channel",
    "is_dependant",
    "age_band",
    "education",
    "is_aged_18_34",
]
SETTLER_VALUES = ["agents", "persons", "wait_months_sum", "months_in_city_sum", "social_insurance_months_sum"]
"""The settlers summary: one row per group; ``*_sum`` are sums over the group's agents (divide by ``agents``)."""
TABLES_COLUMNS = {"monthly": MONTHLY_COLUMNS, "rounds": ROUND_COLUMNS, "settlers": SETTLER_KEYS + SETTLER_VALUES}
"""The columns of each table a run returns."""

KEY_LENGTH = 24
"""Hex digits of a run key (96 bits)."""


def _plain(value: Any) -> Any:
    """Return ``value`` as plain JSON-able Python (numpy scalars and tuples converted)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the text that hashes identify."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def scenario_sha256(scenario: Scenario) -> str:
    """The hash of a resolved scenario, as the model's manifest computes it."""
    resolved = scenario.model_dump(mode="json", by_alias=True)
    return hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class RunSpec:
    """What to run: a scenario with overrides, one seed, a size.

    Parameters
    ----------
    scenario : str
        A scenario YAML file or preset id (as :func:`sim.scenario.load_scenario` takes it).
    seed : int
        The run's seed. Runs of different scenarios with one seed share their random draws.
    agents : int, optional
        Agents for the initial migrants; the scenario's ``agents`` by default.
    months : int, optional
        Months to simulate; the scenario's ``months`` by default.
    overrides : mapping or tuple of pairs, optional
        ``{"dotted.path[0].key": value}`` applied after the file; kept as sorted pairs.
    label : str, optional
        The name of the scenario in result tables; the scenario's ``id`` by default. Not part of
        the run's identity.
    """

    scenario: str
    seed: int = 0
    agents: int | None = None
    months: int | None = None
    overrides: tuple[tuple[str, Any], ...] = ()
    label: str | None = None

    def __post_init__(self) -> None:
        items = self.overrides.items() if isinstance(self.overrides, Mapping) else self.overrides
        object.__setattr__(self, "scenario", str(self.scenario))
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "overrides", tuple(sorted((str(k), _plain(v)) for k, v in items)))

    def __hash__(self) -> int:
        return hash(canonical_json(self.to_dict()))

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-able data."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "agents": self.agents,
            "months": self.months,
            "overrides": dict(self.overrides),
            "label": self.label,
        }

    @property
    def overrides_dict(self) -> dict[str, Any]:
        """The overrides as a dict."""
        return dict(self.overrides)

    @property
    def spec_key(self) -> str:
        """A key from the spec alone (used for runs whose scenario could not be resolved)."""
        text = canonical_json({**self.to_dict(), "label": None})
        return "spec-" + hashlib.sha256(text.encode()).hexdigest()[: KEY_LENGTH - 5]


@dataclass(frozen=True)
class RunTask:
    """What a worker needs to execute one run: the validated scenario travels with it."""

    key: str
    scenario: Scenario
    seed: int
    agents: int
    months: int


@dataclass
class RunOutcome:
    """What a worker sends back: summarised tables and the run's manifest, or the error."""

    key: str
    tables: dict[str, pd.DataFrame] | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    traceback: str = ""

    @property
    def ok(self) -> bool:
        """Whether the run finished."""
        return self.error is None


@dataclass(frozen=True)
class ResolvedRun:
    """A spec with its validated scenario and its key."""

    spec: RunSpec
    label: str
    scenario: Scenario
    scenario_sha256: str
    agents: int
    months: int
    key: str

    def task(self) -> RunTask:
        """The task a worker executes."""
        return RunTask(self.key, self.scenario, self.spec.seed, self.agents, self.months)


def run_key(scenario_sha: str, seed: int, agents: int, months: int, code: str | None = None) -> str:
    """The identity of a run: a hash of what determines its result.

    ``code`` is the hash of the code that runs it, :func:`sim.provenance.code_sha256` by default:
    a change to the model's code gives new keys, so a store never returns runs of other code.
    """
    text = canonical_json(
        {
            "scenario_sha256": scenario_sha,
            "seed": seed,
            "agents": agents,
            "months": months,
            "code_sha256": code or code_sha256(),
        }
    )
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


def resolve(specs: Iterable[RunSpec]) -> tuple[list[ResolvedRun | None], dict[int, str]]:
    """Load and validate the scenario of every spec (each distinct file and overrides once).

    Returns
    -------
    resolved, errors
        ``resolved[i]`` is the resolved run of spec ``i`` or None when its scenario failed to load;
        ``errors[i]`` then says why.
    """
    cache: dict[tuple[str, str], tuple[Scenario, str] | SimError] = {}
    resolved: list[ResolvedRun | None] = []
    errors: dict[int, str] = {}
    for index, spec in enumerate(specs):
        cache_key = (spec.scenario, canonical_json(spec.overrides_dict))
        if cache_key not in cache:
            try:
                scenario = load_scenario(spec.scenario, spec.overrides_dict or None)
                cache[cache_key] = (scenario, scenario_sha256(scenario))
            except SimError as err:
                cache[cache_key] = err
        loaded = cache[cache_key]
        if isinstance(loaded, SimError):
            errors[index] = f"{type(loaded).__name__}: {loaded}"
            resolved.append(None)
            continue
        scenario, sha = loaded
        agents = spec.agents or scenario.agents
        months = spec.months or scenario.months
        resolved.append(
            ResolvedRun(
                spec=spec,
                label=spec.label or scenario.id,
                scenario=scenario,
                scenario_sha256=sha,
                agents=agents,
                months=months,
                key=run_key(sha, spec.seed, agents, months),
            )
        )
    return resolved, errors


def execute(task: RunTask) -> RunOutcome:
    """Run one task on a worker and summarise its tables; never raises for a failing run.

    An exception inside the model is returned as the outcome's ``error`` (with its traceback), so
    that one failing run cannot take the others of a sweep down with it.
    """
    try:
        model = SettlementModel.from_scenario(task.scenario, agents=task.agents, seed=task.seed, months=task.months)
        result = model.run()
        tables = {
            "monthly": result.monthly,
            "rounds": result.rounds,
            "settlers": summarise_settlers(result.settlers),
        }
        manifest = {k: v for k, v in result.manifest.items() if k != "scenario"}
        manifest |= {"host": socket.gethostname(), "pid": os.getpid(), "finished": time.time()}
        return RunOutcome(task.key, tables, manifest)
    except Exception as err:  # a failing run is recorded, not raised: the others of the sweep go on
        return RunOutcome(task.key, error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc())


def summarise_settlers(settlers: pd.DataFrame) -> pd.DataFrame:
    """Aggregate one row per settled agent into groups of city × month × channel × age band × education.

    Parameters
    ----------
    settlers : DataFrame
        The model's ``settlers`` table.

    Returns
    -------
    DataFrame
        Columns :data:`SETTLER_KEYS` + :data:`SETTLER_VALUES`; ``age_band`` is the age at settlement
        in :data:`AGE_BANDS`; ``is_aged_18_34`` flags ages 18–34 inside the bands.
    """
    if settlers.empty:
        frame = pd.DataFrame({name: pd.Series(dtype=object) for name in SETTLER_KEYS})
        frame["seed"] = frame["seed"].astype(np.int64)
        frame[["is_dependant", "is_aged_18_34"]] = frame[["is_dependant", "is_aged_18_34"]].astype(bool)
        for name in SETTLER_VALUES:
            frame[name] = pd.Series(dtype=np.int64 if name == "agents" else np.float64)
        return frame
    age = settlers["age"].to_numpy()
    band = np.searchsorted(np.array(AGE_BAND_EDGES), age, side="right") - 1
    frame = settlers.assign(
        age_band=np.array(AGE_BANDS, dtype=object)[np.clip(band, 0, len(AGE_BANDS) - 1)],
        is_aged_18_34=(age >= AGED_18_34[0]) & (age < AGED_18_34[1]),
        agents=1,
        wait_months_sum=settlers["wait_months"].astype(np.float64),
        months_in_city_sum=settlers["months_in_city"].astype(np.float64),
        social_insurance_months_sum=settlers["social_insurance_months"].astype(np.float64),
    )
    summary = frame.groupby(SETTLER_KEYS, sort=True, observed=True)[SETTLER_VALUES].sum().reset_index()
    # The model's categorical labels become plain strings again: summaries of runs are concatenated,
    # and categoricals with different categories would not concatenate to one dtype.
    for name in SETTLER_KEYS:
        if isinstance(summary[name].dtype, pd.CategoricalDtype):
            summary[name] = summary[name].astype(str)
    summary["agents"] = summary["agents"].astype(np.int64)
    return summary
