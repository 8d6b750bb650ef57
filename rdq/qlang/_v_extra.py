"""Keywords and namespace entries the verb table of :mod:`rdq.qlang._verbs` does not define yet.

:func:`extra_builtins` returns them for one interpreter; the session merges them into its builtins
(``interp.builtins.update(extra_builtins(interp))``). Each follows its KX reference page:

- ``ujf`` (/ref/uj): union join as before V3.0 (nulls in ``y`` do not overwrite).
- ``hsym`` (code.kx.com/q/ref/hsym): symbol(s) prefixed with a colon where they lack one.
- ``fkeys`` (/ref/fkeys): the foreign-key columns of a table and the tables they refer to.
- ``wj`` ``wj1`` (/ref/wj): window joins (:mod:`rdq.qlang._sql_join`).
- ``.Q.en`` (/ref/dotq/#en-enumerate-varchar-cols): the symbol columns of a table enumerated
  against the session's ``sym`` list, extended as needed (in memory: nothing is written to disk).
- the ``.h`` namespace (/ref/doth, :mod:`rdq.qlang._dot_h`).
- ``csv`` (the comma, /ref/csv) and the glyph ``0:`` File Text (/ref/file-text,
  :mod:`rdq.qlang._v_text`), the latter among :func:`extra_ops`.
"""

from __future__ import annotations

from typing import Any

from rdq.qlang._core import _syms, count, is_null_atom, item, items, mklist
from rdq.qlang._dot_h import dot_h
from rdq.qlang._fn import Prim
from rdq.qlang._index import find_rows
from rdq.qlang._sql_join import q_wj, q_wj1
from rdq.qlang._v_cast import q_find_in
from rdq.qlang._v_sys import q_hsym
from rdq.qlang._v_table import _uj
from rdq.qlang._v_text import q_file_text
from rdq.qlang._values import A, D, E, L, QError, T, V

__all__ = ["extra_builtins", "extra_ops", "install", "q_fkeys", "q_ujf"]


def q_fkeys(x: Any) -> Any:
    """``fkeys x``: a dictionary from the foreign-key columns of table ``x`` to their tables' names."""
    t = x
    if type(t) is D and type(t.k) is T and type(t.v) is T:
        t = T(list(t.k.cols) + list(t.v.cols), list(t.k.data) + list(t.v.data))
    if type(t) is not T:
        raise QError("type")
    names, doms = [], []
    for c, col in zip(t.cols, t.data, strict=True):
        if type(col) is E and type(col.g.get(col.dom)) in (D, T):
            names.append(c)
            doms.append(col.dom)
    return D(_syms(names), _syms(doms))


def q_ujf(x: Any, y: Any) -> Any:
    """``x ujf y`` (code.kx.com/q/ref/uj): ``uj`` as before V3.0, a null in ``y`` keeps ``x``'s value."""
    r = _uj(x, y)
    if not (type(x) is D and type(x.k) is T and type(y) is D and type(y.k) is T and type(r) is D):
        return r
    rpos = find_rows(r.k, y.k)
    xpos = find_rows(x.k, y.k)
    nx = count(x.k)
    cols = list(r.v.cols)
    data = [list(items(c)) for c in r.v.data]
    for c, ycol in zip(y.v.cols, y.v.data, strict=True):
        if c not in x.v.cols:
            continue
        xcol = x.v.data[x.v.cols.index(c)]
        j = cols.index(c)
        for i, yv in enumerate(items(ycol)):
            if xpos[i] < nx and type(yv) is A and is_null_atom(yv):
                data[j][int(rpos[i])] = item(xcol, int(xpos[i]))
    return D(r.k, T(cols, [mklist(d) for d in data]))


def _q_en(interp: Any, d: Any, t: Any) -> Any:
    """``.Q.en[d;t]``: ``t`` with its symbol columns enumerated against ``sym`` (kept in memory)."""
    if type(t) is not T:
        raise QError("type")
    data = []
    for col in t.data:
        if type(col) is V and col.t == 11:
            data.append(q_find_in(interp, A(11, "sym"), col))
        elif type(col) is L and col.items and all(type(a) is V and a.t == 11 for a in col.items):
            data.append(L([q_find_in(interp, A(11, "sym"), a) for a in col.items]))
        else:
            data.append(col)
    return T(list(t.cols), data)


def extra_builtins(interp: Any) -> dict[str, Any]:
    """The entries of this module for one interpreter, by q name."""
    b: dict[str, Any] = {
        "hsym": Prim("hsym", q_hsym, None),
        "fkeys": Prim("fkeys", q_fkeys, None),
        "wj": Prim("wj", None, None, q_wj, valence=4),
        "wj1": Prim("wj1", None, None, q_wj1, valence=4),
        ".Q.en": Prim(".Q.en", None, lambda d, t: _q_en(interp, d, t)),
        "csv": A(10, ord(",")),
        "ujf": Prim("ujf", None, q_ujf),
    }
    b.update(dot_h(lambda name: interp.lookup(name, None)))
    # .h.val: what .z.ph evaluates a request with; value by default (code.kx.com/q/ref/doth/#hval-value)
    b[".h.val"] = Prim(".h.val", lambda x: interp.lookup("value", None).call([x]), None)
    return b


def extra_ops() -> dict[str, Any]:
    """Glyphs the table of :mod:`rdq.qlang._verbs` lacks: ``0:`` (File Text)."""
    return {"0:": Prim("0:", None, q_file_text, glyph=True)}


def install(interp: Any) -> None:
    """Add :func:`extra_builtins` and :func:`extra_ops` to ``interp`` where missing (idempotent)."""
    for k, v in extra_builtins(interp).items():
        if k not in interp.builtins or k.startswith(".h."):
            interp.builtins[k] = v
    for k, v in extra_ops().items():
        interp.ops.setdefault(k, v)
