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
from rdq.qlang._files import files_of, is_file_sym, lines_of
from rdq.qlang._fn import Prim
from rdq.qlang._index import find_rows
from rdq.qlang._sql_join import q_wj, q_wj1
from rdq.qlang._v_cast import q_find_in
from rdq.qlang._v_search import q_rand
from rdq.qlang._v_sys import q_hsym, q_read_binary
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
        "rand": Prim("rand", q_rand, None),
    }
    b |= _file_builtins(interp)
    b.update(dot_h(lambda name: interp.lookup(name, None)))
    # .h.val: what .z.ph evaluates a request with; value by default (code.kx.com/q/ref/doth/#hval-value)
    b[".h.val"] = Prim(".h.val", lambda x: interp.lookup("value", None).call([x]), None)
    return b


def _file_builtins(interp: Any) -> dict[str, Any]:
    """The file keywords of :mod:`rdq.qlang._files`, on the session's directory."""

    def fs() -> Any:
        return files_of(interp)

    def save(x: Any) -> Any:  # save `t: the global t to the file t (ref/save)
        name = x.v.lstrip(":")
        fs().set(A(11, ":" + name), interp.lookup(name.rsplit("/", 1)[-1], None))
        return A(11, ":" + name)

    def load(x: Any) -> Any:  # load `t: the global t from the file t (ref/load)
        path = x.v.lstrip(":")
        name = path.rsplit("/", 1)[-1]
        interp.g[name] = fs().get(A(11, ":" + path))
        return A(11, name)

    def rsave(x: Any) -> Any:  # rsave `t: the global table t splayed to the folder t/ (ref/save)
        name = x.v.lstrip(":")
        fs().set(A(11, ":" + name + "/"), interp.lookup(name, None))
        return A(11, ":" + name + "/")

    return {
        "read0": Prim("read0", lambda x: fs().read0(x), None),
        "read1": Prim("read1", lambda x: fs().read1(x), None),
        "hopen": Prim("hopen", lambda x: fs().hopen(x), None),
        "hclose": Prim("hclose", lambda x: fs().hclose(x), None),
        "hcount": Prim("hcount", lambda x: fs().hcount(x), None),
        "hdel": Prim("hdel", lambda x: fs().hdel(x), None),
        "save": Prim("save", save, None),
        "load": Prim("load", load, None),
        "rsave": Prim("rsave", rsave, None),
        "rload": Prim("rload", load, None),
    }


def extra_ops(interp: Any) -> dict[str, Any]:
    """Glyphs the table of :mod:`rdq.qlang._verbs` lacks or extends: ``0:`` (File Text) and ``1:`` (File
    Binary) on strings and bytes in memory and on files of the session's directory."""

    def file_text(x: Any, y: Any) -> Any:
        if is_file_sym(x):
            return files_of(interp).save_text(x, y)
        if is_file_sym(y):
            return q_file_text(x, lines_of(files_of(interp).read_bytes(y)))
        return q_file_text(x, y)

    def file_binary(x: Any, y: Any) -> Any:
        if type(x) is L and x.items and is_file_sym(x.items[0]) and len(x.items) == 4:
            x = x.items[0]  # (file;block;algorithm;level) 1: bytes: q compresses; kept as it is here
        if is_file_sym(x):
            if type(y) is V and y.t in (4, 10):
                return files_of(interp).write_bytes(x, bytes(y.a.astype("uint8")))
            raise QError("type")
        if is_file_sym(y):
            return q_read_binary(x, files_of(interp).read1(y))
        return q_read_binary(x, y)

    return {
        "0:": Prim("0:", None, file_text, glyph=True),
        "1:": Prim("1:", None, file_binary, glyph=True),
    }


def install(interp: Any) -> None:
    """Add :func:`extra_builtins` and :func:`extra_ops` to ``interp`` where missing (idempotent)."""
    for k, v in extra_builtins(interp).items():
        if k not in interp.builtins or k.startswith(".h."):
            interp.builtins[k] = v
    for k, v in extra_ops(interp).items():
        interp.ops[k] = v
