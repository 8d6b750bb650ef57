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
from enum import StrEnum
from typing import Literal

import numpy as np
import polars as pl

from rdq.errors import ConfigError

__all__ = ["Metric", "RiskAnalysis", "BacktestMetrics", "risk_analysis", "summarize"]


class Metric(StrEnum):
    """Names of backtest metrics (use these, never string literals)."""

    MEAN = "mean"
    STD = "std"
    ANNUALIZED_RETURN = "annualized_return"
    INFORMATION_RATIO = "information_ratio"
    MAX_DRAWDOWN = "max_drawdown"
    CALMAR = "calmar"
    TURNOVER = "turnover"
    COST = "cost"
    N_DAYS = "n_days"


@dataclass(frozen=True)
class RiskAnalysis:
    """qlib's ``risk_analysis`` of one daily return series, plus Calmar."""

    mean: float
    std: float
    annualized_return: float
    information_ratio: float
    max_drawdown: float
    calmar: float

    def __getitem__(self, key: Metric) -> float:
        return float(getattr(self, Metric(key).value))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def risk_analysis(
    returns: np.ndarray | pl.Series, *, n: int = 238, mode: Literal["sum", "product"] = "sum"
) -> RiskAnalysis:
    """Risk analysis of a daily return series (shape ``(n_days,)``), as qlib computes it.

    Examples
    --------
    >>> ra = risk_analysis(np.array([0.01, -0.02, 0.03]), n=238)
    >>> round(ra.annualized_return, 4)
    1.5867
    """
    r = np.asarray(returns.to_numpy() if isinstance(returns, pl.Series) else returns, dtype=np.float64)
    if mode not in ("sum", "product"):
        raise ConfigError(f"mode must be 'sum' or 'product', got {mode!r}")
    if r.size == 0:
        nan = math.nan
        return RiskAnalysis(nan, nan, nan, nan, nan, nan)
    std_of = (lambda x: float(np.std(x, ddof=1))) if r.size > 1 else (lambda x: math.nan)
    if mode == "sum":
        mean = float(r.mean())
        std = std_of(r)
        annualized = mean * n
        cum = np.cumsum(r)
        mdd = float((cum - np.maximum.accumulate(cum)).min())
    else:
        curve = np.cumprod(1 + r)
        mean = float(curve[-1] ** (1 / r.size) - 1)
        std = std_of(np.log(1 + r))
        annualized = float((1 + (curve[-1] - 1)) ** (n / r.size) - 1)
        mdd = float((curve / np.maximum.accumulate(curve) - 1).min())
    ir = mean / std * math.sqrt(n) if std and not math.isnan(std) else math.nan
    calmar = annualized / abs(mdd) if mdd < 0 else math.nan
    return RiskAnalysis(mean, std, float(annualized), float(ir), mdd, float(calmar))


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
        for group in ("excess_without_cost", "excess_with_cost", "absolute_with_cost"):
            for k, v in getattr(self, group).to_dict().items():
                out[f"{group}.{k}"] = v
        out[Metric.TURNOVER.value] = self.turnover
        out[Metric.COST.value] = self.cost
        out[Metric.N_DAYS.value] = self.n_days
        out["mode"] = self.mode
        out["n"] = self.n
        return out

    def to_frame(self) -> pl.DataFrame:
        """One row per series, one column per :class:`Metric` of :class:`RiskAnalysis`."""
        rows = []
        for group in ("excess_without_cost", "excess_with_cost", "absolute_with_cost"):
            rows.append({"series": group, **getattr(self, group).to_dict()})
        return pl.DataFrame(rows)


def summarize(records: pl.DataFrame, *, mode: Literal["sum", "product"] = "sum", n: int = 238) -> BacktestMetrics:
    """Metrics from daily records with columns ``return, cost, bench[, turnover]``."""
    if n <= 0:
        raise ConfigError(f"n (trading days a year) must be positive, got {n}")
    ret = records["return"].to_numpy()
    cost = records["cost"].to_numpy()
    bench = records["bench"].to_numpy() if "bench" in records.columns else np.zeros_like(ret)
    turnover = records["turnover"].to_numpy() if "turnover" in records.columns else np.full_like(ret, np.nan)
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
