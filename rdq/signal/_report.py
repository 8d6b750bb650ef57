"""``signal_report``: every signal metric of one or more factors, as a frozen :class:`SignalReport`.

::

    factors (FactorFrame)          label                         report.to_frame()
    date  asset  f1   f2    +     date  asset  label    ->     factor  ic     rank_ic  icir ... q1 .. q5  ic_h1 ..
    ...                            ...                          f1      0.031  0.042    0.21
                                                                f2      ...
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from rdq.errors import ConfigError
from rdq.signal._autocorr import autocorr_frame, turnover_frame
from rdq.signal._frames import LABEL, check_factor_frame, check_label_frame
from rdq.signal._ic import daily_corr, ic_metrics, ic_summary, pair_frame
from rdq.signal._label import default_label, label_expression
from rdq.signal._metric import SUMMARY_METRICS, Metric, decay_column, quantile_column
from rdq.signal._quantile import _check_quantiles, quantile_frame

__all__ = ["FactorSignal", "SignalReport", "signal_report", "DEFAULT_HORIZONS", "ANNUALIZATION_DAYS"]

log = logging.getLogger(__name__)

#: label horizons (trading days) of the IC decay
DEFAULT_HORIZONS: tuple[int, ...] = (1, 2, 5, 10, 20)
#: trading days per year used to annualise the long-short IR
ANNUALIZATION_DAYS = 252


def _clean(x: float | None) -> float | None:
    """``None`` for NaN/inf/None (JSON has no NaN), else a plain float."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class FactorSignal:
    """Signal metrics of one factor.

    Attributes
    ----------
    name:
        Factor column name.
    metrics:
        Scalar metrics keyed by :class:`Metric` (NaN where undefined).
    quantile_returns:
        Mean daily label of quantiles 1 (lowest factor) .. q, length ``quantiles``.
    ic_decay, rank_ic_decay:
        Mean daily IC / Rank IC against the label at each horizon (empty when no panel was given).
    """

    name: str
    metrics: Mapping[Metric, float]
    quantile_returns: tuple[float, ...] = ()
    ic_decay: Mapping[int, float] = field(default_factory=dict)
    rank_ic_decay: Mapping[int, float] = field(default_factory=dict)

    def __getitem__(self, metric: Metric) -> float:
        return self.metrics[Metric(metric)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (NaN becomes ``None``; horizons become string keys)."""
        return {
            "name": self.name,
            "metrics": {m.value: _clean(v) for m, v in self.metrics.items()},
            "quantile_returns": [_clean(v) for v in self.quantile_returns],
            "ic_decay": {str(h): _clean(v) for h, v in self.ic_decay.items()},
            "rank_ic_decay": {str(h): _clean(v) for h, v in self.rank_ic_decay.items()},
        }

    def row(self) -> dict[str, Any]:
        """Flat row of :meth:`SignalReport.to_frame` (NaN becomes null)."""
        out: dict[str, Any] = {"factor": self.name}
        out.update({m.value: _clean(self.metrics.get(m)) for m in SUMMARY_METRICS})
        out.update({quantile_column(i + 1): _clean(v) for i, v in enumerate(self.quantile_returns)})
        out.update({decay_column(Metric.IC, h): _clean(v) for h, v in self.ic_decay.items()})
        out.update({decay_column(Metric.RANK_IC, h): _clean(v) for h, v in self.rank_ic_decay.items()})
        return out


@dataclass(frozen=True)
class SignalReport:
    """Signal metrics of every factor of a FactorFrame against one label.

    Attributes
    ----------
    factors:
        One :class:`FactorSignal` per factor column, in column order.
    label:
        Description of the label (the qlib expression of the default label).
    quantiles:
        Number of quantile buckets.
    horizons:
        Horizons of the IC decay (empty when no panel was given).
    daily:
        Long frame ``date, factor, ic, rank_ic, long_short, autocorr, top_turnover`` of the daily
        series behind the summary (null where undefined).
    """

    factors: tuple[FactorSignal, ...]
    label: str
    quantiles: int
    horizons: tuple[int, ...] = ()
    daily: pl.DataFrame = field(default_factory=pl.DataFrame, compare=False, repr=False)

    @property
    def names(self) -> list[str]:
        """Factor names in order."""
        return [f.name for f in self.factors]

    def __getitem__(self, name: str) -> FactorSignal:
        for f in self.factors:
            if f.name == name:
                return f
        from rdq.errors import did_you_mean

        raise KeyError(f"no factor {name!r} in this report{did_you_mean(name, self.names)}")

    def __len__(self) -> int:
        return len(self.factors)

    def to_frame(self) -> pl.DataFrame:
        """One row per factor: ``factor``, every :class:`Metric`, ``q1..qK``, ``ic_h*``, ``rank_ic_h*``."""
        schema: dict[str, pl.DataType | type[pl.DataType]] = {"factor": pl.Utf8}
        schema.update({m.value: pl.Float64 for m in SUMMARY_METRICS})
        schema.update({quantile_column(k): pl.Float64 for k in range(1, self.quantiles + 1)})
        schema.update({decay_column(Metric.IC, h): pl.Float64 for h in self.horizons})
        schema.update({decay_column(Metric.RANK_IC, h): pl.Float64 for h in self.horizons})
        return pl.DataFrame([f.row() for f in self.factors], schema=schema, orient="row")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (no daily series); NaN becomes ``None``."""
        return {
            "label": self.label,
            "quantiles": self.quantiles,
            "horizons": list(self.horizons),
            "factors": [f.to_dict() for f in self.factors],
        }

    def __rich__(self) -> Any:
        from rdq.signal._render import report_table

        return report_table(self)


def _col(frame: pl.DataFrame, name: str) -> pl.Series:
    return frame.get_column(name) if name in frame.columns else pl.Series(name, [], dtype=pl.Float64)


def signal_report(
    factors: pl.DataFrame,
    label: pl.DataFrame | None = None,
    *,
    panel: pl.DataFrame | None = None,
    columns: Sequence[str] | None = None,
    quantiles: int = 5,
    horizons: Sequence[int] | None = DEFAULT_HORIZONS,
    label_name: str | None = None,
) -> SignalReport:
    """Compute every signal metric of the factor columns of ``factors``.

    Parameters
    ----------
    factors:
        FactorFrame ``date, asset, <factor columns>``, shape ``(n_rows, 2 + k)``.
    label:
        ``date, asset, label``; default: :func:`default_label` of ``panel``.
    panel:
        Canonical panel; needed for the IC decay (labels at each of ``horizons``) and when ``label``
        is omitted.  Without it the decay is left empty.
    columns:
        Factor columns to report (default: all).
    quantiles:
        Number of quantile buckets for quantile returns, long-short and turnover.
    horizons:
        Label horizons of the IC decay; ``None`` or ``()`` skips it.
    label_name:
        Description stored in the report (default: the qlib expression of the label).

    Returns
    -------
    SignalReport
    """
    cols = check_factor_frame(factors, columns=columns)
    _check_quantiles(quantiles)
    if label is None:
        if panel is None:
            raise ConfigError(
                "signal_report needs a label frame or a panel to build the default label from",
            )
        label = default_label(panel)
        label_name = label_name or label_expression(1)
    check_label_frame(label)
    label_name = label_name or "label"
    hs = tuple(int(h) for h in (horizons or ()))
    if hs and panel is None:
        log.debug("no panel given: IC decay skipped")
        hs = ()

    # one frame with the label and every decay label, so each factor is ranked once per day
    frame = pair_frame(factors, label, cols)
    pairs = [(c, c, LABEL) for c in cols]
    for h in hs:
        assert panel is not None
        lab_h = default_label(panel, horizon=h)
        keys = frame.select("date", "asset")
        if lab_h.height != keys.height or not lab_h.select("date", "asset").equals(keys):
            lab_h = keys.join(lab_h, on=["date", "asset"], how="left", maintain_order="left")
        frame = frame.with_columns(lab_h.get_column(LABEL).alias(f"{LABEL}__h{h}"))
        pairs += [(f"{c}__h{h}", c, f"{LABEL}__h{h}") for c in cols]
    pearson = daily_corr(frame, pairs, method="pearson")
    spearman = daily_corr(frame, pairs, method="spearman")
    ic = pearson.select("date", *cols)
    ric = spearman.select("date", *cols)
    qf = quantile_frame(factors, label, columns=cols, quantiles=quantiles)
    ac = autocorr_frame(factors, columns=cols)
    to = turnover_frame(factors, columns=cols, quantiles=quantiles)

    out: list[FactorSignal] = []
    daily_parts: list[pl.DataFrame] = []
    for c in cols:
        metrics = ic_metrics(ic.get_column(c), ric.get_column(c))
        top = qf.get_column(f"{c}__q{quantiles}")
        bottom = qf.get_column(f"{c}__q1")
        spread = (top - bottom).alias("long_short")
        ls = ic_summary(spread)
        metrics[Metric.TOP_RETURN] = _mean(top)
        metrics[Metric.BOTTOM_RETURN] = _mean(bottom)
        metrics[Metric.LONG_SHORT] = ls["mean"]
        metrics[Metric.LONG_SHORT_IR] = ls["ir"] * math.sqrt(ANNUALIZATION_DAYS)
        metrics[Metric.AUTOCORR] = _mean(_col(ac, c))
        metrics[Metric.TOP_TURNOVER] = _mean(_col(to, c))
        out.append(
            FactorSignal(
                name=c,
                metrics={m: metrics[m] for m in SUMMARY_METRICS},
                quantile_returns=tuple(_mean(qf.get_column(f"{c}__q{k}")) for k in range(1, quantiles + 1)),
                ic_decay={h: _mean(pearson.get_column(f"{c}__h{h}")) for h in hs},
                rank_ic_decay={h: _mean(spearman.get_column(f"{c}__h{h}")) for h in hs},
            )
        )
        day = (
            ic.select("date", pl.col(c).alias("ic"))
            .join(ric.select("date", pl.col(c).alias("rank_ic")), on="date", how="full", coalesce=True)
            .join(qf.select("date", spread), on="date", how="full", coalesce=True)
            .join(ac.select("date", pl.col(c).alias("autocorr")), on="date", how="left")
            .join(to.select("date", pl.col(c).alias("top_turnover")), on="date", how="left")
            .select(
                "date", pl.lit(c).alias("factor"), "ic", "rank_ic", "long_short", "autocorr", "top_turnover"
            )
        )
        daily_parts.append(day.sort("date"))
    daily = pl.concat(daily_parts) if daily_parts else pl.DataFrame()
    return SignalReport(factors=tuple(out), label=label_name, quantiles=quantiles, horizons=hs, daily=daily)


def _mean(s: pl.Series) -> float:
    v = s.cast(pl.Float64).fill_nan(None).drop_nulls()
    return float(v.mean()) if v.len() else math.nan  # type: ignore[arg-type]
