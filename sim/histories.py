"""Yearly person histories kept beside the monthly ledgers: individual income tax.

Income tax (个人所得税) is a history of its own, separate from the business-tax ledger: the
amount paid in each of the last few calendar years (``Population.income_tax_cny``), enough to
say "years with tax of at least 100,000 yuan among the last 3". A year's amount is the person's
full-year amount times the share of the year's months with social insurance: the tax is withheld
from formal wages, which are the months that pay social insurance.
"""

from __future__ import annotations

import numpy as np

from sim.population import MIGRANT, Population

YEAR_MONTHS = np.uint64((1 << 12) - 1)
"""The last 12 months of a ledger's low word."""


def tax_years(pop: Population) -> int:
    """Closed years of income tax ``pop`` keeps (0 when the scenario declares no income tax)."""
    return max(pop.income_tax_cny.shape[1] - 1, 0)


def close_tax_year(pop: Population, month: int) -> None:
    """When ``month`` (just closed) is a December, record the year's income tax of every migrant.

    Each kept year moves one column back (the oldest is dropped) and column 0 takes the closed
    year: the full-year amount (last column) times the months of the year paid in the city / 12.
    """
    years = tax_years(pop)
    if years == 0 or month % 12 != 11:
        return
    rows = np.flatnonzero(pop.status == MIGRANT)
    paid = np.bitwise_count(pop.social_insurance.lo[rows] & YEAR_MONTHS).astype(np.float32)
    tax = pop.income_tax_cny
    tax[rows, 1:years] = tax[rows, : years - 1]
    tax[rows, 0] = tax[rows, years] * paid / np.float32(12)
