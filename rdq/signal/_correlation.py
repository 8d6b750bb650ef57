"""Pairwise factor correlation: the mean over days of the daily cross-sectional Spearman correlation.

For each day and each pair of factors, the assets where both are valid are re-ranked (average ranks)
and correlated; days with fewer than 2 common assets or a constant side are skipped for that pair.
Exact pairwise-complete Spearman, computed in blocks: factors sharing the same set of valid assets on
a day are ranked and correlated together as one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.stats import rankdata

from rdq.signal._frames import check_factor_frame

__all__ = ["factor_correlation"]


def _rank_corr_block(x: np.ndarray) -> np.ndarray:
    """Spearman correlation matrix of the columns of ``x`` (no missing values), shape ``(k, k)``."""
    k = x.shape[1]
    if x.shape[0] < 2:
        return np.full((k, k), np.nan)
    r = rankdata(x, axis=0, method="average")
    r = r - r.mean(axis=0)
    norm = np.sqrt((r * r).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (r.T @ r) / np.outer(norm, norm)
    np.fill_diagonal(c, 1.0)
    bad = norm == 0
    c[bad, :] = np.nan
    c[:, bad] = np.nan
    return np.clip(c, -1.0, 1.0)


def _day_corr(x: np.ndarray) -> np.ndarray:
    """Pairwise-complete Spearman matrix of one day's ``(n_assets, k)`` values (NaN = missing)."""
    k = x.shape[1]
    ok = np.isfinite(x)
    out = np.full((k, k), np.nan)
    groups: dict[bytes, list[int]] = {}
    for j in range(k):
        groups.setdefault(np.packbits(ok[:, j]).tobytes(), []).append(j)
    members = [np.array(v) for v in groups.values()]
    masks = [ok[:, v[0]] for v in members]
    for a in range(len(members)):
        for b in range(a, len(members)):
            rows = masks[a] & masks[b]
            if a == b:
                out[np.ix_(members[a], members[a])] = _rank_corr_block(x[np.ix_(rows, members[a])])
                continue
            # the two groups re-ranked on their common rows; keep only the cross block
            cols = np.concatenate([members[a], members[b]])
            block = _rank_corr_block(x[np.ix_(rows, cols)])[: len(members[a]), len(members[a]) :]
            out[np.ix_(members[a], members[b])] = block
            out[np.ix_(members[b], members[a])] = block.T
    return out


def factor_correlation(factors: pl.DataFrame, *, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Mean daily cross-sectional Spearman correlation between every pair of factor columns.

    Parameters
    ----------
    factors:
        FactorFrame ``date, asset, <factor columns>``.
    columns:
        Factor columns to use (default: all but ``date`` and ``asset``).

    Returns
    -------
    pl.DataFrame
        Square matrix ``(k, k + 1)``: a ``factor`` column, then one Float64 column per factor; the
        diagonal is 1 and an entry is null when no day defines it.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> d = dt.date(2020, 1, 2)
    >>> f = pl.DataFrame({"date": [d] * 3, "asset": ["A", "B", "C"], "x": [1.0, 2.0, 3.0], "y": [3.0, 2.0, 1.0]})
    >>> [round(v, 12) for v in factor_correlation(f)["y"]]
    [-1.0, 1.0]
    """
    cols = check_factor_frame(factors, columns=columns)
    frame = factors.select("date", *[pl.col(c).cast(pl.Float64) for c in cols]).sort(
        "date", maintain_order=True
    )
    values = frame.select(cols).to_numpy()  # null -> NaN
    dates = frame.get_column("date").to_physical().to_numpy()
    k = len(cols)
    total = np.zeros((k, k))
    count = np.zeros((k, k))
    if len(dates):
        starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]])
        ends = np.r_[starts[1:], len(dates)]
        for s, e in zip(starts, ends, strict=True):
            c = _day_corr(values[s:e])
            seen = np.isfinite(c)
            total[seen] += c[seen]
            count[seen] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    data: dict[str, object] = {"factor": cols}
    for j, name in enumerate(cols):
        data[name] = pl.Series(name, mean[:, j], dtype=pl.Float64).fill_nan(None)
    return pl.DataFrame(data)
