"""Dictionary and table verbs: ``!`` (dict), ``key cols keys xkey xcol xcols xasc ungroup insert upsert meta``, and the joins ``lj ij uj``."""

from __future__ import annotations

from typing import Any

import numpy as np

from rdq.qlang._core import (
    EMPTY,
    _syms,
    count,
    empty_like,
    enlist,
    item,
    items,
    mklist,
    null_atom,
    take_items,
)
from rdq.qlang._files import files_of
from rdq.qlang._fn import call, enlist_n
from rdq.qlang._index import _kt_upsert, find_rows, index, join
from rdq.qlang._ns_value import namespace_names
from rdq.qlang._v_list import _sort_keys, q_group, q_idesc, q_rank, q_til
from rdq.qlang._values import TYPE_CHARS, A, D, E, L, QError, T, V

__all__ = [
    "make_upsert",
    "q_cols",
    "q_dict",
    "q_fby",
    "q_insert",
    "q_key",
    "q_key_in",
    "q_keys",
    "q_meta",
    "q_ungroup",
    "q_xasc",
    "q_xcol",
    "q_xcols",
    "q_xkey",
    "q_xrank",
]


def q_key(x: Any) -> Any:
    if type(x) is E:
        return A(11, x.dom)
    if type(x) is D:
        return x.k
    if type(x) is T:
        return _syms([]) if True else x
    if type(x) is A and x.t in (1, 4, 5, 6, 7):
        return q_til(x)
    if type(x) is A and x.t == 11:
        return x
    if type(x) is V:  # a vector: the name of its type (key.md)
        return A(11, _TYPE_NAMES.get(x.t, ""))
    raise QError("type")


_TYPE_NAMES = {
    1: "boolean",
    2: "guid",
    4: "byte",
    5: "short",
    6: "int",
    7: "long",
    8: "real",
    9: "float",
    10: "char",
    11: "symbol",
    12: "timestamp",
    13: "month",
    14: "date",
    15: "datetime",
    16: "timespan",
    17: "minute",
    18: "second",
    19: "time",
}


_SYS_NS = ["q", "Q", "h", "j", "o"]


def q_key_in(interp: Any, x: Any) -> Any:
    """``key`` with the session: `` key ` `` lists the namespaces, `` key `.ns `` a namespace's names."""
    if type(x) is A and x.t == 11 and x.v == ".":
        return _syms(namespace_names(interp, "."))  # key `. : the globals
    if type(x) is A and x.t == 11 and (x.v == "" or x.v.startswith(".")):
        if x.v == "":
            kids = [k[1:].split(".", 1)[0] for k in interp.g if k[:1] == "." and "." in k[1:]]
            return _syms(_SYS_NS + [k for k in dict.fromkeys(kids) if k and k not in _SYS_NS])
        kids = namespace_names(interp, x.v)
        if kids:
            return _syms([""] + kids)
    if type(x) is A and x.t == 11 and x.v and not x.v.startswith(":"):
        # a name: a dictionary's or keyed table's key, the name itself if defined, else () (key.md)
        try:
            v = interp.lookup(x.v, None)
        except QError:
            return L([])
        return v.k if type(v) is D else x
    if type(x) is A and x.t == 11 and x.v.startswith(":"):
        return files_of(interp).key(x)  # a folder's entries, a file's name, or () (key.md)
    return q_key(x)


def q_dict(x: Any, y: Any) -> Any:
    if type(x) is A and x.t in (5, 6, 7) and type(y) is D and type(y.k) is T:
        y = _unkey(y)
    if type(x) is A and x.t in (1, 4, 5, 6, 7) and type(y) is T:
        k = x.v
        if k == 0:
            return y
        return D(T(y.cols[:k], y.data[:k]), T(y.cols[k:], y.data[k:]))
    if type(x) is A and x.t in (5, 6, 7) and type(y) is D and type(y.k) is T:
        return q_dict(x, _unkey(y))
    if type(x) is A:
        x2: Any = enlist(x)
    else:
        x2 = x
    y2 = y if type(y) is not A else (_extend_atom(y, count(x2)))
    if count(x2) != count(y2):
        raise QError("length")
    return D(x2, y2)


def _extend_atom(y: A, n: int) -> Any:

    return enlist_n(y, n)


def _unkey(x: D) -> T:
    return T(list(x.k.cols) + list(x.v.cols), list(x.k.data) + list(x.v.data))


