"""Numba rolling kernels for order statistics: arg-extremes, ranks, quantiles, medians, MAD.

The layout of the arrays is described in :mod:`rdq.factors._kernels` (which re-exports every kernel).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from rdq.factors._kernel_base import _JIT, _count_sum, _lo, _longest

__all__ = [
    "rolling_idx",
    "rolling_rank",
    "rolling_quantile",
    "rolling_median",
    "rolling_mad",
    "rolling_extreme",
    "rolling_sorted_quantiles",
    "rolling_sorted_quantile",
]


@nb.njit(**_JIT)
def rolling_idx(values: np.ndarray, starts: np.ndarray, window: int, find_max: bool) -> np.ndarray:
    """qlib's ``IdxMax``/``IdxMin``: 1-based position of the max/min in the window.

    Reproduces ``rolling(N, min_periods=1).apply(lambda x: x.argmax() + 1, raw=True)``: the window
    passed to numpy still holds its NaN values and ``np.argmax`` returns the first NaN, so a window
    with a missing value reports that value's position; a window without valid values is NaN; ties
    go to the first occurrence. O(1) amortised per row (monotonic deque).
    """
    n = values.shape[0]
    out = np.empty(n)
    dq = np.empty(_longest(starts), dtype=np.int64)  # candidate indices, best first
    nans = np.empty(_longest(starts), dtype=np.int64)  # NaN positions of the group, in order
    for g in range(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        head = 0
        tail = 0
        nh = 0
        nt = 0
        cnt = 0
        for i in range(s, e):
            lo = _lo(i, s, window)
            v = values[i]
            if math.isnan(v):
                nans[nt] = i
                nt += 1
            else:
                cnt += 1
                if find_max:
                    while tail > head and values[dq[tail - 1]] < v:
                        tail -= 1
                else:
                    while tail > head and values[dq[tail - 1]] > v:
                        tail -= 1
                dq[tail] = i
                tail += 1
            if lo > s:
                old = values[lo - 1]
                if not math.isnan(old):
                    cnt -= 1
            while head < tail and dq[head] < lo:
                head += 1
            while nh < nt and nans[nh] < lo:
                nh += 1
            if cnt == 0:
                out[i] = np.nan
            elif nh < nt:
                out[i] = nans[nh] - lo + 1.0
            else:
                out[i] = dq[head] - lo + 1.0
    return out


@nb.njit(**_JIT)
def rolling_rank(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """Percentile rank of the last value in the window (pandas ``rolling.rank(pct=True)``).

    Average rank among the window's valid values divided by their count; NaN when the last value
    is missing.
    """
    n = values.shape[0]
    out = np.empty(n)
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        for i in range(s, e):
            x = values[i]
            if math.isnan(x):
                out[i] = np.nan
                continue
            lo = _lo(i, s, window)
            cnt = 0
            less = 0
            eq = 0
            for j in range(lo, i + 1):  # branch-free (vectorises); NaN compares False
                v = values[j]
                cnt += v == v
                less += v < x
                eq += v == x
            out[i] = (less + (eq + 1) / 2.0) / cnt
    return out


@nb.njit(inline="always")
def _window_sorted(values: np.ndarray, lo: int, hi: int, buf: np.ndarray) -> int:
    cnt = 0
    for j in range(lo, hi + 1):
        v = values[j]
        if not math.isnan(v):
            buf[cnt] = v
            cnt += 1
    buf[:cnt].sort()
    return cnt


@nb.njit(**_JIT)
def rolling_quantile(values: np.ndarray, starts: np.ndarray, window: int, q: float) -> np.ndarray:
    """Rolling quantile with linear interpolation, as pandas' ``rolling.quantile``."""
    n = values.shape[0]
    out = np.empty(n)
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        buf = np.empty(max(e - s, 1))
        for i in range(s, e):
            cnt = _window_sorted(values, _lo(i, s, window), i, buf)
            if cnt == 0:
                out[i] = np.nan
                continue
            pos = q * (cnt - 1)
            k = int(pos)
            if k == pos:
                out[i] = buf[k]
            else:
                lo_v = buf[k]
                hi_v = buf[k + 1]
                out[i] = lo_v + (hi_v - lo_v) * (pos - k)
    return out


