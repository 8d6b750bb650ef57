"""The ``.z`` values that describe the process and the clock (code.kx.com/q/ref/dotz): read when referenced.

Lower case is UTC, upper case local time: ``.z.p``/``.z.P`` timestamp, ``.z.z``/``.z.Z`` datetime,
``.z.d``/``.z.D`` date, ``.z.t``/``.z.T`` time, ``.z.n``/``.z.N`` timespan. The process: ``.z.K`` (version),
``.z.k`` (release date), ``.z.o`` (OS), ``.z.i`` (pid), ``.z.h`` (host), ``.z.u`` (user), ``.z.c`` (cores),
``.z.q`` (quiet mode), ``.z.w`` (the console's handle, 0). ``.z.x`` and ``.z.f`` (a script's arguments and
name) are globals the script runner sets; by default ``.z.x`` is the empty list. No connection is ever open,
so the handle-related values (``.z.a`` ``.z.W`` ``.z.e`` ...) are not here."""

from __future__ import annotations

import datetime
import getpass
import os
import socket
import time
from typing import Any

from rdq.qlang._values import A, L

__all__ = ["dot_z"]

_NS_DAY = 86_400 * 10**9
_EPOCH_2000_NS = 946_684_800 * 10**9  # 2000.01.01 in Unix nanoseconds


def _now_ns(local: bool) -> int:
    """Nanoseconds since 2000.01.01, UTC or local."""
    ns = time.time_ns() - _EPOCH_2000_NS
    if local:
        off = datetime.datetime.now().astimezone().utcoffset() or datetime.timedelta(0)
        ns += int(off.total_seconds()) * 10**9
    return ns


def _clock(name: str) -> Any:
    letter = name[-1]
    ns = _now_ns(letter.isupper())
    kind = letter.lower()
    if kind == "p":
        return A(12, ns)
    if kind == "z":
        return A(15, ns / _NS_DAY)
    if kind == "d":
        return A(14, ns // _NS_DAY)
    if kind == "t":
        return A(19, (ns % _NS_DAY) // 10**6)
    return A(16, ns % _NS_DAY)  # n


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


_PROCESS = {
    ".z.K": lambda: A(9, 4.0),
    ".z.k": lambda: A(14, 7429),  # 2020.05.04, the q.k this interpreter follows
    ".z.o": lambda: A(11, "l64"),
    ".z.i": lambda: A(6, os.getpid()),
    ".z.h": lambda: A(11, socket.gethostname()),
    ".z.u": lambda: A(11, _user()),
    ".z.c": lambda: A(6, os.cpu_count() or 1),
    ".z.q": lambda: A(1, 0),
    ".z.w": lambda: A(6, 0),
    ".z.x": lambda: L([]),
}


def dot_z(name: str) -> Any:
    """The value of ``.z.<letter>`` now, or None where ``name`` is not one of these."""
    if len(name) == 4 and name[3] in "pPzZdDtTnN":
        return _clock(name)
    f = _PROCESS.get(name)
    return f() if f is not None else None
