"""One helper thread shared by the engine's two-way splits (long draws, compiled loops).

The machine has few cores and the work that is split releases the GIL (numpy filling an array,
the compiled loops of ``sim/_loops.pyx``), so a single helper thread next to the calling one is enough.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
"""Cores this process may run on; with one there is nothing to split."""


@functools.cache
def helper() -> ThreadPoolExecutor:
    """The helper thread, started on first use."""
    return ThreadPoolExecutor(1, thread_name_prefix="sim-helper")


if hasattr(os, "register_at_fork"):
    # A forked child has no helper thread: it makes its own on first use.
    os.register_at_fork(after_in_child=helper.cache_clear)


def in_two_halves(
    size: int, minimum: int, work: Callable[[int, int], None], align: Callable[[int], int] | None = None
) -> None:
    """Call ``work(start, stop)`` over ``range(size)``: in two halves at once when ``size >= minimum``.

    The second half runs on the helper thread. ``work`` must touch only its own rows (or, with
    ``align``, its own groups of rows) and release the GIL for the split to pay (a compiled loop
    of ``sim/_loops.pyx``). ``align(middle)`` moves the split to a nearby boundary, e.g. the first
    row of the household that ``middle`` belongs to.
    """
    half = size // 2 if size >= minimum and CORES > 1 else 0
    if half and align is not None:
        half = align(half)
    pending = helper().submit(work, half, size) if half else None
    work(0, half or size)
    if pending is not None:
        pending.result()
