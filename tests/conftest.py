"""Shared fixtures: the ``../shared`` material (see ``shared_data.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_data import ROOT, SHARED, shared_path

__all__ = ["ROOT", "SHARED", "shared_path"]


@pytest.fixture(scope="session")
def sp500_path() -> Path:
    """The shared S&P 500 daily file (505 stocks, 2013-2018)."""
    return shared_path("data", "sp500_5yr_daily.parquet")
