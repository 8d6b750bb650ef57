"""Small synthetic learning sets for the model tests."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from rdq.models import Segments
from rdq.models._synthetic import synthetic_learning_set


def day(i: int) -> dt.date:
    """The i-th calendar day of the synthetic sets (they start 2015-01-01, one row per day)."""
    return dt.date(2015, 1, 1) + dt.timedelta(days=i)


def segments_for(n_days: int) -> Segments:
    """60% / 20% / 20% train / valid / test of an ``n_days`` synthetic set."""
    a, b = int(n_days * 0.6), int(n_days * 0.8)
    return Segments(train=(day(0), day(a - 1)), valid=(day(a), day(b - 1)), test=(day(b), day(n_days - 1)))


@pytest.fixture(scope="session")
def small_set() -> tuple[pl.DataFrame, pl.DataFrame]:
    """40 assets x 120 days x 6 features, label = linear signal in f0..f2 + noise."""
    return synthetic_learning_set(n_assets=40, n_days=120, n_features=6, n_signal=3, noise=1.0, seed=7)
