"""rdq.agent._stats: the stationary bootstrap, the paired improvement test, bootstrap intervals, Thresholdout
(Dwork et al. 2015) and the probabilistic / deflated Sharpe ratio (Bailey & Lopez de Prado 2012, 2014),
each checked against hand computations or the closed forms of the papers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import norm

from rdq.agent._stats import (
    MIN_DAYS,
    Thresholdout,
    annualized_ir,
    bootstrap_ci,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    paired_improvement_test,
    probabilistic_sharpe_ratio,
    stationary_bootstrap_indices,
)

EULER_GAMMA = 0.5772156649015329  # written out, not imported from the module under test


# ------------------------------------------------------------------ stationary bootstrap
def _breaks(idx: np.ndarray, n: int) -> np.ndarray:
    """Positions where a resample does not continue with the next day (mod n): block starts (t >= 1)."""
    return idx[:, 1:] != (idx[:, :-1] + 1) % n


def test_bootstrap_indices_shape_dtype_and_range() -> None:
    idx = stationary_bootstrap_indices(37, mean_block=4.0, n_boot=200, rng=np.random.default_rng(1))
    assert idx.shape == (200, 37)
    assert np.issubdtype(idx.dtype, np.integer)
    assert idx.min() >= 0 and idx.max() <= 36


def test_bootstrap_indices_empty_series() -> None:
    idx = stationary_bootstrap_indices(0, mean_block=5.0, n_boot=3, rng=np.random.default_rng(0))
    assert idx.shape == (3, 0)


@pytest.mark.parametrize("mean_block", [1.0, 3.0, 10.0])
def test_bootstrap_mean_block_length(mean_block: float) -> None:
    n, n_boot = 400, 300
    idx = stationary_bootstrap_indices(n, mean_block=mean_block, n_boot=n_boot, rng=np.random.default_rng(7))
    # a new block starts with probability 1/mean_block, at a uniform day that continues the old block by
    # chance with probability 1/n (then it is not seen as a break)
    p_break = (1.0 / mean_block) * (1.0 - 1.0 / n)
    breaks = _breaks(idx, n)
    assert breaks.mean() == pytest.approx(p_break, rel=0.03)
    mean_len = n / (1 + breaks.sum(axis=1)).mean()
    assert mean_len == pytest.approx(mean_block, rel=0.05)


def test_bootstrap_blocks_wrap_around_and_marginal_is_uniform() -> None:
    n = 50
    idx = stationary_bootstrap_indices(n, mean_block=8.0, n_boot=4000, rng=np.random.default_rng(3))
    # continuing a block after the last day goes to day 0
    cont = ~_breaks(idx, n)
    assert np.any(cont & (idx[:, :-1] == n - 1) & (idx[:, 1:] == 0))
    # Politis & Romano: every day is equally likely at every position (the wrap makes it stationary)
    freq = np.bincount(idx.ravel(), minlength=n) / idx.size
    assert np.abs(freq - 1 / n).max() < 0.15 / n
    last_col = np.bincount(idx[:, -1], minlength=n) / idx.shape[0]
    assert np.abs(last_col - 1 / n).max() < 0.6 / n


def test_bootstrap_indices_seeded() -> None:
    def draw(seed: int) -> np.ndarray:
        return stationary_bootstrap_indices(60, mean_block=5.0, n_boot=20, rng=np.random.default_rng(seed))

    np.testing.assert_array_equal(draw(11), draw(11))
    assert not np.array_equal(draw(11), draw(12))


# ------------------------------------------------------------------ annualised IR
def test_annualized_ir_by_hand() -> None:
    x = np.array([0.01, -0.02, 0.03, 0.0, 0.015])
    expect = x.mean() / x.std(ddof=1) * math.sqrt(252)
    assert annualized_ir(x) == pytest.approx(expect)
    assert math.isnan(float(annualized_ir(np.full(5, 0.01))))
    rows = np.vstack([x, 2 * x, -x])
    np.testing.assert_allclose(annualized_ir(rows), [expect, expect, -expect])


# ------------------------------------------------------------------ paired improvement test
def _noise(seed: int, n: int = 250) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    return r.normal(0.0, 0.01, n), r.normal(0.0, 0.01, n)


@pytest.mark.parametrize("statistic", ["ir", "mean"])
def test_constant_positive_difference_is_accepted(statistic: str) -> None:
    sota = np.random.default_rng(0).normal(0.0002, 0.01, 250)
    cand = sota + 0.004  # same days, same noise, a constant better return
    res = paired_improvement_test(cand, sota, statistic=statistic, n_boot=500)
    if statistic == "mean":
        assert res.delta == pytest.approx(0.004)
        assert res.lower == pytest.approx(0.004) and res.upper == pytest.approx(0.004)
    else:  # same std: delta IR = shift / sd * sqrt(252)
        assert res.delta == pytest.approx(0.004 / sota.std(ddof=1) * math.sqrt(252))
    assert res.lower > 0
    assert res.p_value == 0.0
    assert (res.n_days, res.n_boot) == (250, 500)


def test_identical_series_is_not_accepted() -> None:
    a = np.random.default_rng(5).normal(0.001, 0.01, 200)
    for statistic in ("ir", "mean"):
        res = paired_improvement_test(a, a.copy(), statistic=statistic)
        assert res.delta == 0.0
        assert not res.lower > 0
        assert res.p_value == 1.0


@pytest.mark.parametrize("statistic", ["ir", "mean"])
def test_noise_false_accept_rate_near_alpha(statistic: str) -> None:
    """Two independent zero-mean series: the lower bound is > 0 in about alpha of the runs, and the p-value is
    about uniform. The stationary bootstrap with mean block 10 on 250 iid days is a little anti-conservative
    (about 0.09 over 600 runs), hence the slack."""
    alpha = 0.05
    accepted, p_values = [], []
    for s in range(50):
        a, b = _noise(100 + s)
        res = paired_improvement_test(a, b, statistic=statistic, alpha=alpha, n_boot=400, seed=s)
        accepted.append(res.lower > 0)
        p_values.append(res.p_value)
    assert np.mean(accepted) <= 0.16
    assert 0.38 <= np.mean(p_values) <= 0.62
    assert 0.3 <= np.mean(np.array(p_values) < 0.5) <= 0.7


def test_real_improvement_has_power() -> None:
    """The other side of the false-accept test: a true daily edge of 0.3 sd is accepted nearly always."""
    hits = 0
    for s in range(20):
        a, b = _noise(500 + s)
        hits += paired_improvement_test(a + 0.003, b, statistic="mean", n_boot=400, seed=s).lower > 0
    assert hits >= 18


def test_too_few_days_never_accepts_and_nan_days_are_dropped() -> None:
    a = np.linspace(0.01, 0.02, MIN_DAYS - 1)
    res = paired_improvement_test(a + 1.0, a, statistic="mean")
    assert res.lower == -math.inf and res.p_value == 1.0 and res.n_boot == 0
    assert res.delta == pytest.approx(1.0)

    rng = np.random.default_rng(0)
    b = rng.normal(0, 0.01, 100)
    c = b + 0.01
    c[:10] = np.nan
    b[95:] = np.nan
    res = paired_improvement_test(c, b, statistic="mean")
    assert res.n_days == 85
    assert res.delta == pytest.approx(0.01)


def test_mismatched_shapes_raise() -> None:
    with pytest.raises(ValueError, match="same shape"):
        paired_improvement_test(np.zeros(30), np.zeros(31))


def test_paired_test_seeded() -> None:
    a, b = _noise(1)
    r1 = paired_improvement_test(a, b, seed=3, n_boot=300)
    r2 = paired_improvement_test(a, b, seed=3, n_boot=300)
    r3 = paired_improvement_test(a, b, seed=4, n_boot=300)
    assert r1 == r2
    assert r1.lower != r3.lower


# ------------------------------------------------------------------ bootstrap intervals
def test_bootstrap_ci_of_the_mean_covers_and_has_the_normal_width() -> None:
    n, mu, sigma = 500, 0.3, 1.0
    expected_width = 2 * 1.96 * sigma / math.sqrt(n)
    covered, widths = 0, []
    for s in range(30):
        x = np.random.default_rng(s).normal(mu, sigma, n)
        lo, hi = bootstrap_ci(x, np.mean, n_boot=400, seed=s)
        assert lo < x.mean() < hi
        covered += lo <= mu <= hi
        widths.append(hi - lo)
        assert hi - lo == pytest.approx(expected_width, rel=0.3)
    assert covered >= 25  # 95% nominal: 28.5 expected
    assert np.mean(widths) == pytest.approx(expected_width, rel=0.12)


def test_bootstrap_ci_resamples_rows_whole() -> None:
    """A 2-column array: rows are resampled together, so a statistic of the column difference sees pairs."""
    rng = np.random.default_rng(2)
    a = rng.normal(0, 1, 300)
    x = np.column_stack([a, a + 0.5])  # the difference is exactly 0.5 on every row
    lo, hi = bootstrap_ci(x, lambda m: float(np.mean(m[:, 1] - m[:, 0])), n_boot=200)
    assert lo == pytest.approx(0.5) and hi == pytest.approx(0.5)


def test_bootstrap_ci_degenerate_inputs() -> None:
    lo, hi = bootstrap_ci(np.array([1.0]), np.mean)
    assert math.isnan(lo) and math.isnan(hi)
    lo, hi = bootstrap_ci(np.arange(10.0), lambda _: math.nan)
    assert math.isnan(lo) and math.isnan(hi)


# ------------------------------------------------------------------ Thresholdout
def test_thresholdout_agreeing_values_answer_the_train_value() -> None:
    """Dwork et al. 2015: within the (noisy) threshold the answer is the training value, and no budget is
    spent (the noise of scale sigma lies in the threshold comparison, not on this answer)."""
    t = Thresholdout(threshold=0.5, sigma=0.01, budget=3, seed=0)
    for i in range(100):
        train = 0.2 + 0.001 * i
        assert t.query(train, train + 0.05) == train
    assert t.budget_left == 3 and t.n_overfit_answers == 0 and t.n_queries == 100
    assert not t.exhausted


def test_thresholdout_disagreeing_values_answer_the_holdout_with_laplace_noise() -> None:
    sigma = 0.02
    t = Thresholdout(threshold=0.1, sigma=sigma, budget=2000, seed=1)
    noise = np.array([t.query(1.0, 0.25) - 0.25 for _ in range(2000)])  # |t - h| = 0.75 >> threshold
    assert t.n_overfit_answers == 2000 and t.budget_left == 0 and t.exhausted
    assert np.all(noise != 0.0)  # never the bare holdout value
    # Laplace(0, sigma): mean 0, mean absolute value sigma, variance 2 sigma^2
    assert abs(noise.mean()) < 4 * math.sqrt(2) * sigma / math.sqrt(2000)
    assert np.abs(noise).mean() == pytest.approx(sigma, rel=0.08)
    assert noise.var() == pytest.approx(2 * sigma**2, rel=0.2)


def test_thresholdout_threshold_is_noisy_near_the_boundary() -> None:
    """At |t - h| equal to the threshold, the Laplace noise on the threshold (scales 2 sigma and 4 sigma)
    sends some queries to each side."""
    t = Thresholdout(threshold=0.3, sigma=0.05, budget=10_000, seed=2)
    answers = [t.query(0.5, 0.2) for _ in range(1000)]
    over = np.mean([a != 0.5 for a in answers])
    assert 0.2 < over < 0.8
    assert t.n_overfit_answers == round(over * 1000)


def test_thresholdout_zero_sigma_is_a_plain_threshold() -> None:
    t = Thresholdout(threshold=0.1, sigma=0.0, budget=5)
    assert t.query(0.5, 0.45) == 0.5
    assert t.query(0.5, 0.3) == 0.3
    assert t.budget_left == 4


def test_thresholdout_budget_exhaustion() -> None:
    t = Thresholdout(threshold=0.1, sigma=0.001, budget=3, seed=0)
    for _ in range(3):
        assert t.query(0.5, 0.5) == 0.5  # agreeing answers are free
    for k in range(3):
        assert not t.exhausted
        t.query(1.0, 0.0)
        assert t.budget_left == 2 - k
    assert t.exhausted
    with pytest.raises(RuntimeError, match="budget"):
        t.query(0.5, 0.5)


def test_thresholdout_non_finite_train_value_spends_budget() -> None:
    """With no training value to answer from, the answer must come from the holdout and so be paid for:
    the bare holdout value for free would leak it (the loop's train objective can be NaN)."""
    t = Thresholdout(threshold=0.5, sigma=0.05, budget=4, seed=0)
    got = t.query(math.nan, 0.3)
    assert math.isfinite(got) and got != 0.3
    assert t.budget_left == 3
    got = t.query(math.inf, 0.3)
    assert got != 0.3 and t.budget_left == 2
    assert math.isnan(t.query(math.nan, math.nan))
    assert t.budget_left == 2


def test_thresholdout_state_round_trip_continues_the_stream() -> None:
    queries = [(0.5, 0.5 + d) for d in np.random.default_rng(0).normal(0, 0.3, 60)]

    def fresh() -> Thresholdout:
        return Thresholdout(threshold=0.2, sigma=0.05, budget=100, seed=9)

    a = fresh()
    for tv, hv in queries[:20]:
        a.query(tv, hv)
    state = json.loads(json.dumps(a.state_dict()))  # the run folder stores it as JSON
    b = Thresholdout.from_state(state)
    assert (b.n_queries, b.n_overfit_answers, b.budget_left) == (
        a.n_queries,
        a.n_overfit_answers,
        a.budget_left,
    )
    assert 0 < a.n_overfit_answers < 20  # the first part used both kinds of answer
    c = fresh()  # same seed, without the state: a different noise stream from here
    rest = queries[20:]
    got_a = [a.query(tv, hv) for tv, hv in rest]
    got_b = [b.query(tv, hv) for tv, hv in rest]
    got_c = [c.query(tv, hv) for tv, hv in rest]
    assert got_b == got_a
    assert got_c != got_a
    assert b.state_dict() == a.state_dict()


# ------------------------------------------------------------------ probabilistic / deflated Sharpe
def _psr_closed_form(sr: float, sr_star: float, n: int, skew: float = 0.0, kurt: float = 3.0) -> float:
    """Bailey & Lopez de Prado (2012), eq. for PSR(SR*)."""
    return float(
        norm.cdf((sr - sr_star) * math.sqrt(n - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
    )


@pytest.mark.parametrize(
    ("sr", "sr_star", "n"), [(0.1, 0.0, 250), (0.05, 0.02, 500), (-0.03, 0.0, 100), (0.2, 0.25, 60)]
)
def test_psr_normal_returns_closed_form(sr: float, sr_star: float, n: int) -> None:
    got = probabilistic_sharpe_ratio(sr, sr_benchmark=sr_star, n=n, skew=0.0, kurtosis=3.0)
    # normal returns: the denominator is sqrt(1 + SR^2 / 2)
    by_hand = float(norm.cdf((sr - sr_star) * math.sqrt(n - 1) / math.sqrt(1 + sr**2 / 2)))
    assert got == pytest.approx(by_hand, rel=1e-12)


def test_psr_with_skew_and_kurtosis() -> None:
    got = probabilistic_sharpe_ratio(0.12, sr_benchmark=0.0, n=300, skew=-0.8, kurtosis=7.0)
    assert got == pytest.approx(_psr_closed_form(0.12, 0.0, 300, -0.8, 7.0), rel=1e-12)
    # negative skew and fat tails widen the SR's sampling distribution: less confidence than normal returns
    assert got < probabilistic_sharpe_ratio(0.12, sr_benchmark=0.0, n=300, skew=0.0, kurtosis=3.0)
    assert probabilistic_sharpe_ratio(0.0, sr_benchmark=0.0, n=50, skew=0.0, kurtosis=3.0) == pytest.approx(
        0.5
    )
    assert math.isnan(probabilistic_sharpe_ratio(0.1, sr_benchmark=0.0, n=1, skew=0.0, kurtosis=3.0))


def _emax_paper(n_trials: int, var: float) -> float:
    """Bailey & Lopez de Prado (2014), the expected maximum Sharpe ratio of N unskilled trials."""
    g = EULER_GAMMA
    return math.sqrt(var) * ((1 - g) * norm.ppf(1 - 1 / n_trials) + g * norm.ppf(1 - 1 / (n_trials * math.e)))


@pytest.mark.parametrize(("n_trials", "var"), [(2, 1.0), (10, 0.004), (100, 1 / 249), (1000, 0.01)])
def test_expected_max_sharpe_matches_the_paper(n_trials: int, var: float) -> None:
    assert expected_max_sharpe(n_trials=n_trials, var_trials=var) == pytest.approx(
        _emax_paper(n_trials, var), rel=1e-12
    )


def test_expected_max_sharpe_against_simulation() -> None:
    """The formula approximates E[max] of N iid N(0, V) draws (about 1% off at N = 100)."""
    rng = np.random.default_rng(0)
    for n_trials in (20, 100):
        sim = rng.normal(0, 0.1, (20_000, n_trials)).max(axis=1).mean()
        assert expected_max_sharpe(n_trials=n_trials, var_trials=0.01) == pytest.approx(sim, rel=0.03)
    assert expected_max_sharpe(n_trials=1, var_trials=1.0) == 0.0
    assert expected_max_sharpe(n_trials=50, var_trials=0.0) == 0.0


def _daily(seed: int, n: int = 500, mu: float = 0.0008, sd: float = 0.01) -> np.ndarray:
    return np.random.default_rng(seed).normal(mu, sd, n)


def _moments(x: np.ndarray) -> tuple[float, float, float]:
    """Per-period SR (ddof=1), and the sample skewness and (non-excess) kurtosis by their moment definitions."""
    d = x - x.mean()
    m2 = np.mean(d**2)
    return float(x.mean() / x.std(ddof=1)), float(np.mean(d**3) / m2**1.5), float(np.mean(d**4) / m2**2)


def test_dsr_with_one_trial_is_psr_against_zero() -> None:
    x = _daily(1)
    sr, skew, kurt = _moments(x)
    d = deflated_sharpe_ratio(x, n_trials=1)
    assert d.sr0 == 0.0
    assert d.sr == pytest.approx(sr, rel=1e-12)
    assert d.dsr == pytest.approx(_psr_closed_form(sr, 0.0, len(x), skew, kurt), rel=1e-10)
    assert (d.n_trials, d.n_days) == (1, 500)


def test_dsr_benchmark_and_value_by_hand() -> None:
    x = _daily(2)
    n = len(x)
    sr, skew, kurt = _moments(x)
    d = deflated_sharpe_ratio(x, n_trials=40)
    sr0 = _emax_paper(40, 1 / (n - 1))  # default trial variance: the null sampling variance of an SR
    assert d.sr0 == pytest.approx(sr0, rel=1e-12)
    assert d.dsr == pytest.approx(_psr_closed_form(sr, sr0, n, skew, kurt), rel=1e-10)
    d2 = deflated_sharpe_ratio(x, n_trials=40, var_trials=0.002)
    assert d2.sr0 == pytest.approx(_emax_paper(40, 0.002), rel=1e-12)


def test_dsr_decreases_with_the_number_of_trials() -> None:
    x = _daily(3)
    dsr = [deflated_sharpe_ratio(x, n_trials=k).dsr for k in (1, 2, 10, 100, 1000)]
    assert all(a > b for a, b in zip(dsr, dsr[1:], strict=False))


def test_dsr_deflates_the_best_of_many_noise_strategies() -> None:
    """Select the best by SR of 100 zero-skill series: its plain PSR(0) looks significant most of the time,
    its DSR for 100 trials almost never does."""
    psr_sig = dsr_sig = 0
    for s in range(20):
        trials = np.random.default_rng(s).normal(0, 0.01, (100, 250))
        best = trials[np.argmax(trials.mean(axis=1) / trials.std(axis=1, ddof=1))]
        psr_sig += deflated_sharpe_ratio(best, n_trials=1).dsr > 0.95
        dsr_sig += deflated_sharpe_ratio(best, n_trials=100).dsr > 0.95
    assert psr_sig >= 14
    assert dsr_sig <= 3


def test_dsr_degenerate_series() -> None:
    assert math.isnan(deflated_sharpe_ratio(np.array([0.01, 0.02]), n_trials=5).dsr)
    assert math.isnan(deflated_sharpe_ratio(np.full(50, 0.01), n_trials=5).dsr)
    x = _daily(4, n=100)
    x[::10] = np.nan
    assert deflated_sharpe_ratio(x, n_trials=3).n_days == 90
