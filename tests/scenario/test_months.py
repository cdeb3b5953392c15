"""Which month a date governs: the model's month stands for its middle (the 15th)."""

from __future__ import annotations

import datetime as dt

import pytest

from sim.months import month_index, month_label, parse_date, parse_month


@pytest.mark.parametrize(
    ("value", "year", "month"),
    [
        ("2019-09-01", 2019, 9),
        ("2019-09-15", 2019, 9),  # on the 15th: its own month (Ningbo's reform, seed 000)
        ("2019-09-16", 2019, 10),  # after the 15th: the next month
        ("2023-11-24", 2023, 12),
        ("2019-12-31", 2020, 1),  # across the year end
        ("2019-9-5", 2019, 9),
        (dt.date(2019, 9, 15), 2019, 9),
        (dt.date(2019, 9, 16), 2019, 10),
        (dt.datetime(2019, 9, 16, 8, 30), 2019, 10),
        ("2019-09", 2019, 9),  # a month is itself
        (" 2019-09 ", 2019, 9),
    ],
)
def test_a_date_governs_its_month_up_to_the_15th_and_the_next_month_after(value: object, year: int, month: int) -> None:
    assert parse_month(value) == month_index(year, month)


@pytest.mark.parametrize("value", ["2019-13", "2019-00", "2019-02-30", "Sept 2019", "2019/09", "", None, 201909])
def test_parse_month_rejects_what_is_not_a_month(value: object) -> None:
    with pytest.raises(ValueError, match="expected a month 'YYYY-MM' or a date 'YYYY-MM-DD'"):
        parse_month(value)


def test_month_index_and_label_round_trip() -> None:
    assert month_index(2019, 9) == 2019 * 12 + 8
    assert month_label(month_index(2019, 9)) == "2019-09"
    assert month_label(parse_month("2019-12-20")) == "2020-01"


def test_parse_date_reads_a_bare_month_as_its_first_day() -> None:
    assert parse_date("2019-09") == dt.date(2019, 9, 1)
    assert parse_date("2019-09-15") == dt.date(2019, 9, 15)
    with pytest.raises(ValueError, match="expected a date"):
        parse_date("2019-13-01")
