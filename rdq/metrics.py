"""The one vocabulary of metric names: every number rdq reports is a :class:`Metric`.

A :class:`Metric` is a ``StrEnum``: ``Metric.IC == "ic"``, it serialises as the plain string, and the
strings are public (report frames and JSON, store columns, ``metrics.json``, the CLI): they never change.
Signal, backtest, store, report, models and the CLI all use these members, never string literals
(``tests/test_metric_vocabulary.py`` greps ``rdq/`` for literals of metric names).

This module is the bottom layer: it imports nothing from rdq, so every package can import it.

::

    Metric            name            reported by                       computed by (one function each)
    Metric.IC         "ic"            SignalReport, store, metrics.json  rdq.signal._ic.daily_corr -> mean
    Metric.ICIR       "icir"          SignalReport, store                rdq.signal._ic.icir
    Metric.MAX_DRAWDOWN "max_drawdown" BacktestMetrics, tear sheet       rdq.backtest._metrics.max_drawdown
    ...               (:func:`metrics_markdown` prints the whole table)

Flat metric dicts (``BacktestMetrics.to_dict()``, a scenario's ``metrics.json``) key risk metrics by series,
``"excess_with_cost.information_ratio"`` (:func:`metric_key`), and the signal of a model's scores by
``"signal.ic"`` (:func:`signal_key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Metric",
    "MetricInfo",
    "Direction",
    "EvalMetric",
    "RiskSeries",
    "SIGNAL_METRICS",
    "RISK_METRICS",
    "BACKTEST_METRICS",
    "SIGNAL_PREFIX",
    "decay_column",
    "quantile_column",
    "metric_key",
    "signal_key",
    "metrics_markdown",
]


class Metric(StrEnum):
    """Names of every scalar metric rdq reports (see :attr:`info` for label, meaning and direction)."""

    # -- signal metrics of a factor (rdq.signal.SignalReport, the store's factor_reports)
    IC = "ic"
    RANK_IC = "rank_ic"
    ICIR = "icir"
    RANK_ICIR = "rank_icir"
    IC_TSTAT = "ic_tstat"
    RANK_IC_TSTAT = "rank_ic_tstat"
    IC_HIT_RATE = "ic_hit_rate"
    RANK_IC_HIT_RATE = "rank_ic_hit_rate"
    N_DAYS = "n_days"
    TOP_RETURN = "top_return"
    BOTTOM_RETURN = "bottom_return"
    LONG_SHORT = "long_short"
    LONG_SHORT_IR = "long_short_ir"
    AUTOCORR = "autocorr"
    TOP_TURNOVER = "top_turnover"
    # -- risk metrics of a daily return series (rdq.backtest.RiskAnalysis, qlib's risk_analysis)
    MEAN = "mean"
    STD = "std"
    ANNUALIZED_RETURN = "annualized_return"
    INFORMATION_RATIO = "information_ratio"
    MAX_DRAWDOWN = "max_drawdown"
    CALMAR = "calmar"
    # -- backtest-wide metrics (rdq.backtest.BacktestMetrics; N_DAYS above counts its trading days)
    TURNOVER = "turnover"
    COST = "cost"

    @property
    def info(self) -> MetricInfo:
        """Label, description, direction and the functions that compute this metric."""
        return _INFO[self]

    @property
    def label(self) -> str:
        """Short display name (``"RankICIR"``)."""
        return _INFO[self].label

    @property
    def direction(self) -> Direction:
        """Whether a larger value is better."""
        return _INFO[self].direction

    def better(self, a: float, b: float) -> bool:
        """``a`` is strictly better than ``b`` by this metric's direction (NaN is never better).

        Raises
        ------
        ValueError
            The metric has no direction (a count such as ``n_days``).
        """
        d = _INFO[self].direction
        if d is Direction.NEUTRAL:
            raise ValueError(f"metric {self.value!r} has no direction: it is a count, not a score")
        if a != a:
            return False
        if b != b:
            return True
        return a > b if d is Direction.HIGHER else a < b


class Direction(StrEnum):
    """Which way a metric improves."""

    HIGHER = "higher"
    LOWER = "lower"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class MetricInfo:
    """What a metric is.

    Attributes
    ----------
    label:
        Short display name.
    description:
        One line: how the number is defined.
    direction:
        :class:`Direction` in which it improves.
    computed_by:
        Dotted paths of the functions that compute it (``module.function``), checked by the tests.
    """

    label: str
    description: str
    direction: Direction
    computed_by: tuple[str, ...]


_IC = "rdq.signal._ic"
_BT = "rdq.backtest._metrics"
_H, _L, _N = Direction.HIGHER, Direction.LOWER, Direction.NEUTRAL
_INFO: dict[Metric, MetricInfo] = {
    Metric.IC: MetricInfo(
        "IC", "mean over days of the cross-sectional Pearson correlation of factor and label", _H,
        (f"{_IC}.daily_corr", f"{_IC}.summarize_daily"),
    ),
    Metric.RANK_IC: MetricInfo(
        "RankIC", "mean over days of the cross-sectional Spearman (rank) correlation", _H,
        (f"{_IC}.daily_corr", f"{_IC}.summarize_daily"),
    ),
    Metric.ICIR: MetricInfo(
        "ICIR", "mean(daily IC) / std(daily IC), ddof=1, not annualised (qlib's ICIR)", _H, (f"{_IC}.icir",)
    ),
    Metric.RANK_ICIR: MetricInfo("RankICIR", "mean / std of the daily Rank IC", _H, (f"{_IC}.icir",)),
    Metric.IC_TSTAT: MetricInfo("t(IC)", "t-statistic of the daily IC mean: ICIR * sqrt(n_days)", _H, (f"{_IC}.t_stat",)),
    Metric.RANK_IC_TSTAT: MetricInfo("t(RankIC)", "t-statistic of the daily Rank IC mean", _H, (f"{_IC}.t_stat",)),
    Metric.IC_HIT_RATE: MetricInfo("IC>0", "share of days with IC > 0", _H, (f"{_IC}.hit_rate",)),
    Metric.RANK_IC_HIT_RATE: MetricInfo("RankIC>0", "share of days with Rank IC > 0", _H, (f"{_IC}.hit_rate",)),
    Metric.N_DAYS: MetricInfo(
        "days", "signal: days with a defined IC; backtest: trading days", _N,
        (f"{_IC}.summarize_daily", f"{_BT}.summarize"),
    ),
    Metric.TOP_RETURN: MetricInfo(
        "top", "mean daily label of the top quantile (equal-weighted)", _H,
        ("rdq.signal._quantile.quantile_frame", f"{_IC}.summarize_daily"),
    ),
    Metric.BOTTOM_RETURN: MetricInfo(
        "bottom", "mean daily label of the bottom quantile", _L,
        ("rdq.signal._quantile.quantile_frame", f"{_IC}.summarize_daily"),
    ),
    Metric.LONG_SHORT: MetricInfo(
        "L-S", "mean daily spread: top quantile minus bottom quantile (rdq.signal.qlib_long_short: qlib's)", _H,
        ("rdq.signal._quantile.quantile_frame", f"{_IC}.summarize_daily"),
    ),
    Metric.LONG_SHORT_IR: MetricInfo(
        "L-S IR", "mean / std of the daily spread * sqrt(252)", _H, (f"{_IC}.annualized_icir",)
    ),
    Metric.AUTOCORR: MetricInfo(
        "autocorr", "mean daily cross-sectional rank autocorrelation of the factor at lag 1", _H,
        ("rdq.signal._autocorr.autocorr_frame", f"{_IC}.summarize_daily"),
    ),
    Metric.TOP_TURNOVER: MetricInfo(
        "turnover", "mean daily share of the top quantile that was not in it the day before", _L,
        ("rdq.signal._autocorr.turnover_frame", f"{_IC}.summarize_daily"),
    ),
    Metric.MEAN: MetricInfo(
        "mean", "mean daily return (sum mode); geometric mean daily return (product mode)", _H, (f"{_BT}.mean_return",)
    ),
    Metric.STD: MetricInfo(
        "std", "std of the daily return, ddof=1 (product mode: of log(1 + r))", _L, (f"{_BT}.std_return",)
    ),
    Metric.ANNUALIZED_RETURN: MetricInfo(
        "ARR", "mean * N (sum mode) or compounded to N days a year (product mode); N=238 as qlib", _H,
        (f"{_BT}.annualized_return",),
    ),
    Metric.INFORMATION_RATIO: MetricInfo(
        "IR", "mean / std * sqrt(N) of the daily return", _H, (f"{_BT}.information_ratio",)
    ),
    Metric.MAX_DRAWDOWN: MetricInfo(
        "MDD", "most negative fall of the cumulative (sum) or compounded (product) curve from its running max", _H,
        (f"{_BT}.max_drawdown",),
    ),
    Metric.CALMAR: MetricInfo(
        "Calmar", "annualized_return / abs(max_drawdown) (NaN without a drawdown)", _H, (f"{_BT}.calmar",)
    ),
    Metric.TURNOVER: MetricInfo(
        "turnover", "mean daily traded value / previous account", _L, (f"{_BT}.summarize",)
    ),
    Metric.COST: MetricInfo("cost", "mean daily cost / previous account", _L, (f"{_BT}.summarize",)),
}

#: the signal metrics of a factor, in display order (SignalReport columns, store factor_reports columns)
SIGNAL_METRICS: tuple[Metric, ...] = (
    Metric.IC,
    Metric.RANK_IC,
    Metric.ICIR,
    Metric.RANK_ICIR,
    Metric.IC_TSTAT,
    Metric.RANK_IC_TSTAT,
    Metric.IC_HIT_RATE,
    Metric.RANK_IC_HIT_RATE,
    Metric.N_DAYS,
    Metric.TOP_RETURN,
    Metric.BOTTOM_RETURN,
    Metric.LONG_SHORT,
    Metric.LONG_SHORT_IR,
    Metric.AUTOCORR,
    Metric.TOP_TURNOVER,
)
#: the fields of a risk analysis of one return series (qlib's ``risk_analysis`` plus Calmar), in order
RISK_METRICS: tuple[Metric, ...] = (
    Metric.MEAN,
    Metric.STD,
    Metric.ANNUALIZED_RETURN,
    Metric.INFORMATION_RATIO,
    Metric.MAX_DRAWDOWN,
    Metric.CALMAR,
)
#: the backtest-wide metrics next to the risk analyses
BACKTEST_METRICS: tuple[Metric, ...] = (Metric.TURNOVER, Metric.COST, Metric.N_DAYS)


class RiskSeries(StrEnum):
    """The three return series a backtest's risk is analysed on (qlib's ``PortAnaRecord``)."""

    #: ``return - bench``
    EXCESS_WITHOUT_COST = "excess_without_cost"
    #: ``return - bench - cost``
    EXCESS_WITH_COST = "excess_with_cost"
    #: ``return - cost``: the account's own return
    ABSOLUTE_WITH_COST = "absolute_with_cost"


class EvalMetric(StrEnum):
    """What a torch model's early stopping watches on the valid segment (a training objective, not a report)."""

    #: mean squared error of the predictions (lower is better)
    LOSS = "loss"
    #: mean daily IC of the predictions (higher is better); the same quantity as :attr:`Metric.IC`
    IC = "ic"


