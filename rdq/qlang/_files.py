r"""Files of a q session, kept inside the session's own directory (never outside it).

A file symbol `` `:name `` names ``<session directory>/name``. The directory is a fresh temporary
folder made on first use (removed when the session goes away) unless the session was given one
(``Session(directory=...)``). A path that leaves it (``..``, an absolute path, a link out) is refused
with ``'access``; a missing file is q's own error text, ``':name. OS reports: No such file or
directory``. Each verb follows its KX reference page:

- ``read0`` (ref/read0): a text file's lines (a trailing newline ends the last line); ``read0 (f;o;n)``
  the lines of ``n`` characters from offset ``o`` (``(f;o)``: to the end).
- ``read1`` (ref/read1): the bytes of a file, or ``(f;o;n)`` a part.
- `` `:f 0: strings `` (ref/file-text, Save Text): one line per string; ``(types;delim) 0: `:f`` loads
  the file's text as Load CSV does a list of strings; `` `:f 1: bytes `` writes bytes and
  ``(types;widths) 1: `:f`` reads fixed-width binary records from the file.
- ``hopen``/``hclose`` (ref/hopen): an int handle on a file; ``h "text"`` or ``h 0x..`` appends as is,
  ``neg[h] "line"`` (or a list of strings) appends lines.
- ``hcount`` ``hdel`` (ref/hcount, ref/hdel); ``key `:dir`` lists a folder (ref/key), ``key `:file`` is the
  file's name when it exists.
- `` `:f set x `` and ``get `:f`` (ref/get): one value per file, kept as ``-8!x`` bytes (rdq's own files,
  not kdb+'s on-disk layout; an enumeration keeps its domain's name and indices); `` `:dir/t/ set t `` splays a table (a ``.d`` file of column names and one
  file per column) and ``get `:dir/t`` reads it back; ``save``/``load`` and ``rsave``/``rload`` (ref/save,
  ref/load) do the same for a global by its name.
- ``\l f.q`` runs a script from the directory; ``\l dir`` loads each table and value a folder holds.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from rdq.qlang._core import _syms, count, mklist, qstr
from rdq.qlang._serial import deserialize, serialize
from rdq.qlang._values import IDENTITY, A, E, L, QError, T, V

__all__ = ["FileSpace", "files_of", "is_file_handle", "is_file_sym", "writes_to_handle", "write_handle"]


def is_file_sym(x: Any) -> bool:
    """Whether ``x`` is a file symbol (`` `:name ``)."""
    return type(x) is A and x.t == 11 and isinstance(x.v, str) and x.v.startswith(":")


def _missing(name: str) -> QError:
    return QError(f"{name}. OS reports: No such file or directory")


class FileSpace:
    """The session's directory and its open file handles."""

    def __init__(self, directory: str | Path | None = None, g: dict[str, Any] | None = None) -> None:
        self._root = Path(directory).resolve() if directory is not None else None
        #: the session's globals: an enumeration read back refers to its domain there
        self.g: dict[str, Any] = g if g is not None else {}
        self.handles: dict[int, Path] = {}
        self._next = 3

    @property
    def root(self) -> Path:
        """The directory (made on first use)."""
        if self._root is None:
            path = tempfile.mkdtemp(prefix="rdq-q-")
            weakref.finalize(self, shutil.rmtree, path, True)
            self._root = Path(path).resolve()
        self._root.mkdir(parents=True, exist_ok=True)
        return self._root

    def path(self, x: Any) -> Path:
        """The path a file symbol (or a string) names, inside the directory; else ``'access``."""
        name = x.v if type(x) is A and x.t == 11 else qstr(x)
        rel = name[1:] if name.startswith(":") else name
        if not rel or rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
            raise QError(f"access: {name} is outside the session's directory (name files relative to it)")
        root = self.root
        p = (root / rel).resolve()
        if p != root and root not in p.parents:
            raise QError(f"access: {name} is outside the session's directory (name files relative to it)")
        return p

    # -- whole files --------------------------------------------------------
    def read_bytes(self, x: Any) -> bytes:
        p = self.path(x)
        if not p.is_file():
            raise _missing(x.v if type(x) is A else qstr(x))
        return p.read_bytes()

    def write_bytes(self, x: Any, data: bytes) -> A:
        p = self.path(x)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return _handle_sym(x)

    def _part(self, x: L) -> bytes:
        """The bytes ``(file; offset; length)`` names (``(file; offset)``: to the end)."""
        data = self.read_bytes(x.items[0])
        off = int(x.items[1].v)
        n = int(x.items[2].v) if len(x.items) == 3 else len(data) - off
        return data[off : off + n]

    def read0(self, x: Any) -> Any:
        """``read0 x``: lines of a file, or ``(file; offset; length)`` characters."""
        if type(x) is L and len(x.items) in (2, 3):
            return lines_of(self._part(x))
        if type(x) is A and x.t in (6, 7) and int(x.v) in self.handles:
            x = A(11, ":" + self.handles[int(x.v)].relative_to(self.root).as_posix())
        if not is_file_sym(x):
            raise QError("type")
        return lines_of(self.read_bytes(x))

    def read1(self, x: Any) -> V:
        """``read1 x``: a file's bytes, or ``(file; offset; length)`` of them."""
        if type(x) is L and len(x.items) in (2, 3):
            data = self._part(x)
        elif is_file_sym(x):
            data = self.read_bytes(x)
        else:
            raise QError("type")
        return V(4, np.frombuffer(data, dtype=np.uint8).copy())

    def save_text(self, x: Any, y: Any) -> A:
        """`` `:f 0: strings ``: one line per string (a string alone is one line)."""
        return self.write_bytes(x, _text_lines(y))

    def hcount(self, x: Any) -> A:
        p = self.path(x)
        if not p.exists():
            raise _missing(x.v)
        return A(7, p.stat().st_size if p.is_file() else 0)

    def hdel(self, x: Any) -> A:
        p = self.path(x)
        if p == self.root:
            raise QError(f"access: {x.v} is the session's directory itself")
        if p.is_dir():
            try:
                p.rmdir()
            except OSError:
                raise QError(f"{x.v}. OS reports: Directory not empty") from None
        elif p.exists():
            p.unlink()
        else:
            raise _missing(x.v)
        return _handle_sym(x)

    def key(self, x: Any) -> Any:
        """``key `:dir``: its entries, sorted; ``key `:file``: the name; nothing there: ``()``."""
        p = self.path(x) if x.v not in (":", ":.") else self.root
        if p.is_dir():
            return _syms(sorted(e.name for e in p.iterdir()))
        if p.is_file():
            return x
        return L([])

    # -- values -----------------------------------------------------------------
    def set(self, x: Any, v: Any) -> A:
        """`` `:f set v ``; a name ending in ``/`` splays a table."""
        if x.v.endswith("/"):
            if type(v) is not T:
                raise QError("type")
            d = self.path(A(11, x.v.rstrip("/")))
            if d.is_file():
                d.unlink()  # a value file of that name is replaced by the splayed table
            d.mkdir(parents=True, exist_ok=True)
            (d / ".d").write_bytes(serialize(_syms(list(v.cols))))
            for c, col in zip(v.cols, v.data, strict=True):
                (d / c).write_bytes(serialize(_store(col)))
            return A(11, x.v)
        return self.write_bytes(x, serialize(_store(v)))

    def get(self, x: Any) -> Any:
        """``get `:f``: the value a file holds, or the splayed table a folder holds."""
        p = self.path(x)
        if p.is_dir():
            return self.splayed(p, x.v)
        if not p.is_file():
            raise _missing(x.v)
        return self.value(p.read_bytes())

    def value(self, data: bytes) -> Any:
        """The value a file's bytes hold (``'badmsg`` if they hold none)."""
        return _restore(deserialize(data), self.g)

    def splayed(self, d: Path, name: str) -> T:
        """The table splayed in folder ``d`` (its ``.d`` file names the columns, one file each)."""
        dot = d / ".d"
        if not dot.is_file():
            raise _missing(name + "/.d")
        names = [str(c) for c in deserialize(dot.read_bytes()).a.tolist()]
        data = []
        for c in names:
            f = d / c
            if not f.is_file():
                raise _missing(f"{name}/{c}")
            data.append(self.value(f.read_bytes()))
        return T(names, data)

    # -- handles ------------------------------------------------------------------
    def hopen(self, x: Any) -> A:
        """``hopen `:file`` (a string too); a port, ``:host:port`` or a URL would be a connection: none here."""
        if type(x) is L and x.items:
            x = x.items[0]  # (handle; timeout)
        if type(x) is V and x.t == 10:
            x = A(11, qstr(x) if qstr(x).startswith(":") else ":" + qstr(x))
        if (type(x) is A and x.t in (5, 6, 7)) or (is_file_sym(x) and ":" in x.v[1:]):
            raise QError("hop. OS reports: Connection refused (the embedded interpreter opens no connections)")
        if not is_file_sym(x):
            raise QError("type")
        p = self.path(x)
        if p.is_dir():
            raise QError(f"{x.v}. OS reports: Is a directory")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.touch()
        h = self._next
        self._next += 1
        self.handles[h] = p
        return A(6, h)

    def hclose(self, h: Any) -> Any:
        if type(h) is not A or h.t not in (5, 6, 7):
            raise QError("type")
        if self.handles.pop(abs(int(h.v)), None) is None:
            raise QError(f"{int(h.v)}i is not an open handle")
        return IDENTITY

    def write_handle(self, h: A, x: Any) -> A:
        """``h x`` (as is) or ``neg[h] x`` (lines) on an open file handle."""
        p = self.handles.get(abs(int(h.v)))
        if p is None:
            raise QError(f"{int(h.v)}i is not an open handle")
        if h.v < 0:
            data = _text_lines(x)
        elif type(x) is V and x.t in (4, 10):
            data = bytes(x.a.astype(np.uint8))
        elif type(x) is A and x.t in (4, 10):
            data = bytes([x.v])
        else:
            raise QError("type")
        with open(p, "ab") as fh:
            fh.write(data)
        return h


def _handle_sym(x: Any) -> A:
    return x if type(x) is A else A(11, ":" + qstr(x))


def lines_of(data: bytes) -> L:
    """The lines of a file's bytes as a list of strings (``read0``)."""
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return mklist([V(10, np.frombuffer(s, dtype=np.uint8).copy()) for s in parts]) if parts else L([])


def _text_lines(y: Any) -> bytes:
    """What ``0:``/``neg[h]`` write: each string and a newline (a string or char alone is one line)."""
    if _is_text(y):
        lines = [y]
    elif type(y) is L:
        lines = y.items
    elif type(y) is V and count(y) == 0:
        lines = []
    else:
        raise QError("type")
    if not all(_is_text(s) for s in lines):
        raise QError("type")
    return b"".join(qstr(s).encode() + b"\n" for s in lines)


def _is_text(x: Any) -> bool:
    """A string or a char."""
    return type(x) in (A, V) and x.t == 10


#: marks a stored enumeration: (marker; domain; indices; atom)
_ENUM = "\x01rdq.enum"


def _store(x: Any) -> Any:
    """A value as written to a file: an enumeration keeps its domain's name and its indices."""
    if type(x) is E:
        return L([A(11, _ENUM), A(11, x.dom), V(7, np.asarray(x.a, dtype=np.int64)), A(1, int(x.atom))])
    if type(x) is T:
        return T(list(x.cols), [_store(c) for c in x.data])
    return x


def _restore(x: Any, g: dict[str, Any]) -> Any:
    """The inverse of :func:`_store` (the enumeration refers to the session's domain of that name)."""
    if type(x) is L and len(x.items) == 4 and type(x.items[0]) is A and x.items[0].v == _ENUM:
        return E(str(x.items[1].v), x.items[2].a.astype(np.int64), g, atom=bool(x.items[3].v))
    if type(x) is T:
        return T(list(x.cols), [_restore(c, g) for c in x.data])
    return x


def load_dir(files: FileSpace, x: Any) -> dict[str, Any]:
    r"""``\l dir``: name -> value for each splayed table (a folder with ``.d``) and value file in a folder."""
    d = files.path(x)
    out: dict[str, Any] = {}
    for e in sorted(d.iterdir()):
        if e.name.startswith("."):
            continue
        if e.is_dir() and (e / ".d").is_file():
            out[e.name] = files.splayed(e, f"{x.v}/{e.name}")
        elif e.is_file():
            try:
                out[e.name] = files.value(e.read_bytes())
            except QError:
                continue  # not a value file (a script, a CSV): left alone, as q leaves them
    return out


def files_of(interp: Any) -> FileSpace:
    """The interpreter's :class:`FileSpace` (a temporary directory unless the session gave one)."""
    fs = getattr(interp, "files", None)
    if fs is None:
        fs = FileSpace(g=interp.g)
        interp.files = fs
    return fs



def is_file_handle(interp: Any, v: int) -> bool:
    """Whether int ``v`` (or ``neg v``) is a file handle ``hopen`` gave in this interpreter."""
    fs = getattr(interp, "files", None)
    return fs is not None and abs(v) in fs.handles


def writes_to_handle(interp: Any, f: Any, x: Any) -> bool:
    """Whether applying ``f`` to ``x`` writes to a handle: ``1``/``-1``/``2``/``-2`` with text, or a file handle."""
    return (
        type(f) is A
        and f.t in (6, 7)
        and ((f.v in (1, -1, 2, -2) and (x.t == 10 or type(x) is L)) or is_file_handle(interp, f.v))
    )


def write_handle(interp: Any, h: A, x: Any) -> A:
    """``1 x`` / ``-1 x`` (the interpreter's stdout), ``2``/``-2`` (stderr), or an open file handle."""
    if abs(h.v) not in (1, 2):
        return files_of(interp).write_handle(h, x)
    lines = [qstr(x)] if type(x) is not L else [qstr(a) for a in x.items]
    text = "\n".join(lines) if h.v < 0 else "".join(lines)
    if abs(h.v) == 1:
        interp.out.append(text if h.v < 0 else text.rstrip("\n"))
    else:
        interp.err.append(text)
    return h
