"""The qSQL template parser (``select``/``exec``/``update``/``delete`` ... ``by`` ... ``from`` ... ``where``),
a mixin of the expression parser in :mod:`rdq.qlang._parser`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rdq.qlang._lexer import Tok
from rdq.qlang._ptree import _SQL, _colspec
from rdq.qlang._values import A, QError

__all__ = ["SqlParser"]


class SqlParser:
    """``sql()``: one qSQL template as a ``("sql", kind, cols, by, from, where, limit)`` node."""

    toks: list[Tok]
    src: str
    i: int
    nl_ok: list[bool]

    if TYPE_CHECKING:

        def __init__(self, toks: list[Tok], src: str) -> None: ...

        def next(self) -> Tok: ...

        def peek(self) -> Tok | None: ...

        def expr(self) -> Any: ...

    def sql(self) -> Any:
        kind = self.next().val
        # gather tokens of this statement up to end at depth 0
        start = self.i
        depth = 0
        j = start
        while j < len(self.toks):
            kk = self.toks[j].kind
            if kk in ("lp", "lb", "lc"):
                depth += 1
            elif kk in ("rp", "rb", "rc"):
                if depth == 0:
                    break
                depth -= 1
            elif kk == "semi" and depth == 0:
                break
            elif kk == "nl" and depth == 0 and not self.nl_ok[-1] and not _sql_continues(self.toks, j):
                break
            j += 1
        toks = [t for t in self.toks[start:j] if t.kind != "nl"]
        self.i = j
        # split on keywords at depth 0
        parts: dict[str, list[Tok]] = {"cols": [], "by": [], "from": [], "where": []}
        cur = "cols"
        depth = 0
        nested = False
        for t in toks:
            if t.kind in ("lp", "lb", "lc"):
                depth += 1
            elif t.kind in ("rp", "rb", "rc"):
                depth -= 1
            if depth == 0 and t.kind == "name" and cur == "from" and t.val in _SQL:
                nested = True  # ``from select ... where ...``: the rest is the inner query's
            if (
                depth == 0
                and t.kind == "name"
                and t.val in ("by", "from", "where")
                and cur != "where"
                and not nested
            ):
                cur = t.val
                continue
            parts[cur].append(t)
        distinct = kind == "select" and bool(parts["cols"]) and parts["cols"][0].kind == "name"
        distinct = distinct and parts["cols"][0].val == "distinct"
        if distinct:  # select distinct a,b from t (ref/select): distinct rows, the functional form's 1b
            parts["cols"] = parts["cols"][1:]
        limit = None
        order: tuple[str, str] | None = None
        if kind == "select" and parts["cols"] and parts["cols"][0].kind == "lb":
            j2 = _match_in(parts["cols"], 0)
            for ts in _split_semis(parts["cols"][1:j2]):
                o = _order_spec(ts)
                if o is not None:
                    order = o
                elif ts:
                    limit = type(self)(ts, self.src).expr()
            parts["cols"] = parts["cols"][j2 + 1 :]
        cols = [_colspec(self._sub(ts)) for ts in _split_commas(parts["cols"])]
        by = [_colspec(self._sub(ts)) for ts in _split_commas(parts["by"])] if parts["by"] else None
        if not parts["from"]:
            raise QError("from")  # a query without its table (select a,b alone)
        frm = self._sub(parts["from"])
        if order is not None:
            # select[n;>c] (code.kx.com/q/ref/select/#limiting-results): rows sorted by column c (stable),
            # then the where phrase and the first n; sorting the table first gives the same rows in order
            sort_kw = "xasc" if order[0] == "<" else "xdesc"
            frm = ("d", ("v", sort_kw), ("c", A(11, order[1])), frm, 0)
        where = [self._sub(ts) for ts in _split_commas(parts["where"])]
        node = ("sql", kind, cols, by, frm, where, limit)
        return ("j", ("v", "distinct"), node) if distinct else node

    def _sub(self, toks: list[Tok]) -> Any:
        p = type(self)(toks, self.src)
        p.nl_ok = [True]
        e = p.expr()
        if p.peek() is not None:
            raise QError("parse")
        return e


def _split_semis(toks: list[Tok]) -> list[list[Tok]]:
    """Tokens split at the semicolons of depth 0."""
    out: list[list[Tok]] = [[]]
    depth = 0
    for t in toks:
        if t.kind in ("lp", "lb", "lc"):
            depth += 1
        elif t.kind in ("rp", "rb", "rc"):
            depth -= 1
        if depth == 0 and t.kind == "semi":
            out.append([])
            continue
        out[-1].append(t)
    return out


def _order_spec(toks: list[Tok]) -> tuple[str, str] | None:
    """``<c`` or ``>c`` (ascending/descending by column c) in ``select[...]``, else None."""
    if len(toks) == 2 and toks[0].kind == "op" and toks[0].val in ("<", ">") and toks[1].kind == "name":
        return str(toks[0].val), str(toks[1].val)
    return None


def _sql_continues(toks: list[Tok], j: int) -> bool:
    """Whether the template goes on after the newline at ``j`` (next line starts ``from``/``by``/``where``/``,``)."""
    k = j
    while k < len(toks) and toks[k].kind == "nl":
        k += 1
    if k >= len(toks):
        return False
    t = toks[k]
    return (t.kind == "name" and t.val in ("from", "by", "where")) or (t.kind == "op" and t.val == ",")


def _match_in(toks: list[Tok], i: int) -> int:
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].kind in ("lb", "lp", "lc"):
            depth += 1
        elif toks[j].kind in ("rb", "rp", "rc"):
            depth -= 1
            if depth == 0:
                return j
    raise QError("parse")


def _split_commas(toks: list[Tok]) -> list[list[Tok]]:
    if not toks:
        return []
    out: list[list[Tok]] = [[]]
    depth = 0
    for t in toks:
        if t.kind in ("lp", "lb", "lc"):
            depth += 1
        elif t.kind in ("rp", "rb", "rc"):
            depth -= 1
        if depth == 0 and t.kind == "op" and t.val == ",":
            out.append([])
            continue
        out[-1].append(t)
    return out
