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
from typing import Any

import numba as nb
import numpy as np

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
]

_JIT: dict[str, Any] = {"nogil": True, "cache": True}


def group_starts(lengths: np.ndarray) -> np.ndarray:
    """Group boundaries ``(n_groups + 1,)`` int64 from per-group row counts."""
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


@nb.njit(inline="always")
def _longest(starts: np.ndarray) -> int:
    """Length of the longest group (at least 1): the size of per-group scratch buffers."""
    longest = 1
    for g in range(starts.shape[0] - 1):
        longest = max(longest, starts[g + 1] - starts[g])
    return longest


@nb.njit(inline="always")
def _lo(i: int, s: int, window: int) -> int:
    if window <= 0:
        return s
    return max(s, i - window + 1)


@nb.njit(inline="always")
def _count_sum(values: np.ndarray, lo: int, hi: int) -> tuple[int, float]:
    """Number and sum of the non-NaN values of ``values[lo:hi]`` (summed in order)."""
    cnt = 0
    tot = 0.0
    for j in range(lo, hi):
        v = values[j]
        if not math.isnan(v):
            cnt += 1
            tot += v
    return cnt, tot


@nb.njit(inline="always")
def _kahan_add(tot: float, comp: float, v: float) -> tuple[float, float]:
    """One Kahan-compensated addition of ``v`` to the running ``(tot, comp)`` (pandas' ``add_sum``)."""
    y = v - comp
    t = tot + y
    return t, (t - tot) - y


@nb.njit(inline="always")
def _welford_add(cnt: int, mean: float, ssq: float, v: float) -> tuple[int, float, float]:
    """Welford update for ``v`` entering the window (pandas' ``add_var``)."""
    cnt += 1
    delta = v - mean
    mean += delta / cnt
    return cnt, mean, ssq + delta * (v - mean)


@nb.njit(inline="always")
def _welford_remove(cnt: int, mean: float, ssq: float, old: float) -> tuple[int, float, float]:
    """Welford update for ``old`` leaving the window (pandas' ``remove_var``)."""
    cnt -= 1
    if cnt == 0:
        return 0, 0.0, 0.0
    delta = old - mean
    mean -= delta / cnt
    return cnt, mean, ssq - delta * (old - mean)


@nb.njit(inline="always")
def _std_value(cnt: int, ssq: float, run: int, ddof: int, squared: bool) -> float:
    if cnt - ddof <= 0:
        return np.nan
    if run >= cnt:
        return 0.0
    var = max(ssq, 0.0) / (cnt - ddof)
    return var if squared else math.sqrt(var)


