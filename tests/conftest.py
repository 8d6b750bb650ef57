"""Shared fixtures: the ``../shared`` material (see ``shared_data.py``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from shared_data import ROOT, SHARED, shared_path

__all__ = ["ROOT", "SHARED", "shared_path"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """A test that runs ``rdq.cli.main`` in-process configures logging; undo it so the next test starts clean."""
    root, rdq_log = logging.getLogger(), logging.getLogger("rdq")
    handlers, level, rdq_level = list(root.handlers), root.level, rdq_log.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    rdq_log.setLevel(rdq_level)


@pytest.fixture(scope="session")
def sp500_path() -> Path:
    """The shared S&P 500 daily file (505 stocks, 2013-2018)."""
    return shared_path("data", "sp500_5yr_daily.parquet")
