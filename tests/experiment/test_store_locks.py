"""Two processes running into one store compute each run once; a killed holder's runs are taken over."""

from __future__ import annotations

import subprocess
import sys
import threading

from sim import experiment
from sim.experiment import RunSpec, RunStore
from tests.conftest import ROOT
from tests.experiment.conftest import TWO_CITIES


def _specs(seeds):
    return [RunSpec(str(TWO_CITIES), seed=seed, agents=300, months=4) for seed in seeds]


def test_a_run_locked_by_one_store_cannot_be_claimed_by_another(tmp_path):
    first, second = RunStore(tmp_path), RunStore(tmp_path)
    lock = first.claim("abc")
    assert lock is not None
    assert second.claim("abc") is None
    RunStore.release(lock)
    again = second.claim("abc")
    assert again is not None
    RunStore.release(again)


def test_concurrent_sweeps_into_one_store_compute_each_run_once(tmp_path):
    specs = _specs(range(4))
    results = []

    def sweep():
        results.append(experiment.run(specs, backend="serial", store=tmp_path, progress=False))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    executed = [key for result in results for key in result.executed]
    assert len(executed) == len(set(executed)) == 4  # every run computed, none twice
    for result in results:
        assert set(result.executed) | set(result.stored) == set(result.runs["run"])
        assert len(result.monthly) == 4 * 4 * 2  # both hold every run's table: 4 seeds × 4 months × 2 cities


def test_the_lock_of_a_killed_process_is_free(tmp_path):
    code = (
        "import sys, time; from sim.experiment import RunStore; "
        "lock = RunStore(sys.argv[1]).claim('abc'); print('locked', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, cwd=ROOT, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert RunStore(tmp_path).claim("abc") is None
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    lock = RunStore(tmp_path).claim("abc")
    assert lock is not None
    RunStore.release(lock)
