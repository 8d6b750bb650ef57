"""Start the bootstrap in a fresh directory under the limits, watch it, and map how it ended.

The parent side of a run: writes the files, starts ``python -I boot.py cfg.json`` (wrapped in
bwrap / unshare where they work) with rlimits set in ``preexec_fn``, a new session, a scrubbed
environment and a status pipe; reads stdout/stderr with a cap; polls the directory's size; kills
the process group on the wall-clock limit; turns the exit into a :class:`SandboxResult`.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdq.sandbox._layers import Isolation, layers_for, os_level, python_roots, wrap_command
from rdq.sandbox._types import Limits, SandboxResult

__all__ = ["run_child", "USER_FILE"]

USER_FILE = "user_code.py"
_BOOT = Path(__file__).with_name("_bootstrap.py")
_TASKS = Path(__file__).with_name("_bootstrap_tasks.py")
_BLOCKED_EXIT = 3
_READ_EXTRA = (
    "/usr/share/zoneinfo",
    "/proc/self",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/dev/null",
    "/dev/urandom",
)


def _preexec(limits: Limits) -> Callable[[], None]:
    import resource

    def setup() -> None:
        mem = limits.memory_mb * 1024 * 1024
        cpu = max(1, int(limits.cpu_s + 0.999))
        fsize = limits.file_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return setup


def _env(workdir: str) -> dict[str, str]:
    """Only PATH, LANG, HOME and TMPDIR (both the run's directory): no keys or tokens."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": workdir,
        "TMPDIR": workdir,
        "OMP_NUM_THREADS": "1",
        "POLARS_MAX_THREADS": "2",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }


def _dir_bytes(path: str) -> int:
    total = 0
    stack = [path]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        else:
                            st = entry.stat(follow_symlinks=False)
                            total += max(st.st_size if st.st_blocks else 0, st.st_blocks * 512)
                    except OSError:
                        continue
        except OSError:
            continue
    return total


def _signal_reason(sig: int, limits: Limits) -> str:
    if sig == signal.SIGXCPU:
        return f"killed: CPU limit ({limits.cpu_s:g} s of CPU time)"
    if sig == signal.SIGXFSZ:
        return f"killed: file-size limit ({limits.file_mb} MiB per file)"
    if sig in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
        return (
            f"killed: crashed with {signal.Signals(sig).name} (most often the memory limit, "
            f"{limits.memory_mb} MiB of address space)"
        )
    if sig == signal.SIGKILL:
        return f"killed: SIGKILL (the CPU limit, {limits.cpu_s:g} s, or the system's out-of-memory killer)"
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = f"signal {sig}"
    return f"killed: by {name}"


