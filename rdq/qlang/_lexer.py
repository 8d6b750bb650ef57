"""Tokenizer for q source text."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from rdq.qlang._temporal import cast_temporal, fill_null, parse_literal
from rdq.qlang._values import DTYPES, NULLS, A, QError, V

__all__ = ["Tok", "tokenize"]


#: token kinds: num sym str name op adv sig lp rp lb rb lc rc semi nl
@dataclass(slots=True)
class Tok:
    kind: str
    val: Any
    pos: int
    end: int
    space: bool  # whitespace (or start) right before the token


_NUM = re.compile(
    r"0x[0-9a-fA-F]*|[01]+b(?![\w])|-?(?:0[NWnw][hijef]?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[hijefb]?)(?![A-Za-z0-9])"
)
_TEMPORAL = re.compile(
    r"(?:\d{4}\.\d\d\.\d\d(?:[DT](?:\d+(?::\d\d(?::\d\d(?:\.\d*)?)?)?)?)?|-?\d+:\d\d(?::\d\d(?:\.\d*)?)?"
    r"|-?\d+D(?:\d+(?::\d\d(?::\d\d(?:\.\d*)?)?)?)?|\d{4}\.\d\dm)(?![\w.:])"
)
_TNULL = re.compile(r"-?0[NW][pmdznuvt]?(?![\w.:])")
_NAME = re.compile(r"[A-Za-z.][A-Za-z0-9_.]*")
_SYM = re.compile(r"`(?::[A-Za-z0-9_./:]*|[A-Za-z0-9_.][A-Za-z0-9_.:]*)?")
_OPS = "+-*%!&|<>=~,^#_$?@.:"
_NOUN_END = {"num", "sym", "str", "name", "rp", "rb", "rc"}

_SUFFIX_T = {"h": 5, "i": 6, "j": 7, "e": 8, "f": 9, "b": 1}
_INT_MAX = {5: 2**15 - 1, 6: 2**31 - 1, 7: 2**63 - 1}


def _num_item(s: str) -> tuple[Any, int | None, bool]:
    """Parse one number literal -> (python value, explicit type or None, is_float_syntax)."""
    suf = s[-1] if s[-1] in "hijefb" and not s.startswith("0x") else ""
    body = s[:-1] if suf else s
    neg = body.startswith("-")
    core = body[1:] if neg else body
    t = _SUFFIX_T.get(suf)
    if core in ("0N", "0n", "0W", "0w"):
        if core == "0N":
            if t is None:
                t = 7
            v: Any = NULLS[t]
        elif core == "0n":
            t = t or 9
            v = NULLS[t]
        elif core == "0W":
            t = t or 7
            v = math.inf if t in (8, 9) else _INT_MAX.get(t, 2**63 - 1)
        else:
            t = t or 9
            v = math.inf
        if neg:
            v = -v
        return v, t, t in (8, 9)
    is_float = "." in core or "e" in core.lower()
    if t in (8, 9) or (t is None and is_float):
        return (-float(core) if neg else float(core)), t, True
    if is_float:
        raise QError(s)
    return (-int(core) if neg else int(core)), t, False


def _make_num(items: list[str]) -> Any:
    if len(items) == 1 and items[0].startswith("0x"):
        hx = items[0][2:]
        if len(hx) <= 2:
            return A(4, int(hx or "0", 16))
        if len(hx) % 2:
            hx = "0" + hx
        return V(4, np.frombuffer(bytes.fromhex(hx), dtype=np.uint8).copy())
    if len(items) == 1 and items[0].endswith("b") and not items[0].startswith("0x"):
        bits = items[0][:-1]
        if len(bits) == 1:
            return A(1, int(bits))
        return V(1, np.array([c == "1" for c in bits], dtype=np.bool_))
    parsed = [_num_item(s) for s in items]
    ts = [p[1] for p in parsed if p[1] is not None]
    last_suffix = items[-1][-1] in "hijef" and not items[-1].startswith("0x")
    if last_suffix:
        t = _SUFFIX_T[items[-1][-1]]
    elif any(p[2] for p in parsed):
        t = 9
    elif ts:
        t = max(ts)
    else:
        t = 7
    vals = []
    for v, _pt, _isf in parsed:
        if t in (8, 9):
            vals.append(float(v))
        else:
            if isinstance(v, float):
                if math.isinf(v):
                    v = _INT_MAX[t] if v > 0 else -_INT_MAX[t]
                else:
                    v = NULLS[t]
            elif v == -(2**63) and t != 7:
                v = NULLS[t]
            elif v == 2**63 - 1 and t != 7:
                v = _INT_MAX[t]
            elif v == -(2**63 - 1) and t != 7:
                v = -_INT_MAX[t]
            vals.append(v)
    if len(vals) == 1:
        return A(t, vals[0])
    return V(t, np.array(vals, dtype=DTYPES[t]))


_TITEM = re.compile(_TEMPORAL.pattern + "|" + _TNULL.pattern + r"|-?0[NW](?![\w.:])|\d{4}\.\d\d(?![\w.:])")
_BARE_MONTH = re.compile(r"\d{4}\.\d\d$")


def _temporal_run(src: str, i: int) -> tuple[list[str], int] | None:
    """The items of a temporal literal starting at ``i`` (``2000.01 2000.02m``, ``0N 0Nd``), or None."""
    n = len(src)
    texts: list[str] = []
    j = i
    while True:
        m = _TITEM.match(src, j)
        if not m:
            break
        texts.append(m.group())
        j = m.end()
        k = j
        while k < n and src[k] in " \t":
            k += 1
        if k == j or k >= n or not _TITEM.match(src, k):
            break
        j = k
    if not texts:
        return None
    typed = [
        k
        for k, s in enumerate(texts)
        if _TEMPORAL.fullmatch(s) or (s.lstrip("-")[:2] in ("0N", "0W") and len(s.lstrip("-")) == 3)
    ]
    if not typed:
        return None
    if any(_BARE_MONTH.match(s) for s in texts):
        if not texts[-1].endswith("m"):
            # floats like 2000.01 before a date: only the typed prefix... keep it simple: not temporal
            last = typed[0]
            if last == 0:
                texts = texts[:1]
            else:
                return None
    end = i
    for s in texts:
        end = src.index(s, end) + len(s)
    return texts, end


_TSUF = {"p": 12, "m": 13, "d": 14, "z": 15, "n": 16, "u": 17, "v": 18, "t": 19}


def _make_temporal(texts: list[str]) -> Any:
    """A temporal literal (atom or vector): items are literals or ``0N``/``0W`` with an optional type char."""
    parsed: list[tuple[int | None, Any]] = []
    for s in texts:
        core = s.lstrip("-")
        if _BARE_MONTH.match(s):
            parsed.append((None, s))
        elif core[:2] in ("0N", "0W"):
            parsed.append((_TSUF.get(core[2:3]) if len(core) > 2 else None, s))
        else:
            parsed.append(parse_literal(s))
    ts = [t for t, _ in parsed if t is not None]
    if not ts:
        raise QError(texts[0])
    t = ts[-1] if parsed[-1][0] is not None else ts[0]
    vals = []
    for pt, v in parsed:
        if pt is None and _BARE_MONTH.match(v):
            vals.append(parse_literal(v + "m")[1])
        elif pt is None or isinstance(v, str):
            vals.append(fill_null(t, v))
        elif pt == t:
            vals.append(v)
        elif {pt, t} <= {17, 18, 19, 16}:
            vals.append(cast_temporal(t, A(pt, v)).v)
        else:
            raise QError(texts[0])
    if len(vals) == 1:
        return A(t, vals[0])
    return V(t, np.array(vals, dtype=DTYPES[t]))


def _special(s: str) -> bool:
    return s.startswith("0x") or (s.endswith("b") and set(s[:-1]) <= {"0", "1"})


_ESC = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def tokenize(src: str) -> list[Tok]:
    """Split q source into tokens (comments removed)."""
    toks: list[Tok] = []
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        space = i == 0 or src[i - 1] in " \t\n\r\xa0"
        if c in " \t\r\xa0":
            i += 1
            continue
        if c == "\n":
            toks.append(Tok("nl", None, i, i + 1, True))
            i += 1
            continue
        if c == "/" and (i == 0 or src[i - 1] in " \t\n\r"):
            while i < n and src[i] != "\n":
                i += 1
            continue
        prev = toks[-1] if toks else None
        prev_noun = prev is not None and prev.kind in _NOUN_END and not space
        # numbers (possibly a vector of them)
        if (
            c.isdigit()
            or (c == "." and i + 1 < n and src[i + 1].isdigit())
            or (
                c == "-"
                and i + 1 < n
                and (src[i + 1].isdigit() or (src[i + 1] == "." and i + 2 < n and src[i + 2].isdigit()))
                and not prev_noun
            )
        ):
            if (
                c in "01"
                and i + 1 < n
                and src[i + 1] == ":"
                and src[i + 2 : i + 3] != ":"
                and not (i > 0 and (src[i - 1].isalnum() or src[i - 1] in "._"))
            ):
                toks.append(Tok("op", c + ":", i, i + 2, space))  # the file verbs 0: and 1:
                i += 2
                continue
            if src.startswith("0Ng", i) and not (i + 3 < n and (src[i + 3].isalnum() or src[i + 3] == "_")):
                toks.append(Tok("num", A(2, NULLS[2]), i, i + 3, space))  # the null guid
                i += 3
                continue
            run = _temporal_run(src, i)
            if run is not None:
                texts, j = run
                toks.append(Tok("num", _make_temporal(texts), i, j, space))
                i = j
                continue
            m = _NUM.match(src, i)
            if not m:
                raise QError(src[i:].split()[0] if src[i:].split() else src[i])
            items = [m.group()]
            j = m.end()
            if not _special(items[0]):
                while True:
                    k = j
                    while k < n and src[k] in " \t":
                        k += 1
                    if k == j or k >= n:
                        break
                    m2 = _NUM.match(src, k)
                    if not m2 or _special(m2.group()):
                        break
                    items.append(m2.group())
                    j = m2.end()
            toks.append(Tok("num", _make_num(items), i, j, space))
            i = j
            continue
        if c == "`":
            syms = []
            j = i
            while j < n and src[j] == "`":
                m = _SYM.match(src, j)
                assert m is not None
                syms.append(m.group()[1:])
                j = m.end()
            val: Any = A(11, syms[0]) if len(syms) == 1 else V(11, np.array(syms, dtype=object))
            toks.append(Tok("sym", val, i, j, space))
            i = j
            continue
        if c == '"':
            j = i + 1
            out = []
            while j < n and src[j] != '"':
                if src[j] == "\\" and j + 1 < n:
                    e = src[j + 1]
                    if e in _ESC:
                        out.append(_ESC[e])
                        j += 2
                        continue
                    if e.isdigit() and j + 3 < n + 1:
                        out.append(chr(int(src[j + 1 : j + 4], 8)))
                        j += 4
                        continue
                    out.append(e)
                    j += 2
                    continue
                out.append(src[j])
                j += 1
            if j >= n:
                raise QError('"')
            s = "".join(out)
            b = s.encode("utf-8")
            sval: Any = A(10, b[0]) if len(b) == 1 else V(10, np.frombuffer(b, dtype=np.uint8).copy())
            toks.append(Tok("str", sval, i, j + 1, space))
            i = j + 1
            continue
        if c.isalpha() or (c == "." and i + 1 < n and src[i + 1].isalpha()):
            m = _NAME.match(src, i)
            assert m is not None
            toks.append(Tok("name", m.group(), i, m.end(), space))
            i = m.end()
            continue
        if c == "'":
            if i + 1 < n and src[i + 1] == ":":
                toks.append(Tok("adv", "':", i, i + 2, space))
                i += 2
                continue
            if (
                i + 1 < n
                and src[i + 1] == "["
                and (space or prev is None or prev.kind in ("lp", "lb", "semi", "nl", "lc", "op"))
            ):
                toks.append(Tok("op", "'", i, i + 1, space))
            elif space or prev is None or prev.kind in ("lp", "lb", "semi", "nl", "lc"):
                toks.append(Tok("sig", "'", i, i + 1, space))
            else:
                toks.append(Tok("adv", "'", i, i + 1, space))
            i += 1
            continue
        if c in "/\\":
            if i + 1 < n and src[i + 1] == ":":
                toks.append(Tok("adv", c + ":", i, i + 2, space))
                i += 2
            else:
                toks.append(Tok("adv", c, i, i + 1, space))
                i += 1
            continue
        if c in "()[]{};":
            kind = {"(": "lp", ")": "rp", "[": "lb", "]": "rb", "{": "lc", "}": "rc", ";": "semi"}[c]
            toks.append(Tok(kind, c, i, i + 1, space))
            i += 1
            continue
        if c in _OPS:
            two = src[i : i + 2]
            if two in ("<=", ">=", "<>", "::"):
                toks.append(Tok("op", two, i, i + 2, space))
                i += 2
                continue
            if c.isdigit():
                pass
            toks.append(Tok("op", c, i, i + 1, space))
            i += 1
            continue
        if c.isdigit():
            pass
        raise QError(c)
    return toks
