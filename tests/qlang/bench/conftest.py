"""Fixtures for the q benchmark tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def embedded():
    """The embedded-interpreter executor; skips when ``rdq.qlang.Session`` is not built yet."""
    from rdq.qlang.bench._executor import EmbeddedExecutor

    try:
        from rdq.qlang import Session  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"needs the embedded q interpreter (rdq.qlang.Session): {exc}")
    return EmbeddedExecutor(timeout_s=60.0)  # generous: correctness here, speed in benchmarks/qlang.py
