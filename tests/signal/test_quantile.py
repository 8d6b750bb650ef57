"""Quantile portfolios: qlib-mode long-short equals qlib's calc_long_short_return; rdq's buckets by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from signal_frames import as_nan, make_frames, to_qlib

from rdq.errors import ConfigError
from rdq.signal import long_short_series, qlib_long_short, quantile_buckets, quantile_frame, quantile_returns

calc_long_short_return = pytest.importorskip("qlib.contrib.eva.alpha").calc_long_short_return


@pytest.mark.parametrize("dropna", [False, True])
@pytest.mark.parametrize("quantile", [0.2, 0.1, 0.3])
def test_qlib_mode_matches_qlib(dropna: bool, quantile: float) -> None:
    factors, label = make_frames(n_days=40, n_assets=37, seed=3, nan_share=0.15)
    # ties across the leg boundary: round the factor on some days
    factors = factors.with_columns(
        pl.when(pl.col("date").dt.day() % 3 == 0).then(pl.col("f").round(1)).otherwise(pl.col("f")).alias("f")
    )
    q_ls, q_avg = calc_long_short_return(
        to_qlib(factors, "f"), to_qlib(label, "label"), quantile=quantile, dropna=dropna
    )
    mine = qlib_long_short(factors, label, column="f", quantile=quantile, dropna=dropna)
    q_ls = q_ls.reindex(q_avg.index)  # qlib drops days where a leg is empty from r_long/r_short
    assert mine["date"].to_list() == [d.date() for d in q_avg.index]
    for got, want in (
        (as_nan(mine["long_short"]), q_ls.to_numpy()),
        (as_nan(mine["long_avg"]), q_avg.to_numpy()),
    ):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        assert ok.sum() > 30
        np.testing.assert_allclose(got[ok], want[ok], rtol=1e-10, atol=1e-15)
    # qlib's SigAnaRecord summary (ann_scaler = 252)
    ls = mine["long_short"].drop_nulls()
    assert ls.mean() * 252 == pytest.approx(q_ls.mean() * 252, rel=1e-10)
    assert ls.mean() / ls.std() * 252**0.5 == pytest.approx(q_ls.mean() / q_ls.std() * 252**0.5, rel=1e-9)


def _one_day(values: list[float | None], labels: list[float]) -> tuple[pl.DataFrame, pl.DataFrame]:
    d = dt.date(2020, 1, 2)
    assets = [f"A{i:02d}" for i in range(len(values))]
    f = pl.DataFrame(
        {"date": [d] * len(values), "asset": assets, "x": values}, schema_overrides={"x": pl.Float64}
    )
    y = pl.DataFrame({"date": [d] * len(values), "asset": assets, "label": labels})
    return f, y


def test_buckets_by_hand() -> None:
    f, y = _one_day([float(v) for v in range(10)], [float(v) / 100 for v in range(10)])
    b = quantile_buckets(f, column="x", quantiles=5)
    assert b["quantile"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    q = quantile_returns(f, y, column="x", quantiles=5)
    assert q["quantile"].to_list() == [1, 2, 3, 4, 5]
    n36 = _one_day([float(v) for v in range(36)], [0.0] * 36)[0]
    assert quantile_buckets(n36, column="x")["quantile"].value_counts().sort("quantile")[
        "count"
    ].to_list() == [
        7,
        7,
        8,
        7,
        7,
    ]
    np.testing.assert_allclose(q["label"].to_numpy(), [0.005, 0.025, 0.045, 0.065, 0.085])
    # top - bottom (qlib's mode would halve it)
    assert long_short_series(f, y, column="x", quantiles=5)["long_short"][0] == pytest.approx(0.08)


def test_ties_share_a_bucket_and_missing_dropped() -> None:
    f, y = _one_day([1.0, 1.0, 1.0, 1.0, 5.0, 6.0, None], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 9.9])
    b = quantile_buckets(f, column="x", quantiles=3).sort("asset")
    # 6 valid values: the four tied 1.0 have average rank 2.5 -> floor((2.5 - 0.5) / 6 * 3) + 1 = 2
    assert b["quantile"].to_list() == [2, 2, 2, 2, 3, 3]
    wide = quantile_frame(f, y, columns=["x"], quantiles=3)
    assert wide["x__q1"].to_list() == [None]  # empty bucket
    assert wide["x__q2"][0] == pytest.approx(0.25)
    assert wide["x__q3"][0] == pytest.approx(0.55)


def test_fewer_assets_than_quantiles() -> None:
    f, y = _one_day([3.0, 1.0], [0.3, 0.1])
    q = quantile_returns(f, y, column="x", quantiles=5)
    # slot centres 0.25 and 0.75 of the unit interval -> buckets 2 and 4 of 5
    assert q["quantile"].to_list() == [2, 4]
    assert long_short_series(f, y, column="x", quantiles=5)["long_short"].to_list() == [None]


def test_long_short_sign_flip(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    factors, label = frames
    flipped = factors.with_columns(-pl.col("f"))
    a = as_nan(long_short_series(factors, label, column="f")["long_short"])
    b = as_nan(long_short_series(flipped, label, column="f")["long_short"])
    np.testing.assert_allclose(a, -b, rtol=1e-12)
    assert np.nanmean(a) > 0  # label = 0.1 f + noise


def test_bad_options() -> None:
    f, y = _one_day([1.0, 2.0], [0.1, 0.2])
    with pytest.raises(ConfigError, match="quantiles"):
        quantile_returns(f, y, column="x", quantiles=1)
    with pytest.raises(ConfigError, match="quantile"):
        qlib_long_short(f, y, column="x", quantile=0.7)
