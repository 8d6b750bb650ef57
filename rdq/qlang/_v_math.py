"""Arithmetic and aggregate verbs: ``sum prd max min avg``, running sums and deltas, ``neg abs signum floor ceiling not``, ``null fills ^``, ``any all``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rdq.qlang._core import (
    _NUMT,
    _bool,
    _syms,
    is_null_atom,
    items,
    mklist,
    to_py_bool,
)
from rdq.qlang._ops import arith, minmax, pervade1, pervade2
from rdq.qlang._v_agg import _TINT, _float_arr, q_avg, q_max, q_min, q_prd, q_sum
from rdq.qlang._values import DTYPES, NULLS, A, D, Fn, QError, T, V

__all__ = [
    "_float_arr",
    "q_abs",
    "q_all",
    "q_and",
    "q_any",
    "q_avg",
    "q_deltas",
    "q_fill",
    "q_fills",
    "q_max",
    "q_min",
    "q_neg",
    "q_not",
    "q_null",
    "q_or",
    "q_prd",
    "q_ratios",
    "q_reciprocal",
    "q_signum",
    "q_sum",
    "q_xbar",
]


def _scan_np(x: Any, fn: Any, name: str) -> Any:
    if name == "sums" and type(x) is V and 12 <= x.t <= 19:  # sum.md: temporal running totals keep their type
        if x.t == 15:
            return V(15, np.cumsum(np.where(np.isnan(x.a), 0.0, x.a)))
        with np.errstate(all="ignore"):
            r = np.cumsum(np.where(x.a == NULLS[x.t], 0, x.a).astype(np.int64))
        return V(x.t, r.astype(DTYPES[x.t]))
    if type(x) is V and x.t in _NUMT:
        t = x.t
        if name in ("sums", "prds"):
            if t in (8, 9):
                a = np.where(np.isnan(x.a), 0 if name == "sums" else 1, x.a)
                return V(t, fn(a).astype(DTYPES[t]))
            rt = 7 if t == 7 else 6  # sum.md: sums of boolean, byte, short, int are ints
            a = x.a.astype(np.int64)
            if t in (5, 6, 7):
                a = np.where(x.a == NULLS[t], 0 if name == "sums" else 1, a)
            with np.errstate(all="ignore"):
                return V(rt, fn(a).astype(DTYPES[rt]))
        if t in (8, 9):
            a = np.where(np.isnan(x.a), -np.inf if name == "maxs" else np.inf, x.a)
            r = fn(a)
            if name == "maxs":
                r = np.where(np.isneginf(r) & np.isnan(x.a), np.nan, r)
            return V(t, r)
        if name == "maxs" and t in (5, 6, 7):
            lo = -np.iinfo(x.a.dtype).max
            a = np.where(x.a == NULLS[t], lo, x.a)
            return V(t, fn(a).astype(x.a.dtype))
        if name == "mins" and t in (5, 6, 7):
            a = np.where(x.a == NULLS[t], np.iinfo(x.a.dtype).max, x.a)
            r = fn(a)
            return V(t, r.astype(x.a.dtype))
        return V(t, fn(x.a))
    if type(x) is A:
        return x
    if type(x) is D:
        return D(x.k, _scan_np(x.v, fn, name))
    op = {
        "sums": lambda a, b: arith("+", a, b),
        "prds": lambda a, b: arith("*", a, b),
        "maxs": lambda a, b: minmax(True, a, b),
        "mins": lambda a, b: minmax(False, a, b),
    }[name]
    lst = items(x)
    if not lst:
        return x
    acc = lst[0]
    out = [acc]
    for a in lst[1:]:
        acc = op(acc, a)
        out.append(acc)
    return mklist(out)


#: deltas.md's range for temporal vectors: x - prev x, the first item against its type's zero
_DELTAS_T = {12: 16, 13: 6, 14: 6, 15: 9, 16: 16, 17: 17, 18: 18, 19: 19}


def q_deltas(x: Any) -> Any:
    if type(x) is V and x.t in _DELTAS_T:
        rt = _DELTAS_T[x.t]
        if x.t == 15:
            a = x.a.astype(np.float64)
            r = a.copy()
            r[1:] = a[1:] - a[:-1]
            return V(rt, r)
        a = x.a.astype(np.int64)
        r = a.copy()
        with np.errstate(all="ignore"):
            r[1:] = a[1:] - a[:-1]
        m = x.a == NULLS[x.t]
        if m.any():
            r[m] = NULLS[rt]
            r[1:][m[:-1]] = NULLS[rt]
        return V(rt, r.astype(DTYPES[rt]))
    if type(x) is V and x.t in _NUMT:
        rt = x.t if x.t >= 6 else 6  # deltas.md: booleans, bytes and shorts give ints
        a = x.a.astype(DTYPES[rt])
        r = a.copy()
        with np.errstate(all="ignore"):
            r[1:] = a[1:] - a[:-1]
        if x.t >= 5:  # x - prev x: a null on either side is null
            m = x.a == NULLS[x.t]
            if m.any():
                r[m] = NULLS[rt]
                r[1:][m[:-1]] = NULLS[rt]
        return V(rt, r)
    if type(x) is D:
        return D(x.k, q_deltas(x.v))
    lst = items(x)
    out = []
    for i, a in enumerate(lst):
        out.append(a if i == 0 else arith("-", a, lst[i - 1]))
    return mklist(out)


def q_ratios(x: Any) -> Any:
    a = _float_arr(x)
    r = a.copy()
    r[1:] = a[1:] / a[:-1]
    return V(9, r)


def q_fills(x: Any) -> Any:
    if type(x) is V:
        a = x.a.copy()
        if x.t in (8, 9):
            mask = np.isnan(a)
        elif x.t == 11:
            mask = a == ""
        elif x.t in NULLS:
            mask = a == NULLS[x.t]
        else:
            return x
        idx = np.where(~mask, np.arange(len(a)), 0)
        np.maximum.accumulate(idx, out=idx)
        r = a[idx]
        lead = np.cumsum(~mask) == 0
        r[lead] = a[lead]
        return V(x.t, r)
    if type(x) is D:
        return D(x.k, q_fills(x.v))
    if type(x) is T:
        return T(list(x.cols), [q_fills(c) for c in x.data])
    lst = items(x)
    out = []
    prev = None
    for a in lst:
        if type(a) is A and is_null_atom(a) and prev is not None:
            out.append(prev)
        else:
            out.append(a)
            prev = a
    return mklist(out)


def q_null(x: Any) -> Any:
    def core(a: Any) -> Any:
        if type(a) is A:
            return _bool(is_null_atom(a) if a.t not in (1, 4) else False)
        t = a.t
        if t in (8, 9):
            return V(1, np.isnan(a.a))
        if t == 11:
            return V(1, a.a == "")
        if t == 10:
            return V(1, a.a == 32)
        if t in (1, 4):
            return V(1, np.zeros(len(a.a), dtype=np.bool_))
        return V(1, a.a == NULLS[t])

    return pervade1(core, x)


#: the numeric type a temporal or char value is read as by the float monads (sqrt exp log sin ...)
_AS_NUMBER = {10: 6, 12: 7, 13: 6, 14: 6, 15: 9, 16: 7, 17: 6, 18: 6, 19: 6}


def _math1(fn: Any, name: str) -> Any:
    """``sqrt exp log sin cos ...``: a float of the value; temporal and char values count in their units
    (``sqrt 12:00:00.000000000`` is ``6572671f``), a datetime stays a datetime (ref/sqrt, domain and range)."""

    def core(a: Any) -> Any:
        t0 = a.t
        if t0 in _AS_NUMBER:
            nt = _AS_NUMBER[t0]
            a = A(nt, a.v) if type(a) is A else V(nt, a.a.astype(DTYPES[nt]))
        if a.t not in _NUMT:
            raise QError("type")
        rt = 15 if t0 == 15 else 9  # a real gives a float too (sqrt.md, exp.md, log.md ...: e -> f)
        with np.errstate(all="ignore"):
            if type(a) is A:
                v = a.v
                if a.t in (5, 6, 7) and v == NULLS[a.t]:
                    return A(rt, math.nan)
                return A(rt, float(fn(np.float64(v))))
            arr = a.a.astype(np.float64)
            if a.t in (5, 6, 7):
                arr[a.a == NULLS[a.t]] = np.nan
            return V(rt, fn(arr).astype(np.float32 if rt == 8 else np.float64))

    return lambda x: pervade1(core, x)


_WMAX = 2**63 - 1  # 0W: floor 0w and floats past the long range


def _floor_ceil(fn: Any) -> Any:
    """``floor`` and ``ceiling`` as q 3.0+ define them (ref/floor, ref/ceiling; no comparison tolerance since 3.0):
    short, int and long stay as they are; reals and floats round to longs; ``floor`` lowercases chars and
    symbols; ``ceiling`` of booleans, bytes and chars is an int; anything else is ``'type``."""
    is_floor = fn is math.floor

    def core(a: Any) -> Any:
        t = a.t
        if t in (5, 6, 7):
            return a
        if is_floor and t in (10, 11):
            if t == 11:
                return A(11, a.v.lower()) if type(a) is A else V(11, np.array([s.lower() for s in a.a], dtype=object))
            if type(a) is A:
                return A(10, a.v + 32 if 65 <= a.v <= 90 else a.v)
            return V(10, np.where((a.a >= 65) & (a.a <= 90), a.a + 32, a.a).astype(np.uint8))
        if not is_floor and t in (1, 4, 10):
            return A(6, int(a.v)) if type(a) is A else V(6, a.a.astype(np.int32))
        if t not in (8, 9):
            raise QError("type")
        if type(a) is A:
            if a.v != a.v:
                return A(7, NULLS[7])
            return A(7, max(-_WMAX, min(_WMAX, int(fn(a.v)))) if not math.isinf(a.v) else _WMAX if a.v > 0 else -_WMAX)
        arr = a.a.astype(np.float64)
        bad = np.isnan(arr)
        r = (np.floor if is_floor else np.ceil)(np.where(bad, 0, arr))
        big, small = r >= 2.0**63, r <= -(2.0**63)
        out = np.where(big | small, 0, r).astype(np.int64)
        out[big] = _WMAX
        out[small] = -_WMAX
        out[bad] = NULLS[7]
        return V(7, out)

    return lambda x: pervade1(core, x)


