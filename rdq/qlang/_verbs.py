"""Primitive verbs (glyphs) and keywords."""

from __future__ import annotations

import math
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
    qstr,
    take_items,
    to_py_bool,
)
from rdq.qlang._fn import _NOARG, Comp, Lambda, Prim, Proj, QExit, amend_deep, call, index_deep, valence
from rdq.qlang._index import _kt_upsert, find_rows, index, join
from rdq.qlang._interp import Derived
from rdq.qlang._ops import arith, compare, minmax, res_type
from rdq.qlang._v_cast import _as_text, q_cast_in, q_find_in, q_type
from rdq.qlang._v_list import (
    _drop,
    _sort_keys,
    items_py,
    q_asc,
    q_attr,
    q_count,
    q_cut,
    q_desc,
    q_distinct,
    q_enlist,
    q_first,
    q_flip,
    q_group,
    q_iasc,
    q_idesc,
    q_last,
    q_next,
    q_prev,
    q_rank,
    q_raze,
    q_reverse,
    q_rotate,
    q_set_attr,
    q_sublist,
    q_take,
    q_til,
    q_where,
    q_xprev,
)
from rdq.qlang._v_math import (
    _float_arr,
    _floor_ceil,
    _math1,
    _scan_np,
    q_abs,
    q_all,
    q_and,
    q_any,
    q_avg,
    q_deltas,
    q_fill,
    q_fills,
    q_max,
    q_min,
    q_neg,
    q_not,
    q_null,
    q_or,
    q_prd,
    q_ratios,
    q_reciprocal,
    q_signum,
    q_sum,
    q_xbar,
)
from rdq.qlang._v_search import (
    q_bin,
    q_cross,
    q_differ,
    q_except,
    q_find,
    q_in,
    q_inter,
    q_match,
    q_union,
    q_within,
)
from rdq.qlang._v_stats import (
    _mext,
    _moving,
    q_cor,
    q_cov,
    q_dev,
    q_ema,
    q_inv,
    q_lsq,
    q_med,
    q_mmu,
    q_sdev,
    q_var,
    q_wavg,
    q_wsum,
    q_xexp,
    q_xlog,
)
from rdq.qlang._v_str import _trim, q_like, q_lower, q_ss, q_ssr, q_string, q_sv, q_upper, q_vs
from rdq.qlang._values import DTYPES, IDENTITY, NULLS, A, D, E, Fn, L, QError, T, V

__all__ = ["OPS", "builtins", "join", "q_sum", "q_prd", "q_max", "q_min"]


# -- structural -----------------------------------------------------------------


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
    if type(x) is V:
        return A(11, "")
    raise QError("type")


#: the namespaces every q session has
_SYS_NS = ["q", "Q", "h", "j", "o"]


def q_key_in(interp: Any, x: Any) -> Any:
    """``key`` with the session: `` key ` `` lists the namespaces, `` key `.ns `` a namespace's names."""
    if type(x) is A and x.t == 11 and (x.v == "" or x.v.startswith(".")):
        pre = "." if x.v == "" else x.v + "."
        kids: list[str] = []
        for name in interp.g:
            if name.startswith(pre) and len(name) > len(pre):
                head = name[len(pre) :].split(".", 1)[0]
                if head and head not in kids:
                    kids.append(head)
        if x.v == "":
            return _syms(_SYS_NS + [k for k in kids if k not in _SYS_NS])
        if kids:
            return _syms([""] + kids)
    return q_key(x)


def q_value(interp: Any, x: Any) -> Any:
    if type(x) is E:
        return x.syms()
    if type(x) is D:
        return x.v
    if type(x) is V and x.t == 10:
        if (x.a == 0).any():
            raise QError("char")  # a NUL in source text
        return interp.eval_text(qstr(x))
    if type(x) is A and x.t == 10:
        return interp.eval_text(chr(x.v))
    if type(x) is A and x.t == 11:
        return interp.lookup(x.v, None)
    if type(x) is T:
        return D(_syms(x.cols), L(list(x.data))).v
    if isinstance(x, Lambda):
        return _lambda_value(x)
    if isinstance(x, Proj):
        return mklist([x.f] + [IDENTITY if a is None else a for a in x.args])
    if isinstance(x, Derived):
        return x.f
    if isinstance(x, Prim):
        return A(5, 0)
    if type(x) is L:
        if not x.items:
            return x
        f = x.items[0]
        if type(f) is A and f.t == 11:
            f = interp.lookup(f.v, None)
        return call(f, list(x.items[1:]))
    return x


