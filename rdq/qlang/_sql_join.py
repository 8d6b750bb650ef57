"""The joins the verb table lacks: ``pj`` (plus), ``ej`` (equi), ``aj``/``aj0`` (as-of) and ``asof``.

Semantics follow KX's reference (code.kx.com/q/ref/pj, /ej, /aj, /asof):

- ``t pj kt``: like ``lj``, but the value columns of ``kt`` are *added* to ``t``'s columns of the
  same name; an unmatched row adds zero (``pj`` zero-fills).
- ``ej[c;t1;t2]``: every pair of rows of ``t1`` and ``t2`` equal on the columns ``c``, in ``t1``'s
  order (then ``t2``'s), with ``t2``'s values for common columns.
- ``aj[c;t1;t2]``: for each row of ``t1``, the last row of ``t2`` equal on all of ``c`` but the last
  and with the last column (time) ``<=`` ``t1``'s; its other columns join ``t1``'s row. An unmatched
  row keeps ``t1``'s values (nulls for the new columns). ``aj0`` shows ``t2``'s time instead.
- ``wj[w;c;t;(q;(f0;c0);(f1;c1))]``: for each row ``i`` of ``t``, the rows of ``q`` equal on
  ``c`` but the last with the last (time) column in the window ``w[0;i]``..``w[1;i]`` (both ends
  included); ``fk`` aggregates column ``ck`` over them into a new column ``ck``. ``wj`` also takes the
  quote prevailing on entry to the window (the last at or before its start); ``wj1`` only quotes on or
  after the start. ``(f;c1;c2)`` applies ``f`` to several columns and names the result ``c2``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from rdq.qlang._core import count, item, items, mklist, null_atom, take_items
from rdq.qlang._fn import call
from rdq.qlang._values import A, D, L, QError, T, V

__all__ = ["q_aj", "q_aj0", "q_asof", "q_ej", "q_pj", "q_wj", "q_wj1"]


def _table(x: Any, what: str) -> T:
    if type(x) is T:
        return x
    if type(x) is D and type(x.k) is T and type(x.v) is T:
        return T(list(x.k.cols) + list(x.v.cols), list(x.k.data) + list(x.v.data))
    raise QError("type")


def _names(c: Any) -> list[str]:
    if type(c) is A and c.t == 11:
        return [str(c.v)]
    if type(c) is V and c.t == 11:
        return [str(s) for s in c.a.tolist()]
    raise QError("type")


def _col(t: T, c: str) -> Any:
    try:
        return t.data[t.cols.index(c)]
    except ValueError:
        raise QError(c) from None


def _hkey(x: Any) -> Any:
    """A hashable stand-in for one q item (atoms by value, vectors by their items)."""
    if type(x) is A:
        v = x.v
        return ("n",) if isinstance(v, float) and v != v else v
    if type(x) is V:
        return (x.t, tuple(x.a.tolist()))
    if type(x) is L:
        return tuple(_hkey(i) for i in x.items)
    return repr(x)


def _row_keys(t: T, cols: list[str]) -> list[Any]:
    cs = [_col(t, c) for c in cols]
    per = []
    for c in cs:
        if type(c) is V:
            a = c.a
            per.append(["n" if (a.dtype.kind == "f" and v != v) else v for v in a.tolist()])
        else:
            per.append([_hkey(i) for i in items(c)])
    return list(zip(*per, strict=True)) if per else [() for _ in range(count(t))]


def _take(col: Any, idx: np.ndarray, fill: Any = None) -> Any:
    """``col`` at ``idx``; where ``idx`` is ``-1`` the null of the column (or ``fill``)."""
    miss = idx < 0
    if type(col) is V:
        src = col.a
        if len(src) == 0:
            nv = (fill if fill is not None else null_atom(col.t)).v
            return V(col.t, np.full(len(idx), nv, dtype=src.dtype))
        out = src[np.where(miss, 0, idx)].copy()
        if miss.any():
            out[miss] = (fill if fill is not None else null_atom(col.t)).v
        return V(col.t, out)
    its = items(col)
    blank = fill if fill is not None else _null_of(its)
    return mklist([its[i] if i >= 0 else blank for i in idx.tolist()])


def _null_of(its: list[Any]) -> Any:
    if its and type(its[0]) is A:
        return null_atom(its[0].t)
    if its and type(its[0]) is V:
        return V(its[0].t, its[0].a[:0])
    return L([])


def _zero_of(col: Any) -> A:
    if type(col) is V:
        return A(col.t, col.a.dtype.type(0).item())
    return A(7, 0)


def q_pj(x: Any, y: Any) -> Any:
    """``x pj y``: ``lj`` that adds ``y``'s values to ``x``'s (zero where no key matches)."""
    if not (type(y) is D and type(y.k) is T and type(y.v) is T):
        raise QError("type")
    keyed = type(x) is D and type(x.k) is T
    t = _table(x, "x")
    kc = list(y.k.cols)
    index = {k: i for i, k in reversed(list(enumerate(_row_keys(y.k, kc))))}
    pos = np.asarray([index.get(k, -1) for k in _row_keys(t, kc)], dtype=np.int64)
    cols, data = list(t.cols), list(t.data)
    for c, vcol in zip(y.v.cols, y.v.data, strict=True):
        add = _take(vcol, pos, _zero_of(vcol))
        if c in cols:
            j = cols.index(c)
            old = data[j]
            if type(old) is V and type(add) is V:
                data[j] = V(old.t if old.t == add.t else _sum_type(old.t, add.t), old.a + add.a)
            else:
                data[j] = mklist([_plus(a, b) for a, b in zip(items(old), items(add), strict=True)])
        else:
            cols.append(c)
            data.append(add)
    r = T(cols, data)
    if keyed:
        nk = len(x.k.cols)
        return D(T(cols[:nk], data[:nk]), T(cols[nk:], data[nk:]))
    return r


def _sum_type(a: int, b: int) -> int:
    """The type of ``+`` on two numeric vectors (float wins, else the wider integer)."""
    if 9 in (a, b) or 8 in (a, b):
        return 9
    return max(a, b)


def _plus(a: Any, b: Any) -> Any:
    if type(a) is A and type(b) is A:
        v = a.v + b.v
        return A(9 if isinstance(v, float) else a.t, v)
    raise QError("type")


def q_ej(c: Any, x: Any, y: Any) -> Any:
    """``ej[c;x;y]``: all pairs of rows equal on ``c``, in ``x``'s order, ``y``'s values for common columns."""
    cs = _names(c)
    t1, t2 = _table(x, "x"), _table(y, "y")
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, k in enumerate(_row_keys(t2, cs)):
        groups[k].append(i)
    li: list[int] = []
    ri: list[int] = []
    for i, k in enumerate(_row_keys(t1, cs)):
        for j in groups.get(k, ()):
            li.append(i)
            ri.append(j)
    la, ra = np.asarray(li, dtype=np.int64), np.asarray(ri, dtype=np.int64)
    cols, data = [], []
    for name, col in zip(t1.cols, t1.data, strict=True):
        cols.append(name)
        data.append(_take(col, la))
    for name, col in zip(t2.cols, t2.data, strict=True):
        if name in cs:
            continue
        v = _take(col, ra)
        if name in cols:
            data[cols.index(name)] = v
        else:
            cols.append(name)
            data.append(v)
    return T(cols, data)


def _asof_pos(cs: list[str], t1: T, t2: T) -> np.ndarray:
    """For each row of ``t1``: the last row of ``t2`` equal on ``cs[:-1]`` with ``cs[-1]`` <= t1's; -1 if none."""
    tc = cs[-1]
    t1t, t2t = _col(t1, tc), _col(t2, tc)
    if type(t1t) is not V or type(t2t) is not V:
        raise QError("type")
    n1 = count(t1)
    out = np.full(n1, -1, dtype=np.int64)
    eq = cs[:-1]
    if not eq:
        order = np.argsort(t2t.a, kind="stable")
        p = np.searchsorted(t2t.a[order], t1t.a, side="right") - 1
        out = np.where(p >= 0, order[np.maximum(p, 0)], -1)
        return np.asarray(out, dtype=np.int64)
    g2: dict[Any, list[int]] = defaultdict(list)
    for j, k in enumerate(_row_keys(t2, eq)):
        g2[k].append(j)
    g1: dict[Any, list[int]] = defaultdict(list)
    for i, k in enumerate(_row_keys(t1, eq)):
        g1[k].append(i)
    for k, rows1 in g1.items():
        rows2 = g2.get(k)
        if not rows2:
            continue
        r2 = np.asarray(rows2, dtype=np.int64)
        times = t2t.a[r2]
        order = np.argsort(times, kind="stable")
        r1 = np.asarray(rows1, dtype=np.int64)
        p = np.searchsorted(times[order], t1t.a[r1], side="right") - 1
        out[r1] = np.where(p >= 0, r2[order[np.maximum(p, 0)]], -1)
    return out


