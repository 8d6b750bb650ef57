"""``rdq factors`` commands end to end (typer runner)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from rdq.cli import app

from .conftest import random_walk_panel

runner = CliRunner()


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "panel.parquet"
    random_walk_panel(6, 80, seed=2).rename({"asset": "symbol"}).write_parquet(path)
    return path


def test_compute_library(data_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.parquet"
    r = runner.invoke(app, ["factors", "compute", "--data", str(data_file), "--library", "alpha158", "--out", str(out)])
    assert r.exit_code == 0, r.output
    frame = pl.read_parquet(out)
    assert frame.columns[:4] == ["date", "asset", "KMID", "KLEN"] and frame.width == 160
    assert frame.height == 480


def test_compute_exprs_with_dates(data_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.parquet"
    r = runner.invoke(
        app,
        ["factors", "compute", "--data", str(data_file), "--expr", "MA5=Mean($close, 5)/$close",
         "--expr", "R=Ref($close, 1)", "--start", "2020-02-01", "--out", str(out)],
    )
    assert r.exit_code == 0, r.output
    frame = pl.read_parquet(out)
    assert frame.columns == ["date", "asset", "MA5", "R"]
    assert str(frame["date"].min()) >= "2020-02-01"


def test_bad_expression_is_a_clean_error(data_file: Path, tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["factors", "compute", "--data", str(data_file), "--expr", "x=Meen($close, 5)", "--out", str(tmp_path / "x")]
    )
    assert r.exit_code != 0
    assert isinstance(r.exception, Exception) and "did you mean 'Mean'" in str(r.exception)


def test_check_exit_code(data_file: Path) -> None:
    ok = runner.invoke(app, ["factors", "check", "--data", str(data_file), "--expr", "a=Mean($close, 5)", "--n-cuts", "2"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["factors", "check", "--data", str(data_file), "--expr", "a=Ref($close, -1)", "--n-cuts", "2"])
    assert bad.exit_code == 1 and "looks ahead" in bad.output


def test_eval_json(data_file: Path) -> None:
    r = runner.invoke(
        app, ["factors", "eval", "--data", str(data_file), "--expr", "m=Mean($close, 5)/$close", "--json"]
    )
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["factors"][0]["name"] == "m"
    assert "rank_ic" in report["factors"][0]["metrics"]


def test_list(data_file: Path) -> None:
    r = runner.invoke(app, ["factors", "list"])
    assert r.exit_code == 0 and "alpha158: 158 factors" in r.output
    r = runner.invoke(app, ["factors", "list", "--library", "alpha360"])
    assert r.exit_code == 0 and "CLOSE59" in r.output
