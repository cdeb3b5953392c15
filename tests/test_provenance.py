"""The code hash that keys the run store, and the commit stamp of manifests."""

from __future__ import annotations

import shutil

from sim import provenance
from sim.experiment.runs import run_key


def test_a_change_to_the_code_changes_its_hash(tmp_path):
    copy = tmp_path / "sim"
    shutil.copytree(provenance.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c"))
    before = provenance.hash_sources(copy)
    assert before == provenance.code_sha256()  # the copy holds the same sources as the package
    phases = copy / "phases.py"
    phases.write_text(phases.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    edited = provenance.hash_sources(copy)
    assert edited != before
    loops = copy / "_loops.pyx"
    loops.write_text(loops.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert provenance.hash_sources(copy) not in (before, edited)


def test_a_change_to_the_code_changes_the_store_key(tmp_path):
    copy = tmp_path / "sim"
    shutil.copytree(provenance.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c"))
    (copy / "model.py").write_text("# another model\n", encoding="utf-8")
    other = provenance.hash_sources(copy)
    key = run_key("abc", 0, 100, 12)
    assert key == run_key("abc", 0, 100, 12, code=provenance.code_sha256())
    assert run_key("abc", 0, 100, 12, code=other) != key


def test_manifests_carry_the_code_hash_and_the_commit():
    from sim.experiment import RunSpec, run

    from .calibration.conftest import REFORM

    result = run([RunSpec(str(REFORM), seed=0, agents=200, months=2)], backend="serial", progress=False)
    state = provenance.git_state()
    assert result.manifest["code_sha256"] == provenance.code_sha256()
    assert result.manifest["commit"] == state["commit"] and result.manifest["dirty"] == state["dirty"]
    if state["commit"] != provenance.UNKNOWN:
        assert len(state["commit"]) == 40 and isinstance(state["dirty"], bool)
