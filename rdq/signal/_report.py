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
from rdq.metrics import SIGNAL_METRICS as SUMMARY_METRICS
from rdq.metrics import Metric, decay_column, quantile_column
from rdq.signal._autocorr import autocorr_frame, turnover_frame
from rdq.signal._frames import LABEL, check_factor_frame, check_label_frame
from rdq.signal._ic import DailySummary, annualized_icir, daily_corr, ic_family, pair_frame, summarize_daily
from rdq.signal._label import default_label, label_expression
from rdq.signal._quantile import _check_quantiles, quantile_frame

__all__ = ["FactorSignal", "SignalReport", "signal_report", "DEFAULT_HORIZONS", "ANNUALIZATION_DAYS"]

log = logging.getLogger(__name__)

#: label horizons (trading days) of the IC decay
DEFAULT_HORIZONS: tuple[int, ...] = (1, 2, 5, 10, 20)
#: trading days per year used to annualise the long-short IR
ANNUALIZATION_DAYS = 252
#: the metrics of :attr:`SignalReport.daily` (one value per date and factor)
DAILY_METRICS: tuple[Metric, ...] = (
    Metric.IC,
    Metric.RANK_IC,
    Metric.LONG_SHORT,
    Metric.AUTOCORR,
    Metric.TOP_TURNOVER,
)


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

    def _repr_html_(self) -> str:
        """Notebook display: one row per metric, then the quantile returns and the decay (exact values in ``data-value``)."""
        from rdq._html import html_table

        rows: list[list[Any]] = [[m.value, v] for m, v in self.metrics.items()]
        rows += [[quantile_column(i + 1), v] for i, v in enumerate(self.quantile_returns)]
        rows += [[decay_column(Metric.IC, h), v] for h, v in self.ic_decay.items()]
        rows += [[decay_column(Metric.RANK_IC, h), v] for h, v in self.rank_ic_decay.items()]
        return html_table(["metric", "value"], rows, caption=f"Signal of {self.name}")


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

    def _repr_html_(self) -> str:
        """Notebook display: the columns of the terminal table, then Rank IC at each decay horizon.

        One row per factor in report order; cells show the terminal table's rounding and keep the exact
        value in ``data-value``.
        """
        from rdq._html import html_table
        from rdq.signal._render import DEFAULT_COLUMNS, _fmt

        columns = ["factor", *(head for _, head in DEFAULT_COLUMNS)]
        columns += [f"RankIC h{h}" for h in self.horizons]
        formats: dict[int, Any] = {
            j + 1: (lambda x, m=m: _fmt(x, m)) for j, (m, _) in enumerate(DEFAULT_COLUMNS)
        }
        first = len(DEFAULT_COLUMNS) + 1
        formats.update({first + j: (lambda x: _fmt(x, Metric.RANK_IC)) for j in range(len(self.horizons))})
        rows = [
            [
                f.name,
                *(f.metrics.get(m, math.nan) for m, _ in DEFAULT_COLUMNS),
                *(f.rank_ic_decay.get(h, math.nan) for h in self.horizons),
            ]
            for f in self.factors
        ]
        caption = f"Signal report vs {self.label}: {len(self)} factors, {self.quantiles} quantiles"
        note = "L-S bp: mean daily top-minus-bottom quantile label, basis points; to_frame() has every metric"
        return html_table(columns, rows, caption=caption, formats=formats, note=note)


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

    spread = qf.select("date", *[(pl.col(f"{c}__q{quantiles}") - pl.col(f"{c}__q1")).alias(c) for c in cols])
    s_ic, s_ric, s_ls = _stats(ic, cols), _stats(ric, cols), _stats(spread, cols)
    s_ac, s_to = _stats(ac, cols), _stats(to, cols)
    s_q = _stats(qf, [f"{c}__q{k}" for c in cols for k in range(1, quantiles + 1)])
    decay_names = [f"{c}__h{h}" for c in cols for h in hs]
    s_dp, s_ds = _stats(pearson, decay_names), _stats(spearman, decay_names)

    out: list[FactorSignal] = []
    for c in cols:
        a, b, ls = _summary(s_ic[c]), _summary(s_ric[c]), _summary(s_ls[c])
        metrics: dict[Metric, float] = {
            **ic_family(a, b),
            Metric.TOP_RETURN: _summary(s_q[f"{c}__q{quantiles}"]).mean,
            Metric.BOTTOM_RETURN: _summary(s_q[f"{c}__q1"]).mean,
            Metric.LONG_SHORT: ls.mean,
            Metric.LONG_SHORT_IR: annualized_icir(ls.mean, ls.std, int(ls.n), days=ANNUALIZATION_DAYS),
            Metric.AUTOCORR: _summary(s_ac[c]).mean,
            Metric.TOP_TURNOVER: _summary(s_to[c]).mean,
        }
        out.append(
            FactorSignal(
                name=c,
                metrics={m: metrics[m] for m in SUMMARY_METRICS},
                quantile_returns=tuple(_summary(s_q[f"{c}__q{k}"]).mean for k in range(1, quantiles + 1)),
                ic_decay={h: _summary(s_dp[f"{c}__h{h}"]).mean for h in hs},
                rank_ic_decay={h: _summary(s_ds[f"{c}__h{h}"]).mean for h in hs},
            )
        )

    def _long(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.unpivot(index="date", on=cols, variable_name="factor", value_name=name)

    day_keys = ["date", "factor"]
    daily = (
        _long(ic, Metric.IC)
        .join(_long(ric, Metric.RANK_IC), on=day_keys, how="left", maintain_order="left")
        .join(_long(spread, Metric.LONG_SHORT), on=day_keys, how="left", maintain_order="left")
        .join(_long(ac, Metric.AUTOCORR), on=day_keys, how="left", maintain_order="left")
        .join(_long(to, Metric.TOP_TURNOVER), on=day_keys, how="left", maintain_order="left")
        .select("date", "factor", *DAILY_METRICS)
    )
    return SignalReport(factors=tuple(out), label=label_name, quantiles=quantiles, horizons=hs, daily=daily)


def _stats(frame: pl.DataFrame, names: list[str]) -> dict[str, tuple[float, float, int, int]]:
    """``(mean, std, n, n_positive)`` of each column over its non-missing values, in one pass."""
    if not names:
        return {}
    exprs = []
    for i, n in enumerate(names):
        v = pl.col(n).cast(pl.Float64).fill_nan(None)
        exprs += [
            v.mean().alias(f"m{i}"),
            v.std(ddof=1).alias(f"s{i}"),
            v.count().alias(f"n{i}"),
            (v > 0).sum().alias(f"h{i}"),
        ]
    row = frame.select(exprs).row(0)
    return {n: (row[4 * i], row[4 * i + 1], row[4 * i + 2], row[4 * i + 3]) for i, n in enumerate(names)}


def _summary(stats: tuple[float | None, float | None, int, int]) -> DailySummary:
    """:func:`rdq.signal._ic.summarize_daily` of :func:`_stats`' ``(mean, std, n, n_positive)``."""
    return summarize_daily(*stats)
