"""Top-k dropout, with the semantics of qlib's ``TopkDropoutStrategy`` + ``SimulatorExecutor`` (daily).

Each trading day ``T`` (one iteration of a numba loop over dense arrays):

1. **Decide** with the scores of the previous calendar day ``T-1`` (no scores that day: no trades).
   ``last`` = held names; ``today`` = the best ``n_drop + topk - len(last)`` scored names not held;
   ``comb`` = ``last`` + ``today`` sorted by score (held names without a score go last);
   ``sell`` = held names among the bottom ``n_drop`` of ``comb``;
   ``buy``  = the first ``len(sell) + topk - len(last)`` names of ``today``.
   With ``only_tradable`` the picks skip names that cannot trade on ``T``.
2. **Sell** every name of ``sell`` that can trade (not suspended, not at a limit: with
   ``forbid_all_trade_at_limit`` neither limit, else only limit-down) and has been held for at least
   ``hold_thresh`` days. The whole position is sold at the deal price; cost ``max(value * close_cost, min_cost)``.
3. **Buy** each name of ``buy`` that can trade for ``cash * risk_degree / len(buy)`` (cash after the sells;
   names that cannot trade still count in ``len(buy)``), rounded down to whole lots of ``trade_unit``
   unadjusted shares; cost ``max(value * open_cost, min_cost)``; a buy the cash cannot pay is shrunk
   (qlib's ``_get_buy_amount_by_cash_limit``).
4. **Mark** held names to the close (a suspended name keeps its last price) and record, as qlib's
   ``Account.update_portfolio_metrics`` does, ``account`` (cash + holdings), ``return`` = (change of account
   + cost) / previous account (gross of cost), ``cost`` and ``turnover`` (traded value) / previous account.

Ties in a score are broken by asset name (qlib sorts with an unstable quicksort, so its order among equal
scores is not defined); a day whose scores are all missing trades nothing (as qlib's empty signal);
qlib's use of the *last* calendar day's scores on the very first calendar day (a negative index) is not
reproduced: there are no scores before the first day, so nothing trades on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date as Date

import numba as nb
import numpy as np
import polars as pl

from rdq.backtest._exchange import Exchange
from rdq.backtest._kernels import buy_amount_by_cash, cost_ratio, isclose, round_by_unit, write_record
from rdq.backtest._market import Market, align_scores
from rdq.backtest._result import BacktestResult
from rdq.backtest._setup import finish, prepare
from rdq.errors import ConfigError, DataError

__all__ = ["TopkDropout", "backtest_topk"]

log = logging.getLogger(__name__)


# trade directions of qlib's is_stock_tradable: None (both limits), BUY, SELL
_ANY, _BUY, _SELL = 0, 1, 2


@dataclass(frozen=True)
class TopkDropout:
    """Settings of the top-k dropout strategy (qlib's ``TopkDropoutStrategy`` arguments).

    Parameters
    ----------
    topk:
        Number of names to hold.
    n_drop:
        Number of names replaced each day (at least 1: qlib's ``list[-0:]`` would sell the whole book).
    hold_thresh:
        Minimum number of days a name is held before it may be sold.
    only_tradable:
        Pick only names that can trade on the day (qlib's ``only_tradable``).
    forbid_all_trade_at_limit:
        At a price limit, neither buy nor sell (True, qlib's default); False allows selling at limit-up
        and buying at limit-down.
    risk_degree:
        Fraction of the cash spent on buys.
    """

    topk: int = 50
    n_drop: int = 5
    hold_thresh: int = 1
    only_tradable: bool = False
    forbid_all_trade_at_limit: bool = True
    risk_degree: float = 0.95

    def __post_init__(self) -> None:
        if not isinstance(self.topk, int) or self.topk < 1:
            raise ConfigError(f"topk must be an integer >= 1, got {self.topk!r}")
        if not isinstance(self.n_drop, int) or self.n_drop < 1:
            raise ConfigError(
                f"n_drop must be an integer >= 1, got {self.n_drop!r}"
                " (qlib's n_drop=0 sells the whole book every other day; use n_drop=1 for a slow turnover)"
            )
        if self.n_drop > self.topk:
            raise ConfigError(
                f"n_drop ({self.n_drop}) must not exceed topk ({self.topk}): a day cannot replace more names"
                " than it holds; lower n_drop or raise topk"
            )
        if not isinstance(self.hold_thresh, int) or self.hold_thresh < 0:
            raise ConfigError(f"hold_thresh must be an integer >= 0, got {self.hold_thresh!r}")
        if not (0.0 < self.risk_degree <= 1.0):
            raise ConfigError(f"risk_degree must be in (0, 1], got {self.risk_degree!r}")

    def qlib_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``qlib.contrib.strategy.TopkDropoutStrategy``."""
        return {
            "topk": self.topk,
            "n_drop": self.n_drop,
            "hold_thresh": self.hold_thresh,
            "only_tradable": self.only_tradable,
            "forbid_all_trade_at_limit": self.forbid_all_trade_at_limit,
            "risk_degree": self.risk_degree,
        }


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _tradable(close: np.ndarray, lim_buy: np.ndarray, lim_sell: np.ndarray, t: int, i: int, d: int) -> bool:
    if math_isnan(close[t, i]):
        return False
    if d == _ANY:
        return not (lim_buy[t, i] or lim_sell[t, i])
    if d == _BUY:
        return not lim_buy[t, i]
    return not lim_sell[t, i]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def math_isnan(x: float) -> bool:
    return x != x


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _head(n_items: int, n: int) -> int:
    """Length of Python's ``li[:n]``."""
    if n >= 0:
        return min(n, n_items)
    return max(n_items + n, 0)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _sort_by_score(idx: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``idx`` ordered by score descending (ties: lower index first), missing scores last by index."""
    idx = np.sort(idx)
    sc = s[idx]
    valid = idx[~np.isnan(sc)]
    nan = idx[np.isnan(sc)]
    order = np.argsort(-s[valid], kind="mergesort")
    out = np.empty(len(idx), dtype=np.int64)
    out[: len(valid)] = valid[order]
    out[len(valid) :] = nan
    return out


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _last_n(
    li: np.ndarray, n: int, only_tradable: bool, close: np.ndarray, lb: np.ndarray, ls: np.ndarray, t: int
) -> np.ndarray:
    if not only_tradable:
        return li[len(li) - min(n, len(li)) :]
    out = np.empty(len(li), dtype=np.int64)
    k = 0
    for j in range(len(li) - 1, -1, -1):
        if _tradable(close, lb, ls, t, li[j], _ANY):
            out[k] = li[j]
            k += 1
            if k >= n:
                break
    return out[:k][::-1].copy()


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _candidates(
    s: np.ndarray,
    held: np.ndarray,
    n: int,
    only_tradable: bool,
    close: np.ndarray,
    lb: np.ndarray,
    ls: np.ndarray,
    t: int,
) -> np.ndarray:
    """qlib's ``today``: ``get_first_n`` of the scored, non-held names sorted by score (ties: name order).

    A bounded insertion buffer instead of a full sort: O(n_assets) for the few names needed.
    """
    if not only_tradable and n < 0:  # Python's li[:negative]: needs the whole sorted list
        cand = np.flatnonzero(~np.isnan(s) & ~held)
        cand = cand[np.argsort(-s[cand], kind="mergesort")]
        return cand[: _head(len(cand), n)]
    m = max(n, 1) if only_tradable else n
    idx = np.empty(max(m, 1), dtype=np.int64)
    val = np.empty(max(m, 1))
    k = 0
    if m == 0:
        return idx[:0]
    for i in range(len(s)):
        v = s[i]
        if held[i] or math_isnan(v):
            continue
        if k == m and not (v > val[k - 1]):
            continue
        if only_tradable and not _tradable(close, lb, ls, t, i, _ANY):
            continue
        j = k if k < m else m - 1
        while j > 0 and val[j - 1] < v:
            if j < m:
                idx[j] = idx[j - 1]
                val[j] = val[j - 1]
            j -= 1
        idx[j] = i
        val[j] = v
        if k < m:
            k += 1
    return idx[:k].copy()


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _topk_loop(
    close: np.ndarray,
    buy_px: np.ndarray,
    sell_px: np.ndarray,
    volume: np.ndarray,
    factor: np.ndarray,
    lim_buy: np.ndarray,
    lim_sell: np.ndarray,
    scores: np.ndarray,
    t0: int,
    t1: int,
    topk: int,
    n_drop: int,
    hold_thresh: int,
    only_tradable: bool,
    forbid_all: bool,
    risk_degree: float,
    open_cost: float,
    close_cost: float,
    min_cost: float,
    impact: float,
    unit: float,
    use_unit: bool,
    init_cash: float,
    out: np.ndarray,
) -> None:
    """Run days ``t0 .. t1-1``; ``out[k]`` = account, return, cost, turnover, cash, value, n_held, n_trades."""
    n_assets = close.shape[1]
    amount = np.zeros(n_assets)
    price = np.zeros(n_assets)
    held = np.zeros(n_assets, dtype=np.bool_)
    count = np.zeros(n_assets, dtype=np.int64)
    sell_mask = np.zeros(n_assets, dtype=np.bool_)
    cash = init_cash
    accum_cost = 0.0
    accum_to = 0.0
    last_value = init_cash
    last_cost = 0.0
    last_to = 0.0
    sell_dir = _ANY if forbid_all else _SELL
    buy_dir = _ANY if forbid_all else _BUY
    for t in range(t0, t1):
        n_trades = 0
        has_signal = False
        if t >= 1:
            s = scores[t - 1]
            for i in range(n_assets):
                if not math_isnan(s[i]):
                    has_signal = True
                    break
        if has_signal:
            s = scores[t - 1]
            held_idx = np.flatnonzero(held)
            n_last = len(held_idx)
            today = _candidates(s, held, n_drop + topk - n_last, only_tradable, close, lim_buy, lim_sell, t)
            comb_raw = np.empty(n_last + len(today), dtype=np.int64)
            comb_raw[:n_last] = held_idx
            comb_raw[n_last:] = today
            comb = _sort_by_score(comb_raw, s)
            tail = _last_n(comb, n_drop, only_tradable, close, lim_buy, lim_sell, t)
            n_sell = 0
            for j in range(len(tail)):
                if held[tail[j]]:
                    sell_mask[tail[j]] = True
                    n_sell += 1
            buy = today[: _head(len(today), n_sell + topk - n_last)]
            # --- sells (whole position), in asset order
            for h in range(n_last):
                i = int(held_idx[h])
                if not sell_mask[i]:
                    continue
                sell_mask[i] = False
                if not _tradable(close, lim_buy, lim_sell, t, i, sell_dir):
                    continue
                if count[i] < hold_thresh:
                    continue
                if not _tradable(close, lim_buy, lim_sell, t, i, _SELL):
                    continue
                p = sell_px[t, i]
                deal = amount[i]
                ratio = cost_ratio(close_cost, impact, deal * p, volume[t, i], p)
                if cash + deal * p < max(deal * p * ratio, min_cost):
                    deal = 0.0
                tv = deal * p
                c = max(tv * ratio, min_cost)
                if tv <= 1e-5:
                    c = 0.0
                if tv > 1e-5:
                    accum_to += tv
                    accum_cost += c
                    ta = tv / p
                    if isclose(amount[i], ta):
                        held[i] = False
                        amount[i] = 0.0
                        price[i] = 0.0
                        count[i] = 0
                    else:
                        amount[i] -= ta
                    cash += tv - c
                    n_trades += 1
            sell_mask[:] = False
            # --- buys, best score first
            value = cash * risk_degree / len(buy) if len(buy) > 0 else 0.0
            for b in range(len(buy)):
                i = int(buy[b])
                if not _tradable(close, lim_buy, lim_sell, t, i, buy_dir):
                    continue
                p = buy_px[t, i]
                f = factor[t, i]
                deal = round_by_unit(value / p, f, unit, use_unit)
                if not _tradable(close, lim_buy, lim_sell, t, i, _BUY):
                    continue
                ratio = cost_ratio(open_cost, impact, deal * p, volume[t, i], p)
                tv = deal * p
                if cash < max(tv * ratio, min_cost):
                    deal = 0.0
                elif cash < tv + max(tv * ratio, min_cost):
                    cap = buy_amount_by_cash(p, cash, ratio, min_cost)
                    deal = round_by_unit(min(cap, deal), f, unit, use_unit)
                else:
                    deal = round_by_unit(deal, f, unit, use_unit)
                tv = deal * p
                c = max(tv * ratio, min_cost)
                if tv <= 1e-5:
                    c = 0.0
                if tv > 1e-5:
                    ta = tv / p
                    if held[i]:
                        amount[i] += ta
                    else:
                        held[i] = True
                        amount[i] = ta
                        price[i] = p
                        count[i] = 0
                    cash -= tv + c
                    accum_to += tv
                    accum_cost += c
                    n_trades += 1
        # --- bar end: mark to close, count holding days, record
        stock_value = 0.0
        n_held = 0
        for i in range(n_assets):
            if held[i]:
                if not math_isnan(close[t, i]):
                    price[i] = close[t, i]
                count[i] += 1
                stock_value += amount[i] * price[i]
                n_held += 1
        account = stock_value + cash
        now_cost = accum_cost - last_cost
        now_to = accum_to - last_to
        write_record(out, t - t0, account, last_value, now_cost, now_to, cash, stock_value, n_held, n_trades)
        last_value = account
        last_cost = accum_cost
        last_to = accum_to


def backtest_topk(
    panel: pl.DataFrame | Market,
    scores: pl.DataFrame,
    strategy: TopkDropout | None = None,
    *,
    exchange: Exchange | None = None,
    account: float = 1e8,
    benchmark: str | None = None,
    start: Date | str | None = None,
    end: Date | str | None = None,
    source: str | None = None,
) -> BacktestResult:
    """Backtest top-k dropout on ``scores``, as qlib's ``backtest_daily`` with ``TopkDropoutStrategy``.

    Parameters
    ----------
    panel:
        Canonical panel (``date, asset, open, high, low, close, volume[, factor, change]``) or a
        :class:`Market` built from one.
    scores:
        ``date, asset, score``; the score of day ``T-1`` decides the trades of day ``T``. Missing /
        NaN scores mean "not a candidate that day".
    strategy:
        :class:`TopkDropout` settings (default ``topk=50, n_drop=5``).
    exchange:
        Costs and market rules (default :meth:`Exchange.cn`).
    account:
        Initial cash.
    benchmark:
        An asset of the panel whose ``close / previous close - 1`` is the ``bench`` column (0 where
        missing); ``None``: ``bench`` is 0.
    start, end:
        First and last trading day (inclusive). Default: the day after the first scored day, and the
        panel's last day.

    Returns
    -------
    BacktestResult
        Daily ``records`` (``date, account, return, cost, turnover, bench, cash, value, n_held, n_trades``).

    Examples
    --------
    >>> from rdq.backtest import TopkDropout, Exchange, backtest_topk  # doctest: +SKIP
    >>> res = backtest_topk(panel, scores, TopkDropout(topk=30, n_drop=3), exchange=Exchange.us())  # doctest: +SKIP
    >>> res.metrics.to_dict()  # doctest: +SKIP
    """
    strategy = strategy or TopkDropout()
    setup = prepare(panel, exchange or Exchange.cn(), account=account, benchmark=benchmark, source=source)
    market, exchange = setup.market, setup.exchange
    score_mat = align_scores(scores, market, source=source)
    has_rows = ~np.isnan(score_mat).all(axis=1)
    if not has_rows.any():
        raise DataError(
            "every score is missing (null or NaN)",
            file=source,
            column="score",
            fix="check the model output; scores must be finite numbers",
        )
    scored = np.flatnonzero(~np.isnan(score_mat).all(axis=0))
    if strategy.topk > len(scored):
        raise ConfigError(
            f"topk={strategy.topk} is larger than the universe: only {len(scored)} assets have a score"
            " (lower --topk, or score more assets)"
        )
    first_scored = int(np.flatnonzero(has_rows)[0])
    t0, t1 = market.day_range(start, end)
    if start is None:
        t0 = first_scored + 1
    if t0 >= t1:
        raise ConfigError(
            f"no trading day to backtest between {start or market.dates[min(t0, len(market.dates) - 1)]}"
            f" and {end or market.dates[-1]} (scores start {market.dates[first_scored]})",
        )
    n_empty = int((~has_rows[max(t0 - 1, 0) : t1 - 1]).sum())
    if n_empty:
        log.info("%d trading days have no scores for the previous day: no trades on them", n_empty)
    window = slice(t0, t1)
    use_unit = exchange.trade_unit is not None
    if use_unit and market.has_factor:
        if (np.isnan(market.factor[window]) & ~np.isnan(market.close[window])).any():
            log.warning("factor is missing where close exists: lot rounding is off (as in qlib)")
            use_unit = False
    out = np.zeros((t1 - t0, 8))
    _topk_loop(
        market.close,
        setup.deal_price,
        setup.deal_price,
        market.volume,
        market.factor,
        setup.lim_buy,
        setup.lim_sell,
        score_mat,
        t0,
        t1,
        strategy.topk,
        strategy.n_drop,
        strategy.hold_thresh,
        strategy.only_tradable,
        strategy.forbid_all_trade_at_limit,
        float(strategy.risk_degree),
        float(exchange.open_cost),
        float(exchange.close_cost),
        float(exchange.min_cost),
        float(exchange.impact_cost),
        float(exchange.trade_unit or 1),
        use_unit,
        float(account),
        out,
    )
    return finish(
        setup, window, out, settings={"engine": "topk_dropout", **strategy.qlib_kwargs(), **exchange.qlib_kwargs()}
    )
