"""Logged trajectories of a behaviour policy: the input of every OPE estimator.

Arrays are ``(n_trajectories, horizon)``; action distributions and Q-values of an evaluation
policy are ``(n_trajectories, horizon, n_actions)``::

    action[i, t]       int    a_t chosen by the behaviour policy in trajectory i
    reward[i, t]       float  r_t, used as given (no masking after a terminal step, as SCOPE-RL's
                              ``disable_reward_after_done=False``)
    pscore[i, t]       float  pi_b(a_t | s_t), in (0, 1]
    state[i, t, ...]   float  optional observations (fitted-Q evaluation needs them)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rdq.errors import DataError

__all__ = ["LoggedData", "Trajectories"]


class Trajectories:
    """What every logged-data class derives from its ``action`` ``(n, horizon, ...)``, ``reward`` ``(n, horizon)``
    and ``gamma``: sizes, the discount and the behaviour policy's value (shared by the discrete and continuous
    forms)."""

    action: np.ndarray
    reward: np.ndarray
    gamma: float

    @property
    def n_trajectories(self) -> int:
        """Number of logged trajectories."""
        return int(self.action.shape[0])

    @property
    def horizon(self) -> int:
        """Steps per trajectory."""
        return int(self.action.shape[1])

    @property
    def discount(self) -> np.ndarray:
        """``(horizon,)`` weights ``gamma**t`` (SCOPE-RL's ``cumprod(gamma) / gamma``)."""
        if self.gamma > 0:
            return np.asarray(np.full(self.horizon, self.gamma).cumprod() / self.gamma)
        return np.r_[1.0, np.zeros(self.horizon - 1)]

    @property
    def behavior_value(self) -> float:
        """On-policy value of the behaviour policy: the mean discounted return of the logged trajectories."""
        return float((self.discount[None, :] * self.reward).sum(axis=1).mean())


def _as_2d(name: str, x: object, *, dtype: type) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise DataError(f"{name} must be an array of shape (n_trajectories, horizon), got shape {arr.shape}",
                        column=name, fix="reshape it to one row per trajectory")
    if dtype is int:
        if not np.issubdtype(arr.dtype, np.integer):
            if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
                raise DataError("actions must be integers (discrete action indices)", column=name,
                                fix="pass the index of each chosen action, 0 .. n_actions-1")
        return arr.astype(np.int64)
    return arr.astype(np.float64)


@dataclass(frozen=True, eq=False)
class LoggedData(Trajectories):
    """Trajectories logged by a behaviour policy, with its action probabilities.

    Parameters
    ----------
    action, reward, pscore:
        ``(n_trajectories, horizon)`` arrays (see the module docstring).
    gamma:
        Discount factor in [0, 1]; the value of a trajectory is ``sum_t gamma**t r_t``.
    state:
        Optional ``(n_trajectories, horizon, state_dim)`` observations (or ``(n, horizon)``).

    Examples
    --------
    >>> import numpy as np
    >>> d = LoggedData(action=np.zeros((2, 3), int), reward=np.ones((2, 3)), pscore=np.full((2, 3), .5), gamma=.9)
    >>> d.n_trajectories, d.horizon, round(d.behavior_value, 4)
    (2, 3, 2.71)
    """

    action: np.ndarray
    reward: np.ndarray
    pscore: np.ndarray
    gamma: float = 1.0
    state: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        action = _as_2d("action", self.action, dtype=int)
        reward = _as_2d("reward", self.reward, dtype=float)
        pscore = _as_2d("pscore", self.pscore, dtype=float)
        if not (action.shape == reward.shape == pscore.shape):
            raise DataError(f"action {action.shape}, reward {reward.shape} and pscore {pscore.shape} must have "
                            "one shape (n_trajectories, horizon)", fix="log one action, reward, pscore per step")
        if action.size == 0:
            raise DataError("no logged steps", fix="pass at least one trajectory of at least one step")
        if np.any(action < 0):
            raise DataError("negative action index", column="action", fix="actions are 0 .. n_actions-1")
        if not np.all(np.isfinite(reward)):
            raise DataError("reward has NaN or inf", column="reward", fix="drop or repair those steps")
        bad = ~((pscore > 0) & (pscore <= 1))
        if np.any(bad):
            i, t = (int(v) for v in np.argwhere(bad)[0])
            raise DataError(f"pscore[{i}, {t}] = {pscore[i, t]!r} is not in (0, 1]", column="pscore",
                            fix="log pi_b(a|s) of the chosen action; a zero-probability action cannot be logged")
        gamma = float(self.gamma)
        if not 0.0 <= gamma <= 1.0:
            raise DataError(f"gamma = {gamma} is not in [0, 1]", fix="pass a discount factor such as 0.99")
        state = self.state
        if state is not None:
            state = np.asarray(state, dtype=np.float64)
            if state.ndim == 2:
                state = state[..., None]
            if state.shape[:2] != action.shape:
                raise DataError(f"state has shape {state.shape}, expected {action.shape} + (state_dim,)",
                                column="state", fix="log one observation per step")
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "reward", reward)
        object.__setattr__(self, "pscore", pscore)
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "state", state)
