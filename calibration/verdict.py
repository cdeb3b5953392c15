"""The verdict on one target, with the Monte-Carlo error of the model's mean.

The model's figure is a mean over seeds, known only to within its standard error ``se``. A target
**passes** when the error plus two standard errors is inside the tolerance (``|error| + 2 se ≤
width``): another set of seeds would almost surely pass too. It **fails** when the error minus two
standard errors is outside (``|error| − 2 se > width``). Otherwise the seeds drawn decide and the
verdict is **undetermined**; it then says how many seeds would decide it, if the mean stayed where
it is and the spread across seeds stayed the same: the smallest ``m`` with
``2 sd / √m < | width − |error| |`` where ``sd = se √n`` is the spread of ``n`` seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

PASS, FAIL, UNDETERMINED = "PASS", "FAIL", "UNDETERMINED"
VERDICTS = (PASS, FAIL, UNDETERMINED)
Z = 2.0
"""Standard errors of margin on either side of the tolerance's edge."""


@dataclass(frozen=True)
class Verdict:
    """The verdict on a target and, when undetermined, the seeds that would decide it.

    Attributes
    ----------
    verdict : {"PASS", "FAIL", "UNDETERMINED"}
    seeds_to_decide : int or None
        For an undetermined verdict, the number of seeds (in all) at which ``2 se`` would be smaller
        than the distance from the error to the tolerance's edge; None when no number of seeds
        would (the error sits on the edge) or the spread is unknown (a single seed).
    """

    verdict: Literal["PASS", "FAIL", "UNDETERMINED"]
    seeds_to_decide: int | None = None


def standard_error(values: np.ndarray) -> float:
    """Standard error of the mean of ``values`` (sample standard deviation ÷ √n; NaN below two values)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return float("nan")
    return float(np.std(values, ddof=1) / math.sqrt(len(values)))


def decide(error: float, se: float, width: float, seeds: int) -> Verdict:
    """The verdict on a target whose model mean is ``error`` away from the published figure.

    Parameters
    ----------
    error : float
        Model mean − published figure.
    se : float
        Standard error of the model mean (NaN when unknown, e.g. one seed).
    width : float
        Half-width of the tolerance band.
    seeds : int
        Seeds behind the mean.

    Examples
    --------
    >>> decide(0.01, 0.005, 0.03, 10)
    Verdict(verdict='PASS', seeds_to_decide=None)
    >>> decide(0.10, 0.005, 0.03, 10)
    Verdict(verdict='FAIL', seeds_to_decide=None)
    >>> decide(-0.018, 0.013, 0.03, 10)
    Verdict(verdict='UNDETERMINED', seeds_to_decide=47)
    """
    if not math.isfinite(error):
        return Verdict(FAIL)  # the model gives no figure at all (e.g. no settlers in the period)
    distance = abs(error)
    if math.isfinite(se):
        if distance + Z * se <= width:
            return Verdict(PASS)
        if distance - Z * se > width:
            return Verdict(FAIL)
    return Verdict(UNDETERMINED, seeds_to_decide(distance, se, width, seeds))


def seeds_to_decide(distance: float, se: float, width: float, seeds: int) -> int | None:
    """Seeds at which ``Z`` standard errors would fit between ``distance`` and the tolerance ``width``."""
    gap = abs(width - distance)
    if not math.isfinite(se) or seeds < 2 or gap == 0:
        return None
    sd = se * math.sqrt(seeds)
    return max(seeds + 1, math.floor((Z * sd / gap) ** 2) + 1)
