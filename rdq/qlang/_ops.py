"""Atomic (pervasive) operators: arithmetic here; comparison and min/max in :mod:`rdq.qlang._ops_cmp`,
the pervasive core in :mod:`rdq.qlang._pervade` (this module re-exports both)."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from rdq.qlang._core import wrap_int
from rdq.qlang._ops_cmp import compare, minmax
from rdq.qlang._pervade import _LNULL, _fromnp, _np, pervade1, pervade2, res_type
from rdq.qlang._temporal import TEMPORAL, temporal_arith
from rdq.qlang._values import DTYPES, NULLS, A, V

__all__ = ["pervade1", "pervade2", "arith", "compare", "minmax", "res_type"]


# -- arithmetic ---------------------------------------------------------------

_PYOPS: dict[str, Callable[[Any, Any], Any]] = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_NPOPS: dict[str, Any] = {"+": np.add, "-": np.subtract, "*": np.multiply}


def _arith_core(op: str) -> Callable[[Any, Any], Any]:
    pyop = _PYOPS[op]
    npop = _NPOPS[op]

    def core(x: Any, y: Any) -> Any:
        if x.t in TEMPORAL or y.t in TEMPORAL:
            return temporal_arith(op, x, y)
        t = res_type(x.t, y.t)
        if type(x) is A and type(y) is A:
            if t in (8, 9):
                xv = x.v
                yv = y.v
                # boolean, byte and char have no null: 0b and 0x00 are numbers (0.1+0b is 0.1)
                if x.t in (5, 6, 7) and xv == NULLS[x.t]:
                    xv = math.nan
                if y.t in (5, 6, 7) and yv == NULLS[y.t]:
                    yv = math.nan
                try:
                    r = pyop(float(xv), float(yv))
                except OverflowError:
                    r = math.inf
                if t == 8:
                    r = float(np.float32(r))
                return A(t, r)
            nul = NULLS[t]
            xv = x.v
            yv = y.v
            if (x.t >= 5 and xv == NULLS[x.t]) or (y.t >= 5 and yv == NULLS[y.t]):
                return A(t, nul)
            return A(t, wrap_int(pyop(xv, yv), t))
        with np.errstate(all="ignore"):
            a = _np(x, t)
            b = _np(y, t)
            r = npop(a, b)
            if t in (5, 6, 7):
                # nulls are found in each side's own type: a short null cast to long is not 0N
                m = _null_mask(x) | _null_mask(y)
                if np.any(m):
                    r = np.where(m, NULLS[t], r)
        return _fromnp(t, r, False)

    return core


_ADD = _arith_core("+")
_SUB = _arith_core("-")
_MUL = _arith_core("*")


def _div_core(x: Any, y: Any) -> Any:
    t0 = res_type(x.t, y.t)
    t = 8 if t0 == 8 else 9
    if type(x) is A and type(y) is A:
        xv = float(x.v) if not (x.t in (5, 6, 7) and x.v == NULLS[x.t]) else math.nan
        yv = float(y.v) if not (y.t in (5, 6, 7) and y.v == NULLS[y.t]) else math.nan
        if yv == 0:
            if xv != xv:
                r = math.nan
            elif xv == 0:
                r = math.nan
            else:
                r = math.copysign(math.inf, xv) * (1 if math.copysign(1, yv) > 0 else -1)
        else:
            r = xv / yv
        return A(t, r)
    with np.errstate(all="ignore"):
        r = np.true_divide(_np(x, t), _np(y, t))
    return _fromnp(t, r, False)


#: integer-valued types ``div`` accepts on the right: boolean, byte, short, int, long
_DIV_INT = (1, 4, 5, 6, 7)
#: temporal types stored as integer counts, whose type ``x div y`` keeps (month, date, timespan, ...)
_DIV_TEMPORAL = (12, 13, 14, 16, 17, 18, 19)
#: types with an integer null (boolean, byte and char have none)
_INT_NULL = (5, 6, 7, 12, 13, 14, 16, 17, 18, 19)


def _div_type(tx: int, ty: int) -> int:
    """The result type of ``x div y`` (code.kx.com/q/ref/div).

    A float on either side gives a float (as for ``%`` then ``floor``). Otherwise the type of the first
    argument is kept, except that boolean, byte, short and char become int: ``6i div 4`` is ``1i``,
    ``7h div 3`` is ``2i``, ``0x80 div 16`` is ``8i``, ``"\\023" div 8`` is ``2i``.
    """
    if ty in _DIV_INT and (tx == 10 or tx in _DIV_TEMPORAL):
        return 6 if tx == 10 else tx
    t = res_type(tx, ty)
    if t in (8, 9):
        return t
    return tx if tx in (6, 7) else 6


def _null_mask(x: Any) -> Any:
    """Where x (atom or simple vector) holds its type's integer null: a bool, or a bool array."""
    if x.t not in _INT_NULL:
        return False
    if type(x) is A:
        return x.v == NULLS[x.t]
    return x.a == NULLS[x.t]


