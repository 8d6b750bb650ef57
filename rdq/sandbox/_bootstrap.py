"""The child side of :mod:`rdq.sandbox`: a standalone script (stdlib + numpy/polars/torch, never rdq).

The parent copies this file into the run's private directory and starts it as
``python -I boot.py cfg.json``.  It

1. reads ``cfg.json`` (what to run, the allowed modules, the directories it may read);
2. imports the libraries the run needs (polars, numpy; torch for a model) and reads the panel copy;
3. installs an audit hook (:func:`sys.addaudithook`, cannot be removed) and an ``__import__`` guard;
4. runs the user's file and its task (``boot_tasks.py``, :mod:`rdq.sandbox._bootstrap_tasks`: a factor,
   a model check or a model fit), which writes the result into the directory;
5. reports one JSON line ``{"status": ..., "reason": ...}`` on the status pipe and exits.

A refused action writes ``{"status": "blocked", ...}`` on the pipe and ends the process at once
(``os._exit(3)``): user code cannot catch the refusal and carry on.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import sys
import traceback
from typing import Any

BLOCKED_EXIT = 3
USER_MODULE = "__rdq_user__"
USER_FILE = "user_code.py"
TASKS_FILE = "boot_tasks.py"

_cfg: dict[str, Any] = {}
_status_fd = -1
_dir = ""
_read_roots: tuple[str, ...] = ()
_allowed: frozenset[str] = frozenset()
_hook_on = False

# events refused outright once user code runs (prefix match)
_DENY_PREFIXES = (
    "socket.",
    "ssl.",
    "http.",
    "urllib.",
    "ftplib.",
    "smtplib.",
    "poplib.",
    "imaplib.",
    "nntplib.",
    "telnetlib.",
    "webbrowser.",
    "ctypes.",
    "subprocess.",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "os.startfile",
    "os.killpg",
    "os.symlink",
    "os.link",
    "os.setxattr",
    "os.removexattr",
    "os.mknod",
    "os.mkfifo",
    "pty.spawn",
    "signal.pthread_kill",
    "resource.setrlimit",
    "resource.prlimit",
    "gc.get_objects",
    "gc.get_referrers",
    "gc.get_referents",
    "sys._current_frames",
    "code.__new__",
    "sys.remote_exec",
)
_WHY = {
    "socket.": "network access (socket)",
    "ssl.": "network access (ssl)",
    "http.": "network access (http)",
    "urllib.": "network access (urllib)",
    "ctypes.": "ctypes (raw memory / C calls)",
    "subprocess.": "starting a subprocess",
    "os.system": "os.system (a shell command)",
    "os.exec": "os.exec* (replacing the process)",
    "os.posix_spawn": "spawning a process",
    "os.spawn": "spawning a process",
    "os.fork": "os.fork (a new process)",
    "os.forkpty": "os.forkpty (a new process)",
    "os.symlink": "creating a symbolic link",
    "os.link": "creating a hard link",
    "os.killpg": "signalling a process group",
    "resource.": "changing resource limits",
    "gc.get_": "walking the interpreter's objects (gc)",
    "code.__new__": "building raw code objects",
}
# events that modify a path: (event, indexes of path arguments)
_WRITE_EVENTS = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.chflags": (0,),
    "os.lchmod": (0,),
    "os.lchown": (0,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "shutil.copyfile": (1,),
    "shutil.copymode": (1,),
    "shutil.copystat": (1,),
    "shutil.chown": (0,),
}
_READ_EVENTS = {"os.listdir": (0,), "os.scandir": (0,), "shutil.copyfile": (0,), "os.chdir": (0,)}
#: modules that read or write files in C/C++ where the audit hook cannot see the path
_NO_IMPORT_ANYWHERE = (
    "pyarrow.parquet",
    "pyarrow.dataset",
    "pyarrow._parquet",
    "pyarrow.csv",
    "pyarrow.feather",
    "pyarrow.orc",
    "pyarrow.json",
    "pyarrow.fs",
    "pyarrow._fs",
    "fastparquet",
    "duckdb",
    "sqlite3",
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _report(payload: dict[str, Any]) -> None:
    try:
        os.write(_status_fd, (json.dumps(payload) + "\n").encode("utf-8"))
    except OSError:
        pass


def _block(reason: str) -> None:
    """Report a refusal and end the process now (no handler in user code runs)."""
    _report({"status": "blocked", "reason": "blocked: " + reason + _user_line()})
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass
    os._exit(BLOCKED_EXIT)


def _user_line() -> str:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.endswith(USER_FILE):
            return f" (line {frame.f_lineno})"
        frame = frame.f_back  # type: ignore[assignment]
    return ""


def _from_user() -> bool:
    """Whether the innermost frame outside the import machinery belongs to the user's file."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<frozen importlib") or name.endswith(
            os.sep + "importlib" + os.sep + "__init__.py"
        ):
            frame = frame.f_back  # type: ignore[assignment]
            continue
        if name == __file__:
            frame = frame.f_back  # type: ignore[assignment]
            continue
        return frame.f_globals.get("__name__") == USER_MODULE or name.endswith(USER_FILE)
    return False


