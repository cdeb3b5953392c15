"""Notes on what a scenario file still writes in a deprecated form (read, but to be rewritten).

Deprecated forms are read as their current equivalent (see
:data:`sim.scenario.schema.EDUCATION_ALIASES`); ``validate`` and ``describe`` print a note for
each place a file uses one, with the file, line and key path, so that files move to the
current form before the alias is retired.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.errors import Problem
from sim.scenario.loader import scenario_data
from sim.scenario.schema import EDUCATION_ALIASES
from sim.scenario.yamlsource import KeyPath, Origins, format_key_path, origin_of


def deprecation_notes(path: str | Path) -> list[Problem]:
    """Every use of a deprecated education level in the scenario ``path`` and the files it extends."""
    data, origins = scenario_data(path)
    notes: list[Problem] = []
    _walk(data, (), origins, str(path), notes)
    return notes


def _walk(value: Any, path: KeyPath, origins: Origins, name: str, notes: list[Problem]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(key, str) and key in EDUCATION_ALIASES:
                notes.append(_note(key, (*path, key), origins, name))
            _walk(child, (*path, key), origins, name, notes)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _walk(child, (*path, index), origins, name, notes)
    elif isinstance(value, str) and value in EDUCATION_ALIASES:
        notes.append(_note(value, path, origins, name))


def _note(level: str, path: KeyPath, origins: Origins, name: str) -> Problem:
    file, line = origin_of(origins, path) or (name, None)
    current = EDUCATION_ALIASES[level]
    return Problem(
        file,
        format_key_path(path),
        f"education level '{level}' is deprecated and read as '{current}' "
        "(in a points table: as both 'master' and 'doctorate').",
        line,
        "write 'master' or 'doctorate' (docs/scenarios.md, 'Person data')",
    )