def q_cols(x: Any) -> Any:
    if type(x) is T:
        return _syms(x.cols)
    if type(x) is D and type(x.k) is T:
        return _syms(x.k.cols + x.v.cols)
    raise QError("type")


def q_keys(x: Any) -> Any:
    if type(x) is D and type(x.k) is T:
        return _syms(x.k.cols)
    return _syms([])


def col_names(x: Any) -> list[str]:
    """The column names a keyword's left argument gives (a symbol or symbols); ``'type`` for anything else."""
    if type(x) is A and x.t == 11:
        return [x.v]
    if type(x) is V and x.t == 11:
        return [str(c) for c in x.a.tolist()]
    if type(x) is L and not x.items:
        return []
    raise QError("type")


def need_table(t: Any, keyed: bool = True) -> None:
    """``'type`` unless ``t`` is a table (or, where ``keyed``, a keyed table)."""
    if not (type(t) is T or (keyed and type(t) is D and type(t.k) is T)):
        raise QError("type")


def col_index(t: T, c: str) -> int:
    """Where column ``c`` is in ``t``; a missing column is the q error of its name."""
    if c not in t.cols:
        raise QError(c)
    return t.cols.index(c)


def q_xkey(k: Any, t: Any) -> Any:
    need_table(t)
    if type(t) is D and type(t.k) is T:
        t = _unkey(t)
    ks = col_names(k)
    if not ks:
        return t
    kc = [col_index(t, c) for c in ks]
    rest = [j for j in range(len(t.cols)) if j not in kc]
    return D(
        T([t.cols[j] for j in kc], [t.data[j] for j in kc]),
        T([t.cols[j] for j in rest], [t.data[j] for j in rest]),
    )


def q_xcol(names: Any, t: Any) -> Any:
    need_table(t)
    if type(t) is D and type(t.k) is T:
        allc = q_xcol(names, _unkey(t))
        nk = len(t.k.cols)
        return D(T(allc.cols[:nk], allc.data[:nk]), T(allc.cols[nk:], allc.data[nk:]))
    if type(names) is D:
        m = {a.v: b.v for a, b in zip(items(names.k), items(names.v), strict=True)}
        return T([m.get(c, c) for c in t.cols], list(t.data))
    ns = col_names(names)
    if len(ns) > len(t.cols):
        raise QError("length")
    return T(ns + t.cols[len(ns) :], list(t.data))


def q_xcols(names: Any, t: Any) -> Any:
    need_table(t, keyed=False)
    ns = col_names(names)
    order = ns + [c for c in t.cols if c not in ns]
    return T(order, [t.data[col_index(t, c)] for c in order])


def table_of(interp: Any, t: Any) -> Any:
    """A table given as itself, by name (`` `t ``) or as a file (`` `:db/t ``): ``cols`t``, ``meta`:db/t``."""
    if type(t) is A and t.t == 11:
        return files_of(interp).get(t) if t.v.startswith(":") else interp.lookup(t.v, None)
    return t


def by_name(interp: Any, t: Any, fn: Any) -> Any:
    """``fn`` on table ``t``; a name (`` `t ``) or a file (`` `:db/t ``) is replaced in place and returned
    (`` `c xasc `t ``: asc.md, "the table is sorted in place when passed by name")."""
    new = fn(table_of(interp, t))
    if type(t) is not A or t.t != 11:
        return new
    if t.v.startswith(":"):
        fs = files_of(interp)
        splayed = fs.path(t).is_dir()  # written back the way it was: splayed or one file
        fs.set(A(11, t.v.rstrip("/") + ("/" if splayed else "")), new)
    else:
        interp.g[t.v] = new
    return t


def q_xasc(c: Any, t: Any, desc: bool = False) -> Any:
    need_table(t)
    keyed = type(t) is D and type(t.k) is T
    tt = _unkey(t) if keyed else t
    ns = col_names(c)
    sub = T(ns, [tt.data[col_index(tt, n)] for n in ns])
    o = q_idesc(sub).a if desc else _sort_keys(sub)
    r = take_items(tt, o)
    if not desc and ns and ns[0] in r.cols:
        # "The sorted attribute is set on the first column given" (code.kx.com/q/ref/asc/#xasc)
        j = r.cols.index(ns[0])
        c0 = r.data[j]
        if type(c0) is V:
            r.data[j] = V(c0.t, c0.a, "s")
    if keyed:
        return q_xkey(_syms(t.k.cols), r)
    return r


