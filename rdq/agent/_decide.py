"""The numeric accept rule of a round: SOTA is decided by a number, never by opinion.

A candidate library (or model) replaces SOTA when both hold:

1. **paired bootstrap**: the one-sided lower confidence bound (level ``alpha``) of the improvement of the
   objective over SOTA, from a stationary bootstrap that resamples the validation days of both daily series
   together, is above ``min_delta`` (a lucky draw on a few days is not accepted);
2. **reusable holdout**: Thresholdout (Dwork et al. 2015) answers the improvement from the train span unless
   train and validation disagree by more than its noisy threshold, in which case it answers the validation
   improvement plus Laplace noise and spends one unit of its budget; the answer must be above ``min_delta``.
   Once the budget is spent nothing more is accepted (the report says so).

The objective's daily series: ``excess_with_cost.information_ratio`` -> IR of the daily excess return with cost,
``excess_with_cost.annualized_return`` -> its mean, ``signal.ic`` / ``signal.rank_ic`` -> the mean daily IC,
``signal.icir`` / ``signal.rank_icir`` -> the IR of the daily IC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rdq.agent._config import AcceptanceConfig
from rdq.agent._types import Decision
from rdq.errors import ConfigError
from rdq.metrics import Metric, RiskSeries, metric_key, signal_key

__all__ = ["OBJECTIVES", "objective_series", "decide", "SotaState"]

#: objective key -> (daily series, statistic)
OBJECTIVES: dict[str, tuple[Literal["daily", "daily_ic", "daily_rank_ic"], Literal["ir", "mean"]]] = {
    metric_key(RiskSeries.EXCESS_WITH_COST, Metric.INFORMATION_RATIO): ("daily", "ir"),
    metric_key(RiskSeries.EXCESS_WITH_COST, Metric.ANNUALIZED_RETURN): ("daily", "mean"),
    signal_key(Metric.IC): ("daily_ic", "mean"),
    signal_key(Metric.RANK_IC): ("daily_rank_ic", "mean"),
    signal_key(Metric.ICIR): ("daily_ic", "ir"),
    signal_key(Metric.RANK_ICIR): ("daily_rank_ic", "ir"),
}


def objective_series(
    objective: str,
) -> tuple[Literal["daily", "daily_ic", "daily_rank_ic"], Literal["ir", "mean"]]:
    """Which daily series and statistic an objective is tested on.

    Raises
    ------
    ConfigError
        An objective the accept rule cannot test (lists the ones it can).
    """
    if objective not in OBJECTIVES:
        from rdq.errors import did_you_mean

        raise ConfigError(
            f"objective {objective!r}: not testable{did_you_mean(objective, OBJECTIVES)}; "
            f"choose one of {sorted(OBJECTIVES)}"
        )
    return OBJECTIVES[objective]


@dataclass
class SotaState:
    """The current best: its objective on validation and train, and the daily series the test resamples."""

    value: float
    train_value: float
    series: np.ndarray  # shape (n_valid_days,)
    metrics: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "train_value": self.train_value,
            "series": [None if not math.isfinite(x) else float(x) for x in self.series],
            "metrics": self.metrics,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SotaState:
        s = np.array([np.nan if x is None else x for x in d["series"]], dtype=np.float64)
        return cls(
            float(d["value"]), float(d["train_value"]), s, {k: float(v) for k, v in d["metrics"].items()}
        )


def decide(
    *,
    objective: str,
    value: float,
    train_value: float,
    series: np.ndarray,
    sota: SotaState,
    acceptance: AcceptanceConfig,
    holdout: Any,
    seed: int,
    candidate: str | None,
) -> Decision:
    """Apply the accept rule (module docstring) to a candidate against ``sota``; ``holdout`` is a
    :class:`rdq.agent._stats.Thresholdout` (its budget is spent here)."""
    from rdq.agent._stats import paired_improvement_test

    _, statistic = objective_series(objective)
    if not math.isfinite(value):
        return Decision(
            False, objective, None, sota.value, None, "rejected: the objective is not finite", candidate
        )
    n = min(len(series), len(sota.series))
    test = paired_improvement_test(
        series[:n],
        sota.series[:n],
        statistic=statistic,
        mean_block=acceptance.mean_block,
        n_boot=acceptance.n_boot,
        alpha=acceptance.alpha,
        seed=seed,
    )
    lower = float(test.lower)
    if holdout.exhausted:
        return Decision(
            False, objective, value, sota.value, lower,
            "rejected: the reusable holdout's budget is spent; nothing more can be accepted honestly",
            candidate,
        )  # fmt: skip
    answered = float(holdout.query(train_value - sota.train_value, value - sota.value))
    ok_boot = math.isfinite(lower) and lower > acceptance.min_delta
    ok_hold = answered > acceptance.min_delta
    level = f"{100 * (1 - acceptance.alpha):.0f}%"
    why = (
        f"{objective}: {value:.4g} vs SOTA {sota.value:.4g} (delta {value - sota.value:+.4g}); "
        f"paired bootstrap {level} lower bound {lower:+.4g} ({'>' if ok_boot else '<='} {acceptance.min_delta:g}); "
        f"thresholdout answer {answered:+.4g}"
    )
    accepted = ok_boot and ok_hold
    verdict = "accepted" if accepted else "rejected"
    if not accepted and not ok_boot:
        why += "; the improvement is within the noise of the validation days"
    elif not accepted:
        why += "; the reusable holdout does not confirm the improvement"
    return Decision(accepted, objective, value, sota.value, lower, f"{verdict}: {why}", candidate)
