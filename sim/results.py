"""Run results: tidy tables plus a manifest, written as CSV or Parquet."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sim.destination import check_destination
from sim.errors import OutputError

TABLES = ("monthly", "rounds", "settlers")


@dataclass
class RunResult:
    """What one run of one scenario with one seed produced.

    Attributes
    ----------
    monthly : DataFrame
        One row per city and month; counts in real persons.
    rounds : DataFrame
        One row per points round.
    settlers : DataFrame
        One row per settled agent (``persons`` real persons each).
    manifest : dict
        Scenario (resolved, hashed), seed, package version, agents, scale, run time.
    """

    monthly: pd.DataFrame
    rounds: pd.DataFrame
    settlers: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    def write(self, out_dir: str | Path, fmt: Literal["csv", "parquet"] = "csv") -> list[Path]:
        """Write the three tables and ``manifest.json`` into ``out_dir``; return the paths written."""
        return write_tables(out_dir, {name: getattr(self, name) for name in TABLES}, self.manifest, fmt)


def write_tables(
    out_dir: str | Path, tables: dict[str, pd.DataFrame], manifest: dict[str, Any], fmt: str = "csv"
) -> list[Path]:
    """Write tables as CSV or Parquet and the manifest as JSON; return the paths written.

    Every file is first written into a temporary folder inside ``out_dir``; only when all are
    written are they renamed into place, the old ``manifest.json`` removed first and the new one
    renamed last. A write that fails (a full disk, an error in a table) leaves the folder as it
    was, and a folder with a manifest always holds the tables of that manifest. The folder is not
    replaced whole, as it may hold other results (a sweep keeps its run store in ``runs/``).

    Raises
    ------
    OutputError
        If the files cannot be written; ``out_dir`` is then left as it was.
    """
    out = Path(out_dir)
    check_destination(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=".writing-", dir=out))
    except OSError as err:
        raise OutputError(f"{out}: cannot create the folder ({err.strerror}).") from err
    renaming = False
    try:
        names = []
        for name, table in tables.items():
            names.append(f"{name}.{fmt}")
            if fmt == "csv":
                table.to_csv(temp / names[-1], index=False)
            else:
                table.to_parquet(temp / names[-1], index=False)
        text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str)
        (temp / "manifest.json").write_text(text, encoding="utf-8")
        renaming = True
        (out / "manifest.json").unlink(missing_ok=True)
        for name in [*names, "manifest.json"]:
            os.replace(temp / name, out / name)
    except OSError as err:
        state = (
            "it holds no manifest.json until a run writes it again"
            if renaming
            else "the files already there were left as they were"
        )
        raise OutputError(f"{out}: cannot write the results ({err.strerror or err}); {state}.") from err
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return [out / name for name in [*names, "manifest.json"]]
