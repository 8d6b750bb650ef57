"""Function values and application: primitives, lambdas, projections, compositions; ``f[x;y]``, ``x . i`` and amend.

A lambda holds the evaluator that made it (:class:`rdq.qlang._interp.Interp`) and calls back into it; this module
never imports the evaluator."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rdq.qlang._core import count, empty_like, enlist, item, items, mklist, null_atom
from rdq.qlang._format import inline
from rdq.qlang._index import find, find_rows, index, join
from rdq.qlang._parser import LambdaDef
from rdq.qlang._values import DTYPES, IDENTITY, A, D, Fn, L, QError, T, V

if TYPE_CHECKING:
    from rdq.qlang._interp import Interp

__all__ = [
    "Comp",
    "Lambda",
    "Prim",
    "Proj",
    "QExit",
    "Return",
    "View",
    "amend_at",
    "amend_deep",
    "apply",
    "call",
    "enlist_n",
    "index_deep",
    "set_item",
    "valence",
]


class View:
    """A q view (``name::expr`` at top level): re-evaluated each time it is referenced."""

    def __init__(self, name: str, body: str) -> None:
        self.name = name
        self.body = body


class Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class QExit(Exception):
    """``exit n`` was evaluated."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


#: how q prints the keywords that ``q.k`` (kdb+ 4.0) defines in k: primitives print as their glyph with a colon
#: (``count`` is ``#:``), derived verbs as the verb (``sums`` is ``+\\``), lambdas as ``k){...}``. Keywords native
#: in C (``.Q.res``: ``sum``, ``max``, ``like`` ...) print as their names.
K_FORMS = {
    "neg": "-:", "not": "~:", "null": "^:", "string": "$:", "reciprocal": "%:", "floor": "_:", "ltime": "%:",
    "count": "#:", "first": "*:", "reverse": "|:", "distinct": "?:", "group": "=:", "where": "&:", "flip": "+:",
    "type": "@:", "key": "!:", "value": ".:", "get": ".:", "inv": "!:", "hdel": "~:", "hclose": ">:",
    "read0": "0::", "read1": "1::", "and": "&", "or": "|", "mmu": "$", "lsq": "!", "attr": "-2!", "hcount": "-7!",
    "sums": "+\\", "prds": "*\\", "mins": "&\\", "maxs": "|\\", "fills": "^\\", "deltas": "-':", "ratios": "%':",
    "raze": ",/", "eval": "-6!", "reval": "-24!", "md5": "-15!",
    "each": "k){x'y}", "over": "k){x/y}", "scan": "k){x\\y}", "prior": "k){x':y}", "peach": "k){x':y}",
    "sv": "k){x/:y}", "vs": "k){x\\:y}", "mod": "k){x-y*x div y}", "xlog": "k){log[y]%log x}",
    "xbar": 'k){x*y div x:$[16h=abs[@x];"j"$x;x]}', "signum": "k){(x>0)-x<0}",
    "iasc": "k){$[0h>@x;'`rank;<x]}", "idesc": "k){$[0h>@x;'`rank;>x]}", "rank": "k){$[0h>@x;'`rank;<<x]}",
    "til": "k){$[0>@x;!x;'`type]}", "inter": "k){x@&x in y}", "except": "k){x@&~x in y}",
    "fby": "k){@[(#y)#x[0]0#x 1;g;:;x[0]'x[1]g:.=y]}", "trim": "k){ltrim rtrim x}",
}  # fmt: skip


class Prim(Fn):
    """A built-in: glyph or keyword with monadic ``m``, dyadic ``d`` and optional n-ary ``n`` forms.

    ``shown``, when set, is how q prints the keyword: its k definition from ``q.k`` (``count`` is ``#:``,
    ``iasc`` is ``k){$[0h>@x;'`rank;<x]}``; code.kx.com/q/basics/parsetrees). ``name`` stays the q name."""

    shown: str | None = None

    def __init__(
        self,
        name: str,
        m: Callable[[Any], Any] | None = None,
        d: Callable[[Any, Any], Any] | None = None,
        n: Callable[[list[Any]], Any] | None = None,
        *,
        glyph: bool = False,
        valence: int | None = None,
    ) -> None:
        self.name = name
        self.m = m
        self.d = d
        self.n = n
        self.glyph = glyph
        self.t = 102 if glyph else (101 if d is None and n is None else 102)
        if valence is not None:
            self.valence = valence
        else:
            self.valence = 2 if (d is not None or n is not None) else 1

    def show(self) -> str:
        return self.shown or self.name

    def call(self, args: list[Any]) -> Any:
        k = len(args)
        if k == 1:
            if self.m is not None and (self.d is None or not self.glyph):
                return self.m(args[0])
            if self.d is not None or self.n is not None:
                return Proj(self, args)
            raise QError("rank")
        if k == 2 and self.d is not None:
            return self.d(args[0], args[1])
        if self.n is not None:
            return self.n(args)
        if k == 0:
            return self
        raise QError("rank")


