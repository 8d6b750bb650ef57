"""Pairwise factor correlation: pandas pairwise-complete Spearman peer, hand cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from signal_frames import make_frames

from rdq.errors import SchemaError
from rdq.signal import factor_correlation


def test_matches_pandas_pairwise_spearman() -> None:
    factors, _ = make_frames(n_days=25, n_assets=30, seed=5, nan_share=0.15)
    rng = np.random.default_rng(1)
    factors = factors.with_columns(
        h=pl.Series(rng.normal(size=factors.height)),
        # a different missing pattern and a warm-up, as rolling factors have
        k=pl.when(pl.col("date") > pl.date(2021, 1, 8)).then(pl.col("g") * 2 + pl.col("f").fill_nan(0)),
        # constant on some days (skipped there)
        c=pl.when(pl.col("date").dt.day() % 4 == 0).then(1.0).otherwise(pl.col("g") ** 3),
    )
    cols = ["f", "g", "h", "k", "c"]
    mine = factor_correlation(factors, columns=cols)
    assert mine["factor"].to_list() == cols
    pdf = factors.to_pandas()
    daily = [day[cols].corr(method="spearman") for _, day in pdf.groupby("date")]
    peer = np.nanmean(np.stack([d.to_numpy() for d in daily]), axis=0)
    np.testing.assert_allclose(mine.select(cols).to_numpy(), peer, rtol=1e-10)
    np.testing.assert_allclose(np.diag(mine.select(cols).to_numpy()), 1.0)
    np.testing.assert_allclose(mine.select(cols).to_numpy(), mine.select(cols).to_numpy().T, rtol=1e-12)


def test_hand_cases() -> None:
    d = dt.date(2020, 1, 2)
    f = pl.DataFrame(
        {
            "date": [d] * 4,
            "asset": list("ABCD"),
            "x": [1.0, 2.0, 3.0, 4.0],
            "y": [8.0, 4.0, 2.0, 1.0],
            "z": [1.0, None, None, 2.0],
            "w": [None, None, None, 5.0],
        }
    )
    m = factor_correlation(f)
    assert m.filter(pl.col("factor") == "x")["y"][0] == pytest.approx(-1.0)
    assert m.filter(pl.col("factor") == "x")["z"][0] == pytest.approx(1.0)  # on the common pair A, D
    assert m.filter(pl.col("factor") == "w")["x"][0] is None  # one value: never defined
    with pytest.raises(SchemaError, match="did you mean 'x'"):
        factor_correlation(f, columns=["xx"])
