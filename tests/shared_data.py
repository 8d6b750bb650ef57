"""Where the shared material lives (``../shared`` beside the project root), importable from any test.

``tests/`` is on ``sys.path`` (pytest ``pythonpath``), so a test does ``from shared_data import shared_path``.
"""

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
