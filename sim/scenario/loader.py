"""Load scenario files: YAML → ``extends`` chain → overrides → validated :class:`Scenario`.

All problems are collected and raised together as one :class:`~sim.errors.ScenarioError`;
nothing is half-loaded.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import heapq
import itertools
import math
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import SHOWN_CHARS, Problem, ScenarioError, shorten
from sim.months import parse_date
from sim.scenario.schema import TEXT_TAGS, Scenario
from sim.scenario.timeline import check_timelines
from sim.scenario.yamlsource import (
    KeyPath,
    Origins,
    format_key_path,
    origin_of,
    read_yaml,
)

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
"""The preset library; ``extends: NAME`` also looks here."""

RENAMED: dict[str, str] = {
    "continuous_months": "social_insurance: {count: continuous, months: N}",
    "cumulative_months": "social_insurance: {count: cumulative, months: M, window: W}",
    "quota": "rounds.quota_persons",
    "effective_from": "from",
}
"""Keys people are likely to write, mapped to what the schema calls them."""


def load_scenario(
    path: str | Path, overrides: Mapping[str, Any] | None = None, *, parents: Parents | None = None
) -> Scenario:
    """Load and validate a scenario file, following ``extends`` and applying overrides.

    Parameters
    ----------
    path : str or Path
        A scenario YAML file, or the id of a preset in ``scenarios/``.
    overrides : mapping, optional
        ``{"dotted.key[1].path": value}`` applied after the file (for sweeps and the dashboard).
    parents : Parents, optional
        Which files ``extends`` may name: by default a path relative to the extending file or a
        preset id; :class:`LibraryParents` allows only presets and named uploads.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        Listing every problem found, each with file, key path, line and a hint.
    """
    data, origins = _load_chain(_locate(Path(path)), (), parents or Parents())
    if overrides:
        data = apply_overrides(data, overrides, origins)
    return validate_scenario(data, origins, str(path))


def scenario_data(path: str | Path) -> tuple[dict[str, Any], Origins]:
    """The data of a scenario file merged with its ``extends`` chain, before validation, and its origins."""
    return _load_chain(_locate(Path(path)), (), Parents())


def validate_scenario(data: Any, origins: Origins, name: str) -> Scenario:
    """Validate merged scenario data; raise a :class:`ScenarioError` with every problem."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem(name, "", f"must be a mapping of keys, got {type(data).__name__}.")])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        errors = [e for e in err.errors() if not _items_failed(e)]
        raise ScenarioError([problem_from_error(e, origins, name) for e in errors]) from err
    problems = check_timelines(scenario, origins, name)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _items_failed(error: Mapping[str, Any]) -> bool:
    # pydantic adds "should have at least 1 item after validation, not 0" to a list whose
    # items all failed; the items' own errors say what is wrong, the list is long enough.
    found, ctx = error.get("input"), error.get("ctx") or {}
    return (
        error["type"] == "too_short"
        and isinstance(found, (list, tuple, dict))
        and len(found) >= ctx.get("min_length", 0)
    )


def _locate(path: Path) -> Path:
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return _preset(path.name) or path.with_suffix(".yaml")


MAX_EXTENDS = 16
"""Longest chain of ``extends`` (the presets chain at most 3 files)."""


class Parents:
    """How ``extends:`` finds a file: a path relative to the extending file, or a preset id.

    The command line uses this; :class:`LibraryParents` is the stricter rule for files from
    elsewhere (the dashboard's uploads).
    """

    def find(self, child: Path, name: str) -> Path | None:
        """The file that ``name`` (written in ``child``) names, or None."""
        if not name.strip():
            return None
        for candidate in (child.parent / name, child.parent / f"{name}.yaml"):
            if candidate.is_file():
                return candidate
        return _preset(name)

    def hint(self, child: Path, name: str) -> str:
        """What to write instead of a name that was not found."""
        return _suggest_parent(child, name)


class LibraryParents(Parents):
    """``extends`` may name only a preset id or one of ``uploads`` (by file name); no other file is read.

    Files inside the preset library keep the usual rule, so that presets extend each other by
    relative paths as they do on the command line.

    Parameters
    ----------
    uploads : mapping of str to Path
        File names the user may extend (e.g. the files they uploaded in this session) and their paths.
    """

    def __init__(self, uploads: Mapping[str, Path] | None = None) -> None:
        self.uploads = dict(uploads or {})

    def find(self, child: Path, name: str) -> Path | None:
        """A preset by id or an allowed upload by file name (``.yaml`` optional), or None."""
        if _inside_library(child):
            return super().find(child, name)
        for key in (name, f"{name}.yaml", f"{name}.yml"):
            if key in self.uploads:
                return self.uploads[key]
        return _preset(name)

    def hint(self, child: Path, name: str) -> str:
        """The presets closest to ``name``; never a path outside the library."""
        close = difflib.get_close_matches(Path(name).stem, _preset_ids(), n=1)
        allowed = "a preset id or the name of a file uploaded in this session"
        suggestion = f"did you mean '{close[0]}'? " if close else ""
        return f"{suggestion}'extends' may name only {allowed}"


