"""The one-person verbs load no library they do not use.

``check``, ``validate`` and ``describe`` answer a person at a terminal; Mesa, SciPy, pandas,
Matplotlib, Dask and Streamlit take seconds to import and only running, comparing, plotting and
the dashboard need them. Each verb runs here in a fresh interpreter under ``-X importtime``,
which lists every module imported: a structural check, not a timed one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("mesa", "scipy", "pandas", "matplotlib", "dask", "distributed", "streamlit")
PERSON = "docs/examples/person-xie.yaml"
CASES = "tests/person/cases"
VERBS = {
    "validate": ["validate", "scenarios/ningbo/ningbo-2019-reform.yaml"],
    "describe": ["describe", "ningbo-2019-reform", "--lang", "en"],
    "check": ["check", "ningbo-2019-reform", "--city", "ningbo", "--date", "2019-10", "--person", PERSON],
    "check --persons": ["check", "ningbo-2019-reform", "--city", "ningbo", "--date", "2019-10", "--persons", CASES],
}


def imported_modules(args: list[str]) -> set[str]:
    """Every module ``python -m sim ARGS`` imports, read from ``-X importtime``'s report."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sim", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rpartition("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.mark.parametrize("verb", list(VERBS))
def test_verb_imports_no_heavy_library(verb):
    modules = imported_modules(VERBS[verb])
    assert {"sim.cli", "sim.scenario", "yaml"} <= modules, "the importtime report was not read"
    heavy = sorted({name.partition(".")[0] for name in modules} & set(HEAVY))
    assert not heavy, (
        f"'python -m sim {verb}' imports {heavy}: move the import into the function that needs it, "
        "or the function into a module these verbs do not import"
    )