def q_neg(x: Any) -> Any:
    """``neg x`` (neg.md): booleans, bytes and chars negate to ints; temporal values negate their
    underlying counts and keep their type (``neg 2012.01.01`` is ``1988.01.01``); nulls stay null."""

    def core(a: Any) -> Any:
        if a.t not in _NUMT and a.t != 10 and not 12 <= a.t <= 19:
            raise QError("type")
        t = a.t if a.t >= 5 and a.t != 10 else 6
        if type(a) is A:
            if t in _INT_NULL_T and a.v == NULLS[t]:
                return A(t, a.v)
            return A(t, -a.v)
        arr = a.a.astype(DTYPES[t])
        r = -arr
        if t in _INT_NULL_T:
            r[arr == NULLS[t]] = NULLS[t]
        return V(t, r)

    return pervade1(core, x)


#: integral types with a null (temporal ones included: abs and signum read their counts, abs.md/signum.md)
_INT_NULL_T = (5, 6, 7, 12, 13, 14, 16, 17, 18, 19)


def q_abs(x: Any) -> Any:
    def core(a: Any) -> Any:
        if a.t not in _NUMT and a.t != 10 and not 12 <= a.t <= 19:
            raise QError("type")
        t = a.t if a.t >= 5 and a.t != 10 else 6  # abs.md: chars, like booleans and bytes, give ints
        if type(a) is A:
            if t in _INT_NULL_T and a.v == NULLS[t]:
                return A(t, a.v)
            return A(t, abs(a.v))
        arr = a.a.astype(DTYPES[t])
        r = np.abs(arr)
        return V(t, r)

    return pervade1(core, x)


