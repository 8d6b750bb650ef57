"""The public entry point: a q :class:`Session` (console display, scripts, eval)."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdq.qlang._core import chars
from rdq.qlang._files import FileSpace
from rdq.qlang._fn import QExit, Return, View
from rdq.qlang._format import display, use_console, use_precision
from rdq.qlang._interp import Interp
from rdq.qlang._parser import parse
from rdq.qlang._sql import run_sql
from rdq.qlang._system import system
from rdq.qlang._values import IDENTITY, A, L, QError
from rdq.qlang._verbs import OPS, builtins

__all__ = ["Session", "ScriptResult", "QExit", "INTERNAL_ERROR", "DEBUG_ENV"]

log = logging.getLogger(__name__)
_RECURSION_LIMIT = 250_000  # ~25,000 nested q calls; 3.11 Python-to-Python calls use no C stack
#: C stack a Python frame may take on the interpreter's deepest paths (measured ~100-210 bytes)
_STACK_PER_FRAME = 256


def _safe_recursion_limit() -> int:
    """The recursion limit the stack can hold, so runaway q recursion is ``'stack``, never a crash.

    Python's limit counts frames, not bytes: set past what the C stack holds, recursion through C (``any``
    of a generator, numpy callbacks) overflows it and the process dies (SIGSEGV). The main thread's stack is
    ``RLIMIT_STACK`` (8 MiB by default: about 32,000 frames, q recursion some 10,000 deep; ``ulimit -s``
    raises it); other threads get 8 MiB. The limit is not raised for the process: children would inherit it."""
    stack = 8 << 20
    if threading.current_thread() is threading.main_thread():
        try:
            import resource

            soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
            stack = 1 << 30 if soft == resource.RLIM_INFINITY else max(soft, 1 << 20)
        except (ImportError, ValueError, OSError):
            pass
    return max(10_000, min(_RECURSION_LIMIT, stack // _STACK_PER_FRAME))
_VIEW = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*::(.*)$", re.S)


@dataclass(frozen=True)
class ScriptResult:
    """What running a script produced: ``stdout`` text, ``stderr`` text and the ``exit_code``."""

    stdout: str
    stderr: str
    exit_code: int


#: set to 1 to show the Python error behind an internal error on the console
DEBUG_ENV = "RDQ_Q_DEBUG"
#: what the console prints for a Python exception inside the interpreter: a bug in rdq, not in the q code
INTERNAL_ERROR = "'internal error: a bug in rdq, not in the q code"


def _debug_from_env() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _err_text(e: BaseException, *, debug: bool = False) -> str:
    """The console text of an error: ``'name`` for a q signal, :data:`INTERNAL_ERROR` for an rdq bug.

    A Python exception inside the interpreter is never shown as q's ``'nyi`` (which is kept for
    features not implemented); with ``debug`` the message names the exception and where it was raised.
    """
    if isinstance(e, QError):
        return "'" + e.name
    if isinstance(e, RecursionError):
        return "'stack"
    if isinstance(e, MemoryError):
        return "'wsfull"
    log.debug("internal error", exc_info=e)
    if not debug:
        return f"{INTERNAL_ERROR} (set {DEBUG_ENV}=1 to see the Python error)"
    where = ""
    tb = traceback.extract_tb(e.__traceback__)
    if tb:
        last = tb[-1]
        where = f" at {os.path.basename(last.filename)}:{last.lineno} in {last.name}"
    return f"{INTERNAL_ERROR}: {type(e).__name__}: {e}{where}"


class Session:
    """One q workspace (globals persist between calls).

    ``error_trace=True`` adds the q 4 console trace under an error raised by a primitive at top level
    (the input echoed after ``  [0]  `` and a caret under the failing operator).

    A Python exception inside the interpreter prints as :data:`INTERNAL_ERROR` (an rdq bug), never as
    q's ``'nyi``; ``debug=True`` (default: the ``RDQ_Q_DEBUG`` environment variable) adds the Python
    exception's type, message and place. :meth:`eval` lets such exceptions propagate unchanged.

    Examples
    --------
    >>> s = Session()
    >>> s.display("a:1 2 3")
    ''
    >>> s.display("a+1")
    '2 3 4'
    """

    def __init__(
        self, *, error_trace: bool = False, debug: bool | None = None, directory: str | Path | None = None
    ) -> None:
        self.error_trace = error_trace
        self.debug = _debug_from_env() if debug is None else debug
        # each q call costs several Python frames; allow q recursion a few thousand deep
        limit = _safe_recursion_limit()
        if sys.getrecursionlimit() < limit:
            sys.setrecursionlimit(limit)
        #: display precision (``\P``), this session's own: another session's ``\P`` does not change it
        self.precision = 7
        #: the console size ``\c rows cols`` set (``None``: nothing is cut, the default here)
        self.console: tuple[int, int] | None = None
        #: what ``\p`` prints (no port is ever opened)
        self.port = "0i"
        self.interp = Interp(ops=OPS, builtins=builtins, run_sql=run_sql)
        self.interp.eval_text = self._eval_text  # type: ignore[attr-defined]
        #: the session's directory: every file `:name a q program reads or writes is inside it
        #: (``directory``, else a temporary folder made on first use and removed with the session)
        self.files = FileSpace(directory, g=self.interp.g)
        self.interp.files = self.files  # type: ignore[attr-defined]

    # -- evaluation -----------------------------------------------------------
    def _eval_text(self, src: str) -> Any:
        r: Any = IDENTITY
        src = src.strip()
        if src.startswith("\\"):
            self._system(src[1:])
            return IDENTITY
        for st in parse(src):
            if st is None:
                r = IDENTITY
                continue
            r = self.interp.ev_top(st)
        return r

    def _system(self, cmd: str) -> str:
        return system(self, cmd)

    def eval(self, src: str) -> Any:
        """Evaluate q source at top level and return the q value of its last statement (raises QError)."""
        with use_precision(self.precision), use_console(self.console):
            try:
                return self._eval_text(src)
            except Return as r:
                return r.value

    def display(self, src: str) -> str:
        """Evaluate one console line; return exactly what the q console would print."""
        with use_precision(self.precision), use_console(self.console):
            return self._display(src)

    def _display(self, src: str) -> str:
        interp = self.interp
        interp.out = []
        text = ""
        try:
            s = src.strip()
            vm = _VIEW.match(src)
            if s.startswith("\\"):
                text = self._system(s[1:])
            elif vm and vm.group(2).strip() and not vm.group(2).startswith(":"):
                parse(vm.group(2))  # syntax check now, as q does
                interp.g[vm.group(1)] = View(vm.group(1), vm.group(2))
            else:
                stmts = parse(src)
                r: Any = IDENTITY
                last_assign = False
                for st in stmts:
                    if st is None:
                        r = IDENTITY
                        last_assign = False
                        continue
                    r = interp.ev_top(st)
                    last_assign = st[0] in ("asg", "pat")
                if not last_assign and r is not IDENTITY:
                    text = display(r)
        except QExit:
            raise
        except Return as ret:
            text = display(ret.value) if ret.value is not IDENTITY else ""
        except Exception as e:  # noqa: BLE001 - every failure is a q error on the console
            text = _err_text(e, debug=self.debug)
            pos = getattr(e, "pos", None)
            if (
                self.error_trace
                and isinstance(e, QError)
                and pos is not None
                and pos >= 0
                and "\n" not in src
            ):
                text += "\n  [0]  " + src + "\n" + " " * (7 + pos) + "^"
        parts = [o for o in interp.out] + ([text] if text != "" else [])
        out = "\n".join(parts)
        return "\n".join(line.rstrip() for line in out.split("\n")).rstrip("\n")

    # -- scripts -----------------------------------------------------------------
    def set_script_args(self, name: str, args: list[str]) -> None:
        """``q name args...``: ``.z.f`` is the script's name, ``.z.x`` its arguments (ref/dotz)."""
        self.interp.g[".z.f"] = A(11, name)
        self.interp.g[".z.x"] = L([chars(a) for a in args])

    def run_script(self, text: str) -> ScriptResult:
        """Run a q script as ``q file.q`` would: ``show`` prints, bare values do not, ``exit n`` stops.

        The first error ends the script, as in q: ``q file.q`` prints the error and suspends (reading no
        more of the file), so later lines never run; the error goes to ``stderr`` and the exit code is 1.
        The console (:meth:`display`, one call per line) goes on after an error, as q's console does.
        A Python exception inside rdq is reported as :data:`INTERNAL_ERROR`, never as ``'nyi``.
        """
        with use_precision(self.precision), use_console(self.console):
            return self._run_script(text)

    def _run_script(self, text: str) -> ScriptResult:
        out: list[str] = []
        err: list[str] = []
        code = 0
        interp = self.interp
        for chunk in split_script(text):
            interp.out = []
            try:
                if chunk.startswith("\\"):
                    self._system(chunk[1:])
                    out.extend(interp.out)  # what a script run by \l printed
                    continue
                vm = _VIEW.match(chunk)
                if vm and vm.group(2).strip() and not vm.group(2).startswith(":"):
                    parse(vm.group(2))
                    interp.g[vm.group(1)] = View(vm.group(1), vm.group(2))
                    continue
                for st in parse(chunk):
                    if st is not None:
                        interp.ev_top(st)
            except QExit as e:
                out.extend(interp.out)
                code = e.code
                break
            except Return:
                pass
            except Exception as e:  # noqa: BLE001
                out.extend(interp.out)
                err.append(_err_text(e, debug=self.debug))
                code = 1
                break
            out.extend(interp.out)
        stdout = "".join(o + "\n" for o in out)
        stderr = "".join(e + "\n" for e in err)
        return ScriptResult(stdout, stderr, code)


def split_script(text: str) -> list[str]:
    """Top-level chunks of a script: a line plus its indented continuation lines; comments dropped."""
    chunks: list[str] = []
    in_block = False
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        stripped = line.rstrip()
        if in_block:
            if stripped == "\\":
                in_block = False
            continue
        if stripped == "/":
            in_block = True
            continue
        if stripped == "\\":
            break
        if not stripped:
            continue
        if line[0] in " \t":
            if line.strip().startswith("/"):
                continue
            if chunks:
                chunks[-1] += "\n" + line
            else:
                chunks.append(line)
            continue
        if line.startswith("/"):
            continue
        chunks.append(line)
    return chunks
