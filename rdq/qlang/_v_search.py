"""Search and set verbs: ``in within except inter union cross differ bin``, find ``?`` and roll/deal."""

from __future__ import annotations

from typing import Any

import numpy as np

from rdq.qlang._core import _bool, count, deenum, enlist, item, items, mklist, take_items
from rdq.qlang._index import find, find_rows, index, join, keys_of, match
from rdq.qlang._ops import compare, minmax
from rdq.qlang._ops_cmp import tolerant
from rdq.qlang._v_list import q_distinct
from rdq.qlang._v_take import items_py
from rdq.qlang._values import DTYPES, NULLS, A, D, L, QError, T, V

__all__ = [
    "q_rand",
    "q_bin",
    "q_cross",
    "q_differ",
    "q_except",
    "q_find",
    "q_in",
    "q_inter",
    "q_match",
    "q_union",
    "q_within",
]


def q_in(x: Any, y: Any) -> Any:
    x = deenum(x)
    y = deenum(y)
    if type(y) is L and y.items and type(y.items[0]) is not A:
        # y is taken as a list of lists by its first item: an atom x is never one of them
        # (in.md, "Mixed argument ranks": 3 in (1 2;3) is 0b, 3 in (3;1 2) is 1b)
        if type(x) is A:
            return _bool(False)
        return _bool(any(match(x, b) for b in y.items))
    if type(x) is V and type(y) is V and x.t != y.t and (x.t in (8, 9)) != (y.t in (8, 9)) and len(y.a) != 1:
        raise QError("type")
    if type(x) is L and not (type(y) is L and any(type(a) is not A for a in y.items)):
        return mklist([q_in(a, y) for a in x.items])
    if type(x) is A:
        return _bool(find(y if type(y) is not A else enlist(y), x) < count(y))
    if type(x) is V:
        yy = y if type(y) is not A else enlist(y)
        p = find(yy, x)
        return V(1, np.asarray(p) < count(yy))
    if type(x) is D:
        return D(x.k, q_in(x.v, y))
    if type(x) is T:
        return q_in(x.data[0] if len(x.data) == 1 else x, y)
    raise QError("type")


def q_within(x: Any, y: Any) -> Any:
    x = deenum(x)
    lo = item(y, 0)
    hi = item(y, 1)
    a = compare(">=", x, lo)
    b = compare("<=", x, hi)
    return minmax(False, a, b)


def q_except(x: Any, y: Any) -> Any:
    x = deenum(x)
    y = deenum(y)
    yy = y if type(y) is not A else enlist(y)
    if type(x) is A:
        raise QError("type")
    ks = set(keys_of(yy)) if type(yy) is not T else set()
    if type(x) is V and type(yy) is V and x.t != yy.t:
        ks = {(x.t, v) if x.t not in (8, 9) else (x.t, float(v)) for v in items_py(yy)} | ks
    keep = [i for i, k in enumerate(keys_of(x)) if k not in ks]
    return take_items(x, np.array(keep, dtype=np.int64))


def q_inter(x: Any, y: Any) -> Any:
    x = deenum(x)
    y = deenum(y)
    if type(x) is D:
        x = x.v
    yy = y if type(y) is not A else enlist(y)
    if type(yy) is D:
        yy = yy.v
    ks = set(keys_of(yy))
    keep = [i for i, k in enumerate(keys_of(x)) if k in ks]
    return take_items(x, np.array(keep, dtype=np.int64))


def q_union(x: Any, y: Any) -> Any:
    x = deenum(x)
    y = deenum(y)
    return q_distinct(join(x if type(x) is not A else enlist(x), y))


def q_cross(x: Any, y: Any) -> Any:
    if type(x) is T and type(y) is T:
        nx, ny = count(x), count(y)
        ix = np.repeat(np.arange(nx), ny)
        iy = np.tile(np.arange(ny), nx)
        a = take_items(x, ix)
        b = take_items(y, iy)
        return T(a.cols + b.cols, a.data + b.data)
    xs = items(x) if type(x) is not A else [x]
    ys = items(y) if type(y) is not A else [y]
    return mklist([join(a, b) for a in xs for b in ys])


def q_differ(x: Any) -> Any:
    x = deenum(x)
    if type(x) is V and x.t in (8, 9) and len(x.a) > 0:
        # differ is ~': (tolerant match with the prior item): 96.100000000000009 96.099999999999994 is 10b
        a = x.a.astype(np.float64)
        same = tolerant("=", a[1:], a[:-1]) | (np.isnan(a[1:]) & np.isnan(a[:-1]))
        return V(1, np.concatenate([[True], ~same]).astype(np.bool_))
    lst = keys_of(x)
    out = [True] + [lst[i] != lst[i - 1] for i in range(1, len(lst))]
    if not lst:
        out = []
    return V(1, np.array(out, dtype=np.bool_))


