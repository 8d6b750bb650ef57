"""Each (``'``) and each-prior (``':``): item-wise application, one vector call where the function is atomic.

The iterator machinery is :mod:`rdq.qlang._iter` (``Derived``, folds and scans); this module holds what
applies a function item by item, which the folds also use (:func:`_conform_len`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rdq.qlang._core import count, item, items, mklist, null_atom
from rdq.qlang._fn import Prim, call, valence
from rdq.qlang._index import match
from rdq.qlang._values import IDENTITY, A, D, Fn, L, QError, T, V

__all__ = ["each", "each_prior"]


def _case(f: Any, args: list[Any]) -> Any:
    """``0 1 0'[a;b]``: pick each item from the list named by f."""
    sel = items(f)
    n = len(sel)
    for a in args:
        if type(a) is not A and count(a) != n:
            raise QError("length")
    dks = [a.k for a in args if type(a) is D]
    if dks and any(not _match(dks[0], k) for k in dks[1:]):
        raise QError("domain")
    out = []
    for i in range(n):
        k = sel[i].v
        if k < 0 or k >= len(args):
            raise QError("index")
        a = args[k]
        out.append(a if type(a) is A else item(a, i) if count(a) == n else _raise_len())
    return mklist(out)


def _match(a: Any, b: Any) -> bool:

    return match(a, b)


def _raise_len() -> Any:
    raise QError("length")


def _conform_len(args: list[Any]) -> int:
    n = -1
    for a in args:
        if type(a) in (V, L, T) or (type(a) is D):
            c = count(a)
            if n == -1:
                n = c
            elif c != n:
                raise QError("length")
    return n


def each(f: Any, args: list[Any]) -> Any:
    if any(type(a) is V for a in args) and _atomic_fn(f):
        r = _each_vec(f, args)
        if r is not None:
            return r
    if len(args) == 1:
        x = args[0]
        if type(x) is D:
            return D(x.k, mklist([call(f, [a]) for a in items(x.v)]))
        if type(x) is A:
            return call(f, [x])
        if type(x) is T:
            return mklist([call(f, [r]) for r in items(x)])
        if isinstance(f, Fn) and f is not IDENTITY:
            fc = f.call  # type: ignore[attr-defined]  # what call(f, [a]) runs, bound once
            return mklist([fc([a]) for a in items(x)])
        return mklist([call(f, [a]) for a in items(x)])
    n = _conform_len(args)
    if n == -1:
        return call(f, args)
    cols = [items(a) if type(a) in (V, L, T, D) else None for a in args]
    out = []
    for i in range(n):
        out.append(call(f, [c[i] if c is not None else a for c, a in zip(cols, args, strict=True)]))
    if any(type(a) is D for a in args):
        d = next(a for a in args if type(a) is D)
        return D(d.k, mklist(out))
    return mklist(out)


#: glyphs that are atomic (apply item by item): ``f'`` of them over vectors is one vector call
_ATOMIC_GLYPHS = frozenset(("+", "-", "*", "%", "&", "|", "=", "<", ">", "<=", ">=", "<>"))
_ATOMIC_KW2 = frozenset(("mod", "div"))
_ATOMIC_KW1 = frozenset(
    (
        "neg",
        "abs",
        "sqrt",
        "exp",
        "log",
        "floor",
        "ceiling",
        "not",
        "signum",
        "reciprocal",
        "sin",
        "cos",
        "tan",
    )
)


def _atomic_fn(f: Any) -> bool:
    """Whether ``f`` is atomic in all its arguments, so that ``f'`` on vectors is ``f`` on the vectors."""
    if isinstance(f, Prim):
        return f.name in _ATOMIC_GLYPHS or f.name in _ATOMIC_KW1 or f.name in _ATOMIC_KW2
    d = getattr(f, "d", None)
    if d is None or not hasattr(d, "params") or not hasattr(d, "body") or getattr(f, "interp", None) is None:
        return False
    cached = getattr(d, "_atomic", None)
    if cached is None:
        body = d.body
        cached = (
            len(body) == 1 and body[0] is not None and not d.pats and _atomic_node(body[0], set(d.params))
        )
        d._atomic = cached
    return bool(cached)


