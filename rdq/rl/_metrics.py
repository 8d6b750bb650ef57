"""Trading metrics of a policy's episodes: total return, annualised Sharpe, drawdown, turnover, hit rate.

Per session ``s`` (a trading day of minute bars) the return is the sum of its steps' net returns on a unit of
capital, ``r_s = sum_k pnl[s, k]``; sessions compound::

    total_return  = prod_s (1 + r_s) - 1
    sharpe        = mean(r) / std(r, ddof=1) * sqrt(periods_per_year)     (0 when std is 0 or one session)
                    or, with ``bars_per_year`` (daily bars, a session is a month), the same over the steps'
                    returns: mean(pnl) / std(pnl, ddof=1) * sqrt(bars_per_year), e.g. 252 trading days
    max_drawdown  = max_k (1 - equity_k / max_{j<=k} equity_j) over the step-level equity curve, starting at 1
                    (within a session: equity_{s-1} (1 + cumulative return of the session so far))
    turnover      = mean over sessions of the position traded (sum of |p_t - p_{t-1}| incl. the close-out)
    hit_rate      = share of the sessions that traded with r_s > 0 (NaN when none traded)
"""

from __future__ import annotations

import math

import numpy as np

from rdq.metrics import Metric
from rdq.rl._rollout import Episodes

__all__ = ["METRICS", "annualised_sharpe", "max_drawdown", "trading_metrics"]

#: the keys of :func:`trading_metrics`, in report order
METRICS: tuple[str, ...] = ("total_return", "sharpe", Metric.MAX_DRAWDOWN.value, "turnover", "hit_rate")


def annualised_sharpe(returns: np.ndarray, periods_per_year: float = 252.0) -> float:
    """``mean / std (ddof=1) * sqrt(periods_per_year)`` of ``(n,)`` period returns; 0 if undefined."""
    r = np.asarray(returns, dtype=np.float64).ravel()
    if r.size < 2:
        return 0.0
    sd = float(r.std(ddof=1))
    return float(r.mean() / sd * math.sqrt(periods_per_year)) if sd > 1e-15 else 0.0


def max_drawdown(pnl: np.ndarray, valid: np.ndarray) -> float:
    """Largest fall from a peak of the equity curve of sessions ``pnl (n, T)`` (``valid`` marks real steps)."""
    step = np.where(valid, pnl, 0.0)
    within = np.cumsum(step, axis=1)
    start = np.concatenate([[1.0], np.cumprod(1.0 + within[:, -1])[:-1]]) if step.shape[1] else np.ones(len(step))
    equity = np.concatenate([[1.0], (start[:, None] * (1.0 + within)).ravel()])
    peak = np.maximum.accumulate(equity)
    return float(np.max(1.0 - equity / peak))


def trading_metrics(episodes: Episodes, *, periods_per_year: float = 252.0,
                    index: np.ndarray | None = None, bars_per_year: float | None = None) -> dict[str, float]:
    """The metrics of the module docstring over the episodes ``index`` (default all), in session order.

    Parameters
    ----------
    episodes:
        One episode per session.
    periods_per_year:
        Sessions a year (252 trading days; 12 for monthly sessions of daily bars).
    index:
        Episodes to include.
    bars_per_year:
        If given, the Sharpe ratio is the steps' (bars') instead of the sessions' (252 for daily bars, whose
        sessions are months: a test window of one or two months still has a Sharpe ratio).
    """
    idx = np.arange(episodes.n) if index is None else np.asarray(index, dtype=np.int64)
    idx = idx[np.argsort(episodes.session[idx], kind="stable")]
    valid = episodes.valid()[idx]
    pnl = np.where(valid, episodes.pnl[idx], 0.0)
    r = pnl.sum(axis=1)
    turn = np.where(valid, episodes.turnover[idx], 0.0).sum(axis=1)
    traded = turn > 0
    return {
        "total_return": float(np.prod(1.0 + r) - 1.0),
        "sharpe": (annualised_sharpe(pnl[valid], bars_per_year) if bars_per_year is not None
                   else annualised_sharpe(r, periods_per_year)),
        Metric.MAX_DRAWDOWN.value: max_drawdown(pnl, valid),
        "turnover": float(turn.mean()) if turn.size else 0.0,
        "hit_rate": float(np.mean(r[traded] > 0)) if traded.any() else float("nan"),
    }
