"""Numba kernels shared by the engines: qlib's deal arithmetic on scalars.

Each function reproduces one piece of ``qlib.backtest.exchange.Exchange`` / ``Position`` with the same
floating-point operations in the same order, so rdq's records match qlib's to the last few ulps.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["floordiv", "round_by_unit", "isclose", "buy_amount_by_cash", "cost_ratio"]



@nb.njit(cache=True, nogil=True, error_model="numpy")
def floordiv(a: float, b: float) -> float:
    """Python / numpy float ``a // b`` (``npy_divmod``), not ``floor(a / b)``."""
    mod = np.fmod(a, b)
    if b == 0.0:
        return a / b
    div = (a - mod) / b
    if mod != 0.0 and ((b < 0.0) != (mod < 0.0)):
        div -= 1.0
    if div != 0.0:
        fl = math.floor(div)
        if div - fl > 0.5:
            fl += 1.0
        return fl
    return math.copysign(0.0, a / b)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def round_by_unit(amount: float, factor: float, unit: float, use_unit: bool) -> float:
    """qlib's ``round_amount_by_trade_unit``: whole lots of ``unit / factor`` adjusted shares, +0.1 slack."""
    if use_unit:
        return floordiv(amount * factor + 0.1, unit) * unit / factor
    return amount


@nb.njit(cache=True, nogil=True, error_model="numpy")
def isclose(a: float, b: float) -> bool:
    """``numpy.isclose(a, b)`` with its default tolerances."""
    return abs(a - b) <= 1e-8 + 1e-5 * abs(b)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def buy_amount_by_cash(price: float, cash: float, ratio: float, min_cost: float) -> float:
    """qlib's ``_get_buy_amount_by_cash_limit`` (a zero ``ratio`` gives an infinite critical price)."""
    out = 0.0
    if cash >= min_cost:
        critical = min_cost / ratio + min_cost
        if cash >= critical:
            out = cash / (1 + ratio) / price
        else:
            out = (cash - min_cost) / price
    return out


@nb.njit(cache=True, nogil=True, error_model="numpy")
def cost_ratio(base: float, impact: float, trade_val: float, volume: float, price: float) -> float:
    """Cost rate of one deal: ``base + impact * (trade_val / (volume * price))**2`` (no volume: ``+impact``)."""
    total = volume * price
    if total == 0.0 or math.isnan(total):
        return base + impact
    x = trade_val / total
    return base + impact * (x * x)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def write_record(
    out: np.ndarray,
    k: int,
    account: float,
    last_value: float,
    cost: float,
    turnover: float,
    cash: float,
    stock_value: float,
    n_held: int,
    n_trades: int,
) -> None:
    """Day ``k``'s row of the records array as qlib's report defines it.

    ``out[k]`` = account, return (gross of cost: ``(account - last_value + cost) / last_value``), cost and
    turnover as fractions of the previous day's account, cash, stock value, names held, trades.
    """
    out[k, 0] = account
    out[k, 1] = (account - last_value + cost) / last_value
    out[k, 2] = cost / last_value
    out[k, 3] = turnover / last_value
    out[k, 4] = cash
    out[k, 5] = stock_value
    out[k, 6] = n_held
    out[k, 7] = n_trades
