"""Statistics of the accept decision and the report: stationary bootstrap, paired improvement test,
Thresholdout, and the deflated Sharpe ratio.

- Stationary bootstrap (Politis & Romano 1994): blocks of geometric length (mean ``mean_block``) starting
  at uniform positions, wrapping around the end, so resampled series keep short-range dependence.
- Thresholdout (Dwork, Feldman, Hardt, Pitassi, Reingold, Roth 2015, "The reusable holdout", Science 349):
  answer a query from the training set unless it differs from the holdout by more than a noisy threshold.
- Deflated Sharpe ratio (Bailey & Lopez de Prado 2014, "The Deflated Sharpe Ratio", JPM 40(5)): the
  probabilistic Sharpe ratio against the Sharpe ratio expected of the best of ``n_trials`` unskilled trials.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

__all__ = [
    "stationary_bootstrap_indices",
    "ImprovementTest",
    "paired_improvement_test",
    "bootstrap_ci",
    "Thresholdout",
    "probabilistic_sharpe_ratio",
    "expected_max_sharpe",
    "DeflatedSharpe",
    "deflated_sharpe_ratio",
    "annualized_ir",
    "MIN_DAYS",
]

#: fewer paired days than this and the improvement test never accepts
MIN_DAYS = 20
#: trading days a year the information ratio is annualised with (rdq.backtest's default N for US data)
DAYS_PER_YEAR = 252
_EULER_GAMMA = 0.5772156649015329


def stationary_bootstrap_indices(
    n: int, *, mean_block: float, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Row indices of ``n_boot`` stationary-bootstrap resamples of ``n`` days, shape ``(n_boot, n)``.

    Each position either continues the current block (probability ``1 - 1/mean_block``) with the next day
    (wrapping from ``n - 1`` to 0) or starts a new block at a uniform day.
    """
    if n <= 0:
        return np.zeros((n_boot, 0), dtype=np.int64)
    p = 1.0 / max(1.0, float(mean_block))
    start = rng.integers(0, n, size=(n_boot, n))
    new_block = rng.random((n_boot, n)) < p
    new_block[:, 0] = True
    idx = np.empty((n_boot, n), dtype=np.int64)
    idx[:, 0] = start[:, 0]
    for t in range(1, n):
        idx[:, t] = np.where(new_block[:, t], start[:, t], (idx[:, t - 1] + 1) % n)
    return idx