def _aj(c: Any, x: Any, y: Any, *, zero: bool) -> Any:
    cs = _names(c)
    t1, t2 = _table(x, "x"), _table(y, "y")
    pos = _asof_pos(cs, t1, t2)
    matched = pos >= 0
    cols, data = list(t1.cols), list(t1.data)
    for name, col in zip(t2.cols, t2.data, strict=True):
        if name in cs and not (zero and name == cs[-1]):
            continue
        new = _take(col, pos)
        if name in cols:
            j = cols.index(name)
            old = data[j]
            if type(old) is V and type(new) is V and old.t == new.t:
                data[j] = V(old.t, np.where(matched, new.a, old.a))
            else:
                o, nw = items(old), items(new)
                data[j] = mklist([nw[i] if matched[i] else o[i] for i in range(len(o))])
        else:
            cols.append(name)
            data.append(new)
    return T(cols, data)


def q_aj(c: Any, x: Any, y: Any) -> Any:
    """``aj[c;t1;t2]``: as-of join, ``t1``'s times."""
    return _aj(c, x, y, zero=False)


def q_aj0(c: Any, x: Any, y: Any) -> Any:
    """``aj0[c;t1;t2]``: as-of join showing ``t2``'s times."""
    return _aj(c, x, y, zero=True)


