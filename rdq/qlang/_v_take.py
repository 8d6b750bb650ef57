"""Take and drop (code.kx.com/q/ref/take, /ref/drop, /ref/sublist, /ref/cut): ``#`` ``_`` ``sublist`` ``cut``.

``x#y`` with an attribute symbol ``x`` is Set Attribute (:mod:`rdq.qlang._v_attr`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rdq.qlang._core import EMPTY, count, enlist, items, mklist, take_items
from rdq.qlang._fn import enlist_n
from rdq.qlang._index import index, keys_of
from rdq.qlang._v_attr import q_set_attr
from rdq.qlang._values import NULLS, A, D, L, QError, T, V

__all__ = ["items_py", "q_cut", "q_sublist", "q_take"]


def items_py(x: Any) -> list[Any]:
    if type(x) is A:
        return [x.v]
    return [a.v for a in items(x)]


def _part(x: Any, lst: list[Any], a: int, b: int) -> Any:
    """Items ``a`` to ``b`` of list ``x`` (``lst`` its items), typed even when empty."""
    if type(x) in (V, L):
        return take_items(x, np.arange(a, min(b, len(lst)), dtype=np.int64))
    return mklist(lst[a:b])


def _reshape(dims: list[int], x: Any) -> Any:
    """``dims#x`` (code.kx.com/q/ref/take): a matrix or higher-dimensional array filled from ``x``.

    One null in a pair of dimensions makes that one maximal; a longer shape may hold no null or
    negative dimension (``'domain``).
    """
    nul = NULLS[7]
    if len(dims) == 1:
        return _take(A(7, dims[0]), x)
    lst = items(x) if type(x) in (V, L) else [x]
    if len(dims) == 2 and nul in dims:
        r, c = dims
        if r == nul and c == nul:
            raise QError("domain")
        if r == nul:
            r = -(-len(lst) // c) if c else 0
            return L([_part(x, lst, i * c, (i + 1) * c) for i in range(r)])
        c = len(lst) // r if r else 0
        return L([_part(x, lst, i * c, (i + 1) * c if i < r - 1 else len(lst)) for i in range(r)])
    if any(d == nul or d < 0 for d in dims):
        raise QError("domain")
    total = int(np.prod(dims))
    flat = _take(A(7, total), x)

    def build(off: int, ds: list[int]) -> Any:
        if len(ds) == 1:
            return take_items(flat, np.arange(off, off + ds[0], dtype=np.int64))
        step = int(np.prod(ds[1:]))
        return L([build(off + k * step, ds[1:]) for k in range(ds[0])])

    return build(0, dims)


def _take(n: Any, x: Any) -> Any:
    if type(n) is V and n.t in (5, 6, 7):
        return _reshape([int(d) if d != NULLS[n.t] else NULLS[7] for d in n.a.tolist()], x)
    if type(n) is not A or n.t not in (1, 4, 5, 6, 7):
        if type(n) is A and n.t == 11 and type(x) is D:
            return _take(enlist(n), x)
        if type(n) is V and n.t == 11:
            raise QError("nyi")
        raise QError("type")
    k = n.v
    tx = type(x)
    if tx is A:
        return enlist_n(x, abs(k))
    if tx is D:
        if type(x.k) is T:
            return D(_take(n, x.k), _take(n, x.v))
        return D(_take(n, x.k), _take(n, x.v))
    m = count(x)
    if m == 0:
        if tx is V:
            return (
                V(x.t, np.full(abs(k), NULLS[x.t], dtype=x.a.dtype))
                if x.t != 11
                else V(11, np.full(abs(k), "", dtype=object))
            )
        return mklist([EMPTY] * abs(k)) if k else x
    if k >= 0:
        idx = np.arange(k) % m
    else:
        idx = (np.arange(m + k, m) % m + m) % m if -k <= m else (np.arange(-k) + (m - (-k) % m)) % m
    return take_items(x, idx.astype(np.int64))


def _drop(n: Any, x: Any) -> Any:
    if type(n) is A and n.t in (1, 4, 5, 6, 7) and type(x) is not A:
        k = n.v
        tx = type(x)
        if tx is D:
            return D(_drop(n, x.k), _drop(n, x.v))
        m = count(x)
        idx = np.arange(k, m) if k >= 0 else np.arange(0, max(m + k, 0))
        return take_items(x, idx.astype(np.int64))
    if type(x) is D and type(n) is V:
        return _dict_drop_keys(x, n)  # a list of keys drops them (drop.md)
    if type(n) is V and n.t in (5, 6, 7) and type(x) is not A:
        # cut
        pts = n.a.astype(np.int64).tolist()
        m = count(x)
        out = []
        for j, p in enumerate(pts):
            e = pts[j + 1] if j + 1 < len(pts) else m
            out.append(take_items(x, np.arange(p, e, dtype=np.int64)))
        return L(out)
    if type(n) is D and type(x) is A:
        return _dict_drop_keys(n, enlist(x))
    if type(n) is D and type(x) is V:
        raise QError("type")
    if type(x) is D and type(n) is V:
        return _dict_drop_keys(x, n)
    if type(x) is T or type(n) is T:
        if type(x) is T and type(n) is V and n.t == 11:
            drop = set(items_py(n))
            return T(
                [c for c in x.cols if c not in drop],
                [d for c, d in zip(x.cols, x.data, strict=True) if c not in drop],
            )
        raise QError("type")
    if type(x) is A and x.t in (1, 4, 5, 6, 7):
        # list _ index : remove item
        lst = n
        k = x.v
        mm = count(lst)
        idx = np.array([i for i in range(mm) if i != k], dtype=np.int64)
        return take_items(lst, idx)
    if type(n) is D:
        return _dict_drop_keys(n, x if type(x) is not A else enlist(x))
    if type(x) is D and type(n) in (A, V):
        return _dict_drop_keys(x, n if type(n) is not A else enlist(n))
    if type(x) is T and type(n) in (A, V) and (n.t == 11):
        drop = set(items_py(n))
        return T(
            [c for c in x.cols if c not in drop],
            [d for c, d in zip(x.cols, x.data, strict=True) if c not in drop],
        )
    if type(x) is A and x.t == 11 and type(n) is T:
        return T(
            [c for c in n.cols if c != x.v], [d for c, d in zip(n.cols, n.data, strict=True) if c != x.v]
        )
    raise QError("type")


def _dict_drop_keys(d: D, ks: Any) -> Any:
    if type(d.k) is T:
        raise QError("nyi")
    kk = set(keys_of(ks))
    keep = [i for i, k in enumerate(keys_of(d.k)) if k not in kk]
    idx = np.array(keep, dtype=np.int64)
    return D(take_items(d.k, idx), take_items(d.v, idx))


def q_sublist(n: Any, x: Any) -> Any:
    if type(n) is A:
        return _take(A(7, min(n.v, count(x)) if n.v >= 0 else max(n.v, -count(x))), x)
    s, ln = n.a.tolist()
    m = count(x)
    e = min(s + ln, m)
    return take_items(x, np.arange(min(s, m), e, dtype=np.int64))


def q_cut(n: Any, x: Any) -> Any:
    if type(n) is A:
        k = n.v
        m = count(x)
        return L([take_items(x, np.arange(i, min(i + k, m), dtype=np.int64)) for i in range(0, m, k)])
    return _drop(n, x)


def q_take(x: Any, y: Any) -> Any:
    if type(x) is A and x.t == 11 and x.v in ("s", "u", "p", "g", ""):
        return q_set_attr(x, y)
    if type(x) is V and x.t == 11 and type(y) is D:
        return D(x, index(y, x))
    if type(x) is V and x.t == 11 and type(y) is T:
        return T(list(x.a.tolist()), [index(y, a) for a in items(x)])
    if type(y) is T and type(x) is A:
        return _take(x, y)
    if type(x) is T and type(y) is D and type(y.k) is T:
        return D(x, index(y, x))
    return _take(x, y)
