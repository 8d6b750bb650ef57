"""Fixtures of the signal tests."""

from __future__ import annotations

import polars as pl
import pytest
from signal_frames import make_frames


@pytest.fixture(scope="module")
def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """FactorFrame with columns ``f, g`` and its label (see ``signal_frames.make_frames``)."""
    return make_frames()
