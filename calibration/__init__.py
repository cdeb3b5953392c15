"""Calibration of the settlement model against published figures (builds on ``sim``; sim never imports it).

- :mod:`calibration.targets`: the targets file (published figures with sources, free parameters).
- :mod:`calibration.indicators`: run tables → target indicators.
- :mod:`calibration.fit`: differential evolution over common-random-number runs, Laplace intervals.
- :mod:`calibration.abc`: ABC rejection posterior.
- :mod:`calibration.sensitivity`: Morris screening (SALib) with a plot.
- :mod:`calibration.scorecard`: scorecard.md / scorecard.csv.
- :mod:`calibration.cli`: ``python -m calibration fit|sensitivity|check``. See ``docs/calibration.md``.
"""

from calibration.targets import TargetsError, TargetsFile, load_targets

__all__ = ["TargetsError", "TargetsFile", "load_targets"]
