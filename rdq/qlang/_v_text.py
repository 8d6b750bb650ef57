"""File Text ``0:`` without files (code.kx.com/q/ref/file-text): Prepare Text, Load CSV, Load Fixed and
Key-Value Pairs on strings in memory.

- ``d 0: t``: a table (or a list of columns) as delimited lines, a header first for a table; a cell
  holding the delimiter is embraced with ``"`` and its ``"`` doubled; temporal values as ISO 8601.
- ``(types;d) 0: y``: lines (or one string) split at ``d`` and parsed by the upper-case column
  types (``" "`` skips a field, ``"*"`` keeps the text); with ``enlist d`` the first line names the
  columns and the result is a table; a field in ``"`` may hold the delimiter.
- ``(types;widths) 0: y``: fixed-width fields.
- ``"S=;" 0: s``: key-value pairs (keys ``S`` ``I`` ``J``; a ``*`` third character allows quoted
  values), as a 2-item list of keys and values.

Saving to or loading from a file symbol is ``'nyi`` (the embedded interpreter has no files).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rdq.qlang._core import _syms, chars, count, item, items, mklist
from rdq.qlang._v_cast import _parse_str
from rdq.qlang._v_str import q_string
from rdq.qlang._values import DTYPES, A, D, E, L, QError, T, V

__all__ = ["prepare_text", "q_file_text"]

_TYPES = {
    "B": 1,
    "G": 2,
    "X": 4,
    "H": 5,
    "I": 6,
    "J": 7,
    "E": 8,
    "F": 9,
    "C": 10,
    "S": 11,
    "P": 12,
    "M": 13,
    "D": 14,
    "Z": 15,
    "N": 16,
    "U": 17,
    "V": 18,
    "T": 19,
}


def _text(x: Any) -> str:
    if type(x) is V and x.t in (4, 10):
        return bytes(x.a).decode("utf-8", "replace")
    if type(x) is A and x.t == 10:
        return chr(x.v)
    if type(x) is L and not x.items:
        return ""
    raise QError("type")


def _iso(t: int, s: str) -> str:
    """Temporal text in ISO 8601: ``2022-03-14``, ``2022-03-14T16:12:57.427``."""
    if t in (12, 13, 14, 15) and len(s) >= 7 and s[4] == ".":
        date, sep, rest = s.partition("D" if t == 12 else "T")
        return date.replace(".", "-").rstrip("m") + ("T" + rest if sep else "")
    return s


def _cell(x: Any, delim: str, sub: str | None) -> str:
    if type(x) is A:
        if x.t == 11:
            s = x.v
        elif x.t == 10:
            s = chr(x.v)
        else:
            s = _iso(x.t, _text(q_string(x)))
    elif type(x) is V and x.t == 10 and sub is None:
        s = _text(x)
    elif sub is not None and type(x) in (V, L, E):  # .h.cd: items joined by .h.d, a string's too
        s = sub.join(_cell(a, delim, sub) for a in items(x))
    else:
        raise QError("type")  # prepare text takes vectors and lists of strings
    if delim and delim in s:
        s = '"' + s.replace('"', '""') + '"'
    return s


def prepare_text(delim: str, x: Any, sub: str | None = None) -> L:
    """``delim 0: x``: the rows of table ``x`` (header first) or of a list of columns, as strings.

    ``sub`` joins the items of nested cells (``.h.cd`` uses ``.h.d``); without it they are ``'type``.
    """
    if type(x) is D and type(x.k) is T and type(x.v) is T:
        names: list[str] | None = list(x.k.cols) + list(x.v.cols)
        cols = list(x.k.data) + list(x.v.data)
    elif type(x) is T:
        names, cols = list(x.cols), list(x.data)
    elif type(x) is L:
        names, cols = None, list(x.items)
    else:
        raise QError("type")
    cols = [c.syms() if type(c) is E else c for c in cols]
    n = count(cols[0]) if cols else 0
    rows = [] if names is None else [delim.join(names)]
    for i in range(n):
        rows.append(delim.join(_cell(item(c, i), delim, sub) for c in cols))
    return L([chars(r) for r in rows])


def _split(line: str, delim: str) -> list[str]:
    """A delimited line's fields; a field in double quotes may hold the delimiter (``""`` is ``"``)."""
    out: list[str] = []
    cur: list[str] = []
    i, n, quoted = 0, len(line), False
    while i < n:
        ch = line[i]
        if quoted:
            if ch == '"':
                if i + 1 < n and line[i + 1] == '"':
                    cur.append('"')
                    i += 1
                else:
                    quoted = False
            else:
                cur.append(ch)
        elif ch == '"' and not cur:
            quoted = True
        elif ch == delim:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def _column(code: str, cells: list[str]) -> Any:
    if code == "*":
        return L([chars(c) for c in cells])
    t = _TYPES.get(code)
    if t is None:
        raise QError("type")
    if not cells:
        return V(t, np.array([], dtype=DTYPES[t]))
    if t == 10:
        return V(10, np.array([ord(c[0]) if c else 32 for c in cells], dtype=np.uint8))
    return mklist([_parse_str(t, c) for c in cells])


