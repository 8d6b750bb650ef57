"""The trading POMDP: :class:`TradingEnv` (a ``gymnasium.Env``) and :class:`VecTradingEnv` (numpy, many at once).

An episode is ``episode_sessions`` consecutive sessions of one instrument (a trading day of minute bars by
default, flat at the close). The agent observes a window of causal features, its position and unrealised
PnL (see :mod:`rdq.rl._market`), picks a target position, and is paid the step's net return (``"pnl"``) or the
differential Sharpe ratio (``"dsr"``). Both classes share :func:`rdq.rl._market.transition`, so they agree
step for step (a test checks it).

Examples
--------
>>> import numpy as np
>>> from rdq.rl import BarArrays, EnvConfig, TradingEnv, synthetic_bars
>>> env = TradingEnv(synthetic_bars(n_sessions=2, session_bars=30, seed=0), EnvConfig(window=8, session_bars=30))
>>> obs, info = env.reset(seed=0)
>>> obs.shape
(74,)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from rdq.errors import ConfigError
from rdq.rl._bars import BarArrays
from rdq.rl._market import DifferentialSharpe, EnvConfig, Market, transition, unrealised_pct

__all__ = ["TradingEnv", "VecTradingEnv", "action_to_position", "position_to_action", "synthetic_bars"]


def action_to_position(action: Any, kind: str) -> np.ndarray:
    """Target positions of actions: discrete ``{0, 1, 2} -> {-1, 0, 1}``; continuous clipped to [-1, 1]."""
    a = np.asarray(action, dtype=np.float64).reshape(-1)
    return a - 1.0 if kind == "discrete" else np.clip(a, -1.0, 1.0)


def position_to_action(position: np.ndarray, kind: str) -> np.ndarray:
    """Inverse of :func:`action_to_position` (discrete: the sign of the position, ``{-1, 0, 1} -> {0, 1, 2}``)."""
    p = np.asarray(position, dtype=np.float64)
    return (np.sign(p) + 1).astype(np.int64) if kind == "discrete" else np.clip(p, -1.0, 1.0).astype(np.float32)


def _spaces(cfg: EnvConfig) -> tuple[gym.spaces.Box, gym.spaces.Space[Any]]:
    obs = gym.spaces.Box(-10.0, 10.0, shape=(cfg.obs_dim,), dtype=np.float32)  # features are clipped
    act: gym.spaces.Space[Any] = (gym.spaces.Discrete(3) if cfg.action == "discrete"
                                  else gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32))
    return obs, act


def _sessions(market: Market, sessions: Sequence[int] | None) -> np.ndarray:
    if sessions is None:
        return np.arange(market.n_episodes)
    s = np.asarray(list(sessions), dtype=np.int64)
    if s.size == 0 or s.min() < 0 or s.max() >= market.n_episodes:
        raise ConfigError(f"sessions must be episode starts in 0..{market.n_episodes - 1}, got {list(s)[:5]}...")
    return s


class TradingEnv(gym.Env[np.ndarray, Any]):
    """One instrument's bars as a gymnasium environment.

    Parameters
    ----------
    bars:
        :class:`~rdq.rl.BarArrays` (or a prepared :class:`~rdq.rl.Market`).
    config:
        :class:`~rdq.rl.EnvConfig` (default: discrete actions, PnL reward, fill at the next open).
    sessions:
        Sessions an episode may start at (a train or test split); default all.
    sequential:
        Reset walks through ``sessions`` in order instead of drawing one at random.

    Notes
    -----
    ``reset(options={"session": s})`` starts the episode at session ``s``. ``info`` of a step holds ``pnl``
    (net return), ``cost``, ``turnover``, ``position`` (held after the step), ``bar`` (index of the bar observed
    next).
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - gymnasium's class attribute

    def __init__(self, bars: BarArrays | Market, config: EnvConfig | None = None, *,
                 sessions: Sequence[int] | None = None, sequential: bool = False) -> None:
        super().__init__()
        self.config = config or (bars.config if isinstance(bars, Market) else EnvConfig())
        self.market = bars if isinstance(bars, Market) else Market(bars, self.config)
        if self.market.config != self.config:
            raise ConfigError("the Market was built with another EnvConfig; pass the same config or the bars")
        self.observation_space, self.action_space = _spaces(self.config)
        self.sessions = _sessions(self.market, sessions)
        self.sequential = sequential
        self._next = 0
        self._dsr = DifferentialSharpe(1, self.config.dsr_eta, self.config.dsr_clip)
        self._t = np.zeros(1, np.int64)
        self._stop = 0
        self._pos = np.zeros(1)
        self._entry = np.zeros(1)

    @property
    def bar(self) -> int:
        """Index of the bar the last observation ended at."""
        return int(self._t[0])

    @property
    def position(self) -> float:
        """The position held now."""
        return float(self._pos[0])

    def _obs(self) -> np.ndarray:
        up = unrealised_pct(self.market, self._t, self._pos, self._entry)
        return self.market.observe(self._t, self._pos, up)[0]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if options and "session" in options:
            s = int(options["session"])
            if not 0 <= s < self.market.n_episodes:
                raise ConfigError(f"options['session']={s} is not an episode start (0..{self.market.n_episodes - 1})")
        elif self.sequential:
            s = int(self.sessions[self._next % self.sessions.size])
            self._next += 1
        else:
            s = int(self.np_random.choice(self.sessions))
        self._t[0] = self.market.episode_start[s]
        self._stop = int(self.market.episode_stop[s])
        self._pos[0] = 0.0
        self._entry[0] = 0.0
        self._dsr.reset()
        return self._obs(), {"session": s, "bar": self.bar}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        p = action_to_position(action, self.config.action)
        last = self._t + 1 == self._stop - 1
        pnl, cost, turn, self._pos, self._entry = transition(self.market, self._t, self._pos, self._entry, p, last)
        self._t = self._t + 1
        reward = self._dsr(pnl) if self.config.reward == "dsr" else pnl * self.config.reward_scale
        done = bool(last[0])
        info = {"pnl": float(pnl[0]), "cost": float(cost[0]), "turnover": float(turn[0]),
                "position": float(self._pos[0]), "bar": self.bar}
        return self._obs(), float(reward[0]), done, False, info


