"""Atomic file writes (temporary file in the same folder, then rename)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from rdq import _files
from rdq.errors import ConfigError

__all__ = ["atomic_write", "write_panel_file"]


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _files.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_panel_file(panel: pl.DataFrame, out: Path) -> Path:
    """Write ``panel`` atomically as Parquet (``.parquet``/``.pq``) or CSV (``.csv``)."""
    suffix = out.suffix.lower()
    if suffix in (".parquet", ".pq"):
        atomic_write(out, lambda t: panel.write_parquet(t))
    elif suffix == ".csv":
        atomic_write(out, lambda t: panel.write_csv(t))
    else:
        raise ConfigError(f"cannot write {out.name}: use a .parquet or .csv path")
    return out
