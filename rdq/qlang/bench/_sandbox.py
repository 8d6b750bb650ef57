"""Run untrusted code with a time limit and a memory limit, killed on timeout.

Two ways:

* :func:`run_forked` forks the current process (which has already imported the embedded q
  interpreter, so a run starts in about a millisecond), sets ``RLIMIT_AS`` in the child, runs a
  function there and gets its result back over a pipe.  The parent kills the child on timeout.
* :func:`run_subprocess` runs a program (a real ``q`` binary, an isolated ``python -I``) in its own
  temporary working folder with the same limits, stdin closed and a minimal environment.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["RunResult", "run_forked", "run_subprocess", "MAX_OUTPUT_BYTES"]

#: stdout/stderr beyond this many bytes are cut (a runaway printer cannot exhaust the parent)
MAX_OUTPUT_BYTES = 1 << 20


@dataclass(frozen=True)
class RunResult:
    """What one run produced.

    ``exit_code`` is None when the run was killed (timeout or crash without an exit status).
    """

    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool = False
    duration_s: float = 0.0


def _address_space_limit(memory_mb: int | None) -> int | None:
    if memory_mb is None:
        return None
    return int(memory_mb) * 1024 * 1024


def _set_limits(memory_bytes: int | None, cpu_s: float | None) -> None:
    if memory_bytes is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpu_s is not None:
        soft = max(1, int(cpu_s) + 1)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))


def _current_vm_bytes() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_forked(
    fn: Callable[[], tuple[str, str, int]],
    *,
    timeout_s: float,
    memory_mb: int | None,
) -> RunResult:
    """Run ``fn()`` in a forked child with limits; ``fn`` returns ``(stdout, stderr, exit_code)``.

    The child's address space is capped at ``memory_mb`` MiB *on top of* what the parent already
    maps when it forks (the interpreter and its imports), so the cap is what the run itself may
    allocate.  A child that overruns ``timeout_s`` is killed with SIGKILL.
    """
    limit = _address_space_limit(memory_mb)
    if limit is not None:
        limit += _current_vm_bytes()
    rfd, wfd = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(rfd)
            _set_limits(limit, timeout_s)
            try:
                out, err, rc = fn()
            except MemoryError:
                out, err, rc = "", "error: out of memory (wsfull)", 1
            except RecursionError:
                out, err, rc = "", "error: stack overflow", 1
            except SystemExit as exc:
                out, err, rc = "", "", int(exc.code or 0) if not isinstance(exc.code, str) else 1
            except BaseException as exc:  # noqa: BLE001 - report anything the run raised
                out, err, rc = "", f"error: {type(exc).__name__}: {exc}", 1
            payload = pickle.dumps((out[:MAX_OUTPUT_BYTES], err[:MAX_OUTPUT_BYTES], int(rc)))
            view = memoryview(payload)
            while view:
                n = os.write(wfd, view)
                view = view[n:]
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)
    os.close(wfd)
    chunks: list[bytes] = []
    deadline = start + timeout_s
    timed_out = False
    try:
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([rfd], [], [], left)
            if not ready:
                continue
            data = os.read(rfd, 1 << 16)
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(rfd)
    if timed_out:
        _kill(pid)
    _, status = os.waitpid(pid, 0)
    duration = time.perf_counter() - start
    if timed_out:
        return RunResult("", f"timeout after {timeout_s:g} s", None, True, duration)
    try:
        out, err, rc = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - the child died before reporting
        cpu_kill = os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)
        reason = "killed by CPU limit" if cpu_kill else f"worker died (status {status})"
        return RunResult("", f"error: {reason}", None, cpu_kill, duration)
    return RunResult(out, err, rc, False, duration)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_subprocess(
    argv: Sequence[str],
    *,
    files: dict[str, str],
    timeout_s: float,
    memory_mb: int | None,
    env: dict[str, str] | None = None,
) -> RunResult:
    """Run ``argv`` in a fresh temporary working folder holding ``files`` (name -> text).

    stdin is closed, the environment is ``env`` (default: just ``PATH``/``HOME``/``LANG`` pointing
    into the temp folder), the child gets ``RLIMIT_AS`` = ``memory_mb`` MiB and its own process
    group, which is killed as a whole on timeout.
    """
    limit = _address_space_limit(memory_mb)
    with tempfile.TemporaryDirectory(prefix="rdq-qbench-") as tmp:
        for name, text in files.items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as fh:
                fh.write(text)
        run_env = env if env is not None else {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "LANG": "C.UTF-8",
        }
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            cwd=tmp,
            env=run_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=lambda: _set_limits(limit, timeout_s),
            start_new_session=True,
        )
        try:
            out_b, err_b = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            return RunResult("", f"timeout after {timeout_s:g} s", None, True, time.perf_counter() - start)
        duration = time.perf_counter() - start
    out = out_b[:MAX_OUTPUT_BYTES].decode("utf-8", errors="replace")
    err = err_b[:MAX_OUTPUT_BYTES].decode("utf-8", errors="replace")
    rc: Any = proc.returncode
    return RunResult(out, err, rc, False, duration)