def _resolve(path: Any, dir_fd: Any = None) -> str | None:
    """Absolute real path of an event's path argument; None for an already open descriptor."""
    if path is None or isinstance(path, int):
        return None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    path = os.fspath(path)
    if not os.path.isabs(path):
        base = os.getcwd()
        if isinstance(dir_fd, int) and dir_fd >= 0:
            try:
                base = os.readlink(f"/proc/self/fd/{dir_fd}")
            except OSError:
                return "/<unknown dir_fd>/" + path
        path = os.path.join(base, path)
    return os.path.realpath(path)


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _check_write(path: Any, what: str, dir_fd: Any = None) -> None:
    real = _resolve(path, dir_fd)
    if real is not None and not _inside(real, (_dir,)):
        _block(f"{what} outside the sandbox directory: {real!r}")


def _check_read(path: Any, what: str, dir_fd: Any = None) -> None:
    real = _resolve(path, dir_fd)
    if real is not None and not _inside(real, _read_roots):
        _block(f"{what} outside the sandbox directory and the Python installation: {real!r}")


def _guard_polars_io() -> None:
    """Check the path of polars' readers and writers (Rust I/O the audit hook does not see)."""
    import functools

    import polars as pl

    def wrap(fn: Any, check: Any, what: str, at: int) -> Any:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            target = (
                args[at] if len(args) > at else kwargs.get("source", kwargs.get("file", kwargs.get("path")))
            )
            for t in target if isinstance(target, (list, tuple)) else [target]:
                if isinstance(t, (str, bytes, os.PathLike)):
                    check(t, what)
            return fn(*args, **kwargs)

        return guarded

    for name in dir(pl):
        if name.startswith(("read_", "scan_")) and callable(getattr(pl, name)):
            setattr(pl, name, wrap(getattr(pl, name), _check_read, f"polars.{name}", 0))
    for cls in (pl.DataFrame, pl.LazyFrame):
        for name in dir(cls):
            if name.startswith(("write_", "sink_")) and callable(getattr(cls, name)):
                setattr(cls, name, wrap(getattr(cls, name), _check_write, f"{cls.__name__}.{name}", 1))


def _neuter_fork_exec() -> None:
    """``_posixsubprocess.fork_exec`` starts a process without an audit event: replace it."""
    try:
        import _posixsubprocess  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - not POSIX
        return

    def fork_exec(*_args: Any, **_kwargs: Any) -> Any:
        _block("starting a process (_posixsubprocess.fork_exec) is not allowed")

    _posixsubprocess.fork_exec = fork_exec


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _hook_on:
        return
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, 0))[:3]
        writing = bool((flags or 0) & _WRITE_FLAGS) or (
            isinstance(mode, str) and any(c in mode for c in "wax+")
        )
        if writing:
            _check_write(path, "opening a file for writing")
        else:
            _check_read(path, "reading a file")
        return
    if event == "import":
        name = str(args[0]) if args else ""
        if name.startswith(_NO_IMPORT_ANYWHERE):
            _block(f"import of {name!r} (file I/O outside Python's open) is not allowed")
        if _from_user() and name.split(".")[0] not in _allowed:
            _block(f"import of {name!r} is not allowed")
        return
    if event == "os.kill":
        if not args or args[0] != os.getpid():
            _block("sending a signal to another process")
        return
    for prefix in _DENY_PREFIXES:
        if event.startswith(prefix):
            why = next((w for p, w in _WHY.items() if event.startswith(p)), event)
            _block(f"{why} is not allowed (audit event {event!r})")
    idx = _WRITE_EVENTS.get(event)
    if idx is not None:
        dir_fd = args[-1] if event.startswith("os.") and args and isinstance(args[-1], int) else None
        for i in idx:
            if i < len(args):
                _check_write(args[i], f"{event}", dir_fd if i == 0 else None)
    idx = _READ_EVENTS.get(event)
    if idx is not None:
        for i in idx:
            if i < len(args):
                _check_read(args[i], f"{event}")


