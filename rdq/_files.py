"""Temporary files for atomic writes that get the user's umask.

:func:`tempfile.mkstemp` creates files with mode ``0600`` whatever the umask, so a file written to a
temporary path and renamed onto its target (the atomic-write pattern every writer of rdq uses) ends
up unreadable to the user's group.  :func:`mkstemp` and :func:`mkdtemp` here create the temporary
file (folder) with ``0o666`` (``0o777``) and let the kernel apply the umask, exactly as ``open`` and
``mkdir`` do for a new file.
"""

from __future__ import annotations

import os
import secrets

__all__ = ["mkstemp", "mkdtemp", "new_file_mode"]

_TRIES = 100


def mkstemp(*, dir: str | os.PathLike[str], prefix: str = "tmp", suffix: str = "") -> tuple[int, str]:
    """Create a new file ``dir/prefix<random>suffix`` opened for writing; return ``(fd, path)``.

    Like :func:`tempfile.mkstemp` (exclusive creation, the caller closes ``fd``), but the mode is
    ``0o666`` minus the umask (``0o644`` under the usual umask ``022``).
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(_TRIES):
        path = os.path.join(os.fspath(dir), f"{prefix}{secrets.token_hex(6)}{suffix}")
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {os.fspath(dir)} after {_TRIES} tries")


def mkdtemp(*, dir: str | os.PathLike[str], prefix: str = "tmp") -> str:
    """Create a new folder ``dir/prefix<random>`` with mode ``0o777`` minus the umask; return its path."""
    for _ in range(_TRIES):
        path = os.path.join(os.fspath(dir), f"{prefix}{secrets.token_hex(6)}")
        try:
            os.mkdir(path, 0o777)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free temporary name in {os.fspath(dir)} after {_TRIES} tries")


def new_file_mode() -> int:
    """The mode a new file gets from ``open``: ``0o666 & ~umask`` (reads the umask without changing it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: read it by setting it (briefly), then put it back
    os.umask(mask)
    return 0o666 & ~mask
