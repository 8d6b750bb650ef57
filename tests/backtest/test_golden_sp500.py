"""The canonical backtest on the shared S&P 500 file, asserted against golden values printed by real qlib.

Setting: the whole file written as a qlib folder and read back (float32, as qlib sees it), scores
``standard_normal`` with seed 1 over every (date, asset) row, top-50 dropout 5, CN rules (lots of 100,
9.5% limits, 5 / 15 bps, min 5), 1e8 cash, benchmark AAPL, from the 2nd to the second-to-last day.
The golden numbers come from ``qlib.contrib.evaluate.backtest_daily`` (pyqlib 0.9.7) on that folder,
summarised by ``qlib.contrib.evaluate.risk_analysis`` (run once: 70-300 s; see
``benchmarks/backtest_vs_peers.py`` for the same comparison done live).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rdq.backtest import Exchange, Metric, TopkDropout, backtest_topk
from rdq.data.qlib_bin import read_qlib_dir, write_qlib_dir
from rdq.data.schema import normalize_panel

from .conftest import random_scores

pytestmark = [pytest.mark.slow, pytest.mark.shared]

QLIB_GOLDEN = {
    "final_account": 144343582.62500647,
    "mean_turnover": 0.19904730680824845,
    "n_days": 1257,
    # risk_analysis(return - bench - cost), qlib's "excess_return_with_cost"
    "excess_with_cost": {
        Metric.MEAN: -0.00047922381945151335,
        Metric.STD: 0.01325625545109757,
        Metric.ANNUALIZED_RETURN: -0.11405526902946017,
        Metric.INFORMATION_RATIO: -0.5577068905195147,
        Metric.MAX_DRAWDOWN: -0.9172384547949124,
    },
    # risk_analysis(return - cost): the account's own return
    "absolute_with_cost": {Metric.ANNUALIZED_RETURN: 0.07726140443598636, Metric.INFORMATION_RATIO: 0.6206913485681284},
}


def test_canonical_sp500_backtest_matches_qlib(sp500_path: Path, tmp_path: Path) -> None:
    import polars as pl

    panel = normalize_panel(pl.read_parquet(sp500_path).rename({"symbol": "asset"}))
    folder = write_qlib_dir(panel, tmp_path / "q")
    data = read_qlib_dir(folder, fields=["open", "high", "low", "close", "volume", "factor", "change"])
    scores = random_scores(data, seed=1)
    dates = data["date"].unique().sort()
    res = backtest_topk(
        data, scores, TopkDropout(topk=50, n_drop=5), exchange=Exchange.cn(), account=1e8, benchmark="AAPL",
        start=dates[1], end=dates[-2],
    )
    rec = res.records
    assert rec.height == QLIB_GOLDEN["n_days"]
    assert rec["account"][-1] == pytest.approx(QLIB_GOLDEN["final_account"], rel=1e-10)
    assert float(np.mean(rec["turnover"].to_numpy())) == pytest.approx(QLIB_GOLDEN["mean_turnover"], rel=1e-8)
    m = res.summarize(mode="sum", n=238)
    for key, value in QLIB_GOLDEN["excess_with_cost"].items():  # type: ignore[attr-defined]
        # bench is float32 in qlib, float64 here: excess metrics agree to ~1e-6
        assert m.excess_with_cost[key] == pytest.approx(value, rel=1e-5), key
    for key, value in QLIB_GOLDEN["absolute_with_cost"].items():  # type: ignore[attr-defined]
        assert m.absolute_with_cost[key] == pytest.approx(value, rel=1e-8), key
