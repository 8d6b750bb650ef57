"""Numba kernel: per-day Pearson / Spearman correlation of many column pairs.

Rows arrive sorted by day; ``starts`` holds each day's first row (plus the end).  For every day and
pair, rows where either value is non-finite are dropped, values are optionally replaced by average
ranks, and the correlation is computed with centred sums.  A day with fewer than 2 pairs or a
constant side gives NaN.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["corr_by_day"]


@njit(cache=True)
def _average_ranks(a: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """1-based average ranks of ``a`` (no NaN) into ``out`` (ties share the mean rank)."""
    m = a.shape[0]
    order = np.argsort(a)  # ties are averaged below, so stability does not matter
    i = 0
    while i < m:
        j = i
        v = a[order[i]]
        while j + 1 < m and a[order[j + 1]] == v:
            j += 1
        r = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            out[order[k]] = r
        i = j + 1


@njit(cache=True)
def _pearson(xs: np.ndarray, ys: np.ndarray) -> float:  # pragma: no cover - compiled
    """Pearson correlation of two equal-length arrays without missing values (NaN if undefined)."""
    m = xs.shape[0]
    if m < 2 or xs.min() == xs.max() or ys.min() == ys.max():
        return np.nan
    mx = xs.mean()
    my = ys.mean()
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for k in range(m):
        dx = xs[k] - mx
        dy = ys[k] - my
        sxy += dx * dy
        sxx += dx * dx
        syy += dy * dy
    if sxx <= 0.0 or syy <= 0.0:
        return np.nan
    return min(1.0, max(-1.0, sxy / np.sqrt(sxx * syy)))


@njit(cache=True)
def corr_by_day(
    values: np.ndarray, starts: np.ndarray, xi: np.ndarray, yi: np.ndarray, rank: bool
) -> np.ndarray:  # pragma: no cover - compiled
    """Correlation per day and pair.

    Parameters
    ----------
    values:
        ``(n_rows, n_columns)`` float64, rows sorted by day, NaN/inf = missing.
    starts:
        ``(n_days + 1,)`` int64 row offsets of the days.
    xi, yi:
        ``(n_pairs,)`` int64 column indices of each pair.
    rank:
        Spearman (average ranks of the pair's valid rows) instead of Pearson.

    Returns
    -------
    np.ndarray
        ``(n_days, n_pairs)`` float64, NaN where undefined.

    Notes
    -----
    For Spearman, each column is ranked once per day over its own valid rows; a pair whose valid
    rows are exactly both columns' valid rows (the usual case) reuses those ranks, other pairs are
    re-ranked on their common rows, so the result is always the pairwise-complete Spearman.
    """
    n_days = starts.shape[0] - 1
    n_pairs = xi.shape[0]
    n_cols = values.shape[1]
    out = np.full((n_days, n_pairs), np.nan)
    width = 0
    for d in range(n_days):
        width = max(width, starts[d + 1] - starts[d])
    bx = np.empty(width)
    by = np.empty(width)
    rx = np.empty(width)
    ry = np.empty(width)
    own_rank = np.empty((width, n_cols))
    own_count = np.zeros(n_cols, dtype=np.int64)
    own_buf = np.empty(width)
    own_out = np.empty(width)
    for d in range(n_days):
        s = starts[d]
        e = starts[d + 1]
        if rank:
            for c in range(n_cols):
                m = 0
                for i in range(s, e):
                    if np.isfinite(values[i, c]):
                        own_buf[m] = values[i, c]
                        m += 1
                own_count[c] = m
                if m > 0:
                    _average_ranks(own_buf[:m], own_out[:m])
                k = 0
                for i in range(s, e):
                    if np.isfinite(values[i, c]):
                        own_rank[i - s, c] = own_out[k]
                        k += 1
                    else:
                        own_rank[i - s, c] = np.nan
        for p in range(n_pairs):
            cx = xi[p]
            cy = yi[p]
            m = 0
            for i in range(s, e):
                a = values[i, cx]
                b = values[i, cy]
                if np.isfinite(a) and np.isfinite(b):
                    if rank:
                        bx[m] = own_rank[i - s, cx]
                        by[m] = own_rank[i - s, cy]
                    else:
                        bx[m] = a
                        by[m] = b
                    m += 1
            if m < 2:
                continue
            if rank and (m != own_count[cx] or m != own_count[cy]):
                # the pair drops rows the columns' own ranks counted: re-rank on the common rows
                # (ranks of the common rows keep the values' order, so re-ranking them is exact)
                _average_ranks(bx[:m], rx[:m])
                _average_ranks(by[:m], ry[:m])
                out[d, p] = _pearson(rx[:m], ry[:m])
            else:
                out[d, p] = _pearson(bx[:m], by[:m])
    return out