class VecTradingEnv:
    """``n_envs`` trading episodes stepped at once in numpy (same dynamics as :class:`TradingEnv`).

    Parameters
    ----------
    bars:
        :class:`~rdq.rl.BarArrays` or a :class:`~rdq.rl.Market` (several instruments: one
        ``VecTradingEnv`` each).
    config:
        The environment settings.
    n_envs:
        Parallel episodes.
    sessions:
        Episode starts to draw from (default all).
    autoreset:
        A finished episode restarts at once (a random session) and its next observation is the new
        episode's first; with ``False`` (evaluation) a finished environment stays done and returns zeros.
    seed:
        Seed of the session draws.

    Examples
    --------
    >>> from rdq.rl import synthetic_bars
    >>> venv = VecTradingEnv(synthetic_bars(n_sessions=3, session_bars=20), EnvConfig(window=4, session_bars=20),
    ...                      n_envs=5)
    >>> venv.reset().shape
    (5, 38)
    >>> obs, reward, done, info = venv.step(np.full(5, 2))
    >>> reward.shape, done.dtype
    ((5,), dtype('bool'))
    """

    def __init__(self, bars: BarArrays | Market, config: EnvConfig | None = None, *, n_envs: int = 64,
                 sessions: Sequence[int] | None = None, autoreset: bool = True, seed: int = 0) -> None:
        self.config = config or (bars.config if isinstance(bars, Market) else EnvConfig())
        self.market = bars if isinstance(bars, Market) else Market(bars, self.config)
        if n_envs < 1:
            raise ConfigError(f"n_envs must be >= 1, got {n_envs}")
        self.n_envs = n_envs
        self.observation_space, self.action_space = _spaces(self.config)
        self.sessions = _sessions(self.market, sessions)
        self.autoreset = autoreset
        self.rng = np.random.default_rng(seed)
        n = n_envs
        self.t = np.zeros(n, np.int64)
        self.stop = np.zeros(n, np.int64)
        self.session = np.zeros(n, np.int64)
        self.pos = np.zeros(n)
        self.entry = np.zeros(n)
        self.done = np.zeros(n, bool)
        self._dsr = DifferentialSharpe(n, self.config.dsr_eta, self.config.dsr_clip)

    def _start(self, mask: np.ndarray, sessions: np.ndarray | None = None) -> None:
        k = int(mask.sum())
        s = sessions if sessions is not None else self.rng.choice(self.sessions, size=k)
        self.session[mask] = s
        self.t[mask] = self.market.episode_start[s]
        self.stop[mask] = self.market.episode_stop[s]
        self.pos[mask] = 0.0
        self.entry[mask] = 0.0
        self.done[mask] = False
        self._dsr.reset(mask)

    def observe(self) -> np.ndarray:
        """Observations now, ``(n_envs, obs_dim)`` float32 (zeros for a finished environment without autoreset)."""
        obs = self.market.observe(self.t, self.pos, unrealised_pct(self.market, self.t, self.pos, self.entry))
        if not self.autoreset:
            obs[self.done] = 0.0
        return obs

    def reset(self, sessions: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """Start every environment (at ``sessions[i]`` if given, else a random session); the first observations."""
        s = None if sessions is None else np.asarray(sessions, dtype=np.int64)
        if s is not None and s.shape != (self.n_envs,):
            raise ConfigError(f"reset(sessions=...) needs {self.n_envs} sessions, got shape {s.shape}")
        self._start(np.ones(self.n_envs, bool), s)
        return self.observe()

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Step every environment; returns ``obs (n, obs_dim)``, ``reward (n,)``, ``done (n,)`` and ``info``.

        ``info`` holds ``pnl``, ``cost``, ``turnover``, ``position`` (after the step), ``bar`` (the bar the step
        ended at, before an autoreset) and ``session``, each ``(n,)``; with
        ``autoreset`` the observation of an environment that just finished is its next episode's first.
        """
        p = action_to_position(actions, self.config.action)
        if p.shape[0] != self.n_envs:
            raise ConfigError(f"step needs {self.n_envs} actions, got {p.shape[0]}")
        live = ~self.done
        t = np.where(live, self.t, self.market.episode_start[self.session])  # finished envs: a harmless index
        last = t + 1 == self.stop - 1
        pnl, cost, turn, pos, entry = transition(self.market, t, self.pos, self.entry, p, last)
        pnl, cost, turn = np.where(live, pnl, 0.0), np.where(live, cost, 0.0), np.where(live, turn, 0.0)
        self.pos, self.entry = np.where(live, pos, 0.0), np.where(live, entry, 0.0)
        self.t = np.where(live, t + 1, self.t)
        reward = self._dsr(pnl) if self.config.reward == "dsr" else pnl * self.config.reward_scale
        reward = np.where(live, reward, 0.0)
        finished = live & last
        info = {"pnl": pnl, "cost": cost, "turnover": turn, "position": self.pos.copy(),
                "bar": self.t.copy(), "session": self.session.copy()}
        self.done = self.done | finished
        if self.autoreset and finished.any():
            self._start(finished)
        return self.observe(), reward, finished, info


def synthetic_bars(*, n_sessions: int = 4, session_bars: int = 60, drift: float = 0.0, vol: float = 0.001,
                   seed: int = 0) -> BarArrays:
    """Seeded random-walk bars for tests and examples: ``close_t = close_{t-1} exp(drift + vol z_t)``.

    The open of a bar is the previous close (the first bar's: 100); high/low bracket open and close by
    ``vol / 2``; volume is 1000; ``vol=0`` with ``drift > 0`` is a deterministic up-trend (long is optimal).
    """
    from rdq.rl._bars import _arrays

    n = n_sessions * session_bars
    z = np.random.default_rng(seed).standard_normal(n)
    close = 100.0 * np.exp(np.cumsum(drift + vol * z))
    opn = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(opn, close) * (1 + vol / 2)
    low = np.minimum(opn, close) * (1 - vol / 2)
    day = np.datetime64("2024-01-01") + np.repeat(np.arange(n_sessions), session_bars).astype("timedelta64[D]")
    session = np.repeat(np.arange(n_sessions, dtype=np.int64), session_bars)
    return _arrays(opn, high, low, close, np.full(n, 1000.0), np.zeros(n, bool), day, session)

