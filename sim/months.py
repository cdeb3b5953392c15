"""Calendar months as integers.

The model's clock counts months: ``month_index(2019, 9) == 2019 * 12 + 8``. A month stands
for its middle: a rule in force from day ``D`` applies to a month when it is in force on
that month's 15th, so a reform starting 2019-09-15 governs September 2019 and one starting
2023-11-24 governs December 2023.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re

from sim.errors import shorten

MID_MONTH_DAY = 15

FIRST_YEAR = 1900
"""Earliest year a date may name: the oldest person alive today was born after it."""
LAST_YEAR = 2200
"""Latest year a date may name. Month indices are stored in two bytes (``int16``), which hold months
up to 2730; the margin leaves room for a run of up to 600 months after a start in 2200."""

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def check_year(year: int, value: object) -> None:
    """Refuse a date outside :data:`FIRST_YEAR` .. :data:`LAST_YEAR`.

    Raises
    ------
    ValueError
        If ``year`` is outside the supported range; the message quotes ``value``.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"expected a date from {FIRST_YEAR}-01 to {LAST_YEAR}-12, got {_shown(value)} "
            f"(dates outside this range are not supported)"
        )


def _shown(value: object) -> str:
    return shorten(str(value) if isinstance(value, dt.date) else value)


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
        check_year(value.year, value)
        return _governed_month(value)
    text = str(value).strip()
    if match := _YEAR_MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            check_year(year, value)
            return month_index(year, month)
    if match := _DATE.match(text):
        check_year(int(match[1]), value)
        try:
            return _governed_month(dt.date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            pass
    raise ValueError(f"expected a month 'YYYY-MM' or a date 'YYYY-MM-DD', got {_shown(value)}")


def parse_date(value: object) -> dt.date:
    """Parse ``YYYY-MM-DD`` (or ``YYYY-MM``, meaning its first day) into a date."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        check_year(value.year, value)
        return value
    text = str(value).strip()
    day = None
    if match := _DATE.match(text):
        check_year(int(match[1]), value)
        with contextlib.suppress(ValueError):
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
    elif (match := _YEAR_MONTH.match(text)) and 1 <= int(match[2]) <= 12:
        check_year(int(match[1]), value)
        day = dt.date(int(match[1]), int(match[2]), 1)
    if day is None:
        raise ValueError(f"expected a date 'YYYY-MM-DD', got {_shown(value)}")
    return day


def _governed_month(day: dt.date) -> int:
    index = month_index(day.year, day.month)
    return index if day.day <= MID_MONTH_DAY else index + 1
