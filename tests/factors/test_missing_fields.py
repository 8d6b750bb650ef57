"""OHLCV data without ``vwap``: every factor whose fields exist is computed, the others are skipped
with one warning naming them, recorded in the output's metadata, and ``--strict`` makes it an error."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from rdq.errors import ConfigError, ExpressionError, SchemaError
from rdq.factors import (
    SKIPPED_KEY,
    check_fields,
    compute,
    compute_to_parquet,
    load_library,
    name_ranges,
    panel_fields,
    read_skipped,
)

from .conftest import random_walk_panel

OHLCV = frozenset({"open", "high", "low", "close", "volume"})


@pytest.fixture(scope="module")
def ohlcv() -> pl.DataFrame:
    return random_walk_panel(5, 90, seed=4).drop("vwap")


def test_alpha158_without_vwap_skips_exactly_vwap0() -> None:
    lib = load_library("alpha158")
    check = check_fields(lib, OHLCV)
    assert check.skipped == {"VWAP0": ("vwap",)}
    assert list(check.computable) == [n for n in lib if n != "VWAP0"]  # qlib's order kept
    assert check.missing_fields == ["vwap"]


def test_alpha360_without_vwap_skips_vwap0_to_vwap59() -> None:
    lib = load_library("alpha360")
    check = check_fields(lib, OHLCV)
    assert set(check.skipped) == {f"VWAP{i}" for i in range(60)}
    assert len(check.computable) == 300
    msg = check.message()
    assert "skipped 60 of 360 factors" in msg and "VWAP0..VWAP59 read $vwap" in msg
    assert "add a numeric 'vwap' column to the data" in msg


def test_every_field_present_skips_nothing() -> None:
    lib = load_library("alpha158")
    assert check_fields(lib, OHLCV | {"vwap"}).skipped == {}


def test_a_typo_is_named_with_the_nearest_field() -> None:
    check = check_fields({"a": "$clsoe / $open", "b": "$close"}, OHLCV)
    assert check.skipped == {"a": ("clsoe",)}
    assert "did you mean 'close'" in check.message()


def test_name_ranges() -> None:
    assert name_ranges(["A1", "A2", "A3", "B", "A5", "A4", "A3"]) == "A1..A3, B, A5..A3"
    assert name_ranges(["X9", "X10"]) == "X9, X10"
    assert name_ranges([]) == ""


def test_compute_skip_equals_the_computable_subset(ohlcv: pl.DataFrame, caplog: pytest.LogCaptureFixture) -> None:
    lib = load_library("alpha158")
    with caplog.at_level(logging.WARNING, logger="rdq"):
        got = compute(ohlcv, lib, missing="skip")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "VWAP0 read $vwap" in warnings[0].getMessage()
    assert got.columns == ["date", "asset", *(n for n in lib if n != "VWAP0")]
    subset = {k: v for k, v in lib.items() if k != "VWAP0"}
    assert_frame_equal(got, compute(ohlcv, subset), check_exact=True)


def test_compute_default_is_an_error(ohlcv: pl.DataFrame) -> None:
    with pytest.raises(ExpressionError, match=r"factor 'VWAP0': unknown field '\$vwap'"):
        compute(ohlcv, load_library("alpha158"))
    with pytest.raises(ConfigError, match="missing must be 'error' or 'skip'"):
        compute(ohlcv, {"a": "$close"}, missing="drop")  # type: ignore[arg-type]


def test_stream_records_the_skipped_factors_in_the_metadata(ohlcv: pl.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    res = compute_to_parquet(ohlcv, load_library("alpha158"), out, chunk_rows=100)
    assert res.skipped == {"VWAP0": ("vwap",)} and "VWAP0" not in res.factors and len(res.factors) == 157
    assert read_skipped(out) == {"VWAP0": ["vwap"]}
    meta = pq.read_schema(out).metadata
    assert json.loads(meta[SKIPPED_KEY.encode()]) == {"VWAP0": ["vwap"]}
    assert SKIPPED_KEY == "rdq.skipped_factors"
    assert "VWAP0" not in pl.read_parquet(out).columns


def test_stream_records_nothing_when_nothing_is_skipped(tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    compute_to_parquet(random_walk_panel(2, 30), {"a": "$vwap / $close"}, out)
    assert read_skipped(out) == {}


def test_stream_strict_raises_before_writing(ohlcv: pl.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    with pytest.raises(SchemaError, match=r"factor\(s\) VWAP0..VWAP59 read \$vwap") as info:
        compute_to_parquet(ohlcv, load_library("alpha360"), out, missing="error", source="prices.parquet")
    assert info.value.column == "vwap" and info.value.file == "prices.parquet"
    assert "add a numeric 'vwap' column" in str(info.value)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_stream_with_nothing_computable_is_an_error(ohlcv: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="no factor is computable"):
        compute_to_parquet(ohlcv, {"v": "$vwap", "f": "$factor * $close"}, tmp_path / "f.parquet")


def test_pipeline_factor_stage_skips_too(ohlcv: pl.DataFrame, caplog: pytest.LogCaptureFixture) -> None:
    from rdq.pipeline._adapters import compute_factors

    with caplog.at_level(logging.WARNING, logger="rdq"):
        frame = compute_factors(ohlcv, load_library("alpha158"))
    assert "VWAP0" not in frame.columns and frame.width == 2 + 157
    assert sum("VWAP0" in r.getMessage() for r in caplog.records) == 1


# ------------------------------------------------------------------------------ command line


def _rdq(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from rdq.cli import main; main()", *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def ohlcv_file(ohlcv: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ohlcv") / "ohlcv.parquet"
    ohlcv.rename({"asset": "symbol"}).write_parquet(path)
    return path


def test_cli_library_without_vwap_warns_once_and_writes_the_rest(ohlcv_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    r = _rdq("factors", "compute", "--data", str(ohlcv_file), "--library", "alpha158", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if "skipped" in line and "VWAP0" in line]
    assert len(warnings) == 1 and "'vwap' column" in warnings[0]
    frame = pl.read_parquet(out)
    assert frame.width == 2 + 157 and "VWAP0" not in frame.columns
    assert read_skipped(out) == {"VWAP0": ["vwap"]}


def test_cli_strict_is_a_one_line_error(ohlcv_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    r = _rdq(
        "factors", "compute", "--data", str(ohlcv_file), "--library", "alpha360", "--strict", "--out", str(out),
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    err = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and "VWAP0..VWAP59" in err[0] and "'vwap'" in err[0] and str(ohlcv_file) in err[0]
    assert not out.exists()


def test_cli_float32_output(ohlcv_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    r = _rdq(
        "factors", "compute", "--data", str(ohlcv_file), "--expr", "m=Mean($close, 5)", "--expr", "r=CSRank($close)",
        "--dtype", "float32", "--chunk-rows", "90", "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    frame = pl.read_parquet(out)
    assert frame.schema["m"] == pl.Float32 and frame.schema["r"] == pl.Float32
    assert pq.ParquetFile(out).num_row_groups == 5  # one asset (90 rows) per chunk
    from rdq.data import load_panel

    panel = load_panel(ohlcv_file)
    expected = compute(panel, {"m": "Mean($close, 5)", "r": "CSRank($close)"}, out_dtype="float32")
    assert_frame_equal(frame, expected, check_exact=True)


def test_panel_fields_are_the_numeric_columns() -> None:
    p = random_walk_panel(1, 3).with_columns(pl.lit("x").alias("sector"), pl.lit(True).alias("flag"))
    assert panel_fields(p) == OHLCV | {"vwap", "flag"}