def _lines(y: Any) -> tuple[list[str], bool]:
    """The lines of ``y`` and whether ``y`` was one string (one record)."""
    if type(y) is V and y.t in (4, 10):
        return [_text(y)], True
    if type(y) is L:
        return [_text(a) for a in y.items], False
    if type(y) is A and y.t == 11:
        raise QError("nyi")  # a file: no files here
    raise QError("type")


def _load(types: str, fields: list[list[str]], names: list[str] | None, single: bool) -> Any:
    if fields and any(len(f) < len(types) for f in fields):
        raise QError("length")
    cols, keep = [], []
    for j, code in enumerate(types):
        if code == " ":
            continue
        cols.append(_column(code, [f[j] for f in fields]))
        keep.append(j)
    if single:
        return mklist([item(c, 0) if type(c) is V else c.items[0] for c in cols])
    if names is not None:
        return T([names[j] for j in keep], cols)
    return L(cols)


def _load_csv(types: str, delim: Any, y: Any) -> Any:
    header = type(delim) is V and delim.t == 10 and len(delim.a) == 1
    sep = _text(delim)
    if len(sep) != 1:
        raise QError("type")
    lines, single = _lines(y)
    rows = [_split(ln, sep) for ln in lines if ln != "" or single]
    names = None
    if header and not single:
        names, rows = [s.strip() for s in rows[0]], rows[1:] if rows else []
    return _load(types, rows, names, single and not header)


def _load_fixed(types: str, widths: V, y: Any) -> Any:
    ws = [int(w) for w in widths.a.tolist()]
    if len(ws) != len(types):
        raise QError("length")
    lines, _ = _lines(y)
    rows = []
    for ln in lines:
        f, off = [], 0
        for w in ws:
            f.append(ln[off : off + w])
            off += w
        rows.append(f)
    return _load(types, rows, None, False)


def _records(s: str, rs: str) -> list[str]:
    """``s`` cut at ``rs`` except inside double quotes."""
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in s:
        if ch == '"':
            quoted = not quoted
        if ch == rs and not quoted:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _key_value(spec: str, s: str) -> Any:
    if len(spec) == 4 and spec[2] == "*":
        kt, fs, rs, quoted = spec[0], spec[1], spec[3], True
    elif len(spec) == 3:
        kt, fs, rs, quoted = spec[0], spec[1], spec[2], False
    else:
        raise QError("length")
    recs = _records(s, rs) if quoted else s.split(rs)
    keys, vals = [], []
    for r in recs:
        if r == "":
            continue
        k, _, v = r.partition(fs)
        if quoted and len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1].replace('""', '"')
        keys.append(k)
        vals.append(chars(v))
    if kt == "S":
        kv: Any = _syms(keys)
    elif kt in ("I", "J"):
        t = 6 if kt == "I" else 7
        kv = V(t, np.array([int(k) for k in keys], dtype=DTYPES[t]))
    else:
        raise QError("type")
    return L([kv, L(vals)])


def q_file_text(x: Any, y: Any) -> Any:
    """``x 0: y`` (see the module docstring for the forms)."""
    if type(x) is A and x.t == 10:
        return prepare_text(chr(x.v), y)
    if type(x) is A and x.t == 11:
        raise QError("nyi")  # Save Text: no files here
    if type(x) is V and x.t == 10:
        return _key_value(_text(x), _text(y))
    if type(x) is L and len(x.items) in (2, 3):
        types = _text(x.items[0]).upper()  # lower-case codes read as upper-case ones
        spec = x.items[1]
        if type(spec) is V and spec.t in (5, 6, 7):
            return _load_fixed(types, spec, y)
        return _load_csv(types, spec, y)
    raise QError("type")
