"""Reinforcement-learning trading: bars, the trading POMDP, classical experts and QTNet.

Layered above :mod:`rdq.data` and :mod:`rdq.backtest` (cost rates); :mod:`rdq.ope` judges the policies offline.
"""

from __future__ import annotations

from rdq.rl._bars import (
    BAR_COLUMNS,
    MINUTES_PER_SESSION,
    BarArrays,
    daily_bars,
    load_minute_bars,
    resample_minutes,
    to_arrays,
)
from rdq.rl._env import TradingEnv, VecTradingEnv, action_to_position, position_to_action, synthetic_bars
from rdq.rl._experts import (
    EXPERTS,
    BollingerReversion,
    BuyAndHold,
    DualThrust,
    Expert,
    MACrossover,
    Prophet,
    RBreaker,
    make_expert,
)
from rdq.rl._market import FEATURES, EnvConfig, Market, compute_features, cost_rate

__all__ = [
    "EXPERTS",
    "BollingerReversion",
    "BuyAndHold",
    "DualThrust",
    "Expert",
    "MACrossover",
    "Prophet",
    "RBreaker",
    "make_expert",
    "BAR_COLUMNS",
    "FEATURES",
    "MINUTES_PER_SESSION",
    "BarArrays",
    "EnvConfig",
    "Market",
    "TradingEnv",
    "VecTradingEnv",
    "action_to_position",
    "compute_features",
    "cost_rate",
    "daily_bars",
    "load_minute_bars",
    "position_to_action",
    "resample_minutes",
    "synthetic_bars",
    "to_arrays",
]