@nb.njit(**_JIT)
def rolling_median(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """Rolling median (pandas ``rolling.median``: mean of the two middle values when even)."""
    n = values.shape[0]
    out = np.empty(n)
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        buf = np.empty(max(e - s, 1))
        for i in range(s, e):
            cnt = _window_sorted(values, _lo(i, s, window), i, buf)
            if cnt == 0:
                out[i] = np.nan
            elif cnt % 2 == 1:
                out[i] = buf[cnt // 2]
            else:
                out[i] = (buf[cnt // 2 - 1] + buf[cnt // 2]) / 2.0
    return out


@nb.njit(**_JIT)
def rolling_mad(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """qlib's ``Mad``: mean absolute deviation from the mean of the window's valid values."""
    n = values.shape[0]
    out = np.empty(n)
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        for i in range(s, e):
            lo = _lo(i, s, window)
            cnt, tot = _count_sum(values, lo, i + 1)
            if cnt == 0:
                out[i] = np.nan
                continue
            m = tot / cnt
            acc = 0.0
            for j in range(lo, i + 1):
                v = values[j]
                if not math.isnan(v):
                    acc += abs(v - m)
            out[i] = acc / cnt
    return out


@nb.njit(**_JIT)
def rolling_extreme(values: np.ndarray, starts: np.ndarray, window: int, find_max: bool) -> np.ndarray:
    """Rolling max/min of the window's valid values; NaN when there are none.

    Monotonic deque of candidate indices: O(1) amortised per row, exact (returns an input value).
    """
    n = values.shape[0]
    out = np.empty(n)
    dq = np.empty(_longest(starts), dtype=np.int64)
    for g in range(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        head = 0
        tail = 0
        for i in range(s, e):
            v = values[i]
            if not math.isnan(v):
                if find_max:
                    while tail > head and values[dq[tail - 1]] <= v:
                        tail -= 1
                else:
                    while tail > head and values[dq[tail - 1]] >= v:
                        tail -= 1
                dq[tail] = i
                tail += 1
            if window > 0:
                lo = i - window + 1
                while head < tail and dq[head] < lo:
                    head += 1
            out[i] = values[dq[head]] if head < tail else np.nan
    return out


@nb.njit(inline="always")
def _lower(buf: np.ndarray, cnt: int, v: float) -> int:
    # first position in buf[:cnt] (sorted) whose value is >= v
    lo = 0
    hi = cnt
    while lo < hi:
        mid = (lo + hi) >> 1
        if buf[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@nb.njit(**_JIT)
def rolling_sorted_quantiles(
    values: np.ndarray, starts: np.ndarray, window: int, qs: np.ndarray, median: bool
) -> np.ndarray:
    """Rolling quantiles (linear, pandas) at every ``qs`` (``(k,)``) or the median, in one pass.

    Returns ``(k, n_rows)`` (``(1, n_rows)`` for the median). Keeps the window's valid values
    sorted (O(window) per row): the value entering the window takes the slot of the one leaving it
    (binary search) and slides to its place, one shift per row.
    """
    n = values.shape[0]
    nq = 1 if median else qs.shape[0]
    out = np.empty((nq, n))
    for g in range(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        size = e - s if window <= 0 else min(window, e - s)
        buf = np.empty(max(size, 1) + 1)
        cnt = 0
        for i in range(s, e):
            v = values[i]
            old = np.nan
            if window > 0 and i - window >= s:
                old = values[i - window]
            vin = not math.isnan(v)
            vout = not math.isnan(old)
            if vin and vout:
                p = _lower(buf, cnt, old)
                # slide the new value from the freed slot to its place
                while p > 0 and buf[p - 1] > v:
                    buf[p] = buf[p - 1]
                    p -= 1
                while p < cnt - 1 and buf[p + 1] < v:
                    buf[p] = buf[p + 1]
                    p += 1
                buf[p] = v
            elif vin:
                p = cnt
                while p > 0 and buf[p - 1] > v:
                    buf[p] = buf[p - 1]
                    p -= 1
                buf[p] = v
                cnt += 1
            elif vout:
                p = _lower(buf, cnt, old)
                for m in range(p, cnt - 1):
                    buf[m] = buf[m + 1]
                cnt -= 1
            if cnt == 0:
                for r in range(nq):
                    out[r, i] = np.nan
            elif median:
                out[0, i] = buf[cnt // 2] if cnt % 2 == 1 else (buf[cnt // 2 - 1] + buf[cnt // 2]) / 2.0
            else:
                for r in range(nq):
                    pos = qs[r] * (cnt - 1)
                    k2 = int(pos)
                    if k2 == pos:
                        out[r, i] = buf[k2]
                    else:
                        out[r, i] = buf[k2] + (buf[k2 + 1] - buf[k2]) * (pos - k2)
    return out


def rolling_sorted_quantile(
    values: np.ndarray, starts: np.ndarray, window: int, q: float, median: bool
) -> np.ndarray:
    """Rolling quantile (linear, pandas) or median: :func:`rolling_sorted_quantiles` for one ``q``."""
    return rolling_sorted_quantiles(values, starts, window, np.array([q]), median)[0]
