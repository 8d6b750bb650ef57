"""rdq.ope's continuous-action estimators: hand-checked cases, invariants and named errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rdq.errors import ConfigError, DataError
from rdq.ope import (
    KERNELS,
    ContinuousLoggedData,
    LoggedData,
    estimate_interval,
    estimate_policy_value,
    kernel_density,
    trajectory_values,
)

K0 = {  # K_h(x, x) * h for each kernel
    "gaussian": 1 / np.sqrt(2 * np.pi),
    "epanechnikov": 0.75,
    "triangular": 1.0,
    "cosine": np.pi / 4,
    "uniform": 0.5,
}


def _random_logged(
    seed: int, n: int = 40, h: int = 4, dim: int = 2, spread: float = 0.5
) -> tuple[ContinuousLoggedData, np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed)
    action = g.normal(size=(n, h, dim))
    pscore = g.uniform(0.5, 1.5, size=(n, h, dim))
    reward = g.uniform(0.0, 2.0, size=(n, h))
    ev = action + g.uniform(-spread, spread, size=action.shape)
    q = g.normal(size=(n, h, 2))
    return ContinuousLoggedData(action=action, reward=reward, pscore=pscore, gamma=0.9), ev, q


@pytest.mark.parametrize("bandwidth", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("kernel", list(KERNELS))
def test_every_kernel_integrates_to_one_in_one_dimension(kernel: str, bandwidth: float) -> None:
    x = np.linspace(-12 * bandwidth, 12 * bandwidth, 400_001)
    k = kernel_density(kernel, x, np.full_like(x, 0.0), bandwidth=bandwidth)
    assert float(np.sum(k) * (x[1] - x[0])) == pytest.approx(1.0, abs=2e-4)
    assert k.min() >= 0.0
    assert float(kernel_density(kernel, [[0.7]], [[0.7]], bandwidth=bandwidth)[0]) == pytest.approx(
        K0[kernel] / bandwidth, rel=1e-12
    )


def test_kernels_use_the_euclidean_distance_of_multi_dimensional_actions() -> None:
    # ||(0.3, 0.4)|| = 0.5: the uniform kernel of bandwidth 0.6 sees it, of bandwidth 0.5 does not
    assert kernel_density("uniform", [[0.3, 0.4]], [[0.0, 0.0]], bandwidth=0.6)[0] == pytest.approx(1 / 1.2)
    assert kernel_density("uniform", [[0.3, 0.4]], [[0.0, 0.0]], bandwidth=0.5)[0] == 0.0
    assert kernel_density("triangular", [[0.3, 0.4]], [[0.0, 0.0]], bandwidth=1.0)[0] == pytest.approx(0.5)
    assert kernel_density("epanechnikov", [[3.0, 4.0]], [[0.0, 0.0]], bandwidth=1.0)[0] == 0.0
    g = kernel_density("gaussian", [[0.3, 0.4]], [[0.0, 0.0]], bandwidth=0.5)[0]
    assert g == pytest.approx(np.exp(-0.25 / 0.5) / np.sqrt(2 * np.pi * 0.25), rel=1e-12)


def test_two_step_trajectory_by_hand() -> None:
    # the evaluation policy takes the logged actions: each step's weight is K_h(0) / pi_b(a_t|s_t)
    logged = ContinuousLoggedData(action=[[0.2, -0.1]], reward=[[1.0, 2.0]], pscore=[[0.5, 0.25]], gamma=0.5)
    ev = np.array([[[0.2], [-0.1]]])
    k0 = 1 / np.sqrt(2 * np.pi)  # gaussian, h = 1
    rho0, rho1 = k0 / 0.5, k0 * k0 / (0.5 * 0.25)
    q = np.array([[[3.0, 1.5], [4.0, 2.5]]])  # [..., 0] = Q(s_t, a_t), [..., 1] = Q(s_t, pi_e(s_t))
    assert estimate_policy_value("tis", logged, evaluation_action=ev) == pytest.approx(rho1 * (1 + 0.5 * 2))
    assert estimate_policy_value("pdis", logged, evaluation_action=ev) == pytest.approx(
        rho0 * 1 + 0.5 * rho1 * 2
    )
    assert estimate_policy_value("dm", logged, evaluation_action=ev, q_hat=q) == pytest.approx(1.5)
    dr = rho0 * (1 - 3) + 1.5 + 0.5 * (rho1 * (2 - 4) + rho0 * 2.5)
    assert estimate_policy_value("dr", logged, evaluation_action=ev, q_hat=q) == pytest.approx(dr)
    # one trajectory: the self-normalised weights are w / (w + 1e-10), 1 to round-off
    assert estimate_policy_value("snpdis", logged, evaluation_action=ev) == pytest.approx(
        1 + 0.5 * 2, rel=1e-9
    )
    assert estimate_policy_value("sndr", logged, evaluation_action=ev, q_hat=q) == pytest.approx(
        (1 - 3) + 1.5 + 0.5 * ((2 - 4) + 2.5), rel=1e-9
    )
    # bandwidth 0.5 doubles every kernel value
    assert estimate_policy_value("tis", logged, evaluation_action=ev, bandwidth=0.5) == pytest.approx(
        4 * rho1 * (1 + 0.5 * 2)
    )


def test_an_action_beyond_a_compact_kernel_gets_weight_zero() -> None:
    logged = ContinuousLoggedData(
        action=[[0.0, 0.0], [0.0, 0.0]], reward=[[1.0, 1.0], [3.0, 3.0]], pscore=[[0.4, 0.4], [0.4, 0.4]]
    )
    ev = np.array([[[0.0], [0.0]], [[0.0], [0.9]]])  # trajectory 1 leaves the kernel at its second step
    for kernel in ("epanechnikov", "triangular", "cosine", "uniform"):
        pdis = trajectory_values("pdis", logged, evaluation_action=ev, kernel=kernel, bandwidth=0.5)
        w = K0[kernel] / 0.5 / 0.4
        np.testing.assert_allclose(pdis, [w + w * w, 3 * w], rtol=1e-12)
        assert trajectory_values("tis", logged, evaluation_action=ev, kernel=kernel, bandwidth=0.5)[1] == 0.0


def test_per_dimension_pscore_is_the_product_and_one_dimension_may_be_2d() -> None:
    logged, ev, q = _random_logged(3)
    joint = ContinuousLoggedData(
        action=logged.action, reward=logged.reward, pscore=np.asarray(logged.pscore), gamma=0.9
    )
    g = np.random.default_rng(3)
    per_dim = g.uniform(0.5, 1.5, size=logged.action.shape)
    a = ContinuousLoggedData(action=logged.action, reward=logged.reward, pscore=per_dim, gamma=0.9)
    b = ContinuousLoggedData(
        action=logged.action, reward=logged.reward, pscore=per_dim.prod(axis=2), gamma=0.9
    )
    for name in ("tis", "pdis", "dr", "sntis", "snpdis", "sndr"):
        assert estimate_policy_value(name, a, evaluation_action=ev, q_hat=q) == estimate_policy_value(
            name, b, evaluation_action=ev, q_hat=q
        )
    assert joint.pscore.shape == (40, 4)
    one = ContinuousLoggedData(action=logged.action[..., 0], reward=logged.reward, pscore=per_dim[..., 0])
    three = ContinuousLoggedData(action=logged.action[..., :1], reward=logged.reward, pscore=per_dim[..., :1])
    assert one.action_dim == 1
    assert estimate_policy_value("pdis", one, evaluation_action=ev[..., 0]) == estimate_policy_value(
        "pdis", three, evaluation_action=ev[..., :1]
    )


def test_action_scaler_is_min_max_to_minus_one_one() -> None:
    logged, ev, q = _random_logged(5, spread=1.0)
    # (minimum, maximum) = (-2, 4) maps a to (a + 2) / 6 * 2 - 1 = (a - 1) / 3
    scaled = ContinuousLoggedData(
        action=(logged.action - 1) / 3, reward=logged.reward, pscore=logged.pscore, gamma=logged.gamma
    )
    for name in ("tis", "pdis", "sndr"):
        a = estimate_policy_value(
            name, logged, evaluation_action=ev, q_hat=q, bandwidth=0.4, action_scaler=(-2.0, 4.0)
        )
        b = estimate_policy_value(name, scaled, evaluation_action=(ev - 1) / 3, q_hat=q, bandwidth=0.4)
        assert a == pytest.approx(b, rel=1e-12)
        c = estimate_policy_value(
            name,
            logged,
            evaluation_action=ev,
            q_hat=q,
            bandwidth=0.4,
            action_scaler=([-2.0, -2.0], [4.0, 4.0]),
        )
        assert c == a


def test_a_kernel_estimate_is_nearly_unbiased_on_a_bandit() -> None:
    # a ~ N(0, 1), r = 1 - (a - 1)^2 + noise; pi_e(s) = 0.5 has value 0.75; the gaussian kernel's
    # bias is h^2 r''(0.5) / 2 = -h^2
    g = np.random.default_rng(0)
    n, h = 200_000, 0.1
    a = g.normal(size=(n, 1))
    pscore = np.exp(-(a**2) / 2) / np.sqrt(2 * np.pi)
    reward = 1 - (a - 1) ** 2 + g.normal(0, 0.1, size=(n, 1))
    logged = ContinuousLoggedData(action=a, reward=reward, pscore=pscore)
    ev = np.full((n, 1, 1), 0.5)
    for name in ("tis", "pdis"):
        assert estimate_policy_value(name, logged, evaluation_action=ev, bandwidth=h) == pytest.approx(
            0.75 - h**2, abs=0.03
        )
    assert estimate_policy_value("sntis", logged, evaluation_action=ev, bandwidth=h) == pytest.approx(
        0.74, abs=0.03
    )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), c=st.floats(0.5, 2.0))
def test_self_normalised_estimates_ignore_a_constant_factor_on_pscore(seed: int, c: float) -> None:
    logged, ev, q = _random_logged(seed)
    scaled = ContinuousLoggedData(
        action=logged.action, reward=logged.reward, pscore=logged.pscore * c, gamma=logged.gamma
    )
    for name in ("sntis", "snpdis", "sndr"):
        a = estimate_policy_value(name, logged, evaluation_action=ev, q_hat=q)
        b = estimate_policy_value(name, scaled, evaluation_action=ev, q_hat=q)
        assert b == pytest.approx(a, rel=1e-5, abs=1e-9)  # up to SCOPE-RL's 1e-10 in the normaliser
    # the unnormalised trajectory-wise weight is divided by c**horizon exactly
    tis = estimate_policy_value("tis", logged, evaluation_action=ev)
    assert estimate_policy_value("tis", scaled, evaluation_action=ev) == pytest.approx(
        tis / c**logged.horizon, rel=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), kernel=st.sampled_from(list(KERNELS)), bandwidth=st.floats(0.3, 3.0))
def test_self_normalised_estimates_are_averages_of_the_rewards(
    seed: int, kernel: str, bandwidth: float
) -> None:
    """With rewards >= 0: SNTIS lies within [min, max] of the discounted returns, SNPDIS within the
    discounted sum of each step's [min, max] (the 1e-10 in the normaliser only shrinks towards 0)."""
    logged, ev, _ = _random_logged(seed, spread=1.0)
    disc = logged.discount
    returns = (disc * logged.reward).sum(axis=1)
    sntis = estimate_policy_value("sntis", logged, evaluation_action=ev, kernel=kernel, bandwidth=bandwidth)
    assert sntis <= returns.max() * (1 + 1e-12)
    snpdis = estimate_policy_value("snpdis", logged, evaluation_action=ev, kernel=kernel, bandwidth=bandwidth)
    assert snpdis <= float((disc * logged.reward.max(axis=0)).sum()) * (1 + 1e-12)
    assert snpdis >= 0.0 and sntis >= 0.0
    n, h, dim = logged.action.shape
    k = kernel_density(kernel, ev.reshape(-1, dim), logged.action.reshape(-1, dim), bandwidth=bandwidth)
    w = np.cumprod(k.reshape(n, h) / logged.pscore, axis=1)
    # the lower bounds, shrunk by the normaliser's 1e-10: sum_i w_i x_i / (sum_i w_i + n 1e-10) >= min x * shrink
    shrink = w.sum(axis=0) / (w.sum(axis=0) + n * 1e-10)  # (horizon,) per step
    assert sntis >= returns.min() * shrink[-1] * (1 - 1e-12)
    assert snpdis >= float((disc * logged.reward.min(axis=0) * shrink).sum()) * (1 - 1e-12)


