"""Off-policy estimators for continuous actions and deterministic evaluation policies (SCOPE-RL 0.2.1).

A deterministic evaluation policy ``pi_e`` never takes the logged action exactly, so the
importance weight ``pi_e(a_t|s_t) / pi_b(a_t|s_t)`` is replaced by a kernel on the action
(Kallus & Zhou, 2019, as SCOPE-RL's ``scope_rl.ope.continuous`` does)::

    w_t = K_h(pi_e(s_t), a_t) / pi_b(a_t | s_t)

where ``pi_b(a_t|s_t)`` is the behaviour policy's *density* at the logged action (a
multi-dimensional action's density is the product of its per-dimension densities, as SCOPE-RL
takes it) and ``K_h`` one of the kernels in :data:`KERNELS`, applied to the Euclidean distance
``||pi_e(s_t) - a_t||`` (after an optional min-max scaling of both actions). With these weights the
estimators read exactly as the discrete ones (``rdq.ope._estimators``):

=========  ======================================================================================
``dm``     ``Q_hat(s_0, pi_e(s_0))``
``tis``    ``sum_t gamma**t rho r_t``, ``rho = prod_{t'<T} w_t'``
``pdis``   ``sum_t gamma**t rho_t r_t``, ``rho_t = prod_{t'<=t} w_t'``
``dr``     ``sum_t gamma**t (rho_t (r_t - Q_hat(s_t, a_t)) + rho_{t-1} Q_hat(s_t, pi_e(s_t)))``
``sn*``    each step's weight divided by its mean over trajectories (``+ 1e-10``)
=========  ======================================================================================

Shapes::

    action[i, t, d]             float  a_t of the behaviour policy, (n_trajectories, horizon, action_dim)
    pscore[i, t] or [i, t, d]   float  pi_b(a_t | s_t): the joint density, or one density per dimension
    evaluation_action[i, t, d]  float  pi_e(s_t) at every logged state
    q_hat[i, t, 0], [i, t, 1]   float  Q_hat(s_t, a_t) and Q_hat(s_t, pi_e(s_t)) (SCOPE-RL's
                                       ``state_action_value_prediction`` of shape (n * horizon, 2))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rdq.errors import ConfigError, DataError, did_you_mean
from rdq.ope._data import Trajectories

__all__ = [
    "CONTINUOUS_ESTIMATORS",
    "KERNELS",
    "ContinuousLoggedData",
    "continuous_trajectory_values",
    "kernel_density",
]

_SN_EPS = 1e-10  # SCOPE-RL adds this to the mean weight before dividing


def _squared_distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(n,)`` squared Euclidean distances of rows, as SCOPE-RL forms them (``|x|^2 + |y|^2 - 2 x.y``).

    Clipped at 0: round-off can make the expanded form slightly negative for ``x == y``, where
    SCOPE-RL's square root would give NaN.
    """
    d = (x**2).sum(axis=1) + (y**2).sum(axis=1) - 2.0 * (x * y).sum(axis=1)
    return np.maximum(d, 0.0)


def _gaussian(d2: np.ndarray, h: float) -> np.ndarray:
    return np.exp(-d2 / (2 * h**2)) / np.sqrt(2 * np.pi * h**2)


def _epanechnikov(d2: np.ndarray, h: float) -> np.ndarray:
    u = np.clip(np.sqrt(d2) / h, None, 1.0)
    return 0.75 * (1 - u**2) / h


def _triangular(d2: np.ndarray, h: float) -> np.ndarray:
    u = np.sqrt(d2) / h
    return (u < 1) * (1 - u) / h


def _cosine(d2: np.ndarray, h: float) -> np.ndarray:
    u = np.sqrt(d2) / h
    return (u < 1) * (np.pi / 4) * np.cos(u * np.pi / 2) / h


def _uniform(d2: np.ndarray, h: float) -> np.ndarray:
    u = np.sqrt(d2) / h
    return (u < 1) / (2 * h)


#: kernel name -> K_h as a function of the squared distance and the bandwidth ``h``; each is the
#: one-dimensional kernel ``K(u) / h`` of ``u = ||x - y|| / h`` (SCOPE-RL's ``scope_rl.utils``)
KERNELS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "gaussian": _gaussian,
    "epanechnikov": _epanechnikov,
    "triangular": _triangular,
    "cosine": _cosine,
    "uniform": _uniform,
}


