"""User-typed dates: parse, order, and within the data (rdq/data/_dates.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from rdq.data._dates import SLACK_DAYS, check_span, check_within, parse_date
from rdq.errors import ConfigError

FIRST, LAST = dt.date(2013, 2, 8), dt.date(2018, 2, 7)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2017-01-03", dt.date(2017, 1, 3)),
        (" 2017-01-03 ", dt.date(2017, 1, 3)),
        ("2017-01-03 09:30:00", dt.date(2017, 1, 3)),
        (dt.date(2016, 2, 29), dt.date(2016, 2, 29)),
        (dt.datetime(2016, 2, 29, 15, 0), dt.date(2016, 2, 29)),
    ],
)
def test_parse_date(value: object, expected: dt.date) -> None:
    assert parse_date(value, "--start") == expected


@pytest.mark.parametrize("value", ["2020-13-01", "2021-02-29", "2020-00-10", "yesterday", "", 20200101, None])
def test_parse_date_names_the_option(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^--end .* is not a valid date; write an ISO date like 2017-01-03"):
        parse_date(value, "--end")


def test_check_span() -> None:
    check_span(dt.date(2017, 1, 1), dt.date(2017, 1, 1), "x")  # one day is a span
    check_span(None, dt.date(2017, 1, 1), "x")
    with pytest.raises(ConfigError, match="segments.test: the end 2016-12-31 is before the start 2017-01-01; swap"):
        check_span(dt.date(2017, 1, 1), dt.date(2016, 12, 31), "segments.test")


def test_check_within_accepts_spans_inside_and_a_week_of_slack() -> None:
    check_within(FIRST, LAST, FIRST, LAST, what="x")
    check_within(None, None, FIRST, LAST, what="x")
    slack = dt.timedelta(days=SLACK_DAYS)
    check_within(FIRST - slack, LAST + slack, FIRST, LAST, what="x")  # e.g. 2013-02-01 .. 2018-02-14


@pytest.mark.parametrize(
    "start, end, message",
    [
        (dt.date(2018, 3, 1), None, "the start 2018-03-01 is after the last date 2018-02-07"),
        (None, dt.date(2013, 1, 31), "the end 2013-01-31 is before the first date 2013-02-08"),
        (dt.date(2013, 1, 31), None, "the start 2013-01-31 is before the first date 2013-02-08"),
        (None, dt.date(2018, 2, 15), "the end 2018-02-15 is after the last date 2018-02-07"),
        (dt.date(2010, 1, 4), dt.date(2020, 1, 2), "the start 2010-01-04 is before the first date"),
    ],
)
def test_check_within_names_the_data_range(start: dt.date | None, end: dt.date | None, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        check_within(start, end, FIRST, LAST, what="--start/--end", data="sp500.parquet")
    text = str(err.value)
    assert text.startswith("--start/--end: ") and message in text
    assert "the data of sp500.parquet cover 2013-02-08 to 2018-02-07" in text
