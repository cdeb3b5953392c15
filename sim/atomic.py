"""Atomic writes: a folder or file appears whole, or the old one stays as it was.

Every command that writes results (``run``, ``compare``, ``sweep``, calibration) writes into a
temporary sibling and renames it into place, so a run that fails half-way never leaves a folder
that mixes two runs.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``target`` when the block ends without error.

    Parameters
    ----------
    target : str or Path
        The folder to create or replace. Its parent is created if needed.

    Yields
    ------
    Path
        An empty folder beside ``target`` to write into.

    Notes
    -----
    On an error the temporary folder is removed and ``target`` is left untouched. An existing
    ``target`` is moved aside, the new folder renamed into place, and only then the old one
    removed: at every moment either the old or the new folder is complete at ``target``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    temp = target.with_name(f".{target.name}.tmp-{tag}")
    temp.mkdir()
    try:
        yield temp
        old = target.with_name(f".{target.name}.old-{tag}")
        if target.exists():
            os.rename(target, old)
        os.rename(temp, target)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename; return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()
    return path
