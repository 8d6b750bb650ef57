"""rdq.rl._experts: every rule against signals computed by hand on tiny series; the prophet is fenced off."""

from __future__ import annotations

import numpy as np
import pytest

from rdq.errors import ConfigError
from rdq.rl._bars import BarArrays, _arrays
from rdq.rl._experts import (
    EXPERTS,
    BollingerReversion,
    BuyAndHold,
    DualThrust,
    MACrossover,
    Prophet,
    RBreaker,
    make_expert,
)


def _bars(o: list[float], h: list[float], lo: list[float], c: list[float], day: list[int],
          session: list[int] | None = None) -> BarArrays:
    d = np.datetime64("2024-01-01") + np.asarray(day).astype("timedelta64[D]")
    s = np.asarray(session if session is not None else day, np.int64)
    n = len(c)
    return _arrays(np.asarray(o, float), np.asarray(h, float), np.asarray(lo, float), np.asarray(c, float),
                   np.ones(n), np.zeros(n, bool), d, s)


def _closes(c: list[float]) -> BarArrays:
    return _bars(c, c, c, c, [0] * len(c))


def test_ma_crossover_by_hand() -> None:
    # fast = the close itself, slow = 3-bar mean: t=2: 3 > 2; t=3: 2 < 7/3; t=4: 1 < 2; t=5: 1 < 4/3
    got = MACrossover(fast=1, slow=3).positions(_closes([1, 2, 3, 2, 1, 1]))
    assert got.tolist() == [0, 0, 1, -1, -1, -1]
    assert MACrossover(fast=1, slow=3, long_only=True).positions(_closes([1, 2, 3, 2, 1, 1])).tolist() == [0, 0, 1, 0, 0, 0]


def test_bollinger_by_hand() -> None:
    # n=3, k=1: t=3 window (10,10,7): mean 9, std sqrt(2), z=-1.41 -> long; t=4 z=+0.71 -> out at the mean;
    # t=5 window (7,10,13): z=3/sqrt(6)=1.22 -> short; t=6 window (10,13,10): z=-0.71 -> out
    got = BollingerReversion(n=3, k=1.0).positions(_closes([10, 10, 10, 7, 10, 13, 10]))
    assert got.tolist() == [0, 0, 0, 1, 0, -1, 0]


def test_dual_thrust_by_hand() -> None:
    # daily bars in one session; n_days=2, k1=k2=0.5
    # day 2: HH=12, LC=10, HC=11, LL=9 -> range max(2, 2)=2, buy 11+1=12 < close 13.5 -> long
    # day 3: HH=14, LC=11, HC=13.5, LL=9 -> range max(3, 4.5)=4.5, sell 13-2.25=10.75 > close 10.5 -> short
    b = _bars([10, 10, 11, 13], [11, 12, 14, 13], [9, 9, 11, 10], [10, 11, 13.5, 10.5], [0, 1, 2, 3], [0, 0, 0, 0])
    assert DualThrust(n_days=2).positions(b).tolist() == [0, 0, 1, -1]


def test_dual_thrust_holds_between_the_lines_within_a_day() -> None:
    # day 0: O=10 H=12 L=8 C=10 -> day 1's range (n_days=1) = max(12-10, 10-8) = 2; open 10: buy 11, sell 9
    b = _bars([10, 10, 10, 10, 10], [12, 10, 12, 11, 10], [8, 10, 10, 10, 8], [10, 10, 11.5, 10.5, 8.5],
              [0, 1, 1, 1, 1])
    assert DualThrust(n_days=1).positions(b).tolist() == [0, 0, 1, 1, -1]


def test_r_breaker_by_hand() -> None:
    # day 0: H=12 L=8 C=10 -> P=10; breakout buy 16, sell setup 14, reversal sell 12, reversal buy 8,
    # buy setup 6, breakout sell 4. Day 1: 15 (flat), 16.5 (> 16: long), high 17 >= 14 and 11.5 < 12 (reverse
    # to short), low 5 <= 6 and 9 > 8 (reverse to long)
    b = _bars([10, 15, 15, 16.5, 11.5], [12, 15, 16.5, 17, 11.5], [8, 15, 15, 11.5, 5], [10, 15, 16.5, 11.5, 9],
              [0, 1, 1, 1, 1])
    assert RBreaker().positions(b).tolist() == [0, 0, 1, -1, 1]


def test_positions_start_flat_at_each_session() -> None:
    # n=3, k=1: t=2 z=-1.41 -> long; t=3 window (10, 7, 8): z=-0.27, inside the band below the mean: a long
    # is held within the session, but a new session starts flat
    c = [10, 10, 7, 8]
    same = _bars(c, c, c, c, [0, 0, 0, 1], [0, 0, 0, 0])
    new = _bars(c, c, c, c, [0, 0, 0, 1], [0, 0, 0, 1])
    assert BollingerReversion(n=3, k=1.0).positions(same).tolist() == [0, 0, 1, 1]
    assert BollingerReversion(n=3, k=1.0).positions(new).tolist() == [0, 0, 1, 0]


def test_buy_and_hold() -> None:
    assert BuyAndHold().positions(_closes([1, 2, 3])).tolist() == [1, 1, 1]


def test_prophet_needs_the_lookahead_flag_and_says_so() -> None:
    with pytest.raises(ConfigError, match="allow_lookahead=True"):
        Prophet()
    with pytest.raises(ConfigError, match="allow_lookahead=True"):
        make_expert("prophet")
    p = make_expert("prophet", allow_lookahead=True, cost_rate=0.01)
    assert p.uses_lookahead and not any(e.uses_lookahead for e in map(make_expert, EXPERTS))
    assert "prophet" not in EXPERTS
    # next_open: bar t earns close[t+1] / open[t+1] - 1: +10%, -1% (below the 2% round trip), -20%, then nothing
    b = _bars([1, 10, 10, 10], [1, 11, 10, 10], [1, 10, 9.9, 8], [1, 11, 9.9, 8], [0, 0, 0, 0])
    assert p.positions(b).tolist() == [1, 0, -1, 0]


def test_unknown_expert_names_the_nearest() -> None:
    with pytest.raises(ConfigError, match="did you mean 'bollinger'"):
        make_expert("bolinger")
    with pytest.raises(ConfigError, match="fast < slow"):
        make_expert("ma_crossover", fast=5, slow=5)
