"""Apply and amend verbs: ``@`` and ``.`` with two, three and four arguments, ``:``."""

from __future__ import annotations

from typing import Any

from rdq.qlang._core import chars, items
from rdq.qlang._fn import _NOARG, Prim, amend_deep, call, index_deep
from rdq.qlang._values import IDENTITY, A, D, Fn, L, QError, T, V

__all__ = [
    "make_at_n",
    "make_dot_n",
    "q_at",
    "q_colon_m",
    "q_dot",
    "q_dyad_colon",
]


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


def q_dyad_colon(x: Any, y: Any) -> Any:
    return y


def q_colon_m(x: Any) -> Any:
    return x
