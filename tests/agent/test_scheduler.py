"""rdq.agent._scheduler: the bandit's Bayesian update by hand, convergence on a simulated linear bandit, a
context whose every metric feature moves (the RD-Agent(Q) misspelt-key bug cannot recur), round robin, random,
the neural bandit, and state round trips that continue the same decisions."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import polars as pl
import pytest

from rdq.agent._scheduler import (
    CONTEXT_KEYS,
    N_CONTEXT_FEATURES,
    LinearThompsonScheduler,
    NeuralScheduler,
    RandomScheduler,
    RoundRobinScheduler,
    context_features,
    load_scheduler,
    make_scheduler,
)
from rdq.agent._types import Branch
from rdq.errors import ConfigError
from rdq.metrics import Metric, RiskSeries, metric_key, signal_key

F, M = Branch.FACTOR, Branch.MODEL


def _roundtrip(state: dict) -> dict:
    """The run folder keeps scheduler state as JSON."""
    return json.loads(json.dumps(state))


# ------------------------------------------------------------------ linear Thompson sampling
def test_posterior_is_the_closed_form() -> None:
    """P = P0 + sum x x^T / s^2, b = sum r x / s^2, mu = P^-1 b, with s = 2 (the error term is not dropped)."""
    d, s, lam = 4, 2.0, 1.5
    sched = LinearThompsonScheduler(d, lam=lam, noise_sd=s, seed=0)
    rng = np.random.default_rng(1)
    xs, rs = rng.normal(size=(30, d)), rng.normal(size=30)
    for x, r in zip(xs, rs, strict=True):
        sched.update(F, x, float(r))
    P = lam * np.eye(d) + sum(np.outer(x, x) for x in xs) / s**2
    b = sum(r * x for x, r in zip(xs, rs, strict=True)) / s**2
    np.testing.assert_allclose(sched.P[F], P, rtol=1e-12)
    np.testing.assert_allclose(sched.b[F], b, rtol=1e-12)
    np.testing.assert_allclose(sched.mean(F), np.linalg.solve(P, b), rtol=1e-10)
    np.testing.assert_allclose(sched.covariance(F), np.linalg.inv(P), rtol=1e-10)
    # the other arm still has its prior
    np.testing.assert_array_equal(sched.P[M], lam * np.eye(d))
    np.testing.assert_array_equal(sched.b[M], np.zeros(d))


def test_thompson_draws_from_the_posterior() -> None:
    """choose() samples theta ~ N(mu, v^2 P^-1): with a sharp posterior it picks the better arm at x, with a
    flat prior on both arms it picks each about half of the time."""
    sched = LinearThompsonScheduler(2, noise_sd=0.1, v=1.0, seed=3)
    x = np.array([1.0, 0.5])
    for _ in range(50):
        sched.update(F, x, 0.1)
        sched.update(M, x, 0.3)
    assert all(sched.choose(x) is M for _ in range(50))
    flat = LinearThompsonScheduler(2, seed=4)
    share = np.mean([flat.choose(x) is F for _ in range(400)])
    assert 0.4 < share < 0.6


def _linear_bandit(seed: int) -> tuple[dict[Branch, np.ndarray], np.random.Generator]:
    w = {F: np.array([0.5, -0.3, 0.8]), M: np.array([-0.2, 0.4, 0.3])}
    return w, np.random.default_rng(seed)


def _context(rng: np.random.Generator) -> np.ndarray:
    return np.array([rng.normal(), rng.normal(), 1.0])


def test_posterior_mean_converges_to_the_true_weights() -> None:
    s = 2.0
    w, rng = _linear_bandit(0)
    sched = LinearThompsonScheduler(3, noise_sd=s, seed=0)
    for _ in range(500):
        for arm in (F, M):
            x = _context(rng)
            sched.update(arm, x, float(w[arm] @ x + rng.normal(0, s)))
    for arm in (F, M):
        err = np.abs(sched.mean(arm) - w[arm])
        # 500 draws with noise sd 2: each weight's posterior sd is about 2 / sqrt(500) = 0.09
        assert err.max() < 0.3, (arm, sched.mean(arm), w[arm])
        sd = np.sqrt(np.diag(sched.covariance(arm)))
        # E[x x^T] = I, so each weight's posterior sd is about s / sqrt(n): 0.089 (0.045 without the s^2)
        np.testing.assert_allclose(sd, s / math.sqrt(500), rtol=0.2)
        assert np.all(err < 4 * sd)  # the error is what the posterior says it is


def test_bandit_learns_the_better_arm_per_context() -> None:
    s = 0.5
    w, rng = _linear_bandit(1)
    sched = LinearThompsonScheduler(3, noise_sd=s, seed=1)
    right = []
    for t in range(400):
        x = _context(rng)
        arm = sched.choose(x)
        sched.update(arm, x, float(w[arm] @ x + rng.normal(0, s)))
        if t >= 300:
            right.append(arm is max((F, M), key=lambda a: float(w[a] @ x)))
    assert np.mean(right) >= 0.85


def test_bandit_state_round_trip_continues_the_same_choices() -> None:
    w, rng = _linear_bandit(2)
    a = LinearThompsonScheduler(3, noise_sd=0.7, v=0.8, lam=2.0, seed=5)
    for _ in range(40):
        x = _context(rng)
        arm = a.choose(x)
        a.update(arm, x, float(w[arm] @ x))
    b = load_scheduler(_roundtrip(a.state_dict()))
    assert isinstance(b, LinearThompsonScheduler)
    assert (b.lam, b.noise_sd, b.v, b.n_features) == (2.0, 0.7, 0.8, 3)
    xs = [_context(rng) for _ in range(60)]
    got_a, got_b = [], []
    for x in xs:
        ca, cb = a.choose(x), b.choose(x)
        got_a.append(ca)
        got_b.append(cb)
        a.update(ca, x, float(w[ca] @ x))
        b.update(cb, x, float(w[cb] @ x))
    assert got_a == got_b
    np.testing.assert_array_equal(a.P[F], b.P[F])


# ------------------------------------------------------------------ the context vector
def _sota_metrics(seed: int) -> dict[str, float]:
    """A SOTA's validation metrics built the way the evaluation builds them: the backtest's flat dict
    (rdq.backtest.summarize(...).to_dict()) updated with the scores' signal (score_signal), numbers only."""
    from rdq.backtest import summarize
    from rdq.pipeline._adapters import score_signal

    rng = np.random.default_rng(seed)
    n_days, n_assets = 60, 15
    dates = [dt.date(2021, 1, 4) + dt.timedelta(days=i) for i in range(n_days)]
    edge = rng.uniform(-0.5, 1.0)
    ret = rng.normal(edge * 0.002, rng.uniform(0.005, 0.02), n_days)
    records = pl.DataFrame(
        {"date": dates, "return": ret, "cost": np.full(n_days, 0.0003), "bench": rng.normal(0, 0.005, n_days)}
    )
    flat: dict[str, object] = dict(summarize(records, mode="sum", n=252).to_dict())
    label = rng.normal(0, 1, (n_days, n_assets))
    score = edge * label + rng.normal(0, 1, (n_days, n_assets))
    rows = [(d, f"A{j}") for d in dates for j in range(n_assets)]
    scores = pl.DataFrame(
        {"date": [r[0] for r in rows], "asset": [r[1] for r in rows], "score": score.ravel()}
    )
    lab = pl.DataFrame({"date": [r[0] for r in rows], "asset": [r[1] for r in rows], "label": label.ravel()})
    _, _, signal = score_signal(scores, lab)
    flat.update(signal)
    return {k: float(v) for k, v in flat.items() if isinstance(v, int | float)}