def _kernel(name: str) -> Callable[[np.ndarray, float], np.ndarray]:
    key = str(name).lower()
    if key not in KERNELS:
        raise ConfigError(
            f"unknown kernel {name!r}{did_you_mean(key, KERNELS)}; choose one of {', '.join(KERNELS)}"
        )
    return KERNELS[key]


def _bandwidth(bandwidth: float) -> float:
    h = float(bandwidth)
    if not (np.isfinite(h) and h > 0):
        raise ConfigError(
            f"bandwidth = {bandwidth!r} must be a positive number, e.g. 1.0 (in action units, "
            "or in [-1, 1] units with action_scaler)"
        )
    return h


def kernel_density(kernel: str, x: object, y: object, *, bandwidth: float = 1.0) -> np.ndarray:
    """``K_h(x_i, y_i)`` row by row.

    Parameters
    ----------
    kernel:
        One of ``gaussian, epanechnikov, triangular, cosine, uniform``.
    x, y:
        ``(n, action_dim)`` (or ``(n,)`` for one dimension) arrays of actions.
    bandwidth:
        ``h > 0``.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` kernel values; in one dimension each kernel integrates to 1 over ``x``.

    Examples
    --------
    >>> round(float(kernel_density("uniform", [[0.0]], [[0.4]], bandwidth=0.5)[0]), 6)
    1.0
    """
    fn, h = _kernel(kernel), _bandwidth(bandwidth)
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    xa = xa[:, None] if xa.ndim == 1 else xa
    ya = ya[:, None] if ya.ndim == 1 else ya
    if xa.shape != ya.shape or xa.ndim != 2:
        raise DataError(
            f"x has shape {xa.shape} and y {ya.shape}; expected one shape (n, action_dim)",
            fix="pass the two actions of every row",
        )
    return fn(_squared_distance(xa, ya), h)


def _as_action(name: str, x: object, shape2: tuple[int, ...] | None = None) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3:
        raise DataError(
            f"{name} must have shape (n_trajectories, horizon, action_dim), got {arr.shape}",
            column=name,
            fix="reshape it to one row per trajectory and one column per step",
        )
    if shape2 is not None and arr.shape != shape2:
        raise DataError(
            f"{name} has shape {arr.shape}, expected {shape2} (the logged action's shape)",
            column=name,
            fix="give pi_e(s_t) at every logged step, one value per action dimension",
        )
    if not np.all(np.isfinite(arr)):
        i, t = (int(v) for v in np.argwhere(~np.isfinite(arr))[0][:2])
        raise DataError(f"{name}[{i}, {t}] has NaN or inf", column=name, fix="drop or repair those steps")
    return arr


@dataclass(frozen=True, eq=False)
class ContinuousLoggedData(Trajectories):
    """Trajectories of a behaviour policy over a continuous action, with its action densities.

    Parameters
    ----------
    action:
        ``(n_trajectories, horizon, action_dim)`` logged actions (``(n, horizon)`` for one dimension).
    reward:
        ``(n_trajectories, horizon)`` rewards, used as given (no masking after a terminal step).
    pscore:
        ``pi_b(a_t | s_t)``, the behaviour policy's density at the logged action, ``> 0`` (a density may
        exceed 1): ``(n, horizon)`` joint, or ``(n, horizon, action_dim)`` one factor per dimension,
        multiplied as SCOPE-RL does.
    gamma:
        Discount factor in [0, 1].
    state:
        Optional ``(n_trajectories, horizon, state_dim)`` observations.

    Examples
    --------
    >>> import numpy as np
    >>> d = ContinuousLoggedData(action=np.zeros((2, 3)), reward=np.ones((2, 3)), pscore=np.full((2, 3), 2.0), gamma=.9)
    >>> d.n_trajectories, d.horizon, d.action_dim, round(d.behavior_value, 4)
    (2, 3, 1, 2.71)
    """

    action: np.ndarray
    reward: np.ndarray
    pscore: np.ndarray
    gamma: float = 1.0
    state: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        action = _as_action("action", self.action)
        n, h, dim = action.shape
        reward = np.asarray(self.reward, dtype=np.float64)
        if reward.shape != (n, h):
            raise DataError(
                f"reward has shape {reward.shape}, expected {(n, h)} (the action's first two axes)",
                column="reward",
                fix="log one reward per step",
            )
        if action.size == 0:
            raise DataError("no logged steps", fix="pass at least one trajectory of at least one step")
        if not np.all(np.isfinite(reward)):
            raise DataError("reward has NaN or inf", column="reward", fix="drop or repair those steps")
        ps = np.asarray(self.pscore, dtype=np.float64)
        if ps.shape not in ((n, h), (n, h, dim)):
            raise DataError(
                f"pscore has shape {ps.shape}, expected {(n, h)} (joint density) or {(n, h, dim)} "
                "(one density per action dimension)",
                column="pscore",
                fix="log pi_b(a_t|s_t) of every logged step",
            )
        bad = ~(np.isfinite(ps) & (ps > 0))
        if np.any(bad):
            idx = tuple(int(v) for v in np.argwhere(bad)[0])
            raise DataError(
                f"pscore[{', '.join(map(str, idx))}] = {ps[idx]!r} is not a positive density",
                column="pscore",
                fix="log the behaviour policy's density at the logged action; "
                "a deterministic behaviour policy cannot be evaluated off-policy",
            )
        if ps.ndim == 3:
            ps = np.prod(ps, axis=2)
        gamma = float(self.gamma)
        if not 0.0 <= gamma <= 1.0:
            raise DataError(f"gamma = {gamma} is not in [0, 1]", fix="pass a discount factor such as 0.99")
        state = self.state
        if state is not None:
            state = np.asarray(state, dtype=np.float64)
            if state.ndim == 2:
                state = state[..., None]
            if state.shape[:2] != (n, h):
                raise DataError(
                    f"state has shape {state.shape}, expected {(n, h)} + (state_dim,)",
                    column="state",
                    fix="log one observation per step",
                )
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "reward", reward)
        object.__setattr__(self, "pscore", ps)
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "state", state)

    @property
    def action_dim(self) -> int:
        """Dimensions of the action."""
        return int(self.action.shape[2])


