"""A synthetic learning set with a planted linear signal (for tests and benchmarks)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

__all__ = ["synthetic_learning_set"]


def synthetic_learning_set(
    *,
    n_assets: int = 50,
    n_days: int = 200,
    n_features: int = 8,
    n_signal: int = 3,
    noise: float = 1.0,
    nan_frac: float = 0.01,
    seed: int = 0,
    start: dt.date = dt.date(2015, 1, 1),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Random factors and a label ``= x[:, :n_signal] @ w + noise * N(0, 1)``.

    Features are i.i.d. standard normal with a fraction ``nan_frac`` missing (null); the label
    on date ``t`` is a linear function of the first ``n_signal`` features on ``t`` plus noise,
    so a model's test IC should approach ``corr(x @ w, label) = |w| / sqrt(|w|^2 + noise^2)``.

    Returns
    -------
    factors: pl.DataFrame
        ``date, asset, f0..f{k-1}``, ``n_assets * n_days`` rows, sorted by ``(asset, date)``.
    label: pl.DataFrame
        ``date, asset, label``.
    """
    rng = np.random.default_rng(seed)
    n_signal = min(n_signal, n_features)
    dates = [start + dt.timedelta(days=i) for i in range(n_days)]
    assets = [f"A{i:04d}" for i in range(n_assets)]
    x = rng.standard_normal((n_assets, n_days, n_features))
    w = np.linspace(1.0, 0.5, n_signal) / np.sqrt(n_signal)
    y = x[:, :, :n_signal] @ w + noise * rng.standard_normal((n_assets, n_days))
    if nan_frac > 0:
        x[rng.random(x.shape) < nan_frac] = np.nan
    flat = x.reshape(n_assets * n_days, n_features)
    keys = {
        "date": pl.Series("date", np.tile(np.array(dates, dtype="datetime64[D]"), n_assets)).cast(pl.Date),
        "asset": np.repeat(np.array(assets), n_days),
    }
    names = [f"f{j}" for j in range(n_features)]
    feats = pl.from_numpy(flat, schema=names, orient="row").with_columns(pl.col(names).fill_nan(None))
    factors = pl.DataFrame(keys).hstack(feats)
    label = pl.DataFrame({**keys, "label": y.reshape(-1)})
    return factors, label