def _inside_library(path: Path) -> bool:
    return path.resolve().is_relative_to(SCENARIO_DIR)


def _preset(name: str) -> Path | None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        return None  # a path, not a preset id (and no pattern for rglob)
    matches = sorted(SCENARIO_DIR.rglob(f"{name.removesuffix('.yaml')}.yaml"))
    return matches[0] if matches else None


def _preset_ids() -> list[str]:
    return [p.stem for p in SCENARIO_DIR.rglob("*.yaml")]


def _load_chain(path: Path, seen: tuple[Path, ...], parents: Parents) -> tuple[dict[str, Any], Origins]:
    data, origins = read_yaml(path)
    if not isinstance(data, dict):
        found = "an empty file" if data is None else type(data).__name__
        raise ScenarioError([Problem(str(path), "", f"must be a mapping of keys, got {found}.")])
    parent_name = data.get("extends")
    if parent_name is None:
        return data, origins
    file, line = origins[("extends",)]
    if not isinstance(parent_name, str):
        raise ScenarioError(
            [
                Problem(
                    file,
                    "extends",
                    f"expected a preset id or a file path, found {shorten(parent_name)}.",
                    line,
                    "write e.g. extends: ningbo-2018-baseline",
                )
            ]
        )
    if len(seen) + 1 >= MAX_EXTENDS:
        raise ScenarioError(
            [
                Problem(
                    file,
                    "extends",
                    f"expected a chain of at most {MAX_EXTENDS} files, found a longer one.",
                    line,
                    "extend a preset directly instead of a chain of files",
                )
            ]
        )
    parent = parents.find(path, parent_name)
    if parent is None:
        hint = parents.hint(path, parent_name)
        raise ScenarioError([Problem(file, "extends", f"no scenario {shorten(parent_name)} found.", line, hint)])
    if parent.resolve() in (*seen, path.resolve()):
        chain = " → ".join(p.name for p in (*seen, path.resolve(), parent.resolve()))
        raise ScenarioError(
            [
                Problem(
                    file,
                    "extends",
                    f"extends itself in a cycle: {chain}.",
                    line,
                    "remove 'extends' from one file of the cycle",
                )
            ]
        )
    base, base_origins = _load_chain(parent, (*seen, path.resolve()), parents)
    return merge(base, data, base_origins, origins)


def _suggest_parent(path: Path, name: str) -> str:
    # Compare file names, not whole paths: '../base/china-migrant' is close to 'china-migrants'
    # although the strings as a whole differ in more than their last letters.
    written = Path(name)
    folder = path.parent / written.parent
    candidates = {p.stem: p.stem for p in SCENARIO_DIR.rglob("*.yaml")}
    if folder.is_dir():
        candidates.update({p.stem: (written.parent / p.stem).as_posix() for p in folder.glob("*.y*ml")})
    close = difflib.get_close_matches(written.stem, list(candidates), n=1)
    if close:
        return f"did you mean '{candidates[close[0]]}'?"
    return "give a path relative to this file or a preset id"


