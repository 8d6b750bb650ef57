"""Short-lived DuckDB connections that wait for the file lock instead of failing.

DuckDB lets one process hold a database file for writing and then nobody else may open it; several
processes may hold it read-only at once.  rdq never keeps a connection open: every read opens the file
read-only, queries and closes; every write opens it read-write, runs one transaction and closes.  An
open that meets a lock held by another process is retried with exponential backoff (and jitter) until
``timeout_s``, then :class:`StoreBusyError` is raised.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from rdq.errors import RdqError

__all__ = ["StoreError", "StoreBusyError", "connect", "is_lock_error"]

log = logging.getLogger(__name__)


class StoreError(RdqError):
    """The store cannot do what was asked (bad reference, newer schema, ...); says what to do."""


class StoreBusyError(StoreError):
    """The database file stayed locked by another process for longer than the timeout."""


def is_lock_error(exc: BaseException) -> bool:
    """True for DuckDB's "file is locked by another process / opened differently here" errors."""
    if not isinstance(exc, duckdb.Error):
        return False
    text = str(exc)
    return ("lock" in text.lower() and "Conflicting" in text) or "different configuration" in text


@contextlib.contextmanager
def connect(path: Path, *, read_only: bool, timeout_s: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open ``path``, retrying while another process holds the lock; close on exit.

    Raises
    ------
    StoreBusyError
        The lock was not released within ``timeout_s`` seconds.
    """
    deadline = time.monotonic() + timeout_s
    delay = 0.002
    attempts = 0
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.Error as exc:
            if not is_lock_error(exc):
                raise StoreError(f"cannot open store {path}: {exc}") from None
            attempts += 1
            if time.monotonic() >= deadline:
                raise StoreBusyError(
                    f"store {path} stayed locked for {timeout_s:.0f}s ({attempts} attempts): {exc}\n"
                    "  fix: wait for the other rdq process to finish, or raise Store(..., timeout_s=...)"
                ) from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)
    if attempts:
        log.debug("opened %s after %d lock retries", path, attempts)
    try:
        yield con
    finally:
        con.close()