def annualized_ir(x: np.ndarray, n_per_year: int = DAYS_PER_YEAR) -> np.ndarray | float:
    """``mean / std(ddof=1) * sqrt(n_per_year)`` along the last axis (NaN when std is 0)."""
    x = np.asarray(x, dtype=np.float64)
    mu = x.mean(axis=-1)
    sd = x.std(axis=-1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(sd > 0, mu / sd * math.sqrt(n_per_year), np.nan)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class ImprovementTest:
    """Candidate minus SOTA: the observed difference of the statistic, its bootstrap bounds and p-value.

    ``lower`` is the one-sided lower confidence bound at level ``1 - alpha`` (the ``alpha`` quantile of the
    bootstrap differences); ``upper`` the ``1 - alpha`` quantile; ``p_value`` the share of draws <= 0.
    """

    delta: float
    lower: float
    upper: float
    p_value: float
    n_days: int
    n_boot: int


def paired_improvement_test(
    candidate: np.ndarray,
    sota: np.ndarray,
    *,
    statistic: Literal["ir", "mean"] = "ir",
    mean_block: float = 10.0,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> ImprovementTest:
    """Paired stationary-bootstrap test of ``stat(candidate) - stat(sota)`` over the same days.

    Parameters
    ----------
    candidate, sota:
        Daily series on the same days, shape ``(n_days,)`` (days with a NaN in either are dropped).
    statistic:
        ``"ir"`` (annualised, :func:`annualized_ir`) or ``"mean"``.

    Returns
    -------
    ImprovementTest
        With fewer than :data:`MIN_DAYS` paired days, ``lower = -inf`` (never accepted).
    """
    a = np.asarray(candidate, dtype=np.float64)
    b = np.asarray(sota, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"candidate and sota must have the same shape, got {a.shape} and {b.shape}")
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = len(a)

    def stat(x: np.ndarray) -> np.ndarray | float:
        return annualized_ir(x) if statistic == "ir" else x.mean(axis=-1)

    if n < MIN_DAYS:
        d = float(stat(a) - stat(b)) if n > 1 else math.nan  # type: ignore[operator]
        return ImprovementTest(d, -math.inf, math.inf, 1.0, n, 0)
    delta = float(stat(a) - stat(b))  # type: ignore[operator]
    idx = stationary_bootstrap_indices(
        n, mean_block=mean_block, n_boot=n_boot, rng=np.random.default_rng(seed)
    )
    diffs = np.asarray(stat(a[idx])) - np.asarray(stat(b[idx]))
    diffs = diffs[np.isfinite(diffs)]
    if len(diffs) == 0:
        return ImprovementTest(delta, -math.inf, math.inf, 1.0, n, n_boot)
    return ImprovementTest(
        delta=delta,
        lower=float(np.quantile(diffs, alpha)),
        upper=float(np.quantile(diffs, 1 - alpha)),
        p_value=float(np.mean(diffs <= 0)),
        n_days=n,
        n_boot=n_boot,
    )


def bootstrap_ci(
    daily: np.ndarray,
    statistic: Callable[[np.ndarray], float],
    *,
    mean_block: float = 10.0,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float]:
    """Two-sided ``1 - alpha`` percentile interval of ``statistic`` over stationary-bootstrap resamples of days.

    ``daily`` has shape ``(n_days,)`` or ``(n_days, k)`` (rows are resampled whole); ``statistic`` takes one
    resampled array of the same shape. Fewer than 2 days: ``(nan, nan)``.
    """
    x = np.asarray(daily, dtype=np.float64)
    n = x.shape[0]
    if n < 2:
        return math.nan, math.nan
    idx = stationary_bootstrap_indices(
        n, mean_block=mean_block, n_boot=n_boot, rng=np.random.default_rng(seed)
    )
    vals = np.array([statistic(x[i]) for i in idx], dtype=np.float64)
    vals = vals[np.isfinite(vals)]
    if len(vals) == 0:
        return math.nan, math.nan
    return float(np.quantile(vals, alpha / 2)), float(np.quantile(vals, 1 - alpha / 2))


class Thresholdout:
    """Thresholdout (Dwork et al. 2015, Algorithm "Thresholdout"), for scalar queries.

    For each query with training value ``t`` and holdout value ``h``: draw ``eta ~ Lap(4 sigma)``; if
    ``|t - h| > T_hat + eta`` (``T_hat = threshold + gamma``, ``gamma ~ Lap(2 sigma)`` re-drawn after every
    over-threshold answer) the answer is ``h + xi`` with ``xi ~ Lap(sigma)`` and one unit of the budget is
    spent; otherwise the answer is ``t``. A non-finite ``t`` counts as over the threshold (the answer can only
    come from the holdout); a non-finite ``h`` answers ``t``. With the budget spent, :attr:`exhausted` is true
    and :meth:`query` raises ``RuntimeError`` (the loop checks :attr:`exhausted` first and stops accepting).
    """

    def __init__(self, *, threshold: float, sigma: float, budget: int, seed: int = 0) -> None:
        self.threshold, self.sigma, self.budget = float(threshold), float(sigma), int(budget)
        self._rng = np.random.default_rng(seed)
        self._gamma = self._lap(2 * self.sigma)
        self.n_queries = 0
        self.n_overfit_answers = 0

    def _lap(self, scale: float) -> float:
        return float(self._rng.laplace(0.0, scale)) if scale > 0 else 0.0

    @property
    def budget_left(self) -> int:
        return self.budget - self.n_overfit_answers

    @property
    def exhausted(self) -> bool:
        return self.budget_left <= 0

    def query(self, train_value: float, valid_value: float) -> float:
        """The holdout-protected answer to one query (see the class docstring)."""
        if self.exhausted:
            raise RuntimeError("Thresholdout budget exhausted: no more holdout answers")
        self.n_queries += 1
        t, h = float(train_value), float(valid_value)
        if not math.isfinite(h):
            return h if not math.isfinite(t) else t
        eta = self._lap(4 * self.sigma)
        # no training value to answer from: the answer is the holdout's, so it is noised and paid for
        if not math.isfinite(t) or abs(t - h) > self.threshold + self._gamma + eta:
            self.n_overfit_answers += 1
            self._gamma = self._lap(2 * self.sigma)
            return h + self._lap(self.sigma)
        return t

    def state_dict(self) -> dict[str, Any]:
        """JSON-able state; :meth:`from_state` continues the same random stream."""
        return {
            "threshold": self.threshold,
            "sigma": self.sigma,
            "budget": self.budget,
            "gamma": self._gamma,
            "n_queries": self.n_queries,
            "n_overfit_answers": self.n_overfit_answers,
            "rng": self._rng.bit_generator.state,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Thresholdout:
        """Rebuild from :meth:`state_dict`."""
        t = cls(threshold=state["threshold"], sigma=state["sigma"], budget=state["budget"])
        t._rng.bit_generator.state = state["rng"]
        t._gamma = float(state["gamma"])
        t.n_queries, t.n_overfit_answers = int(state["n_queries"]), int(state["n_overfit_answers"])
        return t


def probabilistic_sharpe_ratio(
    sr: float, *, sr_benchmark: float, n: int, skew: float, kurtosis: float
) -> float:
    """PSR = Phi((SR - SR*) sqrt(n - 1) / sqrt(1 - skew SR + (kurtosis - 1)/4 SR^2)).

    ``sr`` and ``sr_benchmark`` are per period (not annualised); ``kurtosis`` is not excess (normal: 3).
    """
    den = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr
    if n < 2 or den <= 0:
        return math.nan
    return float(stats.norm.cdf((sr - sr_benchmark) * math.sqrt(n - 1) / math.sqrt(den)))


def expected_max_sharpe(*, n_trials: int, var_trials: float) -> float:
    """E[max SR] of ``n_trials`` unskilled trials with SR variance ``var_trials`` (Bailey & Lopez de Prado):
    ``sqrt(V) ((1 - g) Z^-1(1 - 1/N) + g Z^-1(1 - 1/(N e)))``, ``g`` the Euler-Mascheroni constant; 0 for N = 1."""
    if n_trials <= 1 or var_trials <= 0:
        return 0.0
    z1 = stats.norm.ppf(1 - 1 / n_trials)
    z2 = stats.norm.ppf(1 - 1 / (n_trials * math.e))
    return float(math.sqrt(var_trials) * ((1 - _EULER_GAMMA) * z1 + _EULER_GAMMA * z2))


@dataclass(frozen=True)
class DeflatedSharpe:
    """The DSR (a probability), the per-period SR, the deflated benchmark SR0 and the inputs' sizes."""

    dsr: float
    sr: float
    sr0: float
    n_trials: int
    n_days: int


def deflated_sharpe_ratio(
    daily: np.ndarray, *, n_trials: int, var_trials: float | None = None
) -> DeflatedSharpe:
    """The deflated Sharpe ratio of a daily series after ``n_trials`` trials.

    ``var_trials`` is the variance of the trials' per-period SRs; when unknown (``None``) it is taken as
    ``1 / (n_days - 1)``, the sampling variance of an SR estimate under the null of no skill (normal returns),
    i.e. the spread the trials' SRs would show if none had any.
    """
    x = np.asarray(daily, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 3 or float(np.std(x, ddof=1)) == 0:
        return DeflatedSharpe(math.nan, math.nan, math.nan, n_trials, n)
    sr = float(np.mean(x) / np.std(x, ddof=1))
    v = var_trials if var_trials is not None else 1.0 / (n - 1)
    sr0 = expected_max_sharpe(n_trials=n_trials, var_trials=v)
    skew = float(stats.skew(x))
    kurt = float(stats.kurtosis(x, fisher=False))
    return DeflatedSharpe(
        probabilistic_sharpe_ratio(sr, sr_benchmark=sr0, n=n, skew=skew, kurtosis=kurt), sr, sr0, n_trials, n
    )
