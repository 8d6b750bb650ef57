"""Structural helpers on q values: type, count, items, list building, indexing, nulls."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rdq.qlang._values import DTYPES, IDENTITY, NULLS, A, D, E, Fn, L, QError, T, V

__all__ = [
    "qtype",
    "count",
    "items",
    "item",
    "mklist",
    "vec",
    "null_atom",
    "is_null_atom",
    "index",
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
]

EMPTY = L([])
_INT_T = (1, 4, 5, 6, 7)
_BOUNDS = {5: 2**15, 6: 2**31, 7: 2**63}


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
            if type(v) is not D or type(v.k) is not V or v.k.t != 11 or len(v.k.a) != len(ks) or not (v.k.a == ks).all():
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


def take_items(x: Any, idx: np.ndarray) -> Any:
    """x at integer indices (all in range)."""
    tx = type(x)
    if tx is V:
        return V(x.t, x.a[idx])
    if tx is L:
        return mklist([x.items[i] for i in idx.tolist()])
    if tx is T:
        return T(list(x.cols), [take_items(c, idx) for c in x.data])
    if tx is D:
        return D(take_items(x.k, idx), take_items(x.v, idx))
    raise QError("type")


def _null_for(x: Any) -> Any:
    if type(x) is V:
        return null_atom(x.t)
    if type(x) is L:
        if x.items:
            f = x.items[0]
            if type(f) is A:
                return null_atom(f.t)
            if type(f) is V:
                return V(f.t, np.array([], dtype=f.a.dtype))
            return L([])
        return L([])
    if type(x) is T:
        return D(V(11, np.array(x.cols, dtype=object)), mklist([_null_for(c) for c in x.data]))
    return L([])


def _find_keys(keys: Any, idx: Any) -> Any:
    """Positions of idx (atom or list) in keys; count(keys) where absent. Returns int or ndarray."""
    from rdq.qlang._ops import find

    return find(keys, idx)


def index(x: Any, i: Any) -> Any:
    """``x[i]`` for one index argument (atom, vector, nested list, or ``::``)."""
    tx = type(x)
    ti = type(i)
    if i is IDENTITY:
        if tx is A:
            raise QError("type")  # 3[::] is 'type
        return x
    if tx is D:
        if type(x.k) is T:
            # keyed table
            from rdq.qlang._ops import find_rows

            if ti is D:
                pos = find_rows(x.k, enlist(i))
                return index(x.v, A(7, int(pos[0])))
            if ti is T:
                pos = find_rows(x.k, i)
                return index(x.v, V(7, pos.astype(np.int64)))
            if len(x.k.cols) == 1:
                key = x.k.data[0]
                if ti is A or (ti is V and key.t == 0):
                    pos = _find_keys(key, i)
                    return index(x.v, A(7, int(pos)))
            pos = find_rows(x.k, T(list(x.k.cols), [mklist([a]) if False else enlist(a) for a in items(i)]))
            return index(x.v, A(7, int(pos[0])))
        if type(x.k) is V and x.k.attr == "s" and ti in (A, V):
            # step dictionary: the value of the last key <= i
            kk = x.k.a
            iv = i.v if ti is A else i.a
            p2 = np.searchsorted(kk, iv, side="right") - 1
            if ti is A:
                return item(x.v, int(p2)) if p2 >= 0 else _null_for(x.v)
            return mklist([item(x.v, int(q)) if q >= 0 else _null_for(x.v) for q in np.atleast_1d(p2).tolist()])
        if ti is A:
            p = _find_keys(x.k, i)
            if p >= count(x.k):
                return _null_for(x.v)
            return item(x.v, p)
        if ti is L:
            return mklist([index(x, j) for j in i.items])
        if ti is V:
            p = _find_keys(x.k, i)
            n = count(x.k)
            if (p < n).all():
                return take_items(x.v, p)
            return mklist([item(x.v, int(k)) if k < n else _null_for(x.v) for k in p.tolist()])
        if ti is D:
            return D(i.k, index(x, i.v))
        raise QError("type")
    if tx is T:
        if ti is A and i.t == 11:
            try:
                return x.data[x.cols.index(i.v)]
            except ValueError:
                raise QError(i.v) from None
        if ti is V and i.t == 11:
            return mklist([index(x, a) for a in items(i)])
        if ti is A:
            k = i.v
            n = count(x)
            if 0 <= k < n:
                return row_dict(x, k)
            return _null_for(x)
        if ti is V:
            k = i.a.astype(np.int64)
            n = count(x)
            if ((k >= 0) & (k < n)).all():
                return take_items(x, k)
            return mklist([index(x, a) for a in items(i)])
        if ti is L:
            return mklist([index(x, j) for j in i.items])
        raise QError("type")
    if tx is V or tx is L:
        if ti is A:
            if i.t > 7 or i.t == 2:
                if i.t == 11 or i.t in (8, 9) or i.t == 10:
                    raise QError("type")
            k = i.v
            n = len(x.a) if tx is V else len(x.items)
            if 0 <= k < n:
                return item(x, k)
            return _null_for(x)
        if ti is V:
            if i.t in (8, 9, 11, 10):
                raise QError("type")
            k = i.a.astype(np.int64)
            n = len(x.a) if tx is V else len(x.items)
            ok = (k >= 0) & (k < n)
            if tx is V:
                if ok.all():
                    return V(x.t, x.a[k])
                out = np.full(len(k), NULLS[x.t], dtype=x.a.dtype) if x.t != 11 else np.full(len(k), "", dtype=object)
                out[ok] = x.a[k[ok]]
                return V(x.t, out)
            nul = _null_for(x)
            return mklist([x.items[j] if o else nul for j, o in zip(k.tolist(), ok.tolist(), strict=True)])
        if ti is L:
            return mklist([index(x, j) for j in i.items])
        if ti is D:
            return D(i.k, index(x, i.v))
        if ti is T:
            return T(list(i.cols), [index(x, c) for c in i.data])
        raise QError("type")
    if tx is A:
        raise QError("type")
    raise QError("type")


def nan_to_null(x: float) -> float:
    return x if not math.isnan(x) else math.nan
