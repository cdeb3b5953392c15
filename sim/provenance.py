"""Where a result comes from: a hash of the code that produced it, and the git commit of the tree.

A run is identified by the code that computed it, not by the package version (which does not
change with every change of behaviour): :func:`code_sha256` hashes the package's Python sources
and the compiled loops' source (``sim/_loops.pyx``), so any edit to the model gives new run keys
and a results store never hands back runs made by other code. :func:`git_state` names the commit
and whether the working tree had uncommitted changes, for manifests a reader can trace.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
"""The ``sim`` package directory whose sources :func:`code_sha256` hashes."""
UNKNOWN = "unknown"
"""Commit and dirty flag when git or the repository is not available (e.g. an installed wheel)."""


def hash_sources(package: str | Path) -> str:
    """SHA-256 of every ``*.py`` file under ``package`` and its ``_loops.pyx``, in path order.

    Parameters
    ----------
    package : str or Path
        A package directory (``sim/``).

    Returns
    -------
    str
        64 hex digits; the relative path of each file enters the hash with its bytes, so a renamed
        or moved module changes it too.
    """
    package = Path(package)
    files = sorted(p for p in [*package.rglob("*.py"), *package.glob("_loops.pyx")] if "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@functools.cache
def code_sha256() -> str:
    """The hash of the installed ``sim`` package's code (computed once per process)."""
    return hash_sources(PACKAGE)


def _git(*args: str) -> str | None:
    if shutil.which("git") is None:
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(PACKAGE.parent), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


@functools.cache
def git_state() -> dict[str, str | bool]:
    """The commit of the tree holding the package and whether it has uncommitted changes.

    Returns
    -------
    dict
        ``{"commit": <40 hex digits>, "dirty": bool}`` (dirty: modified, staged or untracked files
        that ``.gitignore`` does not exclude), or ``"unknown"`` for both when git or the repository
        is not available. Computed once per process.
    """
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain")
    if commit is None or status is None:
        return {"commit": UNKNOWN, "dirty": UNKNOWN}
    return {"commit": commit.strip(), "dirty": bool(status.strip())}


def stamp() -> dict[str, str | bool]:
    """Code hash, commit and dirty flag together, as manifests record them."""
    return {"code_sha256": code_sha256(), **git_state()}
