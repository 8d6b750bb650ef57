"""The pervasive core of the atomic operators: result types, numpy views of atoms and vectors, and
:func:`pervade2`/:func:`pervade1`, which carry an atomic core through lists, dictionaries and tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rdq.qlang._core import _NUM, items, mklist
from rdq.qlang._index import find, join
from rdq.qlang._values import DTYPES, NULLS, A, D, L, QError, T, V

__all__ = ["pervade1", "pervade2", "res_type"]

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