def q_signum(x: Any) -> Any:
    def core(a: Any) -> Any:
        if a.t not in _NUMT and a.t != 10 and not 12 <= a.t <= 19:  # signum.md: chars too
            raise QError("type")
        if type(a) is A:
            v = a.v
            if v != v:
                return A(6, -1)
            if a.t in _INT_NULL_T and v == NULLS[a.t]:
                return A(6, -1)
            return A(6, (v > 0) - (v < 0))
        arr = a.a.astype(np.float64)
        if a.t in _INT_NULL_T:
            arr[a.a == NULLS[a.t]] = -1
        arr = np.where(np.isnan(arr), -1, arr)
        return V(6, np.sign(arr).astype(np.int32))

    return pervade1(core, x)


def q_not(x: Any) -> Any:
    def core(a: Any) -> Any:
        if a.t == 11:
            raise QError("type")
        if type(a) is A:
            return _bool(a.v == 0)
        return V(1, a.a == 0)

    return pervade1(core, x)


def q_reciprocal(x: Any) -> Any:
    """``reciprocal x`` (reciprocal.md): ``1%x`` as a float, of a char's code too; a timestamp or a datetime
    keeps its type (domain and range: ``f . f f f f f f f . p f f z f f f f``)."""

    def core(a: Any) -> Any:
        t = a.t
        if t == 10:
            a = A(6, a.v) if type(a) is A else V(6, a.a.astype(np.int32))
        if t not in (12, 15):
            return arith("%", A(9, 1.0), a)
        f = arith("%", A(9, 1.0), A(9 if t == 15 else 7, a.v) if type(a) is A else V(9 if t == 15 else 7, a.a))
        if t == 15:
            return A(15, f.v) if type(f) is A else V(15, f.a)
        if type(f) is A:
            return A(12, NULLS[12] if f.v != f.v else int(max(min(f.v, 2.0**62), -(2.0**62))))
        bad = np.isnan(f.a)
        r = np.clip(np.where(bad, 0, f.a), -(2.0**62), 2.0**62).astype(np.int64)
        r[bad] = NULLS[12]
        return V(12, r)

    return pervade1(core, x)