def q_ungroup(t: Any) -> Any:
    need_table(t)
    if type(t) is D:
        t = _unkey(t)
    n = count(t)
    rows = []
    for i in range(n):
        r = [item(c, i) for c in t.data]
        lens = [count(v) for v in r if type(v) in (V, L)]
        m = lens[0] if lens else 1
        for j in range(m):
            rows.append([item(v, j) if type(v) in (V, L) else v for v in r])
    return T(list(t.cols), [mklist([r[k] for r in rows]) for k in range(len(t.cols))])


def q_insert(interp: Any, name: Any, rows: Any) -> Any:
    if name.v not in interp.g and (type(rows) is T or (type(rows) is D and type(rows.k) is T)):
        interp.g[name.v] = rows
        return V(7, np.arange(count(rows), dtype=np.int64))
    t = interp.lookup(name.v, None)
    n0 = count(t)
    new = _upsert(t, rows, insert=True)
    interp.g[name.v] = new
    n1 = count(new)
    return V(7, np.arange(n0, n1, dtype=np.int64))


def _row_table(t: Any, rows: Any) -> T:
    cols = t.cols if type(t) is T else t.k.cols + t.v.cols
    if type(rows) is T:
        return rows
    if type(rows) is D:
        return enlist(rows)
    lst = items(rows)
    if lst and all(type(a) is A for a in lst):
        return T(list(cols), [enlist(a) for a in lst])
    if lst and all(type(a) is L and len(a.items) == len(cols) for a in lst):
        return T(list(cols), [mklist([r.items[j] for r in lst]) for j in range(len(cols))])
    return T(list(cols), [a if type(a) is not A else enlist(a) for a in lst])


def _upsert(t: Any, rows: Any, *, insert: bool = False) -> Any:
    if type(t) is D and type(t.k) is T and type(rows) is D and type(rows.k) is T:
        if insert:
            pos = find_rows(t.k, rows.k)
            if (pos < count(t.k)).any():
                raise QError("insert")
        return _kt_upsert(t, rows)  # a keyed table upserts by key
    if type(t) is T and type(rows) is D and type(rows.k) is T:
        rows = _unkey(rows)  # a keyed table's rows append to a simple table
    if type(t) is D and type(t.k) is T:
        rt = _row_table(t, rows)
        kt = q_xkey(_syms(t.k.cols), rt)
        if insert:
            pos = find_rows(t.k, kt.k)
            if (pos < count(t.k)).any():
                raise QError("insert")
        return _kt_upsert(t, kt)
    if type(t) is T:
        rt = _row_table(t, rows)
        if type(rows) is T and set(rt.cols) < set(t.cols):
            n = count(rt)
            full = []
            for c, col in zip(t.cols, t.data, strict=True):
                if c in rt.cols:
                    full.append(rt.data[rt.cols.index(c)])
                elif type(col) is V:
                    full.append(enlist_n(null_atom(col.t), n))
                else:
                    full.append(mklist([EMPTY] * n))
            rt = T(list(t.cols), full)
        if insert:
            for c, col in zip(t.cols, t.data, strict=True):
                other = rt.data[rt.cols.index(c)]
                if type(col) is V and type(other) is V and col.t != other.t and count(t) > 0:
                    raise QError("type")
        return join(t, rt)
    if type(t) is A and t.t == 11:
        raise QError("type")
    return join(t, rows)


def make_upsert(interp: Any) -> Any:
    def up(t: Any, rows: Any) -> Any:  # by name or a file (upsert.md): replaced in place
        return by_name(interp, t, lambda cur: _upsert(cur, rows))

    return up


