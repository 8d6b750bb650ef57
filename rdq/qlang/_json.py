"""The ``.j`` namespace: ``.j.j`` / ``.j.jd`` (q value -> JSON text) and ``.j.k`` (JSON text -> q value).

Mapping (as q's ``j.k``): numbers are JSON numbers (infinities ``inf``/``-inf``, or ``null`` with the
``null0w`` option; null floats are ``null``), booleans ``true``/``false``, symbols and strings JSON
strings, dictionaries objects, tables arrays of objects, lists arrays. Parsing gives floats for numbers,
strings for strings, dictionaries for objects, tables for arrays of objects with the same keys, and
simple vectors for arrays of one kind.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from rdq.qlang._core import chars, items, mklist, qstr
from rdq.qlang._format import fmt_float
from rdq.qlang._values import NULLS, A, D, L, QError, T, V

__all__ = ["to_json", "from_json"]


def _num(v: Any, t: int, null0w: bool) -> str:
    if t in (8, 9):
        if v != v:
            return "null"
        if math.isinf(v):
            return "null" if null0w else ("inf" if v > 0 else "-inf")

        return fmt_float(v)
    if t in (5, 6, 7) and v == NULLS[t]:
        return "null"
    return str(int(v))


def to_json(x: Any, *, null0w: bool = False) -> str:
    """``.j.j x`` (``.j.jd`` with ``null0w``): the JSON text of a q value."""
    tx = type(x)
    if tx is A:
        t = x.t
        if t == 1:
            return "true" if x.v else "false"
        if t == 11:
            return json.dumps(x.v)
        if t == 10:
            return json.dumps(chr(x.v))
        if t in (4, 5, 6, 7, 8, 9):
            return _num(x.v, t, null0w)
        raise QError("nyi")
    if tx is V:
        if x.t == 10:
            return json.dumps(qstr(x))
        return "[" + ",".join(to_json(a, null0w=null0w) for a in items(x)) + "]"
    if tx is L:
        return "[" + ",".join(to_json(a, null0w=null0w) for a in x.items) + "]"
    if tx is D:
        if type(x.k) is T:
            raise QError("nyi")
        ks = [a.v if type(a) is A and a.t == 11 else qstr(a) for a in items(x.k)]
        vs = items(x.v)
        return "{" + ",".join(json.dumps(k) + ":" + to_json(v, null0w=null0w) for k, v in zip(ks, vs, strict=True)) + "}"
    if tx is T:
        cols = [items(c) for c in x.data]
        n = len(cols[0]) if cols else 0
        rows = []
        for i in range(n):
            rows.append("{" + ",".join(json.dumps(c) + ":" + to_json(col[i], null0w=null0w) for c, col in zip(x.cols, cols, strict=True)) + "}")
        return "[" + ",".join(rows) + "]"
    raise QError("type")


def from_json(text: str) -> Any:
    """``.j.k text``: the q value of a JSON text."""
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise QError("illegal char") from e
    return _q(obj)


def _q(o: Any) -> Any:
    if o is None:
        return A(9, math.nan)
    if isinstance(o, bool):
        return A(1, int(o))
    if isinstance(o, (int, float)):
        return A(9, float(o))
    if isinstance(o, str):
        return chars(o)
    if isinstance(o, dict):
        ks = V(11, np.array(list(o.keys()), dtype=object))
        return D(ks, mklist([_q(v) for v in o.values()]))
    if isinstance(o, list):
        if o and all(isinstance(a, dict) for a in o) and all(list(a.keys()) == list(o[0].keys()) for a in o):
            names = list(o[0].keys())
            return T(names, [mklist([_q(a[c]) for a in o]) for c in names])
        vals = [_q(a) for a in o]
        if vals and all(isinstance(a, str) for a in o):
            return L(vals)
        return mklist(vals) if vals else L([])
    raise QError("type")
