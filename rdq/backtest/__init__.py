"""Backtesting: qlib-exact top-k dropout, a target-weights engine, a vectorbt bridge, risk metrics.

Public API::

    from rdq.backtest import Exchange, TopkDropout, backtest_topk, backtest_weights, summarize, Metric
    res = backtest_topk(panel, scores, TopkDropout(topk=30, n_drop=3), exchange=Exchange.cn(), benchmark="SPY")
    res.records            # date, account, return, cost, turnover, bench, cash, value, n_held, n_trades
    res.metrics()          # BacktestMetrics (qlib's risk_analysis, sum mode, N=238)
"""

from __future__ import annotations

from rdq.backtest._exchange import DealPrice, Exchange
from rdq.backtest._market import Market, align_scores
from rdq.backtest._metrics import BacktestMetrics, Metric, RiskAnalysis, risk_analysis, summarize
from rdq.backtest._result import RECORD_COLUMNS, BacktestResult, benchmark_returns
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
    "TopkDropout",
    "backtest_topk",
    "to_vectorbt",
    "vectorbt_inputs",
    "backtest_weights",
    "weights_from_scores",
]
