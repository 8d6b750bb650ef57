"""Python values -> q source literals and q console text.

The LeetCode data set states its tests as Python values (``nums = [1,2,3], k = 2`` and an expected
``[1, 2]``).  To run them against q code they are written as q literals (``solve[1 2 3;2]``) and the
expected values as the exact text q's console prints for them (``show`` output), so that a q program's
trimmed stdout can be compared character for character, as the report's harness does.

Only values with a *faithful* q rendering are translated: booleans, 64-bit integers, floats, ASCII
strings, and lists of those nested at most two deep with one element type.  Everything else (``None``,
dicts, mixed-type lists, integers beyond 64 bits, console lines q would truncate) raises
:class:`Unrenderable` with the reason, so the caller can list the problem as skipped.

Examples
--------
>>> to_q_literal([1, 2, 3]), to_q_literal("a"), to_q_literal([[1], [2, 3]])
('1 2 3', 'enlist "a"', '(enlist 1;2 3)')
>>> to_q_console([[1], [2, 3]])
',1\\n2 3'
>>> to_q_console([[1, 22], [333, 4]])
'1   22\\n333 4'
>>> to_q_console(True), to_q_console(1 / 3), to_q_console(2.0)
('1b', '0.3333333', '2f')
"""

from __future__ import annotations

import math
from typing import Any, Literal

__all__ = [
    "Unrenderable",
    "ElemHint",
    "to_q_literal",
    "to_q_console",
    "format_q_float",
    "CONSOLE_WIDTH",
    "CONSOLE_ROWS",
]

#: q's default console size (``\c 25 80``); wider lines are cut with ``..`` by real q.
CONSOLE_WIDTH = 80
CONSOLE_ROWS = 25

_INT_MAX = 2**63 - 1  # 0W; -0W and 0N sit at the bottom end, so the faithful range is open on both sides

ElemHint = Literal["long", "float", "boolean", "char", "symbol", "general"]
_EMPTY_BY_HINT = {"long": "`long$()", "float": "`float$()", "boolean": "`boolean$()", "char": '""'}


