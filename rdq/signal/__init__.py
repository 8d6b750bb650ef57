"""Signal metrics of factors against a forward-return label.

IC (Pearson) and Rank IC (Spearman) per day and their summaries (ICIR, t-stat, hit rate),
quantile-portfolio returns and the long-short spread, rank autocorrelation and top-quantile
turnover, IC decay over label horizons, and pairwise factor correlation.  Daily IC and qlib-mode
long-short returns match ``qlib.contrib.eva.alpha`` on the same input.

>>> from rdq.signal import default_label, signal_report, Metric
>>> # report = signal_report(factor_frame, default_label(panel), panel=panel)
>>> # report["my_factor"][Metric.RANK_IC]
"""

from __future__ import annotations

from rdq.signal._autocorr import autocorr_frame, rank_autocorr, top_turnover, turnover_frame
from rdq.signal._correlation import factor_correlation
from rdq.signal._ic import CorrMethod, ic_frame, ic_series, ic_summary
from rdq.signal._label import default_label, label_expression
from rdq.signal._metric import SUMMARY_METRICS, Metric, decay_column, quantile_column
from rdq.signal._quantile import (
    long_short_series,
    qlib_long_short,
    quantile_buckets,
    quantile_frame,
    quantile_returns,
)
from rdq.signal._render import report_table
from rdq.signal._report import (
    ANNUALIZATION_DAYS,
    DEFAULT_HORIZONS,
    FactorSignal,
    SignalReport,
    signal_report,
)

__all__ = [
    "ANNUALIZATION_DAYS",
    "CorrMethod",
    "DEFAULT_HORIZONS",
    "FactorSignal",
    "Metric",
    "SUMMARY_METRICS",
    "SignalReport",
    "autocorr_frame",
    "decay_column",
    "default_label",
    "factor_correlation",
    "ic_frame",
    "ic_series",
    "ic_summary",
    "label_expression",
    "long_short_series",
    "qlib_long_short",
    "quantile_buckets",
    "quantile_column",
    "quantile_frame",
    "quantile_returns",
    "rank_autocorr",
    "report_table",
    "signal_report",
    "top_turnover",
    "turnover_frame",
]
