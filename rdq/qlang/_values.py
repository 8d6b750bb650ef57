"""The q value model: atoms, typed vectors, general lists, dictionaries, tables and functions.

Representation
--------------
- :class:`A` an atom: ``t`` is the positive q type number (``type`` reports ``-t``), ``v`` a Python value
  (``int`` for boolean/byte/short/int/long/char code, ``float`` for real/float, ``str`` for symbol).
- :class:`V` a simple (typed) vector: ``t`` the q type number, ``a`` a 1-d numpy array
  (chars are ``uint8`` codes, symbols an ``object`` array of ``str``).
- :class:`L` a general list (type 0): a Python ``list`` of q values.
- :class:`D` a dictionary (type 99): keys and values, both lists of equal count.
- :class:`T` a table (type 98): column names and columns of equal count.
- :class:`Fn` and subclasses: functions (types 100-112).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "A",
    "V",
    "L",
    "D",
    "T",
    "Fn",
    "E",
    "QError",
    "IDENTITY",
    "NULLS",
    "DTYPES",
    "TYPE_CHARS",
]


class QError(Exception):
    """A q signal such as ``'type``; ``name`` is the text after the quote."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name
        self.pos: int | None = None  # source position for the console trace; -1 inside a function


class A:
    """An atom of q type ``-t``."""

    __slots__ = ("t", "v")

    def __init__(self, t: int, v: Any) -> None:
        self.t = t
        self.v = v

    def __repr__(self) -> str:
        return f"A({self.t},{self.v!r})"


class V:
    """A simple vector of q type ``t`` backed by a numpy array."""

    __slots__ = ("t", "a", "attr")

    def __init__(self, t: int, a: np.ndarray, attr: str = "") -> None:
        self.t = t
        self.a = a
        self.attr = attr

    def __len__(self) -> int:
        return len(self.a)

    def __repr__(self) -> str:
        return f"V({self.t},{self.a!r})"


class L:
    """A general (mixed) list."""

    __slots__ = ("items", "attr")
    t = 0

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.attr = ""

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"L({self.items!r})"


class D:
    """A dictionary: ``k`` and ``v`` are q lists (or tables for keyed tables) of equal count."""

    __slots__ = ("k", "v")
    t = 99

    def __init__(self, k: Any, v: Any) -> None:
        self.k = k
        self.v = v

    def __repr__(self) -> str:
        return f"D({self.k!r},{self.v!r})"


class T:
    """A table: ``cols`` column names, ``data`` the columns (q lists of equal count)."""

    __slots__ = ("cols", "data", "attr")
    t = 98

    def __init__(self, cols: list[str], data: list[Any]) -> None:
        self.cols = cols
        self.data = data
        self.attr = ""  # `s after `s#t (code.kx.com/q/ref/set-attribute)

    def __repr__(self) -> str:
        return f"T({self.cols!r})"


class E:
    """An enumeration (type 20): indices ``a`` (int64) into the symbol list held by global ``dom``.

    ``g`` is the session's globals, so the symbols are resolved when used (as q does, an update of the
    domain shows through the enumeration). ``atom`` marks an enumerated atom (`` `d$`a ``, type -20h).
    """

    __slots__ = ("dom", "a", "g", "attr", "atom")
    t = 20

    def __init__(self, dom: str, a: np.ndarray, g: dict[str, Any], *, atom: bool = False) -> None:
        self.dom = dom
        self.a = a
        self.g = g
        self.attr = ""
        self.atom = atom  # an enumerated atom (type -20h, ``a`` holds its one index)

    def __len__(self) -> int:
        return len(self.a)

    def domain_vec(self) -> V:
        """The enumerated domain: a symbol list, or the key column of a keyed table (foreign key)."""
        d = self.g.get(self.dom)
        if type(d) is V and d.t == 11:
            return d
        if type(d) is D and type(d.k) is T and d.k.data and type(d.k.data[0]) is V:
            return d.k.data[0]
        raise QError(self.dom)

    def domain(self) -> np.ndarray:
        return self.domain_vec().a

    def syms(self) -> V:
        """The enumerated values (symbols, or the foreign key's key values) as a vector."""
        if type(self.g.get(self.dom)) is T:  # a link column (`t!i): its row indices
            return V(6, self.a.astype(np.int32))
        dv = self.domain_vec()
        dom = dv.a
        if not len(self.a):
            return V(dv.t, dom[:0])
        ok = (self.a >= 0) & (self.a < len(dom))
        if ok.all():
            return V(dv.t, dom[self.a])
        out = np.full(len(self.a), NULLS.get(dv.t, ""), dtype=dom.dtype)
        out[ok] = dom[self.a[ok]]
        return V(dv.t, out)

    def __repr__(self) -> str:
        return f"E({self.dom},{self.a!r})"


class Fn:
    """Base class of q functions."""

    t = 100
    valence = 1

    def __repr__(self) -> str:
        return f"{type(self).__name__}"


class _Identity(Fn):
    t = 101

    def __repr__(self) -> str:
        return "::"


IDENTITY = _Identity()

DTYPES: dict[int, Any] = {
    1: np.bool_,
    2: object,
    4: np.uint8,
    5: np.int16,
    6: np.int32,
    7: np.int64,
    8: np.float32,
    9: np.float64,
    10: np.uint8,
    11: object,
    12: np.int64,
    13: np.int32,
    14: np.int32,
    15: np.float64,
    16: np.int64,
    17: np.int32,
    18: np.int32,
    19: np.int32,
}

NULLS: dict[int, Any] = {
    1: 0,
    2: "00000000-0000-0000-0000-000000000000",
    4: 0,
    5: -(2**15),
    6: -(2**31),
    7: -(2**63),
    8: math.nan,
    9: math.nan,
    10: 32,
    11: "",
    12: -(2**63),
    13: -(2**31),
    14: -(2**31),
    15: math.nan,
    16: -(2**63),
    17: -(2**31),
    18: -(2**31),
    19: -(2**31),
}

TYPE_CHARS = {
    0: "*",
    1: "b",
    2: "g",
    4: "x",
    5: "h",
    6: "i",
    7: "j",
    8: "e",
    9: "f",
    10: "c",
    11: "s",
    12: "p",
    13: "m",
    14: "d",
    15: "z",
    16: "n",
    17: "u",
    18: "v",
    19: "t",
}
