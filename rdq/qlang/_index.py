"""Matching, search and indexing of q values: ``~``, ``?`` (find), ``x[i]``, and ``,`` (join).

Sits on :mod:`rdq.qlang._core`; arithmetic (:mod:`rdq.qlang._ops`) and the verbs build on it."""

from __future__ import annotations

from typing import Any

import numpy as np

from rdq.qlang._core import (
    _NUM,
    EMPTY,
    count,
    deenum,
    empty_like,
    enlist,
    item,
    items,
    mklist,
    null_atom,
    row_dict,
    take_items,
)
from rdq.qlang._values import IDENTITY, NULLS, A, D, E, Fn, L, QError, T, V

_TOL = 2.0**-43

__all__ = ["find", "find_rows", "index", "join", "keys_of", "match", "sorted_vec", "unique_vec"]


def _tol_eq(a: float, b: float) -> bool:
    return abs(a - b) <= _TOL * max(abs(a), abs(b))


def match(x: Any, y: Any) -> bool:
    tx = type(x)
    if tx is not type(y):
        return False
    if tx is A:
        if x.t != y.t:
            return False
        if x.t in (8, 9):
            return x.v == y.v or (x.v != x.v and y.v != y.v) or _tol_eq(x.v, y.v)
        return bool(x.v == y.v)
    if tx is V:
        if x.t != y.t or len(x.a) != len(y.a):
            return False
        if x.t in (8, 9):
            if np.array_equal(x.a, y.a, equal_nan=True):
                return True
            a, b = x.a.astype(np.float64), y.a.astype(np.float64)
            with np.errstate(invalid="ignore"):
                ok = (
                    (a == b)
                    | (np.isnan(a) & np.isnan(b))
                    | (np.abs(a - b) <= _TOL * np.maximum(np.abs(a), np.abs(b)))
                )
            return bool(ok.all())
        return bool((x.a == y.a).all())
    if tx is L:
        return len(x.items) == len(y.items) and all(
            match(a, b) for a, b in zip(x.items, y.items, strict=True)
        )
    if tx is D:
        return match(x.k, y.k) and match(x.v, y.v)
    if tx is T:
        return x.cols == y.cols and all(match(a, b) for a, b in zip(x.data, y.data, strict=True))
    if tx is E:
        return x.dom == y.dom and len(x.a) == len(y.a) and bool((x.a == y.a).all())
    if x is y or (hasattr(x, "src") and getattr(x, "src", None) == getattr(y, "src", 1)):
        return True
    # functions of one kind match when q prints them alike: ``not~(~:)`` and ``(+/)~(+/)`` are 1b
    return isinstance(x, Fn) and hasattr(x, "show") and x.show() == y.show()


def _key(x: Any) -> Any:
    """Hashable key of a q value (for find/distinct/group)."""
    tx = type(x)
    if tx is A:
        v = x.v
        if x.t in (8, 9) and v != v:
            return ("n", x.t)
        return (x.t, v)
    if tx is V:
        if x.t in (8, 9):
            return ("V", x.t, tuple("nan" if v != v else v for v in x.a.tolist()))
        return ("V", x.t, tuple(x.a.tolist()))
    if tx is L:
        return ("L", tuple(_key(a) for a in x.items))
    if tx is D:
        return ("D", _key(x.k), _key(x.v))
    if tx is T:
        return ("T", tuple(x.cols), tuple(_key(c) for c in x.data))
    if isinstance(x, Fn) and hasattr(x, "show"):  # functions are found as they match: by how q prints them
        return ("F", type(x).__name__, x.show())
    return ("F", id(x))


def keys_of(x: Any) -> list[Any]:
    tx = type(x)
    if tx is V:
        t = x.t
        if t in (8, 9):
            return [("n", t) if v != v else (t, v) for v in x.a.tolist()]
        return [(t, v) for v in x.a.tolist()]
    return [_key(a) for a in items(x)]