def _lambda_value(f: Lambda) -> Any:
    from rdq.qlang._core import chars

    d = f.d
    return L(
        [
            V(4, np.zeros(0, dtype=np.uint8)),
            _syms(d.params),
            _syms(sorted(d.locals_ - set(d.params))),
            L([A(11, "")]),
            chars(d.src),
        ]
    )


# -- aggregates --------------------------------------------------------------------


# -- dyadic keywords -----------------------------------------------------------------


def q_dict_in(interp: Any, x: Any, y: Any) -> Any:
    """``x!y`` with the session: ``0N!x`` prints, ``n!`t`` keys a global table in place."""
    if type(x) is A and x.t in (5, 6, 7) and type(y) is A and y.t == 11:
        interp.g[y.v] = q_dict(x, interp.lookup(y.v, None))
        return y
    if type(x) is A and x.t == 7 and x.v == NULLS[7]:
        return q_0n(interp, y)
    if type(x) is A and x.t == 11 and type(y) is V and y.t in (5, 6, 7):
        return E(x.v, y.a.astype(np.int64), interp.g)  # `d!i: the enumeration with indices i
    if type(x) is A and x.t in (5, 6, 7) and x.v == -33 and type(y) is V and y.t in (4, 10):
        import hashlib

        return V(4, np.frombuffer(hashlib.sha1(y.a.tobytes()).digest(), dtype=np.uint8).copy())
    if type(x) is A and x.t in (5, 6, 7) and x.v == -27 and type(y) is L and len(y.items) == 2:
        from rdq.qlang._core import chars

        nd, v = y.items
        if type(nd) is not A or nd.t not in (5, 6, 7) or type(v) not in (A, V) or v.t not in (8, 9):
            raise QError("type")
        if type(v) is A:
            return chars(f"{v.v:.{nd.v}f}")
        return L([chars(f"{f:.{nd.v}f}") for f in v.a.tolist()])
    if type(x) is A and x.t in (6, 7) and x.v in (-8, -9):
        from rdq.qlang._serial import deserialize, serialize

        if x.v == -8:
            return V(4, np.frombuffer(serialize(y), dtype=np.uint8).copy())
        if type(y) is not V or y.t != 4:
            raise QError("type")
        return deserialize(y.a.tobytes())
    if type(x) is A and x.t in (6, 7) and x.v == -3:
        from rdq.qlang._core import chars
        from rdq.qlang._format import inline

        return chars(inline(y))
    return q_dict(x, y)


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
    from rdq.qlang._fn import enlist_n

    return enlist_n(y, n)


def _unkey(x: D) -> T:
    return T(list(x.k.cols) + list(x.v.cols), list(x.k.data) + list(x.v.data))


# -- casting -----------------------------------------------------------------


# -- apply / amend verbs ------------------------------------------------------------------


def q_at(x: Any, y: Any) -> Any:
    if isinstance(x, Fn):
        return call(x, [y])
    if type(x) is A and x.t == 11:
        raise QError("type")
    from rdq.qlang._index import index as idx

    return idx(x, y)


def q_dot(x: Any, y: Any) -> Any:
    args = items(y) if type(y) in (V, L) else [y]
    if isinstance(x, Fn):
        return call(x, list(args))
    return index_deep(x, list(args))


def _amend_target(interp: Any, x: Any) -> tuple[Any, str | None]:
    if type(x) is A and x.t == 11:
        return interp.lookup(x.v, None), x.v
    return x, None


def make_at_n(interp: Any) -> Any:
    def at_n(args: list[Any]) -> Any:
        if len(args) == 3:
            x, i, f = args
            if isinstance(x, Fn) and type(x) is not A:
                # trap
                try:
                    return call(x, [i])
                except QError as e:
                    from rdq.qlang._core import chars

                    return call(f, [chars(e.name)]) if isinstance(f, Fn) else f
            return _amend(interp, x, i, f, _NOARG, deep=False)
        if len(args) == 4:
            x, i, f, y = args
            return _amend(interp, x, i, f, y, deep=False)
        raise QError("rank")

    return at_n


