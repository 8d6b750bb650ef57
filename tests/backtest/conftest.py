"""Panels and scores for the backtest tests: a real S&P slice and a synthetic panel with suspensions/limits."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rdq.data.schema import normalize_panel

SP_ASSETS = 30
SP_DAYS = 150


def synthetic_panel(dates: list[date], *, n_assets: int = 20, seed: int = 7) -> pl.DataFrame:
    """Random-walk panel on ``dates`` with limit moves, suspensions (missing and null rows), gaps at the
    start/end of some assets, opens that differ from closes and a non-trivial adjustment factor."""
    rng = np.random.default_rng(seed)
    n_days = len(dates)
    rets = rng.normal(0.0, 0.02, size=(n_days, n_assets))
    # limit moves: +-10% days (beyond a 9.5% threshold)
    hits = rng.random((n_days, n_assets)) < 0.04
    rets[hits] = rng.choice([0.1, -0.1], size=hits.sum())
    close = 20.0 * np.exp(np.cumsum(np.log1p(rets), axis=0)) * rng.uniform(0.5, 5.0, n_assets)
    open_ = close / (1 + rets) * (1 + rng.normal(0, 0.005, size=close.shape))
    factor = np.where(np.arange(n_days)[:, None] < n_days // 2, 1.0, rng.choice([1.0, 0.5, 2.5], n_assets))
    frame = pl.DataFrame(
        {
            "date": np.repeat(np.array(dates, dtype="datetime64[D]"), n_assets),
            "asset": np.tile([f"SYN{i:02d}" for i in range(n_assets)], n_days),
            "open": open_.ravel(),
            "high": np.maximum(open_, close).ravel() * 1.01,
            "low": np.minimum(open_, close).ravel() * 0.99,
            "close": close.ravel(),
            "volume": rng.integers(1_000, 1_000_000, size=n_days * n_assets).astype(float),
            "factor": factor.ravel(),
        }
    )
    keep = np.ones((n_days, n_assets), dtype=bool)
    # suspensions: missing rows for a few stretches
    for _ in range(12):
        a, d, length = rng.integers(0, n_assets), rng.integers(5, n_days - 5), rng.integers(1, 6)
        keep[d : d + length, a] = False
    keep[: n_days // 4, n_assets - 1] = False  # listed late
    keep[-n_days // 5 :, n_assets - 2] = False  # delisted early
    null_rows = (rng.random((n_days, n_assets)) < 0.01) & keep  # present rows with null prices
    frame = frame.with_columns(
        [
            pl.when(pl.Series(null_rows.ravel())).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("open", "high", "low", "close")
        ]
    ).filter(pl.Series(keep.ravel()))
    return normalize_panel(frame)


def sp_panel(path: Path) -> pl.DataFrame:
    """30 real S&P assets (every 15th ticker) over 150 days of 2016."""
    raw = pl.read_parquet(path).rename({"symbol": "asset"})
    panel = normalize_panel(raw)
    tickers = sorted(panel["asset"].unique().to_list())[::15][:SP_ASSETS]
    panel = panel.filter(pl.col("asset").is_in(tickers))
    dates = panel["date"].unique().sort()
    start = dates.to_list().index(date(2016, 3, 1))
    keep = dates[start : start + SP_DAYS]
    return panel.filter(pl.col("date").is_in(keep.implode()))


def random_scores(panel: pl.DataFrame, *, seed: int = 0, missing: float = 0.0) -> pl.DataFrame:
    """Continuous random scores (no ties) for every (date, asset) of the panel; a fraction dropped."""
    rng = np.random.default_rng(seed)
    scores = panel.select("date", "asset").with_columns(score=pl.Series(rng.standard_normal(panel.height)))
    if missing:
        scores = scores.filter(pl.Series(rng.random(panel.height) >= missing))
    return scores


@pytest.fixture(scope="session")
def sp_small(sp500_path: Path) -> pl.DataFrame:
    return sp_panel(sp500_path)
