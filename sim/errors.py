"""One error hierarchy for the project.

Every message says where (file, key path, line, date), what was expected, what was
found and, where possible, how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


class SimError(Exception):
    """Base class of every error the simulator raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file.

    Parameters
    ----------
    file : str
        The file the offending value came from.
    path : str
        Dotted key path inside the file, e.g. ``cities.ningbo.rules[1].channels``.
    message : str
        What was expected and what was found.
    line : int or None
        1-based line of the offending key, when known.
    hint : str
        How to fix it (may be empty).
    """

    file: str
    path: str
    message: str
    line: int | None = None
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: '{self.path}': {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} Hint: {self.hint}" if self.hint else text


@dataclass
class ScenarioError(SimError):
    """A scenario or person file is invalid; carries every problem found, not just the first."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class PersonFileError(ScenarioError):
    """A person file for ``sim check`` is invalid."""


class CalibrationError(SimError):
    """A calibration target or fit failed."""


class UnknownKindError(SimError, ValueError):
    """A dispatch met a kind it has no entry for (a condition, a points quantity, a count mode ...).

    Every dispatch over a vocabulary is exhaustive: a kind without an entry is this error, naming
    it, never a default branch. It is a ``ValueError`` too, so that inside a schema validator it
    is reported at the key path like any other bad value.

    Parameters
    ----------
    what : str
        What kind of thing it is (``condition``, ``points quantity``, ``count`` ...).
    name : object
        The kind that was met.
    known : iterable of str
        The kinds there are entries for.
    """

    def __init__(self, what: str, name: object, known: Iterable[str]) -> None:
        self.what, self.name, self.known = what, name, tuple(known)
        super().__init__(f"unknown {what} {shorten(name)}; expected one of {list(self.known)}")


class OutputError(SimError):
    """A destination (``--out``) cannot be written: a file in the way, no permission, no space."""


SHOWN_CHARS = 40
"""Characters of a bad value quoted in a message: a message never echoes a whole file or a long value."""


def shorten(value: object, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` cut to its first ``limit`` characters, with an ellipsis and the full length."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"
