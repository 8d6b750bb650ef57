"""Classical trading rules as policies: demonstrators for QTNet and baselines for ``rdq rl eval``.

Every expert maps bars to the target position it decides at each bar, ``positions(bars) -> (n_bars,)`` in
``{-1, 0, 1}``, from bars ``<= t`` only (the environment then fills it at ``t+1``'s open). Positions are held
within a session and start flat at each session (the environment is flat at the session end).

- :class:`DualThrust`: range of the previous ``n_days`` days, ``max(HH - LC, HC - LL)``; long above
  ``open_today + k1 range``, short below ``open_today - k2 range``, else hold.
- :class:`RBreaker`: pivot levels of the previous day (breakout, setup, reversal), intraday high/low so far.
- :class:`MACrossover`: long while the fast moving average of the close is above the slow one, short below.
- :class:`BollingerReversion`: long below ``mean - k std``, short above ``mean + k std``, out at the mean.
- :class:`BuyAndHold`: always long.
- :class:`Prophet`: the best myopic position from the **next** bar's prices (net of cost). It looks ahead:
  built only with ``allow_lookahead=True``, its ``uses_lookahead`` is true, and ``rdq rl eval`` refuses it as a
  strategy; it exists to fill demonstration buffers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from rdq.errors import ConfigError, did_you_mean
from rdq.rl._bars import BarArrays

__all__ = [
    "EXPERTS",
    "BollingerReversion",
    "BuyAndHold",
    "DualThrust",
    "Expert",
    "MACrossover",
    "Prophet",
    "RBreaker",
    "daily_ohlc",
    "make_expert",
]


@dataclass(frozen=True)
class Expert:
    """Base class: a named rule that decides a target position at every bar."""

    name: ClassVar[str] = "expert"
    #: true only for an expert that reads future prices (never a strategy)
    uses_lookahead: ClassVar[bool] = False

    def positions(self, bars: BarArrays) -> np.ndarray:  # pragma: no cover - abstract
        """Target position decided at each bar, shape ``(n_bars,)`` float64 in ``{-1, 0, 1}``."""
        raise NotImplementedError


def daily_ohlc(bars: BarArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-day open, high, low, close and each bar's day index: ``(o, h, l, c)`` of shape ``(n_days,)``,
    ``day_of_bar`` ``(n_bars,)`` and ``day_start`` ``(n_days,)``."""
    change = np.flatnonzero(bars.day[1:] != bars.day[:-1]) + 1
    start = np.concatenate([[0], change]).astype(np.int64)
    day_of_bar = np.repeat(np.arange(start.size), np.diff(np.concatenate([start, [bars.n_bars]])))
    o = bars.open[start]
    h = np.maximum.reduceat(bars.high, start)
    lo = np.minimum.reduceat(bars.low, start)
    c = bars.close[np.concatenate([start[1:], [bars.n_bars]]) - 1]
    return o, h, lo, c, day_of_bar, start


def _hold(signal: np.ndarray, bars: BarArrays) -> np.ndarray:
    """Positions from entry signals (NaN: keep the previous position), flat at each session's start."""
    out = np.empty(bars.n_bars)
    pos = 0.0
    first = np.zeros(bars.n_bars, bool)
    first[bars.session_start[:-1]] = True
    for t in range(bars.n_bars):
        if first[t]:
            pos = 0.0
        if signal[t] == signal[t]:
            pos = signal[t]
        out[t] = pos
    return out


