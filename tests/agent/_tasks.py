"""Module-level tasks for the executor tests (a spawned worker imports them by name)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any


def add(shared: int, item: int) -> int:
    return shared + item


def pid(shared: Any, item: int) -> int:
    return os.getpid()


def misbehave(shared: Any, item: str) -> str:
    if item == "raise":
        raise ValueError("bad candidate")
    if item == "hang":
        time.sleep(60)
    if item == "eat":
        blocks = []
        for _ in range(200):
            blocks.append(bytearray(10 * 2**20))  # touched pages: 10 MB each
            time.sleep(0.005)
        return str(len(blocks))
    if item == "exit":
        os._exit(3)
    if item == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if item == "unpicklable":
        return lambda: 0  # type: ignore[return-value]
    return item.upper()
