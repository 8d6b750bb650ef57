"""Quantile portfolios: equal-weighted mean label per factor quantile per day, and the long-short spread.

Two selection rules:

* ``quantile_returns`` / ``long_short_series`` (rdq's default): per day, drop the assets whose factor
  or label is missing, rank the rest by factor (average ranks, so tied values share a bucket) and cut
  them into ``quantiles`` equal-count buckets, ``bucket = floor((rank - 0.5) / n * quantiles) + 1``
  (1 = lowest factor values).  Using the centre of each rank's slot makes the buckets symmetric: flipping
  the factor's sign maps bucket ``k`` to ``quantiles + 1 - k`` (up to an asset sitting exactly on a
  boundary).  With fewer assets than buckets some buckets stay empty.  The spread is ``top - bottom``.
* ``qlib_long_short`` mirrors ``qlib.contrib.eva.alpha.calc_long_short_return`` exactly: per day
  ``N = int(n_rows * quantile)`` where ``n_rows`` **counts rows with a missing factor or label**
  (unless ``dropna=True``), the long leg is the ``N`` largest factor values (ties: first in
  ``(date, asset)`` order, pandas' ``nlargest(keep="first")``; when fewer than ``N`` factor values are
  present, rows with a missing factor fill the leg in row order, as pandas does), the short leg the
  ``N`` smallest, each
  leg's mean label skips missing labels, and the spread is **halved**: ``(long - short) / 2``.  The
  second output is the day's mean label over all rows (qlib's ``long_avg_r``).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from rdq.errors import ConfigError
from rdq.metrics import Metric
from rdq.signal._frames import LABEL, check_factor_frame, check_label_frame, valid
from rdq.signal._ic import pair_frame

__all__ = [
    "quantile_buckets",
    "quantile_returns",
    "quantile_frame",
    "long_short_series",
    "qlib_long_short",
]


def _check_quantiles(quantiles: int) -> None:
    if isinstance(quantiles, bool) or not isinstance(quantiles, int) or quantiles < 2:
        raise ConfigError(f"quantiles must be an integer >= 2, got {quantiles!r}")


def bucket_expr(column: str, quantiles: int, *, mask: pl.Expr | None = None) -> pl.Expr:
    """Per-day quantile bucket (1..quantiles) of ``column`` among rows where ``mask`` holds (null elsewhere).

    Must be evaluated on a frame with a ``date`` column (it is a window expression over ``date``).
    """
    ok = valid(column) if mask is None else mask
    x = pl.when(ok).then(pl.col(column).cast(pl.Float64))
    rank = x.rank("average").over("date")
    n = ok.sum().over("date")
    # centre of each rank's slot, (rank - 0.5) / n, cut into equal parts: symmetric under a sign flip
    return ((rank - 0.5) * quantiles / n).floor().clip(0, quantiles - 1).cast(pl.Int32) + 1


def quantile_buckets(factors: pl.DataFrame, *, column: str, quantiles: int = 5) -> pl.DataFrame:
    """Quantile bucket of each valid factor value per day.

    Returns
    -------
    pl.DataFrame
        ``date, asset, quantile`` (Int32, 1 = lowest) for the rows where the factor is valid.
    """
    check_factor_frame(factors, columns=[column])
    _check_quantiles(quantiles)
    return (
        factors.select("date", "asset", column)
        .filter(valid(column))
        .with_columns(bucket_expr(column, quantiles).alias("quantile"))
        .select("date", "asset", "quantile")
    )


def quantile_frame(
    factors: pl.DataFrame,
    label: pl.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    quantiles: int = 5,
) -> pl.DataFrame:
    """Mean daily label per quantile for several factors at once (wide).

    Returns
    -------
    pl.DataFrame
        ``date`` plus columns ``<factor>__q<k>`` (k = 1..quantiles), one row per date (sorted);
        null where a bucket is empty.
    """
    cols = check_factor_frame(factors, columns=columns)
    check_label_frame(label)
    _check_quantiles(quantiles)
    joined = pair_frame(factors, label, cols).lazy()
    dates = joined.select(pl.col("date").unique())
    parts = []
    for c in cols:
        means = (
            joined.select(
                "date",
                bucket_expr(c, quantiles, mask=valid(c) & valid(LABEL)).alias("_b"),
                pl.col(LABEL).cast(pl.Float64).alias("_y"),
            )
            .drop_nulls("_b")
            .group_by("date", "_b")
            .agg(pl.col("_y").mean())
        )
        parts.append(means)
    out = dates.collect()
    for c, part in zip(cols, pl.collect_all(parts), strict=True):
        wide = (
            part.pivot(on="_b", index="date", values="_y", sort_columns=True)
            if part.height
            else part.select("date")
        )
        missing = [str(k) for k in range(1, quantiles + 1) if str(k) not in wide.columns]
        wide = wide.with_columns([pl.lit(None, dtype=pl.Float64).alias(k) for k in missing])
        wide = wide.select(
            "date", *[pl.col(str(k)).cast(pl.Float64).alias(f"{c}__q{k}") for k in range(1, quantiles + 1)]
        )
        out = out.join(wide, on="date", how="left")
    return out.sort("date")


def quantile_returns(
    factors: pl.DataFrame, label: pl.DataFrame, *, column: str, quantiles: int = 5
) -> pl.DataFrame:
    """Equal-weighted mean label per factor quantile per day (rdq's default selection, see module doc).

    Returns
    -------
    pl.DataFrame
        ``date, quantile, label`` long frame sorted by ``(date, quantile)``, one row per non-empty bucket.
    """
    wide = quantile_frame(factors, label, columns=[column], quantiles=quantiles)
    return (
        wide.unpivot(index="date", variable_name="quantile", value_name=LABEL)
        .with_columns(pl.col("quantile").str.split("__q").list.last().cast(pl.Int32))
        .drop_nulls(LABEL)
        .sort("date", "quantile")
    )


def long_short_series(
    factors: pl.DataFrame, label: pl.DataFrame, *, column: str, quantiles: int = 5
) -> pl.DataFrame:
    """Daily long-short spread: mean label of the top quantile minus that of the bottom quantile.

    Returns
    -------
    pl.DataFrame
        ``date, long_short`` sorted by date; null on days where either leg is empty.
    """
    wide = quantile_frame(factors, label, columns=[column], quantiles=quantiles)
    return wide.select(
        "date", (pl.col(f"{column}__q{quantiles}") - pl.col(f"{column}__q1")).alias(Metric.LONG_SHORT)
    )


def qlib_long_short(
    factors: pl.DataFrame,
    label: pl.DataFrame,
    *,
    column: str,
    quantile: float = 0.2,
    dropna: bool = False,
) -> pl.DataFrame:
    """Daily long-short and long-average returns with qlib's ``calc_long_short_return`` semantics.

    Parameters
    ----------
    factors, label:
        FactorFrame and ``date, asset, label`` frame; they are aligned on the union of their keys.
    column:
        Factor column (qlib's ``pred``).
    quantile:
        Share of each day's rows in each leg: ``N = int(n_rows * quantile)``.
    dropna:
        Drop rows with a missing factor or label before counting (qlib's ``dropna``).

    Returns
    -------
    pl.DataFrame
        ``date, long_short, long_avg`` sorted by date, where ``long_short = (long - short) / 2`` and
        ``long_avg`` is the mean label of all the day's rows; null where undefined (qlib: NaN).
    """
    check_factor_frame(factors, columns=[column])
    check_label_frame(label)
    if not 0.0 < quantile <= 0.5:
        raise ConfigError(f"quantile must be in (0, 0.5], got {quantile!r}")
    joined = pair_frame(factors, label, [column]).with_columns(
        pl.when(valid(column)).then(pl.col(column).cast(pl.Float64)).alias("_x"),
        pl.when(valid(LABEL)).then(pl.col(LABEL).cast(pl.Float64)).alias("_y"),
    )
    if dropna:
        joined = joined.filter(pl.col("_x").is_not_null() & pl.col("_y").is_not_null())
    # pandas' nlargest/nsmallest(keep="first") break ties by position: keep (date, asset) order
    joined = joined.sort("date", "asset")
    n_take = (pl.len().cast(pl.Float64) * quantile).floor().over("date")
    # missing factor values come after the valid ones, in row order, as in pandas' nlargest/nsmallest
    n_valid = pl.col("_x").is_not_null().sum().over("date")
    after = n_valid + pl.col("_x").is_null().cast(pl.UInt32).cum_sum().over("date")
    top = pl.coalesce(pl.col("_x").rank("ordinal", descending=True).over("date"), after)
    bottom = pl.coalesce(pl.col("_x").rank("ordinal").over("date"), after)
    joined = joined.with_columns(
        (top <= n_take).fill_null(False).alias("_long"),
        (bottom <= n_take).fill_null(False).alias("_short"),
    )
    out = (
        joined.group_by("date")
        .agg(
            pl.col("_y").filter(pl.col("_long")).mean().alias("_l"),
            pl.col("_y").filter(pl.col("_short")).mean().alias("_s"),
            pl.col("_y").mean().alias("long_avg"),
        )
        .sort("date")
    )
    return out.select("date", ((pl.col("_l") - pl.col("_s")) / 2.0).alias(Metric.LONG_SHORT), "long_avg")