def q_meta(t: Any) -> Any:
    if type(t) is D and type(t.k) is T:
        t = _unkey(t)
    if type(t) is not T:
        raise QError("type")

    tc = []
    fk = []
    for c in t.data:
        dom = c.g.get(c.dom) if type(c) is E else None
        fk.append(c.dom if type(dom) in (D, T) else "")
        if type(c) is E:
            # a foreign key shows its key's type; a link column (`t!i) its int indices
            if type(dom) is D and type(dom.k) is T and dom.k.data and type(dom.k.data[0]) is V:
                tc.append(TYPE_CHARS.get(dom.k.data[0].t, " "))
            else:
                tc.append("i" if type(dom) is T else "s")
        elif type(c) is V:
            tc.append(TYPE_CHARS.get(c.t, " "))
        else:
            its = c.items
            if its and type(its[0]) is V:
                tc.append(TYPE_CHARS.get(its[0].t, " ").upper())
            else:
                tc.append(" ")
    k = T(["c"], [_syms(list(t.cols))])
    v = T(
        ["t", "f", "a"],
        [
            V(10, np.array([ord(c) for c in tc], dtype=np.uint8)),
            _syms(fk),
            _syms([getattr(c, "attr", "") for c in t.data]),
        ],
    )
    return D(k, v)


def q_xrank(n: Any, x: Any) -> Any:
    r = q_rank(x)
    m = count(x)
    return V(7, (n.v * r.a) // max(m, 1))


def q_fby(x: Any, y: Any) -> Any:
    if type(x) is not L or len(x.items) != 2:
        raise QError("type")  # (aggregate;values) fby groups
    f, vals = items(x)
    if count(vals) != count(y):
        raise QError("length")
    g = q_group(y)
    out: list[Any] = [None] * count(y)
    for idxs in items(g.v):
        r = call(f, [index(vals, idxs)])
        for i in idxs.a.tolist():
            out[i] = r
    return mklist(out)


def _uj(x: Any, y: Any) -> Any:
    if type(x) is L and not x.items:  # ()uj t is t (q.k)
        return y
    if type(y) is L and not y.items:
        return x
    need_table(x)
    need_table(y)
    if (type(x) is T) != (type(y) is T):
        raise QError("type")
    if type(x) is D and type(y) is D and type(x.k) is T:
        # rows of y whose key is in x update only y's columns (code.kx.com/q/ref/uj)
        return _kt_upsert(D(x.k, _uj(x.v, _empty_cols(y.v))), y)
    cols = list(x.cols) + [c for c in y.cols if c not in x.cols]
    nx, ny = count(x), count(y)

    def col(t: T, c: str, n: int, other: T) -> Any:
        if c in t.cols:
            return t.data[t.cols.index(c)]
        o = other.data[other.cols.index(c)]
        if type(o) is V:
            return enlist_n(null_atom(o.t), n) if n else empty_like(o)
        return L([EMPTY] * n) if False else mklist([_null_item(o)] * n)

    return T(cols, [join(col(x, c, nx, y), col(y, c, ny, x)) for c in cols])


def _null_item(o: Any) -> Any:
    if type(o) is L and o.items:
        f = o.items[0]
        if type(f) is V:
            return empty_like(f)
        if type(f) is A:
            return null_atom(f.t)
    return EMPTY


def _empty_cols(t: T) -> T:
    return T(list(t.cols), [empty_like(c) for c in t.data])


def _lj(x: Any, y: Any) -> Any:
    need_table(x)
    if not (type(y) is D and type(y.k) is T):
        raise QError("type")
    keyed = type(x) is D and type(x.k) is T
    t = _unkey(x) if keyed else x
    kc = y.k.cols
    sub = T(kc, [t.data[t.cols.index(c)] for c in kc])
    pos = find_rows(y.k, sub)
    n = count(y.k)
    cols = list(t.cols)
    data = list(t.data)
    for c, vcol in zip(y.v.cols, y.v.data, strict=True):
        vals = []
        old = data[cols.index(c)] if c in cols else None
        for i, p in enumerate(pos.tolist()):
            if p < n:
                vals.append(item(vcol, p))
            elif old is not None:
                vals.append(item(old, i))
            else:
                vals.append(null_atom(vcol.t) if type(vcol) is V else EMPTY)
        newc = mklist(vals) if vals else empty_like(vcol)
        if c in cols:
            data[cols.index(c)] = newc
        else:
            cols.append(c)
            data.append(newc)
    r = T(cols, data)
    if keyed:
        return q_xkey(_syms(x.k.cols), r)
    return r


def _ij(x: Any, y: Any) -> Any:
    need_table(x, keyed=False)
    if not (type(y) is D and type(y.k) is T):
        raise QError("type")
    t = x
    kc = y.k.cols
    sub = T(kc, [t.data[t.cols.index(c)] for c in kc])
    pos = find_rows(y.k, sub)
    keep = np.flatnonzero(pos < count(y.k))
    r = _lj(take_items(t, keep), y)
    return r
