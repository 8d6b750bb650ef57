"""List verbs: ``til count first last reverse where distinct group``, sorting and ranking, ``raze flip``, take and drop, attributes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rdq.qlang._core import (
    EMPTY,
    _syms,
    count,
    deenum,
    empty_like,
    enlist,
    item,
    items,
    mklist,
    null_atom,
    take_items,
)
from rdq.qlang._fn import enlist_n
from rdq.qlang._index import index, join, keys_of
from rdq.qlang._v_attr import is_sorted, q_attr, q_set_attr
from rdq.qlang._v_take import _drop, items_py, q_cut, q_sublist, q_take
from rdq.qlang._values import NULLS, A, D, E, Fn, L, QError, T, V

__all__ = [
    "_drop",
    "items_py",
    "q_asc",
    "q_attr",
    "q_count",
    "q_cut",
    "q_desc",
    "q_distinct",
    "q_enlist",
    "q_first",
    "q_flip",
    "q_group",
    "q_iasc",
    "q_idesc",
    "q_last",
    "q_next",
    "q_prev",
    "q_rank",
    "q_raze",
    "q_reverse",
    "q_rotate",
    "q_set_attr",
    "q_sublist",
    "q_take",
    "q_til",
    "q_where",
    "q_xprev",
]


def q_til(x: Any) -> Any:
    if type(x) is not A or x.t not in (1, 4, 5, 6, 7):
        raise QError("type")
    if x.v < 0:
        raise QError("domain")
    return V(7, np.arange(x.v, dtype=np.int64))


def q_count(x: Any) -> Any:
    return A(7, count(x))


def q_first(x: Any) -> Any:
    tx = type(x)
    if tx is A or isinstance(x, Fn):
        return x
    if tx is D:
        return q_first(x.v)
    if tx is T:
        return (
            item(x, 0)
            if count(x)
            else D(_syms(x.cols), mklist([null_atom(c.t) if type(c) is V else EMPTY for c in x.data]))
        )
    n = count(x)
    if n == 0:
        if tx is V:
            return null_atom(x.t)
        return EMPTY
    return item(x, 0)


def q_last(x: Any) -> Any:
    tx = type(x)
    if tx is A or isinstance(x, Fn):
        return x
    if tx is D:
        return q_last(x.v)
    n = count(x)
    if n == 0:
        if tx is V:
            return null_atom(x.t)
        return EMPTY
    return item(x, n - 1)


def q_reverse(x: Any) -> Any:
    tx = type(x)
    if tx is V:
        return V(x.t, x.a[::-1].copy())
    if tx is L:
        return L(x.items[::-1])
    if tx is D:
        return D(q_reverse(x.k), q_reverse(x.v))
    if tx is T:
        return T(list(x.cols), [q_reverse(c) for c in x.data])
    if tx is E:
        return E(x.dom, x.a[::-1].copy(), x.g)
    return x


def q_enlist(x: Any) -> Any:
    return enlist(x)


def q_where(x: Any) -> Any:
    if type(x) is V and x.t in (1, 4, 5, 6, 7):
        if x.t == 1:
            return V(7, np.flatnonzero(x.a).astype(np.int64))
        return V(7, np.repeat(np.arange(len(x.a), dtype=np.int64), x.a.astype(np.int64)))
    if type(x) is D:
        w = q_where(x.v)
        return index(x.k, w)
    if type(x) is A and x.t in (1, 4, 5, 6, 7):
        return V(7, np.zeros(x.v, dtype=np.int64))
    if type(x) is L and not x.items:
        return V(7, np.array([], dtype=np.int64))
    raise QError("type")


def q_distinct(x: Any) -> Any:
    if type(x) is E:  # the distinct indices: an enumeration still
        _, first = np.unique(x.a, return_index=True)
        return E(x.dom, x.a[np.sort(first)], x.g)
    if type(x) is V:
        if x.t in (8, 9):
            seen: set[Any] = set()
            keep = []
            for i, k in enumerate(keys_of(x)):
                if k not in seen:
                    seen.add(k)
                    keep.append(i)
            return V(x.t, x.a[keep])
        _, idx = np.unique(x.a, return_index=True)
        return V(x.t, x.a[np.sort(idx)])
    if type(x) is T:
        rows = list(zip(*[keys_of(c) for c in x.data], strict=True))
        seen2: set[Any] = set()
        keep2 = []
        for i, r in enumerate(rows):
            if r not in seen2:
                seen2.add(r)
                keep2.append(i)
        return take_items(x, np.array(keep2, dtype=np.int64))
    if type(x) is L:
        seen3: set[Any] = set()
        out = []
        for a, k in zip(x.items, keys_of(x), strict=True):
            if k not in seen3:
                seen3.add(k)
                out.append(a)
        return mklist(out) if out else EMPTY
    if type(x) is D:
        return q_distinct(x.v)
    if type(x) is A:
        raise QError("type")
    raise QError("type")


def q_group(x: Any) -> Any:
    x = deenum(x)
    if type(x) is D:
        g = q_group(x.v)
        return D(g.k, mklist([index(x.k, v) for v in items(g.v)]))
    if type(x) is V and len(x.a) > 0 and (x.a.dtype.kind in "biuf" or x.t == 11):
        fast = _group_vec(x)
        if fast is not None:
            return fast
    groups: dict[Any, list[int]] = {}
    firsts: list[Any] = []
    for i, k in enumerate(keys_of(x)):
        lst = groups.get(k)
        if lst is None:
            groups[k] = lst = []
            firsts.append(i)
        lst.append(i)
    keys = take_items(x, np.array(firsts, dtype=np.int64)) if firsts else empty_like(x)
    vals = [V(7, np.array(v, dtype=np.int64)) for v in groups.values()]
    return D(keys, L(vals) if vals else EMPTY)


def _group_vec(x: V) -> Any:
    """``group`` of a simple vector by sorting (keys in order of first appearance); None if unsortable."""
    try:
        _, first_idx, inv = np.unique(x.a, return_index=True, return_inverse=True)
    except TypeError:
        return None
    order = np.argsort(first_idx, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    g = rank[np.asarray(inv).reshape(-1)]
    idx = np.argsort(g, kind="stable").astype(np.int64)
    bounds = np.cumsum(np.bincount(g, minlength=len(order)))[:-1]
    vals = [V(7, part) for part in np.split(idx, bounds)]
    return D(take_items(x, first_idx[order].astype(np.int64)), L(vals))


def _sort_keys(x: Any) -> np.ndarray:
    """Stable ascending order of list x (an enumeration by its symbols)."""
    x = deenum(x)
    if type(x) is V:
        if x.t in (8, 9):
            a = np.where(np.isnan(x.a), -np.inf, x.a)
            # nulls before -inf
            return np.lexsort((a, ~np.isnan(x.a)))
        if x.t == 11:
            return np.array(sorted(range(len(x.a)), key=lambda i: x.a[i]), dtype=np.int64)
        return np.argsort(x.a, kind="stable")
    if type(x) is T:
        keys = [x.data[j] for j in range(len(x.data))]
        order = np.arange(count(x))
        for c in reversed(keys):
            sub = index(c, V(7, order))
            o = _sort_keys(sub)
            order = order[o]
        return order
    if type(x) is D:
        return _sort_keys(x.v)
    lst = items(x)
    return np.array(sorted(range(len(lst)), key=lambda i: _sortable(lst[i])), dtype=np.int64)


def _sortable(a: Any) -> Any:
    """Order key of an item of a general list: atoms within datatype (by type number), then lists."""
    if type(a) is A:
        if a.t in (8, 9):
            return (1, a.t, -math.inf) if a.v != a.v else (1, a.t, a.v)
        return (1, a.t, a.v)
    if type(a) is V:
        return (2, tuple(_sortable(b) for b in items(a)))
    if type(a) is L:
        return (2, tuple(_sortable(b) for b in a.items))
    return (3, 0)


def q_iasc(x: Any) -> Any:
    if type(x) is D:
        return index(x.k, V(7, _sort_keys(x.v)))
    if type(x) is A:
        raise QError("rank")
    return V(7, _sort_keys(x).astype(np.int64))


def q_idesc(x: Any) -> Any:
    if type(x) is D:
        return index(x.k, q_idesc(x.v))
    if type(x) is A:
        raise QError("rank")
    o = _sort_keys(x)
    n = len(o)
    if n == 0:
        return V(7, o.astype(np.int64))
    # stable descending: reverse of ascending on reversed input
    rx = q_reverse(x)
    o2 = _sort_keys(rx)
    return V(7, (n - 1 - o2[::-1]).astype(np.int64))


def q_asc(x: Any) -> Any:
    """``asc x`` (code.kx.com/q/ref/asc): sorted, with the sorted attribute set.

    A vector already in order gets the attribute in place; a table is sorted with the sorted attribute
    on its first non-key column when it has one non-key column, else the parted attribute.
    """
    if type(x) is D:
        if type(x.k) is T and type(x.v) is T:
            o = _sort_keys(x.v)
            return D(take_items(x.k, o), _mark_first(take_items(x.v, o)))
        o2 = V(7, _sort_keys(x.v))
        return D(index(x.k, o2), index(x.v, o2))
    if type(x) is A:
        return x
    if type(x) is E:
        return take_items(x, _sort_keys(x))
    if type(x) is V and is_sorted(x):
        x.attr = "s"
        return x
    r = take_items(x, _sort_keys(x))
    if type(r) is T:
        return _mark_first(r)
    if type(r) in (V, L):
        r.attr = "s"
    return r


def _mark_first(t: T) -> T:
    """The first column of a sorted table marked sorted (one column) or parted (several)."""
    if t.data and type(t.data[0]) is V:
        c = t.data[0]
        t.data[0] = V(c.t, c.a, "s" if len(t.data) == 1 else "p")
    return t


def q_desc(x: Any) -> Any:
    if type(x) is D:
        o = q_idesc(x.v)
        return D(index(x.k, o), index(x.v, o))
    if type(x) is A:
        return x
    return take_items(x, q_idesc(x).a)


def q_rank(x: Any) -> Any:
    o = _sort_keys(x)
    r = np.empty(len(o), dtype=np.int64)
    r[o] = np.arange(len(o))
    return V(7, r)


def q_raze(x: Any) -> Any:
    if type(x) is L:
        if not x.items:
            return EMPTY
        acc = x.items[0]
        if type(acc) is A:
            acc = enlist(acc)
        parts = x.items
        if all(type(p) is V for p in parts) and len({p.t for p in parts}) == 1:
            return V(parts[0].t, np.concatenate([p.a for p in parts]))
        for p in parts[1:]:
            acc = join(acc, p)
        return acc
    if type(x) is D:
        return q_raze(x.v)
    if type(x) is A:
        return enlist(x)
    return x


def q_flip(x: Any) -> Any:
    if type(x) is D:
        if type(x.k) is V and x.k.t == 11:
            n = None
            cols = []
            for c in items(x.v):
                if type(c) is not A:
                    if n is None:
                        n = count(c)
                    elif count(c) != n:
                        raise QError("length")
            for c in items(x.v):
                if type(c) is A:
                    c = enlist_n(c, n or 1)
                cols.append(c)
            return T(list(x.k.a.tolist()), cols)
        raise QError("type")
    if type(x) is T:
        return D(_syms(x.cols), L(list(x.data)))
    if type(x) is L:
        n = None
        for c in x.items:
            if type(c) is not A:
                if n is None:
                    n = count(c)
                elif count(c) != n:
                    raise QError("length")
        if n is None:
            return enlist(x) if False else L([x])
        rows = []
        for i in range(n):
            rows.append(mklist([c if type(c) is A else item(c, i) for c in x.items]))
        return L(rows) if rows else EMPTY
    if type(x) is V:
        raise QError("rank")
    raise QError("type")


def q_prev(x: Any) -> Any:
    return _shift(x, 1)


def q_next(x: Any) -> Any:
    return _shift(x, -1)


def _shift(x: Any, k: int) -> Any:
    if type(x) is D:
        return D(x.k, _shift(x.v, k))
    if type(x) is T:
        return T(list(x.cols), [_shift(c, k) for c in x.data])
    n = count(x)
    idx = np.arange(n) - k
    if type(x) is V:
        a = np.full(n, NULLS[x.t], dtype=x.a.dtype) if x.t != 11 else np.full(n, "", dtype=object)
        ok = (idx >= 0) & (idx < n)
        a[ok] = x.a[idx[ok]]
        return V(x.t, a)
    lst = items(x)
    out = []
    for i in idx.tolist():
        if 0 <= i < n:
            out.append(lst[i])
        else:
            f = lst[0] if lst else None
            out.append(null_atom(f.t) if type(f) is A else (empty_like(f) if f is not None else EMPTY))
    return mklist(out)


def q_xprev(n: Any, x: Any) -> Any:
    if type(n) is not A:
        raise QError("type")
    return _shift(x, n.v)


def q_rotate(n: Any, x: Any) -> Any:
    if type(x) is A:
        return x
    m = count(x)
    if m == 0:
        return x
    k = n.v % m
    idx = (np.arange(m) + k) % m
    return take_items(x, idx.astype(np.int64))
