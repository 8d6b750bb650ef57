"""Small panels for the factor tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest


def random_walk_panel(
    n_assets: int = 6,
    n_days: int = 120,
    *,
    seed: int = 0,
    start: dt.date = dt.date(2020, 1, 1),
    dates: list[dt.date] | None = None,
    prefix: str = "SYN",
) -> pl.DataFrame:
    """A synthetic OHLCV(+vwap) random-walk panel, sorted by (asset, date)."""
    rng = np.random.default_rng(seed)
    if dates is None:
        dates = []
        d = start
        while len(dates) < n_days:
            if d.weekday() < 5:
                dates.append(d)
            d += dt.timedelta(days=1)
    n_days = len(dates)
    frames = []
    for a in range(n_assets):
        ret = rng.normal(0.0003, 0.02, n_days)
        close = 50.0 * np.exp(np.cumsum(ret))
        open_ = close * np.exp(rng.normal(0, 0.01, n_days))
        high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.008, n_days)))
        low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.008, n_days)))
        volume = np.round(rng.lognormal(13, 0.5, n_days))
        vwap = (high + low + close) / 3
        frames.append(
            pl.DataFrame(
                {
                    "date": dates,
                    "asset": f"{prefix}{a:03d}",
                    "open": open_,
                    "high": high,
                    "low": low,
                    "close": close,
                    "volume": volume,
                    "vwap": vwap,
                }
            )
        )
    return pl.concat(frames).sort(["asset", "date"])


@pytest.fixture
def small_panel() -> pl.DataFrame:
    return random_walk_panel(4, 80, seed=1)
