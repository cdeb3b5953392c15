"""Run results: tidy tables plus a manifest, written as CSV or Parquet."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

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
    """Write tables as CSV or Parquet and the manifest as JSON; return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            table.to_csv(path, index=False)
        else:
            table.to_parquet(path, index=False)
        written.append(path)
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    written.append(path)
    return written
