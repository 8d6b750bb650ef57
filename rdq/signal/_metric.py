"""Metric names of the signal package: re-exports of the one vocabulary, :mod:`rdq.metrics`.

Every column of :meth:`rdq.signal.SignalReport.to_frame`, every key of ``to_dict()["factors"][i]["metrics"]``
and every metric column of the store's ``factor_reports`` table is a member of :data:`SUMMARY_METRICS`
(:class:`rdq.metrics.Metric`, a ``StrEnum``: ``Metric.IC == "ic"``, serialised as the plain string).
Per-horizon decay columns and per-quantile mean-return columns are derived with :func:`decay_column` and
:func:`quantile_column`.  ``rdq.signal.Metric`` is the same class as ``rdq.backtest.Metric``.
"""

from __future__ import annotations

from rdq.metrics import SIGNAL_METRICS, Metric, decay_column, quantile_column

__all__ = ["Metric", "decay_column", "quantile_column", "SUMMARY_METRICS"]

#: the scalar signal metrics in display order (:data:`rdq.metrics.SIGNAL_METRICS`)
SUMMARY_METRICS: tuple[Metric, ...] = SIGNAL_METRICS
