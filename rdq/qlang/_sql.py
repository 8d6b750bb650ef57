"""qSQL: ``select / exec / update / delete`` templates and their functional forms ``?[t;c;b;a]``, ``![t;c;b;a]``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rdq.qlang._core import count, empty_like, item, items, mklist, null_atom, take_items
from rdq.qlang._fn import call, enlist_n
from rdq.qlang._index import find_rows, keys_of
from rdq.qlang._parser import _infer_name
from rdq.qlang._v_list import _sort_keys, q_distinct, q_last
from rdq.qlang._v_table import col_index, col_names, need_table, q_xkey
from rdq.qlang._v_take import _dict_drop_keys, _take
from rdq.qlang._values import A, D, E, Fn, L, QError, T, V

__all__ = ["run_sql", "functional_select", "functional_update", "eval_ptree"]

Evaluator = Callable[[dict[str, Any]], Any]


def _syms(names: list[str]) -> V:
    return V(11, np.array(names, dtype=object))


def _unkey(t: Any) -> tuple[T, list[str]]:
    if type(t) is D and type(t.k) is T and type(t.v) is T:
        return T(list(t.k.cols) + list(t.v.cols), list(t.k.data) + list(t.v.data)), list(t.k.cols)
    if type(t) is T:
        return t, []
    raise QError("type")


def _env(t: T, base: dict[str, Any] | None, rows: np.ndarray | None = None) -> dict[str, Any]:
    env = dict(base) if base else {}
    for c, d in zip(t.cols, t.data, strict=True):
        env[c] = d
        if type(d) is E:  # a foreign key: c.v is column v of the row each key refers to
            kt = d.g.get(d.dom)
            if type(kt) is D and type(kt.k) is T and type(kt.v) is T:
                for vc, vd in zip(kt.v.cols, kt.v.data, strict=True):
                    env[c + "." + vc] = take_items(vd, d.a)
    n = count(t)
    env["i"] = V(7, rows if rows is not None else np.arange(n, dtype=np.int64))
    return env


def _filter(t: T, wheres: list[Evaluator], base: dict[str, Any] | None) -> np.ndarray:
    idx = np.arange(count(t), dtype=np.int64)
    cur = t
    for w in wheres:
        m = w(_env(cur, base, idx))
        if type(m) is A:
            keep = np.arange(count(cur)) if m.v else np.array([], dtype=np.int64)
        elif type(m) is V and m.t == 1:
            keep = np.flatnonzero(m.a)
        elif type(m) is V and m.t in (5, 6, 7):
            keep = m.a.astype(np.int64)
        else:
            raise QError("type")
        idx = idx[keep]
        cur = take_items(t, idx)
    return idx


def _extend(v: Any, n: int) -> Any:
    if type(v) is A:
        return enlist_n(v, n)
    return v


def _groups(
    t: T, bys: list[tuple[str, Evaluator]], base: dict[str, Any] | None, rows: np.ndarray
) -> tuple[T, list[np.ndarray]]:
    env = _env(t, base, rows)
    keys = [(name, _extend(ev(env), count(t))) for name, ev in bys]

    if len(keys) == 1 and type(keys[0][1]) is V and keys[0][1].a.dtype.kind in "iub" and count(keys[0][1]):
        # one integral key vector (longs, ints, dates, booleans, ...): group in numpy, rows kept in order
        _, first, inv = np.unique(keys[0][1].a, return_index=True, return_inverse=True)
        order = np.argsort(inv.reshape(-1), kind="stable")
        gl = np.split(order, np.cumsum(np.bincount(inv.reshape(-1)))[:-1])
        firsts = first.tolist()
    else:
        kl = list(zip(*[keys_of(k) for _, k in keys], strict=True)) if keys else []
        groups: dict[Any, list[int]] = {}
        for i, k in enumerate(kl):
            groups.setdefault(k, []).append(i)
        firsts = [g[0] for g in groups.values()]
        gl = [np.array(g, dtype=np.int64) for g in groups.values()]
    ktab = T(
        [n for n, _ in keys],
        [take_items(k, np.array(firsts, dtype=np.int64)) if firsts else empty_like(k) for _, k in keys],
    )
    # q sorts the groups by key

    if count(ktab):
        o = _sort_keys(ktab)
        ktab = take_items(ktab, o)
        gl = [gl[j] for j in o.tolist()]
    return ktab, gl


def select(
    tab: Any,
    *,
    wheres: list[Evaluator],
    by: list[tuple[str, Evaluator]] | None,
    cols: list[tuple[str, Evaluator]],
    base: dict[str, Any] | None,
    kind: str = "select",
    limit: Any = None,
) -> Any:
    t, kcols = _unkey(tab)
    idx = _filter(t, wheres, base)
    sub = take_items(t, idx) if len(idx) != count(t) else t
    if by is None:
        if not cols:
            if kind == "exec":
                return _cols_dict(sub)
            res: Any = sub
            if kcols:
                res = q_xkey(_syms(kcols), sub)
            return _limit(res, limit)
        env = _env(sub, base, idx)
        vals = [(n, ev(env)) for n, ev in cols]
        if kind == "exec":
            if len(vals) == 1 and cols[0][0] == "":
                return vals[0][1]
            return D(_syms([n or "x" for n, _ in vals]), mklist([v for _, v in vals]))
        n = max([count(v) for _, v in vals if type(v) is not A] or [1])
        if all(type(v) is A for _, v in vals):
            n = 1
        return _limit(T([nm or "x" for nm, _ in vals], [_extend(v, n) for _, v in vals]), limit)
    ktab, gl = _groups(sub, by, base, idx)
    if not cols:
        # last row of each group
        cols_left = [c for c in sub.cols if c not in ktab.cols]
        data = [
            take_items(sub.data[sub.cols.index(c)], np.array([g[-1] for g in gl], dtype=np.int64))
            for c in cols_left
        ]
        if kind == "exec":
            return D(ktab, T(cols_left, data))
        return D(ktab, T(cols_left, data))
    outs: list[list[Any]] = [[] for _ in cols]
    for g in gl:
        gt = take_items(sub, g)
        env = _env(gt, base, idx[g])
        for j, (_n, ev) in enumerate(cols):
            outs[j].append(ev(env))
    data = [mklist(o) if o else L([]) for o in outs]
    if kind == "exec":
        if len(cols) == 1 and cols[0][0] == "":
            kv = ktab.data[0] if len(ktab.cols) == 1 else ktab
            return D(kv, data[0])
        return D(
            ktab.data[0] if len(ktab.cols) == 1 else ktab,
            mklist([D(_syms([n or "x" for n, _ in cols]), mklist(list(r))) for r in zip(*data, strict=True)])
            if False
            else T([n or "x" for n, _ in cols], data),
        )
    return D(ktab, T([n or "x" for n, _ in cols], data))


def _limit(t: Any, limit: Any) -> Any:
    if limit is None:
        return t

    if type(limit) is A:
        k = limit.v
        n = count(t)
        k = min(k, n) if k >= 0 else max(k, -n)
        return _take(A(7, k), t)
    s, ln = [a.v for a in items(limit)]
    return take_items(t, np.arange(s, min(s + ln, count(t)), dtype=np.int64))


def _cols_dict(t: T) -> D:
    return D(_syms(list(t.cols)), L(list(t.data)))


def update(
    tab: Any,
    *,
    wheres: list[Evaluator],
    by: list[tuple[str, Evaluator]] | None,
    cols: list[tuple[str, Evaluator]],
    base: dict[str, Any] | None,
) -> Any:
    t, kcols = _unkey(tab)
    n = count(t)
    idx = _filter(t, wheres, base)
    sub = take_items(t, idx) if len(idx) != n else t
    newcols: dict[str, Any] = {}
    if by is None:
        env = _env(sub, base, idx)
        for name, ev in cols:
            newcols[name] = _extend(ev(env), count(sub))
    else:
        ktab, gl = _groups(sub, by, base, idx)
        parts: dict[str, list[Any]] = {name: [None] * count(sub) for name, _ in cols}
        for g in gl:
            gt = take_items(sub, g)
            env = _env(gt, base, idx[g])
            for name, ev in cols:
                v = _extend(ev(env), len(g))
                vi = items(v)
                for k, r in enumerate(g.tolist()):
                    parts[name][r] = vi[k]
        for name in parts:
            newcols[name] = mklist(parts[name])
    cnames = list(t.cols)
    data = list(t.data)
    full = len(idx) == n and (idx == np.arange(n)).all()
    for name, v in newcols.items():
        if full:
            nv = v
        else:
            old = data[cnames.index(name)] if name in cnames else None
            if old is None:
                proto = v.items[0] if type(v) is L and v.items else (item(v, 0) if count(v) else A(7, 0))
                old = (
                    _extend(null_atom(proto.t) if type(proto) is A else proto, n)
                    if type(proto) is A
                    else mklist([empty_like(proto)] * n)
                )
            lst = list(items(old))
            vi = items(v)
            for k, r in enumerate(idx.tolist()):
                lst[r] = vi[k]
            nv = mklist(lst) if lst else old
            if type(old) is V and type(nv) is L:
                raise QError("type")
        if name in cnames:
            data[cnames.index(name)] = nv
        else:
            cnames.append(name)
            data.append(nv)
    res: Any = T(cnames, data)
    if kcols:
        res = q_xkey(_syms(kcols), res)
    return res


def delete(tab: Any, *, wheres: list[Evaluator], cols: list[str], base: dict[str, Any] | None) -> Any:
    if type(tab) is D and type(tab.k) is not T and cols:
        return _dict_drop_keys(tab, _syms(cols))  # delete from a dictionary: its keys (delete.md)
    t, kcols = _unkey(tab)
    if cols:
        res: Any = T(
            [c for c in t.cols if c not in cols],
            [d for c, d in zip(t.cols, t.data, strict=True) if c not in cols],
        )
    else:
        idx = _filter(t, wheres, base) if wheres else np.arange(count(t), dtype=np.int64)
        keep = np.setdiff1d(np.arange(count(t), dtype=np.int64), idx)
        res = take_items(t, keep)
    if kcols:
        kk = [c for c in kcols if c in res.cols]
        if kk:
            res = q_xkey(_syms(kk), res)
    return res


# -- the template (parsed syntax) ------------------------------------------------------


def _name_of(node: Any) -> str:

    return _infer_name(node) or "x"


def _unique_names(cols: list[Any], cspecs: list[Any], by: Any, bspecs: Any) -> tuple[list[Any], Any]:
    """Computed names made unique as q does (basics/qsql, computed columns): a name already in use gets 1, 2, ...
    appended (``select c1, c1`` is ``c1 c11``); a column named as a group is ``'dup names for cols/groups``."""

    def dedupe(phrase: list[Any], specs: list[Any]) -> list[Any]:
        named = [nm for nm, e in phrase if e is not None]
        used: set[str] = set()
        out = []
        for explicit, (name, ev) in zip(named, specs, strict=True):
            if explicit is None and name in used:
                k = 1
                while f"{name}{k}" in used:
                    k += 1
                name = f"{name}{k}"
            used.add(name)
            out.append((name, ev))
        return out

    cspecs = dedupe(cols, cspecs)
    if bspecs is None:
        return cspecs, None
    bspecs = dedupe(by, bspecs)
    groups = {name for name, _ in bspecs}
    for name, _ in cspecs:
        if name in groups:
            raise QError(f"dup names for cols/groups {name}")
    return cspecs, bspecs


