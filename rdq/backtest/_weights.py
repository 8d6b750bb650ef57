"""Target-weights engine: rebalance to given weights (long-only or long-short) with qlib's cost model.

The weight of day ``T-1`` (decided with data up to ``T-1``) is traded at day ``T``'s deal price, like the
scores of :func:`rdq.backtest.backtest_topk`. A day whose weights are all missing is not a rebalance day
(positions drift); on a rebalance day a missing weight means 0.

Each rebalance day ``T`` (one iteration of a numba loop over dense arrays):

1. value the book at the deal price (assets that cannot trade keep their last price):
   ``V = cash + sum(position * price)``; target ``position = weight * V / price``;
2. trade the differences, in vectorbt's ``call_seq="auto"`` order (by order value: the largest sells first,
   then the smallest buys first); a sell costs ``max(value * close_cost, min_cost)``, a buy
   ``max(value * open_cost, min_cost)``; a buy the cash cannot pay is shrunk (as qlib does); with a
   ``trade_unit`` the traded amount is rounded down to whole lots; suspended names and names at a price limit
   (buy at limit-up, sell at limit-down) are not traded;
3. mark to the close and record ``account, return, cost, turnover`` as qlib defines them.

With ``min_cost=0``, no lots and ``open_cost == close_cost`` this is what
``vbt.Portfolio.from_orders(size_type="targetpercent", cash_sharing=True, group_by=True, call_seq="auto")``
computes (see :func:`rdq.backtest.to_vectorbt` and ``tests/backtest/test_vbt_bridge.py``).
"""

from __future__ import annotations

from datetime import date as Date
from typing import Literal

import numba as nb
import numpy as np
import polars as pl

from rdq.backtest._exchange import Exchange
from rdq.backtest._kernels import buy_amount_by_cash, round_by_unit, write_record
from rdq.backtest._market import Market, align_scores
from rdq.backtest._result import BacktestResult
from rdq.backtest._setup import finish, prepare
from rdq.errors import ConfigError, DataError

__all__ = ["backtest_weights", "weights_from_scores"]



@nb.njit(cache=True, nogil=True, error_model="numpy")
def _weights_loop(
    close: np.ndarray,
    px: np.ndarray,
    factor: np.ndarray,
    lim_buy: np.ndarray,
    lim_sell: np.ndarray,
    weights: np.ndarray,
    t0: int,
    t1: int,
    open_cost: float,
    close_cost: float,
    min_cost: float,
    unit: float,
    use_unit: bool,
    init_cash: float,
    out: np.ndarray,
) -> None:
    n_assets = close.shape[1]
    pos = np.zeros(n_assets)
    last = np.full(n_assets, np.nan)  # last known price (valuation)
    cash = init_cash
    last_value = init_cash
    order_value = np.zeros(n_assets)
    delta = np.zeros(n_assets)
    for t in range(t0, t1):
        day_cost = 0.0
        day_to = 0.0
        n_trades = 0
        for i in range(n_assets):
            if px[t, i] == px[t, i]:
                last[i] = px[t, i]
        rebalance = False
        if t >= 1:
            for i in range(n_assets):
                if weights[t - 1, i] == weights[t - 1, i]:
                    rebalance = True
                    break
        if rebalance:
            value = cash
            for i in range(n_assets):
                if pos[i] != 0.0:
                    value += pos[i] * last[i]
            for i in range(n_assets):
                w = weights[t - 1, i]
                if w != w:
                    w = 0.0
                p = px[t, i]
                delta[i] = 0.0
                order_value[i] = 0.0
                if p != p or close[t, i] != close[t, i]:
                    continue
                d = w * value / p - pos[i]
                if d > 0.0 and lim_buy[t, i]:
                    continue
                if d < 0.0 and lim_sell[t, i]:
                    continue
                if use_unit:
                    d = np.sign(d) * round_by_unit(abs(d), factor[t, i], unit, True)
                delta[i] = d
                order_value[i] = w * value - pos[i] * p  # vectorbt's approx_order_value (sort key)
            order = np.argsort(order_value, kind="mergesort")
            for k in range(n_assets):
                i = order[k]
                d = delta[i]
                if d == 0.0:
                    continue
                p = px[t, i]
                if d < 0.0:
                    tv = -d * p
                    c = max(tv * close_cost, min_cost)
                    pos[i] += d
                    cash += tv - c
                else:
                    tv = d * p
                    c = max(tv * open_cost, min_cost)
                    if tv + c > cash * (1 + 1e-9):
                        cap = buy_amount_by_cash(p, max(cash, 0.0), open_cost, min_cost)
                        d = round_by_unit(min(cap, d), factor[t, i], unit, use_unit)
                        tv = d * p
                        c = max(tv * open_cost, min_cost)
                    if tv <= 1e-5:
                        continue
                    pos[i] += d
                    cash -= tv + c
                day_cost += c
                day_to += tv
                n_trades += 1
        stock_value = 0.0
        n_held = 0
        for i in range(n_assets):
            if close[t, i] == close[t, i]:
                last[i] = close[t, i]
            if pos[i] != 0.0:
                stock_value += pos[i] * last[i]
                n_held += 1
        account = stock_value + cash
        write_record(out, t - t0, account, last_value, day_cost, day_to, cash, stock_value, n_held, n_trades)
        last_value = account


