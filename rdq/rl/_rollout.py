"""Whole episodes of any policy on a market, stepped at once in :class:`~rdq.rl.VecTradingEnv`.

A policy decides **target positions** in [-1, 1] (the continuous form of the action; the discrete actions
{short, flat, long} are the positions {-1, 0, 1}), so experts, QTNet and the stable-baselines3 agents are
all run, and judged, on the same market with the same costs. The market must be built with
``EnvConfig(action="continuous")``.

:class:`Episodes` keeps what the replay buffers need to rebuild every observation
(``market.observe(bar, position, upnl)``) and what the metrics need (PnL, turnover)::

    bar, position, upnl     (n, T + 1)   the observation before each step, and the one after the last
    action                  (n, T)       the target position decided
    reward, pnl, turnover   (n, T)       the env's reward, the net return of the step, the position traded
    length                  (n,)         steps of each episode (the rest is padding: zeros)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rdq.errors import ConfigError
from rdq.rl._env import VecTradingEnv
from rdq.rl._experts import Expert
from rdq.rl._market import Market

__all__ = ["Episodes", "ExpertPolicy", "Policy", "rollout"]


class Policy(Protocol):
    """What :func:`rollout` drives: ``reset`` at the start of a batch of episodes, then ``act`` every step."""

    name: str

    def reset(self, sessions: np.ndarray) -> None:
        """Start one episode per session."""

    def act(self, obs: np.ndarray, bar: np.ndarray) -> np.ndarray:
        """Target positions ``(n,)`` from observations ``(n, obs_dim)`` at bars ``(n,)``."""
        ...


class ExpertPolicy:
    """An expert's positions (computed once on the whole market, causal by construction) as a policy.

    Parameters
    ----------
    expert, market:
        The rule and the bars it reads.
    noise:
        Share of the steps at which a random position in ``{-1, 0, 1}`` is executed instead of the expert's
        (noise injected into demonstrations, as DART; :meth:`label` stays the expert's own decision).
    rng:
        Source of that noise.
    """

    def __init__(self, expert: Expert, market: Market, *, noise: float = 0.0,
                 rng: np.random.Generator | None = None) -> None:
        self.expert = expert
        self.name = expert.name
        self.noise = noise
        self.rng = rng or np.random.default_rng(0)
        self._positions = expert.positions(market.bars)

    def reset(self, sessions: np.ndarray) -> None:
        """Nothing to reset: an expert has no memory beyond the bars."""

    def label(self, bar: np.ndarray) -> np.ndarray:
        """The expert's own position decided at bars ``bar`` (any shape)."""
        return self._positions[bar]

    def act(self, obs: np.ndarray, bar: np.ndarray) -> np.ndarray:
        """The expert's position decided at each bar (with probability ``noise`` a random one)."""
        p = self._positions[bar]
        if self.noise > 0:
            flip = self.rng.random(p.shape) < self.noise
            p = np.where(flip, self.rng.integers(-1, 2, p.shape).astype(np.float64), p)
        return p


@dataclass(frozen=True, eq=False)
class Episodes:
    """Episodes of one policy (see the module docstring for the arrays)."""

    session: np.ndarray
    bar: np.ndarray
    position: np.ndarray
    upnl: np.ndarray
    action: np.ndarray
    reward: np.ndarray
    pnl: np.ndarray
    turnover: np.ndarray
    length: np.ndarray

    @property
    def n(self) -> int:
        """Number of episodes."""
        return int(self.length.shape[0])

    @property
    def returns(self) -> np.ndarray:
        """``(n,)`` net return of each episode (the sum of its steps' returns on a unit of capital)."""
        return self.pnl.sum(axis=1)

    @property
    def episode_reward(self) -> np.ndarray:
        """``(n,)`` sum of the rewards of each episode."""
        return self.reward.sum(axis=1)

    def valid(self) -> np.ndarray:
        """``(n, T)`` bool: real steps."""
        return np.arange(self.action.shape[1])[None, :] < self.length[:, None]


def rollout(market: Market, sessions: Sequence[int] | np.ndarray, policy: Policy) -> Episodes:
    """Run ``policy`` for one whole episode starting at each of ``sessions``, all at once.

    Parameters
    ----------
    market:
        A market with continuous actions (target positions).
    sessions:
        ``(n,)`` episode starts.
    policy:
        See :class:`Policy`.

    Returns
    -------
    Episodes
        ``T`` = the longest episode's steps.
    """
    if market.config.action != "continuous":
        raise ConfigError("rollout needs a market built with EnvConfig(action='continuous') (target positions)")
    s = np.asarray(sessions, dtype=np.int64)
    if s.size == 0:
        raise ConfigError("rollout needs at least one session")
    venv = VecTradingEnv(market, n_envs=int(s.size), autoreset=False)
    obs = venv.reset(s)
    policy.reset(s)
    length = (market.episode_stop[s] - market.episode_start[s] - 1).astype(np.int64)
    n, steps = int(s.size), int(length.max())
    bar = np.zeros((n, steps + 1), np.int64)
    position = np.zeros((n, steps + 1), np.float32)
    upnl = np.zeros((n, steps + 1), np.float32)
    action = np.zeros((n, steps), np.float32)
    reward, pnl, turnover = (np.zeros((n, steps)) for _ in range(3))
    for k in range(steps):
        live = ~venv.done
        bar[:, k], position[:, k], upnl[:, k] = venv.t, obs[:, -2], obs[:, -1]
        a = np.clip(np.asarray(policy.act(obs, venv.t.copy()), dtype=np.float64).reshape(n), -1.0, 1.0)
        obs, r, _, info = venv.step(a)
        action[:, k] = np.where(live, a, 0.0)
        reward[:, k], pnl[:, k], turnover[:, k] = r, info["pnl"], info["turnover"]
    bar[:, steps] = venv.t
    # the observation after the last step (a finished env returns zeros; keep its bar, flat)
    idx = np.arange(n)
    bar[idx, length] = market.episode_stop[s] - 1
    position[idx, length] = 0.0
    upnl[idx, length] = 0.0
    return Episodes(session=s, bar=bar, position=position, upnl=upnl, action=action, reward=reward, pnl=pnl,
                    turnover=turnover, length=length)
