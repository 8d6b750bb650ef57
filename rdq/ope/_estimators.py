"""Off-policy estimators with SCOPE-RL 0.2.1's exact semantics: discrete actions here, continuous ones
(a kernel on the action, deterministic evaluation policies) in :mod:`rdq.ope._continuous`.

Every estimator first computes one value per logged trajectory, ``(n_trajectories,)``; the policy
value is their mean and the bootstrap interval resamples them. With ``w_t`` the importance weight of
the evaluation policy ``pi_e`` against the behaviour policy ``pi_b``, ``rho_t = prod_{t'<=t} pi_e/pi_b``
(per-decision), ``rho = rho_{T-1}`` (whole trajectory), ``gamma**t`` the discount,
``V_hat(s_t) = sum_a pi_e(a|s_t) Q_hat(s_t, a)``:

=========  ======================================================================================
``dm``     ``V_hat(s_0)`` (no discounted sum: SCOPE-RL's DM reads the initial state value)
``tis``    ``sum_t gamma**t rho r_t``
``pdis``   ``sum_t gamma**t rho_t r_t``
``dr``     ``sum_t gamma**t (rho_t (r_t - Q_hat(s_t, a_t)) + rho_{t-1} V_hat(s_t))``, ``rho_{-1} = 1``
``sn*``    the same with each step's weight divided by its mean over trajectories (``+ 1e-10``)
=========  ======================================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rdq.errors import ConfigError, DataError, did_you_mean
from rdq.ope._continuous import ContinuousLoggedData, continuous_trajectory_values
from rdq.ope._data import LoggedData

__all__ = [
    "ESTIMATORS",
    "EstimatorName",
    "Interval",
    "estimate_interval",
    "estimate_policy_value",
    "trajectory_values",
]

EstimatorName = Literal["dm", "tis", "pdis", "dr", "sntis", "snpdis", "sndr"]
_SN_EPS = 1e-10  # SCOPE-RL adds this to the mean weight before dividing


def _checked(logged: LoggedData, action_dist: object, q_hat: object | None, *, needs_q: bool
             ) -> tuple[np.ndarray, np.ndarray | None]:
    shape = logged.action.shape
    dist = np.asarray(action_dist, dtype=np.float64)
    if dist.ndim != 3 or dist.shape[:2] != shape:
        raise DataError(f"action_dist has shape {dist.shape}, expected {shape} + (n_actions,)",
                        column="action_dist", fix="pass pi_e(a|s_t) for every logged step and every action")
    if np.any(~np.isfinite(dist)) or dist.min() < 0 or dist.max() > 1:
        raise DataError("action_dist must hold probabilities in [0, 1]", column="action_dist",
                        fix="pass a probability distribution over actions at each step")
    if not np.allclose(dist.sum(axis=2), 1.0):
        raise DataError("action_dist does not sum to 1 over actions at every step", column="action_dist",
                        fix="normalise pi_e(.|s_t)")
    if logged.action.max() >= dist.shape[2]:
        raise DataError(f"logged action {int(logged.action.max())} >= n_actions {dist.shape[2]}",
                        column="action", fix="action_dist needs one column per action")
    q = None
    if q_hat is not None:
        q = np.asarray(q_hat, dtype=np.float64)
        if q.shape != dist.shape:
            raise DataError(f"q_hat has shape {q.shape}, expected {dist.shape}", column="q_hat",
                            fix="pass Q_hat(s_t, a) for every logged step and every action")
    if needs_q and q is None:
        raise ConfigError("this estimator needs q_hat (a Q-model's predictions): fit one with rdq.ope.fit_fqe, "
                          "or use an importance-sampling estimator (tis, pdis, sntis, snpdis)")
    return dist, q


def _weights(logged: LoggedData, dist: np.ndarray, *, per_decision: bool) -> np.ndarray:
    """``(n, horizon)`` cumulative importance weights (step-wise, or the last one repeated)."""
    n, h = logged.action.shape
    pe = np.take_along_axis(dist, logged.action[..., None], axis=2)[..., 0]
    e_cum = np.cumprod(pe, axis=1)
    b_cum = np.cumprod(logged.pscore, axis=1)
    if not per_decision:
        e_cum = np.tile(e_cum[:, -1], (h, 1)).T
        b_cum = np.tile(b_cum[:, -1], (h, 1)).T
    return e_cum / b_cum


def _normalise(w: np.ndarray) -> np.ndarray:
    return w / (w.mean(axis=0)[None, :] + _SN_EPS)


def _dm(logged: LoggedData, dist: np.ndarray, q: np.ndarray | None) -> np.ndarray:
    assert q is not None
    return (dist[:, 0] * q[:, 0]).sum(axis=1)


def _is(per_decision: bool, self_normalised: bool) -> Callable[..., np.ndarray]:
    def value(logged: LoggedData, dist: np.ndarray, q: np.ndarray | None) -> np.ndarray:
        w = _weights(logged, dist, per_decision=per_decision)
        if self_normalised:
            w = _normalise(w)
        return (logged.discount[None, :] * w * logged.reward).sum(axis=1)

    return value


def _dr(self_normalised: bool) -> Callable[..., np.ndarray]:
    def value(logged: LoggedData, dist: np.ndarray, q: np.ndarray | None) -> np.ndarray:
        assert q is not None
        w = _weights(logged, dist, per_decision=True)
        if self_normalised:
            w = _normalise(w)
        w_prev = np.roll(w, 1, axis=1)
        w_prev[:, 0] = 1.0
        v_hat = (q * dist).sum(axis=2)
        q_taken = np.take_along_axis(q, logged.action[..., None], axis=2)[..., 0]
        return (logged.discount[None, :] * (w * (logged.reward - q_taken) + w_prev * v_hat)).sum(axis=1)

    return value


@dataclass(frozen=True)
class _Estimator:
    fn: Callable[[LoggedData, np.ndarray, np.ndarray | None], np.ndarray]
    needs_q: bool
    description: str


#: every estimator by name
ESTIMATORS: dict[str, _Estimator] = {
    "dm": _Estimator(_dm, True, "direct method: V_hat(s_0) from a Q-model"),
    "tis": _Estimator(_is(False, False), False, "trajectory-wise importance sampling"),
    "pdis": _Estimator(_is(True, False), False, "per-decision importance sampling"),
    "dr": _Estimator(_dr(False), True, "doubly robust"),
    "sntis": _Estimator(_is(False, True), False, "self-normalised trajectory-wise IS"),
    "snpdis": _Estimator(_is(True, True), False, "self-normalised per-decision IS"),
    "sndr": _Estimator(_dr(True), True, "self-normalised doubly robust"),
}


def _lookup(name: str) -> _Estimator:
    key = str(name).lower()
    if key not in ESTIMATORS:
        raise ConfigError(f"unknown OPE estimator {name!r}{did_you_mean(key, ESTIMATORS)}; "
                          f"choose one of {', '.join(ESTIMATORS)}")
    return ESTIMATORS[key]


def trajectory_values(name: str, logged: LoggedData | ContinuousLoggedData, *, action_dist: object | None = None,
                      q_hat: object | None = None, evaluation_action: object | None = None,
                      kernel: str = "gaussian", bandwidth: float = 1.0, action_scaler: object = None
                      ) -> np.ndarray:
    """Per-trajectory estimates, ``(n_trajectories,)``: their mean is the policy value.

    Takes the arguments of :func:`estimate_policy_value`.
    """
    if isinstance(logged, ContinuousLoggedData):
        if action_dist is not None:
            raise ConfigError("continuous-action logged data takes evaluation_action= (pi_e(s_t), shape "
                              "(n_trajectories, horizon, action_dim)), not action_dist=")
        if evaluation_action is None:
            raise ConfigError("continuous-action logged data needs evaluation_action=: the deterministic "
                              "evaluation policy's action pi_e(s_t) at every logged step, shape "
                              "(n_trajectories, horizon, action_dim)")
        return continuous_trajectory_values(name, logged, evaluation_action=evaluation_action, q_hat=q_hat,
                                            kernel=kernel, bandwidth=bandwidth, action_scaler=action_scaler)
    if evaluation_action is not None:
        raise ConfigError("evaluation_action= is for continuous actions: pass the logged data as "
                          "rdq.ope.ContinuousLoggedData, or pass action_dist= for discrete actions")
    if action_dist is None:
        raise ConfigError("discrete-action logged data needs action_dist=: pi_e(a|s_t) of shape "
                          "(n_trajectories, horizon, n_actions)")
    est = _lookup(name)
    dist, q = _checked(logged, action_dist, q_hat, needs_q=est.needs_q)
    return est.fn(logged, dist, q)


def estimate_policy_value(name: str, logged: LoggedData | ContinuousLoggedData, *,
                          action_dist: object | None = None, q_hat: object | None = None,
                          evaluation_action: object | None = None, kernel: str = "gaussian",
                          bandwidth: float = 1.0, action_scaler: object = None) -> float:
    """Estimate the value ``J(pi_e)`` of an evaluation policy from logged data.

    Discrete actions (:class:`LoggedData`) take ``action_dist`` (and ``q_hat``); continuous actions
    (:class:`ContinuousLoggedData`, a deterministic evaluation policy) take ``evaluation_action``,
    ``q_hat`` and the kernel on the action (``kernel``, ``bandwidth``, ``action_scaler``).

    Parameters
    ----------
    name:
        One of ``dm, tis, pdis, dr, sntis, snpdis, sndr``.
    logged:
        The behaviour policy's trajectories: :class:`LoggedData` or :class:`ContinuousLoggedData`.
    action_dist:
        Discrete: ``(n_trajectories, horizon, n_actions)``, ``pi_e(a | s_t)`` at every logged step.
    q_hat:
        Discrete: ``(n_trajectories, horizon, n_actions)``, a Q-model's ``Q_hat(s_t, a)``.
        Continuous: ``(n_trajectories, horizon, 2)``, ``Q_hat(s_t, a_t)`` and ``Q_hat(s_t, pi_e(s_t))``.
        Needed by dm/dr/sndr, ignored by the importance-sampling estimators (may be None).
    evaluation_action:
        Continuous: ``(n_trajectories, horizon, action_dim)``, ``pi_e(s_t)`` at every logged state.
    kernel, bandwidth, action_scaler:
        Continuous: the kernel on the action (``gaussian, epanechnikov, triangular, cosine, uniform``),
        its bandwidth ``h > 0``, and None or ``(minimum, maximum)`` to map actions to ``[-1, 1]`` first
        (see :mod:`rdq.ope._continuous`).

    Returns
    -------
    float
        The estimate (SCOPE-RL 0.2.1's ``estimate_policy_value`` to round-off).
    """
    return float(trajectory_values(name, logged, action_dist=action_dist, q_hat=q_hat,
                                   evaluation_action=evaluation_action, kernel=kernel, bandwidth=bandwidth,
                                   action_scaler=action_scaler).mean())


@dataclass(frozen=True)
class Interval:
    """A bootstrap interval: the mean of the bootstrap means and the two percentiles."""

    mean: float
    lower: float
    upper: float
    alpha: float


def estimate_interval(name: str, logged: LoggedData | ContinuousLoggedData, *, action_dist: object | None = None,
                      q_hat: object | None = None, alpha: float = 0.05, n_bootstrap: int = 100, seed: int = 0,
                      evaluation_action: object | None = None, kernel: str = "gaussian", bandwidth: float = 1.0,
                      action_scaler: object = None) -> Interval:
    """Nonparametric bootstrap ``1 - alpha`` interval of an estimate (SCOPE-RL's ``ci="bootstrap"``).

    Resamples the per-trajectory values with replacement ``n_bootstrap`` times with
    ``numpy.random.RandomState(seed).choice``, exactly as SCOPE-RL does, so equal seeds give equal
    intervals. The other arguments are those of :func:`estimate_policy_value` (discrete or continuous).
    """
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha = {alpha} must be in (0, 1), e.g. 0.05 for a 95% interval")
    if n_bootstrap < 1:
        raise ConfigError(f"n_bootstrap = {n_bootstrap} must be >= 1")
    values = trajectory_values(name, logged, action_dist=action_dist, q_hat=q_hat,
                               evaluation_action=evaluation_action, kernel=kernel, bandwidth=bandwidth,
                               action_scaler=action_scaler)
    rng = np.random.RandomState(seed)
    boot = [np.mean(rng.choice(values, size=values.shape[0])) for _ in range(n_bootstrap)]
    return Interval(mean=float(np.mean(boot)), lower=float(np.percentile(boot, 100 * alpha / 2)),
                    upper=float(np.percentile(boot, 100 * (1 - alpha / 2))), alpha=alpha)