def weights_from_scores(
    scores: pl.DataFrame,
    *,
    long: int,
    short: int = 0,
    weighting: Literal["equal", "score"] = "equal",
    gross: float = 1.0,
) -> pl.DataFrame:
    """Target weights from scores: the ``long`` best names long, the ``short`` worst names short.

    Parameters
    ----------
    scores:
        ``date, asset, score``.
    long, short:
        Number of names in each leg (``short=0``: long-only).
    weighting:
        ``"equal"``: equal weights in a leg; ``"score"``: proportional to ``|score|`` within the leg (equal
        when those are all 0).
    gross:
        Sum of absolute weights (split evenly between the legs when ``short > 0``).

    Returns
    -------
    pl.DataFrame
        ``date, asset, weight`` (the names of the legs only; a missing name has weight 0).
    """
    if long < 1 or short < 0:
        raise ConfigError(f"need long >= 1 and short >= 0, got long={long}, short={short}")
    if weighting not in ("equal", "score"):
        raise ConfigError(f"weighting must be 'equal' or 'score', got {weighting!r}")
    leg = gross / 2 if short else gross
    frame = scores.filter(pl.col("score").is_not_null() & pl.col("score").is_not_nan())
    frame = frame.with_columns(
        pl.col("score").rank("ordinal", descending=True).over("date").alias("_hi"),
        pl.col("score").rank("ordinal").over("date").alias("_lo"),
    )
    legs = []
    for sign, col, n in ((1.0, "_hi", long), (-1.0, "_lo", short)):
        if n == 0:
            continue
        part = frame.filter(pl.col(col) <= n)
        if weighting == "equal":
            w = pl.lit(1.0) / pl.len().over("date")
        else:
            a = pl.col("score").abs()
            s = a.sum().over("date")
            w = pl.when(s > 0).then(a / s).otherwise(pl.lit(1.0) / pl.len().over("date"))
        legs.append(part.select("date", "asset", (w * sign * leg).alias("weight")))
    out = pl.concat(legs).group_by("date", "asset").agg(pl.col("weight").sum())
    return out.sort("date", "asset")


def backtest_weights(
    panel: pl.DataFrame | Market,
    weights: pl.DataFrame,
    *,
    exchange: Exchange | None = None,
    account: float = 1e8,
    benchmark: str | None = None,
    start: Date | str | None = None,
    end: Date | str | None = None,
    source: str | None = None,
) -> BacktestResult:
    """Backtest target weights (``date, asset, weight``; day ``T-1``'s weights traded on day ``T``).

    Parameters are those of :func:`rdq.backtest.backtest_topk`; ``exchange`` defaults to
    :meth:`Exchange.us` (no lots, no limits). Negative weights are short positions; the sum of absolute
    weights is the gross leverage.

    Returns
    -------
    BacktestResult
        Same records as :func:`rdq.backtest.backtest_topk`.
    """
    setup = prepare(panel, exchange or Exchange.us(), account=account, benchmark=benchmark, source=source)
    market, exchange = setup.market, setup.exchange
    if "weight" not in weights.columns:
        raise DataError("weights lack column 'weight'", file=source, column="weight",
                        fix="weights need columns date, asset, weight")
    w = align_scores(weights, market, column="weight", source=source)
    has = ~np.isnan(w).all(axis=1)
    if not has.any():
        raise DataError("every weight is missing", file=source, column="weight", fix="check the weights")
    t0, t1 = market.day_range(start, end)
    if start is None:
        t0 = int(np.flatnonzero(has)[0]) + 1
    if t0 >= t1:
        raise ConfigError("no trading day to backtest in the requested range")
    out = np.zeros((t1 - t0, 8))
    _weights_loop(
        market.close,
        setup.deal_price,
        market.factor,
        setup.lim_buy,
        setup.lim_sell,
        w,
        t0,
        t1,
        float(exchange.open_cost),
        float(exchange.close_cost),
        float(exchange.min_cost),
        float(exchange.trade_unit or 1),
        exchange.trade_unit is not None,
        float(account),
        out,
    )
    return finish(setup, slice(t0, t1), out, settings={"engine": "weights", **exchange.qlib_kwargs()})