def find(x: Any, y: Any) -> Any:
    """Index of each item of y in list x (count x where absent); int for an atom y."""
    x, y = deenum(x), deenum(y)
    n = count(x)
    if type(y) is A or (type(x) is L and not _is_list_of_lists(x) and type(y) is not L and type(y) is not V):
        if type(x) is V and type(y) is A and x.t == y.t and x.t not in (8, 9):
            hits = np.flatnonzero(x.a == y.v)
            return int(hits[0]) if len(hits) else n
        k = _key(y) if type(y) is not A else _norm_key(y, x)
        for i, kk in enumerate(keys_of(x)):
            if kk == k:
                return i
        return n
    if type(x) is L and _is_list_of_lists(x) and type(y) is V:
        # find a list item (row) in a list of lists
        k = _key(y)
        for i, kk in enumerate(keys_of(x)):
            if kk == k:
                return i
        return n
    pos: dict[Any, int] = {}
    for i, kk in enumerate(keys_of(x)):
        pos.setdefault(kk, i)
    if type(y) is V and type(x) is V and x.t != y.t:
        yk = [_norm_key(a, x) for a in items(y)]
    else:
        yk = keys_of(y)
    return np.array([pos.get(kk, n) for kk in yk], dtype=np.int64)


def _is_list_of_lists(x: Any) -> bool:
    return type(x) is L and bool(x.items) and all(type(a) is V or type(a) is L for a in x.items)


def _norm_key(y: A, x: Any) -> Any:
    if type(x) is V and x.t != y.t and x.t in _NUM and y.t in _NUM:
        if x.t in (8, 9):
            return (x.t, float(y.v))
        return (x.t, y.v)
    return _key(y)


def find_rows(t: T, y: T) -> np.ndarray:
    """Row index of each row of table y in table t (count t where absent)."""
    n = count(t)
    tk = list(zip(*[keys_of(c) for c in t.data], strict=True)) if t.data else []
    pos: dict[Any, int] = {}
    for i, k in enumerate(tk):
        pos.setdefault(k, i)
    cols = [y.data[y.cols.index(c)] for c in t.cols]
    yk = list(zip(*[keys_of(c) for c in cols], strict=True))
    return np.array([pos.get(k, n) for k in yk], dtype=np.int64)


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
    pass

    return find(keys, idx)


def index(x: Any, i: Any) -> Any:
    """``x[i]`` for one index argument (atom, vector, nested list, or ``::``)."""
    tx = type(x)
    ti = type(i)
    if i is IDENTITY:
        if tx is A:
            raise QError("type")  # 3[::] is 'type
        return x
    if tx is E:  # an enumeration indexes its indices; a list of them stays an enumeration
        r = index(V(7, x.a), i)
        if type(r) is V:
            return E(x.dom, r.a, x.g)
        if type(r) is A and 0 <= r.v < len(x.a):
            return E(x.dom, np.array([r.v], dtype=np.int64), x.g, atom=True)
        return index(x.syms(), i)
    if tx is D:
        if type(x.k) is T:
            # keyed table; a sorted one (`s#) is a step function: the last key at or before each
            if x.k.attr == "s" and len(x.k.cols) == 1 and ti in (T, D) and type(x.k.data[0]) is V:
                probe = i.data[0] if ti is T else None
                if type(probe) is V and probe.t == x.k.data[0].t:
                    p = np.searchsorted(x.k.data[0].a, probe.a, side="right") - 1
                    n = count(x.k)
                    return index(x.v, V(7, np.where(p < 0, n, p).astype(np.int64)))

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
            return mklist(
                [item(x.v, int(q)) if q >= 0 else _null_for(x.v) for q in np.atleast_1d(p2).tolist()]
            )
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
            if np.ndim(p) == 0:
                # keys are a list of lists (strings): a vector index is one key, ``d "down"``
                return item(x.v, int(p)) if int(p) < n else _null_for(x.v)
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
                out = (
                    np.full(len(k), NULLS[x.t], dtype=x.a.dtype)
                    if x.t != 11
                    else np.full(len(k), "", dtype=object)
                )
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


def sorted_vec(t: int, a: np.ndarray) -> bool:
    """True when the items of a simple vector of type ``t`` ascend (float nulls first, as q sorts)."""
    if len(a) < 2:
        return True
    if t in (8, 9):
        nan = np.isnan(a)
        if nan.any():
            k = int(np.argmin(nan)) if not nan.all() else len(a)
            if nan[k:].any():
                return False
            a = a[k:]
            if len(a) < 2:
                return True
    if a.dtype == object:
        lst = a.tolist()
        return all(p <= q for p, q in zip(lst, lst[1:], strict=False))
    return bool(np.all(a[:-1] <= a[1:]))


def unique_vec(a: np.ndarray) -> bool:
    """True when the items of a simple vector are distinct."""
    if a.dtype == object:
        return len(set(a.tolist())) == len(a)
    if a.dtype.kind == "f":
        return len(set(("n" if v != v else v) for v in a.tolist())) == len(a)
    return len(np.unique(a)) == len(a)


