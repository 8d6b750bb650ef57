"""rdq.rl._bars: the regular 09:30-16:00 US/Eastern minute grid (DST, gaps, pre-market) and daily bars."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from shared_data import shared_path

from rdq.errors import DataError, SchemaError
from rdq.rl import MINUTES_PER_SESSION, daily_bars, load_minute_bars, resample_minutes, to_arrays


def _raw(rows: list[tuple[str, float, float]]) -> pl.DataFrame:
    """Rows of (UTC time, close, volume); open = close - 1, high = close + 1, low = close - 2."""
    t = [dt.datetime.fromisoformat(r[0]).replace(tzinfo=dt.UTC) for r in rows]
    c = [r[1] for r in rows]
    return pl.DataFrame({"date": t, "open": [x - 1 for x in c], "high": [x + 1 for x in c],
                         "low": [x - 2 for x in c], "close": c, "volume": [r[2] for r in rows]})


def test_winter_and_summer_sessions_open_at_0930_eastern() -> None:
    # 2024-03-08 is EST (UTC-5): 09:30 ET = 14:30 UTC; 2024-03-11 is EDT (UTC-4): 09:30 ET = 13:30 UTC
    raw = _raw([("2024-03-08 14:30:00", 10.0, 5), ("2024-03-08 14:31:00", 11.0, 6),
                ("2024-03-11 13:30:00", 20.0, 7), ("2024-03-11 19:59:00", 21.0, 8)])
    bars = resample_minutes(raw)
    assert bars.height == 2 * MINUTES_PER_SESSION
    assert bars["day"].unique().to_list() == [dt.date(2024, 3, 8), dt.date(2024, 3, 11)]
    assert bars["session"].unique().to_list() == [0, 1]
    first = bars.filter(pl.col("session") == 1).row(0, named=True)
    assert first["time"].hour == 9 and first["time"].minute == 30 and first["close"] == 20.0 and not first["filled"]
    last = bars.filter(pl.col("session") == 1).row(-1, named=True)
    assert (last["time"].hour, last["time"].minute) == (15, 59) and last["close"] == 21.0  # 19:59 UTC = 15:59 EDT
    assert bars.filter(pl.col("session") == 0)["close"].to_list()[:3] == [10.0, 11.0, 11.0]


def test_pre_and_post_market_rows_are_dropped() -> None:
    # 13:29 UTC in winter is 08:29 ET (pre-market); 21:00 UTC is 16:00 ET (after the close)
    raw = _raw([("2024-01-02 13:29:00", 99.0, 1), ("2024-01-02 14:30:00", 10.0, 5),
                ("2024-01-02 21:00:00", 77.0, 1), ("2024-01-03 12:00:00", 55.0, 1)])
    bars = resample_minutes(raw)
    assert bars.height == MINUTES_PER_SESSION  # 2024-01-03 had only a pre-market bar: no session
    assert 99.0 not in bars["close"].to_list() and 77.0 not in bars["close"].to_list()
    assert bars["close"].to_list() == [10.0] * MINUTES_PER_SESSION


def test_missing_minute_is_forward_filled_and_marked() -> None:
    raw = _raw([("2024-01-02 14:30:00", 10.0, 5), ("2024-01-02 14:32:00", 12.0, 6),
                ("2024-01-03 14:31:00", 30.0, 9)])
    bars = resample_minutes(raw)
    d1 = bars.filter(pl.col("session") == 0).head(3)
    assert d1["filled"].to_list() == [False, True, False]
    filled = d1.row(1, named=True)
    assert (filled["open"], filled["high"], filled["low"], filled["close"], filled["volume"]) == (10.0, 10.0, 10.0, 10.0, 0.0)
    # the next day's 09:30 has no trade: the previous close 12.0, filled
    d2 = bars.filter(pl.col("session") == 1).head(2)
    assert d2["close"].to_list() == [12.0, 30.0] and d2["filled"].to_list() == [True, False]
    assert d2.row(1, named=True)["open"] == 29.0


def test_first_minutes_before_any_trade_take_the_first_open() -> None:
    bars = resample_minutes(_raw([("2024-01-02 14:33:00", 10.0, 5)]))
    assert bars["close"].to_list()[:4] == [9.0, 9.0, 9.0, 10.0]
    assert bars["filled"].to_list()[:4] == [True, True, True, False]


def test_same_minute_rows_are_merged() -> None:
    raw = _raw([("2024-01-02 14:30:10", 10.0, 5), ("2024-01-02 14:30:40", 12.0, 6)])
    row = resample_minutes(raw).row(0, named=True)
    assert (row["open"], row["high"], row["low"], row["close"], row["volume"]) == (9.0, 13.0, 8.0, 12.0, 11.0)


def test_bad_input_names_the_column() -> None:
    with pytest.raises(SchemaError, match="volume"):
        resample_minutes(_raw([("2024-01-02 14:30:00", 10.0, 5)]).drop("volume"))


def test_daily_bars_from_a_panel() -> None:
    panel = pl.DataFrame({
        "date": [dt.date(2024, 1, 30), dt.date(2024, 1, 31), dt.date(2024, 2, 1), dt.date(2024, 2, 2),
                 dt.date(2024, 1, 30)],
        "asset": ["A", "A", "A", "A", "B"],
        "open": [1.0, 2.0, None, 4.0, 9.0], "high": [1.5, 2.5, None, 4.5, 9.0], "low": [0.5, 1.5, None, 3.5, 9.0],
        "close": [1.2, 2.2, None, 4.2, 9.0], "volume": [10.0, 20.0, None, 40.0, 1.0],
    })
    bars = daily_bars(panel, "A")
    assert bars["session"].to_list() == [0, 0, 1, 1]
    assert bars["close"].to_list() == [1.2, 2.2, 2.2, 4.2] and bars["filled"].to_list() == [False, False, True, False]
    arr = to_arrays(bars)
    assert arr.n_sessions == 2 and arr.session_start.tolist() == [0, 2, 4]
    with pytest.raises(DataError, match="did you mean 'A'"):
        daily_bars(panel, "a")


def test_slice_renumbers_sessions() -> None:
    raw = _raw([("2024-01-02 14:30:00", 10.0, 5), ("2024-01-03 14:30:00", 11.0, 5), ("2024-01-04 14:30:00", 12.0, 5)])
    arr = to_arrays(resample_minutes(raw))
    part = arr.slice(MINUTES_PER_SESSION, 2 * MINUTES_PER_SESSION + 10)
    assert part.n_sessions == 2 and part.session_start.tolist() == [0, 390, 400]
    assert np.array_equal(part.close, arr.close[390:790])


@pytest.mark.shared
def test_shared_minute_file() -> None:
    path = shared_path("data", "us_1min_2024.parquet")
    bars = load_minute_bars(path, "FDS", start="2024-03-01", end="2024-03-31")
    assert bars.height % MINUTES_PER_SESSION == 0 and bars.height // MINUTES_PER_SESSION == 20  # March 2024: 21 weekdays, Good Friday (29th) closed
    assert bars["session"][0] == 0 and 0.0 < bars["filled"].mean() < 1.0  # type: ignore[operator]
    times = bars["time"]
    assert {(t.hour, t.minute) for t in times.head(1)} == {(9, 30)}
    with pytest.raises(DataError, match="FDS"):
        load_minute_bars(path, "FDSX")
