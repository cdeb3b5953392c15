"""Many person files at once, for ``sim check --persons``: a folder, a JSON Lines file or a CSV table.

- A **folder** holds one person file per ``.yaml``, ``.yml`` or ``.json`` file (the format of
  ``docs/scenarios.md``, "Person files"); a person's id is the file name.
- A **``.jsonl``** file holds one person document per line, as JSON; a person's id is the value of
  an ``id`` key when the document has one, else the line number.
- A **``.csv``** file holds one person per row with a header of dotted key paths
  (``education.level``, ``arrived.ningbo``, ``household.settled.spouse``); a month history is one
  cell of ranges separated by ``;`` (``"2014-04..2017-12;2018-03..2019-08"``), and so are the birth
  months of ``household.children`` and ``household.parents`` and the one-line spells of
  ``housing.spells`` and ``workplace``; a ``residence_permit.<city>`` cell with ``;`` or ``..``
  lists permit spells (else it is the month held since). An empty cell leaves the key out.
  A person's id is the ``id`` column when there is one, else the line number.

Every person is validated as a person file is, and every problem of every person is kept with
its file, line, key and a hint; :func:`read_persons` returns the valid persons and the problems
of the others, for the caller to refuse or to list.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import PersonFileError, Problem
from sim.person import PersonRecord, validate_person
from sim.scenario.yamlsource import Origins, _record, read_yaml

FOLDER_SUFFIXES = (".yaml", ".yml", ".json")
ID_KEY = "id"
LIST_SEPARATOR = ";"
HISTORY_KEYS = ("social_insurance", "back_paid", "back_paid_excused", "tax", "employment")
"""Keys whose value is a month history per city: in a CSV cell, ranges separated by ``;``."""
LIST_KEYS = (("household", "children"), ("household", "parents"), ("housing", "spells"), ("workplace",))
"""Other keys whose value is a list: in a CSV cell, months (or one-line spells) separated by ``;``."""
PERMIT_KEY = "residence_permit"
"""Per city, a month (the permit held since) or spells: a cell with ``;`` or ``..`` lists spells."""


@dataclass(frozen=True)
class PersonEntry:
    """One person read from a source: an id, and either the record or what is wrong with it."""

    id: str
    record: PersonRecord | None
    problems: tuple[Problem, ...] = ()
    line: int | None = None
    """The person's line in a ``.jsonl`` or ``.csv`` file."""

    @property
    def is_valid(self) -> bool:
        """Whether the person validated."""
        return self.record is not None


@dataclass
class PersonSource:
    """The persons of a folder or file, in the order they were read."""

    path: str
    entries: list[PersonEntry] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """Every problem of every invalid person."""
        return [problem for entry in self.entries for problem in entry.problems]


def read_persons(path: str | Path) -> PersonSource:
    """Read and validate every person of a folder, a ``.jsonl`` or a ``.csv`` file.

    Parameters
    ----------
    path : str or Path
        A folder of person files, or a ``.jsonl`` or ``.csv`` file (formats in the module docstring).

    Returns
    -------
    PersonSource
        Every person in order, valid or not; invalid persons carry their problems.

    Raises
    ------
    PersonFileError
        If the path is missing, of an unknown kind, holds no person, or cannot be read at all
        (a line that is not JSON, a CSV without a header, two persons with one id).
    """
    source = Path(path)
    name = str(path)
    if source.is_dir():
        entries = _read_folder(source)
    elif not source.exists():
        raise PersonFileError(
            [Problem(name, "", "not found.", hint="give a folder of person files, a .jsonl or a .csv")]
        )
    elif source.suffix.lower() == ".jsonl":
        entries = _read_jsonl(source)
    elif source.suffix.lower() == ".csv":
        entries = _read_csv(source)
    else:
        raise PersonFileError(
            [
                Problem(
                    name,
                    "",
                    f"is a '{source.suffix}' file; --persons reads a folder, a .jsonl or a .csv file.",
                    hint="for one person file use --person",
                )
            ]
        )
    if not entries:
        raise PersonFileError([Problem(name, "", "holds no person.", hint=_empty_hint(source))])
    _refuse_repeated_ids(name, entries)
    return PersonSource(name, entries)


def _empty_hint(source: Path) -> str:
    if source.is_dir():
        return f"a folder is read for files ending in {', '.join(FOLDER_SUFFIXES)}"
    return "write one person per line (.jsonl) or per row under a header (.csv)"


def _refuse_repeated_ids(name: str, entries: list[PersonEntry]) -> None:
    first: dict[str, PersonEntry] = {}
    problems = []
    for entry in entries:
        earlier = first.setdefault(entry.id, entry)
        if earlier is not entry:
            # Only the lines of one file can repeat an id: a folder's file names differ.
            problems.append(
                Problem(
                    name,
                    ID_KEY,
                    f"id '{entry.id}' is already the id of the person on line {earlier.line}.",
                    entry.line,
                    "give every person its own id",
                )
            )
    if problems:
        raise PersonFileError(problems)


def _validated(person_id: str, data: Any, origins: Origins, name: str, line: int | None = None) -> PersonEntry:
    try:
        record = validate_person(data, origins, name)
    except PersonFileError as err:
        return PersonEntry(person_id, None, tuple(err.problems), line)
    return PersonEntry(person_id, record, line=line)


