"""Aggregates (code.kx.com/q/ref/sum, /prd, /max, /min, /avg): ``sum prd max min avg``.

Integral sums wrap in their type; nulls are ignored; temporal values keep their type under ``sum``,
``max`` and ``min``; an empty list gives the identity (``0``, ``1``, ``-0W``, ``0W``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rdq.qlang._core import _syms, enlist, items, mklist, null_atom, wrap_int
from rdq.qlang._ops import arith, minmax
from rdq.qlang._values import DTYPES, NULLS, A, D, L, QError, T, V

__all__ = ["q_avg", "q_avgs", "q_max", "q_min", "q_prd", "q_sum"]


#: temporal types held as integers (datetime, 15, is a float)


_TINT = (12, 13, 14, 16, 17, 18, 19)


def _nonnull(x: V) -> np.ndarray:
    a = x.a
    if x.t in (8, 9, 15):
        return a[~np.isnan(a)]
    if x.t in (5, 6, 7) or x.t in _TINT:
        return a[a != NULLS[x.t]]
    return a


def _inf(t: int) -> int:
    """The positive infinity of an integral type (``0W``): the largest value of its width."""
    return 2 ** (63 if DTYPES[t] is np.int64 else 31 if DTYPES[t] is np.int32 else 15) - 1


def q_sum(x: Any) -> Any:
    if type(x) is V:
        t = x.t
        if t in (1, 4, 5, 6, 7):
            # sum.md's domain and range: booleans, bytes, shorts and ints add up to an int (sum 101b is 2i;
            # the show page's older example prints a long)
            rt = 7 if t == 7 else 6
            a = x.a
            total = int(a.sum(dtype=np.int64))  # no copy; wraps mod 2^64 like q's integer sum
            if t in (5, 6, 7):  # take the nulls back out (exact mod 2^64, then wrapped to the result type)
                total -= int(np.count_nonzero(a == NULLS[t])) * int(NULLS[t])
            return A(rt, wrap_int(total, rt))
        if t in (8, 9, 15):
            return A(t, float(np.nansum(x.a)))
        if t in _TINT:  # temporal values add up in their own type
            return A(t, wrap_int(int(_nonnull(x).astype(np.int64).sum()), 7 if DTYPES[t] is np.int64 else 6))
        raise QError("type")
    if type(x) is A:
        return x
    if type(x) is D:
        return q_sum(x.v)
    if type(x) is T:
        return D(_syms(x.cols), mklist([q_sum(c) for c in x.data]))
    lst = items(x)
    if not lst:
        return A(7, 0)
    acc = lst[0]
    for a in lst[1:]:
        acc = arith("+", acc, a)
    return acc


def q_prd(x: Any) -> Any:
    if type(x) is V:
        t = x.t
        if t in (1, 4, 5, 6, 7):
            r = 1
            for v in _nonnull(x).tolist():
                r *= v
            rt = 7 if t == 7 else 6  # prd.md's domain and range: booleans to ints multiply to an int

            return A(rt, wrap_int(r, rt))
        if t in (8, 9):
            return A(t, float(np.nanprod(x.a)))
        raise QError("type")
    if type(x) is A:
        return x
    if type(x) is D:
        return q_prd(x.v)
    lst = items(x)
    if not lst:
        return A(7, 1)
    acc = lst[0]
    for a in lst[1:]:
        acc = arith("*", acc, a)
    return acc


def q_max(x: Any) -> Any:
    if type(x) is V:
        t = x.t
        if len(x.a) == 0:
            return (
                A(t, -math.inf)
                if t in (8, 9)
                else A(t, -(2 ** {5: 15, 6: 31, 7: 63}.get(t, 63)) + 1)
                if t in (5, 6, 7)
                else null_atom(t)
            )
        if t in (8, 9):
            a = x.a[~np.isnan(x.a)]
            return A(t, float(a.max())) if len(a) else A(t, -math.inf)
        if t in (2, 11):  # max.md: any datatype except symbol (nor guid: no order)
            raise QError("type")
        if t in (5, 6, 7) or t in _TINT:
            a = _nonnull(x)
            return A(t, int(a.max())) if len(a) else A(t, -_inf(t))
        if t == 15:
            a = _nonnull(x)
            return A(t, float(a.max())) if len(a) else A(t, -math.inf)
        return A(t, int(x.a.max()))
    if type(x) is A:
        return x
    if type(x) is D:
        return q_max(x.v)
    if type(x) is T:
        return D(_syms(x.cols), mklist([q_max(c) for c in x.data]))
    lst = items(x)
    if not lst:
        return A(7, -(2**63) + 1)
    acc = lst[0]
    for a in lst[1:]:
        acc = minmax(True, acc, a)
    return acc


def q_min(x: Any) -> Any:
    if type(x) is V:
        t = x.t
        if len(x.a) == 0:
            return (
                A(t, math.inf)
                if t in (8, 9)
                else A(t, 2 ** {5: 15, 6: 31, 7: 63}.get(t, 63) - 1)
                if t in (5, 6, 7)
                else null_atom(t)
            )
        if t in (8, 9):
            a = x.a[~np.isnan(x.a)]
            return A(t, float(a.min())) if len(a) else A(t, math.inf)
        if t in (5, 6, 7) or t in _TINT:
            a = _nonnull(x)
            return A(t, int(a.min())) if len(a) else A(t, _inf(t))
        if t == 15:
            a = _nonnull(x)
            return A(t, float(a.min())) if len(a) else A(t, math.inf)
        if t in (2, 11):  # min.md: a non-symbol sortable list (nor guid: no order)
            raise QError("type")
        return A(t, int(x.a.min()))
    if type(x) is A:
        return x
    if type(x) is D:
        return q_min(x.v)
    if type(x) is T:
        return D(_syms(x.cols), mklist([q_min(c) for c in x.data]))
    lst = items(x)
    if not lst:
        return A(7, 2**63 - 1)
    acc = lst[0]
    for a in lst[1:]:
        acc = minmax(False, acc, a)
    return acc


def _float_arr(x: Any) -> np.ndarray:
    if type(x) is V:
        if x.t in (2, 11):  # guids and symbols have no numeric value (med.md, var.md, cor.md: 'type)
            raise QError("type")
        a = x.a.astype(np.float64)
        if x.t in (5, 6, 7):
            a[x.a == NULLS[x.t]] = np.nan
        return a
    if type(x) is A:
        return _float_arr(enlist(x))
    return np.array([_float_arr(a)[0] for a in items(x)], dtype=np.float64)


def q_avg(x: Any) -> Any:
    if type(x) is D:
        return q_avg(x.v)
    if type(x) is T:
        return D(_syms(x.cols), mklist([q_avg(c) for c in x.data]))
    if type(x) is L and x.items and all(type(a) is not A for a in x.items):
        return arith("%", q_sum(x), A(7, len(x.items)))
    a = _float_arr(x)
    a = a[~np.isnan(a)]
    with np.errstate(invalid="ignore"):  # -0w and 0w average to 0n
        return A(9, float(a.mean()) if len(a) else math.nan)


def q_avgs(x: Any) -> Any:
    """``avgs x`` (avg.md): running averages, ``avg`` of each prefix (nulls skipped); a table's by column."""
    if type(x) is T:
        return T(list(x.cols), [q_avgs(c) for c in x.data])
    if type(x) is D:
        return D(x.k, q_avgs(x.v))
    a = _float_arr(x)
    ok = ~np.isnan(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.cumsum(np.where(ok, a, 0.0)) / np.cumsum(ok)
    return V(9, r)
