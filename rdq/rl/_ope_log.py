"""Off-policy evaluation on the trading MDP, whose truth is known: log a behaviour policy, score candidates.

The MDP is a :class:`~rdq.rl.VecTradingEnv` with discrete actions ``{0: short, 1: flat, 2: long}`` on the
first ``horizon`` steps of chosen episodes (sessions). Every policy here is *stochastic*: a
:class:`DiscretePolicy` gives ``pi(a | s_t)`` as an ``(n, 3)`` array from the observation and the bar index.

- :func:`log_behaviour` plays a behaviour policy (e.g. :func:`behaviour_mixture`: an epsilon-mixture of the
  experts) and records ``state``, ``bar``, ``action``, ``reward`` and ``pscore = pi_b(a_t | s_t)``, each
  ``(n_trajectories, horizon)`` (``state``: ``(n_trajectories, horizon, obs_dim)``), as a :class:`TradingLog`;
- :func:`policy_distributions` evaluates a candidate at the logged steps: ``(n_trajectories, horizon, 3)``,
  the ``action_dist`` of :func:`rdq.ope.estimate_policy_value`;
- :func:`true_value` is a candidate's on-policy value ``mean_i sum_t gamma^t r_it`` by rollouts of the same
  sessions (exact for a deterministic policy and one repeat).

Steps after an episode's end (an episode shorter than ``horizon``) have reward 0 and keep being logged, so the
arrays are rectangular; rewards are used as given, as in :mod:`rdq.ope`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rdq.errors import ConfigError
from rdq.rl._env import VecTradingEnv
from rdq.rl._market import Market

if TYPE_CHECKING:
    from rdq.ope import LoggedData

__all__ = [
    "DiscretePolicy",
    "TradingLog",
    "behaviour_mixture",
    "expert_distribution",
    "log_behaviour",
    "one_hot_positions",
    "policy_distributions",
    "qtnet_distribution",
    "true_value",
]

N_ACTIONS = 3


class DiscretePolicy:
    """A stochastic policy over ``{short, flat, long}``: ``reset(n)`` then ``dist(obs, bar) -> (n, 3)``.

    Parameters
    ----------
    name:
        The policy's name (the candidate file's stem).
    fn:
        ``fn(obs (n, obs_dim), bar (n,)) -> (n, 3)`` action probabilities (rows sum to 1).
    reset:
        ``reset(n)`` before an episode batch of ``n`` (a recurrent policy clears its memory), or ``None``.
    """

    def __init__(
        self,
        name: str,
        fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
        reset: Callable[[int], None] | None = None,
    ) -> None:
        self.name, self._fn, self._reset = name, fn, reset

    def reset(self, n: int) -> None:
        """Start ``n`` new episodes."""
        if self._reset is not None:
            self._reset(n)

    def dist(self, obs: np.ndarray, bar: np.ndarray) -> np.ndarray:
        """``(n, 3)`` probabilities of short, flat, long at the current step."""
        return np.asarray(self._fn(obs, bar), dtype=np.float64)


def one_hot_positions(position: np.ndarray, soften: float = 0.0) -> np.ndarray:
    """``(n,)`` positions in ``{-1, 0, 1}`` -> ``(n, 3)``: ``1 - soften`` on the position's action + ``soften/3`` each."""
    a = (np.sign(np.asarray(position, dtype=np.float64)) + 1).astype(np.int64)
    return (1.0 - soften) * np.eye(N_ACTIONS)[a] + soften / N_ACTIONS


def expert_distribution(
    name: str, market: Market, params: Mapping[str, Any] | None = None, *, soften: float = 0.0
) -> DiscretePolicy:
    """An expert (:func:`rdq.rl.make_expert`, never the prophet) as a policy, ``soften`` of it uniform."""
    from rdq.rl._experts import make_expert

    pos = make_expert(name, **dict(params or {})).positions(market.bars)
    return DiscretePolicy(name, lambda obs, bar: one_hot_positions(pos[bar], soften))


