"""The data every benchmark reads: ``--data PATH`` (any file or folder ``rdq`` loads), else the shared
S&P 500 file beside the project (``../shared/data/sp500_5yr_daily.parquet``).

Benchmarks time code, they do not judge data: the panel is loaded with ``strict=False`` (a real
market's quirks, such as the S&P file's one ``high < low`` row, are logged as warnings, not fatal).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
SP500 = ROOT.parent / "shared" / "data" / "sp500_5yr_daily.parquet"

__all__ = ["ROOT", "SP500", "add_data_option", "load_bench_panel", "data_path"]


def add_data_option(ap: argparse.ArgumentParser, *, what: str = "the shared S&P 500 file") -> None:
    """Add ``--data PATH`` to a benchmark's argument parser."""
    ap.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"market data to time on (Parquet/CSV file, folder, DuckDB or qlib folder; default: {what})",
    )


def data_path(path: Path | None) -> Path | None:
    """``path``, or the shared S&P 500 file when it exists, else ``None``."""
    if path is not None:
        if not path.exists():
            raise SystemExit(f"--data {path}: no such file or folder")
        return path
    return SP500 if SP500.exists() else None


def load_bench_panel(path: Path, *, n_assets: int | None = None) -> pl.DataFrame:
    """The canonical panel of ``path`` (``rdq.data.load_panel``, not strict), optionally its first N assets."""
    from rdq.data import load_panel

    panel = load_panel(path, strict=False)
    if n_assets:
        keep = panel["asset"].unique().sort()[:n_assets].implode()
        panel = panel.filter(pl.col("asset").is_in(keep))
    return panel
