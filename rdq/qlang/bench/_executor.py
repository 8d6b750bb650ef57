"""Executors that run a candidate program against one test, and the report's pass rule.

A run's script is the candidate's code, a blank line, the test code, then (for q) ``exit 0;``.
It passes when it exits 0 within the time limit, prints no "error" on stderr and its trimmed stdout
equals the expected text exactly (:func:`judge`).

Executors
---------
``EmbeddedExecutor``  rdq's own q interpreter (``rdq.qlang.Session``), each run in a forked child.
``QBinaryExecutor``   a real ``q`` binary (``$QHOME/l64/q`` or ``q`` on ``PATH``), script on a temp file.
``PythonExecutor``    ``python -I`` in a temp folder, for the ``q_to_python`` task.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from rdq.errors import ConfigError
from rdq.qlang.bench._sandbox import RunResult, run_forked, run_subprocess

__all__ = [
    "Executor",
    "ExecutorName",
    "EmbeddedExecutor",
    "QBinaryExecutor",
    "PythonExecutor",
    "RunResult",
    "Verdict",
    "judge",
    "q_script",
    "python_script",
    "make_executor",
    "find_q_binary",
    "DEFAULT_TIMEOUT_S",
    "DEFAULT_MEMORY_MB",
]

DEFAULT_TIMEOUT_S = 2.0
DEFAULT_MEMORY_MB = 2048

ExecutorName = Literal["embedded", "q"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one test run: ``passed`` and, when not, a short ``reason``."""

    passed: bool
    reason: str = ""
    duration_s: float = 0.0


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def judge(result: RunResult, expected: str) -> Verdict:
    """Apply the report's pass rule to a run.

    Exit code 0, no timeout, no "error" (any case) on stderr, and stdout equal to ``expected`` after
    trimming. One refinement of the report's rule: trailing blanks are also dropped at the end of each
    line, on both sides, because q pads the last column of a matrix display and reference outputs are
    usually stored right-stripped; everything else must match character for character.

    Examples
    --------
    >>> judge(RunResult("3\\n", "", 0), "3").passed
    True
    >>> judge(RunResult("3\\n", "'type error", 0), "3").reason
    'stderr mentions error'
    """
    if result.timed_out:
        return Verdict(False, "timeout", result.duration_s)
    if result.exit_code != 0:
        return Verdict(False, f"exit code {result.exit_code}", result.duration_s)
    if "error" in result.stderr.lower():
        return Verdict(False, "stderr mentions error", result.duration_s)
    got, want = _normalise(result.stdout), _normalise(expected)
    if got != want:
        return Verdict(False, f"wrong output: got {got[:60]!r}, expected {want[:60]!r}", result.duration_s)
    return Verdict(True, "", result.duration_s)


def q_script(code: str, test: str) -> str:
    """The q script for one test: code, blank line, test, ``exit 0;``."""
    return f"{code.rstrip()}\n\n{test.rstrip()}\nexit 0;\n"


def python_script(code: str, test: str) -> str:
    """The Python script for one test: code, blank line, test."""
    return f"{code.rstrip()}\n\n{test.rstrip()}\n"


class Executor(Protocol):
    """Runs one script under the time and memory limits."""

    name: str
    language: Literal["q", "python"]

    def run(self, script: str) -> RunResult:  # pragma: no cover - protocol
        ...


_WARM = False


def _embedded_run(script: str) -> tuple[str, str, int]:
    from rdq.qlang import Session  # type: ignore[attr-defined]

    # the program's files live in a folder of its own, removed when it ends (a forked child may _exit)
    with tempfile.TemporaryDirectory(prefix="rdq-qbench-") as folder:
        res = Session(directory=folder).run_script(script)
    code = res.exit_code
    return str(res.stdout), str(res.stderr), 0 if code is None else int(code)


