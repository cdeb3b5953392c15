"""Limits on the size of a run, shared by the scenario schema and the command line.

The limits of input files (size, nesting, aliases, dates) are in :mod:`sim.scenario.yamlsource`
and :mod:`sim.months`; ``docs/limits.md`` lists them all.
"""

from __future__ import annotations

import argparse

MAX_AGENTS = 50_000_000
"""Most agents for the initial migrants (a run of 1,000,000 agents takes about 400 MB)."""
MAX_MONTHS = 600
"""Longest run: 50 years."""
MAX_SEED = 2**63 - 1
"""Largest seed (seeds are non-negative)."""


def _bounded(text: str, low: int, high: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text[:40]!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"expected {what} from {low:,} to {high:,}, got {text[:40]}")
    return value


def agent_count(text: str) -> int:
    """Parse ``--agents``: an integer from 1 to :data:`MAX_AGENTS`."""
    return _bounded(text, 1, MAX_AGENTS, "a number of agents")


def month_count(text: str) -> int:
    """Parse ``--months``: an integer from 1 to :data:`MAX_MONTHS`."""
    return _bounded(text, 1, MAX_MONTHS, "a number of months")


def seed_number(text: str) -> int:
    """Parse ``--seed``: an integer from 0 to :data:`MAX_SEED`."""
    return _bounded(text, 0, MAX_SEED, "a seed")


MAX_REPEATS = 10_000
"""Most seeds, design samples or workers one command takes."""


def repeat_count(text: str) -> int:
    """Parse ``--seeds``, ``--samples`` or ``--workers``: an integer from 1 to :data:`MAX_REPEATS`."""
    return _bounded(text, 1, MAX_REPEATS, "a count")