def q_fill(x: Any, y: Any) -> Any:
    def core(a: Any, b: Any) -> Any:
        if (a.t in (2, 11) or b.t in (2, 11)) and a.t != b.t:  # fill.md: a guid or symbol only with its own type
            raise QError("type")
        if type(a) is A and type(b) is A:
            if is_null_atom(b) and b.t not in (1, 4):
                t = max(a.t, b.t) if a.t in _NUMT and b.t in _NUMT else b.t
                v = a.v
                return A(t, float(v) if t in (8, 9) else v)
            if a.t in _NUMT and b.t in _NUMT and a.t > b.t:
                return A(a.t, float(b.v) if a.t in (8, 9) else b.v)
            return b
        bn = q_null(b)
        if type(b) is A:
            return b if not to_py_bool(bn) else a
        mask = bn.a
        t = b.t
        if a.t in _NUMT and t in _NUMT:
            t = max(a.t, t) if not (t in (8, 9) and a.t not in (8, 9)) else t
        out = b.a.astype(DTYPES[t]) if t != 11 else b.a.copy()
        if type(a) is A:
            out[mask] = a.v
        else:
            out[mask] = a.a.astype(DTYPES[t])[mask] if t != 11 else a.a[mask]
        return V(t, out)

    if type(x) is A and type(y) is T:
        return T(list(y.cols), [q_fill(x, c) for c in y.data])
    if type(x) is D and type(y) is D:
        from rdq.qlang._ops import pervade2 as pv

        return pv(core, x, y)
    return pervade2(core, x, y)


def q_xbar(x: Any, y: Any) -> Any:
    """``x xbar y``: ``y`` rounded down to a multiple of ``x``; temporal values keep their type."""
    if type(y) in (A, V) and y.t in _TINT and type(x) is A and x.t in (5, 6, 7):
        if x.v == 0:
            return y
        a = np.asarray(y.a if type(y) is V else [y.v], dtype=np.int64)
        nul = a == NULLS[y.t]
        r = np.where(nul, a, (a // x.v) * x.v).astype(DTYPES[y.t])
        return V(y.t, r) if type(y) is V else A(y.t, int(r[0]))
    return (
        arith("*", x, arith("div", y, x))
        if not (type(x) is A and x.t in (8, 9))
        else arith("*", x, _floor_ceil(math.floor)(arith("%", y, x)))
    )


def q_any(x: Any) -> Any:
    if isinstance(x, Fn):
        raise QError("type")  # a function has no items (items of it recursed without end)
    if type(x) is T:  # a table: per column (all-any.md)
        return D(_syms(x.cols), mklist([q_any(c) for c in x.data]))
    if type(x) is D:
        x = x.v
    if type(x) is V:
        return _bool(bool((x.a != 0).any()) if x.t != 11 else bool((x.a != "").any()))
    if type(x) is A:
        return _bool(x.v != 0)
    return _bool(any(to_py_bool(q_any(a)) for a in items(x)))


def q_all(x: Any) -> Any:
    if isinstance(x, Fn):
        raise QError("type")  # a function has no items (items of it recursed without end)
    if type(x) is T:
        return D(_syms(x.cols), mklist([q_all(c) for c in x.data]))
    if type(x) is D:
        x = x.v
    if type(x) is V:
        return _bool(bool((x.a != 0).all()))
    if type(x) is A:
        return _bool(x.v != 0)
    return _bool(all(to_py_bool(q_all(a)) for a in items(x)))


def q_and(x: Any, y: Any) -> Any:
    return minmax(False, x, y)


def q_or(x: Any, y: Any) -> Any:
    return minmax(True, x, y)