def q_asof(x: Any, y: Any) -> Any:
    """``t asof d``: the row of keyed/plain table ``t`` as of dict (or table) ``y``; last key is time."""
    t = _table(x, "x")
    if type(y) is D and type(y.k) is V and y.k.t == 11:
        cs = [str(s) for s in y.k.a.tolist()]
        probe = T(cs, [V(v.t, np.asarray([v.v])) if type(v) is A else mklist([v]) for v in items(y.v)])
        pos = _asof_pos(cs, probe, t)
        rest = [c for c in t.cols if c not in cs]
        vals = [item(_take(_col(t, c), pos), 0) for c in rest]
        return D(V(11, np.asarray(rest, dtype=object)), mklist(vals))
    if type(y) is T:
        cs = list(y.cols)
        pos = _asof_pos(cs, y, t)
        rest = [c for c in t.cols if c not in cs]
        return T(rest, [_take(_col(t, c), pos) for c in rest])
    raise QError("type")


def _window_rows(cs: list[str], w: Any, t: T, q: T, *, prevailing: bool) -> list[np.ndarray]:
    """For each row of ``t``: the row indices of ``q`` in its window (see the module docstring)."""
    if type(w) is L and len(w.items) == 2:
        w0, w1 = w.items
    elif type(w) is V and len(w.a) == 2:
        w0, w1 = V(w.t, w.a[:1]), V(w.t, w.a[1:])
    else:
        raise QError("length")
    if type(w0) is not V or type(w1) is not V:
        raise QError("type")
    n = count(t)
    if len(w0.a) != n or len(w1.a) != n:
        raise QError("length")
    qt = _col(q, cs[-1])
    if type(qt) is not V:
        raise QError("type")
    groups: dict[Any, list[int]] = defaultdict(list)
    for j, k in enumerate(_row_keys(q, cs[:-1])):
        groups[k].append(j)
    sorted_groups: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    for k, grp in groups.items():
        r = np.asarray(grp, dtype=np.int64)
        order = np.argsort(qt.a[r], kind="stable")
        sorted_groups[k] = (r[order], qt.a[r][order])
    empty = np.zeros(0, dtype=np.int64)
    out: list[np.ndarray] = []
    for i, k in enumerate(_row_keys(t, cs[:-1])):
        g = sorted_groups.get(k)
        if g is None:
            out.append(empty)
            continue
        rows, times = g
        b, e = w0.a[i], w1.a[i]
        hi = int(np.searchsorted(times, e, side="right"))
        if prevailing:
            lo = max(int(np.searchsorted(times, b, side="right")) - 1, 0)
        else:
            lo = int(np.searchsorted(times, b, side="left"))
        out.append(rows[lo:hi] if lo < hi else empty)
    return out


def _wj(w: Any, c: Any, t: Any, spec: Any, *, prevailing: bool) -> Any:
    cs = _names(c)
    tt = _table(t, "t")
    if type(spec) is not L or not spec.items:
        raise QError("type")
    q = _table(spec.items[0], "q")
    wins = _window_rows(cs, w, tt, q, prevailing=prevailing)
    cols, data = list(tt.cols), list(tt.data)
    for agg in spec.items[1:]:
        parts = agg.items if type(agg) is L else None
        if not parts or len(parts) < 2:
            raise QError("type")
        f = parts[0]
        names = [_names(p)[0] for p in parts[1:]]
        srcs = [_col(q, nm) for nm in names]
        vals = [call(f, [take_items(sc, r) for sc in srcs]) for r in wins]
        new = mklist(vals) if vals else take_items(srcs[-1], np.zeros(0, dtype=np.int64))
        name = names[-1]
        if name in cols:
            data[cols.index(name)] = new
        else:
            cols.append(name)
            data.append(new)
    return T(cols, data)


def q_wj(args: list[Any]) -> Any:
    """``wj[w;c;t;(q;(f0;c0);(f1;c1))]``: window join, with the quote prevailing at each window's start."""
    if len(args) != 4:
        raise QError("rank")
    return _wj(*args, prevailing=True)


def q_wj1(args: list[Any]) -> Any:
    """``wj1[w;c;t;(q;(f0;c0);(f1;c1))]``: window join over the quotes inside each window only."""
    if len(args) != 4:
        raise QError("rank")
    return _wj(*args, prevailing=False)
