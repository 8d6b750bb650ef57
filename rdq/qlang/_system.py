r"""System commands (``\P``, ``\t``, ``\d``, ``\v``, ``\f``, ``\a``, ``\p`` ...) of a :class:`~rdq.qlang.Session`.

A command returns the console text it prints ("" for none). Settings of the console, the garbage collector,
the random seed and the error trap are accepted and have no effect here; a command with no meaning in an
embedded interpreter (the operating system) is ``'nyi``. ``\l`` loads from the session's directory
(:mod:`rdq.qlang._files`).

``\d .ns`` makes ``.ns`` the current namespace. Names defined there stay reachable both ways: ``f`` and
``.ns.f`` name the same global (the interpreter aliases the namespace prefix), so a script written with
``\d`` runs whichever way it refers to its names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdq.qlang._core import _syms
from rdq.qlang._fn import View
from rdq.qlang._format import PRECISION, display
from rdq.qlang._values import D, Fn, QError, T

#: the scripts a q installation ships beside q.k (``\\l sp.q`` finds them when the directory has none)
QHOME = Path(__file__).resolve().parent / "qhome"

__all__ = ["system"]

#: console, garbage-collector, seed, error-trap, timer and similar settings: accepted, no effect here
_NO_EFFECT = frozenset(("C", "g", "S", "e", "o", "z", "W", "T", "x", "u", "U", "1", "2"))


def _names(g: dict[str, Any], ns: str, keep: Callable[[Any], bool]) -> str:
    """The display of the sorted names of namespace ``ns`` ("" for root) whose values ``keep`` accepts."""
    if ns in ("", "."):
        names = sorted(k for k, v in g.items() if not k.startswith(".") and keep(v))
    else:
        pre = ns + "."
        names = sorted(
            k[len(pre) :] for k, v in g.items() if k.startswith(pre) and "." not in k[len(pre) :] and keep(v)
        )
        if not names and not any(k.startswith(pre) for k in g):
            raise QError(ns)
    return display(_syms(names))


def _is_table(v: Any) -> bool:
    return type(v) is T or (type(v) is D and type(v.k) is T)


def system(session: Any, cmd: str) -> str:
    r"""Run system command ``cmd`` (the text after the backslash) in ``session``; return what it prints."""
    cmd = cmd.strip()
    interp = session.interp
    if cmd.startswith("P"):
        arg = cmd[1:].strip()
        if arg:
            session.precision = int(arg)
            PRECISION.set(session.precision)  # for the rest of this call; later calls set it from the session
            return ""
        return str(session.precision)
    if cmd in ("", "\\"):
        return ""
    head, _, rest = cmd.partition(" ")
    rest = rest.strip()
    if head in _NO_EFFECT:
        return ""
    if head == "c":  # console size: display cuts long lines/outputs to it (basics/syscmds.md#c-console-size)
        from rdq.qlang._format import CONSOLE, DEFAULT_CONSOLE, console_size

        current = session.console or DEFAULT_CONSOLE
        if rest:
            session.console = console_size(rest, current)
            CONSOLE.set(session.console)  # for the rest of this call (a script's later lines)
            return ""
        return f"{current[0]} {current[1]}i"
    timer, _, times = head.partition(":")
    if timer in ("t", "ts") and (not times or times.isdigit()):
        # \t[:n] x: milliseconds to run x (n times); \ts[:n] x: and the space (not measured here: 0)
        t0 = time.perf_counter()
        if rest:
            for _ in range(int(times) if times else 1):
                session._eval_text(rest)
        ms = int((time.perf_counter() - t0) * 1000)
        return str(ms) if timer == "t" else f"{ms} 0"
    if head == "d":
        if not rest:
            return "`" + (interp.ns or ".")
        if rest == ".":
            interp.ns = ""
            return ""
        if not rest.startswith(".") or " " in rest:
            raise QError("type")
        interp.ns = rest
        interp.ns_alias.add(rest)
        return ""
    if head == "v":
        return _names(interp.g, rest, lambda v: not isinstance(v, Fn) and type(v) is not View)
    if head == "f":
        return _names(interp.g, rest, lambda v: isinstance(v, Fn))
    if head == "a":
        return _names(interp.g, rest, _is_table)
    if head == "p":
        if rest:
            session.port = rest
            return ""
        return session.port
    if head == "l":
        return _load(session, rest) if rest else ""
    raise QError("nyi")


def _load(session: Any, name: str) -> str:
    r"""``\l name`` from the session's directory: a script runs (its output printed, its first error
    raised), a folder loads its tables and values, a value file (``set``) becomes the global of its name."""
    from rdq.qlang._files import files_of, load_dir
    from rdq.qlang._values import A

    interp = session.interp
    fs = files_of(interp)
    sym = A(11, ":" + name)
    p = fs.path(sym)
    if p.is_dir():
        interp.g.update(load_dir(fs, sym))
        return ""
    if not p.is_file() and "/" not in name and (QHOME / name).is_file():
        p = QHOME / name  # as q, a script not in the directory is looked for in QHOME (sp.q)
    if not p.is_file():
        raise QError(f"{name}. OS reports: No such file or directory")
    data = p.read_bytes()
    if p.suffix not in (".q", ".k"):
        try:
            interp.g[p.name] = fs.value(data)
            return ""
        except QError:
            pass  # not a value file: run it as a script
    saved = interp.out
    try:
        res = session._run_script(data.decode("utf-8", "replace"))
    finally:
        interp.out = saved
    if res.stdout:
        interp.out.append(res.stdout.rstrip("\n"))
    if res.exit_code and res.stderr:
        raise QError(res.stderr.strip().splitlines()[0].lstrip("'"))
    return ""
