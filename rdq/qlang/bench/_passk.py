"""pass@k (the unbiased estimator) and percentile-bootstrap confidence intervals over problems."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["pass_at_k", "mean_pass_at_k", "bootstrap_ci", "Estimate", "estimate"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem: ``1 - C(n-c, k) / C(n, k)``.

    Parameters
    ----------
    n:
        Samples drawn for the problem.
    c:
        Samples that passed all tests (``0 <= c <= n``).
    k:
        Budget (``1 <= k <= n``).

    Examples
    --------
    >>> round(pass_at_k(10, 3, 1), 12)
    0.3
    >>> round(pass_at_k(5, 1, 2), 6)
    0.4
    """
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got n={n}, k={k}")
    if n - c < k:
        return 1.0
    # numerically stable product form of 1 - C(n-c,k)/C(n,k)
    ratio = np.prod(1.0 - k / np.arange(n - c + 1, n + 1, dtype=np.float64))
    return float(1.0 - ratio)


def mean_pass_at_k(ns: Sequence[int], cs: Sequence[int], k: int) -> float:
    """Mean pass@k over problems."""
    return float(np.mean([pass_at_k(n, c, k) for n, c in zip(ns, cs, strict=True)])) if len(ns) else float("nan")


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of per-problem scores (resampling problems).

    Parameters
    ----------
    values:
        shape (n_problems,), one score per problem (e.g. its pass@k).
    n_boot:
        Bootstrap resamples.
    level:
        Coverage, e.g. 0.95.
    seed:
        Seed of the resampling generator (results are reproducible).

    Returns
    -------
    (low, high)
        NaNs for an empty input.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_boot, x.size))
    means = x[idx].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


@dataclass(frozen=True)
class Estimate:
    """A pass@k estimate over a set of problems with its bootstrap CI."""

    k: int
    value: float
    ci_low: float
    ci_high: float
    n_problems: int


def estimate(ns: Sequence[int], cs: Sequence[int], k: int, *, n_boot: int = 2000, seed: int = 0,
             level: float = 0.95) -> Estimate:
    """pass@k over problems with a percentile-bootstrap CI (problems with fewer than k samples are an error)."""
    per = [pass_at_k(n, c, k) for n, c in zip(ns, cs, strict=True)]
    value = float(np.mean(per)) if per else float("nan")
    low, high = bootstrap_ci(per, n_boot=n_boot, seed=seed, level=level)
    return Estimate(k=k, value=value, ci_low=low, ci_high=high, n_problems=len(per))
