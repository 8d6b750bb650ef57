"""Stage cache: a stage counts as finished only when its metadata was written; writes are atomic."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from rdq.pipeline import StageCache
from rdq.pipeline._cache import atomic_write_parquet, atomic_write_text


def test_roundtrip_and_keys(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    frame = pl.DataFrame({"a": [1.0, 2.0]})
    assert cache.load("model", "k1") is None
    cache.save("model", "k1", frame, {"rows": 2})
    hit = cache.load("model", "k1")
    assert hit is not None and hit[0].equals(frame) and hit[1]["rows"] == 2 and hit[1]["key"] == "k1"
    assert cache.load("model", "k2") is None  # another key: not finished
    assert StageCache(tmp_path, enabled=False).load("model", "k1") is None


def test_frame_without_metadata_is_not_finished(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    atomic_write_parquet(tmp_path / "stages" / "data-k.parquet", pl.DataFrame({"a": [1]}))
    assert cache.load("data", "k") is None


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    class Bad(pl.DataFrame):
        def write_parquet(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
            raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write_parquet(tmp_path / "x.parquet", Bad({"a": [1]}))
    assert list(tmp_path.iterdir()) == []
    atomic_write_text(tmp_path / "t.json", "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]
