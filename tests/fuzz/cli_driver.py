"""Run ``python -m sim`` commands one after another in this process and report each as JSON.

Used by ``test_hostile_corpus.py`` in a subprocess with a memory ceiling, so that the whole corpus
costs one interpreter start. For each command (a JSON list of argument lists on standard input)
it prints one JSON line: the exit status, whether an exception escaped ``main`` (which the real
command line would print as a traceback), the CPU seconds and the process's peak memory so far.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time

from sim.cli import main


def _run(argv: list[str]) -> dict[str, object]:
    err, out = io.StringIO(), io.StringIO()
    started = time.process_time()
    escaped = ""
    status = None
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            status = main(argv)
        except SystemExit as exit_:  # argparse refuses an argument
            status = exit_.code
        except BaseException as error:  # what the real command line would show as a traceback
            escaped = f"{type(error).__name__}: {str(error)[:300]}"
    return {
        "argv": argv,
        "status": status,
        "escaped": escaped,
        "stderr": err.getvalue()[-2000:],
        "cpu_seconds": time.process_time() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":
    for argv in json.load(sys.stdin):
        print(json.dumps(_run(argv)), flush=True)
