"""Where results go: a destination is checked before anything is computed.

Kept apart from :mod:`sim.results` (which needs pandas) so that the command line checks ``--out``
without loading the libraries of a run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sim.errors import OutputError

MIN_FREE_BYTES = 10_000_000
"""Free space a destination must have before a run starts (result tables take a few megabytes)."""


def check_destination(out_dir: str | Path, option: str = "--out") -> None:
    """Refuse a destination that cannot take results, before anything is computed.

    Parameters
    ----------
    out_dir : str or Path
        The folder results will be written into (it may not exist yet).
    option : str
        How the user named the destination, for messages.

    Raises
    ------
    OutputError
        If ``out_dir`` or one of its parents is a file, the nearest existing folder is not writable,
        or its file system has less than :data:`MIN_FREE_BYTES` free.
    """
    out = Path(out_dir)
    where = f"{option} {out}"
    if out.exists() and not out.is_dir():
        raise OutputError(f"{where}: expected a folder, found a file. Hint: choose another {option} or move the file")
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{where}: expected a folder, found that {existing} is a file. Hint: choose another {option}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(
            f"{where}: expected a folder that can be written, found {existing} read-only or not permitted. "
            f"Hint: choose another {option}"
        )
    free = shutil.disk_usage(existing).free
    if free < MIN_FREE_BYTES:
        raise OutputError(
            f"{where}: expected at least {MIN_FREE_BYTES // 1_000_000} MB free, found {free:,} bytes. "
            "Hint: free some space or choose another disk"
        )