def _read_folder(folder: Path) -> list[PersonEntry]:
    entries = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES):
        try:
            data, origins = _read_document(path)
        except PersonFileError as err:
            entries.append(PersonEntry(path.name, None, tuple(err.problems)))
            continue
        entries.append(_validated(path.name, data, origins, str(path)))
    return entries


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: a folder of thousands of files reads in seconds, not minutes."""


def _read_document(path: Path) -> tuple[Any, Origins]:
    """A person file's data and the line of every key, as :func:`sim.scenario.yamlsource.read_yaml` gives them.

    A file that the fast loader cannot read (bad YAML, an impossible date) is read again by
    ``read_yaml``, which says what is wrong with its line, or keeps an impossible date as text
    for the schema to report.
    """
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_FAST_LOADER)  # a safe loader: plain data only
        node = yaml.compose(text, Loader=_FAST_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError):
        return read_yaml(path, error=PersonFileError)
    origins: Origins = {}
    if node is not None:
        _record(node, (), str(path), origins)
    return data, origins


def _read_jsonl(path: Path) -> list[PersonEntry]:
    name = str(path)
    entries = []
    for number, line in enumerate(_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        origins: Origins = {(): (name, number)}
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            problem = Problem(name, "", f"is not a JSON document: {err.msg} at column {err.colno}.", number)
            entries.append(PersonEntry(str(number), None, (problem,), number))
            continue
        person_id = str(number)
        if not isinstance(data, dict):
            problem = Problem(name, "", f"must be a JSON object of keys, got {type(data).__name__}.", number)
            entries.append(PersonEntry(person_id, None, (problem,), number))
            continue
        if ID_KEY in data:
            data = dict(data)
            person_id = str(data.pop(ID_KEY))
        entries.append(_validated(person_id, data, origins, name, number))
    return entries


def _read_csv(path: Path) -> list[PersonEntry]:
    name = str(path)
    reader = csv.DictReader(_text(path).splitlines(keepends=True))
    header = reader.fieldnames
    if not header:
        raise PersonFileError(
            [Problem(name, "", "has no header row.", 1, "the first row names the keys, e.g. birth,sex")]
        )
    blank = [index + 1 for index, column in enumerate(header) if not column.strip()]
    if blank:
        raise PersonFileError(
            [Problem(name, "", f"header column {blank[0]} has no name.", 1, "name every column by its key path")]
        )
    entries = []
    for row in reader:
        number = reader.line_num
        origins: Origins = {(): (name, number)}
        extra = row.pop(None, None)  # type: ignore[call-overload]
        cells = {key.strip(): (value or "").strip() for key, value in row.items()}
        person_id = cells.pop(ID_KEY, "") or str(number)
        if extra:
            problem = Problem(name, "", f"row has {len(header) + len(extra)} cells, the header {len(header)}.", number)
            entries.append(PersonEntry(person_id, None, (problem,), number))
            continue
        data, problems = unflatten({key: value for key, value in cells.items() if value}, name, number)
        if problems:
            entries.append(PersonEntry(person_id, None, tuple(problems), number))
            continue
        entries.append(_validated(person_id, data, origins, name, number))
    return entries


def unflatten(cells: dict[str, str], name: str = "<csv>", line: int | None = None) -> tuple[dict, list[Problem]]:
    """Turn a CSV row's cells, keyed by dotted key paths, into a person document.

    Parameters
    ----------
    cells : dict of str to str
        Non-empty cells by column name (``education.level``, ``social_insurance.ningbo``, ...).
    name, line
        Where the row is, for the problems.

    Returns
    -------
    document, problems
        The nested document, and the columns that could not be placed (a column that is both
        a value and a group of keys, like ``housing`` next to ``housing.tenure``).
    """
    document: dict[str, Any] = {}
    problems = []
    for column, text in cells.items():
        path = [part.strip() for part in column.split(".")]
        if not all(path):
            problems.append(Problem(name, column, "is not a key path (an empty part between dots).", line))
            continue
        node = document
        for depth, key in enumerate(path[:-1]):
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                clash = ".".join(path[: depth + 1])
                problems.append(
                    Problem(
                        name,
                        column,
                        f"needs '{clash}' to be a group of keys, but column '{clash}' gives it a value.",
                        line,
                        f"leave column '{clash}' empty",
                    )
                )
                break
            node = child
        else:
            if isinstance(node.get(path[-1]), dict):
                problems.append(
                    Problem(
                        name,
                        column,
                        "gives a value to a key that other columns fill with keys.",
                        line,
                        f"leave column '{column}' empty",
                    )
                )
                continue
            node[path[-1]] = _cell_value(tuple(path), text)
    return document, problems


def _cell_value(path: tuple[str, ...], text: str) -> Any:
    spells = len(path) == 2 and path[0] == PERMIT_KEY and (LIST_SEPARATOR in text or ".." in text)
    is_list = (len(path) == 2 and path[0] in HISTORY_KEYS) or path in LIST_KEYS or spells
    if is_list:
        return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]
    return text


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise PersonFileError([Problem(str(path), "", f"cannot be read as UTF-8 text ({err}).")]) from err
