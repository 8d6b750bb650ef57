"""The ``.Q`` namespace utilities (code.kx.com/q/ref/dotq), as the reference page and kdb+ 4.0's ``q.k`` define them.

:func:`dot_q` returns them for one interpreter; :func:`rdq.qlang._verbs.builtins` merges them into its keyword
table after :func:`rdq.qlang._ns.dotted_ns` (``.Q.a .Q.A .Q.n .Q.nA .Q.s .Q.s1``), so ``.Q.f`` and ``.Q.an``
here replace the older ones. ``.Q.ens`` (like ``.Q.en``) enumerates in memory only. From the page::

    .Q.f[2;]each 9.996 -0.0001        ("10.00";"-0.00")
    .Q.fmt[6;2]each 1 234             ("  1.00";"234.00")
    .Q.addmonths[2007.10.16;6 7]      2008.04.16 2008.05.16
    .Q.dd[`:dir]`file                 `:dir/file
    .Q.id each `$("a/b";"2drifters")  `ab`a2drifters
    .Q.x10 12345                      "AAAAAAADA5"
    .Q.opt ("-p";"5000";"-v")         `p`v!(,"5000";())

Not here, as they need IPC, an operating system's facts or a partitioned database on disk: ``.Q.addr``
``.Q.host`` ``.Q.hg`` ``.Q.hp`` ``.Q.fps`` ``.Q.fpn`` ``.Q.w`` ``.Q.bt`` ``.Q.prf0`` ``.Q.l`` ``.Q.lo`` ``.Q.ld``
``.Q.dpft`` ``.Q.dpfts`` ``.Q.dpt`` ``.Q.dpts`` ``.Q.dsftg`` ``.Q.hdpf`` ``.Q.chk`` ``.Q.Xf``
``.Q.Cf`` ``.Q.bv`` ``.Q.bvi`` ``.Q.cn`` ``.Q.ind`` ``.Q.MAP`` ``.Q.view`` ``.Q.li`` ``.Q.par`` and the partition
state (``.Q.pt .Q.pv .Q.PV .Q.PD .Q.pd .Q.pf .Q.pn .Q.D .Q.P .Q.u .Q.vp``), which "remain undefined" in a
database that is not partitioned.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import hashlib
import math
import time
from typing import Any

import numpy as np

from rdq.qlang._core import _syms, chars, count, is_null_atom, items, mklist, null_atom, qstr
from rdq.qlang._files import files_of, lines_of
from rdq.qlang._fn import Prim, Proj, call
from rdq.qlang._index import index
from rdq.qlang._v_cast import q_find_in
from rdq.qlang._v_list import q_distinct
from rdq.qlang._v_str import q_string, q_sv
from rdq.qlang._values import IDENTITY, A, D, E, L, QError, T, V

__all__ = ["dot_q", "q_f", "q_fmt", "q_id"]

#: ``.Q.res``: the control words and keywords native in C (kdb+ 4.0's ``q.k``)
RES = (
    "abs acos asin atan avg bin binr cor cos cov delete dev div do enlist exec exit exp getenv hopen if in "
    "insert last like log max min prd select setenv sin sqrt ss sum tan update var wavg while within wsum xexp"
).split()
_LOWER = "abcdefghijklmnopqrstuvwxyz"
#: ``.Q.an``: all alphanumerics, lower case first as the page shows
AN = _LOWER + _LOWER.upper() + "_0123456789"
B6 = _LOWER.upper() + _LOWER + "0123456789+/"
NA = "0123456789" + _LOWER.upper()
#: ``.Q.t``: the type letters, indexed by type number
QT = " bg xhijefcspmdznuvts"
_INTS = (1, 4, 5, 6, 7)
_NUMS = (1, 4, 5, 6, 7, 8, 9)
_NULL_J = -(2**63)


def _int(x: Any) -> int:
    """An int atom's value (``'type`` otherwise)."""
    if type(x) is not A or x.t not in _INTS:
        raise QError("type")
    return int(x.v)


def _take(n: int, s: str) -> str:
    """``n#s`` on a string: the first (or, for negative ``n``, last) ``|n|`` characters, repeating as ``#`` does."""
    k = abs(n)
    if not s:
        return " " * k
    rep = s * (k // len(s) + 1)
    return rep[:k] if n >= 0 else rep[len(rep) - k :]


def _drop(n: int, s: str) -> str:
    """``n_s`` on a string."""
    return s[n:] if n >= 0 else s[: max(len(s) + n, 0)]


def _round(m: float) -> int:
    """``"j"$m`` for ``m >= 0``: to the nearest, halves up."""
    j = math.floor(m)
    return j + 1 if m - j >= 0.5 else j


def q_f(x: Any, y: Any) -> str:
    """``.Q.f[x;y]``: ``y`` to ``x`` decimal places, as ``q.k`` (4.0) computes it::

    f:{$[^y;"";y<0;"-",f[x;-y];y<1;1_f[x;10+y];9e15>j:"j"$y*prd x#10f;(x_j),".",(x:-x)#j:$j;$y]}
    """
    n = _int(x)
    if type(y) is not A or y.t not in _NUMS:
        raise QError("type")
    if is_null_atom(y):
        return ""
    v = y.v
    if v < 0:
        return "-" + q_f(x, A(y.t, -v))
    if v < 1:
        return q_f(x, A(y.t if y.t in (8, 9) else 7, 10 + v))[1:]
    p = 1.0
    for _ in range(abs(n)):
        p *= 10.0
    m = float(v) * p
    if math.isfinite(m) and m < 9e15:
        s = str(_round(m))
        return _drop(-n, s) + "." + _take(-n, s)  # x is negated first: (x_j),".",(x:-x)#j
    return qstr(q_string(y))


def q_fmt(x: Any, y: Any, z: Any) -> str:
    """``.Q.fmt[x;y;z]``: ``.Q.f[y;z]`` right-aligned in ``x`` characters, or ``x`` stars where it is longer::

    fmt:{$[x<#y:f[y;z];x#"*";(-x)$y]}
    """
    w = _int(x)
    s = q_f(y, z)
    if w < len(s):
        return "*" * abs(w)
    return s.rjust(w)


# -- names: .Q.id ----------------------------------------------------------------------------------------------
def _clean(s: str) -> str:
    """The characters of ``.Q.an`` in ``s``; ``a`` prefixed where that is empty or starts with a digit or ``_``."""
    r = "".join(c for c in s if c in AN)
    if not r:
        return "a" if s else ""
    return "a" + r if r[0] in "0123456789_" else r


def _keywords(interp: Any) -> set[str]:
    """``.Q.res,key`.q``: the reserved words and this session's keywords."""
    kw = {k for k in interp.builtins if k[:1].isalpha() and k.replace("_", "").isalnum()}
    return kw | set(RES)


def _id_cols(interp: Any, names: list[str]) -> list[str]:
    """Column names made valid: cleaned, ``1`` appended to a keyword, duplicates numbered 1, 2, ..."""
    kw = _keywords(interp)
    out: list[str] = []
    seen: dict[str, int] = {}
    for s in names:
        r = _clean(s)
        if r in kw:
            r += "1"
        k = seen.get(r, 0)
        seen[r] = k + 1
        out.append(r + str(k) if k else r)
    return out


def q_id(interp: Any, x: Any) -> Any:
    """``.Q.id x``: a symbol (or the column names of a table, the keys of a dictionary) sanitized to q names."""
    if type(x) is A and x.t == 11:  # a symbol is only cleaned; the keyword rule is the tables' (ref/dotq#id)
        return A(11, _clean(x.v))
    if type(x) is V and x.t == 11:
        return _syms([q_id(interp, A(11, s)).v for s in x.a.tolist()])
    if type(x) is T:
        return T(_id_cols(interp, list(x.cols)), list(x.data))
    if type(x) is D and type(x.k) is T and type(x.v) is T:
        names = _id_cols(interp, list(x.k.cols) + list(x.v.cols))
        nk = len(x.k.cols)
        return D(T(names[:nk], list(x.k.data)), T(names[nk:], list(x.v.data)))
    if type(x) is D and type(x.k) is V and x.k.t == 11:
        return D(_syms(_id_cols(interp, x.k.a.tolist())), x.v)
    raise QError("type")


# -- encodings ---------------------------------------------------------------------------------------------------
def _bytes(x: Any) -> bytes:
    """The bytes of a string or byte vector (a char atom is one byte)."""
    if type(x) is V and x.t in (4, 10):
        return bytes(x.a.astype(np.uint8))
    if type(x) is A and x.t in (4, 10):
        return bytes([int(x.v)])
    if type(x) is L and not x.items:
        return b""
    raise QError("type")


def _bytes_like(x: Any, data: bytes) -> V:
    """``data`` as a vector of ``x``'s type (string or bytes)."""
    t = 4 if type(x) in (V, A) and x.t == 4 else 10
    return V(t, np.frombuffer(data, dtype=np.uint8).copy())


def _encode(alphabet: str, width: int, x: Any) -> Any:
    """``.Q.x10`` / ``.Q.x12``: a long as ``width`` digits of ``alphabet`` (each item of a list)."""
    if type(x) in (V, L):
        return mklist([_encode(alphabet, width, a) for a in items(x)])
    n = _int(x) % 2**64
    b = len(alphabet)
    out = []
    for _ in range(width):
        n, d = divmod(n, b)
        out.append(alphabet[d])
    return chars("".join(reversed(out)))


def _decode(alphabet: str, x: Any) -> Any:
    """``.Q.j10`` / ``.Q.j12``: a string's digits in ``alphabet`` as a long (a digit not there counts as its size)."""
    if type(x) is L:
        return mklist([_decode(alphabet, a) for a in x.items])
    s = qstr(x) if type(x) in (V, A) and x.t == 10 else None
    if s is None:
        raise QError("type")
    b = len(alphabet)
    n = 0
    for c in s:
        i = alphabet.find(c)
        n = (n * b + (b if i < 0 else i)) % 2**64
    return A(7, n - 2**64 if n >= 2**63 else n)


def _gz(x: Any) -> Any:
    """``.Q.gz``: ``::`` whether zlib is there; ``(level; data)`` gzipped; ``data`` gunzipped."""
    if x is IDENTITY:
        return A(1, 1)
    if type(x) is L and len(x.items) == 2 and type(x.items[0]) is A:
        level = _int(x.items[0])
        if not 0 <= level <= 9:
            raise QError("domain")
        return _bytes_like(x.items[1], gzip.compress(_bytes(x.items[1]), compresslevel=level, mtime=0))
    try:
        return _bytes_like(x, gzip.decompress(_bytes(x)))
    except (OSError, EOFError) as e:
        raise QError("domain") from e


# -- tables ------------------------------------------------------------------------------------------------------
def _ty(x: Any) -> Any:
    """``.Q.ty x``: a list's type letter, lower case for a vector, upper for a list of like vectors, else blank."""
    if type(x) is A:
        return A(10, ord(QT[x.t].upper()) if 0 < x.t < len(QT) else 32)
    if type(x) is E:
        return A(10, ord("S" if x.atom else "s"))
    if type(x) is V:
        return A(10, ord(QT[x.t]) if 0 < x.t < len(QT) else 32)
    if type(x) is L and x.items:
        ts = {(type(a), a.t) for a in x.items if type(a) in (V, E)}
        if len(ts) == 1 and all(type(a) in (V, E) for a in x.items):
            t = next(iter(ts))[1]
            return A(10, ord(("s" if t == 20 else QT[t]).upper()) if 0 < t <= 20 else 32)
    return A(10, 32)


def _ff(x: Any, y: Any) -> Any:
    """``.Q.ff[x;y]``: table ``x`` with the columns of ``y`` it lacks, as nulls of their types."""
    if type(x) is D and type(x.k) is T and type(x.v) is T:
        return D(x.k, _ff(x.v, y))
    if type(x) is not T or type(y) is not T:
        raise QError("type")
    n = count(x)
    cols, data = list(x.cols), list(x.data)
    for c, col in zip(y.cols, y.data, strict=True):
        if c not in cols:
            cols.append(c)
            data.append(index(col, V(7, np.full(n, _NULL_J, dtype=np.int64))))
    return T(cols, data)


def _ens(interp: Any, t: Any, name: Any) -> Any:
    """``.Q.ens[d;t;name]``: ``t`` with its symbol columns enumerated against the list ``name`` (in memory)."""
    if type(t) is not T or type(name) is not A or name.t != 11:
        raise QError("type")
    data = []
    for col in t.data:
        if type(col) is V and col.t == 11:
            col = q_find_in(interp, name, col)
        elif type(col) is L and col.items and all(type(a) is V and a.t == 11 for a in col.items):
            col = L([q_find_in(interp, name, a) for a in col.items])
        data.append(col)
    return T(list(t.cols), data)


def _fk(x: Any) -> Any:
    """``.Q.fk x``: the table a foreign-key column refers to, else `` ` ``."""
    if type(x) is E and type(x.g.get(x.dom)) in (D, T):
        return A(11, x.dom)
    return A(11, "")


# -- command line ------------------------------------------------------------------------------------------------
def _strings(x: Any) -> list[Any]:
    """A list of strings (one string is one item)."""
    if type(x) is V and x.t == 10:
        return [x]
    if type(x) is L:
        # ("-p";"1") holds the char "1": a 1-char string there
        out = [chars(chr(a.v)) if type(a) is A and a.t == 10 else a for a in x.items]
        if not all(type(a) is V and a.t == 10 or type(a) is L and not a.items for a in out):
            raise QError("type")
        return out
    raise QError("type")


def _is_opt(s: Any) -> bool:
    """``s like "-[^0-9]*"``: a command parameter's name (``-1`` is a value)."""
    t = qstr(s) if type(s) is V else ""
    return len(t) >= 2 and t[0] == "-" and t[1] not in "0123456789"


def _opt(interp: Any, o: Any) -> Any:
    """``.Q.opt o``: the parameters ``-name v1 v2 ...`` as a dictionary of lists of strings; sets ``.Q.x``."""
    strs = _strings(o)
    at = [i for i, s in enumerate(strs) if _is_opt(s)]
    interp.g[".Q.x"] = L(strs[: at[0]] if at else strs)
    if not at:
        return D(_syms([]), L([]))
    bounds = at + [len(strs)]
    keys = [qstr(strs[i])[1:] for i in at]
    vals = [L(strs[i + 1 : j]) for i, j in zip(at, bounds[1:], strict=True)]
    return D(_syms(keys), L(vals))


def _def(interp: Any, x: Any, y: Any) -> Any:
    """``.Q.def[x;y]``: defaults ``x`` overridden by the parsed parameters ``y``, converted to the defaults' types."""
    if type(x) is not D or type(y) is not D:
        raise QError("type")
    ykeys = [a.v for a in items(y.k)]
    vals = []
    for k, d in zip(items(x.k), items(x.v), strict=True):
        if type(k) is A and k.v in ykeys:
            vals.append(_convert(interp, d, index(y.v, A(7, ykeys.index(k.v)))))
        else:
            vals.append(d)
    return D(x.k, mklist(vals))


def _convert(interp: Any, d: Any, v: Any) -> Any:
    """A parameter's strings ``v`` as the type of its default ``d`` (a null where they do not parse)."""
    strs = _strings(v) if type(v) in (V, L) else [v]
    texts = [qstr(s) if type(s) is V else "" for s in strs]
    t = d.t if type(d) in (A, V) else 0
    if t == 10:
        if type(d) is A:
            return A(10, ord(texts[0][0]) if texts and texts[0] else 32)
        return chars(" ".join(texts))
    if t == 11:
        return A(11, texts[0] if texts else "") if type(d) is A else _syms(texts)
    if not 0 < t < len(QT):
        return mklist(strs)
    parsed = call(interp.ops["$"], [A(10, ord(QT[t].upper())), mklist([chars(s) for s in texts] or [])])
    if type(d) is V:
        return parsed
    got = items(parsed) if texts else []
    return got[0] if got else null_atom(t)


# -- functions ---------------------------------------------------------------------------------------------------
def _fu(interp: Any, f: Any, x: Any) -> Any:
    """``.Q.fu[f;x]``: ``f x``, evaluating ``f`` only on the distinct items of ``x``."""
    if type(x) not in (V, L, E):
        return call(f, [x])
    u = q_distinct(x)
    return index(call(f, [u]), interp.ops["?"].d(u, x))


def _ft(interp: Any, f: Any, t: Any) -> Any:
    """``.Q.ft[f;t]``: ``f`` (of a simple table) applied to a keyed table, keyed again as ``t`` was."""
    if type(t) is D and type(t.k) is T and type(t.v) is T:
        bang = interp.ops["!"].d
        r = call(f, [bang(A(7, 0), t)])
        return bang(A(7, len(t.k.cols)), r) if type(r) is T else r
    return call(f, [t])


def _trap(apply: Any, f: Any, x: Any, g: Any) -> Any:
    """``.Q.trp`` / ``.Q.trpd``: ``apply[f;x]``, or ``g[error; backtrace]`` where it signals (no frames kept)."""
    try:
        return apply(f, x)
    except QError as e:
        return call(g, [chars(e.name), L([])])


def _ts(interp: Any, f: Any, x: Any) -> Any:
    """``.Q.ts[f;x]``: (milliseconds and bytes as ``\\ts`` gives them; ``.[f;x]``); bytes are not counted (0)."""
    t0 = time.perf_counter()
    r = interp.ops["."].d(f, x)
    ms = int((time.perf_counter() - t0) * 1000)
    return L([V(7, np.array([ms, 0], dtype=np.int64)), r])


def _fsn(interp: Any, f: Any, x: Any, n: Any) -> Any:
    """``.Q.fsn[f;file;n]``: ``f`` on each lump of at most ``n`` bytes of whole lines of the file; its size."""
    data = files_of(interp).read_bytes(x)
    size = _int(n) if type(n) is A else 131000
    off = 0
    while off < len(data):
        chunk = data[off : off + max(size, 1)]
        if off + len(chunk) < len(data):
            cut = chunk.rfind(b"\n")
            chunk = chunk[: cut + 1] if cut >= 0 else data[off : data.find(b"\n", off) + 1 or len(data)]
        call(f, [lines_of(chunk)])
        off += len(chunk)
    return A(7, len(data))


def _addmonths(interp: Any, x: Any, y: Any) -> Any:
    """``.Q.addmonths[x;y]``: ``addmonths:{("d"$m+y)+x-"d"$m:"m"$x}``."""
    cast, plus, minus = interp.ops["$"].d, interp.ops["+"].d, interp.ops["-"].d
    d, m = A(10, ord("d")), A(10, ord("m"))
    mo = cast(m, x)
    return plus(cast(d, plus(mo, y)), minus(x, cast(d, mo)))


def _dd(interp: Any, x: Any, y: Any) -> Any:
    """``.Q.dd[x;y]``: `` ` sv x,`$string y``."""
    parts = interp.ops[","].d(x, interp.ops["$"].d(A(11, ""), q_string(y)))
    return q_sv(A(11, ""), parts)


def _v(interp: Any, x: Any) -> Any:
    """``.Q.v x``: the value a symbol names (a file's table, or a global); anything else as it is."""
    if type(x) is A and x.t == 11:
        return call(interp.builtins["get"], [x])
    return x


def _vt(interp: Any, x: Any) -> Any:
    """``.Q.V x``: a table's columns as a dictionary (a keyed table's key columns first)."""
    if type(x) is D and type(x.k) is T and type(x.v) is T:
        x = interp.ops["!"].d(A(7, 0), x)
    if type(x) is not T:
        raise QError("type")
    return D(_syms(list(x.cols)), mklist(list(x.data)))


def _sha1(x: Any) -> Any:
    return V(4, np.frombuffer(hashlib.sha1(_bytes(x)).digest(), dtype=np.uint8).copy())


def _atob(x: Any) -> Any:
    try:
        return _bytes_like(A(10, 0), base64.b64decode(_bytes(x), validate=True))
    except ValueError as e:
        raise QError("domain") from e


def _n(name: str, f: Any, k: int) -> Prim:
    """A ``.Q`` function of exactly ``k`` (3 or 4) arguments; fewer project (``.Q.fmt[6;2]``)."""

    def run(a: list[Any]) -> Any:
        if len(a) == k:
            return f(*a)
        if len(a) < k:
            return Proj(p, list(a))
        raise QError("rank")

    p = Prim(name, None, None, run, valence=k)
    return p


def dot_q(interp: Any) -> dict[str, Any]:
    """The ``.Q`` entries for ``interp``: constants, then functions (the page's order within each)."""
    return {
        ".Q.an": chars(AN),
        ".Q.b6": chars(B6),
        ".Q.k": A(9, 4.0),
        ".Q.K": A(14, (datetime.date(2020, 5, 4) - datetime.date(2000, 1, 1)).days),
        ".Q.M": A(7, 2**63 - 1),
        ".Q.res": _syms(RES),
        ".Q.t": chars(QT),
        ".Q.x": L([]),
        ".Q.addmonths": Prim(".Q.addmonths", None, lambda x, y: _addmonths(interp, x, y)),
        ".Q.atob": Prim(".Q.atob", _atob),
        ".Q.btoa": Prim(".Q.btoa", lambda x: chars(base64.b64encode(_bytes(x)).decode("ascii"))),
        ".Q.dd": Prim(".Q.dd", None, lambda x, y: _dd(interp, x, y)),
        ".Q.def": Prim(".Q.def", None, lambda x, y: _def(interp, x, y)),
        ".Q.ens": _n(".Q.ens", lambda d, t, name: _ens(interp, t, name), 3),
        ".Q.f": Prim(".Q.f", None, lambda x, y: chars(q_f(x, y))),
        ".Q.fc": Prim(".Q.fc", None, lambda f, y: call(f, [y])),
        ".Q.ff": Prim(".Q.ff", None, _ff),
        ".Q.fk": Prim(".Q.fk", _fk),
        ".Q.fmt": _n(".Q.fmt", lambda x, y, z: chars(q_fmt(x, y, z)), 3),
        ".Q.fs": Prim(".Q.fs", None, lambda f, x: _fsn(interp, f, x, None)),
        ".Q.fsn": _n(".Q.fsn", lambda f, x, n: _fsn(interp, f, x, n), 3),
        ".Q.ft": Prim(".Q.ft", None, lambda f, t: _ft(interp, f, t)),
        ".Q.fu": Prim(".Q.fu", None, lambda f, x: _fu(interp, f, x)),
        ".Q.gc": Prim(".Q.gc", lambda x: A(7, 0)),
        ".Q.gz": Prim(".Q.gz", _gz),
        ".Q.id": Prim(".Q.id", lambda x: q_id(interp, x)),
        ".Q.j10": Prim(".Q.j10", lambda x: _decode(B6, x)),
        ".Q.x10": Prim(".Q.x10", lambda x: _encode(B6, 10, x)),
        ".Q.j12": Prim(".Q.j12", lambda x: _decode(NA, x)),
        ".Q.x12": Prim(".Q.x12", lambda x: _encode(NA, 12, x)),
        ".Q.opt": Prim(".Q.opt", lambda x: _opt(interp, x)),
        ".Q.qp": Prim(".Q.qp", lambda x: A(7, 0)),  # no partitioned tables here: "anything else, returns 0"
        ".Q.qt": Prim(".Q.qt", lambda x: A(1, int(type(x) is T or (type(x) is D and type(x.k) is T)))),
        ".Q.sbt": Prim(".Q.sbt", lambda x: chars("")),  # backtrace objects here hold no frames
        ".Q.sha1": Prim(".Q.sha1", _sha1),
        ".Q.trp": _n(".Q.trp", lambda f, x, g: _trap(lambda a, b: call(a, [b]), f, x, g), 3),
        ".Q.trpd": _n(".Q.trpd", lambda f, x, g: _trap(interp.ops["."].d, f, x, g), 3),
        ".Q.ts": Prim(".Q.ts", None, lambda f, x: _ts(interp, f, x)),
        ".Q.ty": Prim(".Q.ty", _ty),
        ".Q.v": Prim(".Q.v", lambda x: _v(interp, x)),
        ".Q.V": Prim(".Q.V", lambda x: _vt(interp, x)),
    }