def run_child(
    *,
    kind: str,
    source: str,
    files: dict[str, bytes],
    config: dict[str, Any],
    limits: Limits,
    isolation: Isolation = "auto",
    pre_imports: tuple[str, ...] = ("numpy", "polars"),
    allowed: frozenset[str] = frozenset(),
    on_ok: Callable[[Path], None] | None = None,
) -> tuple[SandboxResult, dict[str, Any]]:
    """Run the bootstrap on ``source`` in a new temporary directory; return the result and its status line.

    ``files`` (name -> bytes) are written into the directory first (the panel copy); ``on_ok``
    is called with the directory before it is deleted when the child reported ``ok``.
    """
    level = os_level(isolation)
    layers = layers_for(level)
    workdir = os.path.realpath(tempfile.mkdtemp(prefix="rdq-sandbox-"))
    try:
        return _run_in(
            workdir, kind, source, files, config, limits, level, layers, pre_imports, allowed, on_ok
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_in(
    workdir: str,
    kind: str,
    source: str,
    files: dict[str, bytes],
    config: dict[str, Any],
    limits: Limits,
    level: Any,
    layers: tuple[str, ...],
    pre_imports: tuple[str, ...],
    allowed: frozenset[str],
    on_ok: Callable[[Path], None] | None,
) -> tuple[SandboxResult, dict[str, Any]]:
    os.chmod(workdir, 0o700)
    for name, data in files.items():
        Path(workdir, name).write_bytes(data)
    Path(workdir, USER_FILE).write_text(source, encoding="utf-8")
    Path(workdir, "boot.py").write_text(_BOOT.read_text(encoding="utf-8"), encoding="utf-8")
    Path(workdir, "boot_tasks.py").write_text(_TASKS.read_text(encoding="utf-8"), encoding="utf-8")
    rfd, wfd = os.pipe()
    cfg = {
        "kind": kind,
        "dir": workdir,
        "status_fd": wfd,
        "allowed": sorted(allowed),
        "read_roots": [*python_roots(), *_READ_EXTRA],
        "pre_imports": list(pre_imports),
        "memory_mb": limits.memory_mb,
        "file_mb": limits.file_mb,
        **config,
    }
    Path(workdir, "cfg.json").write_text(json.dumps(cfg), encoding="utf-8")
    argv = wrap_command(
        level, [sys.executable, "-I", "-B", os.path.join(workdir, "boot.py"), "cfg.json"], workdir
    )
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=workdir,
            env=_env(workdir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(wfd,),
            preexec_fn=_preexec(limits),
            start_new_session=True,
        )
    finally:
        os.close(wfd)
    cap = limits.output_kb * 1024
    bufs: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray(), "status": bytearray()}
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
    sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
    status_pipe = os.fdopen(rfd, "rb", buffering=0)
    sel.register(status_pipe, selectors.EVENT_READ, "status")
    deadline = start + limits.wall_s
    verdict: tuple[str, str] | None = None
    next_size_check = 0.0
    try:
        while sel.get_map():
            now = time.perf_counter()
            if now >= deadline:
                verdict = ("timeout", f"timeout: still running after {limits.wall_s:g} s (wall clock)")
                break
            if now >= next_size_check:
                used = _dir_bytes(workdir)
                if used > limits.file_mb * 1024 * 1024:
                    verdict = (
                        "killed",
                        f"killed: disk limit (its directory holds {used / 2**20:.0f} MiB > {limits.file_mb} MiB)",
                    )
                    break
                next_size_check = now + 0.2
            for key, _ in sel.select(timeout=min(0.2, max(0.0, deadline - now))):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                buf = bufs[key.data]
                buf += chunk
                if key.data != "status" and len(buf) > cap:
                    del buf[cap:]
                    verdict = (
                        "killed",
                        f"killed: output limit (more than {limits.output_kb} KiB on {key.data})",
                    )
                    break
                if key.data == "status" and b'"status": "blocked"' in buf:
                    sel.unregister(key.fileobj)
            if verdict:
                break
        if verdict is None:
            left = max(0.1, deadline - time.perf_counter())
            try:
                proc.wait(timeout=left)
            except subprocess.TimeoutExpired:
                verdict = ("timeout", f"timeout: still running after {limits.wall_s:g} s (wall clock)")
    finally:
        _kill_group(proc)
        sel.close()
        status_pipe.close()
        proc.stdout.close()
        proc.stderr.close()
    seconds = time.perf_counter() - start
    out = bufs["stdout"].decode("utf-8", errors="replace")
    err = bufs["stderr"].decode("utf-8", errors="replace")
    line = _status_line(bytes(bufs["status"]))

    def result(status: str, reason: str, tail: str = "") -> SandboxResult:
        return SandboxResult(status, reason, out, err, seconds, layers, tail)  # type: ignore[arg-type]

    if verdict is not None and line.get("status") != "blocked":
        return result(*verdict), line
    rc = proc.returncode
    if line.get("status") == "blocked":
        return result("blocked", str(line.get("reason", "blocked")), ""), line
    if rc is not None and rc < 0:
        return result("killed", _signal_reason(-rc, limits)), line
    if level == "bwrap" and rc is not None and rc > 128 and not line:
        return result("killed", _signal_reason(rc - 128, limits)), line
    if rc == _BLOCKED_EXIT and not line:
        return result("blocked", "blocked: the audit hook refused an action (its report was lost)"), line
    if not line:
        last = err.strip().splitlines()[-1:] or ["(no output)"]
        return result(
            "error", f"error: the sandboxed process exited with code {rc} without a result: {last[0]}"
        ), line
    status = str(line.get("status"))
    if status == "ok" and rc != 0:
        return result("error", f"error: the sandboxed process reported ok but exited with code {rc}"), line
    if status == "ok" and on_ok is not None:
        on_ok(Path(workdir))
    return result(status, str(line.get("reason", status)), str(line.get("traceback_tail", ""))), line


def _status_line(raw: bytes) -> dict[str, Any]:
    """The run's verdict: the first ``blocked`` line if any, else the last JSON line."""
    lines = []
    for text in raw.decode("utf-8", errors="replace").splitlines():
        try:
            item = json.loads(text)
        except ValueError:
            continue
        if isinstance(item, dict) and item.get("status") in ("ok", "blocked", "error", "timeout", "killed"):
            lines.append(item)
    for item in lines:
        if item["status"] == "blocked":
            return item
    return lines[-1] if lines else {}


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - unkillable
        pass