def run_sql(interp: Any, n: Any, loc: dict[str, Any] | None) -> Any:
    _, kind, cols, by, frm, where, limit = n
    src = interp.ev(frm, loc)
    target = None
    if kind == "delete" and type(src) is A and src.t == 11 and src.v in (".", ""):
        # delete a from `.: the global a is gone (delete.md)
        for _nm, e in cols:
            if e is not None and e[0] == "v":
                interp.g.pop(e[1], None)
        return A(11, ".")
    if type(src) is A and src.t == 11:
        target = src.v
        src = interp.lookup(src.v, None)
    base = loc

    def mk(node: Any) -> Evaluator:
        return lambda env: interp.ev(node, env)

    wheres = [mk(w) for w in where if w is not None]
    if kind == "delete":
        names = []
        for _nm, e in cols:
            if e is None:
                continue
            if e[0] == "v":
                names.append(e[1])
            else:
                raise QError("nyi")
        r = delete(src, wheres=wheres, cols=names, base=base)
    else:
        cspecs = []
        for nm, e in cols:
            if e is None:
                continue
            cspecs.append(
                (nm if nm is not None else ("" if kind == "exec" and len(cols) == 1 else _name_of(e)), mk(e))
            )
        bspecs = None
        if by is not None:
            bspecs = [(nm if nm is not None else _name_of(e), mk(e)) for nm, e in by if e is not None]
        if kind == "select":
            cspecs, bspecs = _unique_names(cols, cspecs, by, bspecs)
        if kind == "update":
            r = update(src, wheres=wheres, by=bspecs, cols=cspecs, base=base)
        elif kind == "exec" and not cspecs and bspecs is None:  # exec from t: its last row (ref/exec)
            r = q_last(select(src, wheres=wheres, by=None, cols=[], base=base))
        else:
            lim = interp.ev(limit, loc) if limit is not None else None
            r = select(src, wheres=wheres, by=bspecs, cols=cspecs, base=base, kind=kind, limit=lim)
    if target is not None and kind in ("update", "delete"):
        interp.g[target] = r
        return A(11, target)
    return r


