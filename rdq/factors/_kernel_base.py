"""Shared pieces of the numba rolling kernels: the layout helpers and the running-sum/Welford updates.

The layout (every kernel module follows it) is described in :mod:`rdq.factors._kernels`.
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np

__all__ = ["group_starts"]

#: the settings of every exported kernel: release the GIL (``compute`` runs kernels on threads), cache the compiled code
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
