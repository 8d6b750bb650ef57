"""Assessing an OPE estimator over candidate policies whose true values are known.

Inputs are ``(n_policies,)`` vectors: ``estimated`` (an estimator's values) and ``true`` (on-policy
values). Policies are ranked by ``numpy.argsort(estimated)[::-1]`` exactly as SCOPE-RL's
off-policy selection does (the same order for ties). The top-k statistics are those of the **true**
values of the k policies an estimator would deploy:

=================  ===================================================================================
best@k / worst@k   max / min of the true values of the top-k
mean@k / std@k     their mean / standard deviation (``ddof=1`` as SCOPE-RL; k=1 gives NaN)
SharpeRatio@k      ``max(best@k - J(pi_b), 0) / std@k`` (SCOPE-RL's code, ``variant="scope_rl"``) or
                   ``(best@k - J(pi_b)) / std@k`` with ``ddof=0`` (the paper's formula, ``variant="paper"``)
regret@k           ``sum of the k best true values - sum of the true values of the top-k`` (SCOPE-RL)
nRegret@k          ``(J* - best@k) / (J* - min J)``: 0 when the best policy is among the top-k, 1 when
                   the worst is all it deploys (the paper's normalised regret)
MSE / nMSE         ``mean((estimated - true)**2)``; nMSE divides by ``(max J - min J)**2``
rank correlation   Spearman's rho of estimated against true values
Type I / II        at a safety threshold: the share of truly safe policies (``true >= threshold``)
                   estimated unsafe / of truly unsafe policies estimated safe (0 when there are none)
=================  ===================================================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from scipy.stats import spearmanr

from rdq.errors import ConfigError, DataError

__all__ = ["Assessment", "assess_estimator", "sharpe_ratio_at_k", "topk_metrics", "ranking"]


def _pair(estimated: object, true: object) -> tuple[np.ndarray, np.ndarray]:
    e = np.asarray(estimated, dtype=np.float64).ravel()
    t = np.asarray(true, dtype=np.float64).ravel()
    if e.shape != t.shape or e.size == 0:
        raise DataError(f"estimated ({e.size}) and true ({t.size}) must hold one value per candidate policy",
                        fix="pass two equally long, non-empty vectors")
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(t))):
        raise DataError("estimated or true values contain NaN/inf", fix="drop the policies without a value")
    return e, t


def ranking(estimated: object) -> np.ndarray:
    """Indices of the policies from the highest estimate down (SCOPE-RL's ``argsort(...)[::-1]``)."""
    return np.argsort(np.asarray(estimated, dtype=np.float64).ravel())[::-1]


def _check_k(k: int, n: int) -> int:
    if not isinstance(k, (int, np.integer)) or k < 1 or k > n:
        raise ConfigError(f"k = {k} must be an integer in 1 .. {n} (the number of candidate policies)")
    return int(k)


def topk_metrics(estimated: object, true: object, *, max_k: int | None = None,
                 safety_threshold: float | None = None) -> dict[str, np.ndarray]:
    """Top-k statistics for k = 1 .. max_k, each a ``(max_k,)`` array.

    Keys: ``k-th, best, worst, mean, std`` (ddof=1) and, with a threshold, ``safety_violation_rate``
    (share of the top-k whose true value is below it) -- SCOPE-RL's
    ``obtain_topk_policy_value_selected_by_standard_ope`` for one logged dataset.
    """
    e, t = _pair(estimated, true)
    n = e.size
    max_k = n if max_k is None else _check_k(max_k, n)
    deployed = t[ranking(e)]
    out: dict[str, np.ndarray] = {m: np.zeros(max_k) for m in ("k-th", "best", "worst", "mean", "std")}
    if safety_threshold is not None:
        out["safety_violation_rate"] = np.zeros(max_k)
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in range(1, max_k + 1):
            top = deployed[:k]
            out["k-th"][k - 1] = top[-1]
            out["best"][k - 1] = top.max()
            out["worst"][k - 1] = top.min()
            out["mean"][k - 1] = top.mean()
            out["std"][k - 1] = top.std(ddof=1) if k > 1 else np.nan
            if safety_threshold is not None:
                out["safety_violation_rate"][k - 1] = (top < safety_threshold).sum() / k
    return out


def sharpe_ratio_at_k(*, estimated: object, true: object, behavior_value: float, k: int,
                      variant: Literal["scope_rl", "paper"] = "scope_rl") -> float:
    """SharpeRatio@k: the return over the behaviour policy of the best of the top-k, per unit of risk.

    Parameters
    ----------
    estimated, true:
        ``(n_policies,)`` estimated and true policy values.
    behavior_value:
        ``J(pi_b)``, the behaviour policy's value (SCOPE-RL's selection adds ``1e-10`` to the
        logged mean return before using it; pass it as you want it used).
    k:
        How many policies are deployed (1 .. n_policies).
    variant:
        ``"scope_rl"``: ``max(best@k - J(pi_b), 0) / std@k`` with ``std`` ``ddof=1`` (k=1 gives NaN);
        ``"paper"``: ``(best@k - J(pi_b)) / std@k`` with ``ddof=0`` (k=1 divides by 0: inf, or NaN
        when the numerator is 0 too).
    """
    e, t = _pair(estimated, true)
    k = _check_k(k, e.size)
    top = t[ranking(e)][:k]
    with np.errstate(invalid="ignore", divide="ignore"):
        if variant == "scope_rl":
            std = top.std(ddof=1) if k > 1 else np.nan
            return float(np.clip(top.max() - behavior_value, 0.0, None) / std)
        if variant == "paper":
            return float(np.float64(top.max() - behavior_value) / np.float64(top.std(ddof=0)))
    raise ConfigError(f"variant {variant!r}: choose 'scope_rl' (SCOPE-RL's code) or 'paper' (the paper's formula)")


@dataclass(frozen=True)
class Assessment:
    """How well one estimator ranks and values the candidate policies (see the module docstring)."""

    mse: float
    nmse: float
    rank_correlation: float
    regret_at_k: float
    nregret_at_k: float
    type_i_error_rate: float
    type_ii_error_rate: float
    sharpe_ratio_at_k: float
    k: int

    def to_dict(self) -> dict[str, float]:
        """Plain dict (JSON-ready)."""
        return asdict(self)


def assess_estimator(estimated: object, true: object, *, behavior_value: float, k: int = 3,
                     safety_threshold: float | None = None,
                     variant: Literal["scope_rl", "paper"] = "scope_rl") -> Assessment:
    """All assessment metrics of one estimator at one k (``safety_threshold`` defaults to J(pi_b))."""
    e, t = _pair(estimated, true)
    k = _check_k(k, e.size)
    order = ranking(e)
    spread = float(t.max() - t.min())
    mse = float(np.mean((e - t) ** 2))
    best_true = np.sort(t)[::-1]
    regret = float(best_true[:k].sum() - t[order][:k].sum())
    best_at_k = float(t[order][:k].max())
    threshold = behavior_value if safety_threshold is None else safety_threshold
    true_safe = t >= threshold
    est_safe = e >= threshold
    type_i = float((true_safe & ~est_safe).sum() / true_safe.sum()) if true_safe.any() else 0.0
    type_ii = float((~true_safe & est_safe).sum() / (~true_safe).sum()) if (~true_safe).any() else 0.0
    rho = float(spearmanr(e, t).statistic) if e.size > 1 else float("nan")
    return Assessment(
        mse=mse,
        nmse=mse / spread**2 if spread > 0 else float("nan"),
        rank_correlation=rho,
        regret_at_k=regret,
        nregret_at_k=(float(t.max()) - best_at_k) / spread if spread > 0 else 0.0,
        type_i_error_rate=type_i,
        type_ii_error_rate=type_ii,
        sharpe_ratio_at_k=sharpe_ratio_at_k(estimated=e, true=t, behavior_value=behavior_value, k=k,
                                            variant=variant),
        k=k,
    )
