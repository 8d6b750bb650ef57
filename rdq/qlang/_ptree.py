"""Parse trees: the node kinds the parser makes (:mod:`rdq.qlang._parser`), lambda definitions, the keyword
sets, and helpers that read trees (implicit parameters, locals, inferred column names).

Node kinds (tuples, first item the tag)::

    ("c", value)                     constant
    ("v", name)                      variable reference
    ("ap", f, [args])                application (brackets or juxtaposition); None = elided argument
    ("d", verb, left, right)         infix (dyadic) application
    ("pj", verb, left)               left section such as ``(2+)``
    ("asg", name, idx, op, expr, g)  assignment ``a:e``, ``a[i]:e``, ``a+:e``; g for ``::``
    ("fn", LambdaDef)                lambda
    ("lst", [nodes])                 ``(a;b;c)``
    ("adv", adverb, node)            derived function such as ``+/``
    ("cond"|"if"|"do"|"while", [nodes])
    ("ret", node) ("sig", node) ("seq", [nodes])
    ("tbl", [(name,node)], [(name,node)])   table literal
    ("sql", kind, cols, by, from, where)   qSQL template
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdq.qlang._lexer import Tok

__all__ = ["LambdaDef", "INFIX_KEYWORDS", "MONADIC_KEYWORDS", "is_juxt_comp"]

INFIX_KEYWORDS = frozenset(
    """mod div in within like except inter union cross sv vs ss cut sublist rotate xprev each over scan prior
    mmu lsq bin binr xrank xbar xlog xexp set insert upsert xcol xcols xkey xasc xdesc xgroup ij ijf lj ljf uj ujf pj ej aj aj0
    wavg wsum cor cov scov msum mavg mmax mmin mcount mdev ema xrank and or fby peach asof dsave like ssr
    """.split()
)
MONADIC_KEYWORDS = frozenset(
    """abs all any asc avg avgs ceiling cols count cos deltas desc dev differ distinct enlist exp first fills
    flip floor group iasc idesc inv key keys last log lower ltrim max maxs med min mins neg next not null prd prds
    prev rank ratios raze reciprocal reverse rtrim sdev signum sin sqrt string sum sums tan til trim type ungroup
    upper value var where""".split()
)
_SQL = {"select", "exec", "update", "delete"}
_HOLE = "__hole"


@dataclass
class LambdaDef:
    params: list[str]
    body: list[Any]
    src: str
    locals_: set[str] = field(default_factory=set)
    pats: dict[str, Any] = field(default_factory=dict)
    #: ``(interp, body closure)`` once compiled by :mod:`rdq.qlang._compile` (the interpreter that owns it)
    compiled: Any = field(default=None, repr=False, compare=False)


def _is_bare_verb(n: Any) -> bool:
    return isinstance(n, tuple) and (
        (n[0] == "c" and type(n[1]) is tuple and n[1][0] in ("op", "mop"))
        or n[0] in ("adv", "pj", "comp")
        or _is_juxt_comp(n)
    )


def is_juxt_comp(n: Any) -> bool:
    """Public name of :func:`_is_juxt_comp` for the evaluator."""
    return _is_juxt_comp(n)


def _is_juxt_comp(n: Any) -> bool:
    """``f g@`` / ``desc 3#``: a function juxtaposed with a partial verb is a composition."""
    return (
        isinstance(n, tuple)
        and n[0] == "j"
        and isinstance(n[2], tuple)
        and (n[2][0] in ("pj", "comp") or _is_juxt_comp(n[2]))
    )


def _colspec(e: Any) -> tuple[str | None, Any]:
    """``name:expr`` -> (name, expr); a bare expression -> (None, expr)."""
    if isinstance(e, tuple) and e and e[0] == "asg" and e[2] is None and e[3] is None:
        return e[1], e[4]
    return None, e


def _implicit(toks: list[Tok]) -> int:
    depth = 0
    used = 0
    for t in toks:
        if t.kind == "lc":
            depth += 1
        elif t.kind == "rc":
            depth -= 1
        elif depth == 0 and t.kind == "name":
            if t.val == "z":
                used = 3
            elif t.val == "y":
                used = max(used, 2)
            elif t.val == "x":
                used = max(used, 1)
    return used


def _locals(body: list[Any]) -> set[str]:
    out: set[str] = set()

    def walk(n: Any) -> None:
        if isinstance(n, tuple) and n:
            tag = n[0]
            if tag == "fn":
                return
            if tag == "asg" and n[2] is None and not n[5] and "." not in n[1]:
                out.add(n[1])
            for x in n[1:]:
                walk(x)
        elif isinstance(n, list):
            for x in n:
                walk(x)

    walk(body)
    return out


def _infer_name(e: Any) -> str | None:
    if isinstance(e, tuple):
        if e[0] == "v":  # the virtual column i names nothing: select count i from t is column x
            name = str(e[1]).split(".")[-1]
            return None if name == "i" else name
        if e[0] in ("j", "m"):
            return _infer_name(e[2])
        if e[0] in ("d", "dg"):  # the leftmost term names it: c3*2 is c3, 2*c3 is x (basics/qsql)
            left = e[2]
            if isinstance(left, tuple) and left[0] == "c" and getattr(left[1], "t", None) == 11:
                return _infer_name(e[3])  # a cast `long$amount is named by what it casts
            return _infer_name(left)
        if e[0] == "asg":
            return str(e[1])
        if e[0] == "ap" and e[2]:
            for a in e[2]:
                r = _infer_name(a)
                if r:
                    return r
    return None