class Lambda(Fn):
    t = 100

    def __init__(self, d: LambdaDef, interp: Interp) -> None:
        self.d = d
        self.interp = interp
        self.valence = len(d.params)
        self.params = d.params
        self.src = d.src

    def show(self) -> str:
        return self.d.src

    def call(self, args: list[Any]) -> Any:
        if len(args) != self.valence:
            if len(args) == 1 and self.valence == 0:
                args = []
            elif len(args) < self.valence:
                return Proj(self, list(args) + [None] * 0)
            else:
                raise QError("rank")
        params = self.params
        if len(params) == 1:
            loc = {params[0]: args[0], ".z.s": self}  # .z.s: the running function itself
        else:
            loc = dict(zip(params, args, strict=True))
            loc[".z.s"] = self
        d = self.d
        if d.pats:
            for nm, pat in d.pats.items():
                self.interp.pattern(pat, loc.pop(nm) if nm.startswith("__p") else loc[nm], loc)
        try:
            run = d.compiled
            if run is not None and run[0] is self.interp:
                return run[1](loc)  # the body compiled to closures (rdq.qlang._compile)
            return self.interp.run_body(d, loc)
        except Return as ret:  # ``:x`` in a compiled body
            return ret.value
        except QError as e:
            if e.pos is None:
                e.pos = -1
            raise


class Proj(Fn):
    t = 104

    def __init__(self, f: Any, args: list[Any]) -> None:
        self.f = f
        self.args = args
        fv = valence(f)
        nmiss = sum(1 for a in args if a is None)
        self.valence = nmiss + max(fv - len(args), 0)
        if self.valence == 0:
            self.valence = 1

    def show(self) -> str:

        inner = ";".join("" if a is None else inline(a) for a in self.args)
        f = self.f
        if isinstance(f, Prim) and f.glyph and len(self.args) == 1 and self.args[0] is not None:
            return "(" + inline(self.args[0]) + f.name + ")"
        if isinstance(f, Prim) and (f.shown or "").startswith("k)"):  # a q.k lambda: k){x'y}[#:]
            inner = ";".join("" if a is None else inline(a) for a in _strip_trailing(self.args))
        return _fn_show(f) + "[" + inner + "]"

    def call(self, args: list[Any]) -> Any:
        full = []
        it = iter(args)
        for a in self.args:
            if a is None:
                full.append(next(it, None))
            else:
                full.append(a)
        full.extend(it)
        if any(a is None for a in full):
            return Proj(self.f, full)
        return call(self.f, full)


def _strip_trailing(args: list[Any]) -> list[Any]:
    n = len(args)
    while n and args[n - 1] is None:
        n -= 1
    return args[:n]


def _fn_show(f: Any) -> str:
    if hasattr(f, "show"):
        s = f.show()
        return str(s)
    return "?"


class Comp(Fn):
    """Composition ``f g`` of a (possibly projected) function with another: ``'[f;g]``."""

    t = 105

    def __init__(self, fs: list[Any]) -> None:
        self.fs = fs
        self.valence = valence(fs[-1])

    def show(self) -> str:
        return "".join(_fn_show(f) for f in self.fs)

    def call(self, args: list[Any]) -> Any:
        r = call(self.fs[-1], args)
        for f in reversed(self.fs[:-1]):
            r = call(f, [r])
        return r


def valence(f: Any) -> int:
    if isinstance(f, Fn):
        return f.valence
    return 1


def call(f: Any, args: list[Any]) -> Any:
    """Apply f to an argument list (functions or data)."""
    if isinstance(f, Fn):
        if f is IDENTITY:
            if len(args) == 1:
                return args[0]
            raise QError("rank")
        return f.call(args)  # type: ignore[attr-defined]
    return index_deep(f, args)


