"""The evaluator: walks the parse tree (names, application, assignment, control flow, amend in place).

Function values and application live below it (:mod:`rdq.qlang._fn`), iterators in
:mod:`rdq.qlang._iter`; the primitives, keywords and the qSQL runner are handed to :class:`Interp`
by the session, so nothing here imports the layers above."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from rdq.qlang._core import count, item, items, mklist, qstr, to_py_bool
from rdq.qlang._fn import (
    Comp,
    Lambda,
    Prim,
    Proj,
    Return,
    View,
    amend_deep,
    apply,
    call,
    enlist_n,
    index_deep,
)
from rdq.qlang._index import find, index, match
from rdq.qlang._iter import Derived
from rdq.qlang._parser import LambdaDef, _infer_name, is_juxt_comp
from rdq.qlang._values import IDENTITY, TYPE_CHARS, A, D, Fn, L, QError, T, V

__all__ = ["Derived", "Interp"]


# -- adverbs ------------------------------------------------------------------


# -- the interpreter ------------------------------------------------------------------


#: a qSQL runner: ``run_sql(interp, node, locals)`` evaluates a ``select/exec/update/delete`` node
SqlRunner = Callable[["Interp", Any, "dict[str, Any] | None"], Any]


class Interp:
    """Holds globals and evaluates parsed nodes.

    The layers above the evaluator hand it what it calls back into, so that it imports none of them.

    Parameters
    ----------
    ops
        The glyph primitives (``+``, ``#``, ...) by name.
    builtins
        Makes the keywords bound to this interpreter (may replace ``self.ops`` with a per-session copy).
    run_sql
        Evaluates a qSQL node (:func:`rdq.qlang._sql.run_sql`).
    """

    def __init__(
        self,
        *,
        ops: dict[str, Any],
        builtins: Callable[[Interp], dict[str, Any]],
        run_sql: SqlRunner,
    ) -> None:
        self.g: dict[str, Any] = {}
        self.ops: dict[str, Any] = ops
        self.run_sql = run_sql
        self.builtins: dict[str, Any] = builtins(self)  # also sets the per-session self.ops
        self.out: list[str] = []  # text printed by show / 0N! / -1
        self._evaluating: set[str] = set()
        self.err: list[str] = []
        self._pending: list[tuple[str, Any, dict[str, Any] | None]] | None = None

    # -- variables ----------------------------------------------------------
    def lookup(self, name: str, loc: dict[str, Any] | None) -> Any:
        if loc is not None:
            v = loc.get(name, _MISSING)
            if v is not _MISSING:
                return v
        v = self.g.get(name, _MISSING)
        if v is not _MISSING:
            if type(v) is View:
                return self.view_value(v)
            return v
        b = self.builtins.get(name)
        if b is not None:
            return b
        if name.startswith(".q.") and name[3:] in self.builtins:
            return self.builtins[name[3:]]
        if "." in name[1:]:
            # d.key on a dictionary variable
            head, _, tail = name.rpartition(".")
            if head:
                try:
                    base = self.lookup(head, loc)
                except QError:
                    base = None
                if type(base) is D:
                    return index(base, A(11, tail))
        raise QError(name)

    def view_value(self, v: View) -> Any:
        if v.name in self._evaluating:
            raise QError("loop")
        self._evaluating.add(v.name)
        try:
            return self.eval_text(v.body)  # type: ignore[attr-defined]
        finally:
            self._evaluating.discard(v.name)

    def write_handle(self, h: A, x: Any) -> Any:

        lines = [qstr(x)] if type(x) is not L else [qstr(a) for a in x.items]
        text = "\n".join(lines) if h.v < 0 else "".join(lines)
        if abs(h.v) == 1:
            self.out.append(text if h.v < 0 else text.rstrip("\n"))
        else:
            self.err.append(text)
        return h

    def run_body(self, d: LambdaDef, loc: dict[str, Any]) -> Any:
        r: Any = IDENTITY
        ev = self._ev
        try:
            for st in d.body:
                r = IDENTITY if st is None else ev(st, loc)
        except Return as ret:
            return ret.value
        if d.body and d.body[-1] is None:
            return IDENTITY
        return r

    # -- evaluation ------------------------------------------------------------------
    def ev(self, n: Any, loc: dict[str, Any] | None) -> Any:
        if loc is not None:
            return self._ev(n, loc)
        try:
            return self._ev(n, loc)
        except QError as e:
            if e.pos is None:
                tag = n[0]
                if tag in ("dg", "d") and len(n) > 4:
                    e.pos = n[4]
                elif tag == "v" and len(n) > 2:
                    e.pos = n[2]
                elif tag == "asg" and len(n) > 6:
                    e.pos = n[6]
                elif tag == "pat":
                    e.pos = n[3]
                elif tag in ("j", "m", "ap", "sig"):
                    e.pos = -1
            raise

    def _ev(self, n: Any, loc: dict[str, Any] | None) -> Any:
        tag = n[0]
        if tag == "v":
            name = n[1]
            if loc is not None:
                v = loc.get(name, _MISSING)
                if v is not _MISSING:
                    return v
            v = self.g.get(name, _MISSING)
            if v is not _MISSING:
                if type(v) is View:
                    return self.view_value(v)
                return v
            return self.lookup(name, loc)
        ev = self._ev if loc is not None else self.ev  # inside a function: no error-position wrapper
        if tag == "cond":
            a = n[1]
            k = 0
            na = len(a)
            while k + 1 < na:
                c = ev(a[k], loc)
                if c.v != 0 if (type(c) is A and c.t == 1) else to_py_bool(c):
                    return ev(a[k + 1], loc)
                k += 2
            if k < na:
                return ev(a[k], loc) if a[k] is not None else IDENTITY
            return IDENTITY
        if tag == "dg":
            rn, ln = n[3], n[2]
            if rn[0] == "v" and loc is not None and rn[1] in loc:
                r = loc[rn[1]]
            else:
                r = ev(rn, loc)
            if ln[0] == "v" and loc is not None and ln[1] in loc:
                lft = loc[ln[1]]
            else:
                lft = ev(ln, loc)
            if type(lft) is A and type(r) is A and lft.t == 7 and r.t == 7:
                fast = _FAST.get(n[1])
                if fast is not None:
                    return fast(lft.v, r.v)
            f = self.ops[n[1]]
            return f.d(lft, r)
        if tag == "c":
            v = n[1]
            if type(v) is tuple:
                if v[0] == "op":
                    return self.ops[v[1]]
                if v[0] == "mop":
                    base = self.ops[v[1]]
                    return Prim(v[1] + ":", base.m, None)
                return L([])
            return v
        if tag == "v":
            return self.lookup(n[1], loc)
        if tag == "d":
            r = ev(n[3], loc)
            lft = ev(n[2], loc)
            vn = n[1]
            if (
                vn[0] == "v"
                and type(lft) is A
                and type(r) is A
                and lft.t == 7
                and r.t == 7
                and r.v > 0
                and lft.v != _LNULL
            ):
                if vn[1] == "mod" and (loc is None or "mod" not in loc):
                    return A(7, lft.v % r.v)
                if vn[1] == "div" and (loc is None or "div" not in loc):
                    return A(7, lft.v // r.v)
            f = ev(n[1], loc)
            return call(f, [lft, r])
        if tag == "j":
            x = ev(n[2], loc) if n[2] is not None else IDENTITY
            if n[2] is not None and (n[2][0] in ("pj", "comp") or (n[2][0] == "j" and is_juxt_comp(n[2]))):
                f = ev(n[1], loc)
                if isinstance(f, Fn):
                    return Comp([f, x])
            f = ev(n[1], loc)
            if type(f) is A and f.t in (6, 7) and f.v in (1, -1, 2, -2) and (x.t == 10 or type(x) is L):
                return self.write_handle(f, x)
            return apply(f, x)
        if tag == "m":
            x = ev(n[2], loc)
            f = ev(n[1], loc)
            if isinstance(f, Prim):
                if f.m is None:
                    if f.n is not None or f.d is not None:
                        return Proj(f, [x])
                    raise QError("rank")
                return f.m(x)
            if isinstance(f, Derived):
                return f.call([x])
            return apply(f, x)
        if tag == "ap":
            args = n[2]
            vals: list[Any] = [None] * len(args)
            for k in range(len(args) - 1, -1, -1):
                a = args[k]
                vals[k] = None if a is None else ev(a, loc)
            fnode = n[1]
            f = ev(fnode, loc)
            if len(vals) == 1 and vals[0] is None and not (isinstance(f, Fn) and f.valence == 0):
                # f[] : call niladic with ::
                if isinstance(f, Fn):
                    if isinstance(f, Lambda) and f.valence == 1:
                        return f.call([IDENTITY])
                    if isinstance(f, Prim) and f.m is not None:
                        return f.m(IDENTITY)
                    return f.call([IDENTITY])  # type: ignore[attr-defined]
                return f
            if isinstance(f, Fn):
                if any(v is None for v in vals):
                    return Proj(f, vals)
                if (
                    isinstance(f, Prim)
                    and len(vals) == 1
                    and f.m is not None
                    and (f.glyph and f.d is not None)
                ):
                    return Proj(f, vals)
                return f.call(vals)  # type: ignore[attr-defined]
            return index_deep(f, vals)
        if tag == "asg":
            return self.assign(n, loc)
        if tag == "fn":
            return Lambda(n[1], self)
        if tag == "lst" and None in n[1]:
            its = n[1]
            vals2: list[Any] = [None if a is None else ev(a, loc) for a in its]
            return Proj(self.builtins["enlist"], vals2)
        if tag == "lst":
            its = n[1]
            out: list[Any] = [None] * len(its)
            for k in range(len(its) - 1, -1, -1):
                a = its[k]
                out[k] = IDENTITY if a is None else ev(a, loc)
            return mklist(out)
        if tag == "paren":
            return ev(n[1], loc) if n[1] is not None else IDENTITY
        if tag == "adv":
            f = ev(n[2], loc)
            return Derived(n[1], f)
        if tag == "comp":
            g = ev(n[2], loc)
            return Comp([ev(n[1], loc), g])
        if tag == "pj":
            lft = ev(n[2], loc)
            f = ev(n[1], loc)
            if f is IDENTITY:
                return lft  # x :: is x
            return Proj(f, [lft, None])
        if tag == "if":
            a = n[1]
            c = ev(a[0], loc)
            if c.v != 0 if (type(c) is A and c.t == 1) else to_py_bool(c):
                for st in a[1:]:
                    if st is not None:
                        ev(st, loc)
            return IDENTITY
        if tag == "do":
            a = n[1]
            k = ev(a[0], loc)
            for _ in range(int(k.v)):
                for st in a[1:]:
                    if st is not None:
                        ev(st, loc)
            return IDENTITY
        if tag == "while":
            a = n[1]
            while True:
                c = ev(a[0], loc)
                if not (c.v != 0 if (type(c) is A and c.t == 1) else to_py_bool(c)):
                    break
                for st in a[1:]:
                    if st is not None:
                        ev(st, loc)
            return IDENTITY
        if tag == "ret":
            v = ev(n[1], loc) if n[1] is not None else IDENTITY
            raise Return(v)
        if tag == "sig":
            v = ev(n[1], loc)

            try:
                raise QError(qstr(v))
            except QError as e:
                if e.name == "type" and not (type(v) is A or type(v) is V):
                    raise QError("stype") from None
                raise
        if tag == "pcond":
            a = n[1]
            x = ev(a[0], loc)
            k = 1
            while k + 1 < len(a):
                try:
                    self.pattern(a[k], x, loc)
                except QError:
                    k += 2
                    continue
                return ev(a[k + 1], loc)
            return ev(a[k], loc) if k < len(a) and a[k] is not None else IDENTITY
        if tag == "pat":
            v = ev(n[2], loc)
            self.pattern(n[1], v, loc)
            return v
        if tag == "tbl":
            return self.table_literal(n, loc)
        if tag == "sql":
            return self.run_sql(self, n, loc)
        if tag == "blk":
            last2: Any = IDENTITY
            for st in n[1]:
                last2 = IDENTITY if st is None else ev(st, loc)
            return last2
        if tag == "seq":
            last: Any = IDENTITY
            for st in n[1]:
                last = ev(st, loc)
            return last
        raise QError("nyi")

    def cond(self, args: list[Any], loc: dict[str, Any] | None) -> Any:
        k = 0
        while k + 1 < len(args):
            c = self.ev(args[k], loc)
            if to_py_bool(c):
                return self.ev(args[k + 1], loc)
            k += 2
        if k < len(args):
            return self.ev(args[k], loc) if args[k] is not None else IDENTITY
        return IDENTITY

    def table_literal(self, n: Any, loc: dict[str, Any] | None) -> Any:
        def build(specs: list[Any]) -> tuple[list[str], list[Any]]:
            names: list[str] = []
            vals: list[Any] = []
            for name, e in specs:
                v = self.ev(e, loc)
                if name is None:
                    name = _infer_name(e) or "x"
                names.append(name)
                vals.append(v)
            return names, vals

        if not n[2] and any(e is None for _, e in n[1]):
            return self._dict_literal_projection(n, loc)
        knames, kvals = build(n[1])
        vnames, vvals = build(n[2])
        if knames and not vnames:
            # q 4.1 dictionary literal ([k:v;...])
            seen: dict[str, int] = {}
            names = []
            for nm in knames:
                k = seen.get(nm, 0)
                names.append(nm if k == 0 else f"{nm}{k}")
                seen[nm] = k + 1
            from rdq.qlang._values import V as _V

            return D(_V(11, np.array(names, dtype=object)), mklist(kvals))
        allv = kvals + vvals
        ln = max([count(v) for v in allv if type(v) is not A] or [1])
        allv = [_extend(v, ln) for v in allv]
        kvals = allv[: len(kvals)]
        vvals = allv[len(kvals) :]
        if knames:
            return D(T(knames, kvals), T(vnames, vvals))
        return T(vnames, vvals)

    def _dict_literal_projection(self, n: Any, loc: dict[str, Any] | None) -> Any:
        """q 4.1 ``([a:1;b:])``: a function of the missing values that returns the dictionary."""
        specs = n[1]
        known = [None if e is None else self.ev(e, loc) for _, e in specs]
        holes = [i for i, e in enumerate(specs) if e[1] is None]
        src_names = [nm for nm, _ in specs]

        def fill(args: list[Any]) -> Any:
            if len(args) != len(holes):
                raise QError("rank")
            vals = list(known)
            for i, a in zip(holes, args, strict=True):
                vals[i] = a
            return self.table_literal(
                ("tbl", [(nm, ("c", v)) for nm, v in zip(src_names, vals, strict=True)], []), loc
            )

        if len(holes) == 1:
            return Prim("([])", lambda x: fill([x]), None)
        return Prim("([])", None, None, fill, valence=len(holes))

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
        name, idx, op, expr, glob = n[1], n[2], n[3], n[4], n[5]
        if loc is not None and "." in name:
            glob = True  # a dotted name is never local: ``{.ns.v:5}`` sets the global
        val = self.ev(expr, loc)
        if idx is None and op is not None and type(val) is A and val.t == 7 and op[0] == "c":
            fast = _FAST.get(op[1][1])
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
        cur = self.lookup(name, loc) if (scope_local or name in self.g or idx is None) else _MISSING
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
            new = call(f, [cur, val])
        else:
            ivals = [IDENTITY if a is None else self.ev(a, loc) for a in idx]
            if cur is _MISSING:
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


_MISSING = object()
_INT_IDX = (5, 6, 7)


def _inplace(cur: Any, ivals: list[Any], f: Any, val: Any) -> Any:
    """Amend a uniquely held vector in place (``v[i]:x``, ``v[i]+:x``, ``m[i;j]:x``); None when not safe.

    The interpreter treats values as immutable; mutating is only safe when nothing else refers to
    the vector or its buffer, which the reference counts tell.
    """
    getrc = sys.getrefcount
    if type(cur) is L and len(ivals) == 2:
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
    if getrc(a) > 3 or a.base is not None:  # V.a, local a, getrefcount arg
        return None
    k = i.v
    if not 0 <= k < len(a):
        return None
    if f is None:
        new = val
    else:
        if not isinstance(f, Prim):
            return None
        fast = _FAST.get(f.name) if (cur.t == 7 and val.t == 7) else None
        if fast is not None:
            new = fast(int(a[k]), val.v)
        else:
            new = f.call([item(cur, k), val])
    if type(new) is not A or new.t != cur.t:
        return None
    a[k] = new.v
    cur.attr = ""
    return val if f is None else new


_T1 = A(1, 1)
_F1 = A(1, 0)
_LMAX = 2**63
_LNULL = -_LMAX


def _wrap7(v: int) -> A:
    if -_LMAX < v < _LMAX:
        return A(7, v)
    return A(7, ((v + _LMAX) % (2 * _LMAX)) - _LMAX)


_FAST: dict[str, Callable[[int, int], Any]] = {
    "+": lambda a, b: _wrap7(a + b) if a != -_LMAX and b != -_LMAX else A(7, -_LMAX),
    "-": lambda a, b: _wrap7(a - b) if a != -_LMAX and b != -_LMAX else A(7, -_LMAX),
    "*": lambda a, b: _wrap7(a * b) if a != -_LMAX and b != -_LMAX else A(7, -_LMAX),
    "<": lambda a, b: _T1 if a < b else _F1,
    ">": lambda a, b: _T1 if a > b else _F1,
    "=": lambda a, b: _T1 if a == b else _F1,
    "<=": lambda a, b: _T1 if a <= b else _F1,
    ">=": lambda a, b: _T1 if a >= b else _F1,
    "<>": lambda a, b: _T1 if a != b else _F1,
    "&": lambda a, b: A(7, a if a < b else b),
    "|": lambda a, b: A(7, a if a > b else b),
}


def _extend(v: Any, n: int) -> Any:
    if type(v) is A:
        return enlist_n(v, n)
    return v


# -- amend ------------------------------------------------------------------
