"""``compute_to_parquet``: chunks of assets streamed to Parquet equal ``compute`` on the whole panel.

The reference is :func:`rdq.factors.compute` on the whole panel (itself checked against qlib in
``test_qlib_parity.py``): the file must hold the same frame -- rows in the same order, same columns
in the same order, same dtypes, bit-identical values and the same missing positions -- for every
chunk size, on a panel whose assets have different lengths, gaps, NaNs and a calendar day that only
one asset trades (a chunk without that asset must still count it as a day).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from rdq.errors import ConfigError
from rdq.factors import (
    _stream,
    asset_chunks,
    compute,
    compute_to_parquet,
    load_library,
    register_factor,
    unregister_factor,
)
from rdq.factors._parser import parse
from rdq.factors._stream import needs_whole_panel

from .conftest import random_walk_panel

#: time-series operators Alpha158 does not use, and element-wise ones
EXTRA = {
    "ema": "EMA($close, 10)",
    "wma": "WMA($close, 7)",
    "skew": "Skew($close/Ref($close, 1), 12)",
    "kurt": "Kurt($volume, 15)",
    "med": "Med($high - $low, 9)",
    "mad": "Mad($close, 11)",
    "cov": "Cov($close, $volume, 8)",
    "count": "Count($close > Ref($close, 1), 6)",
    "delta": "Delta($open, 3)",
    "var": "Var($low, 40)",
    "if": "If($close > $open, $high, Neg($low))",
    "long": "Mean($close, 60) / Ref($close, 30)",
}
#: factors that read other assets: computed on the whole panel, written beside every chunk
CROSS = {
    "csrank": "CSRank($close)",
    "csz": "CSZScore($volume)",
    "csdm": "CSDemean($close / $open)",
}


def assert_same_factors(got: pl.DataFrame, want: pl.DataFrame, *, cross: Iterable[str]) -> None:
    """Same frame (rows, columns, dtypes, missing positions); per-asset factors bit-identical.

    The ``cross`` columns (computed over the whole panel in both paths) may differ in the last
    bits: polars does not promise one float summation order for a group mean/std in two different
    queries (pola-rs/polars#25163), and a CI run once saw CSZScore differ so.
    """
    names = list(cross)
    assert_frame_equal(got.drop(*names), want.drop(*names), check_exact=True)
    assert_frame_equal(got.select(*names), want.select(*names), check_exact=False, rtol=1e-12, atol=1e-12)


def ragged_panel() -> pl.DataFrame:
    """7 assets of different lengths: late start, early end, a gap, NaN/null fields, one row only,
    and a calendar day only SYN000 trades; rows shuffled."""
    p = random_walk_panel(7, 90, seed=11)
    idx = pl.int_range(pl.len()).over("asset")
    a = pl.col("asset")
    p = p.filter(~((a == "SYN001") & (idx < 50)))  # 40 rows: shorter than a 60-day window
    p = p.filter(~((a == "SYN002") & (idx > 70)))  # ends early
    p = p.filter(~((a == "SYN003") & idx.is_between(20, 25)))  # missing days inside its range
    p = p.filter(~((a == "SYN006") & (idx != 45)))  # a single row
    only = p.filter(a == "SYN000")["date"][30]
    p = p.filter((a == "SYN000") | (pl.col("date") != only))  # a day only SYN000 has
    p = p.with_columns(
        pl.when((a == "SYN004") & idx.is_between(10, 12)).then(float("nan")).otherwise(pl.col("close")).alias("close"),
        pl.when((a == "SYN005") & (idx == 33)).then(None).otherwise(pl.col("volume")).alias("volume"),
    )
    return p.sample(fraction=1.0, shuffle=True, seed=5)


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    return ragged_panel()


@pytest.fixture(scope="module")
def exprs() -> dict[str, str]:
    # every other Alpha158 factor (each group, each operator, windows 5..60), cross-sectional factors
    # between time-series ones (the file keeps the given column order), the other operators
    lib = list(load_library("alpha158").items())[::2]
    return {**dict(lib[:10]), **CROSS, **dict(lib[10:]), **EXTRA}


@pytest.fixture(scope="module")
def whole(panel: pl.DataFrame, exprs: dict[str, str]) -> pl.DataFrame:
    return compute(panel, exprs)


@pytest.mark.slow
@pytest.mark.parametrize("chunk_rows", [1, 37, 200, 10**9, None])
def test_chunked_file_equals_whole_panel_compute(
    panel: pl.DataFrame, exprs: dict[str, str], whole: pl.DataFrame, chunk_rows: int | None, tmp_path: Path
) -> None:
    out = tmp_path / "f.parquet"
    res = compute_to_parquet(panel, exprs, out, chunk_rows=chunk_rows)
    got = pl.read_parquet(out)
    assert_same_factors(got, whole, cross=CROSS)
    assert got.columns == ["date", "asset", *exprs] and res.factors == tuple(exprs)
    assert res.rows == panel.height == got.height and res.skipped == {}
    assert set(res.whole_panel) == set(CROSS)
    n_assets = panel["asset"].n_unique()
    expected_chunks = {1: n_assets, 10**9: 1, None: 1}.get(chunk_rows)  # type: ignore[arg-type]
    if expected_chunks is not None:
        assert res.chunks == expected_chunks
    assert pq.ParquetFile(out).num_row_groups == res.chunks


def test_the_calendar_day_one_asset_trades_is_a_gap_in_every_chunk(panel: pl.DataFrame, tmp_path: Path) -> None:
    """Hand-checked: SYN002's Ref($close, 1) on the day after the SYN000-only day is missing."""
    p = panel.sort(["asset", "date"])
    cal = p["date"].unique().sort()
    only = p.group_by("date").len().filter(pl.col("len") == 1).join(
        p.filter(pl.col("asset") == "SYN000").select("date"), on="date"
    )["date"][0]
    nxt = cal[cal.to_list().index(only) + 1]
    out = tmp_path / "r.parquet"
    compute_to_parquet(p, {"r": "Ref($close, 1)"}, out, chunk_rows=1)
    got = pl.read_parquet(out).filter((pl.col("asset") == "SYN002") & (pl.col("date") == nxt))
    assert got["r"].to_list() == [None]
    # without the whole panel's calendar the previous row's close would have been read
    alone = compute(p.filter(pl.col("asset") == "SYN002"), {"r": "Ref($close, 1)"})
    assert alone.filter(pl.col("date") == nxt)["r"][0] is not None


@pytest.mark.slow
@pytest.mark.parametrize(("precision", "out_dtype"), [("qlib", "float64"), ("float64", "float32"), ("qlib", "float32")])
def test_precision_and_float32_output(
    panel: pl.DataFrame, exprs: dict[str, str], precision: str, out_dtype: str, tmp_path: Path
) -> None:
    expected = compute(panel, exprs, precision=precision, out_dtype=out_dtype)  # type: ignore[arg-type]
    out = tmp_path / "f.parquet"
    compute_to_parquet(panel, exprs, out, chunk_rows=60, precision=precision, out_dtype=out_dtype)  # type: ignore[arg-type]
    got = pl.read_parquet(out)
    assert_same_factors(got, expected, cross=CROSS)
    want = pl.Float32 if out_dtype == "float32" else pl.Float64
    assert all(got.schema[n] == want for n in exprs)


def test_python_factor_is_computed_on_the_whole_panel(panel: pl.DataFrame, tmp_path: Path) -> None:
    @register_factor("stream_test_cs_mean")
    def cs_mean(p: pl.DataFrame) -> pl.Expr:  # reads every asset of the date
        return pl.col("close") - pl.col("close").mean().over("date")

    try:
        exprs = {"a": "stream_test_cs_mean", "b": "Mean(stream_test_cs_mean, 5)", "c": "Ref($close, 2)"}
        out = tmp_path / "py.parquet"
        res = compute_to_parquet(panel, exprs, out, chunk_rows=1)
        assert set(res.whole_panel) == {"a", "b"}
        assert_same_factors(pl.read_parquet(out), compute(panel, exprs), cross=["a", "b"])
    finally:
        unregister_factor("stream_test_cs_mean")


def test_empty_panel_writes_the_schema(panel: pl.DataFrame, tmp_path: Path) -> None:
    empty = panel.head(0)
    out = tmp_path / "e.parquet"
    res = compute_to_parquet(empty, {"m": "Mean($close, 5)", "r": "CSRank($close)"}, out)
    assert res.rows == 0
    assert_frame_equal(pl.read_parquet(out), compute(empty, {"m": "Mean($close, 5)", "r": "CSRank($close)"}))


def test_asset_chunks_cover_whole_assets() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        lengths = rng.integers(1, 30, rng.integers(1, 12))
        rows = int(rng.integers(1, 120))
        chunks = asset_chunks(lengths, rows)
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        assert chunks[0][0] == 0 and chunks[-1][1] == bounds[-1]
        assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:], strict=False))  # contiguous
        assert all(s in bounds and e in bounds for s, e in chunks)  # whole assets only
        assert all(e - s >= rows for s, e in chunks[:-1])
        # the fewest chunks: dropping the last asset of any chunk but the last makes it too small
        for s, e in chunks[:-1]:
            last = bounds[np.searchsorted(bounds, e) - 1]
            assert last - s < rows
    assert asset_chunks(np.array([], dtype=np.int64), 5) == []