# -- functional forms ------------------------------------------------------------------


def eval_ptree(interp: Any, x: Any, env: dict[str, Any]) -> Any:
    """Evaluate a parse tree (as built by ``parse``) with columns in ``env``."""

    if type(x) is A and x.t == 11:
        if x.v in env:
            return env[x.v]
        return interp.lookup(x.v, None)
    if type(x) is V and x.t == 11:
        if len(x.a) == 1:
            return A(11, x.a[0])  # enlist quotes a symbol
        return x
    if type(x) is L and len(x.items) == 1:
        return x.items[0]
    if type(x) is L and x.items:
        f = x.items[0]
        if type(f) is L and f.items:  # ((/;+);x): the head is a parse tree of a function
            f = eval_ptree(interp, f, env)
        if isinstance(f, Fn) or (type(f) is A and f.t == 11):
            fn = f if isinstance(f, Fn) else eval_ptree(interp, f, env)
            args = [eval_ptree(interp, a, env) for a in reversed(x.items[1:])][::-1]  # right to left, as q
            return call(fn, args)
        return mklist([eval_ptree(interp, a, env) for a in x.items])
    return x


def _ptree_ev(interp: Any, tree: Any) -> Evaluator:
    def ev(env: dict[str, Any]) -> Any:
        return eval_ptree(interp, tree, env)

    return ev


