"""What the trading environments share: the config, the causal features and one step's accounting.

Features of bar ``t`` use bars ``<= t`` only (rolling windows look back, never forward). The observation at
``t`` is the window of the last ``window`` feature rows (zeros before the first bar), flattened, then the
current position and the unrealised PnL (percent)::

    obs[t] = [feat[t - W + 1], ..., feat[t]] (W x F, row-major)  +  [position, unrealised_pnl_pct]

Accounting of one decision at bar ``t`` (target position ``p`` in [-1, 1], previous ``q``; returns on a unit
of capital, cost rate ``c = (fee_bps + slippage_bps) / 1e4`` per unit of turnover, as rdq's backtest charges a
rate on the traded value)::

    fill = "next_open":  pnl = q (open[t+1] / close[t] - 1) + p (close[t+1] / open[t+1] - 1) - c |p - q|
    fill = "close":      pnl = p (close[t+1] / close[t] - 1) - c |p - q|

At the last bar of a session (``flat_at_session_end``) the position is closed at that bar's close (another
``c |p|``), and a decision taken at a session's last bar is forced flat (no overnight position).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rdq.backtest import Exchange
from rdq.errors import ConfigError
from rdq.rl._bars import MINUTES_PER_SESSION, BarArrays

__all__ = ["EnvConfig", "FEATURES", "DifferentialSharpe", "Market", "compute_features", "cost_rate", "transition", "unrealised_pct"]

#: names of the per-bar features, in column order
FEATURES: tuple[str, ...] = (
    "ret_pct", "body_pct", "range_pct", "rel_log_volume", "ma_gap_pct", "vol_pct", "rsi", "filled", "session_time",
)

ActionKind = Literal["discrete", "continuous"]
RewardKind = Literal["pnl", "dsr"]
FillKind = Literal["next_open", "close"]


@dataclass(frozen=True)
class EnvConfig:
    """Settings of :class:`~rdq.rl.TradingEnv` and :class:`~rdq.rl.VecTradingEnv`.

    Parameters
    ----------
    window:
        Bars in the observation window.
    action:
        ``"discrete"``: ``Discrete(3)``, 0 short, 1 flat, 2 long; ``"continuous"``: ``Box([-1, 1])``, the target.
    reward:
        ``"pnl"``: net return of the step times ``reward_scale``; ``"dsr"``: the differential Sharpe ratio of
        Moody & Saffell (1998) with adaptation rate ``dsr_eta``, clipped to +-``dsr_clip``.
    fill:
        ``"next_open"`` (default: the order decided at ``t`` fills at ``t+1``'s open) or ``"close"`` (at ``t``'s).
    fee_bps, slippage_bps:
        Cost per unit of turnover, in basis points (default fee: rdq's US buy rate, ``Exchange.us().open_cost``).
    episode_sessions:
        Sessions per episode (trading days of minute bars, months of daily bars).
    flat_at_session_end:
        Close the position at every session's last bar.
    session_bars:
        Bars a session is expected to have (the ``session_time`` feature is ``k / session_bars``).
    reward_scale:
        Factor of the ``"pnl"`` reward (1e4: the reward is in basis points).
    """

    window: int = 32
    action: ActionKind = "discrete"
    reward: RewardKind = "pnl"
    dsr_eta: float = 0.01
    dsr_clip: float = 10.0
    fill: FillKind = "next_open"
    fee_bps: float = Exchange.us().open_cost * 1e4
    slippage_bps: float = 1.0
    episode_sessions: int = 1
    flat_at_session_end: bool = True
    session_bars: int = MINUTES_PER_SESSION
    reward_scale: float = 1e4

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ConfigError(f"env.window must be >= 1, got {self.window}")
        for name, allowed in (("action", ("discrete", "continuous")), ("reward", ("pnl", "dsr")),
                              ("fill", ("next_open", "close"))):
            if getattr(self, name) not in allowed:
                raise ConfigError(f"env.{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        for name in ("fee_bps", "slippage_bps"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ConfigError(f"env.{name} must be a finite number >= 0, got {v!r} (costs cannot be negative)")
        if not 0 < self.dsr_eta < 1:
            raise ConfigError(f"env.dsr_eta must be in (0, 1), got {self.dsr_eta} (Moody & Saffell use ~0.01)")
        if self.episode_sessions < 1 or self.session_bars < 1:
            raise ConfigError("env.episode_sessions and env.session_bars must be >= 1")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, where: str = "env") -> EnvConfig:
        """Build from a mapping (a YAML section), naming an unknown key and the nearest valid one."""
        from rdq.errors import did_you_mean

        names = [f.name for f in fields(cls)]
        for key in data or {}:
            if key not in names:
                raise ConfigError(f"{where}.{key}: unknown key{did_you_mean(key, names)}; valid: {', '.join(names)}")
        return cls(**(data or {}))

    @property
    def obs_dim(self) -> int:
        """Length of an observation vector: ``window * n_features + 2``."""
        return self.window * len(FEATURES) + 2


def cost_rate(cfg: EnvConfig) -> float:
    """Cost per unit of turnover as a fraction of the traded value: ``(fee_bps + slippage_bps) / 1e4``."""
    return (cfg.fee_bps + cfg.slippage_bps) / 1e4


def _rolling_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Mean of ``x[max(0, t - n + 1) : t + 1]`` at each ``t`` (an expanding mean over the first ``n - 1``)."""
    c = np.concatenate([[0.0], np.cumsum(x)])
    idx = np.arange(x.shape[0])
    lo = np.maximum(idx - n + 1, 0)
    return (c[idx + 1] - c[lo]) / (idx + 1 - lo)


def compute_features(bars: BarArrays, cfg: EnvConfig) -> np.ndarray:
    """The causal features of every bar, shape ``(n_bars, len(FEATURES))`` float32, clipped to [-10, 10]."""
    o, h, lo, c = bars.open, bars.high, bars.low, bars.close
    prev = np.concatenate([[c[0]], c[:-1]])
    ret = np.log(c / prev) * 100.0
    lv = np.log1p(np.maximum(bars.volume, 0.0))
    gains, losses = _rolling_mean(np.maximum(ret, 0.0), 14), _rolling_mean(np.maximum(-ret, 0.0), 14)
    rsi = np.where(gains + losses > 0, gains / np.where(gains + losses > 0, gains + losses, 1.0), 0.5) - 0.5
    var = np.maximum(_rolling_mean(ret**2, 20) - _rolling_mean(ret, 20) ** 2, 0.0)
    k = np.arange(bars.n_bars) - bars.session_start[bars.session]
    out = np.stack([
        ret,
        (c / o - 1.0) * 100.0,
        (h - lo) / c * 100.0,
        lv - _rolling_mean(lv, 30),
        (c / _rolling_mean(c, 20) - 1.0) * 100.0,
        np.sqrt(var),
        rsi,
        bars.filled.astype(np.float64),
        np.minimum(k / cfg.session_bars, 1.0),
    ], axis=1)
    return np.clip(np.nan_to_num(out), -10.0, 10.0).astype(np.float32)


class Market:
    """One instrument's bars prepared for the environments: features, windows and episode bounds.

    Parameters
    ----------
    bars:
        :class:`~rdq.rl.BarArrays` (see :func:`rdq.rl.to_arrays`).
    config:
        The environment settings.

    Attributes
    ----------
    features: ``(n_bars, n_features)`` float32.
    windows: ``(n_bars, window, n_features)`` float32 view: ``windows[t]`` is the observation window at ``t``.
    last_of_session: ``(n_bars,)`` bool, the last bar of its session.
    """

    def __init__(self, bars: BarArrays, config: EnvConfig) -> None:
        self.bars = bars
        self.config = config
        self.features = compute_features(bars, config)
        w, f = config.window, self.features.shape[1]
        padded = np.concatenate([np.zeros((w - 1, f), np.float32), self.features])
        self.windows = sliding_window_view(padded, (w, f))[:, 0]
        self.last_of_session = np.zeros(bars.n_bars, bool)
        self.last_of_session[bars.session_start[1:] - 1] = True
        n_ep = bars.n_sessions - config.episode_sessions + 1
        if n_ep < 1:
            raise ConfigError(f"env.episode_sessions={config.episode_sessions} but the bars hold only "
                              f"{bars.n_sessions} session(s); lower it or load more data")
        #: first and one-past-last bar of the episode starting at each session
        self.episode_start = bars.session_start[:n_ep].copy()
        self.episode_stop = bars.session_start[config.episode_sessions:].copy()
        if np.any(self.episode_stop - self.episode_start < 2):
            raise ConfigError("an episode needs at least 2 bars; raise env.episode_sessions")
        self.cost = cost_rate(config)

    @property
    def n_episodes(self) -> int:
        """Number of episodes (one per starting session)."""
        return int(self.episode_start.shape[0])

    def observe(self, t: np.ndarray, position: np.ndarray, upnl_pct: np.ndarray) -> np.ndarray:
        """Observations at bars ``t``, shape ``(len(t), obs_dim)`` float32."""
        n = t.shape[0]
        out = np.empty((n, self.config.obs_dim), np.float32)
        out[:, :-2] = self.windows[t].reshape(n, -1)
        out[:, -2] = position
        out[:, -1] = np.clip(upnl_pct, -10.0, 10.0)
        return out


def transition(m: Market, t: np.ndarray, q: np.ndarray, entry: np.ndarray, p: np.ndarray,
               episode_last: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Apply target positions ``p`` decided at bars ``t`` (previous positions ``q``), see the module docstring.

    Parameters
    ----------
    m:
        The market.
    t, q, entry, p:
        ``(n,)`` bar index, previous position, entry price of ``q``, target position in [-1, 1].
    episode_last:
        ``(n,)`` bool: bar ``t + 1`` is the last of the episode (the position is closed there).

    Returns
    -------
    pnl, cost, turnover, position, entry:
        ``(n,)`` net return of the step (cost included), its cost, the position traded (``|p - q|`` plus the
        close-out), the position held after the step and its entry price.
    """
    b, cfg = m.bars, m.config
    if cfg.flat_at_session_end:
        p = np.where(m.last_of_session[t], 0.0, p)
    nxt = t + 1
    fill_price = b.open[nxt] if cfg.fill == "next_open" else b.close[t]
    turnover = np.abs(p - q)
    if cfg.fill == "next_open":
        gross = q * (b.open[nxt] / b.close[t] - 1.0) + p * (b.close[nxt] / b.open[nxt] - 1.0)
    else:
        gross = p * (b.close[nxt] / b.close[t] - 1.0)
    # entry price: a new or flipped position enters at the fill; an increase averages in; a decrease keeps it
    same = (np.sign(p) == np.sign(q)) & (q != 0)
    grow = same & (np.abs(p) > np.abs(q))
    avg = (np.abs(q) * entry + (np.abs(p) - np.abs(q)) * fill_price) / np.where(p != 0, np.abs(p), 1.0)
    new_entry = np.where(p == 0, 0.0, np.where(same, np.where(grow, avg, entry), fill_price))
    close_out = episode_last | (m.last_of_session[nxt] if cfg.flat_at_session_end else False)
    turnover = turnover + np.where(close_out, np.abs(p), 0.0)
    cost = m.cost * turnover
    p_after = np.where(close_out, 0.0, p)
    new_entry = np.where(close_out, 0.0, new_entry)
    return gross - cost, cost, turnover, p_after, new_entry


def unrealised_pct(m: Market, t: np.ndarray, position: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """Unrealised PnL of ``position`` at bar ``t``'s close, percent of capital."""
    safe = np.where(entry > 0, entry, 1.0)
    return np.where(position != 0, position * (m.bars.close[t] / safe - 1.0) * 100.0, 0.0)


class DifferentialSharpe:
    """Moody & Saffell's differential Sharpe ratio, one per environment, reset at each episode.

    With exponential moving moments ``A`` (of the return ``R``) and ``B`` (of ``R**2``), rate ``eta``::

        D_t = (B_{t-1} dA - A_{t-1} dB / 2) / (B_{t-1} - A_{t-1}**2) ** 1.5,   dA = R_t - A_{t-1}, dB = R_t**2 - B_{t-1}
        A_t = A_{t-1} + eta dA,  B_t = B_{t-1} + eta dB

    ``D_t`` is 0 while the variance estimate ``B - A**2`` is not yet positive.
    """

    def __init__(self, n: int, eta: float, clip: float) -> None:
        self.eta, self.clip = eta, clip
        self.a = np.zeros(n)
        self.b = np.zeros(n)

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Zero the moments (of the environments in ``mask``)."""
        if mask is None:
            self.a[:] = 0.0
            self.b[:] = 0.0
        else:
            self.a[mask] = 0.0
            self.b[mask] = 0.0

    def __call__(self, r: np.ndarray) -> np.ndarray:
        """The reward ``D_t`` for returns ``r`` (shape ``(n,)``), updating the moments."""
        da, db = r - self.a, r**2 - self.b
        var = self.b - self.a**2
        ok = var > 1e-18
        d = np.where(ok, (self.b * da - 0.5 * self.a * db) / np.where(ok, var, 1.0) ** 1.5, 0.0)
        self.a += self.eta * da
        self.b += self.eta * db
        return np.clip(d, -self.clip, self.clip)