def make_dot_n(interp: Any) -> Any:
    def dot_n(args: list[Any]) -> Any:
        if len(args) == 3:
            x, i, f = args
            if isinstance(x, Fn):
                try:
                    return q_dot(x, i)
                except QError as e:
                    from rdq.qlang._core import chars

                    return call(f, [chars(e.name)]) if isinstance(f, Fn) else f
            return _amend(interp, x, i, f, _NOARG, deep=True)
        if len(args) == 4:
            x, i, f, y = args
            return _amend(interp, x, i, f, y, deep=True)
        raise QError("rank")

    return dot_n


def _amend(interp: Any, x: Any, i: Any, f: Any, y: Any, *, deep: bool) -> Any:
    val, name = _amend_target(interp, x)
    if f is Prim and False:
        pass
    fn = None if (isinstance(f, Prim) and f.name == ":") else f
    if deep:
        idx = items(i) if type(i) in (V, L) else [i]
        if type(i) is L and not i.items:
            idx = []
        if fn is None and y is _NOARG:
            raise QError("rank")
        new = amend_deep(val, [IDENTITY if a is None else a for a in idx], fn, y)
    else:
        if type(i) in (V, L) and not (type(val) is D and type(val.k) is T):
            iis = items(i)
            if y is not _NOARG and type(y) in (V, L):
                ys = items(y)
                if len(ys) != len(iis):
                    raise QError("length")
            else:
                ys = None
            new = val
            for k, ii in enumerate(iis):
                new = amend_deep(new, [ii], fn, ys[k] if ys is not None else y)
        else:
            new = amend_deep(val, [i], fn, y)
    if name is not None:
        interp.g[name] = new
        return x
    return new


# -- misc -----------------------------------------------------------------


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


def q_xkey(k: Any, t: Any) -> Any:
    if type(t) is D and type(t.k) is T:
        t = _unkey(t)
    ks = items_py(k)
    if not ks:
        return t
    kc = [t.cols.index(c) for c in ks]
    rest = [j for j in range(len(t.cols)) if j not in kc]
    return D(T([t.cols[j] for j in kc], [t.data[j] for j in kc]), T([t.cols[j] for j in rest], [t.data[j] for j in rest]))


def q_xcol(names: Any, t: Any) -> Any:
    if type(t) is D and type(t.k) is T:
        allc = q_xcol(names, _unkey(t))
        nk = len(t.k.cols)
        return D(T(allc.cols[:nk], allc.data[:nk]), T(allc.cols[nk:], allc.data[nk:]))
    if type(names) is D:
        m = {a.v: b.v for a, b in zip(items(names.k), items(names.v), strict=True)}
        return T([m.get(c, c) for c in t.cols], list(t.data))
    ns = items_py(names)
    return T(ns + t.cols[len(ns) :], list(t.data))


def q_xcols(names: Any, t: Any) -> Any:
    ns = items_py(names)
    order = ns + [c for c in t.cols if c not in ns]
    return T(order, [t.data[t.cols.index(c)] for c in order])


def q_xasc(c: Any, t: Any, desc: bool = False) -> Any:
    keyed = type(t) is D and type(t.k) is T
    tt = _unkey(t) if keyed else t
    ns = items_py(c)
    sub = T(ns, [tt.data[tt.cols.index(n)] for n in ns])
    o = q_idesc(sub).a if desc else _sort_keys(sub)
    r = take_items(tt, o)
    if keyed:
        return q_xkey(_syms(t.k.cols), r)
    return r


def q_ungroup(t: Any) -> Any:
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
                    from rdq.qlang._fn import enlist_n

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
    def up(t: Any, rows: Any) -> Any:
        if type(t) is A and t.t == 11:
            cur = interp.lookup(t.v, None)
            interp.g[t.v] = _upsert(cur, rows)
            return t
        return _upsert(t, rows)

    return up


def q_meta(t: Any) -> Any:
    if type(t) is D and type(t.k) is T:
        t = _unkey(t)
    if type(t) is not T:
        raise QError("type")
    from rdq.qlang._values import TYPE_CHARS

    tc = []
    fk = []
    for c in t.data:
        fk.append(c.dom if type(c) is E and type(c.g.get(c.dom)) is D else "")
        if type(c) is E:
            tc.append("s" if type(c.g.get(c.dom)) is not D else "i")
        elif type(c) is V:
            tc.append(TYPE_CHARS.get(c.t, " "))
        else:
            its = c.items
            if its and type(its[0]) is V:
                tc.append(TYPE_CHARS.get(its[0].t, " ").upper())
            else:
                tc.append(" ")
    k = T(["c"], [_syms(list(t.cols))])
    v = T(["t", "f", "a"], [V(10, np.array([ord(c) for c in tc], dtype=np.uint8)), _syms(fk), _syms([""] * len(tc))])
    return D(k, v)