def _appended(x: V, r: V) -> V:
    """``x,y`` keeps ``s`` ``u`` ``g`` of ``x`` where the result still has the property (set-attribute)."""
    a = x.attr
    if a == "g" or (a == "s" and sorted_vec(r.t, r.a)) or (a == "u" and unique_vec(r.a)):
        r.attr = a
    return r


def join(x: Any, y: Any) -> Any:
    tx, ty = type(x), type(y)
    if tx is E or ty is E:
        if tx is E and ty is E and x.dom == y.dom:
            return E(x.dom, np.concatenate([x.a, y.a]), x.g)
        return join(deenum(x), deenum(y))
    if tx is V and ty is V and x.t == y.t:
        r = V(x.t, np.concatenate([x.a, y.a]))
        return _appended(x, r) if x.attr else r
    if tx is V and ty is A and x.t == y.t:
        r = V(x.t, np.append(x.a, np.array([y.v], dtype=x.a.dtype)))
        return _appended(x, r) if x.attr else r
    if tx is A and ty is V and x.t == y.t:
        return V(x.t, np.insert(y.a, 0, x.v) if x.t != 11 else np.array([x.v] + y.a.tolist(), dtype=object))
    if tx is A and ty is A and x.t == y.t:
        return mklist([x, y])
    if tx is T and ty is T:
        if x.cols == y.cols:
            return T(list(x.cols), [join(a, b) for a, b in zip(x.data, y.data, strict=True)])
        if set(x.cols) == set(y.cols):
            return T(
                list(x.cols), [join(a, y.data[y.cols.index(c)]) for c, a in zip(x.cols, x.data, strict=True)]
            )
        raise QError("mismatch")
    if tx is D and ty is D:
        if type(x.k) is T:
            # keyed table upsert
            return _kt_upsert(x, y)
        pos = find(x.k, y.k)
        n = count(x.k)
        vals = list(items(x.v))
        ek = []
        ev = []
        yv = items(y.v)
        yk = items(y.k)
        for j, p in enumerate(pos.tolist() if isinstance(pos, np.ndarray) else [pos]):
            if p < n:
                vals[p] = yv[j]
            else:
                ek.append(yk[j])
                ev.append(yv[j])
        return D(join(x.k, mklist(ek)) if ek else x.k, mklist(vals + ev))
    if tx is T and ty is D:
        return join(x, enlist(y))
    if tx is D and ty is T and type(x.k) is V and x.k.t == 11:  # a record joins a table as its first row
        return join(enlist(x), y)
    if tx is T and ty is L:
        return join(x, T(list(x.cols), [enlist(a) for a in y.items]))
    if (tx is D and ty in (A, V)) or (ty is D and tx in (A, V)):
        raise QError("type")  # an atom or vector does not join a dictionary (raze.md: 10,d)
    lx = items(x) if tx in (V, L) else [x]
    ly = items(y) if ty in (V, L) else [y]
    if tx is D or ty is D or tx is T or ty is T:
        lx = [x] if tx in (D, T) and tx is not T else lx
        ly = [y] if ty in (D, T) and ty is not T else ly
    return mklist(lx + ly) if (lx or ly) else EMPTY


def _kt_upsert(x: D, y: D) -> D:
    kt = x.k
    pos = find_rows(kt, y.k)
    n = count(kt)
    vcols = list(x.v.cols)
    vdata = [list(items(c)) for c in x.v.data]
    kdata = [list(items(c)) for c in kt.data]
    ycols = y.v.cols if type(y.v) is T else []
    for j, p in enumerate(pos.tolist()):
        if p < n:
            for ci, c in enumerate(vcols):
                if c in ycols:
                    vdata[ci][p] = item(y.v.data[ycols.index(c)], j)
        else:
            for ci, c in enumerate(kt.cols):
                kdata[ci].append(item(y.k.data[y.k.cols.index(c)], j))
            for ci, c in enumerate(vcols):
                vdata[ci].append(
                    item(y.v.data[ycols.index(c)], j)
                    if c in ycols
                    else null_atom(x.v.data[ci].t if type(x.v.data[ci]) is V else 7)
                )
    return D(
        T(list(kt.cols), [mklist(c) if c else empty_like(o) for c, o in zip(kdata, kt.data, strict=True)]),
        T(vcols, [mklist(c) if c else empty_like(o) for c, o in zip(vdata, x.v.data, strict=True)]),
    )
