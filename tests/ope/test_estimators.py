"""rdq.ope estimators: hand-checked cases, invariants and named errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rdq.errors import ConfigError, DataError
from rdq.ope import ESTIMATORS, LoggedData, estimate_interval, estimate_policy_value, trajectory_values


def _random_logged(seed: int, n: int = 50, h: int = 4, n_actions: int = 3
                   ) -> tuple[LoggedData, np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed)
    behaviour = g.dirichlet(np.ones(n_actions), size=(n, h))
    action = (behaviour.cumsum(axis=2) < g.random((n, h, 1))).sum(axis=2).clip(0, n_actions - 1)
    pscore = np.take_along_axis(behaviour, action[..., None], axis=2)[..., 0]
    logged = LoggedData(action=action, reward=g.normal(size=(n, h)), pscore=pscore, gamma=0.9)
    return logged, behaviour, g.normal(size=(n, h, n_actions))


def test_two_step_trajectory_by_hand() -> None:
    # one trajectory, two steps, two actions; pi_b(a0)=0.5, pi_b(a1)=0.25; pi_e(a0)=1.0, pi_e(a1)=0.5
    logged = LoggedData(action=[[0, 1]], reward=[[1.0, 2.0]], pscore=[[0.5, 0.25]], gamma=0.5)
    dist = np.array([[[1.0, 0.0], [0.5, 0.5]]])
    q = np.array([[[3.0, 1.0], [4.0, 2.0]]])
    # rho_0 = 2, rho_1 = 2 * 2 = 4
    assert estimate_policy_value("tis", logged, action_dist=dist) == pytest.approx(4 * 1 + 0.5 * 4 * 2)
    assert estimate_policy_value("pdis", logged, action_dist=dist) == pytest.approx(2 * 1 + 0.5 * 4 * 2)
    assert estimate_policy_value("dm", logged, action_dist=dist, q_hat=q) == pytest.approx(3.0)
    # dr: t0: 2*(1-3) + 1*3 = -1 ; t1: 0.5*(4*(2-2) + 2*(0.5*4+0.5*2)) = 3
    assert estimate_policy_value("dr", logged, action_dist=dist, q_hat=q) == pytest.approx(2.0)
    # one trajectory: self-normalised weights are w / (w + 1e-10) ~ 1
    assert estimate_policy_value("snpdis", logged, action_dist=dist) == pytest.approx(1 + 0.5 * 2, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_evaluating_the_behaviour_policy_gives_its_logged_value(seed: int) -> None:
    logged, behaviour, q = _random_logged(seed)
    for name in ("tis", "pdis", "sntis", "snpdis"):
        assert estimate_policy_value(name, logged, action_dist=behaviour) == pytest.approx(
            logged.behavior_value, rel=1e-6, abs=1e-6)
    # with unit weights, DR is the logged return whatever Q-model (the control variate cancels in the sum)
    dr = trajectory_values("dr", logged, action_dist=behaviour, q_hat=q)
    v_hat = (behaviour * q).sum(axis=2)
    q_taken = np.take_along_axis(q, logged.action[..., None], axis=2)[..., 0]
    expected = (logged.discount * (logged.reward - q_taken + v_hat)).sum(axis=1)
    np.testing.assert_allclose(dr, expected, rtol=1e-12)


def test_importance_sampling_is_unbiased_on_a_bandit() -> None:
    g = np.random.default_rng(0)
    n = 200_000
    pb = np.array([0.7, 0.2, 0.1])
    means = np.array([0.0, 1.0, 3.0])
    action = g.choice(3, size=(n, 1), p=pb)
    logged = LoggedData(action=action, reward=means[action] + g.normal(size=(n, 1)), pscore=pb[action])
    pe = np.array([0.1, 0.3, 0.6])
    dist = np.broadcast_to(pe, (n, 1, 3))
    truth = float(pe @ means)
    for name in ("tis", "pdis", "sntis", "snpdis"):
        assert estimate_policy_value(name, logged, action_dist=dist) == pytest.approx(truth, abs=0.05)


def test_interval_is_reproducible_and_brackets_the_estimate() -> None:
    logged, behaviour, q = _random_logged(3, n=200)
    a = estimate_interval("sndr", logged, action_dist=behaviour, q_hat=q, seed=5, n_bootstrap=300)
    b = estimate_interval("sndr", logged, action_dist=behaviour, q_hat=q, seed=5, n_bootstrap=300)
    assert a == b
    v = estimate_policy_value("sndr", logged, action_dist=behaviour, q_hat=q)
    assert a.lower < v < a.upper


def test_named_errors() -> None:
    logged, behaviour, q = _random_logged(1)
    with pytest.raises(ConfigError, match="did you mean 'sndr'"):
        estimate_policy_value("snrd", logged, action_dist=behaviour)
    with pytest.raises(ConfigError, match="needs q_hat"):
        estimate_policy_value("dr", logged, action_dist=behaviour)
    with pytest.raises(DataError, match="sum to 1"):
        estimate_policy_value("tis", logged, action_dist=behaviour * 0.5)
    with pytest.raises(DataError, match="action_dist has shape"):
        estimate_policy_value("tis", logged, action_dist=behaviour[:, :2])
    with pytest.raises(DataError, match="q_hat has shape"):
        estimate_policy_value("dm", logged, action_dist=behaviour, q_hat=q[..., :2])
    with pytest.raises(DataError, match=r"pscore\[0, 1\]"):
        LoggedData(action=[[0, 0]], reward=[[1.0, 1.0]], pscore=[[0.5, 0.0]])
    with pytest.raises(DataError, match="one shape"):
        LoggedData(action=[[0, 0]], reward=[[1.0]], pscore=[[0.5, 0.5]])
    with pytest.raises(DataError, match="integers"):
        LoggedData(action=[[0.5]], reward=[[1.0]], pscore=[[0.5]])
    with pytest.raises(DataError, match="gamma"):
        LoggedData(action=[[0]], reward=[[1.0]], pscore=[[0.5]], gamma=1.5)
    assert set(ESTIMATORS) == {"dm", "tis", "pdis", "dr", "sntis", "snpdis", "sndr"}


def test_toy_mdp_truth_is_what_unbiased_estimators_converge_to() -> None:
    from rdq.ope import toy_mdp

    # a short horizon keeps the cumulative importance weights (and so the IS/DR variance) moderate
    toy = toy_mdp(n_trajectories=20_000, n_candidates=3, horizon=3, seed=4)
    assert toy.logged.behavior_value == pytest.approx(toy.behavior_value, abs=0.1)
    for c in toy.candidates:
        # with the exact Q, DM is exact up to the initial-state sample; DR stays unbiased
        dm = estimate_policy_value("dm", toy.logged, action_dist=c.action_dist, q_hat=c.q)
        dr = estimate_policy_value("dr", toy.logged, action_dist=c.action_dist, q_hat=c.q)
        assert dm == pytest.approx(c.true_value, abs=0.05)
        assert dr == pytest.approx(c.true_value, abs=0.1)
        pdis = estimate_policy_value("pdis", toy.logged, action_dist=c.action_dist)
        assert pdis == pytest.approx(c.true_value, abs=0.2)
    again = toy_mdp(n_trajectories=50, n_candidates=2, seed=4)
    np.testing.assert_array_equal(again.logged.reward, toy_mdp(n_trajectories=50, n_candidates=2, seed=4).logged.reward)
