"""Read YAML as data (``yaml.safe_load`` semantics) together with the line of every key.

Input files are bounded before they are built into Python data, so that a hostile file is refused
with a message instead of exhausting time, memory or the interpreter's stack: see the ``MAX_*``
limits below (documented in ``docs/limits.md``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError

KeyPath = tuple[str | int, ...]
Origins = dict[KeyPath, tuple[str, int]]
"""Where each key path came from: (file, 1-based line)."""

MAX_FILE_BYTES = 256_000
"""Largest input file read: the biggest preset is under 10 kB."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists: scenario files nest 11 levels."""
MAX_ALIASES = 1_000
"""Most aliases (``*name``) in one file."""
MAX_NODES = 100_000
"""Most values in a file once its aliases are expanded (the presets have under 600)."""
MAX_NUMBER_CHARS = 40
"""Longest integer or decimal number, in characters (an int64 has 19 digits)."""

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses ten times faster


class _Loader(_BaseLoader):
    """A safe loader (plain data only) that keeps impossible dates (``2019-13-01``) as strings.

    PyYAML raises a bare ``ValueError`` without a line for them; kept as text, they reach
    the schema, which reports them with key path and line like any other bad date.
    """


def _timestamp_or_text(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


class _LimitError(Exception):
    """A limit was exceeded at a line (1-based, or None)."""

    def __init__(self, message: str, line: int | None, hint: str) -> None:
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint


def read_text_file(path: Path, *, error: type[ScenarioError] = ScenarioError) -> str:
    """Read a regular UTF-8 file of at most :data:`MAX_FILE_BYTES`.

    Raises
    ------
    ScenarioError
        If the file is missing, not a regular file (a folder, a device, a pipe), too large,
        unreadable or not UTF-8 text.
    """
    name = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError as err:
        raise error([Problem(name, "", "file not found.", hint="check the path")]) from err
    except OSError as err:
        raise error([Problem(name, "", f"cannot be read ({err.strerror}).")]) from err
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, pipe or socket"
        raise error([Problem(name, "", f"expected a regular file, found {kind}.", hint="give the path of a YAML file")])
    too_big = Problem(
        name,
        "",
        f"expected a file of at most {MAX_FILE_BYTES:,} bytes, found {info.st_size:,} bytes.",
        hint="scenario and person files are a few kilobytes; split the file or use 'extends'",
    )
    if info.st_size > MAX_FILE_BYTES:
        raise error([too_big])
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise error([Problem(name, "", f"cannot be read ({err.strerror}).")]) from err
    if len(raw) > MAX_FILE_BYTES:
        raise error([too_big])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise error(
            [Problem(name, "", f"expected UTF-8 text, found byte 0x{raw[err.start]:02x}.", line, "save as UTF-8")]
        ) from err


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
        If the file is missing, is not a regular file, exceeds a limit or is not valid YAML.
    """
    return parse_yaml(read_text_file(path, error=error), str(path), error=error)


def parse_yaml(text: str, name: str, *, error: type[ScenarioError] = ScenarioError) -> tuple[Any, Origins]:
    """Parse YAML text within the limits of this module; see :func:`read_yaml`.

    Parameters
    ----------
    text : str
        The text (e.g. of an uploaded file).
    name : str
        The file name to report in messages.
    error : type of ScenarioError
        The error class raised.
    """
    if len(text) > MAX_FILE_BYTES:
        raise error([Problem(name, "", f"expected at most {MAX_FILE_BYTES:,} characters, found {len(text):,}.")])
    try:
        _check_events(text)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_nodes(node)
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except _LimitError as err:
        raise error([Problem(name, "", err.message, err.line, err.hint)]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err)
        raise error(
            [Problem(name, "", f"is not valid YAML: {problem}.", line, "check indentation and quoting")]
        ) from err
    origins: Origins = {}
    if node is not None:
        _record(node, (), name, origins)
    return data, origins


def _check_events(text: str) -> None:
    """Refuse deep nesting and many aliases from the event stream, before anything is built."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _LimitError(
                    f"expected at most {MAX_DEPTH} levels of nested mappings and lists, found more.",
                    event.start_mark.line + 1,
                    "scenario files nest about 11 levels; look for runaway brackets",
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _LimitError(
                    f"expected at most {MAX_ALIASES:,} aliases (*name), found more.",
                    event.start_mark.line + 1,
                    "write the values out or use 'extends'",
                )


def _check_nodes(root: yaml.Node) -> None:
    """Refuse recursive aliases, documents too large or deep once aliases are expanded, and huge numbers.

    Walks the node graph once without recursion: an alias makes two parents share a node, so each
    node's expanded size and depth are computed once and reused.
    """
    sizes: dict[int, tuple[int, int]] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes and not children_done:
            continue
        children = _children(node)
        if not children_done:
            if key in open_nodes:
                raise _LimitError(
                    "expected plain data, found an alias that contains itself.",
                    node.start_mark.line + 1,
                    "an anchor (&name) cannot be used (*name) inside its own value",
                )
            _check_number(node)
            open_nodes.add(key)
            stack.append((node, True))
            for child in children:
                if id(child) in open_nodes:
                    raise _LimitError(
                        "expected plain data, found an alias that contains itself.",
                        child.start_mark.line + 1,
                        "an anchor (&name) cannot be used (*name) inside its own value",
                    )
                if id(child) not in sizes:
                    stack.append((child, False))
            continue
        open_nodes.discard(key)
        size = 1 + sum(sizes[id(c)][0] for c in children)
        depth = 1 + max((sizes[id(c)][1] for c in children), default=0)
        if size > MAX_NODES or depth > MAX_DEPTH + 1:
            found = f"{size:,} values" if size > MAX_NODES else f"{depth - 1} levels of nesting"
            raise _LimitError(
                f"expected at most {MAX_NODES:,} values and {MAX_DEPTH} levels once aliases (*name) are "
                f"expanded, found {found}.",
                node.start_mark.line + 1,
                "aliases that repeat aliases multiply; write the values out or use 'extends'",
            )
        sizes[key] = (size, depth)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_number(node: yaml.Node) -> None:
    if isinstance(node, yaml.ScalarNode) and node.tag in (_INT, _FLOAT) and len(node.value) > MAX_NUMBER_CHARS:
        raise _LimitError(
            f"expected a number of at most {MAX_NUMBER_CHARS} characters, found one of {len(node.value):,} "
            f"starting {node.value[:12]!r}.",
            node.start_mark.line + 1,
            "quote it if it is text",
        )


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