def _int_values(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """x's values as int64 (char codes for chars) and the mask of its nulls."""
    a = np.atleast_1d(np.asarray(x.v if type(x) is A else x.a))
    if a.dtype == object or a.dtype.kind in "SU":  # char atoms hold a one-character string
        a = np.array([ord(c) if isinstance(c, str) else int(c) for c in a.tolist()], dtype=np.int64)
    a = a.astype(np.int64)
    nulls = a == NULLS[x.t] if x.t in _INT_NULL else np.zeros(a.shape, dtype=bool)
    return a, nulls


def _intdiv_core(x: Any, y: Any) -> Any:
    """``x div y`` on atoms or simple vectors: ``floor x%y``, typed by :func:`_div_type`.

    Nulls give the result type's null; a zero divisor gives that type's infinity with the sign of x
    (null when x is also 0).
    """
    t = _div_type(x.t, y.t)
    if t in (8, 9):
        if type(x) is A and type(y) is A:
            if y.v == 0:
                return A(t, math.nan if x.v == 0 else math.copysign(math.inf, x.v))
            return A(t, float(math.floor(x.v / y.v)))
        with np.errstate(all="ignore"):
            r = np.floor(np.true_divide(_np(x, t), _np(y, t)))
        return _fromnp(t, r, False)
    inf = 2**63 - 1 if DTYPES[t] is np.int64 else 2**31 - 1
    null = NULLS[t]
    if type(x) is A and type(y) is A:
        xv = ord(x.v) if type(x.v) is str else int(x.v)
        yv = int(y.v)
        if (x.t in _INT_NULL and xv == NULLS[x.t]) or (y.t in _INT_NULL and yv == NULLS[y.t]):
            return A(t, null)
        if yv == 0:
            return A(t, null if xv == 0 else (inf if xv > 0 else -inf))
        return A(t, xv // yv)
    a, na = _int_values(x)
    b, nb = _int_values(y)
    zero = b == 0
    with np.errstate(all="ignore"):
        r = np.floor_divide(a, np.where(zero, 1, b))
    r = np.where(zero, np.where(a == 0, null, np.where(a > 0, inf, -inf)), r)
    r = np.where(na | nb, null, r)
    return V(t, r.astype(DTYPES[t]))


def _mod_core(x: Any, y: Any) -> Any:
    """``x mod y`` on atoms or simple vectors; a null on either side of an integer mod gives null.

    Result types follow the reference's domain-and-range table: boolean, byte, short and int with
    each other give int (``7h mod 3h`` is an int), with a long give long, with a float give float.
    """
    t = res_type(x.t, y.t)
    if t == 5:
        t = 6
    if type(x) is A and type(y) is A:
        if t not in (8, 9) and (
            (x.t in _INT_NULL and x.v == NULLS[x.t]) or (y.t in _INT_NULL and y.v == NULLS[y.t])
        ):
            return A(t, NULLS[t])
        if y.v == 0:
            return A(t, x.v)
        if t in (8, 9):
            return A(t, float(x.v - y.v * math.floor(x.v / y.v)))
        return A(t, x.v % y.v)
    with np.errstate(all="ignore"):
        a = _np(x, t)
        b = _np(y, t)
        if t in (8, 9):
            r = a - b * np.floor(a / b)
        else:
            r = np.where(b == 0, a, np.mod(a, np.where(b == 0, 1, b)))
            nulls = _null_mask(x) | _null_mask(y)
            if np.any(nulls):
                r = np.where(nulls, NULLS[t], r)
    return _fromnp(t, r, False)


def arith(op: str, x: Any, y: Any) -> Any:
    if type(x) is A and type(y) is A and x.t == 7 and y.t == 7 and x.v != _LNULL and y.v != _LNULL:
        # fast path for long atoms
        if op == "+":
            return A(7, wrap_int(x.v + y.v, 7))
        if op == "-":
            return A(7, wrap_int(x.v - y.v, 7))
        if op == "*":
            return A(7, wrap_int(x.v * y.v, 7))
    core = {"+": _ADD, "-": _SUB, "*": _MUL, "%": _div_core, "div": _intdiv_core, "mod": _mod_core}[op]
    if op in ("%", "div", "mod"):
        core = _untemporal(core)
    return pervade2(core, x, y)


_STORE = {12: 7, 13: 6, 14: 6, 15: 9, 16: 7, 17: 6, 18: 6, 19: 6}


def _as_stored(x: Any) -> Any:
    """A temporal atom/vector as its stored count (``2000.01.03`` -> ``2i``)."""
    t = _STORE[x.t]
    return A(t, x.v) if type(x) is A else V(t, x.a.astype(DTYPES[t]))


def _untemporal(core: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``%``, ``div``, ``mod`` of temporal values work on their counts (``2015.01.22 mod 7`` is ``4i``)."""

    def wrapped(x: Any, y: Any) -> Any:
        if x.t in TEMPORAL:
            x = _as_stored(x)
        if y.t in TEMPORAL:
            y = _as_stored(y)
        return core(x, y)

    return wrapped
