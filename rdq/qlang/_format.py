"""Console formatting: the text the q console prints for a value (``\\P 7`` precision)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from rdq.qlang._core import count, is_null_atom, item, items
from rdq.qlang._temporal import TEMPORAL, fmt_temporal_atom, fmt_temporal_cells, fmt_temporal_vec
from rdq.qlang._values import IDENTITY, NULLS, A, D, E, Fn, L, QError, T, V

__all__ = [
    "CONSOLE",
    "DEFAULT_CONSOLE",
    "console_size",
    "cut_to_console",
    "display",
    "fmt_atom",
    "fmt_float",
    "fmt_plain",
    "inline",
    "use_console",
]

_EMPTY_NAMES = {
    1: "boolean",
    2: "guid",
    4: "byte",
    5: "short",
    6: "int",
    7: "long",
    8: "real",
    9: "float",
    11: "symbol",
    12: "timestamp",
    13: "month",
    14: "date",
    15: "datetime",
    16: "timespan",
    17: "minute",
    18: "second",
    19: "time",
}
_SUF = {5: "h", 6: "i", 7: "", 8: "e", 9: "f"}
_INF = {5: 2**15 - 1, 6: 2**31 - 1, 7: 2**63 - 1}

#: display precision (``\P``): significant digits of floats, 0 meaning 17. Each
#: :class:`~rdq.qlang.Session` holds its own and sets this for the duration of its calls.
PRECISION: ContextVar[int] = ContextVar("rdq_q_precision", default=7)


#: console size (``\\c rows cols``): long lines and long outputs are cut with ``..``; ``None`` cuts
#: nothing. Each :class:`~rdq.qlang.Session` sets this for the duration of its calls.
CONSOLE: ContextVar[tuple[int, int] | None] = ContextVar("rdq_q_console", default=None)
#: q's default console size (``\\c`` in a fresh session without a terminal)
DEFAULT_CONSOLE = (25, 80)


@contextmanager
def use_console(size: tuple[int, int] | None) -> Iterator[None]:
    r"""Cut displayed text to ``size`` (rows, columns), as ``\c rows cols`` does, inside the block."""
    token = CONSOLE.set(size)
    try:
        yield
    finally:
        CONSOLE.reset(token)


def console_size(arg: str, current: tuple[int, int]) -> tuple[int, int]:
    r"""The console size after ``\c arg`` (code.kx.com/q/basics/syscmds/#c-console-size).

    ``arg`` is ``"rows cols"``; each is kept between 10 and 2000 (``\c 5 5`` gives ``10 10``).
    An empty ``arg`` keeps ``current``.
    """
    parts = arg.split()
    if not parts:
        return current
    try:
        nums = [int(p) for p in parts[:2]]
    except ValueError:
        raise QError("type") from None
    rows = nums[0]
    cols = nums[1] if len(nums) > 1 else current[1]
    return (min(max(rows, 10), 2000), min(max(cols, 10), 2000))


def cut_to_console(text: str, size: tuple[int, int] | None = None) -> str:
    """``text`` as the console shows it: lines longer than ``cols-1`` cut to ``cols-3`` characters and
    ``..``; more than ``rows-3`` lines cut to that many and a ``..`` line."""
    size = CONSOLE.get() if size is None else size
    if size is None or not text:
        return text
    rows, cols = size
    lines = text.split("\n")
    if len(lines) > rows - 3:
        lines = lines[: rows - 3] + [".."]
    return "\n".join(ln[: cols - 3] + ".." if len(ln) > cols - 1 else ln for ln in lines)


@contextmanager
def use_precision(p: int) -> Iterator[None]:
    r"""Format floats with ``p`` significant digits (``\P p``) inside the ``with`` block."""
    token = PRECISION.set(p)
    try:
        yield
    finally:
        PRECISION.reset(token)


def fmt_float(v: float, prec: int | None = None) -> str:
    """A float as q prints it without a type suffix (``0n``, ``0w``, ``2.5``, ``1e+10``)."""
    if v != v:
        return "0n"
    if v == math.inf:
        return "0w"
    if v == -math.inf:
        return "-0w"
    p = PRECISION.get() if prec is None else prec
    if p == 0 or p > 17:
        p = 17  # \P 0 and anything past 17 show all 17 significant digits
    s = f"{v:.{p}g}"
    if "e" in s:
        mant, ex = s.split("e")
        sign = ex[0]
        digits = ex[1:].lstrip("0")
        if len(digits) < 2:
            digits = digits.rjust(2, "0")
        s = f"{mant}e{sign}{digits}"
    if s == "-0":
        s = "-0"
    return s


def _is_intlike(s: str) -> bool:
    return all(c.isdigit() or c == "-" for c in s)


def _char_lit(codes: list[int]) -> str:
    out = []
    for c in codes:
        ch = chr(c)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif c < 32 or c > 126:
            out.append(f"\\{c:03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _int_elem(t: int, v: int) -> str:
    if v == NULLS[t]:
        return "0N"
    if t == 5:
        return str(v)
    if v == _INF[t]:
        return "0W"
    if v == -_INF[t]:
        return "-0W"
    return str(v)


def fmt_atom(x: A) -> str:
    t = x.t
    v = x.v
    if t == 7:
        return _int_elem(7, v)
    if t == 9:
        s = fmt_float(v)
        if v == v and not math.isinf(v) and _is_intlike(s):
            s += "f"
        return s
    if t == 1:
        return f"{v}b"
    if t in (5, 6):
        return _int_elem(t, v) + _SUF[t]
    if t == 8:
        if v != v:
            return "0Ne"
        if math.isinf(v):
            return ("-" if v < 0 else "") + "0we"
        return fmt_float(v) + "e"
    if t == 10:
        return _char_lit([v])
    if t == 11:
        return "`" + v
    if t == 4:
        return f"0x{v:02x}"
    if t == 2:
        return str(v)
    if t in TEMPORAL:
        return fmt_temporal_atom(t, v)
    return str(v)


def _vec(x: V) -> str:
    t = x.t
    a = x.a
    n = len(a)
    if n == 0:
        if t == 10:
            return '""'
        return "`" + _EMPTY_NAMES.get(t, "long") + "$()"
    pre = "," if n == 1 else ""
    if t == 10:
        return pre + _char_lit(a.tolist())
    if t == 11:
        return pre + "".join("`" + s for s in a.tolist())
    if t == 1:
        return pre + "".join("1" if b else "0" for b in a.tolist()) + "b"
    if t == 4:
        return pre + "0x" + "".join(f"{b:02x}" for b in a.tolist())
    if t in (5, 6, 7):
        body = " ".join(_int_elem(t, v) for v in a.tolist())
        return pre + body + _SUF[t]
    if t in (8, 9):
        parts = [fmt_float(v) for v in a.tolist()]
        body = " ".join(parts)
        if t == 8:
            return pre + body + "e"
        if all(_is_intlike(p) and p not in ("0n", "0w", "-0w") for p in parts):
            body += "f"  # no suffix where a 0n or 0w already shows the type (1 0n 3)
        return pre + body
    if t == 2:
        return pre + " ".join(a.tolist())
    if t in TEMPORAL:
        return pre + fmt_temporal_vec(t, a)
    return pre + " ".join(str(v) for v in a.tolist())


def inline(x: Any) -> str:
    """The one-line form of a value (as inside a list, or ``-3!``)."""
    tx = type(x)
    if tx is A:
        return fmt_atom(x)
    if tx is V:
        if x.attr:
            return "`" + x.attr + "#" + _vec(x)
        return _vec(x)
    if tx is L:
        pre = "`" + x.attr + "#" if x.attr else ""
        if not x.items:
            return pre + "()"
        if len(x.items) == 1:
            return pre + "," + inline(x.items[0])
        return pre + "(" + ";".join(inline(a) for a in x.items) + ")"
    if tx is D:
        k = inline(x.k)
        if (
            type(x.k) in (D, T)
            or (type(x.k) is L and len(x.k.items) > 1)
            or (type(x.k) is V and len(x.k.a) <= 1 and not x.k.attr)
        ):
            k = "(" + k + ")"
        return k + "!" + inline(x.v)
    if tx is T:
        pre = "`" + x.attr + "#" if x.attr else ""
        return pre + "+" + inline(D(V(11, np.array(x.cols, dtype=object)), L(list(x.data))))
    if tx is E:
        if x.atom:
            return "`" + x.dom + "$`" + str(x.syms().a[0])
        pre = "`" + x.attr + "#" if x.attr else ""
        return pre + "`" + x.dom + "$" + pre + _vec(x.syms())  # q shows the attribute twice
    if x is IDENTITY:
        return "::"
    if isinstance(x, Fn):
        return x.show()  # type: ignore[attr-defined]
    return str(x)


def fmt_plain(x: Any) -> str:
    """Cell form used in tables and dictionary columns: no type suffix, symbols bare, strings bare."""
    tx = type(x)
    if tx is A:
        t = x.t
        if is_null_atom(x) and t not in (1, 4, 10):
            return ""
        if t == 11:
            return x.v
        if t == 10:
            return chr(x.v)
        if t in (8, 9):
            return fmt_float(x.v)
        if t in (5, 6, 7):
            return _int_elem(t, x.v)
        if t == 1:
            return f"{x.v}b"
        return fmt_atom(x)
    if tx is V and x.t == 10:
        return bytes(x.a).decode("utf-8", "replace")
    return inline(x)


def _col_cells(c: Any) -> list[str]:
    if type(c) is E:
        c = c.syms()
    if type(c) is V:
        t = c.t
        if t == 1:
            return ["1" if b else "0" for b in c.a.tolist()]
        if t == 11:
            return c.a.tolist()
        if t == 10:
            return [chr(v) for v in c.a.tolist()]
        if t in (8, 9):
            return ["" if v != v else fmt_float(v) for v in c.a.tolist()]
        if t in (5, 6, 7):
            nul = NULLS[t]
            return ["" if v == nul else _int_elem(t, v) for v in c.a.tolist()]
        if t == 4:
            return [f"{v:02x}" for v in c.a.tolist()]
        if t in TEMPORAL:
            return [("" if s == "0N" else s) for s in fmt_temporal_cells(t, c.a)]
    out = []
    for a in items(c):
        if type(a) is V and a.t == 10:
            out.append(inline(a))
        elif type(a) is A:
            # a char atom in a general column prints quoted, as the strings beside it do
            out.append(fmt_plain(a) if a.t != 10 else inline(a))
        else:
            out.append(inline(a))
    return out


def _table_lines(t: T, key: T | None = None) -> list[str]:
    cols: list[tuple[str, list[str]]] = []
    kcols: list[tuple[str, list[str]]] = []
    if key is not None:
        for name, c in zip(key.cols, key.data, strict=True):
            kcols.append((name, _col_cells(c)))
    for name, c in zip(t.cols, t.data, strict=True):
        cols.append((name, _col_cells(c)))

    def widths(cs: list[tuple[str, list[str]]]) -> list[int]:
        return [max([len(n)] + [len(s) for s in cells]) for n, cells in cs]

    kw = widths(kcols)
    vw = widths(cols)
    n = count(t)

    def row(parts_k: list[str], parts_v: list[str]) -> str:
        left = " ".join(p.ljust(w) for p, w in zip(parts_k, kw, strict=True))
        right = " ".join(p.ljust(w) for p, w in zip(parts_v, vw, strict=True))
        if kcols:
            return (left + "| " + right).rstrip()
        return right.rstrip()

    lines = [row([c[0] for c in kcols], [c[0] for c in cols])]
    if kcols:
        lines.append("-" * (sum(kw) + len(kw) - 1) + "| " + "-" * (sum(vw) + len(vw) - 1))
    else:
        lines.append("-" * (sum(vw) + len(vw) - 1))
    for i in range(n):
        lines.append(row([c[1][i] for c in kcols], [c[1][i] for c in cols]))
    return lines


def _dict_lines(d: D) -> list[str]:
    if type(d.k) is T and type(d.v) is T:
        return _table_lines(d.v, d.k)
    ks = (
        _col_cells(d.k)
        if type(d.k) is not L
        else [inline(a) if type(a) is not V or a.t != 10 else inline(a) for a in d.k.items]
    )
    if type(d.v) is T:
        vs = [" ".join(fmt_plain(item(c, i)) for c in d.v.data) for i in range(count(d.v))]
    elif type(d.v) is V:
        vs = _col_cells(d.v)
    else:
        g = _grid(d.v.items) if type(d.v) is L else None
        vs = g.split("\n") if g is not None else [_dict_val(a) for a in items(d.v)]
    if not ks:
        return []
    w = max(len(k) for k in ks)
    return [(k.ljust(w) + "| " + v).rstrip() for k, v in zip(ks, vs, strict=False)]


def _dict_val(a: Any) -> str:
    if type(a) is A:
        return fmt_atom(a)
    if type(a) is L and len(a.items) > 1 and all(type(i) is A or isinstance(i, Fn) for i in a.items):
        return " ".join(inline(i) for i in a.items)
    return inline(a)


def _grid_cell(a: Any) -> str:
    """A nested float vector in a grid prints without its ``f`` suffix."""
    if type(a) is V and a.t == 9 and len(a.a) > 1:
        return " ".join(fmt_float(v) for v in a.a.tolist())
    return inline(a)


def _grid(rows: list[Any]) -> str | None:
    """Lists of equal-length lists print as an aligned grid."""
    if len(rows) < 1:
        return None
    n = -1
    if all(type(r) is V and r.t == 10 for r in rows):
        return None
    for r in rows:
        if type(r) is V:
            c = len(r.a)
        elif type(r) is L:
            if any(isinstance(a, Fn) for a in r.items):
                return None
            c = len(r.items)
        else:
            return None
        if n == -1:
            n = c
        elif c != n:
            return None
    if n < 1:
        return None
    if all(type(r) is V and r.t in (1, 4) for r in rows):
        return None
    cells: list[list[str]] = []
    for r in rows:
        if type(r) is V:
            if r.t == 11:
                cells.append(r.a.tolist())
            else:
                cells.append(_col_cells_full(r))
        else:
            cells.append([_grid_cell(a) for a in r.items])
    w = [max(len(c[j]) for c in cells) for j in range(n)]
    return "\n".join(" ".join(c[j].ljust(w[j]) for j in range(n)).rstrip() for c in cells)


def _col_cells_full(c: V) -> list[str]:
    t = c.t
    if t in (5, 6, 7):
        return [_int_elem(t, v) for v in c.a.tolist()]
    if t in (8, 9):
        return [fmt_float(v) for v in c.a.tolist()]
    return _col_cells(c)


def display(x: Any) -> str:
    """The full console text for a value (may span lines), cut to the console size if one is set."""
    return cut_to_console(_display(x))


def _display(x: Any) -> str:
    tx = type(x)
    if x is IDENTITY:
        return ""
    if tx is A or tx is V:
        return inline(x)
    if tx is L:
        if not x.items:
            return "()"
        grid = _grid(x.items)
        if grid is not None:
            return grid
        lines = []
        for a in x.items:
            lines.append(inline(a))
        return "\n".join(s.rstrip() for s in lines)
    if tx is D:
        if count(x.k) == 0 and type(x.k) is not T:
            return ""
        return "\n".join(_dict_lines(x))
    if tx is T:
        return "\n".join(_table_lines(x))
    return inline(x)
