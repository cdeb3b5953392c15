"""Errors of experiments (designs, specs, comparisons): part of the one :class:`~sim.errors.SimError` tree."""

from __future__ import annotations

from sim.errors import SimError


class ExperimentError(SimError):
    """An experiment is set up wrongly (a design, a parameter, a comparison); the message says how to fix it."""
