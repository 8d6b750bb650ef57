"""The curves a tear sheet draws, computed from daily backtest records (pure polars, no plotting).

Records (one row per trading day, :data:`rdq.backtest.RECORD_COLUMNS`)::

    date     account   return   cost     turnover   bench
    pl.Date  f64       f64      f64      f64        f64

``return`` is gross of cost (qlib), so the account's own net return is ``return - cost``.
"""

from __future__ import annotations

import polars as pl

from rdq.errors import SchemaError
from rdq.metrics import Metric, RiskSeries

__all__ = ["REQUIRED_RECORD_COLUMNS", "check_records", "curves", "ic_curves", "quantile_curves"]

REQUIRED_RECORD_COLUMNS: tuple[str, ...] = ("date", "account", "return", Metric.COST, Metric.TURNOVER, "bench")


def check_records(records: pl.DataFrame, *, source: str | None = None) -> pl.DataFrame:
    """Check the record columns and sort by date.

    Raises
    ------
    SchemaError
        A required column is missing.
    """
    missing = [c for c in REQUIRED_RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise SchemaError(
            f"backtest records lack column(s) {missing}; have {records.columns}",
            file=source,
            column=missing[0],
            fix="pass BacktestResult.records (date, account, return, cost, turnover, bench)",
        )
    return records.sort("date")


def curves(records: pl.DataFrame, *, window: int = 20) -> pl.DataFrame:
    """Cumulative curves of a backtest, one row per day.

    Returns
    -------
    pl.DataFrame
        ``date`` and
        ``equity`` (account / first day's starting account, net of cost: ``cumprod(1 + return - cost)``),
        ``bench_equity`` (``cumprod(1 + bench)``),
        ``excess_with_cost`` / ``excess_without_cost`` (``cumsum(return - bench [- cost])``, qlib's sum mode),
        ``drawdown`` (of ``excess_with_cost``: cumsum minus its running max, the curve qlib's max drawdown reads),
        ``equity_drawdown`` (``equity / cummax(equity) - 1``),
        ``turnover`` and ``turnover_mean`` (rolling ``window``-day mean).
    """
    r = check_records(records)
    net = pl.col("return") - pl.col(Metric.COST)
    excess = pl.col(RiskSeries.EXCESS_WITH_COST)
    out = r.select(
        "date",
        (1.0 + net).cum_prod().alias("equity"),
        (1.0 + pl.col("bench")).cum_prod().alias("bench_equity"),
        (net - pl.col("bench")).cum_sum().alias(RiskSeries.EXCESS_WITH_COST),
        (pl.col("return") - pl.col("bench")).cum_sum().alias(RiskSeries.EXCESS_WITHOUT_COST),
        Metric.TURNOVER,
        pl.col(Metric.TURNOVER).rolling_mean(window, min_samples=1).alias(f"{Metric.TURNOVER}_mean"),
    )
    return out.with_columns(
        (excess - excess.cum_max()).alias("drawdown"),
        (pl.col("equity") / pl.col("equity").cum_max() - 1.0).alias("equity_drawdown"),
    )


def ic_curves(ic: pl.DataFrame, *, window: int = 20) -> pl.DataFrame:
    """Daily ``ic`` / ``rank_ic`` with their rolling ``window``-day means (``*_mean``), sorted by date."""
    cols = [c for c in (Metric.IC, Metric.RANK_IC) if c in ic.columns]
    return ic.sort("date").with_columns(
        *(pl.col(c).fill_nan(None).rolling_mean(window, min_samples=1).alias(f"{c}_mean") for c in cols)
    )


def quantile_curves(quantiles: pl.DataFrame) -> pl.DataFrame:
    """Cumulative (summed) mean label of each quantile, from the long ``date, quantile, label`` frame.

    Returns
    -------
    pl.DataFrame
        ``date`` + one column ``Q1..Qk`` per quantile (Q1 = lowest scores), nulls filled with 0 before summing.
    """
    wide = quantiles.pivot(on="quantile", index="date", values="label", aggregate_function="first").sort(
        "date"
    )
    qcols = sorted((c for c in wide.columns if c != "date"), key=int)
    return wide.select("date", *(pl.col(c).fill_null(0.0).cum_sum().alias(f"Q{c}") for c in qcols))
