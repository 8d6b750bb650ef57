"""The real ``rdq`` command line in a fresh process, for the loop's end-to-end tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ENTRY = "from rdq.cli import main; main()"


def rdq(*args: str | Path, cwd: Path | None = None, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``rdq ARGS`` (after the Python ``prelude``, e.g. a fault injection) and wait for it."""
    return subprocess.run(
        [sys.executable, "-c", prelude + "\n" + ENTRY, *map(str, args)],
        capture_output=True, text=True, check=False, cwd=cwd,
    )  # fmt: skip


def rdq_popen(*args: str | Path, log: Path) -> subprocess.Popen[bytes]:
    """Start ``rdq ARGS`` in the background, stdout and stderr to ``log``."""
    fh = open(log, "wb")  # noqa: SIM115 - closed when the process is reaped by the caller's test
    return subprocess.Popen([sys.executable, "-c", ENTRY, *map(str, args)], stdout=fh, stderr=subprocess.STDOUT)
