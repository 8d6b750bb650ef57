"""The result of a backtest: daily records (qlib's ``report_normal``) and the benchmark series."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from rdq import _files
from rdq.backtest._market import Market
from rdq.backtest._metrics import BacktestMetrics, summarize

__all__ = ["BacktestResult", "benchmark_returns", "records_frame", "RECORD_COLUMNS"]

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


def records_frame(market: Market, window: slice, out: np.ndarray, bench_asset: int | None) -> pl.DataFrame:
    """The daily records of the days ``market.dates[window]`` from the engines' records array.

    ``out`` has shape ``(n_days, 8)`` as :func:`rdq.backtest._kernels.write_record` fills it
    (account, return, cost, turnover, cash, stock value, names held, trades); ``bench`` is
    :func:`benchmark_returns` of ``bench_asset``.
    """
    return pl.DataFrame(
        {
            "date": market.dates[window],
            "account": out[:, 0],
            "return": out[:, 1],
            "cost": out[:, 2],
            "turnover": out[:, 3],
            "bench": benchmark_returns(market, bench_asset)[window],
            "cash": out[:, 4],
            "value": out[:, 5],
            "n_held": out[:, 6].astype(np.int64),
            "n_trades": out[:, 7].astype(np.int64),
        }
    ).with_columns(pl.col("date").cast(pl.Date))


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

    def _repr_html_(self) -> str:
        """Notebook display: the span, the final account and :meth:`metrics` (qlib's three risk series).

        Cells are rounded to 6 significant digits and keep the exact value in ``data-value``.
        """
        from rdq._html import html_table, metrics_html

        r = self.records
        metrics = self.metrics
        flat = metrics.to_dict()
        rows: list[list[object]] = [
            ["first day", str(r["date"].min()) if r.height else "-"],
            ["last day", str(r["date"].max()) if r.height else "-"],
            ["trading days", r.height],
            ["initial cash", float(self.init_cash)],
            ["final account", float(r["account"][-1]) if r.height else float("nan")],
            ["benchmark", self.benchmark or "none"],
        ]
        summary = html_table(["backtest", "value"], rows, caption="Backtest")
        return summary + metrics_html(flat, caption=f"Metrics ({flat.get('mode', 'sum')} mode, N={flat.get('n')})")

    def to_parquet(self, path: str | os.PathLike[str], *, columns: tuple[str, ...] = RECORD_COLUMNS) -> Path:
        """Write ``records`` (``columns``) to Parquet atomically (temp file + rename)."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _files.mkstemp(prefix=".records-", suffix=".parquet", dir=out.parent)
        os.close(fd)
        try:
            self.records.select(columns).write_parquet(tmp)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return out
