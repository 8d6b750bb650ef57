"""Compiled closures for assignment, function and list literals and control (``$[...]`` ``if`` ``do`` ``while``
``:x`` ``[a;b]``): the second half of :mod:`rdq.qlang._compile`, whose node compiler each maker is handed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from rdq.qlang._assign import sole_view
from rdq.qlang._core import mklist, to_py_bool
from rdq.qlang._fast import FAST, MISSING
from rdq.qlang._fn import Comp, Lambda, Proj, Return
from rdq.qlang._iter import Derived
from rdq.qlang._values import IDENTITY, A, V

__all__ = ["CTL_MAKERS", "Compile", "Ev", "amend_fast"]

#: a compiled node: evaluates it with the function's local variables
Ev = Callable[[dict[str, Any]], Any]
#: the node compiler (:func:`rdq.qlang._compile._c`)
Compile = Callable[[Any, Any], Ev]


def _truth(c: Any) -> bool:
    """The condition test of ``$[c;...]``, ``if``, ``while``: a boolean atom's value, else ``to_py_bool``."""
    return c.v != 0 if (type(c) is A and (c.t == 1 or c.t == 7)) else to_py_bool(c)


# -- assignment, functions, lists ---------------------------------------------------


def _assign(ip: Any, n: Any, c: Compile) -> Ev:
    expr = c(ip, n[4])
    name = n[1]
    assign_value = ip.assign_value
    op = n[3]
    if n[2] is None and op is not None and "." not in name and op[0] == "c" and type(op[1]) is tuple:
        fast = FAST.get(op[1][1]) if op[1][0] == "op" else None
        if fast is not None:

            def ev_asg_op(loc: dict[str, Any]) -> Any:
                # ``i+:1`` on a local long atom: the fast table, as assign_value's own fast path
                val = expr(loc)
                if type(val) is A and val.t == 7:
                    cur = loc.get(name, MISSING)
                    if type(cur) is A and cur.t == 7:
                        r = loc[name] = fast(cur.v, val.v)
                        return r
                return assign_value(n, val, loc)

            return ev_asg_op
    if n[2] is not None:
        idx = [None if a is None else c(ip, a) for a in n[2]]
        fast_i = _fast_amend_op(n)
        if fast_i is not None:
            i0 = idx[0]
            assert i0 is not None

            def ev_asg_idx_op(loc: dict[str, Any]) -> Any:
                # ``v[i]+:1`` on a local long vector held only here: amend_fast, else assign_value
                val = expr(loc)
                if name in loc:  # (no reference kept here: amend_fast counts them)
                    r = amend_fast(loc, name, i0(loc), fast_i, val)
                    if r is not None:
                        return r
                return assign_value(n, val, loc, lambda: [i0(loc)])

            return ev_asg_idx_op

        def ev_asg_idx(loc: dict[str, Any]) -> Any:
            val = expr(loc)
            return assign_value(n, val, loc, lambda: [IDENTITY if f is None else f(loc) for f in idx])

        return ev_asg_idx
    if op is not None or "." in name:  # modified or dotted (namespaces)
        return lambda loc: assign_value(n, expr(loc), loc)
    g = ip.g
    if not n[5]:

        def ev_asg_local(loc: dict[str, Any]) -> Any:
            val = expr(loc)
            loc[name] = val
            return val

        return ev_asg_local

    def ev_asg_global(loc: dict[str, Any]) -> Any:
        val = expr(loc)
        if name in loc:
            loc[name] = val
        else:
            g[name] = val
        return val

    return ev_asg_global


def _lambda(ip: Any, n: Any, c: Compile) -> Ev:
    d = n[1]
    return lambda loc: Lambda(d, ip)


def _list(ip: Any, n: Any, c: Compile) -> Ev:
    its = n[1]
    if None in its:
        ev = ip._ev
        return lambda loc: ev(n, loc)
    fns = [c(ip, a) for a in its]
    k = len(fns)

    def ev_lst(loc: dict[str, Any]) -> Any:
        out: list[Any] = [None] * k
        for j in range(k - 1, -1, -1):
            out[j] = fns[j](loc)
        return mklist(out)

    return ev_lst


def _paren(ip: Any, n: Any, c: Compile) -> Ev:
    if n[1] is None:
        return lambda loc: IDENTITY
    return c(ip, n[1])


def _adverb(ip: Any, n: Any, c: Compile) -> Ev:
    adv = n[1]
    fnc = c(ip, n[2])
    return lambda loc: Derived(adv, fnc(loc))


def _compose(ip: Any, n: Any, c: Compile) -> Ev:
    first = c(ip, n[1])
    second = c(ip, n[2])

    def ev_comp(loc: dict[str, Any]) -> Any:
        g = second(loc)
        return Comp([first(loc), g])

    return ev_comp


def _section(ip: Any, n: Any, c: Compile) -> Ev:
    left = c(ip, n[2])
    fnc = c(ip, n[1])

    def ev_pj(loc: dict[str, Any]) -> Any:
        lft = left(loc)
        f = fnc(loc)
        if f is IDENTITY:
            return lft  # x :: is x
        return Proj(f, [lft, None])

    return ev_pj


# -- control ------------------------------------------------------------------


def _stmts(ip: Any, nodes: list[Any], c: Compile) -> list[Ev]:
    """Compiled statements of a control body, empty ones dropped (they are skipped)."""
    return [c(ip, st) for st in nodes if st is not None]


