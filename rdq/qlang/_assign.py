"""Assignment: ``a:e``, indexed and modified assignment (``a[i]:e``, ``a+:e``, ``a[i]+:e``), amend in place,
and pattern (destructuring) assignment; a mixin of the evaluator (:class:`rdq.qlang._interp.Interp`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rdq.qlang._core import count, item, items
from rdq.qlang._fast import FAST, MISSING
from rdq.qlang._fn import Prim, amend_deep, call, index_deep
from rdq.qlang._index import find, index, match
from rdq.qlang._values import IDENTITY, TYPE_CHARS, A, D, Fn, L, QError, T, V

__all__ = ["Assigner", "sole_view"]


class Assigner:
    """Assignment and patterns; the evaluator supplies ``ev``, ``lookup``, ``g``, ``builtins``."""

    g: dict[str, Any]
    builtins: dict[str, Any]
    _pending: list[tuple[str, Any, dict[str, Any] | None]] | None
    ns_alias: set[str]

    if TYPE_CHECKING:

        def ev(self, n: Any, loc: dict[str, Any] | None) -> Any: ...

        def lookup(self, name: str, loc: dict[str, Any] | None) -> Any: ...

        def unalias(self, name: str) -> str: ...

    # -- pattern (destructuring) assignment ----------------------------------------------
    def _bind(self, name: str, v: Any, loc: dict[str, Any] | None) -> None:
        if self._pending is not None:
            self._pending.append((name, v, loc))
            return
        self._bind_now(name, v, loc)

    def _bind_now(self, name: str, v: Any, loc: dict[str, Any] | None) -> None:
        if loc is not None:
            loc[name] = v
        else:
            self.g[name] = v

    def pattern(self, p: Any, v: Any, loc: dict[str, Any] | None) -> None:
        """Destructuring assignment: all names are bound only once every check has passed."""
        if self._pending is not None:
            self._pattern(p, v, loc)
            return
        self._pending = []
        try:
            self._pattern(p, v, loc)
            done = self._pending
        finally:
            self._pending = None
        for name, val, lc in done:
            self._bind_now(name, val, lc)

    def _pattern(self, p: Any, v: Any, loc: dict[str, Any] | None) -> None:

        if p is None:
            return
        tag = p[0]
        if tag == "paren":
            self._pattern(p[1], v, loc)
            return
        if tag == "v":
            self._bind(p[1], v, loc)
            return
        if tag == "c":
            lit = self.ev(p, loc)
            if not match(lit, v):
                raise QError("match")
            return
        if tag == "lst":
            its = p[1]
            if type(v) is A or isinstance(v, Fn):
                raise QError("type")
            if type(v) is D and type(v.k) is not T:
                vals = items(v.v)
            else:
                vals = items(v)
            if len(vals) != len(its):
                raise QError("length")
            for sub, val in zip(its, vals, strict=True):
                self._pattern(sub, val, loc)
            return
        if tag == "asg" and p[2] is None and p[3] is None:
            chk = self.ev(p[4], loc)
            v2 = self._check_or_apply(chk, v)
            self._bind(p[1], v2, loc)
            return
        if tag == "tbl":
            # q 4.1 dictionary pattern ([k:name;...]): bind the values at keys k
            if type(v) is not D:
                raise QError("type")

            for nm, sub in p[1]:
                pos = find(v.k, A(11, nm))
                if int(pos) >= count(v.k):
                    raise QError("match")
                val = index(v.v, A(7, int(pos)))
                if sub is None:
                    self._bind(nm, val, loc)
                else:
                    self._pattern(sub, val, loc)
            return
        if tag == "ret":
            chk = self.ev(p[1], loc)
            self._check_or_apply(chk, v)
            return
        if tag == "pat":
            chk = self.ev(p[2], loc)
            v2 = self._check_or_apply(chk, v)
            self._pattern(p[1], v2, loc)
            return
        if tag == "j" and p[1][0] == "v" and p[1][1] not in self.builtins:
            idxv = self.ev(p[2], loc)
            cur = self.lookup(p[1][1], loc)
            self._bind(p[1][1], amend_deep(cur, [idxv], None, v), loc)
            return
        if tag == "ap" and p[1][0] == "v":
            self.assign(("asg", p[1][1], p[2], None, ("c", v), False), loc)
            return
        if tag == "dg" and p[1] == "!":
            if type(v) is not D:
                raise QError("type")
            if p[2] is not None and p[2][0] == "v" and (p[3] is None or p[3][0] == "v"):
                self._bind(p[2][1], v.k, loc)
                if p[3] is not None:
                    self._bind(p[3][1], v.v, loc)
                return
            keys = self.ev(p[2], loc)

            pos = find(v.k, keys)
            if isinstance(pos, int):
                pos = np.array([pos])
            if (pos >= count(v.k)).any():
                raise QError("match")
            self._pattern(p[3], index(v.v, V(7, pos)), loc)
            return
        if tag == "j" and p[1][0] == "v" and p[1][1] == "flip" and type(v) is T:
            inner = p[2]
            while inner[0] == "paren":
                inner = inner[1]
            if inner[0] == "ap" and inner[1][0] in ("v",) and False:
                pass
            names = [a[1] for a in inner[2]] if inner[0] == "ap" else []
            for nm in names:
                self._bind(nm, index(v, A(11, nm)), loc)
            return
        raise QError("nyi")

    def _check_or_apply(self, chk: Any, v: Any) -> Any:
        if isinstance(chk, Fn):
            return call(chk, [v])
        if type(chk) is A and chk.t == 11:
            c = chk.v
            want = {ch: t for t, ch in TYPE_CHARS.items()}
            t = want.get(c.lower())
            if t is None:
                raise QError("type")
            if c.islower():
                ok = type(v) is A and v.t == t
            else:
                ok = type(v) is V and v.t == t
            if not ok:
                raise QError("type")
            return v
        raise QError("type")

    # -- assignment ------------------------------------------------------------------
    def assign(self, n: Any, loc: dict[str, Any] | None) -> Any:
        """``name:e``, ``name[i]:e``, ``name op: e``, ``name[i] op: e`` (``::`` global in a function)."""
        return self.assign_value(n, self.ev(n[4], loc), loc)

    def assign_value(
        self,
        n: Any,
        val: Any,
        loc: dict[str, Any] | None,
        idx_vals: Callable[[], list[Any]] | None = None,
    ) -> Any:
        """The assignment ``n`` once its right side has been evaluated to ``val``.

        ``idx_vals`` evaluates the indices of ``name[i;j]:...`` (compiled code passes its closures); by
        default they are walked, in the same place (after the target is looked up).
        """
        name, idx, op, glob = n[1], n[2], n[3], n[5]
        if loc is not None and "." in name:
            glob = True  # a dotted name is never local: ``{.ns.v:5}`` sets the global
        if self.ns_alias and name[:1] == ".":
            name = self.unalias(name)
        if idx is None and op is not None and type(val) is A and val.t == 7 and op[0] == "c":
            fast = FAST.get(op[1][1])
            if fast is not None:
                if loc is not None and name in loc:
                    cur = loc[name]
                    if type(cur) is A and cur.t == 7:
                        r = loc[name] = fast(cur.v, val.v)
                        return r
                elif name in self.g:
                    cur = self.g[name]
                    if type(cur) is A and cur.t == 7:
                        r = self.g[name] = fast(cur.v, val.v)
                        return r
        if idx is None and op is None:
            if loc is not None and glob and name in loc:
                loc[name] = val
            elif glob or loc is None:
                self.g[name] = val
            else:
                loc[name] = val
            return val if loc is not None else val
        # target value
        scope_local = loc is not None and not glob and name in loc
        cur = self.lookup(name, loc) if (scope_local or name in self.g or idx is None) else MISSING
        f = self.ev(op, loc) if op is not None else None
        if idx is None:
            assert f is not None
            if (
                isinstance(f, Prim)
                and f.name == ","
                and type(cur) is V
                and ((type(val) is A and val.t != cur.t) or (type(val) is V and val.t != cur.t))
            ):
                raise QError("type")
            grown = _append_inplace(cur, val) if isinstance(f, Prim) and f.name == "," else None
            new = grown if grown is not None else call(f, [cur, val])
        else:
            if idx_vals is not None:
                ivals = idx_vals()
            else:
                ivals = [IDENTITY if a is None else self.ev(a, loc) for a in idx]
            if cur is MISSING:
                cur = D(L([]), L([]))
            r = _inplace(cur, ivals, f, val)
            if r is not None:
                return r
            new = amend_deep(cur, ivals, f, val)
        if scope_local:
            assert loc is not None
            loc[name] = new
        elif loc is not None and not glob and name not in self.g and idx is None:
            loc[name] = new
        else:
            self.g[name] = new
        if idx is None:
            return new
        if f is not None:
            return index_deep(new, ivals)
        return val


_INT_IDX = (5, 6, 7)


def _inplace(cur: Any, ivals: list[Any], f: Any, val: Any) -> Any:
    """Amend a uniquely held vector in place (``v[i]:x``, ``v[i]+:x``, ``m[i;j]:x``); None when not safe.

    The interpreter treats values as immutable; mutating is only safe when nothing else refers to
    the vector or its buffer, which the reference counts tell.
    """
    getrc = sys.getrefcount
    if type(cur) is D:
        slot = _dict_slot(cur, ivals)
        if slot is None:
            return None
        cur, ivals = slot
    elif type(cur) is L and len(ivals) == 2:
        i0 = ivals[0]
        if type(i0) is not A or i0.t not in _INT_IDX or getrc(cur) > 4:
            return None
        k0 = i0.v
        if not 0 <= k0 < len(cur.items):
            return None
        row = cur.items[k0]
        if type(row) is not V or getrc(row) > 3:
            return None
        cur = row
        ivals = ivals[1:]
    elif getrc(cur) > 4:
        return None
    if type(cur) is not V or len(ivals) != 1:
        return None
    i = ivals[0]
    if type(i) is not A or i.t not in _INT_IDX or type(val) is not A:
        return None
    a = cur.a
    if getrc(a) > 3 or not sole_view(a):  # V.a, local a, getrefcount arg
        return None
    k = i.v
    if not 0 <= k < len(a):
        return None
    if f is None:
        new = val
    else:
        if not isinstance(f, Prim):
            return None
        fast = FAST.get(f.name) if (cur.t == 7 and val.t == 7) else None
        if fast is not None:
            new = fast(int(a[k]), val.v)
        else:
            new = f.call([item(cur, k), val])
    if type(new) is not A or new.t != cur.t:
        return None
    a[k] = new.v
    cur.attr = ""
    return val if f is None else new


def _dict_slot(d: D, ivals: list[Any]) -> tuple[V, list[Any]] | None:
    """``d[k]`` of a uniquely held dictionary with simple keys and values, where ``k`` is already a key: the
    values vector and the key's position (``d[k]+:1`` then amends in place); None otherwise."""
    if sys.getrefcount(d) > 5 or len(ivals) != 1:  # the variable, two callers' locals, this one, the call's
        return None
    keys, i, vals = d.k, ivals[0], d.v
    if type(keys) is not V or type(i) is not A or i.t != keys.t or keys.t in (8, 9) or type(vals) is not V:
        return None
    hits = np.flatnonzero(keys.a == i.v)
    if not len(hits) or sys.getrefcount(vals) > 3:  # d.v, the local, the call's
        return None
    return vals, [A(7, int(hits[0]))]


