"""The dotted namespaces of the q namespace table: ``.j`` (JSON), ``.h`` (markup), ``.Q`` (utilities), ``md5``.

Built per interpreter by :func:`rdq.qlang._verbs.builtins`, which merges them into its keyword table."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from rdq.qlang._core import chars, count, qstr
from rdq.qlang._fn import Prim
from rdq.qlang._format import display
from rdq.qlang._index import index
from rdq.qlang._json import from_json, to_json
from rdq.qlang._values import A, D, L, QError, V

__all__ = ["json_ns", "dotted_ns"]

_LOWER = "abcdefghijklmnopqrstuvwxyz"


def _jd(a: Any) -> Any:
    """``.j.jd (x; opts)``: ``.j.j`` with options (``null0w``: infinities as null)."""
    if type(a) is not L or len(a.items) != 2 or type(a.items[1]) is not D:
        raise QError("type")
    opts = a.items[1]
    null0w = False
    if count(opts.k):
        v = index(opts, A(11, "null0w"))
        null0w = type(v) is A and bool(v.v)
    return chars(to_json(a.items[0], null0w=null0w))


def _md5(x: Any) -> Any:
    """``md5 x``: the 16-byte MD5 digest of a string or byte vector."""
    if type(x) is not V or x.t not in (4, 10):
        raise QError("type")
    return V(4, np.frombuffer(hashlib.md5(x.a.tobytes()).digest(), dtype=np.uint8).copy())


def json_ns() -> dict[str, Any]:
    """``.j.j``, ``.j.jd``, ``.j.k`` and ``md5`` (first in the keyword table, as they always were)."""
    return {
        ".j.j": Prim(".j.j", lambda x: chars(to_json(x))),
        ".j.jd": Prim(".j.jd", _jd),
        ".j.k": Prim(".j.k", lambda x: from_json(qstr(x))),
        "md5": Prim("md5", _md5),
    }


def dotted_ns(bang: Prim) -> dict[str, Any]:
    """``.h.htc``, the ``.Q`` alphabets and ``.Q.s`` ``.Q.s1`` (the rest of ``.Q`` is :mod:`rdq.qlang._dot_q`)."""
    return {
        ".h.htc": Prim(".h.htc", None, lambda tag, x: chars(f"<{tag.v}>{qstr(x)}</{tag.v}>")),
        ".Q.a": chars(_LOWER),
        ".Q.A": chars(_LOWER.upper()),
        ".Q.n": chars("0123456789"),
        ".Q.nA": chars("0123456789" + _LOWER.upper()),
        ".Q.s": Prim(".Q.s", lambda x: chars(display(x) + "\n")),
        # .Q.s1 x: the string of x as q source, as -3!x (code.kx.com/q/ref/dotq/#s1-string-representation)
        ".Q.s1": Prim(".Q.s1", lambda x: bang.d(A(7, -3), x)),  # type: ignore[misc]
    }