def _scaler(action_scaler: object, dim: int) -> tuple[np.ndarray, np.ndarray] | None:
    if action_scaler is None:
        return None
    try:
        low, high = (np.broadcast_to(np.asarray(v, dtype=np.float64), (dim,)) for v in action_scaler)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ConfigError(
            f"action_scaler must be None or (minimum, maximum) with {dim} value(s) each, e.g. "
            "(-1.0, 1.0) for a position in [-1, 1]"
        ) from None
    if not np.all(np.isfinite(low) & np.isfinite(high) & (high > low)):
        raise ConfigError(
            f"action_scaler (minimum={low.tolist()}, maximum={high.tolist()}) needs maximum > "
            "minimum in every dimension"
        )
    return low, high


def _min_max(a: np.ndarray, scale: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """d3rlpy's ``MinMaxActionScaler.transform_numpy``: ``(a - min) / (max - min) * 2 - 1``."""
    low, high = scale
    return ((a - low) / (high - low)) * 2.0 - 1.0


@dataclass(frozen=True)
class _Inputs:
    logged: ContinuousLoggedData
    similarity: np.ndarray  # (n, horizon) K_h(pi_e(s_t), a_t), one step
    q: np.ndarray | None  # (n, horizon, 2)


def _checked(
    logged: ContinuousLoggedData,
    evaluation_action: object,
    q_hat: object | None,
    *,
    kernel: str,
    bandwidth: float,
    action_scaler: object,
    needs_q: bool,
) -> _Inputs:
    fn, h = _kernel(kernel), _bandwidth(bandwidth)
    ev = _as_action("evaluation_action", evaluation_action, logged.action.shape)
    scale = _scaler(action_scaler, logged.action_dim)
    a = logged.action
    if scale is not None:
        ev, a = _min_max(ev, scale), _min_max(a, scale)
    n, hz, dim = a.shape
    k = fn(_squared_distance(ev.reshape(-1, dim), a.reshape(-1, dim)), h).reshape(n, hz)
    q = None
    if q_hat is not None:
        q = np.asarray(q_hat, dtype=np.float64)
        if q.shape != (n, hz, 2):
            raise DataError(
                f"q_hat has shape {q.shape}, expected {(n, hz, 2)}",
                column="q_hat",
                fix="pass [..., 0] = Q_hat(s_t, a_t) of the logged action and "
                "[..., 1] = Q_hat(s_t, pi_e(s_t)) for every logged step",
            )
        if not np.all(np.isfinite(q)):
            raise DataError("q_hat has NaN or inf", column="q_hat", fix="repair the Q-model's predictions")
    if needs_q and q is None:
        raise ConfigError(
            "this estimator needs q_hat (a Q-model's Q_hat(s_t, a_t) and Q_hat(s_t, pi_e(s_t))): "
            "use an importance-sampling estimator (tis, pdis, sntis, snpdis) without one"
        )
    return _Inputs(logged=logged, similarity=k, q=q)


def _weights(inp: _Inputs, *, per_decision: bool, self_normalised: bool) -> np.ndarray:
    """``(n, horizon)`` cumulative weights ``prod K / prod pi_b`` (SCOPE-RL divides the two products)."""
    logged = inp.logged
    h = logged.horizon
    sim = np.cumprod(inp.similarity, axis=1)
    b = np.cumprod(logged.pscore, axis=1)
    if not per_decision:
        sim = np.tile(sim[:, -1], (h, 1)).T
        b = np.tile(b[:, -1], (h, 1)).T
    w = sim / b
    if self_normalised:
        w = w / (w.mean(axis=0)[None, :] + _SN_EPS)
    return w


def _dm(inp: _Inputs) -> np.ndarray:
    assert inp.q is not None
    return inp.q[:, 0, 1].copy()


def _is(per_decision: bool, self_normalised: bool) -> Callable[[_Inputs], np.ndarray]:
    def value(inp: _Inputs) -> np.ndarray:
        w = _weights(inp, per_decision=per_decision, self_normalised=self_normalised)
        return (inp.logged.discount[None, :] * inp.logged.reward * w).sum(axis=1)

    return value


def _dr(self_normalised: bool) -> Callable[[_Inputs], np.ndarray]:
    def value(inp: _Inputs) -> np.ndarray:
        assert inp.q is not None
        w = _weights(inp, per_decision=True, self_normalised=self_normalised)
        w_prev = np.roll(w, 1, axis=1)
        w_prev[:, 0] = 1.0
        q_taken, v_hat = inp.q[:, :, 0], inp.q[:, :, 1]
        r = inp.logged.reward
        return (inp.logged.discount[None, :] * (w * (r - q_taken) + w_prev * v_hat)).sum(axis=1)

    return value


@dataclass(frozen=True)
class _Estimator:
    fn: Callable[[_Inputs], np.ndarray]
    needs_q: bool


#: every continuous-action estimator by name (the same names as the discrete ones)
CONTINUOUS_ESTIMATORS: dict[str, _Estimator] = {
    "dm": _Estimator(_dm, True),
    "tis": _Estimator(_is(False, False), False),
    "pdis": _Estimator(_is(True, False), False),
    "dr": _Estimator(_dr(False), True),
    "sntis": _Estimator(_is(False, True), False),
    "snpdis": _Estimator(_is(True, True), False),
    "sndr": _Estimator(_dr(True), True),
}


def continuous_trajectory_values(
    name: str,
    logged: ContinuousLoggedData,
    *,
    evaluation_action: object,
    q_hat: object | None = None,
    kernel: str = "gaussian",
    bandwidth: float = 1.0,
    action_scaler: object = None,
) -> np.ndarray:
    """Per-trajectory estimates, ``(n_trajectories,)``, of a deterministic policy over a continuous action.

    Parameters
    ----------
    name:
        One of ``dm, tis, pdis, dr, sntis, snpdis, sndr``.
    logged:
        The behaviour policy's trajectories and densities.
    evaluation_action:
        ``(n_trajectories, horizon, action_dim)``: ``pi_e(s_t)`` at every logged state.
    q_hat:
        ``(n_trajectories, horizon, 2)``: ``Q_hat(s_t, a_t)`` and ``Q_hat(s_t, pi_e(s_t))``; needed by
        dm/dr/sndr, ignored by the importance-sampling estimators (may be None).
    kernel, bandwidth:
        The kernel ``K_h`` on the action (:data:`KERNELS`) and ``h > 0``.
    action_scaler:
        None, or ``(minimum, maximum)`` (scalars or one per dimension): both actions are mapped to
        ``[-1, 1]`` first, as d3rlpy's ``MinMaxActionScaler`` does, and ``h`` is in those units.

    Returns
    -------
    numpy.ndarray
        ``(n_trajectories,)``; their mean is SCOPE-RL 0.2.1's ``estimate_policy_value`` to round-off.
    """
    key = str(name).lower()
    if key not in CONTINUOUS_ESTIMATORS:
        raise ConfigError(
            f"unknown OPE estimator {name!r}{did_you_mean(key, CONTINUOUS_ESTIMATORS)}; "
            f"choose one of {', '.join(CONTINUOUS_ESTIMATORS)}"
        )
    est = CONTINUOUS_ESTIMATORS[key]
    inp = _checked(
        logged,
        evaluation_action,
        q_hat,
        kernel=kernel,
        bandwidth=bandwidth,
        action_scaler=action_scaler,
        needs_q=est.needs_q,
    )
    return est.fn(inp)
