"""Atomic comparison (``=`` ``<`` ``>`` ``<=`` ``>=`` ``<>``) and minimum/maximum (``&`` ``|``)."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from rdq.qlang._core import _NUM, null_atom
from rdq.qlang._pervade import _fromnp, _np, pervade2, res_type
from rdq.qlang._temporal import TEMPORAL, to_common
from rdq.qlang._values import NULLS, A, QError, V

__all__ = ["TOLERANCE", "compare", "minmax", "null_of", "tolerant"]

_CMP_PY: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "<>": operator.ne,
}
_CMP_NP: dict[str, Any] = {
    "=": np.equal,
    "<": np.less,
    ">": np.greater,
    "<=": np.less_equal,
    ">=": np.greater_equal,
    "<>": np.not_equal,
}


def _cmp_t(t1: int, t2: int) -> int:
    if t1 == t2:
        return t1
    if t1 in _NUM and t2 in _NUM:
        return 9 if (t1 in (8, 9) or t2 in (8, 9)) else 7
    if {t1, t2} <= {10, 4, 5, 6, 7, 1} or ({t1, t2} & {10} and ({t1, t2} - {10}) <= _NUM):
        return 7
    raise QError("type")


def _cmp_val(x: A, t: int) -> Any:
    v = x.v
    if t == 9:
        if x.t in (8, 9):
            return -math.inf if v != v else v  # nulls sort first
        if x.t in (5, 6, 7) and v == NULLS[x.t]:
            return -math.inf
        return float(v)
    return v


def compare(op: str, x: Any, y: Any) -> Any:
    pyop = _CMP_PY[op]
    npop = _CMP_NP[op]

    def core(a: Any, b: Any) -> Any:
        if (a.t in TEMPORAL or b.t in TEMPORAL) and a.t != b.t:
            aa, bb, ok = to_common(a, b)
            if not ok:
                raise QError("type")
            r = np.asarray(npop(aa, bb), dtype=np.bool_)
            if type(a) is A and type(b) is A:
                return A(1, int(r[0]))
            return V(1, r)
        t = _cmp_t(a.t, b.t)
        if t in (8, 9) or a.t in (8, 9) or b.t in (8, 9):
            # floats: q's tolerance, and a null below every number (-0w included) and equal to a null
            (av, an), (bv, bn) = _cmpnp(a), _cmpnp(b)
            r = tolerant(op, av, bv)
            either = an | bn
            if np.any(either):
                r = np.where(either, _NULL_CMP[op](an, bn), r)
            if type(a) is A and type(b) is A:
                return A(1, int(r))
            return V(1, np.asarray(r, dtype=np.bool_))
        if type(a) is A and type(b) is A:
            return A(1, 1 if pyop(a.v, b.v) else 0)
        aa = a.v if type(a) is A else a.a
        bb = b.v if type(b) is A else b.a
        if t == 11 and type(a) is A and type(b) is V:
            aa = np.array([a.v] * len(b.a), dtype=object)
        if t == 11 and type(b) is A and type(a) is V:
            bb = np.array([b.v] * len(a.a), dtype=object)
        if a.t in (1, 4, 10) or b.t in (1, 4, 10):
            aa = aa.astype(np.int64) if isinstance(aa, np.ndarray) else int(aa)
            bb = bb.astype(np.int64) if isinstance(bb, np.ndarray) else int(bb)
        return V(1, np.asarray(npop(aa, bb), dtype=np.bool_))

    return pervade2(core, x, y)


#: q's comparison tolerance (reference: basics/precision, "Comparison tolerance"): 2^-43, relative
TOLERANCE = 2.0**-43


def tolerant(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for floats (numpy scalars or arrays; nulls are the caller's, see ``_NULL_CMP``) with q's
    tolerance.

    ``=`` ``<`` ``>`` (and so ``<>`` ``<=`` ``>=``) treat x and y as equal when
    ``|x-y| <= 2^-43 * max(|x|, |y|)``: only 0 equals 0, infinities equal only themselves.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        near = np.abs(a - b) <= TOLERANCE * np.maximum(np.abs(a), np.abs(b))
        eq = (a == b) | (near & np.isfinite(a) & np.isfinite(b))
    if op == "=":
        return eq
    if op == "<>":
        return ~eq
    if op == "<":
        return (a < b) & ~eq
    if op == ">":
        return (a > b) & ~eq
    if op == "<=":
        return (a <= b) | eq
    return (a >= b) | eq


#: the result where either side is null (an, bn: null masks): nulls sort below every number
_NULL_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda an, bn: an & bn,
    "<>": lambda an, bn: an != bn,
    "<": lambda an, bn: an & ~bn,
    ">": lambda an, bn: bn & ~an,
    "<=": lambda an, bn: an,
    ">=": lambda an, bn: bn,
}


def _cmpnp(a: Any) -> tuple[Any, Any]:
    """``(values as float64 with nulls as 0, null mask)`` of an atom or a vector."""
    if type(a) is A:
        v = a.v
        null = (v != v) if a.t in (8, 9) else (a.t in (5, 6, 7) and v == NULLS[a.t])
        return np.float64(0.0 if null else v), np.bool_(null)
    arr = a.a.astype(np.float64)
    null = (a.a == NULLS[a.t]) if a.t in (5, 6, 7) else np.isnan(arr)
    return np.where(null, 0.0, arr), null


def minmax(is_max: bool, x: Any, y: Any) -> Any:
    def core(a: Any, b: Any) -> Any:
        if a.t == b.t and a.t in TEMPORAL:
            av = a.v if type(a) is A else a.a
            bv = b.v if type(b) is A else b.a
            r = (
                (np.fmax if is_max else np.fmin)(av, bv)
                if a.t == 15
                else (np.maximum if is_max else np.minimum)(av, bv)
            )
            return _fromnp(a.t, r, type(a) is A and type(b) is A)
        if a.t == 1 and b.t == 1:
            t = 1
        elif a.t == b.t and a.t in (10, 11, 4):
            t = a.t
        elif {a.t, b.t} & {10} and ({a.t, b.t} - {10}) <= {1, 4, 5, 6, 7}:
            av = a.v if type(a) is A else a.a.astype(np.int64)
            bv = b.v if type(b) is A else b.a.astype(np.int64)
            r = (np.maximum if is_max else np.minimum)(av, bv)
            if type(a) is A and type(b) is A:
                return A(10, int(r) % 256)
            return V(10, (np.asarray(r) % 256).astype(np.uint8))
        else:
            t = res_type(a.t, b.t)
            if t == 6 and a.t in (1, 4) and b.t in (1, 4):
                t = max(a.t, b.t)
        if type(a) is A and type(b) is A:
            av = _cmp_val(a, 9) if t in (8, 9) else a.v
            bv = _cmp_val(b, 9) if t in (8, 9) else b.v
            if t == 11:
                r = max(a.v, b.v) if is_max else min(a.v, b.v)
                return A(11, r)
            pick = a if ((av >= bv) if is_max else (av <= bv)) else b
            if t in (8, 9):
                v = pick.v
                if pick.t not in (8, 9):
                    v = math.nan if pick.t in (5, 6, 7) and v == NULLS[pick.t] else float(v)
                return A(t, float(v))
            return A(t, int(pick.v))
        if t in (8, 9):
            aa = _np(a, t)
            bb = _np(b, t)
            ca = np.where(np.isnan(aa), -np.inf, aa)
            cb = np.where(np.isnan(bb), -np.inf, bb)
            r = np.where((ca >= cb) if is_max else (ca <= cb), aa, bb)
            return _fromnp(t, r, False)
        if t == 11:
            aa = _np(a, t) if type(a) is V else a.v
            bb = _np(b, t) if type(b) is V else b.v
            n = len(aa) if type(a) is V else len(bb)
            la = list(aa) if type(a) is V else [aa] * n
            lb = list(bb) if type(b) is V else [bb] * n
            return V(
                11,
                np.array(
                    [max(p, q) if is_max else min(p, q) for p, q in zip(la, lb, strict=True)], dtype=object
                ),
            )
        r = (np.maximum if is_max else np.minimum)(_np(a, t), _np(b, t))
        return _fromnp(t, r, False)

    return pervade2(core, x, y)


def null_of(x: Any) -> Any:
    return null_atom(x.t if type(x) is A else 7)
