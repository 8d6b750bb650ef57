"""Risk metrics as qlib's ``qlib.contrib.evaluate.risk_analysis``, with typed names.

``mode="sum"`` (qlib's default) accumulates daily returns additively::

    mean = r.mean();  std = r.std(ddof=1);  annualized_return = mean * N
    max_drawdown = min(cumsum(r) - cummax(cumsum(r)));  information_ratio = mean / std * sqrt(N)

``mode="product"`` compounds them::

    curve = cumprod(1 + r);  mean = curve[-1] ** (1 / len(r)) - 1;  std = std(log(1 + r), ddof=1)
    annualized_return = curve[-1] ** (N / len(r)) - 1;  max_drawdown = min(curve / cummax(curve) - 1)

``N`` is 238 trading days a year for qlib parity (its daily scaler); pass 252 for the usual convention.
``calmar = annualized_return / |max_drawdown|`` (NaN when there is no drawdown).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import polars as pl

from rdq.errors import ConfigError
from rdq.metrics import RISK_METRICS, Metric, RiskSeries, metric_key

__all__ = [
    "Metric",
    "RiskAnalysis",
    "BacktestMetrics",
    "risk_analysis",
    "summarize",
    "mean_return",
    "std_return",
    "annualized_return",
    "information_ratio",
    "max_drawdown",
    "calmar",
]

Mode = Literal["sum", "product"]


@dataclass(frozen=True)
class RiskAnalysis:
    """qlib's ``risk_analysis`` of one daily return series, plus Calmar (fields: :data:`rdq.metrics.RISK_METRICS`)."""

    mean: float
    std: float
    annualized_return: float
    information_ratio: float
    max_drawdown: float
    calmar: float

    def __getitem__(self, key: Metric) -> float:
        metric = Metric(key)
        if metric not in RISK_METRICS:
            raise KeyError(f"{metric.value!r} is not a risk metric; use one of {[m.value for m in RISK_METRICS]}")
        return float(getattr(self, metric.value))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


# --------------------------------------------------------------------------- one function per metric
# Each takes the daily return series r (shape (n_days,)); risk_analysis composes the same functions.


def _check_mode(mode: str) -> None:
    if mode not in ("sum", "product"):
        raise ConfigError(f"mode must be 'sum' or 'product', got {mode!r}")


