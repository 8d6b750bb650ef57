from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sandbox.attacks import make_panel


@pytest.fixture()
def panel() -> pl.DataFrame:
    return make_panel()


@pytest.fixture()
def targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Paths outside the sandbox an attack goes for; the parent's env holds a fake API key."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    catalog = tmp_path / "ws" / ".rdq" / "catalog.duckdb"
    catalog.parent.mkdir(parents=True)
    catalog.write_bytes(b"DUCK-CATALOG")
    outside = tmp_path / "outside"
    outside.mkdir()
    data = tmp_path / "panel.parquet"
    make_panel().write_parquet(data)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-TOP-SECRET-42")
    return {"SECRET": str(secret), "CATALOG": str(catalog), "OUTSIDE": str(outside), "DATA": str(data)}
