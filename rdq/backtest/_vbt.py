"""Bridge to vectorbt: run rdq's decisions through ``vbt.Portfolio.from_orders`` for its analytics.

``to_vectorbt(panel, weights)`` builds the same rebalancing as :func:`rdq.backtest.backtest_weights`::

    vbt.Portfolio.from_orders(close, size=weights of T-1 on row T, size_type="targetpercent", price=deal price,
                              fees=rate, cash_sharing=True, group_by=True, call_seq="auto",
                              direction="both" if any weight < 0 else "longonly", init_cash=account)

Where vectorbt's semantics differ from rdq / qlib (documented, not papered over):

* **no minimum fee**: vectorbt's ``fixed_fees`` is added to every order, it is not ``max(rate * value, min)``;
  the bridge refuses ``min_cost > 0`` unless ``allow_mismatch=True`` (then the minimum is ignored);
* **no lot rounding**: vectorbt's ``size_granularity`` is in (adjusted) shares and ignores qlib's factor;
  ``trade_unit`` is ignored under ``allow_mismatch=True``;
* **one fee rate** per order, whatever its side: ``open_cost`` must equal ``close_cost`` (or, with
  ``allow_mismatch=True``, their mean is used);
* **no price limits**: limit-up/down days trade in vectorbt;
* suspended days (no close) are forward-filled for valuation and not traded (size NaN).

With those off, the account values agree to 1e-9 (``tests/backtest/test_vbt_bridge.py``).
"""

from __future__ import annotations

import logging
from datetime import date as Date
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from rdq.backtest._exchange import Exchange
from rdq.backtest._market import Market, align_scores
from rdq.backtest._setup import deal_prices
from rdq.errors import ConfigError

__all__ = ["to_vectorbt", "vectorbt_inputs"]

log = logging.getLogger(__name__)


def vectorbt_inputs(
    panel: pl.DataFrame | Market,
    weights: pl.DataFrame,
    *,
    exchange: Exchange | None = None,
    start: Date | str | None = None,
    end: Date | str | None = None,
    allow_mismatch: bool = False,
) -> dict[str, Any]:
    """Keyword arguments for ``vbt.Portfolio.from_orders`` (``close``, ``size``, ``price``, ``fees``, ...).

    The frames are ``(n_days, n_assets)`` pandas frames indexed by date, one column per asset.
    """
    exchange = exchange or Exchange.us(min_cost=0.0)
    problems = []
    if exchange.min_cost > 0:
        problems.append(f"min_cost={exchange.min_cost} (vectorbt has no minimum fee)")
    if exchange.trade_unit is not None:
        problems.append(f"trade_unit={exchange.trade_unit} (vectorbt has no lot rounding)")
    if exchange.open_cost != exchange.close_cost:
        problems.append("open_cost != close_cost (vectorbt has one fee rate)")
    if exchange.limit_threshold is not None:
        problems.append("limit_threshold (vectorbt has no price limits)")
    if problems and not allow_mismatch:
        raise ConfigError(
            "vectorbt cannot reproduce: " + "; ".join(problems)
            + " (pass allow_mismatch=True to run anyway, or use Exchange.us(min_cost=0))"
        )
    for p in problems:
        log.warning("vectorbt bridge ignores %s", p)
    market = panel if isinstance(panel, Market) else Market.from_panel(panel)
    w = align_scores(weights, market, column="weight")
    has = ~np.isnan(w).all(axis=1)
    t0, t1 = market.day_range(start, end)
    if start is None and has.any():
        t0 = int(np.flatnonzero(has)[0]) + 1
    size = np.full(market.shape, np.nan)
    size[1:] = np.where(has[:-1, None], np.nan_to_num(w[:-1], nan=0.0), np.nan)
    px = deal_prices(market, exchange)
    size[np.isnan(px) | np.isnan(market.close)] = np.nan
    index = pd.DatetimeIndex(market.dates[t0:t1].astype("datetime64[ns]"), name="date")
    cols = pd.Index(market.assets.tolist(), name="asset")

    def frame(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a[t0:t1], index=index, columns=cols)

    close = frame(market.close).ffill()
    return {
        "close": close,
        "size": frame(size),
        "price": frame(px).fillna(close),
        "size_type": "targetpercent",
        "fees": (exchange.open_cost + exchange.close_cost) / 2,
        "direction": "both" if np.nanmin(w, initial=0.0) < 0 else "longonly",
        "cash_sharing": True,
        "group_by": True,
        "call_seq": "auto",
    }


def to_vectorbt(
    panel: pl.DataFrame | Market,
    weights: pl.DataFrame,
    *,
    exchange: Exchange | None = None,
    account: float = 1e8,
    start: Date | str | None = None,
    end: Date | str | None = None,
    allow_mismatch: bool = False,
) -> Any:
    """``vbt.Portfolio`` of the rebalancing that :func:`rdq.backtest.backtest_weights` runs.

    Examples
    --------
    >>> pf = to_vectorbt(panel, weights_from_scores(scores, long=20), exchange=Exchange.us(min_cost=0))  # doctest: +SKIP
    >>> pf.stats()  # doctest: +SKIP
    """
    import vectorbt as vbt

    kwargs = vectorbt_inputs(
        panel, weights, exchange=exchange, start=start, end=end, allow_mismatch=allow_mismatch
    )
    return vbt.Portfolio.from_orders(init_cash=account, freq="1D", **kwargs)
