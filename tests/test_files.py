"""Files rdq writes get the user's umask (``0o666 & ~umask``), not ``mkstemp``'s ``0600``."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from rdq import _files


@pytest.fixture()
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def panel() -> pl.DataFrame:
    days = [dt.date(2021, 1, 4) + dt.timedelta(days=i) for i in range(5)]
    return pl.DataFrame(
        {"date": days * 2, "asset": ["A"] * 5 + ["B"] * 5, "open": [10.0] * 10, "high": [11.0] * 10,
         "low": [9.0] * 10, "close": [10.5] * 10, "volume": [1e4] * 10}
    )


def test_mkstemp_and_mkdtemp_follow_the_umask(tmp_path: Path, umask_022: None) -> None:
    fd, name = _files.mkstemp(dir=tmp_path, prefix=".x-", suffix=".tmp")
    os.close(fd)
    assert mode(Path(name)) == 0o644 and Path(name).name.startswith(".x-") and name.endswith(".tmp")
    assert mode(Path(_files.mkdtemp(dir=tmp_path, prefix=".d-"))) == 0o755
    assert _files.new_file_mode() == 0o644
    os.umask(0o077)
    fd, name = _files.mkstemp(dir=tmp_path)
    os.close(fd)
    assert mode(Path(name)) == 0o600 and _files.new_file_mode() == 0o600
    # names never collide
    names = set()
    for _ in range(50):
        fd, name = _files.mkstemp(dir=tmp_path)
        os.close(fd)
        names.add(name)
    assert len(names) == 50


def test_every_atomic_writer_gives_0644(tmp_path: Path, umask_022: None) -> None:
    from rdq.data._io import write_panel_file
    from rdq.data.qlib_bin import write_qlib_dir
    from rdq.pipeline._cache import atomic_write_parquet, atomic_write_text
    from rdq.qlang.bench._io import atomic_write_text as bench_write_text

    p = panel()
    write_panel_file(p, tmp_path / "p.parquet")
    write_panel_file(p, tmp_path / "p.csv")
    atomic_write_text(tmp_path / "t.json", "{}")
    atomic_write_parquet(tmp_path / "f.parquet", p)
    bench_write_text(tmp_path / "b.txt", "x")
    for name in ("p.parquet", "p.csv", "t.json", "f.parquet", "b.txt"):
        assert mode(tmp_path / name) == 0o644, name
    target = write_qlib_dir(p, tmp_path / "qlib")
    assert mode(Path(target)) == 0o755
    assert all(mode(f) == 0o644 for f in Path(target).rglob("*") if f.is_file())
    assert all(mode(f) == 0o755 for f in Path(target).rglob("*") if f.is_dir())


def test_cli_outputs_give_0644(tmp_path: Path, umask_022: None) -> None:
    from typer.testing import CliRunner

    from rdq.cli import app

    p = panel()
    p.write_parquet(tmp_path / "p.parquet")
    out = tmp_path / "f.parquet"
    res = CliRunner().invoke(
        app, ["factors", "compute", "--data", str(tmp_path / "p.parquet"), "--expr", "m=$close", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert mode(out) == 0o644
    scores = p.select("date", "asset").with_columns(score=pl.Series([float(i % 3) for i in range(10)]))
    scores.write_parquet(tmp_path / "s.parquet")
    rec = tmp_path / "r.parquet"
    res = CliRunner().invoke(
        app,
        ["backtest", "--data", str(tmp_path / "p.parquet"), "--scores", str(tmp_path / "s.parquet"), "--topk", "1",
         "--n-drop", "1", "--trade-unit", "0", "--out", str(rec)],
    )
    assert res.exit_code == 0, res.output
    assert mode(rec) == 0o644
