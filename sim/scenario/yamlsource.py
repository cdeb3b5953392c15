"""Read YAML as data (``yaml.safe_load`` semantics) together with the line of every key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError

KeyPath = tuple[str | int, ...]
Origins = dict[KeyPath, tuple[str, int]]
"""Where each key path came from: (file, 1-based line)."""


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that keeps impossible dates (``2019-13-01``) as strings.

    PyYAML raises a bare ``ValueError`` without a line for them; kept as text, they reach
    the schema, which reports them with key path and line like any other bad date.
    """


def _timestamp_or_text(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def read_yaml(path: Path, *, error: type[ScenarioError] = ScenarioError) -> tuple[Any, Origins]:
    """Load a YAML file safely and record the file and line of every key.

    Parameters
    ----------
    path : Path
        The file to read.
    error : type of ScenarioError
        The error class raised when the file cannot be read or parsed.

    Returns
    -------
    data, origins
        The data as ``yaml.safe_load`` gives it, and a map from key path to (file, line).

    Raises
    ------
    ScenarioError
        If the file is missing or is not valid YAML.
    """
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise error([Problem(name, "", "file not found.", hint="check the path")]) from err
    except (OSError, UnicodeDecodeError) as err:
        raise error([Problem(name, "", f"cannot be read as UTF-8 text ({err}).")]) from err
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: plain data only
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err)
        raise error(
            [
                Problem(
                    name,
                    "",
                    f"is not valid YAML: {problem}.",
                    line,
                    "check indentation and quoting",
                )
            ]
        ) from err
    origins: Origins = {}
    if node is not None:
        _record(node, (), name, origins)
    return data, origins


def _record(node: yaml.Node, path: KeyPath, name: str, origins: Origins) -> None:
    origins.setdefault(path, (name, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, str(key_node.value))
            origins[key] = (name, key_node.start_mark.line + 1)
            _record(value_node, key, name, origins)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, (*path, index), name, origins)


def origin_of(origins: Origins, path: KeyPath) -> tuple[str, int] | None:
    """Return the origin of ``path`` or of its nearest ancestor that has one."""
    for end in range(len(path), -1, -1):
        found = origins.get(tuple(path[:end]))
        if found is not None:
            return found
    return None


def format_key_path(path: KeyPath) -> str:
    """Join a key path the way users write it: ``cities.ningbo.rules[1].from``."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text
