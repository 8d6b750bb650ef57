"""What both backtest engines set up before their loop: the market, deal prices, limits, benchmark, result.

:func:`rdq.backtest.backtest_topk` and :func:`rdq.backtest.backtest_weights` differ only in their numba
loop; everything around it is here, once::

    setup = prepare(panel, exchange, account=account, benchmark=benchmark, source=source)
    signal = align_scores(scores, setup.market, source=source)      # (n_days, n_assets)
    t0, t1 = ...                                                    # the engine's own day range rule
    loop(setup.market.close, setup.deal_price, ..., setup.lim_buy, setup.lim_sell, ..., out)
    return finish(setup, slice(t0, t1), out, settings={...})
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from rdq.backtest._exchange import Exchange
from rdq.backtest._market import Market
from rdq.backtest._result import BacktestResult, records_frame
from rdq.errors import ConfigError, DataError

__all__ = ["MarketSetup", "prepare", "finish", "deal_prices", "limits", "benchmark_index", "check_account"]


@dataclass(frozen=True, eq=False)
class MarketSetup:
    """The dense inputs of an engine's loop.

    Attributes
    ----------
    market:
        The panel as ``(n_days, n_assets)`` arrays.
    exchange:
        Costs and market rules.
    deal_price:
        Price every deal is made at, shape ``(n_days, n_assets)`` (:func:`deal_prices`).
    lim_buy, lim_sell:
        Boolean ``(n_days, n_assets)``: at the upper / lower price limit (:func:`limits`).
    bench_asset:
        Column of the benchmark asset, or ``None`` (``bench`` is 0).
    benchmark:
        The benchmark's name as given.
    account:
        Initial cash.
    """

    market: Market
    exchange: Exchange
    deal_price: np.ndarray
    lim_buy: np.ndarray
    lim_sell: np.ndarray
    bench_asset: int | None
    benchmark: str | None
    account: float


def check_account(account: float) -> None:
    """Raise :class:`ConfigError` unless ``account`` is a positive, finite amount of cash."""
    if not (np.isfinite(account) and account > 0):
        raise ConfigError(f"account must be a positive amount of cash, got {account!r}")


def deal_prices(market: Market, exchange: Exchange) -> np.ndarray:
    """Deal price per day and asset: qlib falls back to the close when the price is missing or <= 1e-8."""
    if exchange.deal_price == "close":
        return market.close
    px = market.open
    bad = np.isnan(px) | (px <= 1e-08)
    return np.where(bad, market.close, px)


def limits(market: Market, exchange: Exchange) -> tuple[np.ndarray, np.ndarray]:
    """``(lim_buy, lim_sell)``: ``change >= threshold`` / ``change <= -threshold`` (all False without limits)."""
    if exchange.limit_threshold is None:
        no = np.zeros(market.shape, dtype=bool)
        return no, no
    with np.errstate(invalid="ignore"):
        return market.change >= exchange.limit_threshold, market.change <= -exchange.limit_threshold


def benchmark_index(market: Market, benchmark: str | None) -> int | None:
    """Column of the benchmark asset (``None`` for none); an unknown name is a :class:`ConfigError`."""
    if benchmark is None:
        return None
    try:
        return market.asset_index(benchmark, what="benchmark")
    except DataError as exc:
        raise ConfigError(str(exc)) from None


def prepare(
    panel: pl.DataFrame | Market,
    exchange: Exchange,
    *,
    account: float,
    benchmark: str | None,
    source: str | None = None,
) -> MarketSetup:
    """Check the account, build the :class:`Market`, its deal prices, limits and benchmark column."""
    check_account(account)
    market = panel if isinstance(panel, Market) else Market.from_panel(panel, source=source)
    lim_buy, lim_sell = limits(market, exchange)
    return MarketSetup(
        market=market,
        exchange=exchange,
        deal_price=deal_prices(market, exchange),
        lim_buy=lim_buy,
        lim_sell=lim_sell,
        bench_asset=benchmark_index(market, benchmark),
        benchmark=benchmark,
        account=float(account),
    )


def finish(setup: MarketSetup, window: slice, out: np.ndarray, *, settings: dict[str, object]) -> BacktestResult:
    """The :class:`BacktestResult` of the days ``window`` from the loop's records array ``out`` (n_days x 8)."""
    return BacktestResult(
        records=records_frame(setup.market, window, out, setup.bench_asset),
        init_cash=setup.account,
        benchmark=setup.benchmark,
        settings=settings,
    )
