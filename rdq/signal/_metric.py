"""Metric names: typed constants, never bare strings.

Every column of :meth:`rdq.signal.SignalReport.to_frame`, every key of ``to_dict()["factors"][i]["metrics"]``
and every metric column of the store's ``factor_reports`` table is a :class:`Metric` member (a ``StrEnum``,
so ``Metric.IC == "ic"`` and it serialises as the plain string).  Per-horizon decay columns and per-quantile
mean-return columns are derived with :func:`decay_column` and :func:`quantile_column`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Metric", "decay_column", "quantile_column", "SUMMARY_METRICS"]


class Metric(StrEnum):
    """Names of the scalar signal metrics (one value per factor).

    Daily cross-sectional correlations are averaged over the days where they are defined.
    """

    #: mean daily Pearson correlation between factor and label
    IC = "ic"
    #: mean daily Spearman (rank) correlation between factor and label
    RANK_IC = "rank_ic"
    #: mean(IC) / std(IC), std with ddof=1 (qlib's ``ICIR``), not annualised
    ICIR = "icir"
    #: mean(RankIC) / std(RankIC)
    RANK_ICIR = "rank_icir"
    #: t-statistic of the daily IC mean: ICIR * sqrt(n_days)
    IC_TSTAT = "ic_tstat"
    #: t-statistic of the daily Rank IC mean
    RANK_IC_TSTAT = "rank_ic_tstat"
    #: share of days with IC > 0
    IC_HIT_RATE = "ic_hit_rate"
    #: share of days with Rank IC > 0
    RANK_IC_HIT_RATE = "rank_ic_hit_rate"
    #: number of days with a defined IC
    N_DAYS = "n_days"
    #: mean daily label of the top quantile (equal-weighted)
    TOP_RETURN = "top_return"
    #: mean daily label of the bottom quantile
    BOTTOM_RETURN = "bottom_return"
    #: mean daily long-short spread: top quantile minus bottom quantile.  qlib's ``Long-Short Ann
    #: Return`` differs: it halves the spread, picks ``int(n_rows * 0.2)`` names counting rows with a
    #: missing score, and annualises (x252); :func:`rdq.signal.qlib_long_short` reproduces it exactly
    LONG_SHORT = "long_short"
    #: annualised information ratio of the daily spread: mean / std * sqrt(252)
    LONG_SHORT_IR = "long_short_ir"
    #: mean daily cross-sectional rank autocorrelation of the factor at lag 1
    AUTOCORR = "autocorr"
    #: mean daily share of the top quantile that was not in it the day before
    TOP_TURNOVER = "top_turnover"


#: the scalar metrics in display order
SUMMARY_METRICS: tuple[Metric, ...] = tuple(Metric)


def decay_column(metric: Metric, horizon: int) -> str:
    """Column name of ``metric`` (IC or RANK_IC) against the label at ``horizon`` days: ``"rank_ic_h5"``."""
    if metric not in (Metric.IC, Metric.RANK_IC):
        raise ValueError(f"decay is reported for IC and RANK_IC only, not {metric!s}")
    return f"{metric.value}_h{int(horizon)}"


def quantile_column(q: int) -> str:
    """Column name of the mean daily label of quantile ``q`` (1 = lowest factor values): ``"q1"``."""
    return f"q{int(q)}"