def test_every_context_feature_moves_across_rounds() -> None:
    """The RD-Agent(Q) bug: a misspelt key read a constant 0 for months. Here every metric feature, the
    annualised return included, varies when the SOTA's metrics do, and none is flagged missing."""
    n_rounds = 12
    rows = np.array(
        [context_features(_sota_metrics(r), round=r, n_rounds=n_rounds) for r in range(1, n_rounds + 1)]
    )
    assert rows.shape == (n_rounds, N_CONTEXT_FEATURES)
    k = len(CONTEXT_KEYS)
    for j, key in enumerate(CONTEXT_KEYS):
        assert np.unique(rows[:, j]).size == n_rounds, f"feature {key!r} is constant across rounds"
    np.testing.assert_array_equal(rows[:, k : 2 * k], 0.0)  # no key missing
    assert np.unique(rows[:, 2 * k]).size == n_rounds  # progress
    np.testing.assert_array_equal(rows[:, -1], 1.0)  # bias
    assert metric_key(RiskSeries.EXCESS_WITH_COST, Metric.ANNUALIZED_RETURN) in CONTEXT_KEYS


def test_context_values_are_the_metrics_in_key_order() -> None:
    m = _sota_metrics(0)
    x = context_features(m, round=3, n_rounds=10)
    np.testing.assert_array_equal(x[: len(CONTEXT_KEYS)], [m[k] for k in CONTEXT_KEYS])
    assert x[2 * len(CONTEXT_KEYS)] == pytest.approx(0.3)


