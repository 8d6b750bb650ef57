"""Reflection and parse trees: ``value get set parse eval``.

Sits above qSQL (``eval`` of a functional select runs it); the evaluator is passed in as ``interp``."""

from __future__ import annotations

from typing import Any

import numpy as np

from rdq.qlang._core import EMPTY, _syms, chars, deenum, enlist, mklist, qstr
from rdq.qlang._files import files_of, is_file_sym
from rdq.qlang._fn import Lambda, Prim, Proj, call
from rdq.qlang._iter import Derived
from rdq.qlang._parser import _infer_name, parse
from rdq.qlang._sql import eval_ptree
from rdq.qlang._values import IDENTITY, A, D, E, L, QError, T, V

__all__ = [
    "q_eval",
    "q_get",
    "q_parse",
    "q_set",
    "q_value",
]


def q_value(interp: Any, x: Any) -> Any:
    if type(x) is E:
        return deenum(x)
    if type(x) is D:
        return x.v
    if type(x) is V and x.t == 10:
        if (x.a == 0).any():
            raise QError("char")  # a NUL in source text
        return interp.eval_text(qstr(x))
    if type(x) is A and x.t == 10:
        return interp.eval_text(chr(x.v))
    if is_file_sym(x):  # get `:f / value `:f read the file (ref/get)
        return files_of(interp).get(x)
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
        elif type(f) is V and f.t == 10:  # value("{x+y}";1;2): the string evaluated, then applied
            f = interp.eval_text(qstr(f))
        return call(f, list(x.items[1:]))
    return x


def _lambda_value(f: Lambda) -> Any:

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


def q_parse(interp: Any, x: Any) -> Any:
    """``parse``: q source text -> parse tree (lists of functions, symbols for names, quoted symbols)."""

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
    if tag == "v":  # a keyword is its value (``parse "count x"`` is ``(#:;`x)``); other names stay symbols
        kw = interp.builtins.get(n[1]) if "." not in n[1] else None
        return kw if isinstance(kw, Prim) else A(11, n[1])
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
        f = n[1]
        if f == ("v", "distinct") and n[2][0] == "sql":  # select distinct: 1b where the by phrase goes
            tree = _sql_ptree(interp, n[2])
            return L(tree.items[:3] + [A(1, 1)] + tree.items[4:])
        if f[0] == "paren" and f[1][0] == "c" and type(f[1][1]) is tuple and f[1][1][0] == "op":
            g = f[1][1][1]  # a parenthesized verb applied prefix is its unary form: parse"(+)4" is (+:;4)
            return L([Prim(g + ":", ops[g].m, None), _ptree(interp, n[2])])
        return L([_ptree(interp, f), _ptree(interp, n[2])])
    if tag == "adv":  # parse "+/[x]" is ((/;+);`x)
        return L([ops[n[1]], _ptree(interp, n[2])])
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
    if tag == "sql":
        return _sql_ptree(interp, n)
    raise QError("nyi")


def _sql_ptree(interp: Any, n: Any) -> Any:
    """qSQL as its functional form (code.kx.com/q/basics/funsql): ``parse "select a from t"`` is
    ``(?;`t;();0b;(,`a)!,`a)``; ``exec`` ``(?;t;c;();a)``; ``update`` ``(!;t;c;b;a)``; ``delete``
    ``(!;t;c;0b;names)``. The where phrase is quoted once more (``,,(>;`a;1)``) as q shows it.
    """
    _, kind, cols, by, frm, where, limit = n
    ops = interp.ops
    order: Any = None
    if frm[0] == "d" and len(frm[1]) == 2 and frm[1][1] in ("xasc", "xdesc") and frm[4] == 0:
        # select[n;<c]: the parser sorted the table first; q's tree has (n;,(<:;`c)) as items 6 and 7
        g = "<" if frm[1][1] == "xasc" else ">"
        order = L([L([Prim(g + ":", ops[g].m, None), A(11, frm[2][1].v)])])
        frm = frm[3]
    tbl = _ptree(interp, frm)
    w: Any = L([L([_ptree(interp, c) for c in where])]) if where else EMPTY

    def named(specs: list[Any]) -> Any:
        names = []
        for nm, e in specs:
            names.append(nm or _infer_name(e) or "x")
        return D(_syms(names), mklist([_ptree(interp, e) for _, e in specs]))

    if kind in ("select", "update"):
        b: Any = named(by) if by else A(1, 0)
        a: Any = named(cols) if cols else EMPTY
        tail: list[Any] = [] if limit is None and order is None else [_ptree(interp, limit) if limit else A(7, 2**63 - 1)]
        return L([ops["?" if kind == "select" else "!"], tbl, w, b, a] + tail + ([order] if order else []))
    if kind == "exec":
        b = named(by) if by else EMPTY
        if len(cols) == 1 and cols[0][0] is None:
            a = enlist(_ptree(interp, cols[0][1]))
        else:
            a = named(cols) if cols else EMPTY
        return L([ops["?"], tbl, w, b, a])
    # delete
    names = [nm or _infer_name(e) for nm, e in cols]
    if any(x is None for x in names):
        raise QError("nyi")
    a = L([_syms([str(x) for x in names])]) if names else V(11, np.asarray([], dtype=object))
    return L([ops["!"], tbl, w, A(1, 0), a])


def q_eval(interp: Any, x: Any) -> Any:

    return eval_ptree(interp, x, {})


def q_get(interp: Any, x: Any) -> Any:
    return q_value(interp, x)


def q_set(interp: Any, name: Any, v: Any) -> Any:
    if type(name) is L and name.items and is_file_sym(name.items[0]):
        name = name.items[0]  # (file;block;algorithm;level) set v: q compresses; kept as it is here
    if is_file_sym(name):  # `:f set v: a file of the session's directory (ref/get)
        return files_of(interp).set(name, v)
    interp.g[name.v] = v
    return name