def q_xrank(n: Any, x: Any) -> Any:
    r = q_rank(x)
    m = count(x)
    return V(7, (n.v * r.a) // max(m, 1))


def _getter(name: str) -> Any:
    def get(env: dict[str, Any]) -> Any:
        return env[name]

    return get


def q_xgroup(k: Any, t: Any) -> Any:
    from rdq.qlang._sql import select

    names = items_py(k)
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


def q_exit(x: Any) -> Any:
    raise QExit(int(x.v) if type(x) is A else 0)


def q_show(interp: Any, x: Any) -> Any:
    from rdq.qlang._format import display

    interp.out.append(display(x))
    return IDENTITY


def q_0n(interp: Any, x: Any) -> Any:
    """``0N!x`` prints the one-line (``-3!``) form of x and returns x."""
    from rdq.qlang._format import inline

    interp.out.append(inline(x))
    return x


def q_parse(interp: Any, x: Any) -> Any:
    """``parse``: q source text -> parse tree (lists of functions, symbols for names, quoted symbols)."""
    from rdq.qlang._parser import parse

    stmts = parse(qstr(x))
    if len(stmts) != 1:
        raise QError("nyi")
    return _ptree(interp, stmts[0])


def _ptree(interp: Any, n: Any) -> Any:
    if n is None:
        return IDENTITY
    tag = n[0]
    ops = interp.ops
    if tag == "c":
        v = n[1]
        if type(v) is tuple:
            if v[0] == "op":
                return ops[v[1]]
            if v[0] == "mop":
                return Prim(v[1] + ":", ops[v[1]].m, None)
            return EMPTY
        if type(v) is A and v.t == 11:
            return enlist(v)
        if type(v) is V and v.t == 11:
            return L([v])
        return v
    if tag == "v":
        return A(11, n[1])
    if tag == "dg":
        return L([ops[n[1]], _ptree(interp, n[2]), _ptree(interp, n[3])])
    if tag == "d":
        return L([_ptree(interp, n[1]), _ptree(interp, n[2]), _ptree(interp, n[3])])
    if tag == "m":
        f = n[1]
        if f[0] == "c" and type(f[1]) is tuple and f[1][0] == "op":
            fp: Any = Prim(f[1][1] + ":", ops[f[1][1]].m, None)
        else:
            fp = _ptree(interp, f)
        return L([fp, _ptree(interp, n[2])])
    if tag == "j":
        return L([_ptree(interp, n[1]), _ptree(interp, n[2])])
    if tag == "ap":
        return L([_ptree(interp, n[1])] + [_ptree(interp, a) for a in n[2]])
    if tag == "asg" and n[2] is None and n[3] is None:
        return L([ops[":"], A(11, n[1]), _ptree(interp, n[4])])
    if tag == "lst":
        return L([interp.builtins["enlist"]] + [_ptree(interp, a) for a in n[1]])
    if tag == "paren":
        return _ptree(interp, n[1])
    if tag == "fn":
        return Lambda(n[1], interp)
    raise QError("nyi")


def q_eval(interp: Any, x: Any) -> Any:
    from rdq.qlang._sql import eval_ptree

    return eval_ptree(interp, x, {})


def q_compose(args: list[Any]) -> Any:
    return Comp(list(args))


def q_each(f: Any, x: Any) -> Any:
    return Derived("'", f).call([x])


def q_over(f: Any, x: Any) -> Any:
    return Derived("/", f).call([x])


def q_scan(f: Any, x: Any) -> Any:
    return Derived("\\", f).call([x])


def q_prior(f: Any, x: Any) -> Any:
    return Derived("':", f).call([x])


def q_get(interp: Any, x: Any) -> Any:
    return q_value(interp, x)


def q_set(interp: Any, name: Any, v: Any) -> Any:
    interp.g[name.v] = v
    return name


def q_dyad_colon(x: Any, y: Any) -> Any:
    return y


def q_colon_m(x: Any) -> Any:
    return x


def q_tilde_m(x: Any) -> Any:
    return q_not(x)


def q_at_m(x: Any) -> Any:
    return q_type(x)


def q_bang_m(x: Any) -> Any:
    if type(x) is A and x.t in (1, 4, 5, 6, 7):
        return q_til(x)
    return q_key(x)


def q_dollar_m(x: Any) -> Any:
    return q_string(x)


def q_hash_m(x: Any) -> Any:
    return q_count(x)


def q_question_m(x: Any) -> Any:
    return q_distinct(x)


def q_eq_m(x: Any) -> Any:
    return q_group(x)


def q_vcond(args: list[Any]) -> Any:
    if len(args) != 3:
        raise QError("rank")
    c, a, b = args
    if type(c) is A:
        return a if to_py_bool(c) else b
    out = []
    la = items(a) if type(a) in (V, L) else None
    lb = items(b) if type(b) in (V, L) else None
    for k, v in enumerate(c.a.tolist()):
        out.append((la[k] if la is not None else a) if v else (lb[k] if lb is not None else b))
    return mklist(out)


def _q3(interp: Any, args: list[Any]) -> Any:
    t = args[0]
    if type(t) is A and t.t == 11 and type(args[1]) is not A:
        t = interp.lookup(t.v, None)
    if type(t) is T or (type(t) is D and type(t.k) is T):
        from rdq.qlang._sql import _env, _unkey, eval_ptree

        tt, _ = _unkey(t)
        rows = args[1]
        idx = rows.a.astype(np.int64) if type(rows) is V else np.array([rows.v], dtype=np.int64)
        sub = take_items(tt, idx)
        return eval_ptree(interp, args[2], _env(sub, None, idx))
    return q_vcond(args)


def q_fby(x: Any, y: Any) -> Any:
    f, vals = items(x)
    g = q_group(y)
    out: list[Any] = [None] * count(y)
    for idxs in items(g.v):
        r = call(f, [index(vals, idxs)])
        for i in idxs.a.tolist():
            out[i] = r
    return mklist(out)


# -- assembly ----------------------------------------------------------------


def _glyph(name: str, m: Any, d: Any, n: Any = None) -> Prim:
    return Prim(name, m, d, n, glyph=True)


_BIN = {"b": (1, 1), "x": (4, 1), "h": (5, 2), "i": (6, 4), "j": (7, 8), "e": (8, 4), "f": (9, 8), "c": (10, 1)}


def q_read_binary(x: Any, y: Any) -> Any:
    """``(types;widths)1:bytes`` (little-endian) or ``(widths;types)1:bytes`` (big-endian): fixed-width records.

    Returns one column (a vector) per field.
    """
    if type(x) is not L or len(x.items) != 2:
        raise QError("type")
    a, b = x.items
    if (type(a) is V and a.t == 10) or (type(a) is A and a.t == 10):
        types, widths, big = _as_text(a), b, False
    else:
        types, widths, big = _as_text(b), a, True
    ws = [int(w) for w in (widths.a.tolist() if type(widths) is V else [widths.v])]
    if len(ws) != len(types):
        raise QError("length")
    if type(y) is not V or y.t not in (4, 10):
        raise QError("type")
    raw = y.a.tobytes()
    rec = sum(ws)
    if rec <= 0:
        raise QError("length")
    nrec = len(raw) // rec
    cols: list[Any] = []
    off = 0
    for ch, w in zip(types, ws, strict=True):
        if ch == " ":
            off += w
            continue
        chunks = [raw[r * rec + off : r * rec + off + w] for r in range(nrec)]
        off += w
        if ch == "*":
            vals = [V(10, np.frombuffer(c, dtype=np.uint8).copy()) for c in chunks]
            cols.append(L(vals))
            continue
        spec = _BIN.get(ch)
        if spec is None or spec[1] != w:
            raise QError("type")
        t = spec[0]
        dt = np.dtype(_LE_DT[t]).newbyteorder(">" if big else "<") if spec[1] > 1 else np.dtype(np.uint8)
        arr = np.frombuffer(b"".join(chunks), dtype=dt).astype(DTYPES[t])
        col = V(t, arr if t != 1 else arr != 0)
        cols.append(col)
    return L(cols)


_LE_DT = {5: "i2", 6: "i4", 7: "i8", 8: "f4", 9: "f8"}


OPS: dict[str, Any] = {
    "+": _glyph("+", q_flip, lambda x, y: arith("+", x, y)),
    "-": _glyph("-", q_neg, lambda x, y: arith("-", x, y)),
    "*": _glyph("*", q_first, lambda x, y: arith("*", x, y)),
    "%": _glyph("%", q_reciprocal, lambda x, y: arith("%", x, y)),
    "&": _glyph("&", q_where, lambda x, y: minmax(False, x, y)),
    "|": _glyph("|", q_reverse, lambda x, y: minmax(True, x, y)),
    "<": _glyph("<", q_iasc, lambda x, y: compare("<", x, y)),
    ">": _glyph(">", q_idesc, lambda x, y: compare(">", x, y)),
    "=": _glyph("=", q_eq_m, lambda x, y: compare("=", x, y)),
    "<=": _glyph("~>", None, lambda x, y: compare("<=", x, y)),
    ">=": _glyph("~<", None, lambda x, y: compare(">=", x, y)),
    "<>": _glyph("~=", None, lambda x, y: compare("<>", x, y)),
    "~": _glyph("~", q_tilde_m, q_match),
    ",": _glyph(",", q_enlist, join),
    "^": _glyph("^", q_null, q_fill),
    "#": _glyph("#", q_hash_m, q_take),
    "_": _glyph("_", _floor_ceil(math.floor), _drop),
    "!": _glyph("!", q_bang_m, q_dict),
    "?": _glyph("?", q_question_m, q_find, q_vcond),
    ":": _glyph(":", q_colon_m, q_dyad_colon),
    "::": IDENTITY,
    "1:": _glyph("1:", None, q_read_binary),
}


def builtins(interp: Any) -> dict[str, Any]:
    """Keywords bound to this interpreter."""

    def m(name: str, fn: Any) -> Prim:
        return Prim(name, fn, None)

    def d(name: str, fn: Any) -> Prim:
        return Prim(name, None, fn)

    def amb(name: str, fm: Any, fd: Any) -> Prim:
        return Prim(name, fm, fd)

    from rdq.qlang._sql import functional_select, functional_update

    # glyphs that need the session are built per interpreter (sessions never share state)
    ops = dict(OPS)
    ops["?"] = _glyph("?", q_question_m, lambda x, y: q_find_in(interp, x, y), lambda a: _q3(interp, a) if len(a) == 3 else functional_select(interp, a))
    ops["!"] = _glyph("!", q_bang_m, lambda x, y: q_dict_in(interp, x, y), lambda a: functional_update(interp, a))
    ops["$"] = _glyph("$", q_string, lambda x, y: q_cast_in(interp, x, y))
    ops["@"] = _glyph("@", q_at_m, q_at, make_at_n(interp))
    ops["."] = _glyph(".", lambda x: q_value(interp, x), q_dot, make_dot_n(interp))
    ops["'"] = _glyph("'", None, None, q_compose)
    interp.ops = ops
    ssr = Prim("ssr", None, None, lambda a: q_ssr(*a), valence=3)
    from rdq.qlang._core import chars as _chars
    from rdq.qlang._json import from_json, to_json

    def _jd(a: Any) -> Any:
        if type(a) is not L or len(a.items) != 2 or type(a.items[1]) is not D:
            raise QError("type")
        opts = a.items[1]
        null0w = False
        if count(opts.k):
            v = index(opts, A(11, "null0w"))
            null0w = type(v) is A and bool(v.v)
        return _chars(to_json(a.items[0], null0w=null0w))

    def _md5(x: Any) -> Any:
        import hashlib

        if type(x) is not V or x.t not in (4, 10):
            raise QError("type")
        return V(4, np.frombuffer(hashlib.md5(x.a.tobytes()).digest(), dtype=np.uint8).copy())
    b: dict[str, Any] = {
        ".j.j": m(".j.j", lambda x: _chars(to_json(x))),
        ".j.jd": m(".j.jd", _jd),
        ".j.k": m(".j.k", lambda x: from_json(qstr(x))),
        "md5": m("md5", _md5),
        "til": m("til", q_til),
        "count": m("count", q_count),
        "first": m("first", q_first),
        "last": m("last", q_last),
        "reverse": m("reverse", q_reverse),
        "enlist": Prim("enlist", q_enlist, None, lambda a: mklist(list(a)), valence=1),
        "where": m("where", q_where),
        "distinct": m("distinct", q_distinct),
        "group": m("group", q_group),
        "iasc": m("iasc", q_iasc),
        "idesc": m("idesc", q_idesc),
        "asc": m("asc", q_asc),
        "desc": m("desc", q_desc),
        "rank": m("rank", q_rank),
        "raze": m("raze", q_raze),
        "flip": m("flip", q_flip),
        "key": m("key", lambda x: q_key_in(interp, x)),
        "value": m("value", lambda x: q_value(interp, x)),
        "get": m("get", lambda x: q_value(interp, x)),
        "sum": m("sum", q_sum),
        "sums": m("sums", lambda x: _scan_np(x, np.cumsum, "sums")),
        "prd": m("prd", q_prd),
        "prds": m("prds", lambda x: _scan_np(x, np.cumprod, "prds")),
        "max": m("max", q_max),
        "maxs": m("maxs", lambda x: _scan_np(x, np.maximum.accumulate, "maxs")),
        "min": m("min", q_min),
        "mins": m("mins", lambda x: _scan_np(x, np.minimum.accumulate, "mins")),
        "avg": m("avg", q_avg),
        "avgs": m("avgs", lambda x: V(9, np.cumsum(np.nan_to_num(_float_arr(x))) / np.arange(1, count(x) + 1))),
        "med": m("med", q_med),
        "var": m("var", q_var),
        "svar": m("svar", lambda x: q_var(x, 1)),
        "dev": m("dev", q_dev),
        "sdev": m("sdev", q_sdev),
        "neg": m("neg", q_neg),
        "abs": m("abs", q_abs),
        "signum": m("signum", q_signum),
        "sqrt": m("sqrt", _math1(np.sqrt, "sqrt")),
        "exp": m("exp", _math1(np.exp, "exp")),
        "log": m("log", _math1(np.log, "log")),
        "sin": m("sin", _math1(np.sin, "sin")),
        "cos": m("cos", _math1(np.cos, "cos")),
        "tan": m("tan", _math1(np.tan, "tan")),
        "asin": m("asin", _math1(np.arcsin, "asin")),
        "acos": m("acos", _math1(np.arccos, "acos")),
        "atan": m("atan", _math1(np.arctan, "atan")),
        "floor": m("floor", _floor_ceil(math.floor)),
        "ceiling": m("ceiling", _floor_ceil(math.ceil)),
        "reciprocal": m("reciprocal", q_reciprocal),
        "null": m("null", q_null),
        "not": m("not", q_not),
        "fills": m("fills", q_fills),
        "deltas": Prim("deltas", q_deltas, lambda s, x: arith("-", x, _shift_seed(x, s))),
        "ratios": m("ratios", q_ratios),
        "prev": m("prev", q_prev),
        "next": m("next", q_next),
        "xprev": d("xprev", q_xprev),
        "rotate": d("rotate", q_rotate),
        "differ": m("differ", q_differ),
        "any": m("any", q_any),
        "all": m("all", q_all),
        "type": m("type", q_type),
        "string": m("string", q_string),
        "lower": m("lower", q_lower),
        "upper": m("upper", q_upper),
        "trim": m("trim", _trim("b")),
        "ltrim": m("ltrim", _trim("l")),
        "rtrim": m("rtrim", _trim("r")),
        "cols": m("cols", q_cols),
        "meta": m("meta", q_meta),
        "keys": m("keys", q_keys),
        "ungroup": m("ungroup", q_ungroup),
        "attr": m("attr", q_attr),
        "show": m("show", lambda x: q_show(interp, x)),
        "exit": m("exit", q_exit),
        "inv": m("inv", q_inv),
        "parse": m("parse", lambda x: q_parse(interp, x)),
        "eval": m("eval", lambda x: q_eval(interp, x)),
        "in": d("in", q_in),
        "within": d("within", q_within),
        "like": d("like", q_like),
        "except": d("except", q_except),
        "inter": d("inter", q_inter),
        "union": d("union", q_union),
        "cross": d("cross", q_cross),
        "sv": d("sv", q_sv),
        "vs": d("vs", q_vs),
        "ss": d("ss", q_ss),
        "ssr": ssr,
        "cut": d("cut", q_cut),
        "sublist": d("sublist", q_sublist),
        "mod": d("mod", lambda x, y: arith("mod", x, y)),
        "div": d("div", lambda x, y: arith("div", x, y)),
        "and": d("and", q_and),
        "or": d("or", q_or),
        "each": d("each", q_each),
        "peach": d("peach", q_each),
        "over": d("over", q_over),
        "scan": d("scan", q_scan),
        "prior": d("prior", q_prior),
        "bin": d("bin", q_bin),
        "binr": d("binr", lambda x, y: q_bin(x, y, True)),
        "xbar": d("xbar", q_xbar),
        "xexp": d("xexp", q_xexp),
        "xlog": d("xlog", q_xlog),
        "wavg": d("wavg", q_wavg),
        "wsum": d("wsum", q_wsum),
        "cor": d("cor", q_cor),
        "cov": d("cov", q_cov),
        "scov": d("scov", lambda x, y: q_cov(x, y, 1)),
        "msum": d("msum", _moving("sum")),
        "mavg": d("mavg", _moving("avg")),
        "mmax": d("mmax", _mext(True)),
        "mmin": d("mmin", _mext(False)),
        "mcount": d("mcount", _moving("count")),
        "mdev": d("mdev", _moving("dev")),
        "ema": d("ema", q_ema),
        "mmu": d("mmu", q_mmu),
        "lsq": d("lsq", q_lsq),
        "xkey": d("xkey", q_xkey),
        "xrank": d("xrank", q_xrank),
        "xgroup": d("xgroup", q_xgroup),
        "xcol": d("xcol", q_xcol),
        "xcols": d("xcols", q_xcols),
        "xasc": d("xasc", q_xasc),
        "xdesc": d("xdesc", lambda c, t: q_xasc(c, t, True)),
        "insert": d("insert", lambda n, r: q_insert(interp, n, r)),
        "upsert": d("upsert", make_upsert(interp)),
        "set": d("set", lambda n, v: q_set(interp, n, v)),
        "fby": d("fby", q_fby),
        "uj": d("uj", lambda x, y: _uj(x, y)),
        "lj": d("lj", lambda x, y: _lj(x, y)),
        "ij": d("ij", lambda x, y: _ij(x, y)),
    }
    for kw, shown in (("sum", "+/"), ("prd", "*/"), ("max", "|/"), ("min", "&/"), ("sums", "+\\"),
                      ("prds", "*\\"), ("maxs", "|\\"), ("mins", "&\\"), ("raze", ",/"), ("deltas", "-':"),
                      ("ratios", "%':")):
        b[kw].name = shown
    b["0N!"] = m("0N!", lambda x: q_0n(interp, x))
    from rdq.qlang._fn import View

    b["view"] = m("view", lambda x: chars(interp.g[x.v].body.strip()) if type(interp.g.get(x.v)) is View else _raise("type"))
    b["views"] = m("views", lambda x: q_set_attr(A(11, "s"), _syms(sorted(k for k, v in interp.g.items() if type(v) is View))))
    from rdq.qlang._core import chars
    from rdq.qlang._format import display

    b["tables"] = m("tables", lambda x: _syms(sorted(k for k, v in interp.g.items() if type(v) is T or (type(v) is D and type(v.k) is T))))
    b[".h.htc"] = d(".h.htc", lambda tag, x: chars(f"<{tag.v}>{qstr(x)}</{tag.v}>"))
    lo = "abcdefghijklmnopqrstuvwxyz"
    b[".Q.a"] = chars(lo)
    b[".Q.A"] = chars(lo.upper())
    b[".Q.n"] = chars("0123456789")
    b[".Q.nA"] = chars("0123456789" + lo.upper())
    b[".Q.an"] = chars(lo.upper() + lo + "_0123456789")
    b[".Q.s"] = m(".Q.s", lambda x: chars(display(x) + "\n"))
    b[".Q.f"] = d(".Q.f", lambda n, x: chars(f"{float(x.v):.{n.v}f}"))
    return b


def _raise(name: str) -> Any:
    raise QError(name)


def _shift_seed(x: Any, s: Any) -> Any:
    lst = items(x)
    return mklist([s] + lst[:-1]) if lst else x


def _uj(x: Any, y: Any) -> Any:
    if type(x) is D and type(y) is D and type(x.k) is T:
        return _kt_upsert(D(x.k, _uj(x.v, _empty_cols(y.v))), D(y.k, _uj(_empty_cols(x.v), y.v)))
    cols = list(x.cols) + [c for c in y.cols if c not in x.cols]
    nx, ny = count(x), count(y)

    def col(t: T, c: str, n: int, other: T) -> Any:
        if c in t.cols:
            return t.data[t.cols.index(c)]
        o = other.data[other.cols.index(c)]
        if type(o) is V:
            from rdq.qlang._fn import enlist_n

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
    t = x
    kc = y.k.cols
    sub = T(kc, [t.data[t.cols.index(c)] for c in kc])
    pos = find_rows(y.k, sub)
    keep = np.flatnonzero(pos < count(y.k))
    r = _lj(take_items(t, keep), y)
    return r


_ = (Lambda, valence, res_type, q_parse)