def qtnet_distribution(name: str, checkpoint: str | Path, *, soften: float = 0.0) -> DiscretePolicy:
    """A QTNet checkpoint's greedy actor (its output thresholded at +-1/3) as a policy, ``soften`` uniform."""
    import torch

    from rdq.rl._qtnet import discretize_position
    from rdq.rl._qtnet_io import load_checkpoint

    net = load_checkpoint(Path(checkpoint))
    state: dict[str, Any] = {}

    def reset(n: int) -> None:
        state["h"] = torch.zeros(1, n, net.actor.hidden)

    def fn(obs: np.ndarray, bar: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            mu, state["h"] = net.actor(torch.from_numpy(obs.astype(np.float32))[:, None], state["h"])
        return one_hot_positions(discretize_position(mu[:, 0].double().numpy()), soften)

    return DiscretePolicy(name, fn, reset)


def behaviour_mixture(
    policies: Sequence[DiscretePolicy], epsilon: float, *, name: str = "behaviour"
) -> DiscretePolicy:
    """``(1 - epsilon) * mean_j pi_j + epsilon / 3``: an epsilon-uniform mixture of ``policies`` (equal weights)."""
    if not policies:
        raise ConfigError("the behaviour mixture needs at least one policy (e.g. --behaviour buy_and_hold)")
    if not 0.0 <= epsilon <= 1.0:
        raise ConfigError(f"epsilon must be in [0, 1], got {epsilon}")
    pols = list(policies)

    def fn(obs: np.ndarray, bar: np.ndarray) -> np.ndarray:
        mix = np.mean([p.dist(obs, bar) for p in pols], axis=0)
        return (1.0 - epsilon) * mix + epsilon / N_ACTIONS

    def reset(n: int) -> None:
        for p in pols:
            p.reset(n)

    return DiscretePolicy(name, fn, reset)


@dataclass(frozen=True, eq=False)
class TradingLog:
    """Trajectories of one policy on the trading MDP (see the module docstring).

    ``sessions`` ``(n,)``; ``state`` ``(n, horizon, obs_dim)`` float32; ``bar``, ``action`` (int64),
    ``reward``, ``pscore`` ``(n, horizon)``; ``gamma`` the discount.
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

    @property
    def values(self) -> np.ndarray:
        """``(n,)`` discounted return of each trajectory, ``sum_t gamma^t r_t`` (rdq.ope's discount)."""
        return np.asarray((self.to_logged().discount[None, :] * self.reward).sum(axis=1))

    def to_logged(self) -> LoggedData:
        """The :class:`rdq.ope.LoggedData` of these trajectories (with ``state``)."""
        from rdq.ope import LoggedData

        return LoggedData(
            action=self.action, reward=self.reward, pscore=self.pscore, gamma=self.gamma, state=self.state
        )

    def arrays(self) -> dict[str, Any]:
        """The arrays of ``LOGGED.npz`` as :func:`rdq.ope._files.load_logged` reads them (plus ``bar``, ``sessions``)."""
        return {
            "action": self.action,
            "reward": self.reward,
            "pscore": self.pscore,
            "state": self.state,
            "gamma": np.float64(self.gamma),
            "bar": self.bar,
            "sessions": self.sessions,
        }


def check_log_settings(
    market: Market, sessions: np.ndarray, horizon: int, gamma: float, *, action: str = "discrete"
) -> None:
    """The settings of a log on the trading MDP: the market's ``action`` kind, ``(n,)`` sessions, horizon, gamma."""
    if market.config.action != action:
        what = "discrete actions" if action == "discrete" else "target positions (continuous actions)"
        raise ConfigError(
            f"OPE on the trading MDP needs {what}: build the market with EnvConfig(action={action!r})"
        )
    if sessions.ndim != 1 or sessions.size == 0:
        raise ConfigError(f"sessions must be a non-empty (n,) array, got shape {sessions.shape}")
    if horizon < 1:
        raise ConfigError(f"horizon must be >= 1, got {horizon}")
    if not 0.0 <= gamma <= 1.0:
        raise ConfigError(f"gamma must be in [0, 1], got {gamma}")


def log_behaviour(
    market: Market,
    sessions: Sequence[int] | np.ndarray,
    policy: DiscretePolicy,
    *,
    horizon: int,
    gamma: float = 0.95,
    rng: np.random.Generator | int = 0,
) -> TradingLog:
    """Play ``policy`` once from each of ``sessions`` for ``horizon`` steps, sampling its actions.

    Parameters
    ----------
    market:
        A market with ``action="discrete"``.
    sessions:
        ``(n,)`` episode starts (repeat a session to log it several times).
    policy:
        The behaviour policy; its probability of each sampled action is the ``pscore``.
    horizon, gamma:
        Steps per trajectory and the discount.
    rng:
        A generator (shared draws, as the benchmark does) or a seed.

    Returns
    -------
    TradingLog
    """
    s = np.asarray(sessions, dtype=np.int64)
    check_log_settings(market, s, horizon, gamma)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n = s.size
    venv = VecTradingEnv(market, n_envs=n, autoreset=False)
    obs = venv.reset(s)
    policy.reset(n)
    state = np.zeros((n, horizon, obs.shape[1]), np.float32)
    bar = np.zeros((n, horizon), np.int64)
    action = np.zeros((n, horizon), np.int64)
    reward = np.zeros((n, horizon))
    pscore = np.zeros((n, horizon))
    rows = np.arange(n)
    for t in range(horizon):
        d = policy.dist(obs, venv.t)
        a = (d.cumsum(axis=1) < gen.random(n)[:, None]).sum(axis=1).clip(0, N_ACTIONS - 1)
        state[:, t], bar[:, t], action[:, t], pscore[:, t] = obs, venv.t, a, d[rows, a]
        obs, r, _, _ = venv.step(a)
        reward[:, t] = r
    return TradingLog(
        sessions=s, state=state, bar=bar, action=action, reward=reward, pscore=pscore, gamma=gamma
    )


def policy_distributions(log: TradingLog, policy: DiscretePolicy) -> np.ndarray:
    """``policy``'s ``pi(a | s_t)`` at every logged step, ``(n_trajectories, horizon, 3)``.

    A recurrent policy reads the logged observations in order (its memory follows the logged trajectory).
    """
    policy.reset(log.n_trajectories)
    return np.stack([policy.dist(log.state[:, t], log.bar[:, t]) for t in range(log.horizon)], axis=1)


def true_value(
    market: Market,
    sessions: Sequence[int] | np.ndarray,
    policy: DiscretePolicy,
    *,
    horizon: int,
    gamma: float = 0.95,
    repeats: int = 1,
    rng: np.random.Generator | int = 0,
) -> float:
    """On-policy value: the mean discounted return of ``policy`` over ``repeats`` rollouts of each session."""
    if repeats < 1:
        raise ConfigError(f"repeats must be >= 1, got {repeats}")
    played = log_behaviour(
        market,
        np.repeat(np.asarray(sessions, dtype=np.int64), repeats),
        policy,
        horizon=horizon,
        gamma=gamma,
        rng=rng,
    )
    return played.to_logged().behavior_value
