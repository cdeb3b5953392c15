"""Editing a variant's key rules in the page: what can be edited, and the overrides an edit becomes.

An *edit* is ``{field path: new value}`` where the path names one value of a city's latest rule set
in the merged rule list of the scenario (``extends`` applied), e.g.::

    cities.ningbo.rules[1].channels.residence_employment.routes.social_insurance.social_insurance
        = {"count": "cumulative", "months": 36, "window": 48}

Edits are what the session state and the URL keep. :func:`overrides_for` turns them into the
overrides that :func:`sim.scenario.load_scenario` applies: the edit itself where the rule set
writes the route (or item, or channel) it changes; otherwise the route or points item restated
whole — as it is in force, with the edits — under the nearest key the rule set does write, since a
later rule set replaces a route or an item whole (see :mod:`sim.scenario.timeline`). The module is
pure: no streamlit.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sim.errors import UnknownKindError
from sim.rules.condition_kinds import CONDITION_KINDS
from sim.rules.vocabulary import ConditionKind, Widget
from sim.scenario import Scenario, parse_key_path, resolve_timeline
from sim.scenario.schema import COUNT_MODES, CountRule, PointsChannel, RateItem

OFFERED = tuple(
    [kind for kind in CONDITION_KINDS.values() if kind.widget is Widget.COUNT_RULE]
    + [kind for kind in CONDITION_KINDS.values() if kind.widget in (Widget.WHOLE_NUMBER, Widget.NUMBER)]
)
"""Route conditions the editor offers (when the route has them), counting rules first, as their entries say."""

Kind = Literal["count_rule", "number", "points", "quota", "threshold", "processing"]


@dataclass(frozen=True)
class Editable:
    """One editable value of a city's latest rule set.

    Attributes
    ----------
    city : str
    index : int
        Position of the rule set in the city's merged ``rules`` list.
    path : tuple
        Keys inside the rule set, e.g. ``("channels", "talent", "routes", "college", "social_insurance")``.
    kind : str
        ``count_rule`` (a dict), ``number`` (a route condition), ``points`` (a rate item's points),
        ``quota`` / ``threshold`` (points rounds), ``processing`` (a channel's processing months).
    value : Any
        The value in force (a count rule as a dict).
    """

    city: str
    index: int
    path: tuple[str, ...]
    kind: Kind
    value: Any

    @property
    def key(self) -> str:
        """The edit's dotted path in the scenario (as :func:`sim.scenario.load_scenario` reads overrides)."""
        return dotted(("cities", self.city, "rules", self.index, *self.path))

    @property
    def channel(self) -> str:
        """The channel the value belongs to."""
        return self.path[1]

    @property
    def route(self) -> str | None:
        """The route (or points item) the value belongs to, if any."""
        return self.path[3] if len(self.path) > 4 and self.path[2] in ("routes", "items") else None

    @property
    def field(self) -> str:
        """The last key of the path (``social_insurance``, ``points``, ``quota_persons`` …)."""
        return self.path[-1]


def dotted(keys: tuple[Any, ...]) -> str:
    """``("cities", "ningbo", "rules", 1, "from")`` → ``"cities.ningbo.rules[1].from"``."""
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def count_rule_dict(rule: CountRule) -> dict[str, Any]:
    """A counting rule as the plain dict an edit stores (defaults left out)."""
    return rule.model_dump(mode="json", exclude_defaults=True)


def editables(scenario: Scenario) -> list[Editable]:
    """Every editable value of each city's latest rule set, in channel and route order.

    Returns
    -------
    list of Editable
        For each route: the conditions whose entries offer a widget (counting rules, numbers);
        for each channel its processing months; for a points channel its rate items' points and
        its rounds' quota and threshold.
    """
    found: list[Editable] = []
    for city_id, city in scenario.cities.items():
        period = resolve_timeline(city.rules)[-1]
        for name, channel in period.channels():
            base = ("channels", name)
            for route_name, route in channel.routes.items():
                at = (*base, "routes", route_name)
                for kind in OFFERED:
                    value = getattr(route, kind.name)
                    if value is not None:
                        found.append(_condition(city_id, period.index, (*at, kind.name), kind, value))
            if isinstance(channel, PointsChannel):
                for item_name, item in channel.items.items():
                    if isinstance(item, RateItem):
                        path = (*base, "items", item_name, "points")
                        found.append(Editable(city_id, period.index, path, "points", item.points))
                if channel.rounds is not None:
                    rounds = channel.rounds
                    found.append(
                        Editable(
                            city_id, period.index, (*base, "rounds", "quota_persons"), "quota", rounds.quota_persons
                        )
                    )
                    found.append(
                        Editable(city_id, period.index, (*base, "rounds", "threshold"), "threshold", rounds.threshold)
                    )
            found.append(
                Editable(city_id, period.index, (*base, "processing_months"), "processing", channel.processing_months)
            )
    return found


def _condition(city: str, index: int, path: tuple[str, ...], kind: ConditionKind, value: Any) -> Editable:
    """A route condition as its entry's widget offers it.

    Raises
    ------
    UnknownKindError
        If the entry's widget is not one the editor has.
    """
    if kind.widget is Widget.COUNT_RULE:
        return Editable(city, index, path, "count_rule", count_rule_dict(value))
    if kind.widget in (Widget.WHOLE_NUMBER, Widget.NUMBER):
        return Editable(city, index, path, "number", value)
    raise UnknownKindError(f"editor widget (condition {kind.name!r})", kind.widget, [w.value for w in Widget])


def _atomic_depth(path: tuple[Any, ...]) -> int | None:
    """Length of the prefix of a rule-set path that names a route or a points item (replaced whole)."""
    if len(path) >= 4 and path[0] == "channels" and path[2] in ("routes", "items"):
        return 4
    return None


def overrides_for(scenario: Scenario, edits: Mapping[str, Any]) -> dict[str, Any]:
    """The overrides that make ``scenario`` (loaded without them) carry ``edits``.

    Parameters
    ----------
    scenario : Scenario
        The variant as its file (and ``extends``) define it, without edits.
    edits : mapping
        ``{dotted path: value}`` as :attr:`Editable.key` names them.

    Returns
    -------
    dict
        Overrides for :func:`sim.scenario.load_scenario` (sorted: a key is applied before the keys
        below it).

    Raises
    ------
    ValueError
        If an edit does not name a value of a rule set of the scenario.
    """
    overrides: dict[str, Any] = {}
    grouped: dict[tuple[Any, ...], dict[tuple[Any, ...], Any]] = {}
    for key, value in edits.items():
        keys = tuple(parse_key_path(key))
        if len(keys) < 6 or keys[0] != "cities" or keys[2] != "rules" or not isinstance(keys[3], int):
            raise ValueError(f"edit '{key}' does not name a value of a city's rule set")
        city, index, inner = keys[1], keys[3], keys[4:]
        if city not in scenario.cities or not 0 <= index < len(scenario.cities[city].rules):
            raise ValueError(f"edit '{key}' names a rule set the scenario does not have")
        raw = scenario.cities[city].rules[index].model_dump(mode="json", by_alias=True, exclude_unset=True)
        depth = _existing_depth(raw, inner)
        if depth >= len(inner) - 1:
            overrides[key] = value  # the rule set writes the route (or channel) itself: override the value
            continue
        atomic = _atomic_depth(inner)
        if atomic is not None and depth < atomic:
            # The route or item is inherited: restate it whole, as in force, with every edit inside it.
            grouped.setdefault((city, index, inner[:atomic], depth), {})[inner[atomic:]] = value
        else:
            _nest(overrides, (city, index), inner, depth, value)
    for (city, index, container, depth), changes in grouped.items():
        current = _resolved(scenario, city, index, container)
        for sub, value in changes.items():
            _set(current, sub, value)
        _nest(overrides, (city, index), container, depth, current)
    return dict(sorted(overrides.items()))


def _existing_depth(raw: Any, inner: tuple[Any, ...]) -> int:
    """How many leading keys of ``inner`` the raw rule set writes (up to the parent of the last)."""
    node = raw
    depth = 0
    for key in inner[:-1]:
        if isinstance(node, dict) and isinstance(node.get(key), dict):
            node = node[key]
            depth += 1
        else:
            break
    return depth


def _nest(overrides: dict[str, Any], where: tuple[str, int], inner: tuple[Any, ...], depth: int, value: Any) -> None:
    """Put ``value`` at ``inner`` as a nested dict under the first key the rule set does not write."""
    city, index = where
    key = dotted(("cities", city, "rules", index, *inner[: depth + 1]))
    nested: Any = value
    for part in reversed(inner[depth + 1 :]):
        nested = {part: nested}
    if key in overrides and isinstance(overrides[key], dict) and isinstance(nested, dict):
        overrides[key] = _deep_merge(overrides[key], nested)
    else:
        overrides[key] = nested


def _deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    merged = dict(a)
    for key, value in b.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolved(scenario: Scenario, city: str, index: int, container: tuple[Any, ...]) -> dict[str, Any]:
    """A route or points item as in force from rule set ``index``, as a plain dict."""
    period = resolve_timeline(scenario.cities[city].rules)[index]
    node: Any = period.rules
    for key in container:
        node = node.get(key) if isinstance(node, dict) else getattr(node, key)
    if node is None:
        raise ValueError(f"no {dotted(container)} in force in {city}'s rule set {index}")
    return copy.deepcopy(node.model_dump(mode="json", by_alias=True, exclude_none=True))


def _set(target: dict[str, Any], keys: tuple[Any, ...], value: Any) -> None:
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def count_rule_value(count: str, months: int, window: int | None, current: Mapping[str, Any]) -> dict[str, Any]:
    """A counting rule edited to ``count``/``months``/``window``, keeping its other keys where they apply.

    Raises
    ------
    UnknownKindError
        If ``count`` is neither ``continuous`` nor ``cumulative``.
    """
    if count not in COUNT_MODES:
        raise UnknownKindError("count", count, COUNT_MODES)
    rule = {k: v for k, v in current.items() if k not in ("count", "months", "window", "back_paid_max")}
    rule["count"] = count
    rule["months"] = int(months)
    if count == "cumulative":
        rule["window"] = None if window is None else int(window)
    elif current.get("count") == "continuous" and current.get("back_paid_max"):
        rule["back_paid_max"] = current["back_paid_max"]
    return rule


def same_value(a: Any, b: Any) -> bool:
    """Whether an edited value equals the value in force (count rules compared without null keys)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: v for k, v in a.items() if v is not None} == {k: v for k, v in b.items() if v is not None}
    return a == b
