"""The result of a backtest: daily records (qlib's ``report_normal``) and the benchmark series."""

from __future__ import annotations

import dataclasses
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from rdq import _files
from rdq.backtest._market import Market
from rdq.backtest._metrics import BacktestMetrics, summarize

__all__ = [
    "BacktestResult",
    "benchmark_returns",
    "records_frame",
    "equal_weight_index",
    "RECORD_COLUMNS",
    "EQUAL_WEIGHT",
    "EQUAL_WEIGHT_ASSET",
]

#: the benchmark name that means "the universe's equal-weighted index" (CLI ``--benchmark``, scenario YAML)
EQUAL_WEIGHT = "equal_weight"
#: asset name of that index once added to a panel (:func:`equal_weight_index`)
EQUAL_WEIGHT_ASSET = "__EQUAL_WEIGHT__"

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


def equal_weight_index(panel: pl.DataFrame, *, name: str = EQUAL_WEIGHT_ASSET) -> pl.DataFrame:
    """Rows of an equal-weighted index of ``panel``'s assets, to append to it as the benchmark asset.

    The index's daily return is the mean over the assets of ``close / previous close - 1`` (each
    asset's previous row; missing or NaN returns are left out of the mean, a day without any counts 0);
    its price starts at 100 on the first date: ``open = high = low = close = 100 * cumprod(1 + r)``,
    ``volume`` 1, ``factor`` 1, other columns missing. The index's ``close / previous close - 1`` is
    that mean return, so :func:`benchmark_returns` of it is the universe's average day.

    Returns
    -------
    pl.DataFrame
        ``(n_dates, panel.width)``, ``panel``'s columns and dtypes, ``asset == name``.
    """
    rets = (
        panel.sort("asset", "date")
        .with_columns((pl.col("close") / pl.col("close").shift(1).over("asset") - 1).fill_nan(None).alias("_r"))
        .group_by("date")
        .agg(pl.col("_r").mean())
        .sort("date")
        .with_columns(pl.col("_r").fill_null(0.0).fill_nan(0.0))
    )
    price = (1.0 + rets["_r"]).cum_prod() * 100.0
    cols: dict[str, Any] = {"date": rets["date"], "asset": pl.Series([name] * rets.height)}
    for c in ("open", "high", "low", "close"):
        cols[c] = price
    cols["volume"] = pl.Series([1.0] * rets.height)
    ew = pl.DataFrame(cols)
    for c in panel.columns:
        if c not in ew.columns:
            ew = ew.with_columns(pl.lit(1.0 if c == "factor" else None).cast(panel.schema[c]).alias(c))
    return ew.select(panel.columns).cast(dict(panel.schema))  # type: ignore[arg-type]


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

    Like the other result objects (``ScenarioResult.metrics``, ``FactorSignal.metrics``), the
    numbers are attributes: ``result.metrics`` is the :class:`BacktestMetrics` with qlib's
    ``risk_analysis`` conventions (``mode="sum"``, ``N = 238``), computed once;
    ``result.summarize(mode=..., n=...)`` gives them under another convention (e.g. ``n=252``).
    The old call ``result.metrics(n=...)`` still works (deprecated): it equals ``summarize``.
    """

    records: pl.DataFrame
    init_cash: float
    benchmark: str | None = None
    settings: dict[str, object] = field(default_factory=dict)

    @cached_property
    def metrics(self) -> BacktestMetrics:
        """Risk metrics as qlib's ``risk_analysis`` reports them (``mode="sum"``, ``N = 238``).

        See :func:`rdq.backtest.summarize`; :meth:`summarize` for another mode or ``N``.
        """
        return _CallableMetrics.wrap(summarize(self.records), self.records)

    def summarize(self, *, mode: Literal["sum", "product"] = "sum", n: int = 238) -> BacktestMetrics:
        """Risk metrics with ``mode`` (``"sum"``: qlib's, or ``"product"``) and ``n`` trading days a year."""
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


class _CallableMetrics(BacktestMetrics):
    """A :class:`BacktestMetrics` that can also be called as the old ``BacktestResult.metrics(...)`` method.

    Equal to (and hashing like) the plain :class:`BacktestMetrics` of the same values; calling it
    returns :meth:`BacktestResult.summarize` of the same records, with a ``DeprecationWarning``.
    """

    __qualname__ = "BacktestMetrics"
    _records: pl.DataFrame

    @classmethod
    def wrap(cls, metrics: BacktestMetrics, records: pl.DataFrame) -> _CallableMetrics:
        out = cls(**{f.name: getattr(metrics, f.name) for f in dataclasses.fields(BacktestMetrics)})
        object.__setattr__(out, "_records", records)
        return out

    def __call__(self, *, mode: Literal["sum", "product"] = "sum", n: int = 238) -> BacktestMetrics:
        warnings.warn(
            "BacktestResult.metrics is now a property (qlib's sum mode, N=238): use result.metrics,"
            " or result.summarize(mode=..., n=...) for another convention",
            DeprecationWarning,
            stacklevel=2,
        )
        return summarize(self._records, mode=mode, n=n)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(BacktestMetrics))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BacktestMetrics):
            return NotImplemented
        return self._values() == tuple(getattr(other, f.name) for f in dataclasses.fields(BacktestMetrics))

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[Any, tuple[object, ...]]:
        return (BacktestMetrics, self._values())  # pickles and copies as the plain class