def test_interval_is_reproducible_and_brackets_the_estimate() -> None:
    logged, ev, q = _random_logged(2, n=200)
    a = estimate_interval(
        "sndr",
        logged,
        evaluation_action=ev,
        q_hat=q,
        seed=5,
        n_bootstrap=300,
        kernel="epanechnikov",
        bandwidth=2.0,
    )
    b = estimate_interval(
        "sndr",
        logged,
        evaluation_action=ev,
        q_hat=q,
        seed=5,
        n_bootstrap=300,
        kernel="epanechnikov",
        bandwidth=2.0,
    )
    assert a == b
    v = estimate_policy_value(
        "sndr", logged, evaluation_action=ev, q_hat=q, kernel="epanechnikov", bandwidth=2.0
    )
    assert a.lower < v < a.upper


def test_named_errors() -> None:
    logged, ev, q = _random_logged(1)
    with pytest.raises(ConfigError, match="did you mean 'gaussian'"):
        estimate_policy_value("tis", logged, evaluation_action=ev, kernel="gausian")
    with pytest.raises(ConfigError, match="did you mean 'sndr'"):
        estimate_policy_value("snrd", logged, evaluation_action=ev)
    with pytest.raises(ConfigError, match="bandwidth"):
        estimate_policy_value("tis", logged, evaluation_action=ev, bandwidth=0.0)
    with pytest.raises(ConfigError, match="needs q_hat"):
        estimate_policy_value("dr", logged, evaluation_action=ev)
    with pytest.raises(ConfigError, match="needs evaluation_action"):
        estimate_policy_value("tis", logged)
    with pytest.raises(ConfigError, match="not action_dist"):
        estimate_policy_value("tis", logged, action_dist=np.ones((40, 4, 1)), evaluation_action=ev)
    with pytest.raises(ConfigError, match="action_scaler"):
        estimate_policy_value("tis", logged, evaluation_action=ev, action_scaler=(1.0, -1.0))
    with pytest.raises(DataError, match="evaluation_action has shape"):
        estimate_policy_value("tis", logged, evaluation_action=ev[..., :1])
    with pytest.raises(DataError, match="q_hat has shape"):
        estimate_policy_value("dm", logged, evaluation_action=ev, q_hat=q[..., :1])
    with pytest.raises(DataError, match=r"pscore\[0, 1\]"):
        ContinuousLoggedData(action=[[0.0, 0.0]], reward=[[1.0, 1.0]], pscore=[[0.5, 0.0]])
    with pytest.raises(DataError, match="pscore has shape"):
        ContinuousLoggedData(action=[[0.0, 0.0]], reward=[[1.0, 1.0]], pscore=[[0.5]])
    with pytest.raises(DataError, match="reward has shape"):
        ContinuousLoggedData(action=[[0.0, 0.0]], reward=[[1.0]], pscore=[[0.5, 0.5]])
    discrete = LoggedData(action=[[0]], reward=[[1.0]], pscore=[[0.5]])
    with pytest.raises(ConfigError, match="ContinuousLoggedData"):
        estimate_policy_value("tis", discrete, evaluation_action=[[[0.0]]])
    with pytest.raises(ConfigError, match="needs action_dist"):
        estimate_policy_value("tis", discrete)
    # a density may exceed 1 (unlike a discrete probability)
    assert ContinuousLoggedData(action=[[0.0]], reward=[[1.0]], pscore=[[3.5]]).pscore[0, 0] == 3.5