@nb.njit(**_JIT)
def rolling_std(values: np.ndarray, starts: np.ndarray, window: int, ddof: int, squared: bool) -> np.ndarray:
    """Rolling standard deviation (``squared=True``: variance), ``ddof`` as pandas, O(1) per row.

    Welford updates as values enter and leave the window (pandas' ``roll_var`` algorithm); a window
    whose valid values are all identical gives exactly 0, as in pandas.
    """
    n = values.shape[0]
    out = np.empty(n)
    for g in range(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        cnt = 0
        mean = 0.0
        ssq = 0.0
        run = 0
        prev = np.nan
        for i in range(s, e):
            v = values[i]
            if not math.isnan(v):
                run = run + 1 if v == prev else 1
                prev = v
                cnt, mean, ssq = _welford_add(cnt, mean, ssq, v)
            if window > 0 and i - window >= s:
                old = values[i - window]
                if not math.isnan(old):
                    cnt, mean, ssq = _welford_remove(cnt, mean, ssq, old)
            out[i] = _std_value(cnt, ssq, run, ddof, squared)
    return out


@nb.njit(**_JIT)
def rolling_stds(values: np.ndarray, starts: np.ndarray, windows: np.ndarray, ddof: int, squared: bool) -> np.ndarray:
    """:func:`rolling_std` for every window of ``windows`` (``(k,)`` int64) in one pass: ``(k, n_rows)``.

    Each window keeps its own state and sees the same operations as in :func:`rolling_std`
    (bit-identical results); the windows' independent update chains overlap in the CPU, so k
    windows cost about 0.7x of k single passes.
    """
    n = values.shape[0]
    k = windows.shape[0]
    out = np.empty((k, n))
    cnt = np.zeros(k, dtype=np.int64)
    mean = np.zeros(k)
    ssq = np.zeros(k)
    for g in range(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        cnt[:] = 0
        mean[:] = 0.0
        ssq[:] = 0.0
        run = 0
        prev = np.nan
        for i in range(s, e):
            v = values[i]
            valid = not math.isnan(v)
            if valid:
                run = run + 1 if v == prev else 1
                prev = v
            for w in range(k):
                c, m, q = cnt[w], mean[w], ssq[w]
                if valid:
                    c, m, q = _welford_add(c, m, q, v)
                window = windows[w]
                if window > 0 and i - window >= s:
                    old = values[i - window]
                    if not math.isnan(old):
                        c, m, q = _welford_remove(c, m, q, old)
                cnt[w], mean[w], ssq[w] = c, m, q
                out[w, i] = _std_value(c, q, run, ddof, squared)
    return out


@nb.njit(inline="always")
def _central_sums(values: np.ndarray, lo: int, hi: int, m: float) -> tuple[float, float, float]:
    """Sums of ``d**2``, ``d**3``, ``d**4`` (``d = v - m``) over the non-NaN values of ``values[lo:hi]``."""
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    for j in range(lo, hi):
        v = values[j]
        if not math.isnan(v):
            d = v - m
            d2 = d * d
            s2 += d2
            s3 += d2 * d
            s4 += d2 * d2
    return s2, s3, s4


@nb.njit(**_JIT)
def rolling_skew(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """Rolling bias-corrected skewness (pandas ``rolling.skew``): NaN below 3 observations."""
    n = values.shape[0]
    out = np.empty(n)
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        for i in range(s, e):
            lo = _lo(i, s, window)
            cnt, tot = _count_sum(values, lo, i + 1)
            if cnt < 3:
                out[i] = np.nan
                continue
            m = tot / cnt
            m2, m3, _ = _central_sums(values, lo, i + 1, m)
            m2 /= cnt
            m3 /= cnt
            if m2 <= 1e-14 * max(1.0, m * m):
                out[i] = np.nan
                continue
            out[i] = math.sqrt(cnt * (cnt - 1.0)) / (cnt - 2.0) * m3 / m2**1.5
    return out


@nb.njit(**_JIT)
def rolling_kurt(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """Rolling bias-corrected excess kurtosis (pandas ``rolling.kurt``): NaN below 4 observations."""
    n = values.shape[0]
    out = np.empty(n)
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        for i in range(s, e):
            lo = _lo(i, s, window)
            cnt, tot = _count_sum(values, lo, i + 1)
            if cnt < 4:
                out[i] = np.nan
                continue
            m = tot / cnt
            s2, _, s4 = _central_sums(values, lo, i + 1, m)
            if s2 / cnt <= 1e-14 * max(1.0, m * m):
                out[i] = np.nan
                continue
            c = float(cnt)
            out[i] = (c * (c + 1.0) * (c - 1.0) * s4 / (s2 * s2) - 3.0 * (c - 1.0) ** 2) / ((c - 2.0) * (c - 3.0))
    return out


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
def rolling_wma(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """qlib's ``WMA``: ``np.nanmean(w * x)`` with ``w = (1..L) / sum(1..L)``, L the window length.

    Note qlib divides by the number of *valid* values, not by the weights' sum, so a window with
    missing values is scaled down; this reproduces it.
    """
    n = values.shape[0]
    out = np.empty(n)
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        for i in range(s, e):
            lo = _lo(i, s, window)
            length = i - lo + 1
            wsum = length * (length + 1) / 2.0
            cnt = 0
            acc = 0.0
            for j in range(lo, i + 1):
                v = values[j]
                if not math.isnan(v):
                    cnt += 1
                    acc += ((j - lo + 1) / wsum) * v
            out[i] = acc / cnt if cnt > 0 else np.nan
    return out


@nb.njit(**_JIT)
def ewm_mean(values: np.ndarray, starts: np.ndarray, alpha: float) -> np.ndarray:
    """pandas ``ewm(alpha=alpha, adjust=True, ignore_na=False, min_periods=1).mean()`` per asset."""
    n = values.shape[0]
    out = np.empty(n)
    old_wt_factor = 1.0 - alpha
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        if e <= s:
            continue
        weighted = values[s]
        old_wt = 1.0
        nobs = 0 if math.isnan(weighted) else 1
        out[s] = weighted if nobs >= 1 else np.nan
        for i in range(s + 1, e):
            cur = values[i]
            is_obs = not math.isnan(cur)
            if is_obs:
                nobs += 1
            if not math.isnan(weighted):
                old_wt *= old_wt_factor
                if is_obs:
                    if weighted != cur:
                        weighted = (old_wt * weighted + cur) / (old_wt + 1.0)
                    old_wt += 1.0
            elif is_obs:
                weighted = cur
            out[i] = weighted if nobs >= 1 else np.nan
    return out


@nb.njit(**_JIT)
def expanding_ema(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """qlib's ``EMA(x, 0)``: ``nansum(w * x)`` with ``w ~ a**(L-1..0)``, ``a = 1 - 2/(1+L)``."""
    n = values.shape[0]
    out = np.empty(n)
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        for i in range(s, e):
            length = i - s + 1
            a = 1.0 - 2.0 / (1.0 + length)
            wsum = 0.0
            for k in range(length):
                wsum += a**k
            acc = 0.0
            cnt = 0
            for j in range(s, i + 1):
                v = values[j]
                if not math.isnan(v):
                    cnt += 1
                    acc += a ** (i - j) / wsum * v
            out[i] = acc if cnt > 0 else np.nan
    return out


@nb.njit(inline="always")
def _reg_update(val: float, front: float, window: float, st: np.ndarray) -> None:
    # st = [i_sum, x_sum, x2_sum, y_sum, xy_sum, y2_sum, na_count]; qlib's rolling.pyx update()
    st[4] = st[4] - st[3]
    st[2] = st[2] + st[0] - 2 * st[1]
    st[1] = st[1] - st[0]
    if not math.isnan(front):
        st[0] -= 1
        st[3] -= front
        st[5] -= front * front
    else:
        st[6] -= 1
    if math.isnan(val):
        st[6] += 1
    else:
        st[0] += 1
        st[1] += window
        st[2] += window * window
        st[3] += val
        st[5] += val * val
        st[4] += window * val


@nb.njit(**_JIT)
def _rolling_reg(values: np.ndarray, starts: np.ndarray, window: int, what: int) -> np.ndarray:
    """qlib's cython ``rolling_slope`` (0) / ``rolling_rsquare`` (1) / ``rolling_resi`` (2), same arithmetic."""
    n = values.shape[0]
    out = np.empty(n)
    for g in nb.prange(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        w = window if window > 0 else max(e - s, 1)
        st = np.zeros(7)
        st[6] = w
        wf = float(w)
        for i in range(s, e):
            val = values[i]
            front = values[i - w] if i - w >= s else np.nan
            _reg_update(val, front, wf, st)
            cnt = w - st[6]
            i_sum, x_sum, x2_sum, y_sum, xy_sum, y2_sum = st[0], st[1], st[2], st[3], st[4], st[5]
            num = cnt * xy_sum - x_sum * y_sum
            if what == 0:
                den = cnt * x2_sum - x_sum * x_sum
                out[i] = num / den if den != 0 else (np.nan if num == 0 else math.copysign(np.inf, num))
            elif what == 1:
                den2 = (cnt * x2_sum - x_sum * x_sum) * (cnt * y2_sum - y_sum * y_sum)
                if den2 == 0 or cnt == 0:
                    out[i] = np.nan
                else:
                    r = num / math.sqrt(den2)
                    out[i] = r * r
            else:
                den = cnt * x2_sum - x_sum * x_sum
                if den == 0 or cnt == 0:
                    out[i] = np.nan
                    continue
                slope = num / den
                x_mean = x_sum / cnt
                y_mean = y_sum / cnt
                interp = y_mean - slope * x_mean
                out[i] = val - (slope * wf + interp)
            _ = i_sum
    return out


def rolling_slope(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """qlib ``Slope``: OLS slope of the window's values on their position (1..N)."""
    return _rolling_reg(values, starts, window, 0)


def rolling_rsquare(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """qlib ``Rsquare``: R² of that regression (before qlib's near-constant masking)."""
    return _rolling_reg(values, starts, window, 1)


def rolling_resi(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """qlib ``Resi``: residual of the last value in that regression."""
    return _rolling_reg(values, starts, window, 2)


@nb.njit(inline="always")
def _pair_two_pass(x: np.ndarray, y: np.ndarray, lo: int, hi: int, corr: bool) -> float:
    # exact two-pass sums over x[lo:hi+1], y[lo:hi+1] (rows where both are valid)
    cnt = 0
    sx = 0.0
    sy = 0.0
    for j in range(lo, hi + 1):
        if not (math.isnan(x[j]) or math.isnan(y[j])):
            cnt += 1
            sx += x[j]
            sy += y[j]
    if cnt < 2:
        return np.nan
    mx = sx / cnt
    my = sy / cnt
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for j in range(lo, hi + 1):
        if not (math.isnan(x[j]) or math.isnan(y[j])):
            dx = x[j] - mx
            dy = y[j] - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
    if corr:
        den = math.sqrt(sxx * syy)
        return sxy / den if den > 0 else np.nan
    return sxy / (cnt - 1)

@nb.njit(**_JIT)
def _rolling_pair(x: np.ndarray, y: np.ndarray, starts: np.ndarray, window: int, corr: bool) -> np.ndarray:
    """Rolling corr/cov, O(1) per row: running sums of deviations from an anchor.

    Every ``window`` rows the anchor moves to a value of the current window and the sums are
    recomputed afresh, so rounding cannot drift for more than one window. A row whose
    ``sum((x - mean)^2)`` is below 1e-4 of the squared deviations the sums have seen since then
    (cancellation: a flat window, or values far from the anchor for their spread) takes the exact
    two-pass sums instead. Differences from the two-pass result stay ~1e-10 or below.
    """
    n = x.shape[0]
    out = np.empty(n)
    for g in range(starts.shape[0] - 1):
        s, e = starts[g], starts[g + 1]
        cnt = 0
        cx = 0.0
        cy = 0.0
        ax = 0.0
        ay = 0.0
        axx = 0.0
        ayy = 0.0
        axy = 0.0
        txx = 0.0
        tyy = 0.0
        w = window if window > 0 else max(e - s, 1)  # 0: expanding
        for i in range(s, e):
            lo = max(s, i - w + 1)
            if (i - s) % w == 0:
                # re-anchor on a value of the window and sum it afresh: bounds the drift
                for j in range(i, lo - 1, -1):
                    if not (math.isnan(x[j]) or math.isnan(y[j])):
                        cx = x[j]
                        cy = y[j]
                        break
                cnt = 0
                ax = 0.0
                ay = 0.0
                axx = 0.0
                ayy = 0.0
                axy = 0.0
                for j in range(lo, i + 1):
                    if not (math.isnan(x[j]) or math.isnan(y[j])):
                        dx = x[j] - cx
                        dy = y[j] - cy
                        cnt += 1
                        ax += dx
                        ay += dy
                        axx += dx * dx
                        ayy += dy * dy
                        axy += dx * dy
                txx = axx
                tyy = ayy
            else:
                if not (math.isnan(x[i]) or math.isnan(y[i])):
                    dx = x[i] - cx
                    dy = y[i] - cy
                    cnt += 1
                    ax += dx
                    ay += dy
                    axx += dx * dx
                    ayy += dy * dy
                    axy += dx * dy
                    txx += dx * dx
                    tyy += dy * dy
                j = i - w
                if j >= s and not (math.isnan(x[j]) or math.isnan(y[j])):
                    dx = x[j] - cx
                    dy = y[j] - cy
                    cnt -= 1
                    ax -= dx
                    ay -= dy
                    axx -= dx * dx
                    ayy -= dy * dy
                    axy -= dx * dy
                    txx += dx * dx
                    tyy += dy * dy
            if cnt < 2:
                out[i] = np.nan
                continue
            sxx = axx - ax * ax / cnt
            syy = ayy - ay * ay / cnt
            # heavy cancellation (values far from the anchor relative to their spread, or a flat
            # window): fall back to the exact two-pass sums for this row
            if not (sxx > 1e-4 * txx and syy > 1e-4 * tyy):
                out[i] = _pair_two_pass(x, y, lo, i, corr)
                continue
            sxy = axy - ax * ay / cnt
            if corr:
                out[i] = sxy / math.sqrt(sxx * syy)
            else:
                out[i] = sxy / (cnt - 1)
    return out


def rolling_cov(x: np.ndarray, y: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """Rolling sample covariance (ddof=1) over the rows where both values are valid."""
    return _rolling_pair(x, y, starts, window, False)


def rolling_corr(x: np.ndarray, y: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """Rolling Pearson correlation over the rows where both values are valid."""
    return _rolling_pair(x, y, starts, window, True)


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
def rolling_sorted_quantiles(values: np.ndarray, starts: np.ndarray, window: int, qs: np.ndarray, median: bool) -> np.ndarray:
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


def rolling_sorted_quantile(values: np.ndarray, starts: np.ndarray, window: int, q: float, median: bool) -> np.ndarray:
    """Rolling quantile (linear, pandas) or median: :func:`rolling_sorted_quantiles` for one ``q``."""
    return rolling_sorted_quantiles(values, starts, window, np.array([q]), median)[0]
