"""Metrics against qlib's own ``risk_analysis`` (real qlib, on the same return series)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from rdq.backtest import Metric, risk_analysis, summarize


@pytest.mark.parametrize("mode", ["sum", "product"])
@pytest.mark.parametrize("n", [238, 252])
def test_risk_analysis_matches_qlib(mode: str, n: int) -> None:
    evaluate = pytest.importorskip("qlib.contrib.evaluate")
    r = np.random.default_rng(0).normal(0.0005, 0.01, 300)
    ref = evaluate.risk_analysis(pd.Series(r), N=n, freq=None, mode=mode)["risk"]
    got = risk_analysis(r, n=n, mode=mode)  # type: ignore[arg-type]
    for key in ("mean", "std", "annualized_return", "information_ratio", "max_drawdown"):
        assert got[Metric(key)] == pytest.approx(ref[key], rel=1e-12), key
    assert got.calmar == pytest.approx(got.annualized_return / abs(got.max_drawdown))


def test_hand_checked_sum_mode() -> None:
    ra = risk_analysis(np.array([0.01, -0.02, 0.03]), n=238)
    assert ra.mean == pytest.approx(0.02 / 3)
    assert ra.annualized_return == pytest.approx(0.02 / 3 * 238)
    assert ra.max_drawdown == pytest.approx(-0.02)
    assert ra.std == pytest.approx(np.std([0.01, -0.02, 0.03], ddof=1))


def test_empty_and_single() -> None:
    assert math.isnan(risk_analysis(np.array([])).mean)
    one = risk_analysis(np.array([0.01]))
    assert one.mean == 0.01 and math.isnan(one.std) and math.isnan(one.information_ratio)


def test_summarize_groups() -> None:
    rec = pl.DataFrame({"return": [0.01, 0.02], "cost": [0.001, 0.0], "bench": [0.005, 0.0], "turnover": [1.0, 0.5]})
    m = summarize(rec)
    assert m.excess_without_cost.mean == pytest.approx((0.005 + 0.02) / 2)
    assert m.excess_with_cost.mean == pytest.approx((0.004 + 0.02) / 2)
    assert m.absolute_with_cost.mean == pytest.approx((0.009 + 0.02) / 2)
    d = m.to_dict()
    assert d[Metric.TURNOVER] == 0.75 and d["excess_with_cost.annualized_return"] == pytest.approx(0.012 * 238)
    assert m.to_frame().height == 3
