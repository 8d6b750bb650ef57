"""Backtesting: qlib-exact top-k dropout, a target-weights engine, a vectorbt bridge, risk metrics.

Public API::

    from rdq.backtest import Exchange, TopkDropout, backtest_topk, backtest_weights, summarize, Metric
    res = backtest_topk(panel, scores, TopkDropout(topk=30, n_drop=3), exchange=Exchange.cn(), benchmark="SPY")
    res.records            # date, account, return, cost, turnover, bench, cash, value, n_held, n_trades
    res.metrics            # BacktestMetrics (qlib's risk_analysis, sum mode, N=238); res.summarize(n=252)
    pf = to_vectorbt(panel, weights_from_scores(scores, long=30), exchange=Exchange.us(min_cost=0))

Parity with qlib (``tests/backtest/test_qlib_parity.py``): the same scores on the same qlib folder give the
same daily ``account, return, cost, turnover`` as ``qlib.contrib.evaluate.backtest_daily`` with
``TopkDropoutStrategy`` (relative error <= 1e-8; measured ~1e-12), CN and US rules. Documented differences,
all at edges qlib leaves undefined or crashes on:

* ties in a score, and held names without a score at the bottom of the book, are broken by asset name;
  qlib uses an unstable quicksort and ``list(set(...))`` of its holdings, so its own choice varies with
  ``PYTHONHASHSEED``;
* missing / NaN scores mean "not a candidate" (qlib keeps NaN-scored names at the end of its sort);
* the first calendar day has no previous scores, so nothing trades (qlib reads ``calendar[-1]``);
* ``n_drop=0`` is refused (qlib's ``list[-0:]`` sells the whole book every other day);
* a zero cost rate with a minimum cost does not raise (qlib divides by the rate);
* ``bench`` is computed in float64 (qlib's expression engine computes it in float32);
* a panel without ``factor`` trades lots of ``trade_unit`` raw shares (factor 1.0); a ``factor`` column with
  gaps where there is a close switches lot rounding off, as qlib does (with a warning).
"""

from __future__ import annotations

from rdq.backtest._exchange import DealPrice, Exchange
from rdq.backtest._market import Market, align_scores
from rdq.backtest._metrics import BacktestMetrics, Metric, RiskAnalysis, risk_analysis, summarize
from rdq.backtest._result import (
    EQUAL_WEIGHT,
    EQUAL_WEIGHT_ASSET,
    RECORD_COLUMNS,
    BacktestResult,
    benchmark_returns,
    equal_weight_index,
)
from rdq.backtest._topk import TopkDropout, backtest_topk
from rdq.backtest._vbt import to_vectorbt, vectorbt_inputs
from rdq.backtest._weights import backtest_weights, weights_from_scores

__all__ = [
    "DealPrice",
    "Exchange",
    "Market",
    "align_scores",
    "BacktestMetrics",
    "Metric",
    "RiskAnalysis",
    "risk_analysis",
    "summarize",
    "RECORD_COLUMNS",
    "BacktestResult",
    "benchmark_returns",
    "equal_weight_index",
    "EQUAL_WEIGHT",
    "EQUAL_WEIGHT_ASSET",
    "TopkDropout",
    "backtest_topk",
    "to_vectorbt",
    "vectorbt_inputs",
    "backtest_weights",
    "weights_from_scores",
]
