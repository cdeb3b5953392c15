"""Calibration of the settlement model against published figures (builds on ``sim``; sim never imports it).

- :mod:`calibration.targets`: the targets file (published figures with sources, free parameters, fitting period).
- :mod:`calibration.indicators`: run tables → target indicators.
- :mod:`calibration.fit`: differential evolution over common-random-number runs, Laplace intervals.
- :mod:`calibration.abc`: ABC rejection posterior.
- :mod:`calibration.verdict`: PASS / FAIL / UNDETERMINED from the error, its standard error and the tolerance.
- :mod:`calibration.scorecard`: scorecard.md / scorecard.csv, fitted and held-out targets apart.
- :mod:`calibration.library`: publishing a fit (``--save``) stamped with commit, dirty flag, targets hash, seeds.
- :mod:`calibration.mechanisms`: competing mechanisms fitted side by side (AIC, BIC, held-out scores).
- :mod:`calibration.assumed`: the assumed behavioural parameters and their screening ranges.
- :mod:`calibration.sensitivity`: Morris screening (SALib) with a plot.
- :mod:`calibration.cli`: ``python -m calibration check|fit|score|compare-mechanisms|sensitivity``.
  See ``docs/calibration.md``.
"""

from calibration.targets import TargetsError, TargetsFile, load_targets

__all__ = ["TargetsError", "TargetsFile", "load_targets"]
