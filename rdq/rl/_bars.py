"""Bars for the trading environment: one instrument on a regular grid, as a polars frame and as numpy arrays.

The frame every loader here returns (one asset, sorted by ``time``)::

    time                         day         session  open    high    low     close   volume  filled
    datetime[us, America/NY]     pl.Date     pl.Int64 f64     f64     f64     f64     f64     bool
    2024-01-02 09:30:00 EST      2024-01-02  0        2590.0  2590.0  2584.4  2584.4  2345.0  false
    2024-01-02 09:31:00 EST      2024-01-02  0        2584.4  2584.4  2584.4  2584.4  0.0     true
    ...

* minute bars (:func:`resample_minutes`, :func:`load_minute_bars`): 390 bars per trading day, 09:30 to 15:59
  US/Eastern (the bar's start), daylight saving time handled by the time zone; pre- and post-market rows
  are dropped; a minute without a trade is forward-filled (open = high = low = close = the last close,
  volume 0, ``filled`` true); ``session`` numbers the trading days; an early-close day (e.g. 2024-11-29)
  keeps its 390 bars, the ones after the close filled flat;
* daily bars (:func:`daily_bars`): one bar per date of any rdq panel, ``session`` numbers the calendar
  months (an episode of the environment is then a month, or N of them).

:func:`to_arrays` turns a frame into :class:`BarArrays`, the float64 arrays the environment and the experts
read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from rdq.errors import ConfigError, DataError, SchemaError

__all__ = [
    "BAR_COLUMNS",
    "MINUTES_PER_SESSION",
    "BarArrays",
    "daily_bars",
    "load_minute_bars",
    "resample_minutes",
    "to_arrays",
]

#: columns of every frame this module returns, in order
BAR_COLUMNS: tuple[str, ...] = ("time", "day", "session", "open", "high", "low", "close", "volume", "filled")
#: regular trading hours 09:30-16:00 US/Eastern, one bar per minute
MINUTES_PER_SESSION = 390
_TZ = "America/New_York"
_OPEN_MINUTE = 9 * 60 + 30
_OHLC = ("open", "high", "low", "close")


@dataclass(frozen=True)
class BarArrays:
    """The bars as numpy arrays, shape ``(n_bars,)`` each (float64 prices and volume).

    ``session_start[s]`` is the index of the first bar of session ``s`` and ``session_start[-1] == n_bars``
    (shape ``(n_sessions + 1,)``).
    """

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    filled: np.ndarray
    day: np.ndarray
    session: np.ndarray
    session_start: np.ndarray

    @property
    def n_bars(self) -> int:
        """Number of bars."""
        return int(self.close.shape[0])

    @property
    def n_sessions(self) -> int:
        """Number of sessions (trading days of minute bars, months of daily bars)."""
        return int(self.session_start.shape[0] - 1)

    def slice(self, start: int, stop: int) -> BarArrays:
        """The bars ``start:stop`` (sessions renumbered from 0); used to truncate the future in tests."""
        sess = self.session[start:stop]
        sess = sess - sess[0] if sess.size else sess
        return _arrays(self.open[start:stop], self.high[start:stop], self.low[start:stop], self.close[start:stop],
                       self.volume[start:stop], self.filled[start:stop], self.day[start:stop], sess)


def _arrays(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray, f: np.ndarray,
            day: np.ndarray, session: np.ndarray) -> BarArrays:
    change = np.flatnonzero(np.diff(session) != 0) + 1
    start = np.concatenate([[0], change, [session.shape[0]]]).astype(np.int64) if session.size else np.zeros(1, np.int64)
    return BarArrays(open=o, high=h, low=lo, close=c, volume=v, filled=f, day=day, session=session,
                     session_start=start)


def to_arrays(bars: pl.DataFrame) -> BarArrays:
    """The frame of :func:`resample_minutes` / :func:`daily_bars` as :class:`BarArrays`.

    Raises
    ------
    SchemaError
        A column of :data:`BAR_COLUMNS` is missing.
    DataError
        A price is missing or not positive (the loaders here never leave one).
    """
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise SchemaError(f"bars lack column(s) {missing}", column=missing[0],
                          fix="build bars with rdq.rl.resample_minutes or rdq.rl.daily_bars")
    if bars.height == 0:
        raise DataError("no bars to trade (the frame is empty)", fix="check the symbol and the date range")
    cols = {c: bars[c].cast(pl.Float64).to_numpy() for c in (*_OHLC, "volume")}
    for c in _OHLC:
        if not np.all(np.isfinite(cols[c]) & (cols[c] > 0)):
            raise DataError("a price is missing or not positive", column=c,
                            fix="forward-fill the bars (resample_minutes / daily_bars do)")
    return _arrays(cols["open"], cols["high"], cols["low"], cols["close"], np.nan_to_num(cols["volume"]),
                   bars["filled"].to_numpy().astype(bool), bars["day"].to_numpy(),
                   bars["session"].to_numpy().astype(np.int64))


def _check_raw(frame: pl.DataFrame, source: str | None) -> None:
    missing = [c for c in ("date", *_OHLC, "volume") if c not in frame.columns]
    if missing:
        raise SchemaError(f"missing column(s) {missing}; found {frame.columns}", file=source, column=missing[0],
                          fix="minute bars need date (a timestamp), open, high, low, close, volume")
    if not isinstance(frame.schema["date"], pl.Datetime):
        raise SchemaError(f"'date' must be a timestamp, got {frame.schema['date']}", file=source, column="date",
                          fix="parse it first (pl.col('date').str.to_datetime()); naive timestamps are read as UTC")


def resample_minutes(frame: pl.DataFrame, *, source: str | None = None) -> pl.DataFrame:
    """Put one instrument's minute bars on the regular 09:30-16:00 US/Eastern grid.

    Parameters
    ----------
    frame:
        ``date`` (a timestamp of the bar's start; naive means UTC), ``open, high, low, close, volume``, one
        instrument, any order; several rows in one minute are merged (first open, max high, min low, last close,
        summed volume).
    source:
        Name used in error messages.

    Returns
    -------
    pl.DataFrame
        :data:`BAR_COLUMNS`, 390 rows per day that has at least one regular-hours bar (see the module
        docstring). A day's minutes before its first trade take the previous day's last close (the first
        day's, its first open), flagged ``filled``.
    """
    _check_raw(frame, source)
    tz = getattr(frame.schema["date"], "time_zone", None)
    ts = pl.col("date") if tz else pl.col("date").dt.replace_time_zone("UTC")
    local = frame.with_columns(ts.dt.convert_time_zone(_TZ).dt.truncate("1m").alias("_t"))
    local = local.with_columns(
        pl.col("_t").dt.date().alias("day"),
        (pl.col("_t").dt.hour().cast(pl.Int32) * 60 + pl.col("_t").dt.minute().cast(pl.Int32) - _OPEN_MINUTE)
        .alias("_k"),
    ).filter((pl.col("_k") >= 0) & (pl.col("_k") < MINUTES_PER_SESSION))
    agg = (local.sort("_t").group_by("day", "_k", maintain_order=True)
           .agg(pl.col("open").first(), pl.col("high").max(), pl.col("low").min(), pl.col("close").last(),
                pl.col("volume").sum().cast(pl.Float64)))
    days = agg.select(pl.col("day").unique().sort()).with_row_index("session")
    grid = days.join(pl.DataFrame({"_k": pl.arange(0, MINUTES_PER_SESSION, eager=True).cast(pl.Int32)}),
                     how="cross")
    out = grid.join(agg, on=["day", "_k"], how="left").sort("day", "_k")
    out = out.with_columns(pl.col("close").is_null().alias("filled"))
    first_open = agg.sort("day", "_k")["open"].drop_nulls()
    seed = float(first_open[0]) if first_open.len() else float("nan")
    last = pl.col("close").forward_fill().fill_null(seed)
    out = out.with_columns(last.alias("_last"))
    out = out.with_columns(
        *(pl.when(pl.col("filled")).then(pl.col("_last")).otherwise(pl.col(c)).alias(c) for c in _OHLC),
        pl.col("volume").fill_null(0.0),
        (pl.col("day").cast(pl.Datetime("us")) + pl.duration(minutes=pl.col("_k") + _OPEN_MINUTE))
        .dt.replace_time_zone(_TZ).alias("time"),
        pl.col("session").cast(pl.Int64),
    )
    return out.select(BAR_COLUMNS)


def load_minute_bars(path: str | Path, symbol: str, *, start: dt.date | str | None = None,
                     end: dt.date | str | None = None) -> pl.DataFrame:
    """Read one symbol of a minute-bar Parquet file (the shared ``us_1min_2024.parquet``) onto the grid.

    Parameters
    ----------
    path:
        Parquet with ``date`` (UTC timestamp), ``symbol``, ``open, high, low, close, volume``.
    symbol:
        The instrument (``"FDS"``).
    start, end:
        Inclusive US/Eastern trading days to keep.

    Returns
    -------
    pl.DataFrame
        :func:`resample_minutes` of that symbol's rows.

    Raises
    ------
    DataError
        The file is missing, or holds no rows of ``symbol`` (names the symbols it has).
    """
    p = Path(path)
    if not p.is_file():
        raise DataError("file not found", file=str(p), fix="pass the minute-bar Parquet file (../shared/data/us_1min_2024.parquet)")
    lf = pl.scan_parquet(p)
    names = lf.collect_schema().names()
    key = "symbol" if "symbol" in names else "asset"
    frame = lf.filter(pl.col(key) == symbol).collect()
    if frame.height == 0:
        have = lf.select(pl.col(key).unique().sort()).collect()[key].to_list()
        from rdq.errors import did_you_mean

        raise DataError(f"no rows for symbol {symbol!r}{did_you_mean(symbol, have)}", file=str(p), column=key,
                        fix=f"choose one of {', '.join(map(str, have))}")
    bars = resample_minutes(frame, source=str(p))
    if start is not None:
        bars = bars.filter(pl.col("day") >= _day(start))
    if end is not None:
        bars = bars.filter(pl.col("day") <= _day(end))
    if bars.height == 0:
        raise DataError(f"no regular-hours bars of {symbol!r} between {start} and {end}", file=str(p),
                        fix="widen start/end")
    return bars.with_columns((pl.col("session") - pl.col("session").min()).alias("session"))


def _day(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"date {value!r} is not an ISO date; write it like 2024-03-01") from None


def daily_bars(panel: pl.DataFrame, asset: str, *, session: Literal["month", "all"] = "month") -> pl.DataFrame:
    """One asset of an rdq panel as daily bars.

    Parameters
    ----------
    panel:
        The canonical panel (``date, asset, open, high, low, close, volume``, see :mod:`rdq.data.schema`).
    asset:
        The asset to keep.
    session:
        ``"month"``: each calendar month is a session (an episode of the environment); ``"all"``: one session.

    Returns
    -------
    pl.DataFrame
        :data:`BAR_COLUMNS`; a missing price is forward-filled from the last close (``filled`` true),
        leading rows without any price are dropped.
    """
    if asset not in set(panel["asset"].unique().to_list()):
        from rdq.errors import did_you_mean

        raise DataError(f"asset {asset!r} is not in the panel{did_you_mean(asset, panel['asset'].unique().to_list())}",
                        column="asset", fix="pick an asset of the panel")
    f = panel.filter(pl.col("asset") == asset).sort("date")
    f = f.with_columns(pl.col("close").fill_nan(None), *(pl.col(c).fill_nan(None) for c in ("open", "high", "low")))
    f = f.with_columns(pl.col("close").is_null().alias("filled"))
    last = pl.col("close").forward_fill()
    f = f.with_columns(
        *(pl.when(pl.col("filled")).then(last).otherwise(pl.col(c).fill_null(pl.col("close"))).alias(c)
          for c in _OHLC),
        pl.col("volume").cast(pl.Float64).fill_null(0.0),
    ).filter(pl.col("close").is_not_null())
    day = pl.col("date").cast(pl.Date)
    month = day.dt.year().cast(pl.Int64) * 12 + day.dt.month().cast(pl.Int64)
    sess = (month.rank("dense").cast(pl.Int64) - 1) if session == "month" else pl.lit(0, pl.Int64)
    f = f.with_columns(day.alias("day"), pl.col("date").cast(pl.Datetime("us")).alias("time"), sess.alias("session"))
    return f.select(BAR_COLUMNS)
