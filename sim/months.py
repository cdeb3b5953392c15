"""Calendar months as integers.

The model's clock counts months: ``month_index(2019, 9) == 2019 * 12 + 8``. A month stands
for its middle: a rule in force from day ``D`` applies to a month when it is in force on
that month's 15th, so a reform starting 2019-09-15 governs September 2019 and one starting
2023-11-24 governs December 2023.
"""

from __future__ import annotations

import datetime as dt
import re

MID_MONTH_DAY = 15

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def month_index(year: int, month: int) -> int:
    """Return the integer index of a calendar month (``year * 12 + month - 1``)."""
    return year * 12 + month - 1


def month_label(index: int) -> str:
    """Return ``YYYY-MM`` for a month index."""
    year, month0 = divmod(int(index), 12)
    return f"{year:04d}-{month0 + 1:02d}"


def month_start(index: int) -> dt.date:
    """Return the first day of a month index."""
    year, month0 = divmod(int(index), 12)
    return dt.date(year, month0 + 1, 1)


def parse_month(value: object) -> int:
    """Parse ``YYYY-MM``, ``YYYY-MM-DD`` or a date into the month index it governs.

    A full date governs the month whose 15th it is on or before (see module docstring).

    Raises
    ------
    ValueError
        If the value is not a month or a date.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _governed_month(value)
    text = str(value).strip()
    if match := _YEAR_MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            return month_index(year, month)
    if match := _DATE.match(text):
        try:
            return _governed_month(dt.date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            pass
    raise ValueError(f"expected a month 'YYYY-MM' or a date 'YYYY-MM-DD', got {value!r}")


def parse_date(value: object) -> dt.date:
    """Parse ``YYYY-MM-DD`` (or ``YYYY-MM``, meaning its first day) into a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if match := _DATE.match(text):
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    if (match := _YEAR_MONTH.match(text)) and 1 <= int(match[2]) <= 12:
        return dt.date(int(match[1]), int(match[2]), 1)
    raise ValueError(f"expected a date 'YYYY-MM-DD', got {value!r}")


def _governed_month(day: dt.date) -> int:
    index = month_index(day.year, day.month)
    return index if day.day <= MID_MONTH_DAY else index + 1
