"""The result of a backtest: daily records (qlib's ``report_normal``) and the benchmark series."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from rdq.backtest._market import Market
from rdq.backtest._metrics import BacktestMetrics, summarize

__all__ = ["BacktestResult", "benchmark_returns", "RECORD_COLUMNS"]

#: the columns of the CLI's records file (a stable contract)
RECORD_COLUMNS: tuple[str, ...] = ("date", "account", "return", "cost", "turnover", "bench")


def benchmark_returns(market: Market, asset: int | None) -> np.ndarray:
    """``close / previous calendar day's close - 1`` of one asset, 0 where missing; zeros when ``asset`` is None.

    qlib's ``$close/Ref($close,1)-1`` of the benchmark with ``fillna(0)``.

    Returns
    -------
    np.ndarray
        Shape ``(n_days,)``.
    """
    out = np.zeros(len(market.dates))
    if asset is None:
        return out
    c = market.close[:, asset]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = c[1:] / c[:-1] - 1
    out[1:] = np.where(np.isfinite(r), r, 0.0)
    return out


@dataclass(frozen=True)
class BacktestResult:
    """Daily records of a backtest.

    ``records`` (one row per trading day)::

        date        account      return     cost       turnover   bench     cash        value      ...
        pl.Date     f64          f64        f64        f64        f64       f64         f64
        2017-06-01  1.0001e8     0.00213    0.00045    0.19       0.0011    4.9e6       9.5e7

    * ``account``: cash + holdings marked at the close;
    * ``return``: (account - previous account + cost) / previous account, **gross of cost** (qlib);
    * ``cost``, ``turnover``: the day's cost and traded value over the previous account;
    * ``bench``: the benchmark's return.
    """

    records: pl.DataFrame
    init_cash: float
    benchmark: str | None = None
    settings: dict[str, object] = field(default_factory=dict)

    def metrics(self, *, mode: Literal["sum", "product"] = "sum", n: int = 238) -> BacktestMetrics:
        """Risk metrics as qlib's ``risk_analysis`` (see :func:`rdq.backtest.summarize`)."""
        return summarize(self.records, mode=mode, n=n)

    def to_parquet(self, path: str | os.PathLike[str], *, columns: tuple[str, ...] = RECORD_COLUMNS) -> Path:
        """Write ``records`` (``columns``) to Parquet atomically (temp file + rename)."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".records-", suffix=".parquet", dir=out.parent)
        os.close(fd)
        try:
            self.records.select(columns).write_parquet(tmp)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return out
