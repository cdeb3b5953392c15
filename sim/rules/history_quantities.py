"""Quantities over the person histories that rules read: pure functions of the population and a month.

The registry entries of conditions and points quantities over the histories (tenure, permit,
districts, income tax, attributes) call these; each names the rule text it encodes.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

Population = Any
"""A :class:`sim.population.Population` (not imported: the schema reads this module, below the population)."""

ReferenceDate = Literal["month", "end_of_previous_year"]
"""When a rule counts to: the month of application itself (histories up to the month before it), or
31 December of the year before (Beijing 积分落户: "all points and conditions are counted to it")."""


def reference_month(month: int, reference: ReferenceDate) -> int:
    """The month a rule evaluated in ``month`` counts to (exclusive): ``month``, or January of its year.

    Counting to 31 December of the previous year is counting every month before January.

    Examples
    --------
    >>> from sim.months import month_index, month_label
    >>> month_label(reference_month(month_index(2018, 6), "end_of_previous_year"))
    '2018-01'
    """
    if reference == "month":
        return month
    if reference == "end_of_previous_year":
        return month - month % 12
    raise ValueError(f"unknown reference date {reference!r}; expected 'month' or 'end_of_previous_year'")


def points_month(channel: object, month: int) -> int:
    """The month a points channel (``PointsChannel``) in force in ``month`` counts to (exclusive)."""
    return reference_month(month, getattr(channel, "reference_date", "month"))


def age_by_birth_year(pop: Population, month: int) -> np.ndarray:
    """Age as the year of ``month - 1`` minus the year of birth (the age reached in the year counted to).

    Beijing's lists read age "by birth year at the reference date": counted to 2017-12-31, a person
    born in any month of 1972 is 45.
    """
    return ((month - 1) // 12 - pop.birth_month.astype(np.int64) // 12).astype(np.int16)


def retirement_age(pop: Population, male_years: int, female_years: int) -> np.ndarray:
    """The statutory retirement age of each row by sex, in years."""
    return np.where(pop.is_male, male_years, female_years).astype(np.int16)


def income_tax_years(pop: Population, threshold_cny: float, last_years: int) -> np.ndarray:
    """Years among the last ``last_years`` closed calendar years with income tax of at least ``threshold_cny``.

    Raises
    ------
    ValueError
        If the population keeps fewer years than ``last_years`` (validation refuses such a rule).
    """
    kept = max(pop.income_tax_cny.shape[1] - 1, 0)
    if last_years > kept:
        raise ValueError(f"the rule reads {last_years} years of income tax; the population keeps {kept}")
    return (pop.income_tax_cny[:, :last_years] >= threshold_cny).sum(axis=1).astype(np.int16)


def whole_years(months: np.ndarray) -> np.ndarray:
    """Completed years in ``months`` (a rule that counts "in whole years" drops the odd months)."""
    return np.floor_divide(months, 12)
