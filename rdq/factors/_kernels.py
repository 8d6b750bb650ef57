"""Numba rolling kernels for the operators polars has no exact native equivalent for.

Every kernel works on one flat ``float64`` array holding all assets one after another (the panel
sorted by ``(asset, date)``) and a ``starts`` array of group boundaries::

    values  shape (n_rows,)        NaN = missing
    starts  shape (n_assets + 1,)  values[starts[g]:starts[g+1]] is asset g, in date order

and returns a ``float64`` array of shape ``(n_rows,)``. Windows never cross an asset boundary. A
``window`` of 0 means *expanding* (qlib's ``N == 0``). Unless noted, semantics are pandas'
``rolling(window, min_periods=1)`` as qlib calls it: NaN values are skipped, a window with no valid
value gives NaN, the first ``window - 1`` rows of an asset use the shorter window available.

Kernels release the GIL: ``compute`` runs independent ones on separate threads (no nested
parallelism, which oversubscribes the cores).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from rdq.factors._kernel_base import _JIT, _kahan_add, _lo, group_starts
from rdq.factors._kernels_order import (
    rolling_extreme,
    rolling_idx,
    rolling_mad,
    rolling_median,
    rolling_quantile,
    rolling_rank,
    rolling_sorted_quantile,
    rolling_sorted_quantiles,
)
from rdq.factors._kernels_stats import (
    ewm_mean,
    expanding_ema,
    rolling_corr,
    rolling_cov,
    rolling_kurt,
    rolling_resi,
    rolling_rsquare,
    rolling_skew,
    rolling_slope,
    rolling_std,
    rolling_stds,
    rolling_wma,
)

__all__ = [
    "group_starts",
    "rolling_std",
    "rolling_stds",
    "rolling_sum",
    "rolling_sums",
    "rolling_skew",
    "rolling_kurt",
    "rolling_idx",
    "rolling_rank",
    "rolling_quantile",
    "rolling_sorted_quantile",
    "rolling_sorted_quantiles",
    "rolling_median",
    "rolling_mad",
    "rolling_wma",
    "ewm_mean",
    "expanding_ema",
    "rolling_slope",
    "rolling_rsquare",
    "rolling_resi",
    "rolling_cov",
    "rolling_corr",
    "rolling_count",
    "rolling_extreme",
    "shift",
]


@nb.njit(**_JIT)
def rolling_count(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """Number of valid values in the window (pandas ``rolling(N, min_periods=1).count()``)."""
    n = values.shape[0]
    out = np.empty(n)
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        for i in range(s, e):
            cnt = 0
            for j in range(_lo(i, s, window), i + 1):
                if not math.isnan(values[j]):
                    cnt += 1
            out[i] = float(cnt)
    return out


@nb.njit(**_JIT)
def shift(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Per-asset shift by ``n`` rows (``n > 0``: past values; ``n < 0``: future; 0: the first value)."""
    out = np.empty(values.shape[0])
    for g in range(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        for i in range(s, e):
            if n == 0:
                out[i] = values[s]
            else:
                j = i - n
                out[i] = values[j] if s <= j < e else np.nan
    return out


@nb.njit(**_JIT)
def rolling_sum(values: np.ndarray, starts: np.ndarray, window: int, mean: bool) -> np.ndarray:
    """Rolling sum (``mean=True``: mean) of the window's valid values; NaN when there are none.

    Kahan-compensated running sum, O(1) per row (as pandas' ``roll_sum``/``roll_mean``).
    """
    out = np.empty(values.shape[0])
    for g in range(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        cnt = 0
        tot = 0.0
        comp = 0.0
        for i in range(s, e):
            v = values[i]
            if not math.isnan(v):
                cnt += 1
                tot, comp = _kahan_add(tot, comp, v)
            if window > 0 and i - window >= s:
                old = values[i - window]
                if not math.isnan(old):
                    cnt -= 1
                    tot, comp = _kahan_add(tot, comp, -old)
                    if cnt == 0:
                        tot = 0.0
                        comp = 0.0
            if cnt == 0:
                out[i] = np.nan
            else:
                out[i] = tot / cnt if mean else tot
    return out


@nb.njit(**_JIT)
def rolling_sums(values: np.ndarray, starts: np.ndarray, windows: np.ndarray, mean: bool) -> np.ndarray:
    """:func:`rolling_sum` for every window of ``windows`` (``(k,)`` int64) in one pass: ``(k, n_rows)``.

    Each window keeps its own state and sees the same operations as in :func:`rolling_sum`
    (bit-identical results); the independent chains overlap in the CPU, so k windows cost about
    0.6x of k single passes.
    """
    n = values.shape[0]
    k = windows.shape[0]
    out = np.empty((k, n))
    cnt = np.zeros(k, dtype=np.int64)
    tot = np.zeros(k)
    comp = np.zeros(k)
    for g in range(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        cnt[:] = 0
        tot[:] = 0.0
        comp[:] = 0.0
        for i in range(s, e):
            v = values[i]
            valid = not math.isnan(v)
            for w in range(k):
                c, a, cp = cnt[w], tot[w], comp[w]
                if valid:
                    c += 1
                    a, cp = _kahan_add(a, cp, v)
                window = windows[w]
                if window > 0 and i - window >= s:
                    old = values[i - window]
                    if not math.isnan(old):
                        c -= 1
                        a, cp = _kahan_add(a, cp, -old)
                        if c == 0:
                            a = 0.0
                            cp = 0.0
                cnt[w], tot[w], comp[w] = c, a, cp
                out[w, i] = np.nan if c == 0 else (a / c if mean else a)
    return out
