"""Off-policy evaluation on the trading MDP with **continuous** actions (target positions in [-1, 1]).

The continuous counterpart of :mod:`rdq.rl._ope_log`, for :class:`rdq.ope.ContinuousLoggedData` and the
kernel estimators (SCOPE-RL's continuous OPE):

- a candidate is *deterministic*: a :class:`PositionPolicy` maps the observation and bar index to a target
  position ``(n,)`` in [-1, 1] (an expert's position, a QTNet actor's ``tanh`` output);
- the behaviour policy is Gaussian around the mean position of the named experts,
  ``a_t ~ N(mu(s_t), sigma^2)`` (:func:`gaussian_behaviour`); the environment trades ``clip(a_t, -1, 1)``
  and the log keeps the drawn ``a_t`` with ``pscore`` = the Gaussian density at ``a_t`` (the density of the
  action actually drawn, so importance weights are exact);
- :func:`evaluation_actions` is a candidate's action at every logged step, ``(n, horizon, 1)``, the
  ``evaluation_action`` of :func:`rdq.ope.estimate_policy_value`; :func:`true_value_continuous` its
  on-policy value by one rollout of each session (exact: the policy and the market are deterministic).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rdq.errors import ConfigError
from rdq.rl._env import VecTradingEnv
from rdq.rl._market import Market
from rdq.rl._ope_log import check_log_settings

if TYPE_CHECKING:
    from rdq.ope import ContinuousLoggedData

__all__ = [
    "PositionPolicy",
    "ContinuousTradingLog",
    "expert_positions",
    "qtnet_positions",
    "gaussian_behaviour",
    "log_continuous",
    "evaluation_actions",
    "true_value_continuous",
]


class PositionPolicy:
    """A deterministic policy: ``reset(n)`` then ``position(obs (n, obs_dim), bar (n,)) -> (n,)`` in [-1, 1]."""

    def __init__(
        self,
        name: str,
        fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
        reset: Callable[[int], None] | None = None,
    ) -> None:
        self.name, self._fn, self._reset = name, fn, reset

    def reset(self, n: int) -> None:
        """Start ``n`` new episodes (a recurrent policy clears its memory)."""
        if self._reset is not None:
            self._reset(n)

    def position(self, obs: np.ndarray, bar: np.ndarray) -> np.ndarray:
        """``(n,)`` target positions, clipped to [-1, 1]."""
        return np.clip(np.asarray(self._fn(obs, bar), dtype=np.float64).reshape(-1), -1.0, 1.0)


def expert_positions(name: str, market: Market, params: Mapping[str, Any] | None = None) -> PositionPolicy:
    """An expert (:func:`rdq.rl.make_expert`) as a deterministic position policy."""
    from rdq.rl._experts import make_expert

    pos = np.asarray(make_expert(name, **dict(params or {})).positions(market.bars), dtype=np.float64)
    return PositionPolicy(name, lambda obs, bar: pos[bar])


def qtnet_positions(name: str, checkpoint: str | Path) -> PositionPolicy:
    """A QTNet checkpoint's actor mean (``tanh`` output in [-1, 1]) as a deterministic position policy."""
    import torch

    from rdq.rl._qtnet_io import load_checkpoint

    net = load_checkpoint(Path(checkpoint))
    state: dict[str, Any] = {}

    def reset(n: int) -> None:
        state["h"] = torch.zeros(1, n, net.actor.hidden)

    def fn(obs: np.ndarray, bar: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            mu, state["h"] = net.actor(torch.from_numpy(obs.astype(np.float32))[:, None], state["h"])
        return np.asarray(mu[:, 0].double().numpy())

    return PositionPolicy(name, fn, reset)


@dataclass(frozen=True)
class GaussianBehaviour:
    """``a ~ N(mean_j policy_j(s), sigma^2)``: the logging policy (see the module docstring)."""

    policies: tuple[PositionPolicy, ...]
    sigma: float
    name: str = "behaviour"

    def reset(self, n: int) -> None:
        for p in self.policies:
            p.reset(n)

    def mean(self, obs: np.ndarray, bar: np.ndarray) -> np.ndarray:
        """``(n,)`` the mean of the policies' positions."""
        return np.asarray(np.mean([p.position(obs, bar) for p in self.policies], axis=0))

    def density(self, a: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """``(n,)`` the Gaussian density of ``a`` around ``mean``."""
        z = (a - mean) / self.sigma
        return np.asarray(np.exp(-0.5 * z * z) / (self.sigma * math.sqrt(2.0 * math.pi)))


def gaussian_behaviour(policies: Sequence[PositionPolicy], sigma: float) -> GaussianBehaviour:
    """The Gaussian logging policy around the mean of ``policies`` with standard deviation ``sigma``."""
    if not policies:
        raise ConfigError("the behaviour policy needs at least one expert (e.g. --behaviour buy_and_hold)")
    if not (math.isfinite(sigma) and sigma > 0):
        raise ConfigError(f"--sigma must be a positive number (the behaviour's action noise), got {sigma}")
    return GaussianBehaviour(tuple(policies), float(sigma))


@dataclass(frozen=True, eq=False)
class ContinuousTradingLog:
    """Trajectories of the Gaussian behaviour policy.

    ``sessions`` ``(n,)``; ``state`` ``(n, horizon, obs_dim)`` float32; ``bar`` ``(n, horizon)`` int64;
    ``action`` ``(n, horizon, 1)`` the drawn (unclipped) actions; ``reward``, ``pscore`` ``(n, horizon)``.
    """

    sessions: np.ndarray
    state: np.ndarray
    bar: np.ndarray
    action: np.ndarray
    reward: np.ndarray
    pscore: np.ndarray
    gamma: float

    @property
    def n_trajectories(self) -> int:
        """Number of trajectories."""
        return int(self.action.shape[0])

    @property
    def horizon(self) -> int:
        """Steps per trajectory."""
        return int(self.action.shape[1])

    def to_logged(self) -> ContinuousLoggedData:
        """The :class:`rdq.ope.ContinuousLoggedData` of these trajectories (with ``state``)."""
        from rdq.ope import ContinuousLoggedData

        return ContinuousLoggedData(
            action=self.action, reward=self.reward, pscore=self.pscore, gamma=self.gamma, state=self.state
        )

    def arrays(self) -> dict[str, Any]:
        """``LOGGED.npz``'s arrays as :func:`rdq.ope._files.load_logged_any` reads them (plus bar, sessions)."""
        return {
            "action": self.action,
            "reward": self.reward,
            "pscore": self.pscore,
            "state": self.state,
            "gamma": np.float64(self.gamma),
            "action_type": np.str_("continuous"),
            "bar": self.bar,
            "sessions": self.sessions,
        }


def _play(
    market: Market,
    sessions: np.ndarray,
    act: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    horizon: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step ``act(obs, bar) -> (action (n,), pscore (n,))`` for ``horizon`` steps from ``sessions``."""
    n = sessions.size
    venv = VecTradingEnv(market, n_envs=n, autoreset=False)
    obs = venv.reset(sessions)
    state = np.zeros((n, horizon, obs.shape[1]), np.float32)
    bar = np.zeros((n, horizon), np.int64)
    action = np.zeros((n, horizon, 1))
    reward = np.zeros((n, horizon))
    pscore = np.ones((n, horizon))
    for t in range(horizon):
        a, p = act(obs, venv.t)
        state[:, t], bar[:, t], action[:, t, 0], pscore[:, t] = obs, venv.t, a, p
        obs, r, _, _ = venv.step(np.clip(a, -1.0, 1.0))
        reward[:, t] = r
    return state, bar, action, reward, pscore


def log_continuous(
    market: Market,
    sessions: Sequence[int] | np.ndarray,
    behaviour: GaussianBehaviour,
    *,
    horizon: int,
    gamma: float = 0.95,
    rng: np.random.Generator | int = 0,
) -> ContinuousTradingLog:
    """Play ``behaviour`` once from each of ``sessions`` for ``horizon`` steps, drawing its Gaussian actions."""
    s = np.asarray(sessions, dtype=np.int64)
    check_log_settings(market, s, horizon, gamma, action="continuous")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    behaviour.reset(s.size)

    def act(obs: np.ndarray, bar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = behaviour.mean(obs, bar)
        a = mean + behaviour.sigma * gen.standard_normal(mean.shape[0])
        return a, behaviour.density(a, mean)

    state, bar, action, reward, pscore = _play(market, s, act, horizon)
    return ContinuousTradingLog(s, state, bar, action, reward, pscore, gamma)


def evaluation_actions(log: ContinuousTradingLog, policy: PositionPolicy) -> np.ndarray:
    """``policy``'s action at every logged step, ``(n_trajectories, horizon, 1)`` (a recurrent policy reads
    the logged observations in order)."""
    policy.reset(log.n_trajectories)
    cols = [policy.position(log.state[:, t], log.bar[:, t]) for t in range(log.horizon)]
    return np.stack(cols, axis=1)[:, :, None]


def true_value_continuous(
    market: Market, sessions: Sequence[int] | np.ndarray, policy: PositionPolicy, *, horizon: int,
    gamma: float = 0.95,
) -> float:  # fmt: skip
    """On-policy value of a deterministic ``policy``: the mean of ``sum_t gamma^t r_t`` over ``sessions``."""
    s = np.asarray(sessions, dtype=np.int64)
    check_log_settings(market, s, horizon, gamma, action="continuous")
    policy.reset(s.size)
    from rdq.ope import ContinuousLoggedData

    _, _, action, reward, pscore = _play(
        market, s, lambda obs, bar: (policy.position(obs, bar), np.ones(s.size)), horizon
    )
    return float(ContinuousLoggedData(action=action, reward=reward, pscore=pscore, gamma=gamma).behavior_value)
