"""pass@k estimator vs brute-force enumeration; bootstrap CI sanity."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from rdq.qlang.bench._passk import bootstrap_ci, estimate, mean_pass_at_k, pass_at_k


def _brute(n: int, c: int, k: int) -> float:
    """Share of all k-subsets of n samples (c correct) that contain at least one correct sample."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 10])
def test_pass_at_k_equals_enumeration(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(_brute(n, c, k), abs=1e-12), (n, c, k)


def test_pass_at_k_closed_forms() -> None:
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(200, 0, 100) == 0.0
    assert pass_at_k(200, 200, 1) == 1.0
    # 1 - C(n-c,k)/C(n,k) with big n, against exact integer arithmetic
    n, c, k = 200, 13, 50
    assert pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k), rel=1e-12)


def test_pass_at_k_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        pass_at_k(5, 6, 1)
    with pytest.raises(ValueError):
        pass_at_k(5, 2, 6)
    with pytest.raises(ValueError):
        pass_at_k(5, 2, 0)


def test_mean_pass_at_k() -> None:
    assert mean_pass_at_k([2, 2], [1, 2], 1) == pytest.approx(0.75)


def test_bootstrap_ci_contains_mean_and_is_seeded() -> None:
    rng = np.random.default_rng(1)
    x = rng.random(100) < 0.4
    low, high = bootstrap_ci(x.astype(float), n_boot=2000, seed=7)
    assert low < x.mean() < high
    assert (low, high) == bootstrap_ci(x.astype(float), n_boot=2000, seed=7)
    # the half-width is about 1.96 * the standard error of a proportion
    se = math.sqrt(x.mean() * (1 - x.mean()) / x.size)
    assert (high - low) / 2 == pytest.approx(1.96 * se, rel=0.15)


def test_bootstrap_ci_degenerate_cases() -> None:
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    low, high = bootstrap_ci([])
    assert math.isnan(low) and math.isnan(high)


def test_bootstrap_coverage_is_near_nominal() -> None:
    """Over many simulated benchmarks the 90% interval covers the true rate most of the time."""
    rng = np.random.default_rng(3)
    p, covered, trials = 0.3, 0, 200
    for t in range(trials):
        x = (rng.random(150) < p).astype(float)
        low, high = bootstrap_ci(x, n_boot=400, seed=t, level=0.9)
        covered += low <= p <= high
    assert 0.82 <= covered / trials <= 0.97


def test_estimate() -> None:
    e = estimate([5, 5, 5], [5, 0, 1], 1, n_boot=500)
    assert e.value == pytest.approx((1 + 0 + 0.2) / 3)
    assert e.ci_low <= e.value <= e.ci_high
    assert e.n_problems == 3
