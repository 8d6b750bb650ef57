"""Tear-sheet curves on hand-checkable records."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from rdq.errors import SchemaError
from rdq.report import check_records, curves, ic_curves, quantile_curves


def _records() -> pl.DataFrame:
    d = [dt.date(2020, 1, i) for i in (2, 3, 6, 7)]
    return pl.DataFrame(
        {
            "date": d,
            "account": [1.0, 1.0, 1.0, 1.0],
            "return": [0.10, -0.20, 0.05, 0.00],
            "cost": [0.01, 0.00, 0.01, 0.00],
            "turnover": [1.0, 0.0, 0.5, 0.5],
            "bench": [0.02, -0.10, 0.00, 0.01],
        }
    )


def test_curves_by_hand() -> None:
    c = curves(_records(), window=2)
    np.testing.assert_allclose(c["equity"].to_numpy(), np.cumprod([1.09, 0.80, 1.04, 1.00]))
    np.testing.assert_allclose(c["bench_equity"].to_numpy(), np.cumprod([1.02, 0.90, 1.00, 1.01]))
    # excess with cost: 0.07, -0.10, 0.04, -0.01 -> cumsum 0.07, -0.03, 0.01, 0.00
    np.testing.assert_allclose(c["excess_with_cost"].to_numpy(), [0.07, -0.03, 0.01, 0.00], atol=1e-15)
    np.testing.assert_allclose(c["excess_without_cost"].to_numpy(), [0.08, -0.02, 0.03, 0.02], atol=1e-15)
    np.testing.assert_allclose(c["drawdown"].to_numpy(), [0.0, -0.10, -0.06, -0.07], atol=1e-15)
    eq = np.cumprod([1.09, 0.80, 1.04, 1.00])
    np.testing.assert_allclose(c["equity_drawdown"].to_numpy(), eq / np.maximum.accumulate(eq) - 1)
    np.testing.assert_allclose(c["turnover_mean"].to_numpy(), [1.0, 0.5, 0.25, 0.5])


def test_curves_sort_by_date() -> None:
    r = _records()
    assert curves(r.reverse())["equity"].to_list() == pytest.approx(curves(r)["equity"].to_list())


def test_missing_record_column() -> None:
    with pytest.raises(SchemaError, match="cost"):
        check_records(_records().drop("cost"))


def test_ic_curves_rolling_mean_skips_missing() -> None:
    d = [dt.date(2020, 1, i) for i in (2, 3, 6)]
    ic = pl.DataFrame({"date": d, "ic": [0.1, None, 0.3], "rank_ic": [0.2, 0.4, float("nan")]})
    out = ic_curves(ic, window=3)
    assert out["ic_mean"].to_list() == pytest.approx([0.1, 0.1, 0.2])
    assert out["rank_ic_mean"].to_list() == pytest.approx([0.2, 0.3, 0.3])


def test_quantile_curves_cumulative() -> None:
    d1, d2 = dt.date(2020, 1, 2), dt.date(2020, 1, 3)
    q = pl.DataFrame(
        {"date": [d1, d1, d2], "quantile": pl.Series([1, 2, 2], dtype=pl.Int32), "label": [0.01, 0.02, 0.03]}
    )
    out = quantile_curves(q)
    assert out.columns == ["date", "Q1", "Q2"]
    assert out["Q1"].to_list() == pytest.approx([0.01, 0.01])
    assert out["Q2"].to_list() == pytest.approx([0.02, 0.05])