@dataclass(frozen=True)
class EmbeddedExecutor:
    """rdq's embedded q interpreter, each run in a forked child with limits.

    Parameters
    ----------
    timeout_s:
        Wall-clock limit per run; the child is killed when it is exceeded.
    memory_mb:
        Cap on what a run may allocate (``RLIMIT_AS`` in the child, over the parent's footprint).
    """

    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int | None = DEFAULT_MEMORY_MB
    name: str = "embedded"
    language: Literal["q", "python"] = "q"

    def prepare(self) -> None:
        """Import the interpreter and build one session before forking, so every forked run starts warm
        (a first ``Session()`` fills module-level caches); a clear error when it is missing."""
        global _WARM
        if _WARM:
            return
        try:
            import rdq.qlang as qlang
        except ImportError as exc:  # pragma: no cover - depends on the build
            raise ConfigError(f"the embedded q interpreter cannot be imported: {exc}") from None
        if not hasattr(qlang, "Session"):
            raise ConfigError(
                "rdq.qlang has no Session yet (the embedded interpreter is not built); use --executor q"
            )
        qlang.Session().run_script("exit 0;")
        _WARM = True

    def run(self, script: str) -> RunResult:
        """Run a q script; see :func:`q_script`."""
        self.prepare()
        return run_forked(lambda: _embedded_run(script), timeout_s=self.timeout_s, memory_mb=self.memory_mb)


def find_q_binary(q_path: str | os.PathLike[str] | None = None) -> Path:
    """Locate the q binary: the given path, ``$QHOME/{l64,l64arm,m64,w64}/q``, ``$QHOME/q``, then ``PATH``."""
    candidates: list[Path] = []
    if q_path is not None:
        candidates.append(Path(q_path))
    qhome = os.environ.get("QHOME")
    if qhome:
        for sub in ("l64", "l64arm", "m64", "w64", ""):
            candidates.append(Path(qhome) / sub / "q")
    found = shutil.which("q")
    if found:
        candidates.append(Path(found))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c.resolve()
    raise ConfigError(
        "no q binary found" + (f" at {q_path}" if q_path else "")
        + ": set QHOME (with l64/q inside), put q on PATH, or pass --q-path; or use --executor embedded"
    )


@dataclass(frozen=True)
class QBinaryExecutor:
    """A real ``q`` binary run as ``q script.q -q`` in a temp folder with limits."""

    q_path: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int | None = DEFAULT_MEMORY_MB
    name: str = "q"
    language: Literal["q", "python"] = "q"

    def prepare(self) -> None:
        find_q_binary(self.q_path)

    def run(self, script: str) -> RunResult:
        """Run a q script with the binary."""
        q = find_q_binary(self.q_path)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        for key in ("QHOME", "QLIC"):
            if key in os.environ:
                env[key] = os.environ[key]
        return run_subprocess(
            [str(q), "script.q", "-q"], files={"script.q": script}, timeout_s=self.timeout_s,
            memory_mb=self.memory_mb, env=env,
        )


@dataclass(frozen=True)
class PythonExecutor:
    """Python in isolated mode (``-I``) in a temp folder with limits, for ``q_to_python``."""

    python: str = sys.executable
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int | None = DEFAULT_MEMORY_MB
    name: str = "python"
    language: Literal["q", "python"] = "python"

    def prepare(self) -> None:
        return None

    def run(self, script: str) -> RunResult:
        """Run a Python script."""
        return run_subprocess(
            [self.python, "-I", "-B", "solution.py"], files={"solution.py": script},
            timeout_s=self.timeout_s, memory_mb=self.memory_mb,
        )


def make_executor(
    name: ExecutorName | Literal["python"],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    q_path: str | None = None,
) -> EmbeddedExecutor | QBinaryExecutor | PythonExecutor:
    """Build an executor by name (``embedded``, ``q`` or ``python``)."""
    if name == "embedded":
        return EmbeddedExecutor(timeout_s=timeout_s, memory_mb=memory_mb)
    if name == "q":
        return QBinaryExecutor(q_path=q_path, timeout_s=timeout_s, memory_mb=memory_mb)
    if name == "python":
        return PythonExecutor(timeout_s=timeout_s, memory_mb=memory_mb)
    from rdq.errors import did_you_mean

    raise ConfigError(f"unknown executor '{name}'{did_you_mean(str(name), ['embedded', 'q', 'python'])}")