def q_find(x: Any, y: Any) -> Any:
    x, y = deenum(x), deenum(y)
    tx = type(x)
    if tx is D:
        p = find(x.v, y)
        if type(y) is A or type(p) is int:
            return index(x.k, A(7, int(p)))
        return index(x.k, V(7, p))
    if tx is T:
        if type(y) is D:
            return A(7, int(find_rows(x, enlist(y))[0]))
        return V(7, find_rows(x, y))
    if tx is A and x.t in (5, 6, 7) and type(y) in (V, L, A):
        return _roll(x, y)
    if tx is A and x.t in (8, 9):
        return _roll(x, y)
    if tx is V or tx is L:
        if type(y) is L and not (tx is L and any(type(a) is not A for a in x.items)):
            return mklist([q_find(x, a) for a in y.items])
        p = find(x, y)
        if isinstance(p, np.ndarray):
            return V(7, p)
        return A(7, int(p))
    raise QError("type")


_RNG = [np.random.default_rng(0)]


def _roll(n: Any, y: Any) -> Any:
    rng = _RNG[0]
    k = n.v
    if type(y) is A:
        if y.t in (8, 9):
            return V(9, rng.random(abs(k)) * y.v)
        if y.t == 11:
            return _roll_syms(rng, k, y.v)
        if y.t in (1, 2, 4) and y.v == NULLS[y.t]:
            return _roll_any(rng, k, y.t)
        if y.v <= 0:
            raise QError("domain")  # nothing to draw from
        if k < 0:
            if -k > y.v:
                raise QError("length")
            return V(7, rng.permutation(y.v)[:-k].astype(np.int64))
        return V(7 if y.t == 7 else y.t, rng.integers(0, y.v, size=k).astype(DTYPES[y.t if y.t >= 5 else 7]))
    lst_n = count(y)
    idx = rng.permutation(lst_n)[:-k] if k < 0 else rng.integers(0, lst_n, size=k)
    return take_items(y, idx.astype(np.int64))


def _roll_syms(rng: Any, k: int, spec: str) -> V:
    """``k?`n``: symbols of ``n`` (1-8) letters drawn from ``a``-``p`` (deal.md); ``-k?`n`` distinct ones."""
    if not spec.isdigit() or not 1 <= int(spec) <= 8:
        raise QError("domain")
    n = int(spec)
    _room(abs(k))
    if k < 0:
        if -k > 16**n:
            raise QError("length")
        codes = rng.choice(16**n, size=-k, replace=False)
        digits = (codes[:, None] // (16 ** np.arange(n - 1, -1, -1))[None, :]) % 16
    else:
        digits = rng.integers(0, 16, size=(k, n))
    text = np.ascontiguousarray((digits + ord("a")).astype(np.uint8)).view(f"S{n}").reshape(-1)
    return V(11, text.astype(f"U{n}").astype(object))


#: the most symbols or GUIDs one roll makes: each is a Python object here (q's 10^8 would need ~10 GB)
MAX_OBJECT_ITEMS = 10**7


def _room(n: int) -> None:
    if n > MAX_OBJECT_ITEMS:
        raise QError("wsfull")


def _roll_any(rng: Any, k: int, t: int) -> V:
    """``k?0b`` ``k?0x0`` ``k?0Ng``: random booleans, bytes or GUIDs (deal.md); ``-k?0Ng`` distinct GUIDs
    (``-k`` booleans or bytes beyond 2 or 256 distinct ones is ``'length``)."""
    n = abs(k)
    if t == 2:
        _room(n)
        raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
        hexes = [bytes(r).hex() for r in raw]
        uuids = [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in hexes]
        return V(2, np.array(uuids, dtype=object))
    size = 2 if t == 1 else 256
    if k < 0:
        if n > size:
            raise QError("length")
        vals = rng.permutation(size)[:n]
    else:
        vals = rng.integers(0, size, size=n)
    return V(t, vals.astype(np.bool_ if t == 1 else np.uint8))


def q_rand(x: Any) -> Any:
    """``rand x``: ``first 1?x`` (a number below an atom, an item of a list; rand.md)."""
    if type(x) is A and x.t in (5, 6, 7) and 0 < x.v < NULLS[7] * -1:  # the common rand n, without a vector
        return A(x.t, int(_RNG[0].integers(0, x.v)))
    if type(x) is A and x.t in (1, 2, 4, 5, 6, 7, 8, 9, 11):
        r = _roll(A(7, 1), x)
        v = r.a[0]
        v = v.item() if hasattr(v, "item") else v
        return A(r.t, int(v) if r.t in (1, 4) else v)
    if count(x) == 0:
        raise QError("length")
    return item(x, int(_RNG[0].integers(0, count(x))))


def q_match(x: Any, y: Any) -> Any:
    return _bool(match(x, y))


def q_bin(x: Any, y: Any, right: bool = False) -> Any:
    a = x.a if type(x) is V else np.array([v.v for v in items(x)])
    if type(y) is A:
        p = np.searchsorted(a, y.v, side="right") - 1 if not right else np.searchsorted(a, y.v, side="left")
        return A(7, int(p))
    p2 = np.searchsorted(a, y.a, side="right") - 1 if not right else np.searchsorted(a, y.a, side="left")
    return V(7, p2.astype(np.int64))