_real_import = builtins.__import__


def _guarded_import(
    name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
) -> Any:
    if globals is None:
        globals = sys._getframe(1).f_globals
    if _hook_on and level == 0 and isinstance(globals, dict) and globals.get("__name__") == USER_MODULE:
        if name.split(".")[0] not in _allowed:
            _block(f"import of {name!r} is not allowed")
    return _real_import(name, globals, locals, fromlist, level)


def _tail(exc: BaseException) -> tuple[str, int | None]:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(USER_FILE)]
    last = f"{type(exc).__name__}: {exc}"
    if not frames:
        return last, None
    f = frames[-1]
    return f'File "{USER_FILE}", line {f.lineno}, in {f.name}\n    {(f.line or "").strip()}\n{last}', f.lineno


def _finish(payload: dict[str, Any], code: int) -> None:
    _report(payload)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass
    os._exit(code)


def _user_failure(exc: BaseException) -> None:
    tail, line = _tail(exc)
    where = f" (line {line})" if line else ""
    if isinstance(exc, MemoryError):
        _finish(
            {
                "status": "killed",
                "reason": f"killed: memory limit ({_cfg['memory_mb']} MiB){where}",
                "traceback_tail": tail,
            },
            1,
        )
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        _finish(
            {
                "status": "killed",
                "reason": f"killed: file-size limit ({_cfg['file_mb']} MiB per file){where}",
                "traceback_tail": tail,
            },
            1,
        )
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        _finish(
            {
                "status": "killed",
                "reason": f"killed: the sandbox directory is full{where}",
                "traceback_tail": tail,
            },
            1,
        )
    msg = str(exc).splitlines()[0] if str(exc) else ""
    _finish(
        {"status": "error", "reason": f"error: {type(exc).__name__}: {msg}{where}", "traceback_tail": tail}, 1
    )


def _load_tasks() -> Any:
    """``boot_tasks.py`` (:mod:`rdq.sandbox._bootstrap_tasks`) from the run's directory, bound to this module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("__rdq_boot_tasks__", os.path.join(_dir, TASKS_FILE))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.bind(sys.modules[__name__])
    return mod


def main() -> None:
    global _cfg, _status_fd, _dir, _read_roots, _allowed, _hook_on
    with open(sys.argv[1], encoding="utf-8") as fh:
        _cfg = json.load(fh)
    _status_fd = int(_cfg["status_fd"])
    _dir = os.path.realpath(_cfg["dir"])
    os.chdir(_dir)
    roots = [os.path.realpath(r) for r in _cfg["read_roots"]]
    _read_roots = tuple([_dir, *roots])
    _allowed = frozenset(_cfg["allowed"])
    # nothing importable from outside the Python installation (an editable rdq checkout, the cwd)
    sys.path[:] = [p for p in sys.path if p and _inside(os.path.realpath(p), tuple(roots))]
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path_hooks[:] = [h for h in sys.path_hooks if "editable" not in repr(h).lower()]
    sys.path_importer_cache.clear()
    for name in _cfg.get("pre_imports", []):
        __import__(name)
    tasks = _load_tasks()
    with open(os.path.join(_dir, USER_FILE), encoding="utf-8") as fh:
        source = fh.read()
    try:
        code = compile(source, os.path.join(_dir, USER_FILE), "exec")
    except SyntaxError as exc:
        _finish(
            {
                "status": "error",
                "reason": f"error: syntax error: {exc.msg} (line {exc.lineno})",
                "traceback_tail": f"line {exc.lineno}: {(exc.text or '').strip()}\nSyntaxError: {exc.msg}",
            },
            1,
        )
    ns: dict[str, Any] = {
        "__name__": USER_MODULE,
        "__file__": os.path.join(_dir, USER_FILE),
        "__builtins__": builtins,
    }
    if "polars" in sys.modules:
        _guard_polars_io()
    _neuter_fork_exec()
    sys.addaudithook(_hook)
    builtins.__import__ = _guarded_import
    _hook_on = True
    try:
        exec(code, ns)  # noqa: S102 - the point of the sandbox
    except BaseException as exc:  # noqa: BLE001
        _user_failure(exc)
    if _cfg["kind"] == "model":
        tasks._run_model(ns)
    elif _cfg["kind"] == "fit":
        tasks._run_fit(ns)
    else:
        tasks._run_factor(ns)


if __name__ == "__main__":
    main()