class Unrenderable(ValueError):
    """A Python value that has no faithful q rendering; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


# --------------------------------------------------------------------------------------------- atoms
def format_q_float(x: float) -> str:
    """q's console text for a float atom at the default precision (``\\P 7``).

    >>> [format_q_float(v) for v in (2.5, 2.0, 1 / 3, 1e10, 1234567.8, float("inf"), float("nan"))]
    ['2.5', '2f', '0.3333333', '1e+10', '1234568f', '0w', '0n']
    """
    text = _float_body(x)
    return text if _looks_fractional(text) else text + "f"


def _float_body(x: float) -> str:
    if math.isnan(x):
        return "0n"
    if math.isinf(x):
        return "0w" if x > 0 else "-0w"
    return f"{x:.7g}"


def _looks_fractional(text: str) -> bool:
    return any(ch in text for ch in ".en") or text.endswith("w")


def _check_int(x: int) -> None:
    if not -_INT_MAX < x < _INT_MAX:
        raise Unrenderable(f"integer {x} is outside q's 64-bit long range (or is one of its nulls/infinities)")


def _check_str(s: str) -> None:
    if not s.isascii():
        raise Unrenderable(f"non-ASCII string {s!r}: q chars are bytes")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _q_string(s: str) -> str:
    _check_str(s)
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, (list, tuple)):
        return "list"
    if v is None:
        raise Unrenderable("None has no faithful q rendering (q nulls are typed)")
    if isinstance(v, dict):
        raise Unrenderable("dict values are not translated (q dictionaries display as key|value tables)")
    raise Unrenderable(f"value of type {type(v).__name__} has no q rendering")


def _uniform_kind(items: list[Any] | tuple[Any, ...]) -> str:
    kinds = {_kind(v) for v in items}
    if len(kinds) > 1:
        raise Unrenderable(f"mixed element types {sorted(kinds)} in a list")
    return kinds.pop()


# ------------------------------------------------------------------------------------------ literals
def to_q_literal(value: Any, *, empty: ElemHint = "general") -> str:
    """q source text that evaluates to ``value``.

    Parameters
    ----------
    value:
        A Python bool, int, float, str, or a (nested) list/tuple of one of those.
    empty:
        The element type to use for an empty list (from the signature's annotation):
        ``"long"`` gives ```long$()``, ``"general"`` gives ``()``.

    Raises
    ------
    Unrenderable
        When the value has no faithful q form.
    """
    kind = _kind(value)
    if kind == "bool":
        return "1b" if value else "0b"
    if kind == "int":
        _check_int(value)
        return str(value)
    if kind == "float":
        return _float_literal(value)
    if kind == "str":
        return ("enlist " if len(value) == 1 else "") + _q_string(value)
    return _list_literal(list(value), empty=empty)


def _float_literal(x: float) -> str:
    if math.isnan(x) or math.isinf(x):
        return _float_body(x)
    text = repr(x)
    return text if _looks_fractional(text) else text + "f"


def _list_literal(items: list[Any], *, empty: ElemHint) -> str:
    if not items:
        return _EMPTY_BY_HINT.get(empty, "()")
    kind = _uniform_kind(items)
    if kind == "bool":
        body = "".join("1" if v else "0" for v in items) + "b"
    elif kind == "int":
        for v in items:
            _check_int(v)
        body = " ".join(str(v) for v in items)
    elif kind == "float":
        texts = [_float_body(v) if not math.isfinite(v) else repr(v) for v in items]
        body = " ".join(texts)
        if not any(_looks_fractional(t) for t in texts):
            body += "f"
    else:  # strings or nested lists: a general list
        parts = [to_q_literal(v, empty=empty) for v in items]
        if len(parts) == 1:
            return "enlist " + (parts[0] if kind == "str" and len(items[0]) != 1 else f"({parts[0]})")
        return "(" + ";".join(parts) + ")"
    return ("enlist " if len(items) == 1 else "") + body


# ------------------------------------------------------------------------------------ console text
def to_q_console(value: Any, *, empty: ElemHint = "general") -> str:
    """The text real q's console (``show``) prints for the q value ``to_q_literal(value)``.

    Parameters
    ----------
    value:
        As for :func:`to_q_literal`; lists may nest two deep (a list of lists of atoms).
    empty:
        Element type of an empty result list; ``"general"`` (unknown) raises :class:`Unrenderable`.

    Raises
    ------
    Unrenderable
        For values whose display is not faithful or q would truncate (lines over
        :data:`CONSOLE_WIDTH` characters or more than :data:`CONSOLE_ROWS` - 2 lines).
    """
    lines = _console_lines(value, empty=empty)
    if len(lines) > CONSOLE_ROWS - 2:
        raise Unrenderable(f"display has {len(lines)} lines; q's console (\\c 25 80) would elide rows")
    for line in lines:
        if len(line) > CONSOLE_WIDTH - 1:
            raise Unrenderable(f"display line of {len(line)} chars; q's console (\\c 25 80) would cut it")
    return "\n".join(lines)


def _console_lines(value: Any, *, empty: ElemHint) -> list[str]:
    kind = _kind(value)
    if kind == "bool":
        return ["1b" if value else "0b"]
    if kind == "int":
        _check_int(value)
        return [str(value)]
    if kind == "float":
        return [format_q_float(value)]
    if kind == "str":
        return [("," if len(value) == 1 else "") + _q_string(value)]
    items = list(value)
    if not items:
        if empty in _EMPTY_BY_HINT:
            return [_EMPTY_BY_HINT[empty]]
        raise Unrenderable("empty list of unknown type: q's display depends on the list's type")
    inner = _uniform_kind(items)
    if inner in ("bool", "int", "float"):
        return [_simple_list_text(items, inner)]
    if inner == "str":
        texts = [_console_lines(s, empty=empty)[0] for s in items]
        return ["," + texts[0]] if len(texts) == 1 else texts
    # a list of lists of atoms
    kinds = set()
    for row in items:
        if not list(row):
            raise Unrenderable("empty list nested in a list: q's display depends on its type")
        kinds.add(_uniform_kind(list(row)))
    if len(kinds) > 1:
        raise Unrenderable(f"rows of different types {sorted(kinds)} in a list of lists")
    row_kind = kinds.pop()
    if row_kind not in ("bool", "int", "float"):
        raise Unrenderable("lists nested deeper than a list of lists of numbers/booleans are not translated")
    rows = [list(r) for r in items]
    if len(rows) > 1 and all(len(r) == 1 for r in rows):
        raise Unrenderable("a column of one-element lists: its q console display is not verified")
    if len({len(r) for r in rows}) == 1:
        # equal lengths: q shows a matrix, columns left-aligned, cells without type suffix
        cells = [[_cell_text(v, row_kind) for v in r] for r in rows]
        widths = [max(len(c[j]) for c in cells) for j in range(len(cells[0]))]
        return [" ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return [_simple_list_text(r, row_kind) for r in rows]


def _cell_text(v: Any, kind: str) -> str:
    if kind == "bool":
        return "1" if v else "0"
    if kind == "int":
        _check_int(v)
        return str(v)
    return _float_body(v)


def _simple_list_text(items: list[Any], kind: str) -> str:
    if kind == "bool":
        body = "".join("1" if v else "0" for v in items) + "b"
    elif kind == "int":
        for v in items:
            _check_int(v)
        body = " ".join(str(v) for v in items)
    else:
        texts = [_float_body(v) for v in items]
        body = " ".join(texts)
        if not any(_looks_fractional(t) for t in texts):
            body += "f"
    return ("," if len(items) == 1 else "") + body
