"""Random streams keyed by (seed, decision, month): common random numbers across scenarios.

Every random decision draws one full-length array over all slots per month from its own
stream, so the draws a person gets never depend on the rules in force: a baseline and a
variant run of one seed differ by policy, not by noise.
"""

from __future__ import annotations

import numpy as np

from sim._loops import fill_uniforms, uniforms_at
from sim.threads import in_two_halves

DECISIONS = {
    "synthesis": 1,
    "history": 2,
    "inflow": 3,
    "mortality": 4,
    "employment": 5,
    "back_payment": 6,
    "permit": 7,
    "home_purchase": 8,
    "community": 9,
    "return_home": 10,
    "move_city": 11,
    "move_target": 12,
    "apply": 13,
    "quota": 14,
    "papers": 15,
    "green_channel": 16,
    "service_day": 17,
    "service_capacity": 18,
    "awareness": 19,
    "publicity": 20,
    "awareness_announced": 21,
    "home_trip": 22,
    "person_data": 40,  # districts, income tax and attributes (sim.person_data_synthesis)
}
"""Stable codes: renaming a decision must not change another decision's draws."""


SPLIT_MIN = 1 << 17
"""Draws at least this long are generated in two halves at once, the second on a helper thread."""


class Streams:
    """Factory of per-(decision, month) generators for one seed.

    Parameters
    ----------
    seed : int
        The run's seed; replications use different seeds.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def generator(self, decision: str, key: int = 0) -> np.random.Generator:
        """A generator for ``decision`` in month (or other key) ``key``."""
        return np.random.Generator(np.random.PCG64(self._sequence(decision, key)))

    def uniform(self, decision: str, month: int, size: int) -> np.ndarray:
        """``size`` uniforms in [0, 1) as ``float32``, one per slot.

        The same numbers as ``generator(decision, month).random(size, dtype=np.float32)``,
        generated in compiled code from :meth:`cursor`; long draws in two halves on two threads.
        """
        out = np.empty(size, np.float32)
        in_two_halves(size, SPLIT_MIN, lambda a, b: fill_uniforms(self.cursor(decision, month, a), out[a:b]))
        return out

    def uniform_at(self, decision: str, month: int, rows: np.ndarray) -> np.ndarray:
        """The uniforms of ``rows`` only: ``uniform(decision, month, n)[rows]`` without the whole draw.

        The generator jumps over the slots between the rows, so a few rows of a large
        population cost little and no array the size of the population is made.
        """
        rows = np.asarray(rows, np.int64)
        out = np.empty(len(rows), np.float32)
        if not len(rows):
            return out
        if np.all(rows[1:] > rows[:-1]):
            uniforms_at(self.cursor(decision, month, int(rows[0])), rows, out)
            return out
        order = np.unique(rows)
        uniforms_at(self.cursor(decision, month, int(order[0])), order, out[: len(order)])
        return out[: len(order)][np.searchsorted(order, rows)]

    def cursor(self, decision: str, month: int, slot: int) -> np.ndarray:
        """Where the uniform of ``slot`` is drawn from, for compiled loops that draw as they go.

        Compiled loops (``sim/_loops.pyx``) draw the uniforms of consecutive slots from a cursor
        themselves, the same numbers :meth:`uniform` returns, without an array the size of the
        population.

        Returns
        -------
        ndarray of uint64, shape (5,)
            PCG64's state (high and low word) and increment (high and low word) before the
            64-bit output that holds the uniform of ``slot``, and whether ``slot`` is odd (its
            uniform is the output's high half).
        """
        bit_generator = np.random.PCG64(self._sequence(decision, month))
        # Each 64-bit output makes two float32 uniforms: slot i's is half of output i // 2.
        bit_generator.advance(slot // 2)
        state = bit_generator.state["state"]
        words = (state["state"] >> 64, state["state"], state["inc"] >> 64, state["inc"], slot & 1)
        return np.array([w & 0xFFFF_FFFF_FFFF_FFFF for w in words], np.uint64)

    def _sequence(self, decision: str, key: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(DECISIONS[decision], int(key) & 0xFFFF_FFFF))


def unbiased_round(value: float, u: float) -> int:
    """Round ``value`` down or up so that the expected result equals ``value``.

    Parameters
    ----------
    value : float
        A non-negative real count (e.g. a quota in persons divided by the scale factor).
    u : float
        A uniform draw in [0, 1) from the run's stream.
    """
    whole = int(np.floor(value))
    return whole + int(u < value - whole)
