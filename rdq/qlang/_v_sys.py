"""System verbs: internal functions ``n!x``, binary read ``1:``, ``show``, ``0N!``, ``exit``."""

from __future__ import annotations

from typing import Any

import numpy as np

from rdq.qlang._core import chars
from rdq.qlang._fn import QExit
from rdq.qlang._format import display, inline
from rdq.qlang._lexer import tokenize
from rdq.qlang._serial import deserialize, serialize
from rdq.qlang._v_attr import q_attr
from rdq.qlang._v_cast import _as_text
from rdq.qlang._v_table import q_dict
from rdq.qlang._values import DTYPES, IDENTITY, NULLS, A, E, L, QError, V

__all__ = [
    "q_0n",
    "q_dict_in",
    "q_exit",
    "q_hsym",
    "q_read_binary",
    "q_show",
]


def q_dict_in(interp: Any, x: Any, y: Any) -> Any:
    """``x!y`` with the session: ``0N!x`` prints, ``n!`t`` keys a global table in place."""
    if type(x) is A and x.t in (5, 6, 7) and type(y) is A and y.t == 11:
        interp.g[y.v] = q_dict(x, interp.lookup(y.v, None))
        return y
    if type(x) is A and x.t == 7 and x.v == NULLS[7]:
        return q_0n(interp, y)
    if type(x) is A and x.t == 11 and type(y) is V and y.t in (5, 6, 7):
        return E(x.v, y.a.astype(np.int64), interp.g)  # `d!i: the enumeration with indices i
    if type(x) is A and x.t == 11 and type(y) is A and y.t in (5, 6, 7):
        return E(x.v, np.array([y.v], dtype=np.int64), interp.g, atom=True)
    if type(x) is A and x.t in (5, 6, 7) and x.v == -33 and type(y) is V and y.t in (4, 10):
        import hashlib

        return V(4, np.frombuffer(hashlib.sha1(y.a.tobytes()).digest(), dtype=np.uint8).copy())
    if type(x) is A and x.t in (5, 6, 7) and x.v == -27 and type(y) is L and len(y.items) == 2:
        nd, v = y.items
        if type(nd) is not A or nd.t not in (5, 6, 7) or type(v) not in (A, V) or v.t not in (8, 9):
            raise QError("type")
        if type(v) is A:
            return chars(f"{v.v:.{nd.v}f}")
        return L([chars(f"{f:.{nd.v}f}") for f in v.a.tolist()])
    if type(x) is A and x.t in (6, 7) and x.v in (-8, -9):
        if x.v == -8:
            return V(4, np.frombuffer(serialize(y), dtype=np.uint8).copy())
        if type(y) is not V or y.t != 4:
            raise QError("type")
        return deserialize(y.a.tobytes())
    if type(x) is A and x.t in (5, 6, 7) and x.v == -1:  # -1!x is hsym (code.kx.com/q/basics/internal)
        return q_hsym(y)
    if type(x) is A and x.t in (5, 6, 7) and x.v == -2:  # -2!x is attr
        return q_attr(y)
    if type(x) is A and x.t in (6, 7) and x.v == -3:
        return chars(inline(y))
    if type(x) is A and x.t in (5, 6, 7) and x.v in _INTERNAL:  # parse, eval, reval, tokens, sizes
        return _INTERNAL[int(x.v)](interp, y)
    return q_dict(x, y)


def _tokens(interp: Any, y: Any) -> Any:
    """``-4!s``: the tokens of q source text, the whitespace between them included (basics/internal)."""
    if type(y) is not V or y.t != 10:
        raise QError("type")
    src = y.a.tobytes().decode("utf-8", "replace")
    out, at = [], 0
    for t in tokenize(src):
        if t.kind == "nl" and t.pos >= len(src):
            continue
        if t.pos > at:
            out.append(chars(src[at : t.pos]))
        if t.end > t.pos:
            out.append(chars(src[t.pos : t.end]))
            at = t.end
    if at < len(src):
        out.append(chars(src[at:]))
    return L(out)


_INTERNAL = {
    -4: _tokens,
    -5: lambda interp, y: interp.builtins["parse"].m(y),
    -6: lambda interp, y: interp.builtins["eval"].m(y),
    -24: lambda interp, y: interp.builtins["eval"].m(y),
    -22: lambda interp, y: A(7, len(serialize(y))),
}


def q_hsym(x: Any) -> Any:
    """``hsym x`` (code.kx.com/q/ref/hsym): symbol(s) with a colon prefixed where they lack one."""
    if type(x) is A and x.t == 11:
        return x if x.v.startswith(":") else A(11, ":" + x.v)
    if type(x) is V and x.t == 11:
        return V(11, np.array([s if s.startswith(":") else ":" + s for s in x.a.tolist()], dtype=object))
    raise QError("type")


def q_exit(x: Any) -> Any:
    raise QExit(int(x.v) if type(x) is A else 0)


def q_show(interp: Any, x: Any) -> Any:

    interp.out.append(display(x))
    return IDENTITY


def q_0n(interp: Any, x: Any) -> Any:
    """``0N!x`` prints the one-line (``-3!``) form of x and returns x."""

    interp.out.append(inline(x))
    return x


_BIN = {
    "b": (1, 1),
    "x": (4, 1),
    "h": (5, 2),
    "i": (6, 4),
    "j": (7, 8),
    "e": (8, 4),
    "f": (9, 8),
    "c": (10, 1),
}


def q_read_binary(x: Any, y: Any) -> Any:
    """``(types;widths)1:bytes`` (little-endian) or ``(widths;types)1:bytes`` (big-endian): fixed-width records.

    Returns one column (a vector) per field.
    """
    if type(x) is not L or len(x.items) != 2:
        raise QError("type")
    a, b = x.items
    if (type(a) is V and a.t == 10) or (type(a) is A and a.t == 10):
        types, widths, big = _as_text(a), b, False
    else:
        types, widths, big = _as_text(b), a, True
    ws = [int(w) for w in (widths.a.tolist() if type(widths) is V else [widths.v])]
    if len(ws) != len(types):
        raise QError("length")
    if type(y) is not V or y.t not in (4, 10):
        raise QError("type")
    raw = y.a.tobytes()
    rec = sum(ws)
    if rec <= 0:
        raise QError("length")
    nrec = len(raw) // rec
    cols: list[Any] = []
    off = 0
    for ch, w in zip(types, ws, strict=True):
        if ch == " ":
            off += w
            continue
        chunks = [raw[r * rec + off : r * rec + off + w] for r in range(nrec)]
        off += w
        if ch == "*":
            vals = [V(10, np.frombuffer(c, dtype=np.uint8).copy()) for c in chunks]
            cols.append(L(vals))
            continue
        spec = _BIN.get(ch)
        if spec is None or spec[1] != w:
            raise QError("type")
        t = spec[0]
        dt = np.dtype(_LE_DT[t]).newbyteorder(">" if big else "<") if spec[1] > 1 else np.dtype(np.uint8)
        arr = np.frombuffer(b"".join(chunks), dtype=dt).astype(DTYPES[t])
        col = V(t, arr if t != 1 else arr != 0)
        cols.append(col)
    return L(cols)


_LE_DT = {5: "i2", 6: "i4", 7: "i8", 8: "f4", 9: "f8"}
