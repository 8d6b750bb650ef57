"""Synthetic factor/label frames for the signal tests, and their pandas/qlib twins (helpers, not tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl


def make_frames(
    *, n_days: int = 60, n_assets: int = 40, seed: int = 0, nan_share: float = 0.1
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """FactorFrame (``f``, ``g``) and label on a dense grid, with NaNs and pathological days.

    Day 0: factor all NaN; day 1: factor constant; day 2: a single valid pair; day 3: label constant;
    day 4: ties (rounded factor).  The rest: ``label = 0.1 f + noise`` with ``nan_share`` NaN holes.
    """
    rng = np.random.default_rng(seed)
    dates = np.arange(np.datetime64("2021-01-04"), np.datetime64("2021-01-04") + n_days)
    assets = [f"S{i:03d}" for i in range(n_assets)]
    n = n_days * n_assets
    f = rng.normal(size=n)
    g = 0.5 * f + rng.normal(size=n)
    y = 0.1 * f + rng.normal(size=n) * 0.5
    f[rng.random(n) < nan_share] = np.nan
    y[rng.random(n) < nan_share] = np.nan
    day = np.repeat(np.arange(n_days), n_assets)
    f[day == 0] = np.nan
    f[day == 1] = 1.5
    f[day == 2] = np.nan
    f[np.flatnonzero(day == 2)[:1]] = 0.3
    y[np.flatnonzero(day == 2)[:1]] = 0.1
    y[day == 3] = 0.02
    f[day == 4] = np.round(f[day == 4])
    frame = pl.DataFrame(
        {
            "date": pl.Series(np.repeat(dates, n_assets)).cast(pl.Date),
            "asset": np.tile(assets, n_days),
            "f": f,
            "g": g,
        }
    )
    label = frame.select("date", "asset").with_columns(label=pl.Series(y))
    return frame, label


def to_qlib(frame: pl.DataFrame, column: str) -> pd.Series:
    """qlib's input shape: a Series on a (datetime, instrument) MultiIndex, NaN for missing."""
    idx = pd.MultiIndex.from_arrays(
        [pd.to_datetime(frame["date"].to_numpy()), frame["asset"].to_numpy()],
        names=["datetime", "instrument"],
    )
    return pd.Series(frame[column].cast(pl.Float64).fill_null(np.nan).to_numpy(), index=idx, name=column)


def as_nan(values: pl.Series) -> np.ndarray:
    """Polars series (null = missing) as a float array with NaN."""
    return values.cast(pl.Float64).fill_null(np.nan).to_numpy()
