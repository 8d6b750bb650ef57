"""Parser: q tokens -> a small tuple AST evaluated right to left by :mod:`rdq.qlang._interp`.

The node kinds are listed in :mod:`rdq.qlang._ptree` (with :class:`LambdaDef` and the tree helpers); the
qSQL templates are parsed by the :class:`~rdq.qlang._parse_sql.SqlParser` mixin.
"""

from __future__ import annotations

from typing import Any

from rdq.qlang._lexer import Tok, tokenize
from rdq.qlang._parse_sql import SqlParser
from rdq.qlang._ptree import (
    _HOLE,
    _SQL,
    INFIX_KEYWORDS,
    MONADIC_KEYWORDS,
    LambdaDef,
    _colspec,
    _implicit,
    _infer_name,
    _is_bare_verb,
    _locals,
    is_juxt_comp,
)
from rdq.qlang._values import QError

__all__ = ["LambdaDef", "parse", "INFIX_KEYWORDS", "MONADIC_KEYWORDS", "is_juxt_comp", "_infer_name"]


class _P(SqlParser):
    def __init__(self, toks: list[Tok], src: str) -> None:
        self.toks = toks
        self.src = src
        self.i = 0
        self.nl_ok: list[bool] = [False]  # True: newline is whitespace
        self.holes = 0  # trailing ``::`` seen: ``1+til::`` is the function ``{1+til x}``

    # -- token helpers ----------------------------------------------------
    def peek(self) -> Tok | None:
        while self.i < len(self.toks):
            t = self.toks[self.i]
            if t.kind == "nl" and self.nl_ok[-1]:
                self.i += 1
                continue
            return t
        return None

    def next(self) -> Tok:
        t = self.peek()
        if t is None:
            raise QError("parse")
        self.i += 1
        return t

    def at_end(self) -> bool:
        t = self.peek()
        return t is None or t.kind in ("semi", "rp", "rb", "rc", "nl")

    # -- statements ---------------------------------------------------------
    def block(self, closer: str | None) -> list[Any]:
        """Statements separated by ``;`` (and newlines) up to ``closer`` (not consumed)."""
        out: list[Any] = []
        prev_sep = "start"
        while True:
            e = self.hexpr()
            t = self.peek()
            nxt = "end" if t is None or (closer is not None and t.kind == closer) else t.kind
            if not (e is None and prev_sep in ("start", "nl") and nxt in ("nl", "end")) or (
                e is None and prev_sep == "start" and nxt == "end"
            ):
                if not (e is None and prev_sep == "nl" and nxt == "end" and out):
                    out.append(e)
            if t is None:
                if closer is not None:
                    raise QError("parse")
                return out or [None]
            if t.kind in ("nl", "semi"):
                self.i += 1
                prev_sep = t.kind
                continue
            if closer is not None and t.kind == closer:
                return out or [None]
            raise QError("parse")

    def args(self, closer: str) -> list[Any]:
        """Bracket or paren items separated by ``;`` up to closer (consumed)."""
        self.nl_ok.append(True)
        out: list[Any] = []
        while True:
            e = self.hexpr()
            out.append(e)
            t = self.next()
            if t.kind == "semi":
                continue
            if t.kind == closer:
                break
            raise QError("parse")
        self.nl_ok.pop()
        return out

    # -- expressions --------------------------------------------------------
    def hexpr(self) -> Any:
        """An expression; one ending in a bare ``::`` is the function of that hole (``sum get::``)."""
        before = self.holes
        t0 = self.peek()
        e = self.expr()
        if self.holes == before or e is None or t0 is None:
            return e
        self.holes = before
        end = self.toks[self.i - 1].end if self.i > 0 else t0.pos
        ld = LambdaDef([_HOLE], [e], self.src[t0.pos : end])
        ld.locals_ = _locals([e])
        return ("fn", ld)

    def _hole_at(self, j: int) -> bool:
        """Whether token ``j`` is a ``::`` ending an expression after a function (not ``(::)``, ``f[;::]``)."""
        if j >= len(self.toks) or j == 0:
            return False
        t = self.toks[j]
        if t.kind != "op" or t.val != "::":
            return False
        prev = self.toks[j - 1]
        if prev.kind in ("lp", "lb", "lc", "semi", "nl", "num", "str", "sym"):
            return False
        nt = self.toks[j + 1] if j + 1 < len(self.toks) else None
        return nt is None or nt.kind in ("semi", "rp", "rb", "rc", "nl")

    def expr(self) -> Any:
        t = self.peek()
        if t is None or t.kind in ("semi", "rp", "rb", "rc", "nl"):
            return None
        if t.kind == "op" and t.val == ":":
            nt = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
            if nt is None or nt.kind in ("semi", "rb", "rp"):
                self.i += 1
                return ("c", ("op", ":"))
            if nt.kind == "lb" and not nt.space:
                self.i += 2
                return ("pcond", self.args("rb"))
            if not (nt.kind == "adv" and not nt.space):
                self.i += 1
                return ("ret", self.expr())
        if t.kind == "sig":
            self.i += 1
            return ("sig", self.expr())
        if t.kind == "name" and t.val in _SQL:
            return self.sql()
        left, isverb = self.term()
        if left[0] in ("paren", "lst") or (left[0] == "tbl" and not left[2]):
            t = self.peek()
            if t is not None and t.kind == "op" and t.val == ":":
                self.i += 1
                return ("pat", left, self.expr(), t.pos)
        if self.at_end():
            return left
        if isverb:
            rhs = self.expr()
            return ("m", left, rhs)
        save = self.i
        t = self.peek()
        assert t is not None
        nxt2 = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
        if (
            left[0] == "v"
            and left[1] in MONADIC_KEYWORDS
            and not (t.kind == "name" and t.val in INFIX_KEYWORDS)
            and not (t.kind == "op" and (nxt2 is None or nxt2.kind in ("semi", "rp", "rb", "rc", "nl")))
            and not (t.kind == "op" and nxt2 is not None and nxt2.kind == "adv" and not nxt2.space)
        ):
            return ("j", left, self.expr())
        if t.kind == "name" and t.val in INFIX_KEYWORDS and not self._followed_by_bracket():
            self.i += 1
            verb: Any = ("v", t.val)
            verb = self.postfix_adverbs(verb)
            rhs = self.expr()
            if rhs is None:
                return ("pj", verb, left)
            return ("d", verb, left, rhs, t.pos)
        vt = self.peek()
        v, vverb = self.term()
        if vverb:
            rhs = self.expr()
            if rhs is None:
                return ("pj", v, left)
            if _is_bare_verb(rhs):
                return ("comp", ("pj", v, left), rhs)
            if v[0] == "c" and type(v[1]) is tuple and v[1][0] == "op":
                return ("dg", v[1][1], left, rhs, vt.pos if vt else 0)
            return ("d", v, left, rhs, vt.pos if vt else 0)
        self.i = save
        rhs = self.expr()
        return ("j", left, rhs)

    def _followed_by_bracket(self) -> bool:
        j = self.i + 1
        return j < len(self.toks) and self.toks[j].kind == "lb" and not self.toks[j].space

    def postfix_adverbs(self, node: Any) -> Any:
        while True:
            t = self.peek()
            if t is not None and t.kind == "adv" and not t.space:
                self.i += 1
                node = ("adv", t.val, node)
                continue
            return node

    def term(self) -> tuple[Any, bool]:
        """One noun or verb with its brackets and adverbs; returns (node, is_verb)."""
        t = self.next()
        k = t.kind
        isverb = False
        node: Any
        if k in ("num", "sym", "str"):
            node = ("c", t.val)
        elif k == "name":
            name = t.val
            nt = self.peek()
            if name in ("if", "do", "while") and nt is not None and nt.kind == "lb":
                self.i += 1
                return (name, self.args("rb")), False
            if nt is not None and self._hole_at(self.i):
                self.i += 1
                self.holes += 1
                return ("j", ("v", name, t.pos), ("v", _HOLE)), False
            # assignment forms
            if nt is not None and nt.kind == "op" and nt.val in (":", "::"):
                self.i += 1
                return ("asg", name, None, None, self.hexpr(), nt.val == "::", nt.pos), False
            if nt is not None and nt.kind == "lb" and not nt.space:
                j = self._match(self.i)
                after = self.toks[j + 1] if j + 1 < len(self.toks) else None
                if after is not None and after.kind == "op" and after.val in (":", "::"):
                    self.i += 1
                    idx = self.args("rb")
                    self.i += 1
                    return ("asg", name, idx, None, self.hexpr(), after.val == "::", after.pos), False
                if (
                    after is not None
                    and after.kind == "op"
                    and after.val not in (":", "::")
                    and j + 2 < len(self.toks)
                    and self.toks[j + 2].kind == "op"
                    and self.toks[j + 2].val == ":"
                    and not self.toks[j + 2].space
                ):
                    self.i += 1
                    idx = self.args("rb")
                    op = self.next().val
                    self.i += 1
                    return ("asg", name, idx, ("c", ("op", op)), self.expr(), False), False
            if (
                nt is not None
                and nt.kind == "op"
                and self.i + 1 < len(self.toks)
                and self.toks[self.i + 1].kind == "op"
                and self.toks[self.i + 1].val == ":"
                and not self.toks[self.i + 1].space
                and nt.val not in (":", "::")
            ):
                op = nt.val
                self.i += 2
                return ("asg", name, None, ("c", ("op", op)), self.expr(), False), False
            if (
                nt is not None
                and nt.kind == "name"
                and nt.val in INFIX_KEYWORDS
                and self.i + 1 < len(self.toks)
                and self.toks[self.i + 1].kind == "op"
                and self.toks[self.i + 1].val == ":"
                and not self.toks[self.i + 1].space
            ):
                self.i += 2
                return ("asg", name, None, ("v", nt.val), self.expr(), False), False
            node = ("v", name, t.pos)
        elif k == "op" and self._hole_at(self.i - 1):
            self.holes += 1
            return ("v", _HOLE), False
        elif k == "op":
            if t.val == "$":
                nt = self.peek()
                if nt is not None and nt.kind == "lb" and not nt.space:
                    self.i += 1
                    return ("cond", self.args("rb")), False
            nt = self.peek()
            if nt is not None and nt.kind == "op" and nt.val == ":" and not nt.space and t.val != ":":
                self.i += 1
                node = ("c", ("mop", t.val))
            else:
                node = ("c", ("op", t.val))
            isverb = True
        elif k == "lp":
            node = self.paren()
        elif k == "lc":
            node = self.lambda_(t)
        elif k == "lb":
            # a block [e1;e2;...] (as in $[c;[a;b];d]): evaluate in order, value of the last
            node = ("blk", self.args("rb"))
        elif k == "adv":
            # a bare adverb used as a noun-ish function, e.g. (/) is not valid; treat ' as each
            node = ("c", ("op", t.val))
            isverb = True
        else:
            raise QError("parse")
        # postfix: brackets and adverbs
        while True:
            nt = self.peek()
            if nt is None:
                break
            if nt.kind == "lb" and not nt.space:
                self.i += 1
                node = ("ap", node, self.args("rb"))
                isverb = False
                continue
            if nt.kind == "adv" and not nt.space:
                self.i += 1
                node = ("adv", nt.val, node)
                isverb = True
                continue
            break
        return node, isverb

    def _match(self, i: int) -> int:
        """Index of the bracket closing the one at ``i``."""
        depth = 0
        for j in range(i, len(self.toks)):
            kk = self.toks[j].kind
            if kk in ("lb", "lp", "lc"):
                depth += 1
            elif kk in ("rb", "rp", "rc"):
                depth -= 1
                if depth == 0:
                    return j
        raise QError("parse")

    def paren(self) -> Any:
        t = self.peek()
        if t is not None and t.kind == "rp":
            self.i += 1
            return ("c", ("emptylist",))
        if t is not None and t.kind == "lb":
            # table literal
            self.i += 1
            keys = self.args("rb")
            self.nl_ok.append(True)
            vals = self.args("rp")
            self.nl_ok.pop()
            return (
                "tbl",
                [_colspec(e) for e in keys if e is not None],
                [_colspec(e) for e in vals if e is not None],
            )
        items = self.args("rp")
        if len(items) == 1:
            return ("paren", items[0])
        return ("lst", items)

    def lambda_(self, open_tok: Tok) -> Any:
        params: list[str] | None = None
        j = self.i
        while j < len(self.toks) and self.toks[j].kind == "nl":
            j += 1  # the parameter list may stand on the line after the brace: ``f:{\n  [a;b] a+b}``
        if j < len(self.toks) and self.toks[j].kind == "lb" and j > self.i:
            self.i = j
        t = self.peek()
        pats: dict[str, Any] = {}
        if t is not None and t.kind == "lb":
            self.i += 1
            params = []
            plist = self.args("rb")
            for k, e in enumerate(plist):
                if e is None:
                    if len(plist) > 1:
                        params.append(f"__p{k}")  # {[x;]x} takes two arguments, the second unnamed
                    continue
                if e[0] == "v":
                    params.append(e[1])
                elif e[0] == "asg" and e[2] is None and e[3] is None:
                    params.append(e[1])
                    pats[e[1]] = ("asg", e[1], None, None, e[4], False)
                else:
                    hidden = f"__p{k}"
                    params.append(hidden)
                    pats[hidden] = e if e[0] != "pat" else e
        start_i = self.i
        self.nl_ok.append(False)
        body = self.block("rc")
        self.nl_ok.pop()
        close = self.next()
        src = self.src[open_tok.pos : close.end]
        if params is None:
            used = _implicit(self.toks[start_i : self.i])
            params = ["x", "y", "z"][: max(used, 1)]
        ld = LambdaDef(params, body, src)
        ld.pats = pats
        ld.locals_ = _locals(body)
        return ("fn", ld)


def parse(src: str) -> list[Any]:
    """Parse a chunk of q source into a list of statement nodes."""
    toks = tokenize(src)
    p = _P(toks, src)
    out = p.block(None)
    return out