#: prefix of the signal of a model's scores in a scenario's flat metrics (``"signal.ic"``)
SIGNAL_PREFIX = "signal"


def metric_key(series: RiskSeries, metric: Metric) -> str:
    """Key of a risk metric in a flat metric dict: ``"excess_with_cost.information_ratio"``."""
    return f"{RiskSeries(series).value}.{Metric(metric).value}"


def signal_key(metric: Metric) -> str:
    """Key of a score-signal metric in a scenario's flat metrics: ``"signal.rank_ic"``."""
    return f"{SIGNAL_PREFIX}.{Metric(metric).value}"


def decay_column(metric: Metric, horizon: int) -> str:
    """Column name of ``metric`` (IC or RANK_IC) against the label at ``horizon`` days: ``"rank_ic_h5"``."""
    if metric not in (Metric.IC, Metric.RANK_IC):
        raise ValueError(f"decay is reported for IC and RANK_IC only, not {metric!s}")
    return f"{Metric(metric).value}_h{int(horizon)}"


def quantile_column(q: int) -> str:
    """Column name of the mean daily label of quantile ``q`` (1 = lowest factor values): ``"q1"``."""
    return f"q{int(q)}"


def metrics_markdown() -> str:
    """The markdown table "where each reported number is computed" (docs/ARCHITECTURE.md holds a copy)."""
    lines = [
        "| metric | shown as | direction | definition | computed by |",
        "|---|---|---|---|---|",
    ]
    for m in Metric:
        i = m.info
        fns = ", ".join(f"`{p}`" for p in i.computed_by)
        lines.append(f"| `{m.value}` | {i.label} | {i.direction.value} | {i.description} | {fns} |")
    return "\n".join(lines)