def test_missing_or_nan_metric_sets_its_flag() -> None:
    m = _sota_metrics(1)
    ir = metric_key(RiskSeries.EXCESS_WITH_COST, Metric.INFORMATION_RATIO)
    ic = signal_key(Metric.IC)
    m[ir] = math.nan
    del m[ic]
    x = context_features(m, round=1, n_rounds=5)
    k = len(CONTEXT_KEYS)
    for j, key in enumerate(CONTEXT_KEYS):
        broken = key in (ir, ic)
        assert x[k + j] == (1.0 if broken else 0.0), key
        if broken:
            assert x[j] == 0.0
    assert np.all(np.isfinite(x))


def test_context_keys_are_typed_metric_constants() -> None:
    from rdq.agent._evaluate import EVAL_METRICS

    expected = {
        signal_key(Metric.IC),
        signal_key(Metric.RANK_IC),
        signal_key(Metric.ICIR),
        metric_key(RiskSeries.EXCESS_WITH_COST, Metric.ANNUALIZED_RETURN),
        metric_key(RiskSeries.EXCESS_WITH_COST, Metric.INFORMATION_RATIO),
        metric_key(RiskSeries.EXCESS_WITH_COST, Metric.MAX_DRAWDOWN),
    }
    assert set(CONTEXT_KEYS) == expected
    assert set(CONTEXT_KEYS) <= set(EVAL_METRICS)  # every feature is a metric the evaluation reports
    for key in CONTEXT_KEYS:
        assert key == key.strip() and Metric(key.rsplit(".", 1)[1])
    assert N_CONTEXT_FEATURES == 2 * len(CONTEXT_KEYS) + 2


# ------------------------------------------------------------------ round robin, random, factory
def test_round_robin_alternates_and_resumes() -> None:
    x = np.zeros(N_CONTEXT_FEATURES)
    rr = RoundRobinScheduler()
    assert [rr.choose(x) for _ in range(5)] == [F, M, F, M, F]
    rr2 = load_scheduler(_roundtrip(rr.state_dict()))
    assert [rr2.choose(x) for _ in range(3)] == [M, F, M]
    other = RoundRobinScheduler(start=M)
    assert [other.choose(x) for _ in range(3)] == [M, F, M]


def test_random_is_seeded_balanced_and_resumes() -> None:
    x = np.zeros(N_CONTEXT_FEATURES)

    def seq(sched: RandomScheduler, k: int) -> list[Branch]:
        return [sched.choose(x) for _ in range(k)]

    a, b = RandomScheduler(seed=7), RandomScheduler(seed=7)
    first = seq(a, 200)
    assert first == seq(b, 200)
    assert first != seq(RandomScheduler(seed=8), 200)
    assert 0.4 < np.mean([c is F for c in first]) < 0.6
    c = load_scheduler(_roundtrip(a.state_dict()))
    assert seq(c, 50) == seq(a, 50)


def test_make_scheduler_and_unknown_names() -> None:
    assert isinstance(make_scheduler("bandit"), LinearThompsonScheduler)
    assert isinstance(make_scheduler("round_robin"), RoundRobinScheduler)
    assert isinstance(make_scheduler("random"), RandomScheduler)
    assert isinstance(make_scheduler("neural"), NeuralScheduler)
    assert make_scheduler("bandit").n_features == N_CONTEXT_FEATURES  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="round_robin"):
        make_scheduler("bandits")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="kind"):
        load_scheduler({"kind": "ucb"})


