"""The assumed behavioural parameters of a scenario, with the ranges a sensitivity analysis explores.

A fit frees a few parameters; every other number under the scenario's ``behaviour`` is an
assumption (a rate no source measures, a logit coefficient taken from a survey). Sensitivity must
cover them all, not only the fitted ones. Each assumed parameter is explored over a range around
its value in the scenario, clipped to the bounds its schema declares:

- a positive value ``v``: ``v/2`` to ``2v``, log-uniform (rates and multipliers act by ratio);
- zero or a negative value (logit coefficients): ``v − d`` to ``v + d`` with ``d = max(|v|/2, 0.1)``, uniform;
- an integer (retirement ages): ``v − 5`` to ``v + 5``, uniform, whole numbers.

The range is a convention of the screening, not a claim about the parameter's uncertainty: it
answers "how much does each figure move when this assumption is off by a factor of two".

A block the scenario does not write at all (``behaviour.service_cost`` where no city declares a
service) keeps the schema's defaults and cannot be overridden from outside; it is left out, and
:func:`assumed_parameters` says which keys it left out.
"""

from __future__ import annotations

import math
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from calibration.targets import Parameter, TargetsFile
from sim.errors import ScenarioError
from sim.scenario import load_scenario

INTEGER_SPAN = 5
SIGNED_MIN_SPAN = 0.1


def _bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    for item in model.model_fields[name].metadata:
        if isinstance(item, Ge | Gt):
            low = float(item.ge if isinstance(item, Ge) else item.gt)
        elif isinstance(item, Le | Lt):
            high = float(item.le if isinstance(item, Le) else item.lt)
    return low, high


def _leaves(node: BaseModel, prefix: str) -> list[tuple[str, Any, type[BaseModel], str]]:
    out = []
    for name in type(node).model_fields:
        value = getattr(node, name)
        if isinstance(value, BaseModel):
            out += _leaves(value, f"{prefix}.{name}")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.append((f"{prefix}.{name}", value, type(node), name))
    return out


def assumed_parameters(targets: TargetsFile) -> dict[str, Parameter]:
    """Every numeric ``behaviour`` parameter of the targets' scenario that the targets file does not free.

    Returns
    -------
    dict
        Dotted scenario key → :class:`~calibration.targets.Parameter` with the screening range
        (see the module's docstring) and the value in the scenario as its ``reason``.
    """
    candidates = _candidates(targets)
    return {k: p for k, p in candidates.items() if k not in unreachable(targets, candidates)}


def unreachable(targets: TargetsFile, candidates: dict[str, Parameter]) -> set[str]:
    """The keys of ``candidates`` that the scenario file does not write (their block keeps its defaults)."""
    try:
        load_scenario(targets.scenario_path(), {k: p.low for k, p in candidates.items()})
    except ScenarioError as err:
        return {problem.path for problem in err.problems if problem.file == "<overrides>"}
    return set()


def _candidates(targets: TargetsFile) -> dict[str, Parameter]:
    scenario = load_scenario(targets.scenario_path())
    out = {}
    for key, value, model, name in _leaves(scenario.behaviour, "behaviour"):
        if key in targets.parameters:
            continue
        floor, ceiling = _bounds(model, name)
        if isinstance(value, int):
            low, high, prior, integer = value - INTEGER_SPAN, value + INTEGER_SPAN, "uniform", True
        elif value > 0:
            low, high, prior, integer = value / 2, value * 2, "loguniform", False
        else:
            span = max(abs(value) / 2, SIGNED_MIN_SPAN)
            low, high, prior, integer = value - span, value + span, "uniform", False
        low, high = max(low, floor), min(high, ceiling)
        if prior == "loguniform" and low <= 0:
            prior = "uniform"
        if not low < high:
            continue  # pinned by its schema (e.g. a rate of 0 that may not fall)
        out[key] = Parameter(
            low=low, high=high, prior=prior, integer=integer, reason=f"assumed: {value:g} in the scenario"
        )
    return out


def with_assumed(targets: TargetsFile) -> TargetsFile:
    """A copy of ``targets`` whose parameters are the free ones followed by every assumed one."""
    return targets.model_copy(update={"parameters": {**targets.parameters, **assumed_parameters(targets)}})
