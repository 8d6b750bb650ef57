"""Iterators (adverbs): each ``'``, over ``/``, scan ``\\``, each-prior ``':``, each-right ``/:``, each-left ``\\:``, and the derived functions they make.

Folds of the atomic primitives dispatch to the vector aggregates (``+/`` is ``sum``); each and each-prior
are in :mod:`rdq.qlang._iter_each`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rdq.qlang._core import enlist, items, mklist, to_py_bool
from rdq.qlang._fn import Prim, Proj, _fn_show, call, valence
from rdq.qlang._index import index, match
from rdq.qlang._iter_each import _case, _conform_len, each, each_prior
from rdq.qlang._v_math import q_max, q_min, q_prd, q_sum
from rdq.qlang._v_str import q_sv, q_vs
from rdq.qlang._values import IDENTITY, A, D, Fn, L, QError, V

__all__ = [
    "Derived",
    "ITERATORS",
    "each",
    "each_prior",
    "over",
]

#: the q type of a derived function, by its iterator
_ADV_TYPES = {"'": 106, "/": 107, "\\": 108, "':": 109, "/:": 110, "\\:": 111}


class Derived(Fn):
    """A function derived by an adverb."""

    def __init__(self, adv: str, f: Any) -> None:
        self.adv = adv
        self.f = f
        self.t = _ADV_TYPES[adv]
        fv = valence(f) if isinstance(f, Fn) else 1
        self.fv = fv
        if adv in ("/", "\\"):
            self.valence = fv if fv > 1 else 2
        elif adv == "':":
            self.valence = 2
        else:
            self.valence = fv if fv > 1 else (1 if adv == "'" else 2)

    def show(self) -> str:
        return _fn_show(self.f) + self.adv

    def call(self, args: list[Any]) -> Any:
        if any(a is None for a in args):
            return Proj(self, args)
        adv = self.adv
        f = self.f
        if not isinstance(f, Fn) and adv in ("/:", "\\:") and len(args) == 1:
            return q_sv(f, args[0]) if adv == "/:" else q_vs(f, args[0])
        if not isinstance(f, Fn) and adv == "'" and type(f) in (V, A):
            return _case(f, args)
        if adv == "'":
            return each(f, args)
        if adv == "/":
            return over(f, args, scan=False)
        if adv == "\\":
            return over(f, args, scan=True)
        if adv == "/:":
            if len(args) != 2:
                if len(args) == 1:
                    return Proj(self, args)
                raise QError("rank")
            x, y = args
            if type(y) is D:
                return D(y.k, mklist([call(f, [x, b]) for b in items(y.v)]))
            if type(y) is A:
                return call(f, [x, y])
            return mklist([call(f, [x, b]) for b in items(y)])
        if adv == "\\:":
            if len(args) != 2:
                if len(args) == 1:
                    return Proj(self, args)
                raise QError("rank")
            x, y = args
            if type(x) is D:
                return D(x.k, mklist([call(f, [a, y]) for a in items(x.v)]))
            if type(x) is A:
                return call(f, [x, y])
            return mklist([call(f, [a, y]) for a in items(x)])
        if adv == "':":
            return each_prior(f, args)
        raise QError("nyi")


def _as_prim(f: Any) -> Any:
    """``{x+y}`` (a lambda that is one atomic glyph on its two parameters) as that glyph; else ``f``."""
    d = getattr(f, "d", None)
    if isinstance(f, Prim) or d is None or not hasattr(d, "body") or getattr(f, "interp", None) is None:
        return f
    body = d.body
    if len(body) == 1 and body[0] is not None and len(d.params) == 2 and not d.pats:
        b = body[0]
        if (
            b[0] == "dg"
            and b[1] in ("+", "*", "|", "&")
            and b[2][0] == "v"
            and b[3][0] == "v"
            and b[2][1] == d.params[0]
            and b[3][1] == d.params[1]
        ):
            return f.interp.ops[b[1]]
    return f


def _iterator(adv: str) -> Prim:
    """An iterator as a value (``(/;+)`` in a parse tree; type 103h): applied to a function it derives one."""
    p = Prim(adv, lambda f: Derived(adv, f))
    p.t = 103
    return p


#: the six iterators as values, by glyph
ITERATORS = {adv: _iterator(adv) for adv in _ADV_TYPES}


def _fast_scan(f: Any, x: V) -> Any:
    r"""``+\ *\ |\ &\`` on a long or float vector without nulls, by one numpy call."""
    if not (isinstance(f, Prim) and f.name in ("+", "*", "|", "&") and x.t in (7, 9)):
        return None
    a = x.a
    if (x.t == 9 and np.isnan(a).any()) or (x.t == 7 and (a == np.iinfo(np.int64).min).any()):
        return None
    if f.name == "+":
        r = np.cumsum(a, dtype=a.dtype)
    elif f.name == "*":
        r = np.cumprod(a, dtype=a.dtype)
    elif f.name == "|":
        r = np.maximum.accumulate(a)
    else:
        r = np.minimum.accumulate(a)
    return V(x.t, r)


def _caller(f: Any) -> Callable[[list[Any]], Any]:
    """``call(f, args)`` bound once: a function's own ``call`` (the identity and data keep ``call``)."""
    if isinstance(f, Fn) and f is not IDENTITY:
        return f.call  # type: ignore[attr-defined, no-any-return]
    return lambda args: call(f, args)


