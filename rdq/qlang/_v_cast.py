"""Casting verbs: ``$`` (cast, tok from strings, enumerate), ``type``."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from rdq.qlang._core import count, item, items, mklist, null_atom, qstr, qtype, wrap_int
from rdq.qlang._temporal import EXTRACTORS, TEMPORAL, cast_temporal, extract, parse_temporal_str
from rdq.qlang._v_search import q_find
from rdq.qlang._v_stats import q_mmu
from rdq.qlang._values import DTYPES, NULLS, A, D, E, L, QError, T, V

__all__ = [
    "q_cast",
    "q_cast_in",
    "q_find_in",
    "q_type",
]


def _as_text(x: Any) -> str:
    return qstr(x)


_CAST_NAMES = {
    "boolean": 1,
    "b": 1,
    "byte": 4,
    "x": 4,
    "short": 5,
    "h": 5,
    "int": 6,
    "i": 6,
    "long": 7,
    "j": 7,
    "real": 8,
    "e": 8,
    "float": 9,
    "f": 9,
    "char": 10,
    "c": 10,
    "symbol": 11,
    "s": 11,
    "": 11,
    "timestamp": 12,
    "p": 12,
    "month": 13,
    "m": 13,
    "date": 14,
    "d": 14,
    "datetime": 15,
    "z": 15,
    "timespan": 16,
    "n": 16,
    "minute": 17,
    "u": 17,
    "second": 18,
    "v": 18,
    "time": 19,
    "t": 19,
}


def _cast_target(x: Any) -> tuple[int, bool]:
    """(q type, parse-from-string?)"""
    if type(x) is A and x.t == 11 and x.v in EXTRACTORS:
        return -1, False
    if type(x) is A and x.t == 11:
        if x.v in _CAST_NAMES:
            return _CAST_NAMES[x.v], False
        raise QError("nyi")
    if type(x) is A and x.t == 10:
        c = chr(x.v)
        if c == "*":
            return 0, True
        if c.isupper():
            t = 2 if c == "G" else _CAST_NAMES.get(c.lower())
            if t is None:
                raise QError("nyi")
            return t, True
        t = _CAST_NAMES.get(c)
        if t is None:
            raise QError("nyi")
        return t, False
    if type(x) is A and x.t in (5, 6, 7):
        if x.v == 0:
            return 0, True  # 0h$y is y, as "*"$y
        return abs(x.v), x.v < 0
    raise QError("type")


def _parse_guid(s: str) -> str:
    """A guid from its text, or from an IPv4/IPv6 address (IPv4 maps to ``::ffff:a.b.c.d``)."""
    import ipaddress

    h = s.replace("-", "")
    if len(h) == 32 and all(c in "0123456789abcdefABCDEF" for c in h):
        b = bytes.fromhex(h)
    else:
        try:
            addr: Any = ipaddress.ip_address(s)
        except ValueError:
            return NULLS[2]
        if addr.version == 4:
            addr = ipaddress.IPv6Address("::ffff:" + s)
        b = addr.packed
    x = b.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _parse_str(t: int, s: str) -> A:
    if t in TEMPORAL:
        return parse_temporal_str(t, s)
    s = s.strip()
    if t == 11:
        return A(11, s)
    if t == 10:
        return A(10, ord(s[0])) if s else A(10, 32)
    if t == 1:
        return A(1, 1 if s[:1] in ("1", "t", "T", "y", "Y") else 0)
    if t == 2:
        return A(2, _parse_guid(s))
    try:
        if t in (8, 9):
            return A(t, float(s)) if s not in ("", "0n", "0N") else null_atom(t)
        if s in ("", "0N"):
            return null_atom(t)
        if t == 4:
            return A(4, int(s[2:] if s.startswith("0x") else s, 16) % 256)
        if "." in s:
            return null_atom(t)  # q: an integral type does not parse "0.5" (0N)
        v = int(float(s)) if "e" in s else int(s)
        lim = {5: 2**15 - 1, 6: 2**31 - 1, 7: 2**63 - 1}.get(t)
        if lim is not None and not -lim <= v <= lim:
            return null_atom(t)
        return A(t, v)
    except ValueError:
        return null_atom(t)


def _stringish(y: Any) -> bool:
    """A string, or a list/dictionary/table whose items are all stringish (Pad is string-atomic)."""
    ty = type(y)
    if ty is V:
        return y.t == 10
    if ty is A:
        return y.t == 10
    if ty is L:
        return bool(y.items) and all(_stringish(a) for a in y.items)
    if ty is D:
        return _stringish(y.v)
    if ty is T:
        return bool(y.data) and all(_stringish(c) for c in y.data)
    return False


def _pad(n: int, y: Any) -> Any:
    """``n$y`` (code.kx.com/q/ref/pad): ``y`` padded with blanks (or cut) to ``|n|``, on the left for n<0."""
    ty = type(y)
    if ty is V or ty is A:
        b = bytes(y.a) if ty is V else bytes([y.v])
        b = b.ljust(n)[:n] if n >= 0 else b.rjust(-n)[len(b.rjust(-n)) + n :]
        return V(10, np.frombuffer(b, dtype=np.uint8).copy())
    if ty is L:
        return L([_pad(n, a) for a in y.items])
    if ty is D:
        return D(y.k, _pad(n, y.v))
    return T(list(y.cols), [_pad(n, c) for c in y.data])


def q_cast(x: Any, y: Any) -> Any:
    if type(x) is A and x.t in (6, 7) and _stringish(y):
        return _pad(x.v, y)
    if type(x) is L and type(y) is A:
        return mklist([q_cast(a, y) for a in x.items])
    if type(x) is V and x.t in (5, 6, 7, 11) and type(y) is A:  # 12 13h$42, `hh`uu`ss$t: each type
        return mklist([q_cast(a, y) for a in items(x)])
    if type(x) in (V, L) and (x.t != 10 or (len(x.a) > 1 and type(y) is L)):
        if count(x) != count(y):
            raise QError("length")
        return mklist([q_cast(a, b) for a, b in zip(items(x), items(y), strict=True)])
    t, parse = _cast_target(x)
    if t == -1:
        return _extract(x.v, y)
    if parse:
        return _parse_cast(t, y)
    return _cast(t, y)


def _extract(name: str, y: Any) -> Any:
    """`` `year$ `` `` `mm$ `` `` `dd$ `` `` `hh$ `` `` `uu$ `` `` `ss$ `` `` `week$ `` through lists."""
    if type(y) is L:
        return mklist([_extract(name, a) for a in y.items])
    if type(y) is D:
        return D(y.k, _extract(name, y.v))
    return extract(name, y)


def _enum_index(interp: Any, name: str, y: Any, *, extend: bool) -> E:
    """`` `d$y`` (``extend=False``: a symbol not in ``d`` is ``'cast``) and `` `d?y`` (appends them to ``d``)."""
    dom = interp.g.get(name) if extend else None
    if dom is None:
        dom = interp.lookup(name, None) if not extend else L([])
    if type(dom) is L and not dom.items:
        dom = V(11, np.array([], dtype=object))
    if type(y) is L and not y.items:
        y = V(11, np.array([], dtype=object))
    if type(y) is A and y.t == 11 and not (type(dom) is D and type(dom.k) is T):
        r0 = _enum_index(interp, name, V(11, np.array([y.v], dtype=object)), extend=extend)
        return E(name, r0.a, interp.g, atom=True)  # `d$`a: an enumerated atom
    if type(dom) is D and type(dom.k) is T and not extend:
        return _fkey(interp, name, dom, y)
    if type(y) is not V or y.t != 11:
        raise QError("type")
    if type(dom) is not V or dom.t != 11:
        raise QError("type")
    pos: dict[str, int] = {}
    for i, s in enumerate(dom.a.tolist()):
        pos.setdefault(s, i)
    idx = []
    new: list[str] = []
    for s in y.a.tolist():
        j = pos.get(s)
        if j is None:
            if not extend:
                raise QError("cast")
            j = pos[s] = len(dom.a) + len(new)
            new.append(s)
        idx.append(j)
    if new:
        interp.g[name] = V(11, np.concatenate([dom.a, np.array(new, dtype=object)]), dom.attr)
    r = E(name, np.array(idx, dtype=np.int64), interp.g)
    r.attr = y.attr  # `d?`g#y keeps the attribute of y
    return r


def _fkey(interp: Any, name: str, kt: D, y: Any) -> E:
    """`` `kt$y ``: a foreign key, the rows of keyed table ``kt`` whose key is each item of ``y``.

    Every item must be a key of ``kt`` (``'cast`` otherwise, code.kx.com/q/ref/enumerate).
    """
    keys = kt.k.data[0] if len(kt.k.data) == 1 else None
    if type(keys) is not V:
        raise QError("type")
    if type(y) is A:
        y = V(y.t, np.array([y.v], dtype=keys.a.dtype if y.t == keys.t else object))
    if (type(y) is L and not y.items) or (type(y) is V and not len(y.a)):
        return E(name, np.array([], dtype=np.int64), interp.g)
    if type(y) is not V:
        raise QError("type")
    if y.t != keys.t:
        raise QError("type")
    pos: dict[Any, int] = {}
    for i, k in enumerate(keys.a.tolist()):
        pos.setdefault(k, i)
    idx = []
    for v in y.a.tolist():
        j = pos.get(v)
        if j is None:
            raise QError("cast")
        idx.append(j)
    return E(name, np.array(idx, dtype=np.int64), interp.g)


def q_cast_in(interp: Any, x: Any, y: Any) -> Any:
    """``x$y`` where a symbol ``x`` that names no type enumerates ``y`` over the domain ``x``; float vectors
    or matrices on both sides multiply (``$`` is ``mmu``, mmu.md)."""
    if _is_float_mat(x) and _is_float_mat(y):
        return q_mmu(x, y)
    if type(x) is A and x.t == 11 and x.v in EXTRACTORS and x.v not in interp.g:
        return q_cast(x, y)
    if type(x) is A and x.t == 11 and (x.v not in _CAST_NAMES or (len(x.v) == 1 and x.v in interp.g)):
        return _enum_index(interp, x.v, y, extend=False)
    return q_cast(x, y)


def _is_float_mat(x: Any) -> bool:
    """A float vector, or a non-empty list of float vectors."""
    if type(x) is V:
        return x.t in (8, 9)
    return type(x) is L and bool(x.items) and all(type(r) is V and r.t in (8, 9) for r in x.items)


def q_find_in(interp: Any, x: Any, y: Any) -> Any:
    """``x?y``; a symbol ``x`` is enum extend."""
    if type(x) is A and x.t == 11:
        return _enum_index(interp, x.v, y, extend=True)
    return q_find(x, y)


#: plain numerals, one per line: what "J"$ and "F"$ of a list of strings read at once (no nulls, no overflow)
_PLAIN = {
    5: re.compile(r"(?:-?\d{1,4}\n)*-?\d{1,4}"),
    6: re.compile(r"(?:-?\d{1,9}\n)*-?\d{1,9}"),
    7: re.compile(r"(?:-?\d{1,18}\n)*-?\d{1,18}"),
    9: re.compile(r"(?:-?\d{1,15}(?:\.\d{0,15})?\n)*-?\d{1,15}(?:\.\d{0,15})?"),
}


def _parse_numbers(t: int, strs: list[Any]) -> Any:
    """``"J"$("12";"-3")``: a list of plain numerals as one vector (None where any item needs the full rules)."""
    if not strs or not all(type(a) is V and a.t == 10 for a in strs):
        return None
    text = b"\n".join(bytes(a.a) for a in strs)
    if _PLAIN[t].fullmatch(text.decode("ascii", "replace")) is None:
        return None
    return V(t, np.array(text.split(b"\n"), dtype="S").astype(np.float64 if t == 9 else np.int64).astype(DTYPES[t]))


def _parse_cast(t: int, y: Any) -> Any:
    if t == 0 and type(y) is not V:
        return y
    if type(y) is V and y.t == 10:
        if t == 0:
            return y
        return _parse_str(t, _as_text(y))
    if type(y) is A and y.t == 10:
        return _parse_str(t, chr(y.v))
    if type(y) is L:
        fast = _parse_numbers(t, y.items) if t in _PLAIN else None
        if fast is not None:
            return fast
        return (
            mklist([_parse_cast(t, a) for a in y.items]) if y.items else V(t, np.array([], dtype=DTYPES[t]))
        )
    if type(y) is D:
        return D(y.k, _parse_cast(t, y.v))
    if type(y) is V and y.t == 11:
        raise QError("type")
    raise QError("type")


def _cast(t: int, y: Any) -> Any:
    ty = type(y)
    if ty is E:
        if y.atom:
            y = item(y.syms(), 0) if t in (10, 11) else A(7, int(y.a[0]))
        else:
            y = y.syms() if t in (10, 11) else V(7, y.a)
        ty = type(y)
    if (t in TEMPORAL or y.t in TEMPORAL) and ty in (A, V):
        return cast_temporal(t, y)
    if t in TEMPORAL and ty is L and not y.items:
        return V(t, np.array([], dtype=DTYPES[t]))
    if ty is L:
        return mklist([_cast(t, a) for a in y.items]) if y.items else V(t, np.array([], dtype=DTYPES[t]))
    if ty is D:
        return D(y.k, _cast(t, y.v))
    if ty is T:
        return T(list(y.cols), [_cast(t, c) for c in y.data])
    if t == 11:
        if y.t == 10:
            return A(11, _as_text(y).strip(" ")) if ty is V or ty is A else None
        if y.t == 11:
            return y
        raise QError("type")
    if t == 10:
        if y.t == 10:
            return y
        if y.t == 11:
            raise QError("type")
        if ty is A:
            return A(10, int(y.v) % 256)
        return V(10, (y.a.astype(np.int64) % 256).astype(np.uint8))
    if y.t == 11:
        if t in (5, 6, 7) and False:
            pass
        raise QError("type")
    src_t = y.t
    if ty is A:
        v = y.v
        if t in (8, 9):
            if src_t in (5, 6, 7) and v == NULLS[src_t]:
                return A(t, math.nan)
            r = float(v)
            if t == 8:
                r = float(np.float32(r))
            return A(t, r)
        if t == 1:
            return A(1, 1 if (v != 0) else 0)
        if src_t in (8, 9):
            if v != v:
                return null_atom(t)
            if math.isinf(v):
                return (
                    A(t, (2 ** {5: 15, 6: 31, 7: 63, 4: 8}.get(t, 63) - 1) * (1 if v > 0 else -1))
                    if t != 4
                    else A(4, 0)
                )
            r2 = int(math.floor(v + 0.5)) if True else int(v)

            return A(t, wrap_int(r2, t) if t != 4 else r2 % 256)
        if src_t in (5, 6, 7) and v == NULLS[src_t] and t in (5, 6, 7):
            return null_atom(t)
        if t == 4:
            return A(4, int(v) % 256)

        return A(t, wrap_int(int(v), t))
    a = y.a
    if t in (8, 9):
        out = a.astype(DTYPES[t])
        if src_t in (5, 6, 7):
            out[a == NULLS[src_t]] = np.nan
        return V(t, out)
    if t == 1:
        return V(1, a != 0)
    if src_t in (8, 9):
        nan = np.isnan(a)
        rounded = np.clip(np.floor(np.where(nan, 0, a) + 0.5), -(2**62), 2**62)
        out = rounded.astype(np.int64)
        if t in (5, 6, 7):
            out[nan] = NULLS[t]
        return V(t, out.astype(DTYPES[t]))
    if src_t in (5, 6, 7) and t in (5, 6, 7):
        out = a.astype(DTYPES[t])
        out[a == NULLS[src_t]] = NULLS[t]
        return V(t, out)
    return V(t, a.astype(DTYPES[t]))


def q_type(x: Any) -> Any:
    return A(5, qtype(x))