def merge(
    base: Any,
    child: Any,
    base_origins: Origins,
    child_origins: Origins,
    at: KeyPath = (),
) -> tuple[Any, Origins]:
    """Deep-merge ``child`` over ``base``; rule lists merge by their ``from`` date.

    Mappings merge key by key (a child's null removes the key, except inside rule sets,
    where null keeps its timeline meaning of "abolished from this date"); a city's ``rules``
    list merges entry by entry where the ``from`` dates match (a new date adds a rule set);
    inside a rule set, a route or a points item is replaced whole, as in the timeline; so are the
    ``description`` and each citation of ``sources`` (both languages or neither); any other value
    is replaced.

    Returns
    -------
    merged, origins
        The merged data and the origin of each of its key paths.
    """
    if "rules" in at and at[-2:-1] in (("routes",), ("items",)):
        return child, child_origins  # a route or points item restated is replaced whole, as in a timeline
    if at == ("description",) or at[-2:-1] == ("sources",):
        return child, child_origins  # a text restated in one language must not keep the parent's other one
    if isinstance(base, dict) and isinstance(child, dict):
        merged: dict[Any, Any] = {}
        origins: Origins = {(): child_origins.get((), base_origins.get((), ("", 0)))}
        for key in [*base, *(k for k in child if k not in base)]:
            sub_base, sub_child = _sub(base_origins, key), _sub(child_origins, key)
            if key in base and key in child:
                value, sub = merge(base[key], child[key], sub_base, sub_child, (*at, key))
            elif key in child:
                value, sub = child[key], sub_child
            else:
                value, sub = base[key], sub_base
            if value is None and key in child and "rules" not in at:
                continue  # null in an extending file removes the inherited key (e.g. a city)
            merged[key] = value
            origins.update({(key, *p): o for p, o in sub.items()})
        return merged, origins
    if at[-1:] == ("rules",) and isinstance(base, list) and isinstance(child, list):
        return _merge_rule_lists(base, child, base_origins, child_origins, at)
    return child, child_origins


def _merge_rule_lists(
    base: list[Any],
    child: list[Any],
    base_origins: Origins,
    child_origins: Origins,
    at: KeyPath,
) -> tuple[list[Any], Origins]:
    # A child's rule set merges into the base's rule set of the same date; other rule sets are
    # interleaved by date, but each file's own order is kept, so that rule sets out of order or
    # repeating a date within one file still reach the timeline check instead of being sorted
    # (or merged) away. A child out of order is therefore not merged at all.
    olds = [(item, _sub(base_origins, index)) for index, item in enumerate(base)]
    news: list[tuple[Any, Origins]] = []
    base_dates = [_rule_date(item) for item in base]
    child_dates = [_rule_date(item) for item in child]
    known = [date for date in child_dates if date is not None]
    in_order = all(a < b for a, b in itertools.pairwise(known))
    for index, (item, date) in enumerate(zip(child, child_dates, strict=True)):
        sub = _sub(child_origins, index)
        if in_order and date is not None and date in base_dates:
            match = base_dates.index(date)
            olds[match] = merge(olds[match][0], item, olds[match][1], sub, (*at, index))
        else:
            news.append((item, sub))
    ordered = list(heapq.merge(olds, news, key=lambda entry: _rule_date(entry[0]) or ""))
    merged = [value for value, _ in ordered]
    origins: Origins = {(): child_origins.get((), base_origins.get((), ("", 0)))}
    for index, (_, sub) in enumerate(ordered):
        origins.update({(index, *p): o for p, o in sub.items()})
    return merged, origins


def _rule_date(item: Any) -> str | None:
    """Return the ``from`` date of a raw rule set as ``YYYY-MM-DD`` (as written if no date)."""
    if not isinstance(item, dict) or item.get("from") is None:
        return None
    try:
        return parse_date(item["from"]).isoformat()
    except ValueError:
        return str(item["from"])


def _sub(origins: Origins, key: Any) -> Origins:
    return {p[1:]: o for p, o in origins.items() if p[:1] == (key,)}


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any], origins: Origins) -> dict[str, Any]:
    """Return a copy of ``data`` with ``{"a.b[0].c": value}`` overrides applied.

    Raises
    ------
    ScenarioError
        If a path does not lead through existing mappings and lists.
    """
    result = copy.deepcopy(data)
    problems = []
    for dotted, value in overrides.items():
        keys = parse_key_path(dotted)
        target: Any = result
        try:
            for key in keys[:-1]:
                target = target[key]
            if isinstance(target, list) and not isinstance(keys[-1], int):
                raise TypeError
            target[keys[-1]] = value
        except (KeyError, IndexError, TypeError):
            problems.append(
                Problem(
                    "<overrides>",
                    dotted,
                    "does not lead to a value in the scenario.",
                    hint="write dotted keys with [i] for list items, e.g. cities.ningbo.rules[1].channels",
                )
            )
    if problems:
        raise ScenarioError(problems)
    for dotted in overrides:
        origins[tuple(parse_key_path(dotted))] = ("<overrides>", 0)
    return result


def parse_key_path(dotted: str) -> list[str | int]:
    """Split ``'cities.ningbo.rules[1].from'`` into ``['cities', 'ningbo', 'rules', 1, 'from']``."""
    keys: list[str | int] = []
    for part in dotted.split("."):
        name, *indices = part.replace("]", "").split("[")
        if name:
            keys.append(name)
        keys.extend(int(i) for i in indices)
    return keys