def apply(f: Any, x: Any) -> Any:
    """Juxtaposition / one-argument application."""
    if isinstance(f, Fn):
        if f is IDENTITY:
            return x
        return f.call([x])  # type: ignore[attr-defined]
    return index(f, x)


def index_deep(x: Any, args: list[Any]) -> Any:
    if not args:
        return x
    i = args[0]
    rest = args[1:]
    if i is None:
        i = IDENTITY
    if not rest:
        if isinstance(x, Fn):
            return call(x, [i])
        return index(x, i)
    if (
        type(x) is T
        and (type(i) is A and i.t != 11 or type(i) is V and i.t != 11)
        and type(rest[0]) in (A, V)
    ):
        # t[rows;cols]
        r = index(x, i)
        return index_deep(r, rest)
    if i is IDENTITY:
        if type(x) is D:
            return D(x.k, mklist([index_deep(a, rest) for a in items(x.v)]))
        if type(x) is T:
            return (
                index_deep(index(x, rest[0]), [IDENTITY] + rest[1:])
                if False
                else mklist([index_deep(r, rest) for r in items(x)])
            )
        return mklist([index_deep(a, rest) for a in items(x)])
    r = index(x, i) if not isinstance(x, Fn) else call(x, [i])
    if type(i) is A:
        return index_deep(r, rest)
    # vector index: apply rest to each selected item
    if type(r) is D:
        return D(r.k, mklist([index_deep(a, rest) for a in items(r.v)]))
    return mklist([index_deep(a, rest) for a in items(r)])


def enlist_n(a: A, n: int) -> Any:

    if a.t in (11, 2):
        return V(a.t, np.array([a.v] * n, dtype=object))
    return V(a.t, np.full(n, a.v, dtype=DTYPES[a.t]))


def amend_deep(x: Any, idx: list[Any], f: Any, y: Any) -> Any:
    """``.[x;idx;f;y]`` (f None means assign y)."""
    if not idx:
        if f is None:
            return y
        return call(f, [x, y]) if y is not _NOARG else call(f, [x])
    i = idx[0]
    rest = idx[1:]
    if i is IDENTITY or i is None:
        n = count(x)
        if type(x) is D:
            i = x.k
        elif type(x) is T and rest:
            # t[;`col] style
            return (
                amend_deep(x, [rest[0]] + [IDENTITY] + rest[1:], f, y)
                if False
                else _amend_table_all(x, rest, f, y)
            )
        else:
            i = V(7, np.arange(n, dtype=np.int64))
    if type(i) is A or (type(x) is D and type(x.k) is T):
        if rest:
            cur = index(x, i)
            if (
                type(cur) is L
                and not cur.items
                and type(x) is D
                and type(x.v) is L
                and x.v.items
                and type(x.v.items[0]) is D
            ):
                # a new key in a dictionary of dictionaries starts from the first one's empty form
                p0 = x.v.items[0]

                cur = D(empty_like(p0.k), empty_like(p0.v))
            new = amend_deep(cur, rest, f, y)
            return amend_at(x, i, None, new)
        return amend_at(x, i, f, y)
    # vector of indices: pair y items (unless atom)
    iis = items(i)
    ys = items(y) if (type(y) in (V, L) and y is not _NOARG) else None
    if ys is not None and len(ys) != len(iis):
        if f is None or True:
            raise QError("length")
    for k, ii in enumerate(iis):
        yy = ys[k] if ys is not None else y
        x = amend_deep(x, [ii] + rest, f, yy)
    return x


def _amend_table_all(x: T, rest: list[Any], f: Any, y: Any) -> Any:
    col = rest[0]
    cols = list(x.cols)
    data = list(x.data)
    cn = [col.v] if type(col) is A else list(col.a.tolist())
    for k, c in enumerate(cn):
        yy = item(y, k) if type(col) is V and type(y) in (L,) else y
        j = cols.index(c)
        data[j] = amend_deep(data[j], [IDENTITY] + rest[1:], f, yy)
    return T(cols, data)


class _NoArg:
    pass


_NOARG: Any = _NoArg()


