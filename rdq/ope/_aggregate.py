"""Reporting noisy agents honestly: aggregate scores with stratified-bootstrap intervals.

After Agarwal et al., "Deep RL at the Edge of the Statistical Precipice" (NeurIPS 2021), with
rliable's exact semantics (tested against values rliable computed). Scores are a ``(n_runs, n_tasks)``
matrix per agent: e.g. the Sharpe ratio of each seed (run) on each test window (task).

- :func:`iqm`: the interquartile mean, the mean of the middle 50% of all runs x tasks
  (``scipy.stats.trim_mean(scores, 0.25, axis=None)``); robust to outlier runs, less noisy than the median.
- :func:`interval_estimates`: point estimates and percentile intervals from a **stratified**
  bootstrap: each replicate resamples runs with replacement independently within every task.
- :func:`performance_profile`: the share of all runs x tasks whose score exceeds each threshold tau.
- :func:`probability_of_improvement`: P(X > Y) per task (Mann-Whitney U / (n_x n_y)), averaged over tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy import stats

from rdq.errors import ConfigError, DataError

__all__ = [
    "AGGREGATES",
    "aggregate_mean",
    "aggregate_median",
    "interval_estimates",
    "iqm",
    "optimality_gap",
    "performance_profile",
    "probability_of_improvement",
]


def _scores(x: object, name: str = "scores") -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2 or arr.size == 0:
        raise DataError(f"{name} must be a non-empty (n_runs, n_tasks) matrix, got shape {arr.shape}",
                        fix="one row per run (seed), one column per task (test window)")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} contains NaN or inf", fix="drop or repair the failed runs")
    return arr


def aggregate_mean(scores: np.ndarray) -> float:
    """Mean over tasks of the mean over runs."""
    return float(np.mean(np.mean(scores, axis=0)))


def aggregate_median(scores: np.ndarray) -> float:
    """Median over tasks of the mean over runs."""
    return float(np.median(np.mean(scores, axis=0)))


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean of all runs x tasks (25% trimmed from each end)."""
    return float(stats.trim_mean(scores, proportiontocut=0.25, axis=None))


def optimality_gap(scores: np.ndarray, gamma: float = 1.0) -> float:
    """``gamma - mean(min(scores, gamma))``: how far below the target ``gamma`` the agent stays."""
    return float(gamma - np.mean(np.minimum(scores, gamma)))


#: the aggregates of :func:`interval_estimates`, by name
AGGREGATES: dict[str, Callable[[np.ndarray], float]] = {
    "mean": aggregate_mean,
    "median": aggregate_median,
    "iqm": iqm,
    "optimality_gap": optimality_gap,
}


def _stratified_bootstrap(scores: np.ndarray, func: Callable[[np.ndarray], np.ndarray], *, reps: int,
                          rng: np.random.RandomState) -> np.ndarray:
    n_runs, n_tasks = scores.shape
    tasks = np.arange(n_tasks)[None, :]
    out = []
    for _ in range(reps):
        idx = rng.choice(n_runs, (n_runs, n_tasks), replace=True)
        out.append(np.atleast_1d(func(scores[idx, tasks])))
    return np.asarray(out)


def interval_estimates(score_dict: Mapping[str, object], *, aggregates: Sequence[str] = ("iqm",),
                       reps: int = 50_000, confidence: float = 0.95, seed: int = 0
                       ) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Point estimate and stratified-bootstrap percentile interval of each aggregate for each agent.

    Parameters
    ----------
    score_dict:
        Agent name -> ``(n_runs, n_tasks)`` scores.
    aggregates:
        Names from :data:`AGGREGATES`.
    reps, confidence:
        Bootstrap replicates and interval coverage (rliable's defaults: 50,000 and 0.95).
    seed:
        Seeds one ``numpy.random.RandomState`` shared by the agents in order, which is exactly the
        stream rliable draws after ``numpy.random.seed(seed)``.

    Returns
    -------
    dict
        ``{agent: {aggregate: (point, lower, upper)}}``.
    """
    unknown = [a for a in aggregates if a not in AGGREGATES]
    if unknown:
        raise ConfigError(f"unknown aggregate {unknown[0]!r}; choose from {', '.join(AGGREGATES)}")
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence = {confidence} must be in (0, 1), e.g. 0.95")
    if reps < 1:
        raise ConfigError(f"reps = {reps} must be >= 1")
    fns = [AGGREGATES[a] for a in aggregates]

    def func(x: np.ndarray) -> np.ndarray:
        return np.array([f(x) for f in fns])

    alpha = (1.0 - confidence) / 2
    rng = np.random.RandomState(seed)
    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    for agent, raw in score_dict.items():
        scores = _scores(raw, f"scores of {agent!r}")
        point = func(scores)
        boot = _stratified_bootstrap(scores, func, reps=reps, rng=rng)
        out[agent] = {}
        for i, name in enumerate(aggregates):
            lo, hi = np.percentile(boot[:, i], [100 * alpha, 100 * (1 - alpha)])
            out[agent][name] = (float(point[i]), float(lo), float(hi))
    return out


def performance_profile(score_dict: Mapping[str, object], taus: Sequence[float] | np.ndarray, *,
                        reps: int = 2000, confidence: float = 0.95, seed: int = 0
                        ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Score distributions: the share of runs x tasks with score > tau, with bootstrap intervals.

    Returns ``{agent: (profile, lower, upper)}``, each ``(len(taus),)``.
    """
    tau = np.asarray(taus, dtype=np.float64).ravel()

    def func(x: np.ndarray) -> np.ndarray:
        return np.array([np.mean(x > t) for t in tau])

    alpha = (1.0 - confidence) / 2
    rng = np.random.RandomState(seed)
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for agent, raw in score_dict.items():
        scores = _scores(raw, f"scores of {agent!r}")
        boot = _stratified_bootstrap(scores, func, reps=reps, rng=rng)
        lo = np.array([np.percentile(boot[:, i], 100 * alpha) for i in range(tau.size)])
        hi = np.array([np.percentile(boot[:, i], 100 * (1 - alpha)) for i in range(tau.size)])
        out[agent] = (func(scores), lo, hi)
    return out


def probability_of_improvement(scores_x: object, scores_y: object) -> float:
    """P(X > Y): per task, the Mann-Whitney U of X's runs against Y's divided by ``n_x n_y``; averaged."""
    x, y = _scores(scores_x, "scores_x"), _scores(scores_y, "scores_y")
    if x.shape[1] != y.shape[1]:
        raise DataError(f"scores_x has {x.shape[1]} tasks, scores_y {y.shape[1]}", fix="score both on the same tasks")
    probs = []
    for m in range(x.shape[1]):
        if np.array_equal(x[:, m], y[:, m]):
            probs.append(0.5)
        else:
            u = stats.mannwhitneyu(x[:, m], y[:, m], alternative="greater").statistic
            probs.append(u / (x.shape[0] * y.shape[0]))
    return float(np.mean(probs))
