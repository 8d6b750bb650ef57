"""The evaluator: walks the parse tree (names, application, assignment, control flow, amend in place).

Function values and application live below it (:mod:`rdq.qlang._fn`), iterators in
:mod:`rdq.qlang._iter`; the primitives, keywords and the qSQL runner are handed to :class:`Interp`
by the session, so nothing here imports the layers above."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from rdq.qlang._assign import Assigner
from rdq.qlang._compile import compile_body, compile_top
from rdq.qlang._core import count, mklist, qstr, to_py_bool
from rdq.qlang._dot_z import dot_z
from rdq.qlang._fast import FAST, LNULL, MISSING
from rdq.qlang._files import write_handle, writes_to_handle
from rdq.qlang._fn import Comp, Lambda, Prim, Proj, Return, View, apply, call, enlist_n, index_deep
from rdq.qlang._index import index
from rdq.qlang._iter import Derived
from rdq.qlang._ns_value import namespace
from rdq.qlang._parser import LambdaDef, _infer_name, is_juxt_comp
from rdq.qlang._values import IDENTITY, A, D, Fn, L, QError, T, V

__all__ = ["Derived", "Interp", "TREEWALK_ENV"]

log = logging.getLogger(__name__)

#: set to 1 to evaluate function bodies by walking the parse tree (no compiled closures): for comparison
TREEWALK_ENV = "RDQ_Q_TREEWALK"


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


#: a qSQL runner: ``run_sql(interp, node, locals)`` evaluates a ``select/exec/update/delete`` node
SqlRunner = Callable[["Interp", Any, "dict[str, Any] | None"], Any]


#: the parts a temporal value's dot notation names (``d.year``, ``p.date``: the same as `` `part$x``)
_TEMPORAL_PARTS = frozenset(
    ("year", "month", "mm", "dd", "date", "time", "hh", "uu", "minute", "second", "ss", "timestamp", "timespan")
)


class Interp(Assigner):
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
        #: compile lambda bodies to closures (off with the environment variable :data:`TREEWALK_ENV`)
        self.compile_bodies = not _env_flag(TREEWALK_ENV)
        #: the namespace ``\d`` made current ("" for root) and every one entered (see :meth:`unalias`)
        self.ns = ""
        self.ns_alias: set[str] = set()

    # -- variables ----------------------------------------------------------
    def lookup(self, name: str, loc: dict[str, Any] | None) -> Any:
        if loc is not None:
            v = loc.get(name, MISSING)
            if v is not MISSING:
                return v
        v = self.g.get(name, MISSING)
        if v is not MISSING:
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
                if type(base) is D or type(base) is T:  # d.key, t.column
                    return index(base, A(11, tail))
                if tail in _TEMPORAL_PARTS and type(base) in (A, V) and 12 <= abs(base.t) <= 19:
                    from rdq.qlang._v_cast import q_cast  # d.year, p.date, t.minute: `part$x (cast.md)

                    return q_cast(A(11, tail), base)
        if self.ns_alias and name[:1] == ".":
            root = self.unalias(name)
            if root != name:
                return self.lookup(root, loc)
        if name[:1] == ".":  # .z.p and the like, read now; a namespace is the dictionary of its names
            if (v := dot_z(name) if name[:3] == ".z." else None) is not None or (v := namespace(self, name)) is not None:
                return v
        raise QError(name)

    def unalias(self, name: str) -> str:
        r"""``.ns.f`` as ``f`` where ``\d .ns`` was entered (names defined there are bound at the root)."""
        ns, dot, rest = name[1:].partition(".")
        if dot and rest and "." + ns in self.ns_alias:
            return rest
        return name

    def view_value(self, v: View) -> Any:
        if v.name in self._evaluating:
            raise QError("loop")
        self._evaluating.add(v.name)
        try:
            return self.eval_text(v.body)  # type: ignore[attr-defined]
        finally:
            self._evaluating.discard(v.name)

    def write_handle(self, h: A, x: Any) -> Any:
        """``1 x`` / ``-1 x`` (stdout), ``2``/``-2`` (stderr), or an open file handle of the session."""
        return write_handle(self, h, x)

    def run_body(self, d: LambdaDef, loc: dict[str, Any]) -> Any:
        """Run a function body with its locals: compiled to closures on the first call (kept on ``d``).

        With :data:`TREEWALK_ENV` set, or where compiling fails, the body is walked node by node instead.
        """
        if self.compile_bodies:
            try:
                run = compile_body(self, d)
            except Exception:  # noqa: BLE001 - a body the compiler cannot take is walked instead
                log.debug("lambda body not compiled: %s", d.src, exc_info=True)
                run = functools.partial(self.walk_body, d)
            d.compiled = (self, run)
            return run(loc)
        return self.walk_body(d, loc)

    def walk_body(self, d: LambdaDef, loc: dict[str, Any]) -> Any:
        """Run a function body by walking its parse tree (the reference the compiled closures follow)."""
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
    def ev_top(self, st: Any) -> Any:
        """A top-level statement: a ``while``/``do`` loop runs compiled (:func:`compile_top`), others walked."""
        if self.compile_bodies and st[0] in ("while", "do"):
            try:
                run = compile_top(self, st)
            except Exception:  # noqa: BLE001 - a statement the compiler cannot take is walked instead
                log.debug("top-level loop not compiled", exc_info=True)
            else:
                return run({})
        return self.ev(st, None)

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
                v = loc.get(name, MISSING)
                if v is not MISSING:
                    return v
            v = self.g.get(name, MISSING)
            if v is not MISSING:
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
                fast = FAST.get(n[1])
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
                and lft.v != LNULL
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
            if type(f) is A and writes_to_handle(self, f, x):
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


def _extend(v: Any, n: int) -> Any:
    if type(v) is A:
        return enlist_n(v, n)
    return v
