"""Train / valid / test segments by date, and walk-forward (rolling) splits.

A :class:`Segments` is three closed date intervals ``[start, end]``, in order and non-overlapping::

    |---- train ----|-- valid --|-- test --|
    start        end start   end start   end

:class:`RollingSplitter` moves such a window forward over a trading calendar by ``step`` days,
so a model is re-trained every ``step`` days on the ``train_span`` days before, validated on the
``valid_span`` days after that, and scores the next ``step`` days (qlib's ``RollingGen``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from rdq.errors import ConfigError

__all__ = ["Segments", "SegmentName", "RollingSplitter", "as_date"]

SegmentName = Literal["train", "valid", "test"]
SEGMENT_NAMES: tuple[SegmentName, ...] = ("train", "valid", "test")

DateLike = dt.date | str


def as_date(value: DateLike, *, what: str = "date") -> dt.date:
    """Read a ``datetime.date`` (or ``datetime``, or ISO string ``2018-02-07``) as a ``date``.

    Raises
    ------
    ConfigError
        ``value`` is not a date.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ConfigError(f"{what}: cannot read {value!r} as a date; use ISO dates like 2018-02-07")


@dataclass(frozen=True)
class Segments:
    """Three closed, ordered, non-overlapping date spans.

    Parameters
    ----------
    train, valid, test:
        ``(start, end)`` pairs, both ends included. Strings ``"2018-02-07"`` are accepted.

    Examples
    --------
    >>> s = Segments(train=("2010-01-01", "2014-12-31"), valid=("2015-01-01", "2016-12-31"),
    ...              test=("2017-01-01", "2018-12-31"))
    >>> s.train[1]
    datetime.date(2014, 12, 31)
    """

    train: tuple[dt.date, dt.date]
    valid: tuple[dt.date, dt.date]
    test: tuple[dt.date, dt.date]

    def __post_init__(self) -> None:
        prev_end: dt.date | None = None
        prev_name = ""
        for name in SEGMENT_NAMES:
            raw = getattr(self, name)
            if not isinstance(raw, tuple | list) or len(raw) != 2:
                raise ConfigError(f"segment '{name}' must be a (start, end) pair, got {raw!r}")
            start = as_date(raw[0], what=f"segment '{name}' start")
            end = as_date(raw[1], what=f"segment '{name}' end")
            if end < start:
                raise ConfigError(f"segment '{name}' ends ({end}) before it starts ({start})")
            if prev_end is not None and start <= prev_end:
                raise ConfigError(
                    f"segment '{name}' starts on {start}, not after '{prev_name}' ends on {prev_end}; "
                    "segments must be in the order train < valid < test and must not overlap"
                )
            object.__setattr__(self, name, (start, end))
            prev_end, prev_name = end, name

    def span(self, name: SegmentName) -> tuple[dt.date, dt.date]:
        """The ``(start, end)`` of segment ``name``."""
        if name not in SEGMENT_NAMES:
            from rdq.errors import did_you_mean

            raise ConfigError(f"unknown segment {name!r}{did_you_mean(str(name), SEGMENT_NAMES)}")
        span: tuple[dt.date, dt.date] = getattr(self, name)
        return span

    def mask(self, name: SegmentName, *, column: str = "date") -> pl.Expr:
        """A polars predicate selecting the rows of segment ``name``."""
        start, end = self.span(name)
        col = pl.col(column)
        return (col >= pl.lit(start)) & (col <= pl.lit(end))

    @property
    def end(self) -> dt.date:
        """The last date any segment covers."""
        return self.test[1]


@dataclass(frozen=True)
class RollingSplitter:
    """Walk-forward segments over a trading calendar (qlib's ``RollingGen`` with ``rtype=ROLL_SD``).

    Split ``k`` (0-based) uses, in trading days of ``calendar``::

        train = [k*step,                         k*step + train_span - 1]
        valid = [k*step + train_span,            ... + valid_span - 1]
        test  = [k*step + train_span + valid_span, ... + step - 1]   (cut at the calendar's end)

    so consecutive test spans tile the calendar after the first train+valid window, and each
    split only ever fits on days before its own test span.

    Parameters
    ----------
    step:
        Trading days between re-trainings (= length of each test span), ``>= 1``.
    train_span, valid_span:
        Trading days of the train and valid spans, ``>= 1``.
    gap:
        Trading days dropped between train/valid and valid/test (to keep labels that look
        ``gap`` days ahead from leaking); qlib's benchmarks use 0.
    """

    step: int
    train_span: int
    valid_span: int
    gap: int = 0

    def __post_init__(self) -> None:
        for name in ("step", "train_span", "valid_span"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"RollingSplitter.{name} must be an integer >= 1, got {value!r}")
        if not isinstance(self.gap, int) or self.gap < 0:
            raise ConfigError(f"RollingSplitter.gap must be an integer >= 0, got {self.gap!r}")

    def split(self, calendar: Sequence[dt.date] | pl.Series) -> Iterator[Segments]:
        """Yield the :class:`Segments` of each walk-forward step over ``calendar``.

        Parameters
        ----------
        calendar:
            Trading days, shape ``(n_days,)``; sorted and de-duplicated here.

        Raises
        ------
        ConfigError
            The calendar is shorter than one ``train_span + valid_span + 1`` window.
        """
        days = sorted(
            {as_date(d) for d in (calendar.to_list() if isinstance(calendar, pl.Series) else calendar)}
        )
        first_test = self.train_span + self.gap + self.valid_span + self.gap
        if len(days) <= first_test:
            raise ConfigError(
                f"calendar has {len(days)} days; a rolling split needs more than "
                f"train_span + valid_span + 2*gap = {first_test}",
            )
        k = 0
        while True:
            base = k * self.step
            t0 = base + first_test
            if t0 >= len(days):
                return
            v0 = base + self.train_span + self.gap
            yield Segments(
                train=(days[base], days[base + self.train_span - 1]),
                valid=(days[v0], days[v0 + self.valid_span - 1]),
                test=(days[t0], days[min(t0 + self.step, len(days)) - 1]),
            )
            k += 1

    def n_splits(self, calendar: Sequence[dt.date] | pl.Series) -> int:
        """How many splits :meth:`split` yields over ``calendar``."""
        return sum(1 for _ in self.split(calendar))
