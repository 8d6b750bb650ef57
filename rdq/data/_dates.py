"""Dates a user types (CLI options, scenario keys), checked at the boundary.

:func:`parse_date` reads one date and names the option or key when it cannot; :func:`check_span`
checks ``start <= end``; :func:`check_within` checks a span against the first and last date of the
data, so that a mistyped year fails before any computation instead of giving an empty or truncated
result much later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rdq.errors import ConfigError

__all__ = ["parse_date", "check_span", "check_within", "SLACK_DAYS"]

#: a span may start (end) this many calendar days before (after) the data: a weekend or holiday
SLACK_DAYS = 7


def parse_date(value: Any, what: str) -> dt.date:
    """Read ``value`` (``"2017-01-03"``, a date or a datetime) as a date.

    Parameters
    ----------
    value:
        The user's value.
    what:
        The option or key it came from (``"--start"``, ``"backtests/x.yaml: segments.train[0]"``),
        named in the error.

    Raises
    ------
    ConfigError
        ``value`` is not a valid ISO date (``2020-13-01``, ``2020-02-30``, ``yesterday``).

    Examples
    --------
    >>> parse_date("2017-01-03", "--start")
    datetime.date(2017, 1, 3)
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        try:  # a timestamp names its day
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            pass
    raise ConfigError(f"{what} {value!r} is not a valid date; write an ISO date like 2017-01-03 (YYYY-MM-DD)")


def check_span(start: dt.date | None, end: dt.date | None, what: str) -> None:
    """Raise :class:`ConfigError` when ``end`` is before ``start`` (``what`` names the span)."""
    if start is not None and end is not None and end < start:
        raise ConfigError(f"{what}: the end {end} is before the start {start}; swap them")


def check_within(
    start: dt.date | None,
    end: dt.date | None,
    first: dt.date,
    last: dt.date,
    *,
    what: str,
    data: str | None = None,
    slack_days: int = SLACK_DAYS,
) -> None:
    """Raise :class:`ConfigError` when the span ``[start, end]`` lies outside the data.

    A span may begin up to ``slack_days`` calendar days before the data's first date (and end that much
    after its last), so that a span written from the first of a month that is a holiday still holds.

    Parameters
    ----------
    start, end:
        The span (either may be ``None``: open).
    first, last:
        The data's first and last date.
    what:
        The span's name in the message (``"--start/--end"``, ``"segments.test"``).
    data:
        The data's name (file) in the message.
    """
    of = f" of {data}" if data else ""
    has = f"the data{of} cover {first} to {last}"
    slack = dt.timedelta(days=slack_days)
    if start is not None and start > last:
        raise ConfigError(f"{what}: the start {start} is after the last date {last}; {has}")
    if end is not None and end < first:
        raise ConfigError(f"{what}: the end {end} is before the first date {first}; {has}")
    if start is not None and start < first - slack:
        raise ConfigError(
            f"{what}: the start {start} is before the first date {first}; {has}: start on or after {first}"
        )
    if end is not None and end > last + slack:
        raise ConfigError(
            f"{what}: the end {end} is after the last date {last}; {has}: end on or before {last}"
        )
