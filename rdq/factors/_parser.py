"""Parse qlib's factor expression syntax into a small AST.

qlib turns an expression into Python (``$close`` -> ``Feature("close")``, ``Mean(`` ->
``Operators.Mean(``) and ``eval``s it, so its operator precedence is Python's. We parse the same
language directly, with the same precedence (loosest first)::

    comparison   <  <=  >  >=  ==  !=     (not chained: ``a < b < c`` is an error)
    |                                     (Or)
    &                                     (And)
    +  -
    *  /
    unary -  +
    **                                    (Power, right-associative, binds tighter than unary -)
    call ``Name(args)``, ``$field``, number, ``"string"``, ``(expr)``, bare name (a Python factor)

so ``$a > 1 & $b > 2`` is ``$a > (1 & $b) > 2`` exactly as in qlib, which we reject as a chained
comparison with a hint to parenthesise. Unary minus is accepted (qlib itself has no ``__neg__``).

Every node keeps ``pos``, its 0-based offset in the source, for error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdq.errors import ExpressionError

__all__ = ["Node", "Num", "Field", "Str", "Name", "Call", "parse", "BINARY_OPS"]


@dataclass(frozen=True)
class Node:
    """Base AST node; ``pos`` is the 0-based offset in the expression text."""

    pos: int


@dataclass(frozen=True)
class Num(Node):
    """Numeric literal; ``is_int`` when written without a dot or exponent."""

    value: float
    is_int: bool

    def __str__(self) -> str:
        return str(int(self.value)) if self.is_int else repr(self.value)


@dataclass(frozen=True)
class Field(Node):
    """``$name``: a panel column."""

    name: str

    def __str__(self) -> str:
        return f"${self.name}"


@dataclass(frozen=True)
class Str(Node):
    """A quoted string (``Mask``'s instrument)."""

    value: str

    def __str__(self) -> str:
        return repr(self.value)


@dataclass(frozen=True)
class Name(Node):
    """A bare identifier: the name of a registered Python factor."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Call(Node):
    """An operator application; infix operators become calls (``a + b`` -> ``Add(a, b)``)."""

    op: str
    args: tuple[Node, ...]

    def __str__(self) -> str:
        return f"{self.op}({','.join(str(a) for a in self.args)})"


#: infix token -> qlib operator name
BINARY_OPS: dict[str, str] = {
    "+": "Add",
    "-": "Sub",
    "*": "Mul",
    "/": "Div",
    "**": "Power",
    "&": "And",
    "|": "Or",
    ">": "Gt",
    ">=": "Ge",
    "<": "Lt",
    "<=": "Le",
    "==": "Eq",
    "!=": "Ne",
}
_COMPARISONS = (">", ">=", "<", "<=", "==", "!=")

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<field>\$\$?[A-Za-z_][A-Za-z0-9_]*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>"[^"]*"|'[^']*')
  | (?P<op>\*\*|>=|<=|==|!=|[-+*/&|<>(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(expr: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None:
            ch = expr[pos]
            hint = ""
            if ch == "$":
                hint = " (a field is '$' followed by a name, e.g. $close)"
            elif ch == "=":
                hint = " (use '==' to compare)"
            raise ExpressionError(f"unexpected character {ch!r}", expr=expr, pos=pos, hint=hint)
        kind = m.lastgroup or ""
        if kind != "ws":
            toks.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    toks.append(_Tok("end", "", len(expr)))
    return toks


class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.toks = _tokenize(expr)
        self.i = 0

    # -- helpers ---------------------------------------------------------------------------
    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def _advance(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def _error(self, message: str, pos: int, hint: str = "") -> ExpressionError:
        return ExpressionError(message, expr=self.expr, pos=pos, hint=hint)

    def _expect(self, text: str, what: str) -> _Tok:
        if self.tok.text != text or self.tok.kind != "op":
            found = "end of expression" if self.tok.kind == "end" else repr(self.tok.text)
            raise self._error(f"expected {what}, found {found}", self.tok.pos)
        return self._advance()

    # -- grammar ---------------------------------------------------------------------------
    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self._error("empty expression", 0, " (write e.g. 'Mean($close, 5)/$close')")
        node = self._comparison()
        if self.tok.kind != "end":
            t = self.tok
            hint = " (missing operator or ',' before it?)" if t.text != ")" else " (unbalanced parenthesis)"
            raise self._error(f"unexpected {t.text!r}", t.pos, hint)
        return node

    def _comparison(self) -> Node:
        left = self._bitor()
        if self.tok.kind == "op" and self.tok.text in _COMPARISONS:
            op = self._advance()
            right = self._bitor()
            if self.tok.kind == "op" and self.tok.text in _COMPARISONS:
                raise self._error(
                    "chained comparison",
                    self.tok.pos,
                    " ('&' and '|' bind tighter than comparisons, as in qlib/Python: "
                    "write ($a > 1) & ($b > 2), or And($a > 1, $b > 2))",
                )
            left = Call(op.pos, BINARY_OPS[op.text], (left, right))
        return left

    def _binary(self, ops: tuple[str, ...], sub: str) -> Node:
        nxt = getattr(self, sub)
        left: Node = nxt()
        while self.tok.kind == "op" and self.tok.text in ops:
            op = self._advance()
            right = nxt()
            left = Call(op.pos, BINARY_OPS[op.text], (left, right))
        return left

    def _bitor(self) -> Node:
        return self._binary(("|",), "_bitand")

    def _bitand(self) -> Node:
        return self._binary(("&",), "_additive")

    def _additive(self) -> Node:
        return self._binary(("+", "-"), "_term")

    def _term(self) -> Node:
        return self._binary(("*", "/"), "_unary")

    def _unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.text in ("-", "+"):
            op = self._advance()
            operand = self._unary()
            if op.text == "+":
                return operand
            if isinstance(operand, Num):
                return Num(op.pos, -operand.value, operand.is_int)
            return Call(op.pos, "Neg", (operand,))
        return self._power()

    def _power(self) -> Node:
        base = self._atom()
        if self.tok.kind == "op" and self.tok.text == "**":
            op = self._advance()
            exponent = self._unary()
            return Call(op.pos, "Power", (base, exponent))
        return base

    def _atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self._advance()
            is_int = not any(c in t.text for c in ".eE")
            return Num(t.pos, float(t.text), is_int)
        if t.kind == "field":
            self._advance()
            if t.text.startswith("$$"):
                raise self._error(
                    "point-in-time fields ($$name) are not supported", t.pos, " (use a daily field like $close)"
                )
            return Field(t.pos, t.text[1:])
        if t.kind == "str":
            self._advance()
            return Str(t.pos, t.text[1:-1])
        if t.kind == "name":
            self._advance()
            if self.tok.kind == "op" and self.tok.text == "(":
                self._advance()
                args: list[Node] = []
                if not (self.tok.kind == "op" and self.tok.text == ")"):
                    args.append(self._comparison())
                    while self.tok.kind == "op" and self.tok.text == ",":
                        self._advance()
                        args.append(self._comparison())
                self._expect(")", f"',' or ')' to close {t.text}(")
                return Call(t.pos, t.text, tuple(args))
            return Name(t.pos, t.text)
        if t.kind == "op" and t.text == "(":
            self._advance()
            node = self._comparison()
            self._expect(")", "')'")
            return node
        if t.kind == "end":
            raise self._error("unexpected end of expression", t.pos, " (an operand is missing)")
        raise self._error(f"unexpected {t.text!r}", t.pos, " (an operand is missing before it)")


def parse(expr: str) -> Node:
    """Parse one expression.

    Parameters
    ----------
    expr:
        qlib expression text, e.g. ``"Mean($close, 5)/$close"``.

    Returns
    -------
    Node
        The AST; ``str(node)`` is a canonical form (used as a cache key).

    Raises
    ------
    ExpressionError
        On a syntax error, with a caret at the offending position.

    Examples
    --------
    >>> str(parse("$close/Ref($close, 1) - 1"))
    'Sub(Div($close,Ref($close,1)),1)'
    """
    if not isinstance(expr, str):
        raise ExpressionError(f"expression must be a string, got {type(expr).__name__}", expr=str(expr))
    return _Parser(expr).parse()