def _fcols(interp: Any, a: Any) -> list[tuple[str, Evaluator]]:
    if type(a) is D:
        out = []
        for k, v in zip(items(a.k), items(a.v), strict=True):
            out.append((k.v, _ptree_ev(interp, v)))
        return out
    return []


def functional_select(interp: Any, args: list[Any]) -> Any:
    t, c, b, a = args[:4]
    if type(t) is A and t.t == 11:
        t = interp.lookup(t.v, None)
    wheres = [_ptree_ev(interp, cc) for cc in items(c)] if count(c) else []
    if type(c) is L and not c.items:
        wheres = []
    by: list[tuple[str, Evaluator]] | None
    kind = "select"
    if type(b) is A and b.t == 1:
        by = None
        if b.v:
            # distinct
            r = select(t, wheres=wheres, by=None, cols=_fcols(interp, a), base=None)

            return q_distinct(r)
    elif type(b) is D:
        by = _fcols(interp, b)
    elif type(b) is A and b.t == 11:
        by = [("", _ptree_ev(interp, b))]
        kind = "exec"
    elif type(b) is V and b.t == 11:
        by = [(s, _ptree_ev(interp, A(11, s))) for s in b.a.tolist()]
        kind = "exec"
    elif type(b) is L and not b.items:
        by = None
        kind = "exec"
    else:
        raise QError("type")
    if kind == "exec":
        if type(a) is L and not a.items:
            cols: list[tuple[str, Evaluator]] = []
            if not by:
                sub = select(t, wheres=wheres, by=None, cols=[], base=None)
                return q_last(sub)
        elif type(a) is D:
            cols = _fcols(interp, a)
            if by:
                return select(t, wheres=wheres, by=by, cols=cols, base=None)
        else:
            cols = [("", _ptree_ev(interp, a))]
        return select(t, wheres=wheres, by=by, cols=cols, base=None, kind="exec")
    if type(a) is A and a.t == 11 and by is not None:
        cols = [("", _ptree_ev(interp, a))]
    else:
        cols = _fcols(interp, a)
    limit = args[4] if len(args) > 4 else None
    if len(args) > 5:
        r = select(t, wheres=wheres, by=by, cols=cols, base=None)
        g = args[5]
        if type(g) is L and len(g.items) == 1 and type(g.items[0]) is L:
            g = g.items[0]  # ,(<:;`c) as parse prints it
        order = eval_ptree(interp, g, _env(r, None)) if type(r) is T else None
        if order is not None:
            r = take_items(r, order.a.astype(np.int64))
        if limit is not None and not (type(limit) is A and limit.v >= 2**63 - 1):
            r = _limit(r, limit)
        return r
    return select(t, wheres=wheres, by=by, cols=cols, base=None, limit=limit)


