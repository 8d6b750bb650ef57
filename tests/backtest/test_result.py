"""``BacktestResult``: metrics as an attribute (like the other result objects), the equal-weighted benchmark."""

from __future__ import annotations

import json
import math
import pickle
import warnings
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from rdq.backtest import (
    EQUAL_WEIGHT_ASSET,
    BacktestMetrics,
    BacktestResult,
    Exchange,
    TopkDropout,
    backtest_topk,
    equal_weight_index,
    summarize,
)
from rdq.cli import app

from .conftest import random_scores, synthetic_panel


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    return synthetic_panel([date(2020, 1, 1) + timedelta(days=i) for i in range(80)], n_assets=12)


@pytest.fixture(scope="module")
def result(panel: pl.DataFrame) -> BacktestResult:
    scores = random_scores(panel, seed=3)
    return backtest_topk(panel, scores, TopkDropout(topk=4, n_drop=1), exchange=Exchange.us(), benchmark="SYN00")


# --------------------------------------------------------------------------- metrics


def test_metrics_is_an_attribute_equal_to_summarize(result: BacktestResult) -> None:
    m = result.metrics
    assert isinstance(m, BacktestMetrics)
    assert m == summarize(result.records) and summarize(result.records) == m
    assert hash(m) == hash(summarize(result.records))
    assert (m.mode, m.n, m.n_days) == ("sum", 238, result.records.height)
    assert result.metrics is m  # computed once
    # qlib's sum mode by hand: mean excess return with cost x 238
    r = result.records
    expected = float((r["return"] - r["bench"] - r["cost"]).mean()) * 238
    assert m.excess_with_cost.annualized_return == pytest.approx(expected, rel=1e-12)
    assert repr(m).startswith("BacktestMetrics(")


def test_summarize_gives_other_conventions(result: BacktestResult) -> None:
    m = result.summarize(mode="product", n=252)
    assert m == summarize(result.records, mode="product", n=252)
    assert (m.mode, m.n) == ("product", 252)
    assert m != result.metrics


def test_the_old_call_still_works_with_a_deprecation_warning(result: BacktestResult) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = result.metrics(n=252)  # type: ignore[operator]
    assert [w.category for w in caught] == [DeprecationWarning]
    assert "result.summarize" in str(caught[0].message)
    assert old == result.summarize(n=252)


def test_metrics_pickle_as_the_plain_class(result: BacktestResult) -> None:
    back = pickle.loads(pickle.dumps(result.metrics))
    assert type(back) is BacktestMetrics and back == result.metrics


# --------------------------------------------------------------------------- equal-weighted benchmark


def _mean_returns_by_hand(panel: pl.DataFrame) -> dict[date, float]:
    """Slow reference: per asset, close over its previous row's close - 1; mean per date; 0 for none."""
    by_date: dict[date, list[float]] = {}
    for asset in panel["asset"].unique().sort().to_list():
        rows = panel.filter(pl.col("asset") == asset).sort("date")
        closes, dates = rows["close"].to_list(), rows["date"].to_list()
        by_date.setdefault(dates[0], [])
        for i in range(1, len(closes)):
            by_date.setdefault(dates[i], [])
            prev, cur = closes[i - 1], closes[i]
            if prev is not None and cur is not None and not (math.isnan(prev) or math.isnan(cur)):
                by_date[dates[i]].append(cur / prev - 1)
    return {d: (sum(v) / len(v) if v else 0.0) for d, v in by_date.items()}


def test_equal_weight_index_by_hand() -> None:
    d = [date(2021, 1, 4) + timedelta(days=i) for i in range(3)]
    p = pl.DataFrame(
        {
            "date": d + d,
            "asset": ["A"] * 3 + ["B"] * 3,
            "close": [10.0, 11.0, 12.1, 20.0, 18.0, 18.0],
            "volume": [1.0] * 6,
        }
    ).with_columns(open=pl.col("close"), high=pl.col("close"), low=pl.col("close"))
    ew = equal_weight_index(p)
    assert ew.columns == p.columns and ew.schema == p.schema
    assert ew["asset"].to_list() == [EQUAL_WEIGHT_ASSET] * 3
    # day 2: (0.1 + -0.1)/2 = 0; day 3: (0.1 + 0)/2 = 0.05
    np.testing.assert_allclose(ew["close"].to_numpy(), [100.0, 100.0, 105.0], rtol=1e-15)
    assert ew["open"].to_list() == ew["close"].to_list() == ew["high"].to_list() == ew["low"].to_list()


def test_equal_weight_index_skips_missing_values_and_nan(panel: pl.DataFrame) -> None:
    p = panel.with_columns(
        pl.when((pl.col("asset") == "SYN03") & (pl.col("date") == date(2020, 1, 20))).then(float("nan"))
        .otherwise(pl.col("close")).alias("close")
    )
    assert p["close"].null_count() > 0  # the fixture has suspended (null) rows and missing days
    ew = equal_weight_index(p).sort("date")
    ref = _mean_returns_by_hand(p)
    got = ew["close"].to_numpy()
    np.testing.assert_allclose(got[1:] / got[:-1] - 1, [ref[x] for x in ew["date"].to_list()[1:]], atol=1e-12)


def test_cli_benchmark_equal_weight(panel: pl.DataFrame, tmp_path: Path) -> None:
    panel.write_parquet(tmp_path / "panel.parquet")
    random_scores(panel, seed=1).write_parquet(tmp_path / "scores.parquet")
    base = ["backtest", "--data", str(tmp_path / "panel.parquet"), "--scores", str(tmp_path / "scores.parquet"),
            "--topk", "4", "--n-drop", "1", "--trade-unit", "0", "--limit-threshold", "none", "--json"]
    runner = CliRunner()
    ew = runner.invoke(app, [*base, "--benchmark", "equal_weight", "--out", str(tmp_path / "ew.parquet")])
    assert ew.exit_code == 0, ew.output
    none = runner.invoke(app, [*base, "--out", str(tmp_path / "none.parquet")])
    assert none.exit_code == 0, none.output
    rec = pl.read_parquet(tmp_path / "ew.parquet")
    ref = _mean_returns_by_hand(panel)
    np.testing.assert_allclose(rec["bench"].to_numpy(), [ref[d] for d in rec["date"].to_list()], atol=1e-12)
    assert np.abs(rec["bench"].to_numpy()).max() > 1e-3
    # the index is never traded: the account is the same as without a benchmark
    np.testing.assert_array_equal(rec["account"].to_numpy(), pl.read_parquet(tmp_path / "none.parquet")["account"].to_numpy())
    a, b = json.loads(ew.stdout), json.loads(none.stdout)
    assert a["absolute_with_cost.annualized_return"] == b["absolute_with_cost.annualized_return"]
    assert a["excess_with_cost.annualized_return"] == pytest.approx(
        float((rec["return"] - rec["bench"] - rec["cost"]).mean()) * 238
    )
    assert a["excess_with_cost.annualized_return"] != b["excess_with_cost.annualized_return"]