def test_needs_whole_panel() -> None:
    assert not needs_whole_panel(parse("Mean($close, 5) / Ref($close, 1)"))
    assert needs_whole_panel(parse("Mean(CSRank($close), 5)"))
    assert needs_whole_panel(parse("CSNeutralize($close, $sector)"))
    assert needs_whole_panel(parse("Ref(myfactor, 1)"))  # a Python factor sees the whole frame


def test_bad_chunk_rows_and_missing(panel: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="chunk_rows must be >= 1"):
        compute_to_parquet(panel, {"m": "$close"}, tmp_path / "x.parquet", chunk_rows=0)
    with pytest.raises(ConfigError, match="missing must be"):
        compute_to_parquet(panel, {"m": "$close"}, tmp_path / "x.parquet", missing="ignore")  # type: ignore[arg-type]
    assert not (tmp_path / "x.parquet").exists()


# ------------------------------------------------------------------------------ atomic write


def test_failure_mid_write_leaves_the_old_file_and_no_temporary(
    panel: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "f.parquet"
    out.write_bytes(b"previous result")
    calls = {"n": 0}
    real = _stream.compute

    def failing(*args: object, **kwargs: object) -> pl.DataFrame:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_stream, "compute", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        compute_to_parquet(panel, {"m": "Mean($close, 5)"}, out, chunk_rows=1)
    assert calls["n"] == 3  # two chunks were written before the failure
    assert out.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.parquet"]


KILLED_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import polars as pl
    import pyarrow.parquet as pq
    from rdq.factors import compute_to_parquet

    real = pq.ParquetWriter.write_table
    calls = []

    def write_then_die(self, table, *args, **kwargs):
        real(self, table, *args, **kwargs)
        calls.append(1)
        if len(calls) == 2:  # two row groups are on disk: die as a killed process does
            os.kill(os.getpid(), signal.SIGKILL)

    pq.ParquetWriter.write_table = write_then_die
    panel = pl.read_parquet(sys.argv[1])
    compute_to_parquet(panel, {"m": "Mean($close, 5)", "r": "Ref($close, 1)"}, sys.argv[2], chunk_rows=1)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_killed_writer_leaves_no_partial_file_at_the_final_path(panel: pl.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "panel.parquet"
    panel.write_parquet(data)
    out = tmp_path / "out" / "f.parquet"
    out.parent.mkdir()
    out.write_bytes(b"previous result")
    proc = subprocess.run([sys.executable, "-c", KILLED_CHILD, str(data), str(out)], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    assert out.read_bytes() == b"previous result"
    # what the killed process leaves is a hidden temporary file beside it, never at the final path
    left = sorted(p.name for p in out.parent.iterdir() if p.name != "f.parquet")
    assert len(left) == 1 and left[0].startswith(".f.parquet.") and left[0].endswith(".tmp")
    # and without a previous file there is nothing at the final path at all
    out.unlink()
    proc = subprocess.run([sys.executable, "-c", KILLED_CHILD, str(data), str(out)], capture_output=True, text=True)
    assert proc.returncode == -9 and not out.exists()


def test_file_gets_the_users_umask(panel: pl.DataFrame, tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        out = tmp_path / "f.parquet"
        compute_to_parquet(panel, {"m": "$close"}, out)
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o640


def test_rows_are_sorted_by_asset_then_date(panel: pl.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    compute_to_parquet(panel, {"m": "$close"}, out, chunk_rows=50)
    got = pl.read_parquet(out)
    assert got.select("asset", "date").equals(panel.select("asset", "date").sort(["asset", "date"]))
    assert got["date"].dtype == pl.Date and got["date"][0] >= dt.date(2020, 1, 1)