def functional_update(interp: Any, args: list[Any]) -> Any:
    t, c, b, a = args[:4]
    target = None
    if type(t) is A and t.t == 11:
        target = t.v
        t = interp.lookup(t.v, None)
    wheres = [_ptree_ev(interp, cc) for cc in items(c)] if count(c) else []
    if type(a) is D:
        by = _fcols(interp, b) if type(b) is D else None
        r = update(t, wheres=wheres, by=by, cols=_fcols(interp, a), base=None)
    else:
        names = [s.v for s in items(a)] if count(a) else []
        r = delete(t, wheres=wheres, cols=names, base=None)
    if target is not None:
        interp.g[target] = r
        return A(11, target)
    return r


def _getter(name: str) -> Any:
    def get(env: dict[str, Any]) -> Any:
        return env[name]

    return get


def q_xgroup(k: Any, t: Any) -> Any:
    need_table(t, keyed=False)
    names = col_names(k)
    for c in names:
        col_index(t, c)
    by = [(nm, _getter(nm)) for nm in names]
    others = [c for c in t.cols if c not in names]
    cols = [(c, _getter(c)) for c in others]
    r = select(t, wheres=[], by=by, cols=cols, base=None)
    # xgroup keeps first-occurrence order of the groups
    ktab = r.k
    return r if ktab is None else _first_order(t, names, r)


def _first_order(t: T, names: list[str], r: D) -> D:
    sub = T(names, [t.data[t.cols.index(c)] for c in names])
    firsts = q_distinct(sub)
    pos = find_rows(r.k, firsts)
    return D(take_items(r.k, pos), take_items(r.v, pos))
