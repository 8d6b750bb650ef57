"""Factor stability: cross-sectional rank autocorrelation and top-quantile turnover.

Both compare day ``t`` with the previous day of the factor frame's calendar (its sorted unique dates),
so they use only data up to ``t``.  An asset absent (or missing) on either day drops out of that day's
autocorrelation; an asset new to the top quantile counts as turnover.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from rdq.errors import ConfigError
from rdq.metrics import Metric
from rdq.signal._frames import check_factor_frame, with_lagged
from rdq.signal._ic import daily_corr
from rdq.signal._quantile import _check_quantiles, bucket_expr

__all__ = ["rank_autocorr", "autocorr_frame", "top_turnover", "turnover_frame"]

_LAG = "__lag"


def autocorr_frame(
    factors: pl.DataFrame, *, columns: Sequence[str] | None = None, lag: int = 1
) -> pl.DataFrame:
    """Daily Spearman correlation between each factor at ``t`` and at ``t - lag`` (wide).

    Returns
    -------
    pl.DataFrame
        ``date`` plus one Float64 column per factor, one row per date after the first ``lag`` (sorted).
    """
    cols = check_factor_frame(factors, columns=columns)
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 1:
        raise ConfigError(f"lag must be a positive integer, got {lag!r}")
    joined = with_lagged(factors.select("date", "asset", *cols), cols, lag=lag, suffix=_LAG)
    first = joined.get_column("date").unique().sort().head(lag)
    out = daily_corr(joined, [(c, c, c + _LAG) for c in cols], method="spearman")
    return out.filter(~pl.col("date").is_in(first.implode()))


def rank_autocorr(factors: pl.DataFrame, *, column: str, lag: int = 1) -> pl.DataFrame:
    """Daily cross-sectional rank autocorrelation of one factor.

    Returns
    -------
    pl.DataFrame
        ``date, autocorr``: Spearman correlation across assets between the factor at ``t`` and at the
        previous ``lag``-th date; null where fewer than 2 assets have both values or either is constant.
    """
    return autocorr_frame(factors, columns=[column], lag=lag).rename({column: Metric.AUTOCORR})


def turnover_frame(
    factors: pl.DataFrame, *, columns: Sequence[str] | None = None, quantiles: int = 5
) -> pl.DataFrame:
    """Daily top-quantile turnover of several factors (wide).

    ``turnover[t] = 1 - |top[t] & top[t-1]| / |top[t]|`` where ``top`` is the set of assets in the
    highest quantile bucket (buckets as in :func:`rdq.signal.quantile_buckets`).  Defined on days where
    both ``top[t]`` and ``top[t-1]`` are non-empty.

    Returns
    -------
    pl.DataFrame
        ``date`` plus one Float64 column per factor, one row per date after the first (sorted).
    """
    cols = check_factor_frame(factors, columns=columns)
    _check_quantiles(quantiles)
    tops = factors.select(
        "date", "asset", *[(bucket_expr(c, quantiles) == quantiles).fill_null(False).alias(c) for c in cols]
    )
    joined = with_lagged(tops, cols, lag=1, suffix=_LAG)
    per_day = (
        joined.group_by("date")
        .agg(
            *[pl.col(c).sum().alias(c) for c in cols],
            *[(pl.col(c) & pl.col(c + _LAG).fill_null(False)).sum().alias(c + "__stay") for c in cols],
        )
        .sort("date")
    )
    # the per-day frame holds every calendar date, so shift(1) is the previous calendar day
    return per_day.select(
        "date",
        *[
            pl.when((pl.col(c).shift(1) > 0) & (pl.col(c) > 0))
            .then(1.0 - pl.col(c + "__stay") / pl.col(c))
            .otherwise(None)
            .alias(c)
            for c in cols
        ],
    ).slice(1)


def top_turnover(factors: pl.DataFrame, *, column: str, quantiles: int = 5) -> pl.DataFrame:
    """Daily share of the top quantile that was not in it the previous day.

    Returns
    -------
    pl.DataFrame
        ``date, turnover`` sorted by date (from the second date on); null where undefined.
    """
    return turnover_frame(factors, columns=[column], quantiles=quantiles).rename({column: "turnover"})