def _rolling(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling mean and population std over full windows of ``n`` (NaN before ``n`` values exist)."""
    mean = np.full(x.shape, np.nan)
    std = np.full(x.shape, np.nan)
    if x.size >= n:
        w = np.lib.stride_tricks.sliding_window_view(x, n)
        mean[n - 1:] = w.mean(axis=1)
        std[n - 1:] = w.std(axis=1)
    return mean, std


@dataclass(frozen=True)
class DualThrust(Expert):
    """Dual Thrust (Michael Chalek): breakout of today's open by a multiple of the recent daily range."""

    name: ClassVar[str] = "dual_thrust"
    n_days: int = 4
    k1: float = 0.5
    k2: float = 0.5

    def positions(self, bars: BarArrays) -> np.ndarray:
        o, h, lo, c, dob, _ = daily_ohlc(bars)
        n = o.size
        rng = np.full(n, np.nan)
        for d in range(self.n_days, n):
            sl = slice(d - self.n_days, d)
            rng[d] = max(h[sl].max() - c[sl].min(), c[sl].max() - lo[sl].min())
        buy, sell = o + self.k1 * rng, o - self.k2 * rng
        px = bars.close
        sig = np.where(px > buy[dob], 1.0, np.where(px < sell[dob], -1.0, np.nan))
        sig = np.where(np.isnan(rng[dob]), 0.0, sig)
        return _hold(sig, bars)


@dataclass(frozen=True)
class RBreaker(Expert):
    """R-Breaker: six levels from the previous day's high ``H``, low ``L``, close ``C`` and pivot ``P``.

    ``P = (H + L + C) / 3``; breakout buy ``H + 2 (P - L)``, sell setup ``P + (H - L)``, reversal sell
    ``2P - L``, reversal buy ``2P - H``, buy setup ``P - (H - L)``, breakout sell ``L - 2 (H - P)``. Flat: long
    above the breakout buy, short below the breakout sell; long: reverse to short once the day's high so far
    reached the sell setup and the price falls below the reversal sell; short: the mirror image.
    """

    name: ClassVar[str] = "r_breaker"

    def positions(self, bars: BarArrays) -> np.ndarray:
        _, h, lo, c, dob, start = daily_ohlc(bars)
        p = (h + lo + c) / 3.0
        levels = np.stack([h + 2 * (p - lo), p + (h - lo), 2 * p - lo, 2 * p - h, p - (h - lo), lo - 2 * (h - p)])
        out = np.zeros(bars.n_bars)
        first_day = np.zeros(bars.n_bars, bool)
        first_day[start] = True
        session_first = np.zeros(bars.n_bars, bool)
        session_first[bars.session_start[:-1]] = True
        pos, hi_sofar, lo_sofar = 0.0, -np.inf, np.inf
        for t in range(bars.n_bars):
            d = dob[t]
            if first_day[t]:
                hi_sofar, lo_sofar = -np.inf, np.inf
            if session_first[t]:
                pos = 0.0
            hi_sofar, lo_sofar = max(hi_sofar, bars.high[t]), min(lo_sofar, bars.low[t])
            if d == 0:
                out[t] = 0.0
                continue
            b_break, s_setup, s_enter, b_enter, b_setup, s_break = levels[:, d - 1]
            px = bars.close[t]
            if pos == 0.0:
                pos = 1.0 if px > b_break else (-1.0 if px < s_break else 0.0)
            elif pos > 0 and hi_sofar >= s_setup and px < s_enter:
                pos = -1.0
            elif pos < 0 and lo_sofar <= b_setup and px > b_enter:
                pos = 1.0
            out[t] = pos
        return out


@dataclass(frozen=True)
class MACrossover(Expert):
    """Moving-average crossover: the sign of ``MA_fast - MA_slow`` of the close (flat before ``slow`` bars)."""

    name: ClassVar[str] = "ma_crossover"
    fast: int = 10
    slow: int = 30
    long_only: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.fast < self.slow:
            raise ConfigError(f"ma_crossover needs 1 <= fast < slow, got fast={self.fast}, slow={self.slow}")

    def positions(self, bars: BarArrays) -> np.ndarray:
        f, _ = _rolling(bars.close, self.fast)
        s, _ = _rolling(bars.close, self.slow)
        pos = np.nan_to_num(np.sign(f - s))
        return np.maximum(pos, 0.0) if self.long_only else pos


@dataclass(frozen=True)
class BollingerReversion(Expert):
    """Bollinger-band mean reversion on the close: enter outside ``mean +- k std`` (window ``n``), exit at the mean."""

    name: ClassVar[str] = "bollinger"
    n: int = 20
    k: float = 2.0

    def positions(self, bars: BarArrays) -> np.ndarray:
        m, s = _rolling(bars.close, self.n)
        z = np.where(s > 0, (bars.close - m) / np.where(s > 0, s, 1.0), 0.0)
        out = np.zeros(bars.n_bars)
        first = np.zeros(bars.n_bars, bool)
        first[bars.session_start[:-1]] = True
        pos = 0.0
        for t in range(bars.n_bars):
            if first[t]:
                pos = 0.0
            zt = z[t]
            if np.isnan(m[t]):
                pos = 0.0
            elif zt < -self.k:
                pos = 1.0
            elif zt > self.k:
                pos = -1.0
            elif (pos > 0 and zt >= 0) or (pos < 0 and zt <= 0):
                pos = 0.0
            out[t] = pos
        return out


@dataclass(frozen=True)
class BuyAndHold(Expert):
    """Long at every bar."""

    name: ClassVar[str] = "buy_and_hold"

    def positions(self, bars: BarArrays) -> np.ndarray:
        return np.ones(bars.n_bars)


@dataclass(frozen=True)
class Prophet(Expert):
    """The best myopic position from the next bar's prices: **looks ahead**, for demonstrations only.

    The position decided at ``t`` earns ``close[t+1] / open[t+1] - 1`` (``fill="next_open"``) or
    ``close[t+1] / close[t] - 1`` (``fill="close"``); the prophet takes its sign where its size beats
    ``2 * cost_rate`` (a round trip), else stays flat.

    Raises
    ------
    ConfigError
        Built without ``allow_lookahead=True``.
    """

    name: ClassVar[str] = "prophet"
    uses_lookahead: ClassVar[bool] = True
    allow_lookahead: bool = False
    fill: str = "next_open"
    cost_rate: float = 0.0

    def __post_init__(self) -> None:
        if not self.allow_lookahead:
            raise ConfigError("the prophet expert reads future prices; build it with allow_lookahead=True, and "
                              "only to make demonstrations (it can never be evaluated as a strategy)")

    def positions(self, bars: BarArrays) -> np.ndarray:
        c, o = bars.close, bars.open
        ret = np.zeros(bars.n_bars)
        base = o[1:] if self.fill == "next_open" else c[:-1]
        ret[:-1] = c[1:] / base - 1.0
        return np.where(np.abs(ret) > 2 * self.cost_rate, np.sign(ret), 0.0)


#: the experts that may be reported as strategies, by name
EXPERTS: dict[str, type[Expert]] = {
    cls.name: cls for cls in (DualThrust, RBreaker, MACrossover, BollingerReversion, BuyAndHold)
}


def make_expert(name: str, *, allow_lookahead: bool = False, **params: Any) -> Expert:
    """The expert ``name`` (a key of :data:`EXPERTS`, or ``"prophet"`` with ``allow_lookahead=True``).

    Raises
    ------
    ConfigError
        Unknown name (with the nearest), bad parameters, or the prophet without ``allow_lookahead``.
    """
    if name == Prophet.name:
        return Prophet(allow_lookahead=allow_lookahead, **params)
    if name not in EXPERTS:
        names = [*EXPERTS, Prophet.name]
        raise ConfigError(f"unknown expert {name!r}{did_you_mean(name, names)}; choose from {', '.join(names)}")
    try:
        return EXPERTS[name](**params)
    except TypeError as exc:
        raise ConfigError(f"expert {name!r}: {exc}") from None
