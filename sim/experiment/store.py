"""A results store on disk that survives interruption.

Layout of a store directory::

    runs/<key>/monthly.parquet     one directory per finished run, named by the run's key
    runs/<key>/rounds.parquet
    runs/<key>/settlers.parquet    (summarised: groups, not persons)
    runs/<key>/manifest.json       spec, seed, sizes, scenario hash, backend, host, run time
    scenarios/<sha256>.json        each resolved scenario once
    failures.jsonl                 one JSON line per failed attempt: key, spec, error, traceback
    runs/.locks/<key>.lock         locked (``flock``) by the process computing the run

A run's directory is written under ``runs/.partial/`` and renamed into place when complete, so a
directory under ``runs/`` is always a finished run: an interrupted sweep leaves at most a partial
directory that is ignored, and a rerun skips every finished run. Failures are appended to a log
and retried on the next run.

Two processes running into one store compute each run once: a process computes only the runs whose
lock it holds (an exclusive ``flock`` on ``runs/.locks/<key>.lock``) and waits for the others to be
stored by whoever holds them. The kernel releases the lock of a process that dies, so a killed
sweep leaves no stale lock: the waiting process then takes the run over. Lock files stay (they are
empty); ``flock`` needs a local file system, as on a shared one each host would see its own locks.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import IO, Any

import pandas as pd

from sim.experiment.runs import RunOutcome

TABLES = ("monthly", "rounds", "settlers")
STALE_PARTIAL_SECONDS = 24 * 3600
"""Partial directories older than this are left over from a killed writer and are removed."""


class RunStore:
    """A directory of finished runs, keyed by run key.

    Parameters
    ----------
    root : str or Path
        The store directory; created if missing.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.partial = self.runs / ".partial"
        self.scenarios = self.root / "scenarios"
        self.failure_log = self.root / "failures.jsonl"
        self.locks = self.runs / ".locks"
        self.partial.mkdir(parents=True, exist_ok=True)
        self.locks.mkdir(parents=True, exist_ok=True)
        self.scenarios.mkdir(parents=True, exist_ok=True)
        self._remove_stale_partials()

    def __repr__(self) -> str:
        return f"RunStore({str(self.root)!r})"

    def has(self, key: str) -> bool:
        """Whether the run ``key`` finished and is stored."""
        return (self.runs / key / "manifest.json").is_file()

    def finished_keys(self) -> list[str]:
        """Keys of every finished run in the store."""
        return sorted(p.name for p in self.runs.iterdir() if not p.name.startswith(".") and self.has(p.name))

    def save(self, outcome: RunOutcome, manifest: dict[str, Any]) -> Path:
        """Write a finished run atomically; return its directory.

        If another process stored the same run meanwhile, its copy is kept (they are identical).
        """
        target = self.runs / outcome.key
        temp = self.partial / f"{outcome.key}-{uuid.uuid4().hex[:8]}"
        temp.mkdir(parents=True)
        try:
            for name in TABLES:
                outcome.tables[name].to_parquet(temp / f"{name}.parquet", index=False)
            text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str)
            (temp / "manifest.json").write_text(text, encoding="utf-8")
            try:
                os.rename(temp, target)
            except OSError:
                if not self.has(outcome.key):
                    raise
        finally:
            if temp.exists():
                shutil.rmtree(temp, ignore_errors=True)
        return target

    def claim(self, key: str) -> IO[str] | None:
        """Lock the run ``key`` for this process; None if another process holds it.

        Returns
        -------
        file or None
            The open lock file: the lock lasts until :meth:`release` (or the process ends).
        """
        handle = (self.locks / f"{key}.lock").open("a", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        return handle

    @staticmethod
    def release(lock: IO[str]) -> None:
        """Release a lock taken by :meth:`claim`."""
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()

    def load(self, key: str) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
        """Tables and manifest of a stored run."""
        folder = self.runs / key
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return tables, manifest

    def save_scenario(self, sha: str, resolved: dict[str, Any]) -> Path:
        """Keep a resolved scenario once, under its hash."""
        path = self.scenarios / f"{sha}.json"
        if not path.is_file():
            temp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
            temp.write_text(json.dumps(resolved, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            os.replace(temp, path)
        return path

    def record_failure(self, key: str, spec: dict[str, Any], error: str, trace: str = "") -> None:
        """Append a failed attempt to ``failures.jsonl``."""
        line = {"key": key, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "spec": spec, "error": error}
        if trace:
            line["traceback"] = trace
        with self.failure_log.open("a", encoding="utf-8") as log:
            log.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")

    def failures(self, *, unresolved_only: bool = True) -> pd.DataFrame:
        """The failure log: the latest attempt per key, only runs not since finished by default."""
        columns = ["key", "time", "spec", "error"]
        if not self.failure_log.is_file():
            return pd.DataFrame(columns=columns)
        rows = [json.loads(line) for line in self.failure_log.read_text(encoding="utf-8").splitlines() if line]
        frame = pd.DataFrame(rows, columns=[*columns, "traceback"]).drop_duplicates("key", keep="last")
        if unresolved_only:
            frame = frame[[not self.has(key) for key in frame["key"]]]
        return frame.reset_index(drop=True)

    def _remove_stale_partials(self) -> None:
        # A writer killed mid-write leaves its partial directory behind; a live writer's directory is
        # young, so only old ones are removed (another process may be writing into this store).
        now = time.time()
        for folder in self.partial.iterdir():
            try:
                if now - folder.stat().st_mtime > STALE_PARTIAL_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
            except FileNotFoundError:
                continue