def over(f: Any, args: list[Any], *, scan: bool) -> Any:
    fv = valence(f) if isinstance(f, Fn) else 1
    if not isinstance(f, Fn):
        # a list/dict used as a function: converge / finite-state machine
        fv = 1 if len(args) == 1 else 2
        if len(args) == 2:
            g = f

            def fn1(a: Any) -> Any:
                return index(g, a)

            return _converge(fn1, args[1], scan=scan, n=args[0])
        return _converge(lambda a: index(f, a), args[0], scan=scan)
    if fv == 1 or (len(args) == 1 and isinstance(f, Derived) and f.adv in ("/", "\\")):
        if len(args) == 1:
            fc = _caller(f)
            return _converge(lambda a: fc([a]), args[0], scan=scan)
        if len(args) == 2:
            fc = _caller(f)
            return _converge(lambda a: fc([a]), args[1], scan=scan, n=args[0])
        raise QError("rank")
    fc = _caller(f)
    if len(args) == 1:
        x = args[0]
        if type(x) is D:
            lst = items(x.v)
            if not lst:
                return _empty_fold(f, x)
            acc = lst[0]
            res = [acc]
            for a in lst[1:]:
                acc = fc([acc, a])
                res.append(acc)
            return D(x.k, mklist(res)) if scan else acc
        if type(x) is A:
            return x
        pf = _as_prim(f)
        if type(x) is V and len(x.a) > 0:
            fast = _fast_scan(pf, x) if scan else _fast_fold(pf, x)
            if fast is not None:
                return fast
        lst = items(x)
        if not lst:
            return _empty_fold(f, x)
        acc = lst[0]
        if not scan:
            for a in lst[1:]:
                acc = fc([acc, a])
            return acc
        if isinstance(f, Prim) and f.name == "," and type(acc) is A:
            acc = enlist(acc)
        res = [acc]
        for a in lst[1:]:
            acc = fc([acc, a])
            res.append(acc)
        return mklist(res)
    if len(args) == 2 and fv == 2:
        acc, x = args
        if type(x) is A:
            r = call(f, [acc, x])
            return r if not scan else r
        lst = items(x)
        if scan:
            res = []
            for a in lst:
                acc = fc([acc, a])
                res.append(acc)
            if type(x) is D:
                return D(x.k, mklist(res))
            return mklist(res)
        for a in lst:
            acc = fc([acc, a])
        return acc
    # n-ary fold: f/[acc; l1; l2 ...]
    if len(args) < fv:
        return Proj(Derived("\\" if scan else "/", f), args)
    acc = args[0]
    rest = args[1:]
    n = _conform_len(rest)
    if n == -1:
        return call(f, [acc] + rest)
    cols = [items(a) if type(a) in (V, L) else None for a in rest]
    res = []
    for i in range(n):
        acc = call(f, [acc] + [c[i] if c is not None else a for c, a in zip(cols, rest, strict=True)])
        res.append(acc)
    return mklist(res) if scan else acc


def _empty_fold(f: Any, x: Any) -> Any:
    if isinstance(f, Prim):
        ident = {"+": A(7, 0), "*": A(7, 1), "|": A(1, 0), "&": A(1, 1), ",": x}.get(f.name)
        if ident is not None:
            if f.name in "+*" and type(x) is V and x.t in (8, 9):
                return A(9, float(ident.v))
            return ident
        return IDENTITY
    return L([])


def _fast_fold(f: Any, x: Any) -> Any:
    if (
        isinstance(f, Prim)
        and type(x) is V
        and f.name in ("+", "*", "|", "&", "-", ",")
        and x.t in (1, 4, 5, 6, 7, 8, 9)
    ):
        if f.name == "+":
            return q_sum(x)
        if f.name == "*":
            return q_prd(x)
        if f.name == "|":
            return q_max(x)
        if f.name == "&":
            return q_min(x)
    return None


def _converge(fn: Callable[[Any], Any], x: Any, *, scan: bool, n: Any = None) -> Any:

    if n is not None:
        if type(n) is A and n.t in (1, 4, 5, 6, 7):
            k = n.v
            res = [x]
            for _ in range(k):
                x = fn(x)
                if scan:
                    res.append(x)
            return mklist(res) if scan else x
        # while condition
        res = [x]
        while to_py_bool(call(n, [x])):
            x = fn(x)
            if scan:
                res.append(x)
        return mklist(res) if scan else x
    res = [x]
    first = x
    prev = x
    while True:
        nx = fn(prev)
        if match(nx, prev) or match(nx, first):
            break
        prev = nx
        if scan:
            res.append(nx)
    return mklist(res) if scan else prev
