"""Atomic (pervasive) operators: arithmetic, comparison, min/max."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from rdq.qlang._core import _NUM, item, items, mklist, null_atom, wrap_int
from rdq.qlang._index import find, join
from rdq.qlang._temporal import TEMPORAL, temporal_arith, to_common
from rdq.qlang._values import DTYPES, NULLS, A, D, L, QError, T, V

__all__ = ["pervade1", "pervade2", "arith", "compare", "minmax", "res_type"]

_LNULL = -(2**63)


def res_type(t1: int, t2: int) -> int:
    if t1 not in _NUM or t2 not in _NUM:
        raise QError("type")
    t = t1 if t1 > t2 else t2
    if t < 5:
        return 6
    return t


def _np(x: Any, t: int) -> Any:
    """numpy array (or numpy scalar for atoms) of x cast to q type t's dtype."""
    dt = DTYPES[t]
    if type(x) is A:
        v = x.v
        if x.t in (8, 9) and t not in (8, 9):
            return np.array(v).astype(dt)
        return dt(v) if t != 11 else v
    a = x.a
    if a.dtype != dt:
        if x.t in (5, 6, 7) and t in (8, 9):
            out = a.astype(dt)
            nn = a == NULLS[x.t]
            if nn.any():
                out[nn] = np.nan
            return out
        return a.astype(dt)
    return a


def _fromnp(t: int, r: Any, scalar: bool) -> Any:
    if scalar:
        if t in (8, 9):
            return A(t, float(r))
        if t == 11:
            return A(t, r)
        return A(t, int(r))
    return V(t, np.asarray(r, dtype=DTYPES[t]))


def pervade2(core: Callable[[Any, Any], Any], x: Any, y: Any) -> Any:
    """Apply an atomic dyadic ``core`` (defined on atoms and simple vectors) through lists, dicts, tables."""
    tx = type(x)
    ty = type(y)
    if (tx is A or tx is V) and (ty is A or ty is V):
        if tx is V and ty is V and len(x.a) != len(y.a):
            raise QError("length")
        return core(x, y)
    if tx is D or ty is D:
        if tx is D and ty is D:
            return _dict_merge(core, x, y)
        if tx is D:
            if type(x.k) is T and ty is T:
                return D(x.k, pervade2(core, x.v, y))
            return D(x.k, pervade2(core, x.v, y))
        return D(y.k, pervade2(core, x, y.v))
    if tx is T or ty is T:
        if tx is T and ty is T:
            if x.cols != y.cols:
                raise QError("mismatch")
            return T(list(x.cols), [pervade2(core, a, b) for a, b in zip(x.data, y.data, strict=True)])
        if tx is T:
            if ty is A:
                return T(list(x.cols), [pervade2(core, a, y) for a in x.data])
            return T(list(x.cols), [pervade2(core, a, y) for a in x.data])
        return T(list(y.cols), [pervade2(core, x, b) for b in y.data])
    if tx is L or ty is L:
        if tx is L and ty is L:
            if len(x.items) != len(y.items):
                raise QError("length")
            return mklist([pervade2(core, a, b) for a, b in zip(x.items, y.items, strict=True)])
        if tx is L:
            if ty is V:
                if len(y.a) != len(x.items):
                    raise QError("length")
                return mklist([pervade2(core, a, b) for a, b in zip(x.items, items(y), strict=True)])
            return mklist([pervade2(core, a, y) for a in x.items])
        if tx is V:
            if len(x.a) != len(y.items):
                raise QError("length")
            return mklist([pervade2(core, a, b) for a, b in zip(items(x), y.items, strict=True)])
        return mklist([pervade2(core, x, b) for b in y.items])
    raise QError("type")


def _dict_merge(core: Callable[[Any, Any], Any], x: D, y: D) -> Any:
    xk = items(x.k)
    yk = items(y.k)
    pos = find(x.k, y.k)
    n = len(xk)
    vals = list(items(x.v))
    extra_k = []
    extra_v = []
    yv = items(y.v)
    for j, p in enumerate(pos.tolist() if isinstance(pos, np.ndarray) else [pos]):
        if p < n:
            vals[p] = pervade2(core, vals[p], yv[j])
        else:
            extra_k.append(yk[j])
            yj = yv[j]
            if type(yj) is A and yj.t in _NUM:
                extra_v.append(pervade2(core, A(yj.t, 0.0 if yj.t in (8, 9) else 0), yj))
            else:
                extra_v.append(yj)
    k = join(x.k, mklist(extra_k)) if extra_k else x.k
    return D(k, mklist(vals + extra_v))


def pervade1(core: Callable[[Any], Any], x: Any) -> Any:
    tx = type(x)
    if tx is A or tx is V:
        return core(x)
    if tx is L:
        return mklist([pervade1(core, a) for a in x.items])
    if tx is D:
        return D(x.k, pervade1(core, x.v))
    if tx is T:
        return T(list(x.cols), [pervade1(core, c) for c in x.data])
    raise QError("type")


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
                if x.t not in (8, 9) and xv == NULLS.get(x.t):
                    xv = math.nan
                if y.t not in (8, 9) and yv == NULLS.get(y.t):
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


# -- comparison -----------------------------------------------------------------

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
        if type(a) is A and type(b) is A:
            av = a.v
            bv = b.v
            if t in (8, 9) or (a.t in (8, 9)) or (b.t in (8, 9)):
                av = _cmp_val(a, 9)
                bv = _cmp_val(b, 9)
                if av == -math.inf and bv == -math.inf and (a.v != a.v or b.v != b.v):
                    # null vs -inf: null is smaller; null = null
                    an = a.v != a.v or (a.t in (5, 6, 7) and a.v == NULLS[a.t])
                    bn = b.v != b.v or (b.t in (5, 6, 7) and b.v == NULLS[b.t])
                    if an != bn:
                        av, bv = (0, 1) if an else (1, 0)
            return A(1, 1 if pyop(av, bv) else 0)
        if t in (8, 9) or a.t in (8, 9) or b.t in (8, 9):
            aa = _cmpnp(a)
            bb = _cmpnp(b)
            return (
                V(1, np.asarray(npop(aa, bb), dtype=np.bool_))
                if not (type(a) is A and type(b) is A)
                else None
            )
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


def _cmpnp(a: Any) -> Any:
    if type(a) is A:
        return _cmp_val(a, 9)
    arr = a.a.astype(np.float64)
    if a.t in (5, 6, 7):
        arr[a.a == NULLS[a.t]] = -math.inf
    else:
        arr = np.where(np.isnan(arr), -math.inf, arr)
    return arr


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
                    v = math.nan if v == NULLS.get(pick.t) else float(v)
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


# -- match / find -----------------------------------------------------------------


#: q's comparison tolerance for floats: x and y match when |x-y| <= 2^-43 * max(|x|, |y|)


def null_of(x: Any) -> Any:
    return null_atom(x.t if type(x) is A else 7)


def _unused(x: Any) -> Any:
    return item(x, 0)
