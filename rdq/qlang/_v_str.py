"""String verbs: ``string vs sv like ss ssr trim lower upper``."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from rdq.qlang._core import _bool, _syms, chars, deenum, items, mklist, to_py_bool
from rdq.qlang._fn import call
from rdq.qlang._format import fmt_float, inline
from rdq.qlang._ops import arith
from rdq.qlang._temporal import TEMPORAL, temporal_text
from rdq.qlang._v_cast import _as_text, _cast
from rdq.qlang._v_math import q_null
from rdq.qlang._values import DTYPES, A, D, Fn, L, QError, T, V
from rdq.qlang._values import NULLS as _INT_NULLS

__all__ = [
    "q_like",
    "q_lower",
    "q_ss",
    "q_ssr",
    "q_string",
    "q_sv",
    "q_upper",
    "q_vs",
]


def q_string(x: Any) -> Any:
    x = deenum(x)

    tx = type(x)
    if tx is A:
        t = x.t
        if t == 10:
            return V(10, np.array([x.v], dtype=np.uint8))
        if t == 11:
            return chars(x.v)
        if t in (8, 9):
            return chars(fmt_float(x.v))
        if t in (5, 6, 7):
            if x.v == _INT_NULLS[t]:
                return chars("")  # `string 0N` is "" (KX "string")
            s = inline(x)
            return chars(s[:-1] if s[-1] in "hi" else s)
        if t in TEMPORAL:
            txt = temporal_text(t, x.v)
            return chars("" if txt == "0N" else txt)
        if t == 1:
            return chars(str(int(x.v)))
        if t == 4:
            return chars(f"{x.v:02x}")
        return chars(inline(x))
    if tx is V:
        if x.t == 10:
            return L([V(10, np.array([c], dtype=np.uint8)) for c in x.a.tolist()])
        return L([q_string(a) for a in items(x)])
    if tx is L:
        return L([q_string(a) for a in x.items])
    if tx is D:
        return D(x.k, q_string(x.v))
    if tx is T:
        return T(list(x.cols), [q_string(c) for c in x.data])
    if isinstance(x, Fn):
        return chars(inline(x))
    raise QError("type")


_WIDTH = {1: 1, 4: 1, 5: 2, 6: 4, 7: 8, 8: 4, 9: 8, 10: 1}


_NPDT = {5: ">i2", 6: ">i4", 7: ">i8", 8: ">f4", 9: ">f8", 4: ">u1", 10: ">u1", 1: ">u1"}


def _bits_bytes_vs(x: A, y: Any) -> Any:
    if type(y) is V:
        return L([_bits_bytes_vs(x, a) for a in items(y)])
    if type(y) is not A or y.t not in _NPDT:
        raise QError("type")
    raw = np.array([y.v], dtype=_NPDT[y.t]).tobytes()
    if x.t == 4:
        return V(4, np.frombuffer(raw, dtype=np.uint8).copy())
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8)).astype(np.bool_)
    return V(1, bits)


def _bits_bytes_sv(x: A, y: Any) -> Any:
    if type(y) is not V:
        raise QError("type")
    if x.t == 1:
        if y.t != 1:
            raise QError("type")
        if len(y.a) not in (8, 16, 32, 64, 128):
            raise QError("length")
        raw = np.packbits(y.a.astype(np.uint8)).tobytes()
    else:
        if y.t != 4:
            raise QError("type")
        raw = y.a.tobytes()
    if len(raw) == 16:
        h = raw.hex()
        return A(2, f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    t = {1: 4, 2: 5, 4: 6, 8: 7}.get(len(raw))
    if t is None:
        raise QError("length")
    v = np.frombuffer(raw, dtype=_NPDT[t])[0]
    return A(t, int(v))


def q_vs(x: Any, y: Any) -> Any:

    if type(x) is A and ((x.t == 1 and x.v == 0) or (x.t == 4 and x.v == 0)):
        return _bits_bytes_vs(x, y)

    if (type(x) is V and x.t == 10) or (type(x) is A and x.t == 10):
        sep = _as_text(x)
        if type(y) is V and y.t == 10 and sep:  # cut the bytes: no text round trip (q strings are bytes)
            parts = bytes(y.a).split(sep.encode("utf-8"))
            return L([V(10, np.frombuffer(p, dtype=np.uint8).copy()) for p in parts])
        if type(y) is A and y.t == 10:
            s = chr(y.v)
        elif type(y) is V and y.t == 4:  # bytes cut by a char: strings (the type of the left side)
            s = bytes(y.a).decode("utf-8", "replace")
        else:
            s = _as_text(y)
        return L([chars(p) for p in s.split(sep)])
    if type(x) is A and x.t == 11 and x.v == "":
        if type(y) is A and y.t == 11:
            if y.v.startswith(":"):  # a file handle: directory and file
                d, _, f = y.v.rpartition("/")
                return _syms([d, f]) if d else _syms(["", y.v])
            return _syms(y.v.split("."))
        if type(y) is V and y.t in (4, 10):  # a string or bytes by line (\n or \r\n), trailing break elided
            text = bytes(y.a).decode("utf-8", "replace")
            lines = text.split("\n")
            if lines and lines[-1] == "" and text:
                lines.pop()
            return L([chars(ln[:-1] if ln.endswith("\r") else ln) for ln in lines])
    if type(x) in (A, V) and x.t == 4 and type(y) is V and y.t in (4, 10) and not (type(x) is A and x.v == 0):
        bsep = bytes(x.a) if type(x) is V else bytes([x.v])  # bytes cut by a byte separator (4.1)
        parts = bytes(y.a).split(bsep)
        return L([V(y.t, np.frombuffer(p, dtype=np.uint8).copy()) for p in parts])
    if type(x) is A and x.t in (1, 4, 5, 6, 7):
        base = x.v
        if base < 2 and not (x.t == 1 and base == 0):
            raise QError("domain")  # no digits in base 0 or 1 (base 1 never ends)
        if type(y) is A:
            v = y.v
            if x.t == 1 and base == 0:
                raise QError("type")
            digits = []
            if v == 0:
                digits = [0]
            while v > 0:
                digits.append(v % base)
                v //= base
            return V(7, np.array(digits[::-1], dtype=np.int64))
        if type(y) is V:
            vals = y.a.astype(np.int64).tolist()
            mx = max(vals) if vals else 0
            nd = 1
            while base**nd <= mx:
                nd += 1
            rows = []
            rt = 4 if x.t == 4 else 7
            for k in range(nd - 1, -1, -1):
                rows.append(V(rt, np.array([(v // base**k) % base for v in vals], dtype=DTYPES[rt])))
            return L(rows)
        if type(y) is L and y.items:  # any list of integers: each row has y's structure (vs.md)
            flat = [int(v) for v in _ints(y)]
            mx = max(flat) if flat else 0
            nd = 1
            while base**nd <= mx:
                nd += 1
            return L([_digit(y, base, k) for k in range(nd - 1, -1, -1)])
    if type(x) is V and x.t in (5, 6, 7):
        bases = x.a.tolist()
        if type(y) is A:
            v = y.v
            out = []
            for b in reversed(bases):
                out.append(v % b)
                v //= b
            return V(7, np.array(out[::-1], dtype=np.int64))
        vals = y.a.astype(np.int64)
        rows = []
        for b in reversed(bases):
            rows.append(V(7, vals % b))
            vals = vals // b
        return L(rows[::-1])
    if type(x) is A and x.t == 1 and False:
        pass
    raise QError("type")


def _ints(y: Any) -> list[int]:
    if type(y) is A:
        return [y.v]
    if type(y) is V and y.t in (1, 4, 5, 6, 7):
        return y.a.astype(np.int64).tolist()
    if type(y) is L:
        return [v for a in y.items for v in _ints(a)]
    raise QError("type")


def _digit(y: Any, base: int, k: int) -> Any:
    """Digit ``k`` (base ``base``) of every integer of ``y``, in ``y``'s structure."""
    if type(y) is A:
        return A(7, (int(y.v) // base**k) % base)
    if type(y) is V:
        return V(7, (y.a.astype(np.int64) // base**k) % base)
    return L([_digit(a, base, k) for a in y.items])


def q_sv(x: Any, y: Any) -> Any:

    if type(x) is A and ((x.t == 1 and x.v == 0) or (x.t == 4 and x.v == 0)):
        return _bits_bytes_sv(x, y)

    if (type(x) is V and x.t == 10) or (type(x) is A and x.t == 10):
        sep = _as_text(x)
        parts = [_as_text(a) for a in items(y)]
        return chars(sep.join(parts))
    if type(x) is A and x.t == 11 and x.v == "":
        if type(y) is L and all(type(a) is V and a.t == 10 for a in y.items):
            return chars("".join(_as_text(a) + "\n" for a in y.items))
        parts = [a.v for a in items(y)]
        if parts and parts[0].startswith(":"):  # a file handle and path parts join with /
            return A(11, "/".join(parts))
        return A(11, ".".join(parts))
    if type(x) in (A, V) and x.t == 4 and type(y) is L and all(type(a) is V and a.t == 4 for a in y.items):
        jsep = bytes(x.a) if type(x) is V else bytes([x.v])  # byte vectors joined by bytes (4.1)
        return V(4, np.frombuffer(jsep.join(bytes(a.a) for a in y.items), dtype=np.uint8).copy())
    if type(x) is A and x.t in (4, 5, 6, 7):
        base = x.v
        if type(y) is V:
            r = 0
            for v in y.a.tolist():
                r = r * base + int(v)
            return A(7, r)
        if type(y) is L:
            acc: Any = A(7, 0)
            for a in y.items:
                acc = arith("+", arith("*", acc, x), a)
            return _cast(4, acc) if x.t == 4 else acc
    if type(x) is A and x.t == 1 and False:
        pass
    if type(x) is V and x.t in (5, 6, 7):
        r = 0
        for b, v in zip(x.a.tolist(), y.a.tolist(), strict=True):
            r = r * b + v
        return A(7, r)
    if type(x) is A and x.t == 1:
        pass
    raise QError("type")


def _like_re(p: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(p):
        c = p[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = p.index("]", i + 1)
            body = p[i + 1 : j]
            if body.startswith("^"):
                body = "^" + re.escape(body[1:]).replace("\\-", "-")
            else:
                body = re.escape(body).replace("\\-", "-")
            out.append("[" + body + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.S)


def q_like(x: Any, p: Any) -> Any:
    x = deenum(x)
    pat = _like_re(_as_text(p))
    if type(x) is A and x.t == 11:
        return _bool(pat.match(x.v) is not None)
    if (type(x) is V and x.t == 10) or (type(x) is A and x.t == 10):
        return _bool(pat.match(_as_text(x)) is not None)
    if type(x) is V and x.t == 11:
        return V(1, np.array([pat.match(s) is not None for s in x.a.tolist()], dtype=np.bool_))
    if type(x) is L:
        return V(1, np.array([to_py_bool(q_like(a, p)) for a in x.items], dtype=np.bool_))
    if type(x) is D:
        return D(x.k, q_like(x.v, p))
    raise QError("type")


def q_ss(x: Any, y: Any) -> Any:
    s = _as_text(x)
    p = _as_text(y)
    if any(c in p for c in "*?["):
        pat = re.compile(_like_re(p).pattern[:-2])
        return V(7, np.array([m.start() for m in pat.finditer(s)], dtype=np.int64))
    out = []
    i = s.find(p)
    while i >= 0 and p:
        out.append(i)
        i = s.find(p, i + len(p))
    return V(7, np.array(out, dtype=np.int64))


def q_ssr(x: Any, y: Any, z: Any) -> Any:

    s = _as_text(x)
    p = _as_text(y)
    if isinstance(z, Fn):
        pos = q_ss(x, y).a.tolist()
        out = []
        last = 0
        for i in pos:
            out.append(s[last:i])
            out.append(_as_text(call(z, [chars(s[i : i + len(p)])])))
            last = i + len(p)
        out.append(s[last:])
        return chars("".join(out))
    r = _as_text(z)
    if any(c in p for c in "*?["):
        pat = re.compile(_like_re(p).pattern[:-2])
        return chars(pat.sub(lambda m: r, s))
    return chars(s.replace(p, r))


def _strmap(fn: Any) -> Any:

    def go(x: Any) -> Any:
        if type(x) is V and x.t == 10:
            return chars(fn(_as_text(x)))
        if type(x) is A and x.t == 10:
            r = fn(chr(x.v))
            return A(10, ord(r)) if len(r) == 1 else chars(r)
        if type(x) is A and x.t == 11:
            return A(11, fn(x.v))
        if type(x) is V and x.t == 11:
            return V(11, np.array([fn(s) for s in x.a.tolist()], dtype=object))
        if type(x) is L:
            return mklist([go(a) for a in x.items])
        if type(x) is D:
            return D(x.k, go(x.v))
        if type(x) is T:
            return T(list(x.cols), [go(c) for c in x.data])
        return x

    return go


def _trim(which: str) -> Any:
    def fn(s: str) -> str:
        return s.strip(" ") if which == "b" else (s.lstrip(" ") if which == "l" else s.rstrip(" "))

    def go(x: Any) -> Any:
        if type(x) is A and x.t == 10:
            return x
        if type(x) is A and x.t == 11:
            return x
        if type(x) is V and x.t not in (10, 11):
            # numeric vectors: drop leading/trailing nulls
            nn = np.flatnonzero(~q_null(x).a)
            if not len(nn):
                return V(x.t, x.a[:0])
            lo = nn[0] if which in "bl" else 0
            hi = nn[-1] + 1 if which in "br" else len(x.a)
            return V(x.t, x.a[lo:hi])
        return _strmap(fn)(x)

    return go


def q_lower(x: Any) -> Any:
    return _strmap(str.lower)(x)


def q_upper(x: Any) -> Any:
    return _strmap(str.upper)(x)
