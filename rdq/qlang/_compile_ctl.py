"""Compiled closures for assignment, function and list literals and control (``$[...]`` ``if`` ``do`` ``while``
``:x`` ``[a;b]``): the second half of :mod:`rdq.qlang._compile`, whose node compiler each maker is handed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rdq.qlang._core import mklist, to_py_bool
from rdq.qlang._fast import FAST, MISSING
from rdq.qlang._fn import Comp, Lambda, Proj, Return
from rdq.qlang._iter import Derived
from rdq.qlang._values import IDENTITY, A

__all__ = ["CTL_MAKERS", "Compile", "Ev"]

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
    if n[2] is not None or op is not None or "." in name:  # indexed, modified or dotted (namespaces)
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
