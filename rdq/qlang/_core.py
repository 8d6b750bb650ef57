"""Structural helpers on q values: type, count, items, list building, nulls (indexing is in :mod:`rdq.qlang._index`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rdq.qlang._values import DTYPES, NULLS, A, D, E, Fn, L, QError, T, V

__all__ = [
    "qtype",
    "count",
    "items",
    "item",
    "mklist",
    "vec",
    "null_atom",
    "is_null_atom",
    "as_array",
    "enlist",
    "empty_like",
    "take_items",
    "to_py_bool",
    "EMPTY",
    "sym",
    "chars",
    "qstr",
    "row_dict",
    "table_rows",
    "wrap_int",
    "deenum",
]

EMPTY = L([])
_INT_T = (1, 4, 5, 6, 7)
_BOUNDS = {5: 2**15, 6: 2**31, 7: 2**63}

#: the numeric types: boolean, byte, short, int, long, real, float
_NUM = {1, 4, 5, 6, 7, 8, 9}


def wrap_int(v: int, t: int) -> int:
    b = _BOUNDS.get(t)
    if b is None:
        return v
    if -b <= v < b:
        return v
    return ((v + b) % (2 * b)) - b


def qtype(x: Any) -> int:
    if type(x) is A:
        return -x.t
    if type(x) is E and x.atom:
        return -20
    if isinstance(x, Fn):
        return x.t
    return x.t


def sym(s: str) -> A:
    return A(11, s)


def chars(s: str) -> Any:
    b = s.encode("utf-8")
    if len(b) == 1:
        return V(10, np.frombuffer(b, dtype=np.uint8).copy())
    return V(10, np.frombuffer(b, dtype=np.uint8).copy())


def qstr(x: Any) -> str:
    """Python text of a q string (char vector or atom) or symbol."""
    if type(x) is V and x.t == 10:
        return bytes(x.a).decode("utf-8", "replace")
    if type(x) is A and x.t == 10:
        return chr(x.v)
    if type(x) is A and x.t == 11:
        return x.v
    raise QError("type")


def count(x: Any) -> int:
    tx = type(x)
    if tx is V:
        return len(x.a)
    if tx is L:
        return len(x.items)
    if tx is A:
        return 1
    if tx is D:
        return count(x.k)
    if tx is T:
        return count(x.data[0]) if x.data else 0
    if tx is E:
        return len(x.a)
    return 1


def _atom_of(t: int, v: Any) -> A:
    if t in (8, 9):
        return A(t, float(v))
    if t == 11 or t == 2:
        return A(t, v)
    return A(t, int(v))


def item(x: Any, i: int) -> Any:
    tx = type(x)
    if tx is V:
        t = x.t
        v = x.a[i]
        if t in (8, 9, 15):
            return A(t, float(v))
        if t == 11 or t == 2:
            return A(t, v)
        return A(t, int(v))
    if tx is L:
        return x.items[i]
    if tx is T:
        return row_dict(x, i)
    if tx is D:
        return item(x.v, i)
    if tx is E:
        return item(x.syms(), i)
    raise QError("type")


def items(x: Any) -> list[Any]:
    tx = type(x)
    if tx is L:
        return x.items
    if tx is V:
        t = x.t
        if t in (8, 9, 15):
            return [A(t, v) for v in x.a.tolist()]
        if t == 11 or t == 2:
            return [A(t, v) for v in x.a.tolist()]
        if t == 1:
            return [A(1, int(v)) for v in x.a.tolist()]
        return [A(t, v) for v in x.a.tolist()]
    if tx is T:
        return table_rows(x)
    if tx is D:
        return items(x.v)
    if tx is E:
        return items(x.syms())
    return [x]


def row_dict(t: T, i: int) -> D:
    return D(V(11, np.array(t.cols, dtype=object)), mklist([item(c, i) for c in t.data]))


def table_rows(t: T) -> list[Any]:
    n = count(t)
    return [row_dict(t, i) for i in range(n)]


def vec(t: int, a: Any) -> V:
    return V(t, np.asarray(a, dtype=DTYPES[t]))


def mklist(vals: list[Any]) -> Any:
    """Build a q list from items, collapsing uniform atoms into a typed vector (as q does)."""
    if not vals:
        return L([])
    v0 = vals[0]
    if type(v0) is A:
        t = v0.t
        for v in vals:
            if type(v) is not A or v.t != t:
                break
        else:
            if t == 11 or t == 2:
                return V(t, np.array([v.v for v in vals], dtype=object))
            return V(t, np.array([v.v for v in vals], dtype=DTYPES[t]))
    elif type(v0) is D and type(v0.k) is V and v0.k.t == 11:
        # list of conforming dicts -> table
        ks = v0.k.a
        ok = True
        for v in vals:
            if (
                type(v) is not D
                or type(v.k) is not V
                or v.k.t != 11
                or len(v.k.a) != len(ks)
                or not (v.k.a == ks).all()
            ):
                ok = False
                break
        if ok and len(ks) and len(set(ks.tolist())) == len(ks):
            cols = []
            for j in range(len(ks)):
                cols.append(mklist([item(v.v, j) for v in vals]))
            return T(list(ks.tolist()), cols)
    return L(list(vals))


def null_atom(t: int) -> A:
    t = abs(t)
    if t == 0:
        t = 7
    return A(t, NULLS.get(t, NULLS[7]))


def is_null_atom(x: A) -> bool:
    t = x.t
    v = x.v
    if t in (8, 9, 15):
        return v != v
    if t == 1 or t == 4:
        return False
    if t == 10:
        return v == 32
    if t == 11:
        return v == ""
    return v == NULLS.get(t)


def enlist(x: Any) -> Any:
    if type(x) is E and x.atom:
        return E(x.dom, x.a, x.g)
    if type(x) is A:
        if x.t == 11 or x.t == 2:
            return V(x.t, np.array([x.v], dtype=object))
        return V(x.t, np.array([x.v], dtype=DTYPES[x.t]))
    if type(x) is D and type(x.k) is V and x.k.t == 11 and len(x.k.a):
        return T(list(x.k.a.tolist()), [enlist(v) for v in items(x.v)])
    return L([x])


def empty_like(x: Any) -> Any:
    if type(x) is V:
        return V(x.t, x.a[:0])
    if type(x) is A:
        return V(x.t, np.array([], dtype=DTYPES[x.t]))
    if type(x) is T:
        return T(list(x.cols), [empty_like(c) for c in x.data])
    return L([])


def as_array(x: Any) -> np.ndarray:
    if type(x) is V:
        return x.a
    if type(x) is A:
        return np.array([x.v], dtype=DTYPES[x.t])
    raise QError("type")


def to_py_bool(x: Any) -> bool:
    if type(x) is A:
        v = x.v
        if x.t in (8, 9):
            return v != 0 and v == v
        if x.t == 11:
            raise QError("type")
        return v != 0
    if type(x) is V and len(x.a) == 1:
        return bool(x.a[0])
    raise QError("type")


def deenum(x: Any) -> Any:
    """An enumeration's symbols (its values as a symbol vector, or an atom's symbol); others unchanged."""
    if type(x) is E:
        return item(x.syms(), 0) if x.atom else x.syms()
    return x


def take_items(x: Any, idx: np.ndarray) -> Any:
    """x at integer indices (all in range)."""
    tx = type(x)
    if tx is V:
        return V(x.t, x.a[idx])
    if tx is E:
        return E(x.dom, x.a[idx], x.g)
    if tx is L:
        return mklist([x.items[i] for i in idx.tolist()])
    if tx is T:
        return T(list(x.cols), [take_items(c, idx) for c in x.data])
    if tx is D:
        return D(take_items(x.k, idx), take_items(x.v, idx))
    raise QError("type")


def nan_to_null(x: float) -> float:
    return x if not math.isnan(x) else math.nan


_NUMT = (1, 4, 5, 6, 7, 8, 9)


def _long(v: int) -> A:
    return A(7, v)


def _lv(a: Any) -> V:
    return V(7, np.asarray(a, dtype=np.int64))


def _bool(b: bool) -> A:
    return A(1, 1 if b else 0)


def _syms(names: list[str]) -> V:
    return V(11, np.array(names, dtype=object))
