"""Rank autocorrelation and top-quantile turnover: hand cases, a pandas peer, no look-ahead."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from signal_frames import as_nan, make_frames

from rdq.signal import rank_autocorr, top_turnover


def _frame(matrix: list[list[float | None]]) -> pl.DataFrame:
    """Rows are days, columns assets A0, A1, ..."""
    rows = []
    for t, day in enumerate(matrix):
        for j, v in enumerate(day):
            rows.append((dt.date(2020, 1, 1) + dt.timedelta(days=t), f"A{j}", v))
    return pl.DataFrame(rows, schema={"date": pl.Date, "asset": pl.Utf8, "x": pl.Float64}, orient="row")


def test_stable_and_reversing_rankings() -> None:
    stable = _frame([[1, 2, 3, 4, 5], [10, 20, 30, 40, 50], [0.1, 0.2, 0.3, 0.4, 0.5]])
    assert rank_autocorr(stable, column="x")["autocorr"].to_list() == [pytest.approx(1.0)] * 2
    assert top_turnover(stable, column="x")["turnover"].to_list() == [0.0, 0.0]
    flipping = _frame([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [1, 2, 3, 4, 5]])
    assert rank_autocorr(flipping, column="x")["autocorr"].to_list() == [pytest.approx(-1.0)] * 2
    assert top_turnover(flipping, column="x")["turnover"].to_list() == [1.0, 1.0]


def test_half_turnover_and_missing() -> None:
    # 10 assets, quantiles=5: the top bucket holds 2; day 2 keeps A9 and swaps A8 for A0
    day0 = [float(v) for v in range(10)]
    day1 = [99.0] + [float(v) for v in range(1, 9)] + [100.0]
    day1[8] = -1.0
    out = top_turnover(_frame([day0, day1]), column="x")
    assert out["turnover"].to_list() == [0.5]
    # a day with no valid values: undefined on it and on the next day
    empty = _frame([day0, [None] * 10, day0])
    assert top_turnover(empty, column="x")["turnover"].to_list() == [None, None]
    assert rank_autocorr(empty, column="x")["autocorr"].to_list() == [None, None]


@pytest.mark.parametrize("lag", [1, 3])
def test_matches_pandas_peer(lag: int) -> None:
    """Peer: unstack to (date x asset), Spearman of each row with the row ``lag`` before (pairwise complete)."""
    factors, _ = make_frames(n_days=30, n_assets=25, seed=7, nan_share=0.2)
    # an asset missing whole days (no row at all), as suspended stocks are
    factors = factors.filter(~((pl.col("asset") == "S003") & pl.col("date").dt.day().is_in([10, 11, 17])))
    wide = factors.to_pandas().pivot(index="date", columns="asset", values="g").sort_index()
    prev = wide.shift(lag)
    peer = np.array([wide.iloc[i].corr(prev.iloc[i], method="spearman") for i in range(lag, len(wide))])
    mine = rank_autocorr(factors.sample(fraction=1.0, shuffle=True, seed=1), column="g", lag=lag)
    assert mine.height == len(peer)
    np.testing.assert_allclose(as_nan(mine["autocorr"]), peer, rtol=1e-12)


def test_no_lookahead() -> None:
    """Values up to day t do not change when later days are removed."""
    factors, _ = make_frames(n_days=20, n_assets=15, seed=2)
    cut = factors.filter(pl.col("date") < pl.date(2021, 1, 16))
    for fn, col in ((rank_autocorr, "autocorr"), (top_turnover, "turnover")):
        full = fn(factors, column="g")
        part = fn(cut, column="g")
        joined = part.join(full, on="date", suffix="_full")
        assert joined.height == part.height > 5
        np.testing.assert_array_equal(as_nan(joined[col]), as_nan(joined[f"{col}_full"]))