def amend_at(x: Any, i: Any, f: Any, y: Any) -> Any:
    """Amend x at one atom index i (or keyed-table key) with f (None = assign)."""
    tx = type(x)
    if tx is D:
        if type(x.k) is T:
            krow = i if type(i) is D else None
            if krow is None:
                kt = T(list(x.k.cols), [enlist(i)])
            else:
                kt = T(list(x.k.cols), [enlist(a) for a in items(krow.v)])
            p = int(find_rows(x.k, kt)[0])

            if p >= count(x.k):
                newk = join(x.k, kt)
                nullrow = _null_row(x.v)
                newv = join(x.v, enlist(nullrow))
                x = D(newk, newv)
            old = item(x.v, p)
            new = y if f is None else (call(f, [old, y]) if y is not _NOARG else call(f, [old]))
            return D(x.k, _set_row(x.v, p, new))

        p = find(x.k, i)
        n = count(x.k)
        if p >= n:
            k2 = join(x.k, enlist(i)) if count(x.k) else enlist(i)
            old = _null_like_vals(x.v)
            new = y if f is None else (call(f, [old, y]) if y is not _NOARG else call(f, [old]))
            if count(x.v) and type(x.v) is L and type(new) is D:
                v2 = L(x.v.items + [new])  # a dictionary value stays a dictionary (enlist would make a table)
            else:
                v2 = join(x.v, enlist(new)) if count(x.v) else enlist(new)
            return D(k2, v2)
        old = item(x.v, p)
        new = y if f is None else (call(f, [old, y]) if y is not _NOARG else call(f, [old]))
        return D(x.k, set_item(x.v, p, new))
    if tx is T:
        if type(i) is A and i.t == 11:
            cols = list(x.cols)
            data = list(x.data)
            if i.v in cols:
                j = cols.index(i.v)
                old = data[j]
                new = y if f is None else (call(f, [old, y]) if y is not _NOARG else call(f, [old]))
                data[j] = new if type(new) is not A else enlist_n(new, count(x))
            else:
                cols.append(i.v)
                data.append(y if type(y) is not A else enlist_n(y, count(x)))
            return T(cols, data)
        k = i.v
        old = item(x, k)
        new = y if f is None else (call(f, [old, y]) if y is not _NOARG else call(f, [old]))
        return _set_row(x, k, new)
    if tx is V or tx is L:
        k = i.v
        if type(i) is not A or i.t not in (1, 4, 5, 6, 7):
            raise QError("type")
        if k < 0 or k >= count(x):
            raise QError("index")
        old = item(x, k)
        new = y if f is None else (call(f, [old, y]) if y is not _NOARG else call(f, [old]))
        return set_item(x, k, new)
    if tx is A:
        raise QError("type")
    raise QError("type")


def _null_like_vals(v: Any) -> Any:

    if type(v) is V:
        return null_atom(v.t)
    if type(v) is L and v.items and type(v.items[0]) is A:
        return null_atom(v.items[0].t)
    return A(7, null_atom(7).v)


def _null_row(t: T) -> Any:

    vals = [null_atom(c.t) if type(c) is V else L([]) for c in t.data]
    return D(V(11, np.array(t.cols, dtype=object)), mklist(vals))


def _set_row(t: T, k: int, row: Any) -> T:
    data = list(t.data)
    vals = items(row.v) if type(row) is D else items(row)
    for j in range(len(data)):
        data[j] = set_item(data[j], k, vals[j])
    return T(list(t.cols), data)


def set_item(x: Any, k: int, new: Any) -> Any:
    if type(x) is V:
        if type(new) is A and new.t == x.t:
            a = x.a.copy()
            a[k] = new.v
            return V(x.t, a)
        if type(new) is A and x.t in (5, 6, 7, 8, 9) and new.t in (1, 4, 5, 6, 7, 8, 9) and new.t <= x.t:
            a = x.a.copy()
            a[k] = new.v
            return V(x.t, a)
        if type(new) is A and x.t in (8, 9) and new.t in (8, 9):
            a = x.a.copy()
            a[k] = new.v
            return V(x.t, a)
        if type(new) is A:
            raise QError("type")
        lst = list(items(x))
        lst[k] = new
        return L(lst)
    if type(x) is L:
        lst = list(x.items)
        lst[k] = new
        return mklist(lst)
    raise QError("type")
