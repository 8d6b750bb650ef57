"""Numba rolling kernels for moments, regressions, pairs and moving averages.

The layout of the arrays is described in :mod:`rdq.factors._kernels` (which re-exports every kernel).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from rdq.factors._kernel_base import _JIT, _count_sum, _lo, _std_value, _welford_add, _welford_remove

__all__ = [
    "rolling_std",
    "rolling_stds",
    "rolling_skew",
    "rolling_kurt",
    "rolling_wma",
    "ewm_mean",
    "expanding_ema",
    "rolling_slope",
    "rolling_rsquare",
    "rolling_resi",
    "rolling_cov",
    "rolling_corr",
]


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
def rolling_stds(
    values: np.ndarray, starts: np.ndarray, windows: np.ndarray, ddof: int, squared: bool
) -> np.ndarray:
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
            out[i] = (c * (c + 1.0) * (c - 1.0) * s4 / (s2 * s2) - 3.0 * (c - 1.0) ** 2) / (
                (c - 2.0) * (c - 3.0)
            )
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
