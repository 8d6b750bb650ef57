"""Shared fixtures of the q tests."""

from __future__ import annotations

import pytest

from rdq.qlang import Session


@pytest.fixture
def q() -> Session:
    """A fresh session (its files in a temporary folder of its own)."""
    return Session()