def _atomic_node(n: Any, params: set[str]) -> bool:
    if not isinstance(n, tuple) or not n:
        return False
    tag = n[0]
    if tag == "v":
        return n[1] in params
    if tag == "c":
        return type(n[1]) is A and n[1].t in (1, 4, 5, 6, 7, 8, 9)
    if tag == "paren":
        return _atomic_node(n[1], params)
    if tag == "dg":
        return n[1] in _ATOMIC_GLYPHS and _atomic_node(n[2], params) and _atomic_node(n[3], params)
    if tag == "d":
        v = n[1]
        return (
            v[0] == "v"
            and v[1] in _ATOMIC_KW2
            and v[1] not in params
            and _atomic_node(n[2], params)
            and _atomic_node(n[3], params)
        )
    if tag in ("j", "m"):
        v = n[1]
        ok_f = (v[0] == "v" and v[1] in _ATOMIC_KW1 and v[1] not in params) or (
            tag == "m" and v[0] == "c" and v[1] == ("op", "-")
        )
        return ok_f and _atomic_node(n[2], params)
    return False


def _each_vec(f: Any, args: list[Any]) -> Any:
    """``f'`` over simple numeric vectors (and atoms) by one call of the atomic ``f``; None to loop."""
    n = -1
    for a in args:
        if type(a) is V:
            if a.a.dtype.kind not in "biuf" or (n != -1 and len(a.a) != n):
                return None
            n = len(a.a)
        elif type(a) is not A:
            return None
    if n <= 0 or len(args) != valence(f):
        return None
    try:
        r = call(f, list(args))
    except Exception:  # noqa: BLE001 - the item-by-item loop reports errors as q does
        return None
    return r if type(r) is V and len(r.a) == n else None


_CMP_PRIOR = frozenset(("~", "=", "<>", "<", ">", "<=", ">="))
_VEC_PRIOR = _CMP_PRIOR | frozenset(("+", "-", "*", "%", "&", "|"))


def _each_prior_vec(f: Prim, x: V) -> Any:
    """``f':`` on a simple vector by one vector call: ``f[x 1 ...; x 0 ...]`` after the first item."""
    a = x.a
    fd = f.d
    assert fd is not None
    first = items(V(x.t, a[:1]))[0]
    if f.name == "~":
        eq = a[1:] == a[:-1]
        if a.dtype.kind == "f":
            eq = eq | (np.isnan(a[1:]) & np.isnan(a[:-1]))
        rest: Any = V(1, eq)
    else:
        rest = fd(V(x.t, a[1:]), V(x.t, a[:-1]))
    if f.name in _CMP_PRIOR:
        head = A(1, 0) if f.name == "~" and not _is_null(first) else fd(first, null_atom(x.t))
        if f.name == "~" and _is_null(first):
            head = A(1, 1)
    else:
        head = first
    if type(rest) is V and type(head) is A and head.t == rest.t:
        return V(rest.t, np.concatenate([np.asarray([head.v], dtype=rest.a.dtype), rest.a]))
    return mklist([head, *items(rest)])


def _is_null(a: A) -> bool:
    n = null_atom(a.t)
    v, w = a.v, n.v
    if isinstance(v, float) and isinstance(w, float):
        return bool(np.isnan(v) and np.isnan(w))
    return bool(v == w)


def each_prior(f: Any, args: list[Any]) -> Any:
    if len(args) == 1:
        x = args[0]
        lst = items(x)
        if not lst:
            return x
        seed = None
        if isinstance(f, Prim) and f.d is not None and type(x) is V and f.name in _VEC_PRIOR and len(lst) > 1:
            return _each_prior_vec(f, x)
        if isinstance(f, Prim) and f.name in _CMP_PRIOR and f.d is not None:
            # a comparison's first item compares with the null of the type (``differ`` is ``not(~':)``)
            first = lst[0]
            p0 = null_atom(first.t) if type(first) is A else IDENTITY
            res = [A(1, 0) if p0 is IDENTITY else f.d(first, p0)]
        elif isinstance(f, Prim):
            res = [lst[0]]
        else:
            first = lst[0]
            seed = null_atom(first.t) if type(first) is A else IDENTITY
            res = [call(f, [lst[0], seed])] if seed is not IDENTITY else [call(f, [lst[0], first])]
        for i in range(1, len(lst)):
            res.append(call(f, [lst[i], lst[i - 1]]))
        out = mklist(res)
        if type(x) is D:
            return D(x.k, out)
        return out
    if len(args) == 2:
        seed, x = args
        lst = items(x)
        res = []
        prev = seed
        for a in lst:
            res.append(call(f, [a, prev]))
            prev = a
        if type(x) is D:
            return D(x.k, mklist(res))
        return mklist(res)
    raise QError("rank")
