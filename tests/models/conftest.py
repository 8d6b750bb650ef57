"""Small synthetic learning sets for the model tests."""

from __future__ import annotations

import polars as pl
import pytest

from rdq.models._synthetic import synthetic_learning_set


@pytest.fixture(scope="session")
def small_set() -> tuple[pl.DataFrame, pl.DataFrame]:
    """40 assets x 120 days x 6 features, label = linear signal in f0..f2 + noise."""
    return synthetic_learning_set(n_assets=40, n_days=120, n_features=6, n_signal=3, noise=1.0, seed=7)
