"""Lambda bodies compiled to Python closures: the evaluator's speed path for code inside functions.

The tree walker (:meth:`rdq.qlang._interp.Interp._ev`) dispatches on each node's tag every time the node is
evaluated. A function body runs many times, so the first call of a :class:`~rdq.qlang._fn.Lambda` turns its body
into nested closures, one per node, with the tag dispatch, the constant operands and the verb lookups done once.
Each closure does exactly what ``_ev`` does for that node with local variables (``loc`` a dictionary); a node
kind without a closure here is evaluated by ``_ev`` itself, so results are the tree walker's.

This module imports nothing above :mod:`rdq.qlang._fn` and :mod:`rdq.qlang._iter`; the interpreter is passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rdq.qlang._compile_ctl import CTL_MAKERS, Compile, Ev, _fast_amend_op, amend_fast
from rdq.qlang._core import item
from rdq.qlang._fast import FAST, LNULL, MISSING
from rdq.qlang._files import writes_to_handle
from rdq.qlang._fn import Comp, Lambda, Prim, Proj, View, apply, call, index_deep
from rdq.qlang._iter import Derived
from rdq.qlang._ptree import LambdaDef, is_juxt_comp
from rdq.qlang._values import IDENTITY, A, Fn, L, QError, V

__all__ = ["compile_body", "compile_top", "Ev"]


def compile_body(ip: Any, d: LambdaDef) -> Ev:
    """The function body of ``d`` as one closure of the locals, as ``Interp.walk_body`` runs it.

    ``:x`` raises :class:`~rdq.qlang._fn.Return` out of the closure; :meth:`Lambda.call` catches it.
    """
    body = d.body
    fns: list[Ev | None] = [None if st is None else _c(ip, st) for st in body]
    trailing_none = bool(body) and body[-1] is None
    if len(fns) == 1 and fns[0] is not None:
        return fns[0]

    def run(loc: dict[str, Any]) -> Any:
        r: Any = IDENTITY
        for f in fns:
            r = IDENTITY if f is None else f(loc)
        if trailing_none:
            return IDENTITY
        return r

    return run


def _fallback(ip: Any, n: Any) -> Ev:
    ev = ip._ev
    return lambda loc: ev(n, loc)


def _c(ip: Any, n: Any) -> Ev:
    """The closure of node ``n`` (``_ev``'s semantics with ``loc`` a dictionary)."""
    if not isinstance(n, tuple) or not n:
        return _fallback(ip, n)
    maker = _MAKERS.get(n[0]) or CTL_MAKERS.get(n[0])
    if maker is not None:
        return maker(ip, n, _c)
    return _fallback(ip, n)


def compile_top(ip: Any, st: Any) -> Ev:
    """A top-level statement (a ``while``/``do`` loop) as a closure run with an empty dictionary of locals.

    Names read through the empty locals to the globals; assignments, patterns, qSQL and table literals are
    evaluated as the tree walker does at top level (no locals), so the loop body runs compiled with the
    top level's semantics.
    """
    return _cg(ip, st)


def _cg(ip: Any, n: Any) -> Ev:
    """The top-level compiler: :func:`_c` with assignments global and loc-sensitive nodes walked with None."""
    if not isinstance(n, tuple) or not n:
        return _fallback_top(ip, n)
    tag = n[0]
    if tag == "asg":
        expr = _cg(ip, n[4])
        assign_value = ip.assign_value
        op, name = n[3], n[1]
        fast = None
        if n[2] is None and op is not None and "." not in name and op[0] == "c" and type(op[1]) is tuple:
            fast = FAST.get(op[1][1]) if op[1][0] == "op" else None
        if fast is not None:
            g = ip.g
            fast_op = fast

            def ev_asg_op_top(loc: dict[str, Any]) -> Any:
                # ``i+:1`` on a global long atom: assign_value's own fast path, inline
                val = expr(loc)
                if type(val) is A and val.t == 7:
                    cur = g.get(name, MISSING)
                    if type(cur) is A and cur.t == 7:
                        r = g[name] = fast_op(cur.v, val.v)
                        return r
                return assign_value(n, val, None)

            return ev_asg_op_top
        if n[2] is not None:
            idx = [None if a is None else _cg(ip, a) for a in n[2]]
            fast_i = _fast_amend_op(n)
            if fast_i is not None:
                g = ip.g
                i0 = idx[0]
                assert i0 is not None

                def ev_asg_idx_op_top(loc: dict[str, Any]) -> Any:
                    val = expr(loc)
                    r = amend_fast(g, name, i0(loc), fast_i, val)
                    if r is not None:
                        return r
                    return assign_value(n, val, None, lambda: [i0(loc)])

                return ev_asg_idx_op_top

            def ev_asg_idx_top(loc: dict[str, Any]) -> Any:
                val = expr(loc)
                return assign_value(n, val, None, lambda: [IDENTITY if f is None else f(loc) for f in idx])

            return ev_asg_idx_top
        return lambda loc: assign_value(n, expr(loc), None)
    if tag == "lst" and None in n[1]:
        return _fallback_top(ip, n)
    maker = _MAKERS.get(tag) or CTL_MAKERS.get(tag)
    if maker is not None:
        return maker(ip, n, _cg)
    return _fallback_top(ip, n)


def _fallback_top(ip: Any, n: Any) -> Ev:
    ev = ip.ev
    return lambda loc: ev(n, None)


# -- names and constants ------------------------------------------------------------


def _var(ip: Any, n: Any, c: Compile) -> Ev:
    name = n[1]
    g = ip.g
    lookup = ip.lookup
    view_value = ip.view_value

    def ev_v(loc: dict[str, Any]) -> Any:
        v = loc.get(name, MISSING)
        if v is not MISSING:
            return v
        v = g.get(name, MISSING)
        if v is not MISSING:
            if type(v) is View:
                return view_value(v)
            return v
        return lookup(name, loc)

    return ev_v


def _const(ip: Any, n: Any, c: Compile) -> Ev:
    v = n[1]
    if type(v) is tuple:
        ops = ip.ops
        if v[0] == "op":
            name = v[1]
            return lambda loc: ops[name]
        if v[0] == "mop":
            name = v[1]
            return lambda loc: Prim(name + ":", ops[name].m, None)
        return lambda loc: L([])
    return lambda loc: v


# -- application ------------------------------------------------------------------


def _atom(n: Any) -> Any:
    """The atom of a constant node, else None."""
    return n[1] if n[0] == "c" and type(n[1]) is A else None


def _local(n: Any) -> str | None:
    """The name of a variable node (read from the locals first, inline), else None."""
    return n[1] if n[0] == "v" else None


def _dyad_glyph(ip: Any, n: Any, c: Compile) -> Ev:
    """``x+y`` with a glyph: long atoms by the fast table, else the primitive's dyadic form.

    A constant or variable operand is read inline (no closure call); the right operand is evaluated first.
    """
    op = n[1]
    ops = ip.ops
    fast = FAST.get(op)
    ln, rn = n[2], n[3]
    right = c(ip, rn)
    left = c(ip, ln)
    lc, rc = _atom(ln), _atom(rn)
    lv, rv = _local(ln), _local(rn)
    if fast is not None and rc is not None and rc.t == 7:
        rcv = rc.v
        if lv is not None:

            def ev_dg_vc(loc: dict[str, Any]) -> Any:
                lft = loc.get(lv, MISSING)
                if lft is MISSING:
                    lft = left(loc)
                if type(lft) is A and lft.t == 7:
                    return fast(lft.v, rcv)
                return ops[op].d(lft, rc)

            return ev_dg_vc

        def ev_dg_ec(loc: dict[str, Any]) -> Any:
            lft = left(loc)
            if type(lft) is A and lft.t == 7:
                return fast(lft.v, rcv)
            return ops[op].d(lft, rc)

        return ev_dg_ec
    if fast is not None and lc is not None and lc.t == 7:
        lcv = lc.v
        if rv is not None:

            def ev_dg_cv(loc: dict[str, Any]) -> Any:
                r = loc.get(rv, MISSING)
                if r is MISSING:
                    r = right(loc)
                if type(r) is A and r.t == 7:
                    return fast(lcv, r.v)
                return ops[op].d(lc, r)

            return ev_dg_cv

        def ev_dg_ce(loc: dict[str, Any]) -> Any:
            r = right(loc)
            if type(r) is A and r.t == 7:
                return fast(lcv, r.v)
            return ops[op].d(lc, r)

        return ev_dg_ce
    if lv is not None and rv is not None:

        def ev_dg_vv(loc: dict[str, Any]) -> Any:
            r = loc.get(rv, MISSING)
            if r is MISSING:
                r = right(loc)
            lft = loc.get(lv, MISSING)
            if lft is MISSING:
                lft = left(loc)
            if fast is not None and type(lft) is A and type(r) is A and lft.t == 7 and r.t == 7:
                return fast(lft.v, r.v)
            return ops[op].d(lft, r)

        return ev_dg_vv

    def ev_dg(loc: dict[str, Any]) -> Any:
        r = right(loc)
        lft = left(loc)
        if fast is not None and type(lft) is A and type(r) is A and lft.t == 7 and r.t == 7:
            return fast(lft.v, r.v)
        return ops[op].d(lft, r)

    return ev_dg


def _dyad(ip: Any, n: Any, c: Compile) -> Ev:
    """``x f y`` with a keyword or any function; ``mod``/``div`` of positive long atoms inline."""
    vn = n[1]
    right = c(ip, n[3])
    left = c(ip, n[2])
    fnc = c(ip, vn)
    kw = vn[1] if vn[0] == "v" and vn[1] in ("mod", "div") else None
    lv, rc = _local(n[2]), _atom(n[3])
    if kw is not None and lv is not None and rc is not None and rc.t == 7 and rc.v > 0:
        rcv = rc.v
        is_mod = kw == "mod"

        def ev_d_kw(loc: dict[str, Any]) -> Any:
            lft = loc.get(lv, MISSING)
            if lft is MISSING:
                lft = left(loc)
            if type(lft) is A and lft.t == 7 and lft.v != LNULL and kw not in loc:
                return A(7, lft.v % rcv) if is_mod else A(7, lft.v // rcv)
            return call(fnc(loc), [lft, rc])

        return ev_d_kw

    def ev_d(loc: dict[str, Any]) -> Any:
        r = right(loc)
        lft = left(loc)
        if (
            kw is not None
            and type(lft) is A
            and type(r) is A
            and lft.t == 7
            and r.t == 7
            and r.v > 0
            and lft.v != LNULL
            and kw not in loc
        ):
            return A(7, lft.v % r.v) if kw == "mod" else A(7, lft.v // r.v)
        return call(fnc(loc), [lft, r])

    return ev_d


def _juxt(ip: Any, n: Any, c: Compile) -> Ev:
    """``f x`` (juxtaposition): composition when x is a partial verb, write to a handle, else apply."""
    xn = n[2]
    arg = c(ip, xn) if xn is not None else None
    fnc = c(ip, n[1])
    is_comp = xn is not None and (xn[0] in ("pj", "comp") or (xn[0] == "j" and is_juxt_comp(xn)))
    write_handle = ip.write_handle
    fv = _local(n[1])
    if fv is not None and not is_comp and arg is not None:
        arg1 = arg

        def ev_j_v(loc: dict[str, Any]) -> Any:
            x = arg1(loc)
            f = loc.get(fv, MISSING)
            if f is MISSING:
                f = fnc(loc)
            tf = type(f)
            if tf is Lambda:
                return f.call([x])
            if (tf is V or tf is L) and type(x) is A and x.t == 7 and 0 <= x.v < len(f):
                return item(f, x.v)  # v i in range: what index gives
            if tf is A and writes_to_handle(ip, f, x):
                return write_handle(f, x)
            return apply(f, x)

        return ev_j_v

    def ev_j(loc: dict[str, Any]) -> Any:
        x = arg(loc) if arg is not None else IDENTITY
        if is_comp:
            f = fnc(loc)
            if isinstance(f, Fn):
                return Comp([f, x])
        f = fnc(loc)
        if type(f) is Lambda:
            return f.call([x])
        if type(f) is A and writes_to_handle(ip, f, x):
            return write_handle(f, x)
        return apply(f, x)

    return ev_j


def _monad(ip: Any, n: Any, c: Compile) -> Ev:
    """``f x`` where f is a verb (``-x``, ``#x``, ``+/x``)."""
    arg = c(ip, n[2])
    fnc = c(ip, n[1])

    def ev_m(loc: dict[str, Any]) -> Any:
        x = arg(loc)
        f = fnc(loc)
        if isinstance(f, Prim):
            if f.m is None:
                if f.n is not None or f.d is not None:
                    return Proj(f, [x])
                raise QError("rank")
            return f.m(x)
        if isinstance(f, Derived):
            return f.call([x])
        return apply(f, x)

    return ev_m


def _apply_vals(f: Any, vals: list[Any]) -> Any:
    """``f[a;b;...]`` once the arguments are evaluated (None: an elided argument), as ``_ev``'s ``ap``."""
    if len(vals) == 1 and vals[0] is None and not (isinstance(f, Fn) and f.valence == 0):
        if isinstance(f, Fn):
            if isinstance(f, Lambda) and f.valence == 1:
                return f.call([IDENTITY])
            if isinstance(f, Prim) and f.m is not None:
                return f.m(IDENTITY)
            return f.call([IDENTITY])  # type: ignore[attr-defined]
        return f
    if isinstance(f, Fn):
        if any(v is None for v in vals):
            return Proj(f, vals)
        if isinstance(f, Prim) and len(vals) == 1 and f.m is not None and (f.glyph and f.d is not None):
            return Proj(f, vals)
        return f.call(vals)  # type: ignore[attr-defined]
    return index_deep(f, vals)


def _brackets(ip: Any, n: Any, c: Compile) -> Ev:
    """``f[a;b;...]``: arguments right to left, then the function."""
    args = n[2]
    fns = [None if a is None else c(ip, a) for a in args]
    fnc = c(ip, n[1])
    k = len(args)
    if k == 1 and fns[0] is not None:
        a0 = fns[0]

        def ev_ap1(loc: dict[str, Any]) -> Any:
            v0 = a0(loc)
            f = fnc(loc)
            tf = type(f)
            if tf is Lambda and v0 is not None:
                return f.call([v0])
            if (tf is V or tf is L) and type(v0) is A and v0.t == 7 and 0 <= v0.v < len(f):
                return item(f, v0.v)  # v[i] in range: what index gives
            return _apply_vals(f, [v0])

        return ev_ap1
    if k == 2 and fns[0] is not None and fns[1] is not None:
        a0, a1 = fns[0], fns[1]

        def ev_ap2(loc: dict[str, Any]) -> Any:
            v1 = a1(loc)
            v0 = a0(loc)
            f = fnc(loc)
            if type(f) is Lambda and v0 is not None and v1 is not None:
                return f.call([v0, v1])
            return _apply_vals(f, [v0, v1])

        return ev_ap2

    def ev_ap(loc: dict[str, Any]) -> Any:
        vals: list[Any] = [None] * k
        for j in range(k - 1, -1, -1):
            a = fns[j]
            vals[j] = None if a is None else a(loc)
        return _apply_vals(fnc(loc), vals)

    return ev_ap


_MAKERS: dict[str, Callable[[Any, Any, Compile], Ev]] = {
    "v": _var,
    "c": _const,
    "dg": _dyad_glyph,
    "d": _dyad,
    "j": _juxt,
    "m": _monad,
    "ap": _brackets,
}
