"""Stage outputs cached in a run folder, keyed by a hash of (config section, upstream fingerprint).

``<run_dir>/stages/<stage>-<key>.parquet`` holds a stage's frame and ``<stage>-<key>.json`` its
metadata; both are written atomically (temp file + rename), the JSON last, so a stage counts as
finished only when its JSON exists. A killed run therefore resumes at the first unfinished stage.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import polars as pl

from rdq import _files

__all__ = ["StageCache", "atomic_write_text", "atomic_write_parquet"]


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temp file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _files.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_parquet(path: Path, frame: pl.DataFrame) -> Path:
    """Write ``frame`` to ``path`` as Parquet via a temp file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _files.mkstemp(prefix=f".{path.name}-", suffix=".parquet", dir=path.parent)
    os.close(fd)
    try:
        frame.write_parquet(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class StageCache:
    """Finished stages of one run folder.

    Parameters
    ----------
    run_dir:
        The run folder; stages go to ``run_dir / "stages"``.
    enabled:
        ``False`` ignores what is cached (everything is recomputed, and written again).
    """

    def __init__(self, run_dir: Path, *, enabled: bool = True) -> None:
        self.dir = run_dir / "stages"
        self.enabled = enabled

    def frame_path(self, stage: str, key: str) -> Path:
        """Where the stage's frame is (or will be) cached."""
        return self._paths(stage, key)[0]

    def _paths(self, stage: str, key: str) -> tuple[Path, Path]:
        return self.dir / f"{stage}-{key}.parquet", self.dir / f"{stage}-{key}.json"

    def load(self, stage: str, key: str) -> tuple[pl.DataFrame, dict[str, Any]] | None:
        """The cached frame and metadata of ``stage`` under ``key``, or ``None`` when not finished."""
        frame_path, meta_path = self._paths(stage, key)
        if not (self.enabled and meta_path.is_file() and frame_path.is_file()):
            return None
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
        return pl.read_parquet(frame_path), meta

    def save(self, stage: str, key: str, frame: pl.DataFrame, meta: dict[str, Any]) -> Path:
        """Store a finished stage (frame first, then the metadata that marks it finished)."""
        frame_path, meta_path = self._paths(stage, key)
        atomic_write_parquet(frame_path, frame)
        atomic_write_text(
            meta_path, json.dumps({"stage": stage, "key": key, **meta}, sort_keys=True, default=str)
        )
        return frame_path