def _std(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if x.size > 1 else math.nan


def mean_return(r: np.ndarray, *, mode: Mode = "sum") -> float:
    """:attr:`Metric.MEAN`: ``mean(r)`` (sum) or the geometric mean ``prod(1 + r) ** (1 / len(r)) - 1`` (product)."""
    _check_mode(mode)
    if r.size == 0:
        return math.nan
    if mode == "sum":
        return float(r.mean())
    return float(np.cumprod(1 + r)[-1] ** (1 / r.size) - 1)


def std_return(r: np.ndarray, *, mode: Mode = "sum") -> float:
    """:attr:`Metric.STD`: ``std(r, ddof=1)`` (sum) or ``std(log(1 + r), ddof=1)`` (product); NaN below 2 days."""
    _check_mode(mode)
    return _std(r) if mode == "sum" else _std(np.log(1 + r))


def annualized_return(r: np.ndarray, *, n: int = 238, mode: Mode = "sum") -> float:
    """:attr:`Metric.ANNUALIZED_RETURN`: ``mean(r) * n`` (sum) or ``prod(1 + r) ** (n / len(r)) - 1`` (product)."""
    _check_mode(mode)
    if r.size == 0:
        return math.nan
    if mode == "sum":
        return float(mean_return(r, mode=mode) * n)
    curve = np.cumprod(1 + r)
    return float((1 + (curve[-1] - 1)) ** (n / r.size) - 1)


def max_drawdown(r: np.ndarray, *, mode: Mode = "sum") -> float:
    """:attr:`Metric.MAX_DRAWDOWN` (<= 0): ``min(cumsum(r) - cummax(cumsum(r)))`` (sum) or
    ``min(curve / cummax(curve) - 1)`` of ``curve = cumprod(1 + r)`` (product)."""
    _check_mode(mode)
    if r.size == 0:
        return math.nan
    if mode == "sum":
        cum = np.cumsum(r)
        return float((cum - np.maximum.accumulate(cum)).min())
    curve = np.cumprod(1 + r)
    return float((curve / np.maximum.accumulate(curve) - 1).min())


def _ir(mean: float, std: float, n: int) -> float:
    return mean / std * math.sqrt(n) if std and not math.isnan(std) else math.nan


def information_ratio(r: np.ndarray, *, n: int = 238, mode: Mode = "sum") -> float:
    """:attr:`Metric.INFORMATION_RATIO`: ``mean / std * sqrt(n)`` (NaN when std is 0 or undefined)."""
    return float(_ir(mean_return(r, mode=mode), std_return(r, mode=mode), n))


def _calmar(annualized: float, mdd: float) -> float:
    return annualized / abs(mdd) if mdd < 0 else math.nan


def calmar(r: np.ndarray, *, n: int = 238, mode: Mode = "sum") -> float:
    """:attr:`Metric.CALMAR`: ``annualized_return / |max_drawdown|`` (NaN without a drawdown)."""
    return float(_calmar(annualized_return(r, n=n, mode=mode), max_drawdown(r, mode=mode)))


def risk_analysis(returns: np.ndarray | pl.Series, *, n: int = 238, mode: Mode = "sum") -> RiskAnalysis:
    """Risk analysis of a daily return series (shape ``(n_days,)``), as qlib computes it.

    Examples
    --------
    >>> ra = risk_analysis(np.array([0.01, -0.02, 0.03]), n=238)
    >>> round(ra.annualized_return, 4)
    1.5867
    """
    r = np.asarray(returns.to_numpy() if isinstance(returns, pl.Series) else returns, dtype=np.float64)
    _check_mode(mode)
    mean = mean_return(r, mode=mode)
    std = std_return(r, mode=mode) if r.size else math.nan
    annualized = annualized_return(r, n=n, mode=mode)
    mdd = max_drawdown(r, mode=mode)
    return RiskAnalysis(
        mean, std, annualized, float(_ir(mean, std, n)), mdd, float(_calmar(annualized, mdd))
    )


@dataclass(frozen=True)
class BacktestMetrics:
    """Metrics of a backtest, as qlib's ``PortAnaRecord`` reports them.

    * ``excess_without_cost``: risk analysis of ``return - bench``;
    * ``excess_with_cost``: of ``return - bench - cost``;
    * ``absolute_with_cost``: of ``return - cost`` (the account's own return);
    * ``turnover``, ``cost``: mean daily turnover and cost rate.
    """

    excess_without_cost: RiskAnalysis
    excess_with_cost: RiskAnalysis
    absolute_with_cost: RiskAnalysis
    turnover: float
    cost: float
    n_days: int
    mode: str
    n: int

    def to_dict(self) -> dict[str, float | int | str]:
        """Flat ``{"excess_with_cost.information_ratio": ..., "turnover": ..., ...}``."""
        out: dict[str, float | int | str] = {}
        for series in RiskSeries:
            for m in RISK_METRICS:
                out[metric_key(series, m)] = getattr(self, series.value)[m]
        out[Metric.TURNOVER.value] = self.turnover
        out[Metric.COST.value] = self.cost
        out[Metric.N_DAYS.value] = self.n_days
        out["mode"] = self.mode
        out["n"] = self.n
        return out

    def to_frame(self) -> pl.DataFrame:
        """One row per series, one column per :class:`Metric` of :class:`RiskAnalysis`."""
        rows = []
        for series in RiskSeries:
            rows.append({"series": series.value, **getattr(self, series.value).to_dict()})
        return pl.DataFrame(rows)


def summarize(records: pl.DataFrame, *, mode: Mode = "sum", n: int = 238) -> BacktestMetrics:
    """Metrics from daily records with columns ``return, cost, bench[, turnover]``."""
    if n <= 0:
        raise ConfigError(f"n (trading days a year) must be positive, got {n}")
    ret = records["return"].to_numpy()
    cost = records[Metric.COST].to_numpy()
    bench = records["bench"].to_numpy() if "bench" in records.columns else np.zeros_like(ret)
    turnover = (
        records[Metric.TURNOVER].to_numpy() if Metric.TURNOVER in records.columns else np.full_like(ret, np.nan)
    )
    return BacktestMetrics(
        excess_without_cost=risk_analysis(ret - bench, n=n, mode=mode),
        excess_with_cost=risk_analysis(ret - bench - cost, n=n, mode=mode),
        absolute_with_cost=risk_analysis(ret - cost, n=n, mode=mode),
        turnover=float(np.mean(turnover)) if len(turnover) else math.nan,
        cost=float(np.mean(cost)) if len(cost) else math.nan,
        n_days=len(ret),
        mode=mode,
        n=n,
    )