def _cond(ip: Any, n: Any, c: Compile) -> Ev:
    a = n[1]
    na = len(a)
    pairs: list[tuple[Ev, Ev]] = []
    k = 0
    while k + 1 < na:
        pairs.append((c(ip, a[k]), c(ip, a[k + 1])))
        k += 2
    tail: Ev | None = c(ip, a[k]) if k < na and a[k] is not None else None
    if len(pairs) == 1 and tail is not None:
        c0, t0 = pairs[0]
        t1 = tail

        def ev_cond1(loc: dict[str, Any]) -> Any:
            c = c0(loc)
            if c.v != 0 if (type(c) is A and (c.t == 1 or c.t == 7)) else to_py_bool(c):
                return t0(loc)
            return t1(loc)

        return ev_cond1

    def ev_cond(loc: dict[str, Any]) -> Any:
        for c_f, t_f in pairs:
            c = c_f(loc)
            if c.v != 0 if (type(c) is A and c.t == 1) else to_py_bool(c):
                return t_f(loc)
        if tail is not None:
            return tail(loc)
        return IDENTITY

    return ev_cond


def _if(ip: Any, n: Any, c: Compile) -> Ev:
    a = n[1]
    test = c(ip, a[0])
    body = _stmts(ip, a[1:], c)

    def ev_if(loc: dict[str, Any]) -> Any:
        if _truth(test(loc)):
            for st in body:
                st(loc)
        return IDENTITY

    return ev_if


def _do(ip: Any, n: Any, c: Compile) -> Ev:
    a = n[1]
    count_f = c(ip, a[0])
    body = _stmts(ip, a[1:], c)

    def ev_do(loc: dict[str, Any]) -> Any:
        k = count_f(loc)
        for _ in range(int(k.v)):
            for st in body:
                st(loc)
        return IDENTITY

    return ev_do


def _while(ip: Any, n: Any, c: Compile) -> Ev:
    a = n[1]
    test = c(ip, a[0])
    body = _stmts(ip, a[1:], c)

    def ev_while(loc: dict[str, Any]) -> Any:
        while _truth(test(loc)):
            for st in body:
                st(loc)
        return IDENTITY

    return ev_while


def _ret(ip: Any, n: Any, c: Compile) -> Ev:
    if n[1] is None:

        def ev_ret0(loc: dict[str, Any]) -> Any:
            raise Return(IDENTITY)

        return ev_ret0
    val = c(ip, n[1])

    def ev_ret(loc: dict[str, Any]) -> Any:
        raise Return(val(loc))

    return ev_ret


def _block(ip: Any, n: Any, c: Compile) -> Ev:
    fns = [None if st is None else c(ip, st) for st in n[1]]

    def ev_blk(loc: dict[str, Any]) -> Any:
        last: Any = IDENTITY
        for f in fns:
            last = IDENTITY if f is None else f(loc)
        return last

    return ev_blk


def _fast_amend_op(n: Any) -> Any:
    """The fast-table function of ``name[i] op: e`` with one index free of side effects (:func:`_pure`).

    Such an index changes no binding, so reading it before the target changes nothing.
    """
    idx, op, name = n[2], n[3], n[1]
    if idx is None or len(idx) != 1 or idx[0] is None or op is None or "." in name or n[5]:
        return None
    if not _pure(idx[0]) or op[0] != "c" or type(op[1]) is not tuple or op[1][0] != "op":
        return None
    return FAST.get(op[1][1])


def _pure(n: Any) -> bool:
    """Whether evaluating node ``n`` can change no binding: constants, names, glyphs and mod/div of such."""
    tag = n[0]
    if tag in ("c", "v"):
        return True
    if tag == "paren":
        return n[1] is not None and _pure(n[1])
    if tag == "dg":
        return _pure(n[2]) and _pure(n[3])
    if tag == "d":
        return n[1][0] == "v" and n[1][1] in ("mod", "div") and _pure(n[2]) and _pure(n[3])
    return False


def amend_fast(scope: dict[str, Any], name: str, i: Any, fast: Any, val: Any) -> Any:
    """``v[i] op: x`` in place on a long vector of ``scope`` that nothing else holds; None when not so.

    What :func:`rdq.qlang._assign._inplace` does for this case (the result, the attribute dropped).
    """
    cur = scope.get(name)
    if type(cur) is not V or cur.t != 7 or type(i) is not A or i.t not in (5, 6, 7):
        return None
    if type(val) is not A or val.t != 7 or sys.getrefcount(cur) > 3:  # scope's entry, cur, the argument
        return None
    a = cur.a
    if sys.getrefcount(a) > 3 or not sole_view(a):  # cur.a, a, the argument
        return None
    k = i.v
    if not 0 <= k < len(a):
        return None
    new = fast(int(a[k]), val.v)
    if type(new) is not A or new.t != 7:
        return None
    a[k] = new.v
    cur.attr = ""
    return new


CTL_MAKERS: dict[str, Callable[[Any, Any, Compile], Ev]] = {
    "asg": _assign,
    "fn": _lambda,
    "lst": _list,
    "paren": _paren,
    "adv": _adverb,
    "comp": _compose,
    "pj": _section,
    "cond": _cond,
    "if": _if,
    "do": _do,
    "while": _while,
    "ret": _ret,
    "blk": _block,
}
