"""``strategies/topk_dropout.py`` runs end to end and writes the records the engine computes."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from .conftest import synthetic_panel

ROOT = Path(__file__).resolve().parents[2]


def test_script_runs(tmp_path: Path) -> None:
    panel = synthetic_panel([date(2020, 1, 1) + timedelta(days=i) for i in range(80)], n_assets=15)
    panel.write_parquet(tmp_path / "panel.parquet")
    out = tmp_path / "records.parquet"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "strategies" / "topk_dropout.py"), "--data", str(tmp_path / "panel.parquet"),
         "--topk", "5", "--n-drop", "1", "--market", "cn", "--account", "1000000", "--out", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rec = pl.read_parquet(out)
    assert rec.columns == ["date", "account", "return", "cost", "turnover", "bench"]
    assert rec.height == 80 - 21  # 20-day reversal needs 20 days, trading starts the day after
    assert "final account" in proc.stdout
