"""Statistics verbs: ``med var dev sdev wavg wsum cor cov``, moving windows (``mavg msum mmax ...``), ``ema``, and matrices (``mmu lsq inv``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rdq.qlang._core import _NUMT, _syms, items, mklist
from rdq.qlang._ops import arith, minmax, pervade1, pervade2
from rdq.qlang._v_math import _float_arr, _math1, q_sum
from rdq.qlang._values import DTYPES, NULLS, A, D, L, QError, T, V

__all__ = [
    "q_cor",
    "q_cov",
    "q_dev",
    "q_ema",
    "q_inv",
    "q_lsq",
    "q_med",
    "q_mmu",
    "q_sdev",
    "q_var",
    "q_wavg",
    "q_wsum",
    "q_xexp",
    "q_xlog",
]


def q_med(x: Any) -> Any:
    """``med x`` (code.kx.com/q/ref/med): a table's or keyed table's per column; of a list of equal
    vectors, the average of its middle items in sort order (as ``avg x (iasc x)@floor .5*-1 0+count x``)."""
    if type(x) is D and type(x.k) is T and type(x.v) is T:
        x = x.v
    if type(x) is T:
        return D(_syms(x.cols), mklist([q_med(c) for c in x.data]))
    if type(x) is D:
        return q_med(x.v)
    if type(x) is L and x.items and all(type(r) is V for r in x.items):
        rows = [_float_arr(r) for r in x.items]
        if len({len(r) for r in rows}) != 1:
            raise QError("length")
        m = np.vstack(rows)
        order = np.lexsort(m.T[::-1])
        n = len(rows)
        mid = order[[(n - 1) // 2, n // 2]]
        return V(9, m[mid].mean(axis=0))
    a = _float_arr(x)
    a = a[~np.isnan(a)]
    return A(9, float(np.median(a)) if len(a) else math.nan)


def _by_column(fn: Any, x: Any) -> Any:
    """``fn`` of each column of a table (a dictionary) or of a list of equal vectors (a float vector),
    as var, svar, dev and sdev traverse them since 4.1 (var.md); None for a simple list."""
    if type(x) is D and type(x.k) is T and type(x.v) is T:
        x = x.v
    if type(x) is T:
        return D(_syms(x.cols), mklist([fn(c) for c in x.data]))
    if type(x) is L and x.items and all(type(r) is V for r in x.items):
        rows = [_float_arr(r) for r in x.items]
        if len({len(r) for r in rows}) != 1:
            raise QError("length")
        m = np.vstack(rows)
        return V(9, np.array([fn(V(9, m[:, j])).v for j in range(m.shape[1])], dtype=np.float64))
    return None


def q_var(x: Any, ddof: int = 0) -> Any:
    r = _by_column(lambda c: q_var(c, ddof), x)
    if r is not None:
        return r
    a = _float_arr(x)
    a = a[~np.isnan(a)]
    if len(a) - ddof <= 0:
        return A(9, math.nan)
    return A(9, float(np.var(a, ddof=ddof)))


def q_wavg(w: Any, x: Any) -> Any:
    """``w wavg x`` (avg.md): ``(sum w*x)%sum w``; for two simple vectors, nulls in either are ignored."""
    if type(w) is V and type(x) is V and len(w.a) == len(x.a):
        a, b = _float_arr(w), _float_arr(x)
        ok = ~(np.isnan(a) | np.isnan(b))
        return A(9, float((a[ok] * b[ok]).sum() / a[ok].sum()) if ok.any() else math.nan)
    return arith("%", q_sum(arith("*", w, x)), q_sum(w))


def q_wsum(w: Any, x: Any) -> Any:
    """``w wsum x`` (sum.md): ``sum w*x``; two integer lists are converted to floats first."""
    r = q_sum(arith("*", w, x))
    lists = type(w) is not A and type(x) is not A
    return A(9, float(r.v)) if lists and type(r) is A and r.t in (5, 6, 7) else r


def q_cor(x: Any, y: Any) -> Any:
    a = _float_arr(x)
    b = _float_arr(y)
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    return A(9, float(np.corrcoef(a, b)[0, 1]))


def q_cov(x: Any, y: Any, ddof: int = 0) -> Any:
    a = _float_arr(x)
    b = _float_arr(y)
    return A(9, float(np.cov(a, b, ddof=ddof)[0, 1]))


#: the window of the moving functions is an integer atom (sum.md, min.md, dev.md: other types are 'type)
_WINDOW_T = (1, 4, 5, 6, 7)
#: ``msum``'s result type per type of ``y`` (sum.md's domain and range; temporal values go through ``sums``
#: and Subtract, so a timestamp gives a timespan, a month or date an int and a datetime a float)
_MSUM_T = {1: 6, 4: 6, 5: 6, 6: 6, 7: 7, 8: 8, 9: 9, 12: 16, 13: 6, 14: 6, 15: 9, 16: 16, 17: 17, 18: 18, 19: 19}


def _window(n: Any) -> int:
    if type(n) is not A or n.t not in _WINDOW_T:
        raise QError("type")
    return int(n.v)


def _msum(k: int, x: V) -> Any:
    rt = _MSUM_T.get(x.t)
    if rt is None:
        raise QError("type")
    if x.t in (8, 9, 15):
        cs = np.cumsum(np.where(np.isnan(x.a), 0.0, x.a.astype(np.float64)))
    else:
        a = x.a.astype(np.int64)
        if x.t in NULLS and x.t not in (1, 4):
            a = np.where(x.a == NULLS[x.t], 0, a)
        with np.errstate(all="ignore"):
            cs = np.cumsum(a)
    r = cs.copy()
    if k < len(r):
        r[k:] = cs[k:] - cs[:-k]
    return V(rt, r.astype(DTYPES[rt]))


def _moving(fn: str) -> Any:
    def mv(n: Any, x: Any) -> Any:
        if type(x) is T:  # a table: column by column (count.md)
            return T(list(x.cols), [mv(n, c) for c in x.data])
        if type(x) is D and type(x.k) is T and type(x.v) is T:
            return D(x.k, mv(n, x.v))
        if type(x) is D and type(x.v) is V:
            return D(x.k, mv(n, x.v))
        k = _window(n)
        if fn == "sum" and type(x) is V and k >= 1:
            return _msum(k, x)
        a = _float_arr(x)
        m = len(a)
        out = np.empty(m)
        for i in range(m):
            w = a[max(0, i - k + 1) : i + 1]
            w2 = w[~np.isnan(w)]
            if fn == "sum":
                out[i] = w2.sum()
            elif fn == "avg":
                out[i] = w2.mean() if len(w2) else np.nan
            elif fn == "max":
                out[i] = w2.max() if len(w2) else np.nan
            elif fn == "min":
                out[i] = w2.min() if len(w2) else np.nan
            elif fn == "count":
                out[i] = len(w2)
            elif fn == "dev":
                out[i] = w2.std() if len(w2) else np.nan
        if fn == "count":
            return V(7, out.astype(np.int64))
        if fn in ("sum", "max", "min") and type(x) is V and x.t in (5, 6, 7):
            return V(x.t if fn != "sum" else 7, out.astype(np.int64))
        return V(9, out)

    return mv


def _seed_like(x: Any, is_max: bool) -> Any:
    def core(a: Any) -> Any:
        t = a.t
        if t in (8, 9):
            v: Any = -math.inf if is_max else math.inf
        elif t in (5, 6, 7):
            v = -(2 ** {5: 15, 6: 31, 7: 63}[t] - 1) if is_max else 2 ** {5: 15, 6: 31, 7: 63}[t] - 1
        else:  # no infinity: the item itself, which its own min or max leaves as it is
            return a
        if type(a) is A:
            return A(t, v)
        return V(t, np.full(len(a.a), v, dtype=DTYPES[t]))

    return pervade1(core, x)


def _shift1(y: Any, is_max: bool) -> Any:
    if type(y) is D:
        return D(y.k, _shift1(y.v, is_max))
    if type(y) is T:
        return T(list(y.cols), [_shift1(c, is_max) for c in y.data])
    lst = items(y)
    if not lst:
        return y
    return mklist([_seed_like(lst[0], is_max)] + lst[:-1])


def _mext(is_max: bool) -> Any:
    def mv(n: Any, y: Any) -> Any:
        k = _window(n)
        acc = y
        prev = y
        for _ in range(max(min(k, len(items(y)) + 1) - 1, 0)):
            prev = _shift1(prev, is_max)
            acc = minmax(is_max, acc, prev)
        return acc

    return mv


def q_ema(a: Any, x: Any) -> Any:
    lst = _float_arr(x)
    al = float(a.v) if type(a) is A else None
    out = np.empty(len(lst))
    for i, v in enumerate(lst):
        aa = al if al is not None else float(_float_arr(a)[i])
        out[i] = v if i == 0 else aa * v + (1 - aa) * out[i - 1]
    return V(9, out)


def q_mmu(x: Any, y: Any) -> Any:
    def mat(z: Any) -> np.ndarray:
        if type(z) is V:
            return _float_arr(z)
        return np.array([_float_arr(r) for r in items(z)])

    try:
        r = mat(x) @ mat(y)
    except ValueError:
        raise QError("length") from None
    if r.ndim == 0:  # vector . vector: the dot product (mmu.md: 1 2 3f$4 5 6f is 32f)
        return A(9, float(r))
    if r.ndim == 1:
        return V(9, r)
    return L([V(9, row) for row in r])


def q_lsq(x: Any, y: Any) -> Any:
    def mat(z: Any) -> np.ndarray:
        if type(z) is V:
            return _float_arr(z)[None, :]
        return np.array([_float_arr(r) for r in items(z)])

    xm = mat(x)
    ym = mat(y)
    w = np.linalg.lstsq(ym.T, xm.T, rcond=None)[0].T
    if type(x) is V:
        return V(9, w[0])
    return L([V(9, row) for row in w])


def q_inv(x: Any) -> Any:
    m = np.array([_float_arr(r) for r in items(x)])
    r = np.linalg.inv(m)
    return L([V(9, row) for row in r])


def q_sdev(x: Any) -> Any:
    r = _by_column(q_sdev, x)
    return r if r is not None else A(9, math.sqrt(q_var(x, 1).v))


def q_dev(x: Any) -> Any:
    r = _by_column(q_dev, x)
    return r if r is not None else A(9, math.sqrt(q_var(x).v))


def q_xexp(x: Any, y: Any) -> Any:
    def core(a: Any, b: Any) -> Any:
        if a.t not in _NUMT or b.t not in _NUMT:  # exp.md (xexp): numeric arguments only
            raise QError("type")
        fa = _float_arr(a) if type(a) is V else float(a.v)
        fb = _float_arr(b) if type(b) is V else float(b.v)
        with np.errstate(all="ignore"):
            r = np.power(fa, fb)
        if type(a) is A and type(b) is A:
            return A(9, float(r))
        return V(9, np.asarray(r, dtype=np.float64))

    return pervade2(core, x, y)


def q_xlog(x: Any, y: Any) -> Any:
    def num(a: Any) -> Any:
        if type(a) in (A, V) and a.t == 15:  # log.md (xlog): a datetime on either side is 'type
            raise QError("type")
        # chars take part as their codes ("A" xlog "C" is log 67 % log 65)
        if type(a) is A and a.t == 10:
            return A(7, a.v)
        if type(a) is V and a.t == 10:
            return V(7, a.a.astype(np.int64))
        return a

    return arith("%", _math1(np.log, "log")(num(y)), _math1(np.log, "log")(num(x)))