# ------------------------------------------------------------------ the neural bandit
def _neural_run(sched: NeuralScheduler, reward, n: int, seed: int) -> tuple[list[Branch], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    chosen, xs = [], []
    for _ in range(n):
        x = np.array([rng.normal(), rng.normal(), rng.uniform(), 1.0])
        arm = sched.choose(x)
        sched.update(arm, x, reward(arm, x, rng))
        chosen.append(arm)
        xs.append(x)
    return chosen, xs


def test_neural_is_a_torch_mlp() -> None:
    import torch

    sched = NeuralScheduler(4, hidden=8, seed=0)
    for arm in (F, M):
        net = sched.nets[arm]
        assert isinstance(net, torch.nn.Module)
        assert sum(p.numel() for p in net.parameters()) == 4 * 8 + 8 + 8 + 1
    # an untried arm predicts 0 and its exploration bonus is positive
    f, bonus = sched.predict(F, np.ones(4))
    assert f == 0.0 and bonus > 0


@pytest.mark.parametrize("better", [F, M])
def test_neural_learns_to_prefer_the_better_arm(better: Branch) -> None:
    def reward(arm: Branch, x: np.ndarray, rng: np.random.Generator) -> float:
        mean = 1.0 + 0.2 * x[0] if arm is better else 0.3
        return float(mean + rng.normal(0, 0.3))

    chosen, _ = _neural_run(NeuralScheduler(4, seed=0), reward, 100, seed=1)
    assert np.mean([c is better for c in chosen[-30:]]) >= 0.8
    assert sum(c is not better for c in chosen) >= 2  # it did explore the other arm


def test_neural_online_regression_fits_the_rewards() -> None:
    """Each arm's net regresses its own rewards: after fitting, predictions track the true mean reward."""
    sched = NeuralScheduler(4, seed=2)
    rng = np.random.default_rng(3)
    for _ in range(40):
        for arm, w in ((F, np.array([0.5, 0.0, 0.0, 1.0])), (M, np.array([0.0, -0.5, 0.0, 0.2]))):
            x = np.array([rng.normal(), rng.normal(), rng.uniform(), 1.0])
            sched.update(arm, x, float(w @ x + rng.normal(0, 0.1)))
    test_x = [np.array([rng.normal(), rng.normal(), rng.uniform(), 1.0]) for _ in range(50)]
    for arm, w in ((F, np.array([0.5, 0.0, 0.0, 1.0])), (M, np.array([0.0, -0.5, 0.0, 0.2]))):
        pred = np.array([sched.predict(arm, x)[0] for x in test_x])
        truth = np.array([w @ x for x in test_x])
        assert np.sqrt(np.mean((pred - truth) ** 2)) < 0.2, arm
    # the bonus shrinks where the arm has data: far less than for a fresh scheduler
    fresh = NeuralScheduler(4, seed=2)
    assert sched.predict(F, test_x[0])[1] < 0.5 * fresh.predict(F, test_x[0])[1] * (
        sched._reward_scale() / fresh._reward_scale()
    )


def test_neural_uses_the_context() -> None:
    """F pays when x0 > 0, M when x0 < 0: late choices follow the sign of x0."""

    def reward(arm: Branch, x: np.ndarray, rng: np.random.Generator) -> float:
        good = (x[0] > 0) == (arm is F)
        return float((1.0 if good else 0.0) + rng.normal(0, 0.2))

    chosen, xs = _neural_run(NeuralScheduler(4, seed=0), reward, 150, seed=4)
    right = [(x[0] > 0) == (c is F) for c, x in zip(chosen[-40:], xs[-40:], strict=True)]
    assert np.mean(right) >= 0.75


def test_neural_state_round_trip_continues_the_same_choices() -> None:
    def reward(arm: Branch, x: np.ndarray, rng: np.random.Generator) -> float:
        return float((0.6 if arm is F else 0.4) + 0.3 * x[1] + rng.normal(0, 0.2))

    a = NeuralScheduler(4, hidden=8, steps=5, lr=0.03, beta=0.7, lam=2.0, seed=3)
    _neural_run(a, reward, 25, seed=5)
    b = load_scheduler(_roundtrip(a.state_dict()))
    assert isinstance(b, NeuralScheduler)
    assert (b.hidden, b.steps, b.lr, b.beta, b.lam) == (8, 5, 0.03, 0.7, 2.0)
    xs = [np.array([v, -v, 0.5, 1.0]) for v in np.linspace(-2, 2, 7)]
    for x in xs:
        assert a.predict(F, x) == b.predict(F, x) and a.predict(M, x) == b.predict(M, x)
    got_a, _ = _neural_run(a, reward, 15, seed=6)
    got_b, _ = _neural_run(b, reward, 15, seed=6)
    assert got_a == got_b
    assert b.state_dict() == a.state_dict()


def test_neural_is_seeded() -> None:
    def reward(arm: Branch, x: np.ndarray, rng: np.random.Generator) -> float:
        return float(rng.normal(0.5 if arm is F else 0.45, 0.3))

    runs = [_neural_run(NeuralScheduler(4, steps=5, seed=s), reward, 20, seed=0)[0] for s in (1, 1)]
    assert runs[0] == runs[1]
    a, c = NeuralScheduler(4, seed=1), NeuralScheduler(4, seed=2)
    assert not np.array_equal(a.nets[F][0].weight.detach().numpy(), c.nets[F][0].weight.detach().numpy())
