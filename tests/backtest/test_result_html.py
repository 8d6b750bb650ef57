"""BacktestResult ``_repr_html_``: the notebook tables carry the backtest's real numbers."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from html_tables import parse_tables

from rdq.backtest import BacktestResult


def _result() -> BacktestResult:
    ret = np.array([0.01, -0.02, 0.03, 0.005])
    cost = np.array([0.001, 0.0, 0.0005, 0.0])
    bench = np.array([0.002, -0.01, 0.01, 0.0])
    account = 1e6 * np.cumprod(1 + ret - cost)
    records = pl.DataFrame(
        {
            "date": [dt.date(2020, 1, 2) + dt.timedelta(days=i) for i in range(4)],
            "account": account,
            "return": ret,
            "cost": cost,
            "turnover": [1.0, 0.2, 0.4, 0.0],
            "bench": bench,
        }
    )
    return BacktestResult(records=records, init_cash=1e6, benchmark="SPY")


def test_backtest_html_shows_span_account_and_qlib_metrics() -> None:
    res = _result()
    summary, risk, rest = parse_tables(res._repr_html_())
    assert summary.row("first day")["value"].text == "2020-01-02"
    assert summary.row("last day")["value"].text == "2020-01-05"
    assert summary.row("trading days")["value"].value == 4
    final = 1e6 * 1.009 * 0.98 * 1.0295 * 1.005
    assert summary.row("final account")["value"].value == pytest.approx(final, rel=1e-12)
    assert summary.row("benchmark")["value"].text == "SPY"

    assert [r[0].text for r in risk.rows] == ["excess_without_cost", "excess_with_cost", "absolute_with_cost"]
    # hand-computed sum-mode risk analysis (N=238) of return - bench - cost
    r = np.array([0.01 - 0.002 - 0.001, -0.02 + 0.01, 0.03 - 0.01 - 0.0005, 0.005])
    mean, std = r.mean(), r.std(ddof=1)
    row = risk.row("excess_with_cost")
    assert row["mean"].value == pytest.approx(mean, rel=1e-12)
    assert row["information_ratio"].value == pytest.approx(mean / std * math.sqrt(238), rel=1e-12)
    assert row["max_drawdown"].value == pytest.approx(-0.01, rel=1e-12)  # the one down day
    assert row["annualized_return"].text == f"{mean * 238:.6g}"
    assert rest.row("turnover")["value"].value == pytest.approx(0.4, rel=1e-12)
    assert rest.row("n_days")["value"].value == 4


def test_backtest_html_without_days() -> None:
    res = _result()
    empty = BacktestResult(records=res.records.head(0), init_cash=1e6)
    summary = parse_tables(empty._repr_html_())[0]
    assert summary.row("trading days")["value"].value == 0
    assert summary.row("final account")["value"].text == "-"
    assert summary.row("benchmark")["value"].text == "none"