def problem_from_error(
    error: Mapping[str, Any],
    origins: Origins,
    name: str,
    *,
    model: type[BaseModel] = Scenario,
    renamed: Mapping[str, str] = RENAMED,
    doc: str = "docs/scenarios.md",
) -> Problem:
    """Turn one pydantic error into a :class:`Problem` with file, line, key path and a hint.

    Parameters
    ----------
    error : mapping
        One item of ``ValidationError.errors()``.
    origins : dict
        Where each key path came from (see :func:`sim.scenario.yamlsource.read_yaml`).
    name : str
        The file to name when a path has no recorded origin.
    model : pydantic model class
        The file's top-level model, for the valid keys suggested after an unknown key.
    renamed : mapping
        Keys people are likely to write, mapped to how the schema says them.
    doc : str
        Where the format is documented, for the hint of a missing key.
    """
    loc = tuple(_clean_loc(error["loc"]))
    file, line = origin_of(origins, loc) or (name, None)
    path = format_key_path(loc)
    if error["type"] == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(model, loc[:-1])
        hint = ""
        if key in renamed:
            hint = f"'{key}' is written {renamed[key]}"
        elif close := difflib.get_close_matches(key, allowed, n=1, cutoff=0.5):
            hint = f"did you mean '{close[0]}'?"
        elif allowed:
            hint = f"valid keys here: {', '.join(sorted(allowed))}"
        return Problem(file, path, f"unknown key '{key}'.", line, hint)
    if error["type"] == "missing":
        return Problem(file, path, "is required but missing.", line, f"add it (see {doc})")
    found_value = error.get("input")
    number = _non_finite(found_value)
    if number is not None or error["type"] == "finite_number":
        if number is None:
            found = f"{shorten(found_value)}, which is too large to be a finite number"
        else:
            found = "NaN (not a number)" if math.isnan(number) else f"{number} (infinite)"
        return Problem(file, path, f"expected a finite number, found {found}.", line, "write a number")
    message = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    # pydantic quotes some inputs in its messages (a discriminator's tag): at most a prefix of them.
    for text in sorted(set(_long_strings(found_value)), key=len, reverse=True):
        message = message.replace(text, f"{text[:SHOWN_CHARS]}… ({len(text):,} characters)")
    quoted = (
        isinstance(found_value, (dict, list))
        or repr(found_value) in message
        or (isinstance(found_value, dt.date) and str(found_value) in message)
    )
    shown = "" if quoted else f" Got {shorten(found_value)}."
    return Problem(file, path, f"{message}.{shown}", line)


def _long_strings(value: Any, depth: int = 2) -> list[str]:
    """Strings longer than :data:`~sim.errors.SHOWN_CHARS` in ``value`` and its items, ``depth`` levels down."""
    if isinstance(value, str):
        return [value] if len(value) > SHOWN_CHARS else []
    if depth == 0:
        return []
    items = [*value.keys(), *value.values()] if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in _long_strings(item, depth - 1)]


def _non_finite(value: Any) -> float | None:
    """``value`` as a float if it is NaN or infinite (also written as text, e.g. 'nan'), else None."""
    if isinstance(value, str) and value.strip().lower().lstrip("+-") not in ("nan", "inf", "infinity"):
        return None  # a long string of digits also makes an infinite float, but it is not meant as one
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return None if math.isfinite(number) else number


def _clean_loc(loc: tuple[Any, ...]) -> list[Any]:
    # Discriminated unions put the tag ('rate', 'table', 'one_language', ...) into the location; it is not a key.
    tags = {
        "rate",
        "table",
        "brackets",
        "flag",
        "function-after[_consistent(), CountRule]",
        *TEXT_TAGS,
    }
    return [part for part in loc if not (isinstance(part, str) and (part in tags or part.startswith("function-")))]


def _allowed_keys(model: type[BaseModel], loc: KeyPath) -> list[str]:
    annotation: Any = model
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    cls = _model_class(annotation)
    if cls is None:
        return []
    return [field.alias or key for key, field in cls.model_fields.items()]


def _step(annotation: Any, part: str | int) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _step(typing.get_args(annotation)[0], part)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _step(arg, part)
            if found is not None:
                return found
        return None
    if origin is dict:
        return typing.get_args(annotation)[1] if isinstance(part, str) else None
    if origin is tuple:
        return typing.get_args(annotation)[0] if isinstance(part, int) else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(part, str):
        for key, field in annotation.model_fields.items():
            if part in (key, field.alias):
                return field.annotation
    return None


def _model_class(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_class(arg)
        if found is not None:
            return found
    return None
