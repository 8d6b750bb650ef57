"""``rdq backtest`` through typer's CliRunner."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from rdq.backtest import Exchange, TopkDropout, backtest_topk
from rdq.cli import app

from .conftest import random_scores, synthetic_panel

runner = CliRunner()


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path, pl.DataFrame, pl.DataFrame]:
    panel = synthetic_panel([date(2020, 1, 1) + timedelta(days=i) for i in range(60)], n_assets=12)
    scores = random_scores(panel, seed=1)
    panel.write_parquet(tmp_path / "panel.parquet")
    scores.write_parquet(tmp_path / "scores.parquet")
    return tmp_path / "panel.parquet", tmp_path / "scores.parquet", panel, scores


def test_cli_writes_records_and_json(files: tuple[Path, Path, pl.DataFrame, pl.DataFrame], tmp_path: Path) -> None:
    panel_path, scores_path, panel, scores = files
    out = tmp_path / "rec.parquet"
    res = runner.invoke(
        app,
        ["backtest", "--data", str(panel_path), "--scores", str(scores_path), "--topk", "4", "--n-drop", "1",
         "--trade-unit", "0", "--limit-threshold", "none", "--benchmark", "SYN00", "--deal-price", "open",
         "--account", "1000000", "--out", str(out), "--json"],
    )
    assert res.exit_code == 0, res.output
    rec = pl.read_parquet(out)
    assert rec.columns == ["date", "account", "return", "cost", "turnover", "bench"]
    ref = backtest_topk(
        panel, scores, TopkDropout(topk=4, n_drop=1), exchange=Exchange.us(deal_price="open"), account=1e6,
        benchmark="SYN00",
    ).records
    np.testing.assert_array_equal(rec["account"].to_numpy(), ref["account"].to_numpy())
    payload = json.loads(res.stdout)
    assert payload["n_days"] == rec.height
    assert payload["excess_with_cost.annualized_return"] == pytest.approx(
        float((ref["return"] - ref["bench"] - ref["cost"]).mean()) * 238
    )


def test_cli_table_output(files: tuple[Path, Path, pl.DataFrame, pl.DataFrame], tmp_path: Path) -> None:
    panel_path, scores_path, _, _ = files
    res = runner.invoke(app, ["backtest", "--data", str(panel_path), "--scores", str(scores_path),
                              "--topk", "3", "--n-drop", "1", "--out", str(tmp_path / "r.parquet")])
    assert res.exit_code == 0, res.output
    assert "mean turnover" in res.output


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--topk", "50"], "larger than the universe"),
        (["--topk", "3", "--n-drop", "1", "--open-cost", "-0.1"], "open_cost"),
        (["--limit-threshold", "abc"], "limit-threshold"),
        (["--topk", "3", "--n-drop", "1", "--benchmark", "SYN0"], "did you mean"),
        (["--topk", "3", "--n-drop", "0"], "--n-drop 0: must be at least 1"),
        (["--topk", "3"], "--n-drop 5 is more than --topk 3"),  # the default --n-drop is 5
    ],
)
def test_cli_bad_options(files: tuple[Path, Path, pl.DataFrame, pl.DataFrame], tmp_path: Path,
                         extra: list[str], message: str) -> None:
    panel_path, scores_path, _, _ = files
    from rdq.errors import RdqError

    res = runner.invoke(app, ["backtest", "--data", str(panel_path), "--scores", str(scores_path),
                              "--out", str(tmp_path / "r.parquet"), *extra])
    assert res.exit_code != 0
    assert isinstance(res.exception, RdqError) and message in str(res.exception)
    assert not (tmp_path / "r.parquet").exists()


def test_cli_missing_files(tmp_path: Path) -> None:
    res = runner.invoke(app, ["backtest", "--data", str(tmp_path / "p.parquet"), "--scores", str(tmp_path / "s.parquet"),
                              "--out", str(tmp_path / "r.parquet")])
    assert res.exit_code != 0
    res = runner.invoke(app, ["backtest", "--topk", "3"])
    assert res.exit_code != 0 and "--data" in str(res.exception)
