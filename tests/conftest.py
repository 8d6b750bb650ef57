"""Shared fixtures: the ``../shared`` material, small synthetic panels."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """Path under ``../shared``; skips the calling test with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (../shared beside the project root; CI always has it)")
    return path


@pytest.fixture(scope="session")
def sp500_path() -> Path:
    """The shared S&P 500 daily file (505 stocks, 2013-2018)."""
    return shared_path("data", "sp500_5yr_daily.parquet")
