"""Reinforcement-learning trading: bars, the environment, classical experts and QTNet."""

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

__all__ = ["BAR_COLUMNS", "MINUTES_PER_SESSION", "BarArrays", "daily_bars", "load_minute_bars", "resample_minutes", "to_arrays"]
