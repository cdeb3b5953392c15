"""Publishing a fit into the library: the calibrated preset and the results of record, stamped together.

A fit writes only under its ``--out``. ``--save`` then publishes, in one step, the calibrated preset
(``scenarios/calibrated/<scenario>-calibrated.yaml``) and the reports the dashboard shows
(``calibration/results/<targets id>/``), both stamped with the commit, whether the tree was dirty,
the hash of the targets file and the seeds: the preset and the scorecard that judges it never
part ways.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from calibration.targets import TargetsFile
from sim import provenance
from sim.atomic import atomic_directory

ROOT = Path(__file__).resolve().parents[1]
CALIBRATED_DIR = ROOT / "scenarios" / "calibrated"
"""Where ``--save`` publishes calibrated presets."""
RESULTS_DIR = ROOT / "calibration" / "results"
"""Results of record, one directory per targets id: the reports the dashboard's calibration page shows."""
FIT_REPORTS = ("scorecard.csv", "scorecard.md", "parameters.csv", "values.csv", "fit.json", "score.json")
"""The reports of a fit; `score.json` is the record of a rescoring, which a new fit replaces."""
SENSITIVITY_REPORTS = ("sensitivity.csv", "sensitivity.md", "sensitivity.png")


def targets_sha256(targets: TargetsFile) -> str:
    """SHA-256 of the targets file's bytes (``unknown`` for targets built in memory)."""
    if targets.path is None or not Path(targets.path).is_file():
        return provenance.UNKNOWN
    return hashlib.sha256(Path(targets.path).read_bytes()).hexdigest()


def fit_stamp(targets: TargetsFile, fit_seeds: Sequence[int], scorecard_seeds: Sequence[int]) -> dict[str, Any]:
    """What a published fit is stamped with: code hash, commit, dirty flag, targets file hash, seeds."""
    return {
        **provenance.stamp(),
        "targets_sha256": targets_sha256(targets),
        "fit_seeds": [int(s) for s in fit_seeds],
        "scorecard_seeds": [int(s) for s in scorecard_seeds],
    }


def publish(out: str | Path, targets_id: str, names: Sequence[str], results: str | Path | None = None) -> list[Path]:
    """Copy the reports ``names`` found in ``out`` (never its run store) to ``results/<targets_id>/``.

    The directory is replaced atomically; reports of the other kind already there (a sensitivity
    beside a fit) are kept.

    Returns
    -------
    list of Path
        The files published.
    """
    target = Path(results or RESULTS_DIR) / targets_id
    present = [name for name in names if (Path(out) / name).is_file()]
    with atomic_directory(target) as temp:
        if target.is_dir():
            for old in target.iterdir():
                if old.is_file() and old.name not in names:
                    shutil.copy2(old, temp / old.name)
        for name in present:
            shutil.copy2(Path(out) / name, temp / name)
    return [target / name for name in present]


def relative(path: Any) -> str:
    """``path`` relative to the project when inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except (ValueError, TypeError):
        return str(path)
