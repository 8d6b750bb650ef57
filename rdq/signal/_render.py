"""Rich table of a :class:`rdq.signal.SignalReport` (one row per factor)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table

from rdq.signal._metric import Metric

if TYPE_CHECKING:
    from rdq.signal._report import SignalReport

__all__ = ["report_table", "DEFAULT_COLUMNS"]

#: metrics shown by default, with their headers
DEFAULT_COLUMNS: tuple[tuple[Metric, str], ...] = (
    (Metric.IC, "IC"),
    (Metric.RANK_IC, "RankIC"),
    (Metric.ICIR, "ICIR"),
    (Metric.RANK_ICIR, "RkICIR"),
    (Metric.IC_TSTAT, "t(IC)"),
    (Metric.IC_HIT_RATE, "IC>0"),
    (Metric.LONG_SHORT, "L-S bp"),
    (Metric.TOP_TURNOVER, "Turn"),
)


def _fmt(x: float | None, metric: Metric) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    if metric in (Metric.IC_HIT_RATE, Metric.RANK_IC_HIT_RATE, Metric.TOP_TURNOVER):
        return f"{x:.1%}"
    if metric in (Metric.LONG_SHORT, Metric.TOP_RETURN, Metric.BOTTOM_RETURN):
        return f"{x * 1e4:.2f}"  # basis points per day
    if metric in (Metric.N_DAYS,):
        return f"{x:.0f}"
    if metric in (Metric.IC_TSTAT, Metric.RANK_IC_TSTAT, Metric.LONG_SHORT_IR):
        return f"{x:.2f}"
    if metric == Metric.AUTOCORR:
        return f"{x:.3f}"
    return f"{x:.4f}"


def report_table(
    report: SignalReport,
    *,
    columns: Sequence[tuple[Metric, str]] = DEFAULT_COLUMNS,
    sort_by: Metric | None = None,
    limit: int | None = None,
) -> Table:
    """A rich :class:`~rich.table.Table`: one row per factor, one column per metric.

    Parameters
    ----------
    report:
        The report to show.
    columns:
        ``(metric, header)`` pairs.
    sort_by:
        Sort rows by the absolute value of this metric, largest first (default: report order).
    limit:
        Show at most this many rows.
    """
    table = Table(
        title=f"Signal report vs {report.label}",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        padding=(0, 0, 0, 2),
        pad_edge=False,
        caption="L-S bp: mean daily top-minus-bottom quantile label, basis points",
    )
    rows = list(report.factors)
    cells = [[_fmt(f.metrics.get(m), m) for m, _ in columns] for f in rows]
    name_width = min(24, max([len("factor"), *[len(f.name) for f in rows]]))
    table.add_column(
        "factor", style="cyan", no_wrap=True, overflow="ellipsis", min_width=name_width, max_width=24
    )
    for j, (_, header) in enumerate(columns):
        widest = max([len(header), *[len(r[j]) for r in cells]])
        table.add_column(header, justify="right", no_wrap=True, min_width=widest)
    if sort_by is not None:
        key = Metric(sort_by)

        def _abs(f: object) -> float:
            v = f.metrics.get(key, math.nan)  # type: ignore[attr-defined]
            return -abs(v) if math.isfinite(v) else math.inf

        rows.sort(key=_abs)
    for f in rows[:limit]:
        table.add_row(f.name, *[_fmt(f.metrics.get(m), m) for m, _ in columns])
    return table
