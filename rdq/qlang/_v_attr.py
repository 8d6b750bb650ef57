"""Attributes (code.kx.com/q/ref/set-attribute, /ref/attr): `` `s# `u# `p# `g# `` and `` `# ``.

What the reference states and this module implements:

- ``x#y`` with ``x`` one of `` `s`u`p`g `` returns ``y`` with that attribute set; the null symbol
  `` ` `` removes it. ``attr y`` returns the attribute as a symbol (`` ` `` for none).
- `` `s# `` checks the list is in ascending order and signals ``'s-fail`` otherwise; on a list already
  sorted it works in place (the original list shows the attribute too). On a dictionary it sets the
  attribute of the key (in place) and copies the outer object; on a table it sets the parted attribute
  on the first column; on a keyed table, the sorted attribute of the key table.
- `` `u# `` needs distinct items (``'u-fail``); `` `p# `` needs equal items adjacent (``'u-fail``, as
  kdb+ reports it) on a simple list; `` `g# `` applies to any list.
- ``s``, ``u`` and ``g`` are kept on append in memory when the result still has the property
  (:func:`rdq.qlang._index.join`); ``p`` is not.

Sits below the list verbs: imports only values and structural helpers.
"""

from __future__ import annotations

from typing import Any

from rdq.qlang._index import keys_of, sorted_vec, unique_vec
from rdq.qlang._values import A, D, E, L, QError, T, V

__all__ = ["is_parted", "is_sorted", "is_unique", "q_attr", "q_set_attr"]

_ATTRS = ("s", "u", "p", "g")


def _atom_key(a: Any) -> tuple[int, Any]:
    """An order key of an atom of a mixed list (by type, then value; float null first)."""
    if type(a) is A:
        v = a.v
        if a.t in (8, 9) and v != v:
            return (a.t, float("-inf"))
        return (a.t, v)
    return (1000, 0)


def is_sorted(x: Any) -> bool:
    """True when the list ``x`` is in ascending order (nulls first, as q sorts)."""
    if type(x) is E:
        x = V(7, x.a)
    if type(x) is V:
        return sorted_vec(x.t, x.a)
    if type(x) is L:
        ks = [_atom_key(a) for a in x.items]
        try:
            return all(p <= q for p, q in zip(ks, ks[1:], strict=False))
        except TypeError:
            return False
    if type(x) is T:
        rows = list(zip(*[keys_of(c) for c in x.data], strict=True)) if x.data else []
        try:
            return all(p <= q for p, q in zip(rows, rows[1:], strict=False))
        except TypeError:
            return False
    return True


def is_unique(x: Any) -> bool:
    """True when the items of ``x`` are distinct."""
    if type(x) is V:
        return unique_vec(x.a)
    ks = keys_of(x) if type(x) is not E else x.a.tolist()
    return len(set(ks)) == len(ks)


def is_parted(x: Any) -> bool:
    """True when equal items of ``x`` are adjacent (each value forms one run)."""
    ks = keys_of(x) if type(x) is not E else x.a.tolist()
    seen: set[Any] = set()
    prev: Any = object()
    for k in ks:
        if k != prev:
            if k in seen:
                return False
            seen.add(k)
            prev = k
    return True


def q_attr(x: Any) -> Any:
    """``attr x``: the attribute of a list, dictionary (its key) or table, `` ` `` if none."""
    if type(x) is D and type(x.k) is not T:
        return A(11, getattr(x.k, "attr", ""))
    return A(11, getattr(x, "attr", "") or "")


def _check(a: str, y: Any) -> None:
    if a == "s" and not is_sorted(y):
        raise QError("s-fail")
    if a == "u" and not is_unique(y):
        raise QError("u-fail")
    if a == "p" and not is_parted(y):
        raise QError("u-fail")


def _copy(y: Any, a: str) -> Any:
    if type(y) is V:
        return V(y.t, y.a, a)
    if type(y) is L:
        r = L(y.items)
        r.attr = a
        return r
    if type(y) is E:
        r2 = E(y.dom, y.a, y.g)
        r2.attr = a
        return r2
    return y


def q_set_attr(x: Any, y: Any) -> Any:
    """``x#y`` for an attribute symbol ``x`` (`` `s`u`p`g `` or `` ` ``)."""
    if type(x) is not A or x.t != 11 or x.v not in _ATTRS + ("",):
        raise QError("domain")
    a = x.v
    ty = type(y)
    if ty in (V, L, E):
        if a == "":
            if y.attr == "s":  # unsetting s on a sorted list is in place
                y.attr = ""
                return y
            return _copy(y, "")
        if a in ("p", "g") and ty is L:
            raise QError("type")
        _check(a, y)
        if a == "s":
            y.attr = "s"  # already sorted: in place, as the reference states
            return y
        return _copy(y, a)
    if ty is D:
        if type(y.k) is T:  # keyed table: the sorted attribute of the key table
            if a not in ("s", ""):
                raise QError("type")
            return D(_set_table(a, y.k, key=True), y.v)
        k = q_set_attr(x, y.k)
        return D(k, y.v)
    if ty is T:
        if a not in ("s", ""):
            raise QError("type")
        return _set_table(a, y, key=False)
    if ty is A:
        return y
    raise QError("type")


def _set_table(a: str, y: T, *, key: bool) -> T:
    """`` `s#t ``: the table marked sorted, its first column parted (a keyed table's key: marked only)."""
    if a == "":
        y.attr = ""
        return y
    _check("s", y)
    y.attr = "s"
    if not key and y.data and type(y.data[0]) in (V, E) and y.data[0].attr == "":
        y.data[0] = _copy(y.data[0], "p")  # a keyed table's key keeps its columns (its -8! form)
    return y
