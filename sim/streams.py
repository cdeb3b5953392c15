"""Random streams keyed by (seed, decision, month): common random numbers across scenarios.

Every random decision draws one full-length array over all slots per month from its own
stream, so the draws a person gets never depend on the rules in force: a baseline and a
variant run of one seed differ by policy, not by noise.
"""

from __future__ import annotations

import numpy as np

from sim._loops import uniforms_from_raw
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

        The same numbers as ``generator(decision, month).random(size, dtype=np.float32)``, made
        from the bit generator's raw output (:func:`sim._loops.uniforms_from_raw`); long draws
        are generated in two halves on two threads (numpy releases the GIL while filling).
        """
        out = np.empty(size, np.float32)
        sequence = self._sequence(decision, month)

        def fill(first: int, stop: int) -> None:
            # Each 64-bit output of PCG64 makes two float32 uniforms (its low then its high half),
            # so the uniforms from 64-bit output ``first`` on start at position ``2 * first``.
            bit_generator = np.random.PCG64(sequence)
            bit_generator.advance(first)
            uniforms_from_raw(bit_generator.random_raw(stop - first), out[2 * first : 2 * stop])

        in_two_halves((size + 1) // 2, SPLIT_MIN // 2, fill)
        return out

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