#: vector types whose items are plain numpy scalars, which ``,:`` may append into spare capacity
_GROWABLE = frozenset((1, 4, 5, 6, 7, 8, 9, 10))


def sole_view(a: np.ndarray) -> bool:
    """Whether writing into ``a`` can be seen by nothing else: it owns its data, or it is the one view of a
    buffer made by :func:`_append_inplace` (the base's references: ``a.base``, the local, the call's)."""
    if not a.flags.writeable:
        return False
    b = a.base
    return b is None or (type(b) is np.ndarray and sys.getrefcount(b) <= 3)


def _append_inplace(cur: Any, val: Any) -> Any:
    """``v,:x`` on a uniquely held simple vector: x's items written into spare capacity; None when not safe.

    Capacity doubles, so a loop of appends costs amortised O(1) each (``join`` copies the whole vector).
    Only a same-typed atom or vector without attributes is appended; anything else goes through ``,``.
    """
    getrc = sys.getrefcount
    if type(cur) is not V or cur.t not in _GROWABLE or cur.attr or getrc(cur) > 4:
        return None  # the variable, assign_value's local, this parameter, getrefcount's argument
    tv = type(val)
    if tv is A:
        if val.t != cur.t:
            return None
        k = 1
    elif tv is V:
        if val.t != cur.t or val.attr or val is cur:
            return None
        k = len(val.a)
    else:
        return None
    a = cur.a
    if getrc(a) > 3 or a.ndim != 1 or not a.flags.writeable:
        return None
    n = len(a)
    b = a.base
    if (
        b is not None
        and type(b) is np.ndarray
        and b.ndim == 1
        and b.dtype == a.dtype
        and getrc(b) <= 3
        and len(b) >= n + k
        and a.ctypes.data == b.ctypes.data
        and a.strides == b.strides
    ):
        buf = b
    elif b is None or getrc(b) <= 3:
        buf = np.empty(max(8, 2 * (n + k)), dtype=a.dtype)
        buf[:n] = a
    else:
        return None
    if tv is A:
        buf[n] = val.v
    else:
        buf[n : n + k] = val.a
    cur.a = buf[: n + k]
    return cur
