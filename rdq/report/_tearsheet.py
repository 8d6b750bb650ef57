"""Tear sheet of a backtest: a rich metric table, PNG charts and a self-contained HTML page.

::

    sheet = TearSheet(records, metrics, ic=ic, quantiles=q, title="demo")
    console.print(metrics_table(sheet.metrics))
    files = write_tearsheet(sheet, "runs/demo/report")   # report.html + equity.png, excess.png, ...

Inputs
------
``records``: daily backtest records ``date, account, return, cost, turnover, bench`` (see
:mod:`rdq.report._series`); ``metrics``: a flat ``{name: value}`` dict (e.g.
``BacktestMetrics.to_dict()`` plus ``signal.*`` entries) or any object with ``to_dict()``;
``ic``: ``date, ic, rank_ic`` daily IC of the scores; ``quantiles``: ``date, quantile, label`` long
frame of mean label per score quantile (:func:`rdq.signal.quantile_returns`).
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from rich.table import Table

from rdq import _files
from rdq.metrics import RISK_METRICS, Metric, RiskSeries, metric_key
from rdq.report._series import check_records, curves, ic_curves, quantile_curves

__all__ = [
    "TearSheet",
    "TearSheetFiles",
    "CHARTS",
    "RISK_GROUPS",
    "RISK_FIELDS",
    "flat_metrics",
    "format_value",
    "metrics_table",
    "render_charts",
    "render_html",
    "write_tearsheet",
]

#: chart file stem -> title
CHARTS: dict[str, str] = {
    "equity": "Equity (net of cost) vs benchmark",
    "excess": "Cumulative excess return (sum), with and without cost",
    "drawdown": "Drawdown",
    Metric.TURNOVER.value: "Daily turnover",
    Metric.IC.value: "Daily IC / Rank IC of the scores",
    "quantiles": "Cumulative mean label per score quantile",
}

#: the three risk series (:class:`rdq.metrics.RiskSeries`) and the fields of each (:data:`rdq.metrics.RISK_METRICS`)
RISK_GROUPS: tuple[str, ...] = tuple(s.value for s in RiskSeries)
RISK_FIELDS: tuple[str, ...] = tuple(m.value for m in RISK_METRICS)


def flat_metrics(metrics: Mapping[str, Any] | Any) -> dict[str, Any]:
    """``{name: value}`` from a mapping or an object with ``to_dict()`` (e.g. ``BacktestMetrics``)."""
    if isinstance(metrics, Mapping):
        return {str(k): v for k, v in metrics.items()}
    to_dict = getattr(metrics, "to_dict", None)
    if callable(to_dict):
        return {str(k): v for k, v in to_dict().items()}
    raise TypeError(f"metrics must be a mapping or have to_dict(), got {type(metrics).__name__}")


def format_value(value: Any) -> str:
    """Display form of a metric: floats with 6 significant digits, ``nan`` as ``-``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "-"
    return f"{value:.6g}"


@dataclass(frozen=True)
class TearSheet:
    """Everything a tear sheet shows.

    Attributes
    ----------
    records:
        Daily records, shape ``(n_days, >=6)``.
    metrics:
        Flat ``{name: value}``.
    ic:
        ``date, ic[, rank_ic]`` or ``None``.
    quantiles:
        ``date, quantile, label`` or ``None``.
    title:
        Page title.
    """

    records: pl.DataFrame
    metrics: dict[str, Any]
    ic: pl.DataFrame | None = None
    quantiles: pl.DataFrame | None = None
    title: str = "rdq backtest"
    notes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "records", check_records(self.records))
        object.__setattr__(self, "metrics", flat_metrics(self.metrics))


@dataclass(frozen=True)
class TearSheetFiles:
    """Paths written by :func:`write_tearsheet`: the HTML page and one PNG per chart."""

    html: Path
    images: dict[str, Path]


def _key(group: str, field: str) -> str:
    return metric_key(RiskSeries(group), Metric(field))


def _risk_keys(metrics: Mapping[str, Any]) -> set[str]:
    return {_key(g, f) for g in RISK_GROUPS for f in RISK_FIELDS if _key(g, f) in metrics}


#: short column headers of the three risk series in the terminal table
_SERIES_HEADERS: dict[str, str] = {
    RiskSeries.EXCESS_WITHOUT_COST.value: "excess, no cost",
    RiskSeries.EXCESS_WITH_COST.value: "excess, w/ cost",
    RiskSeries.ABSOLUTE_WITH_COST.value: "absolute, w/ cost",
}


def metrics_table(metrics: Mapping[str, Any] | Any, *, title: str = "Backtest metrics") -> Table:
    """A rich table that fits 80 columns: one row per risk field, one column per risk series (qlib's three).

    The remaining metrics (turnover, cost, ``signal.*``, ...) follow, one per row, in the first value column.
    """
    m = flat_metrics(metrics)
    groups = [g for g in RISK_GROUPS if any(_key(g, f) in m for f in RISK_FIELDS)]
    table = Table(title=title)
    table.add_column("metric", style="bold", no_wrap=True)
    for g in groups or RISK_GROUPS[:1]:
        table.add_column(_SERIES_HEADERS[g] if groups else "value", justify="right", no_wrap=True)
    for f in RISK_FIELDS if groups else ():
        table.add_row(f, *(format_value(m.get(_key(g, f), math.nan)) for g in groups))
    if groups:
        table.rows[-1].end_section = True
    pad = [""] * (max(len(groups), 1) - 1)
    for k in (k for k in m if k not in _risk_keys(m)):
        table.add_row(k, format_value(m[k]), *pad)
    return table


# --------------------------------------------------------------------------- charts


def _atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _files.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_charts(sheet: TearSheet, *, window: int = 20, dpi: int = 110) -> dict[str, bytes]:
    """PNG bytes of each chart of :data:`CHARTS` that has data (``ic``/``quantiles`` need those frames)."""
    import io

    import matplotlib
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    def _figure(figsize: tuple[float, float]) -> tuple[Any, Any]:
        # a Figure outside pyplot renders with Agg and leaves the caller's backend alone (a notebook's inline plots)
        fig = Figure(figsize=figsize)
        return fig, fig.subplots()

    c = curves(sheet.records, window=window)
    dates = c["date"].to_list()
    out: dict[str, bytes] = {}

    def save(name: str, fig: Any, ax: Any) -> None:
        ax.set_title(CHARTS[name])
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(mdates.AutoDateLocator()))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        out[name] = buf.getvalue()

    fig, ax = _figure((9, 3.6))
    ax.plot(dates, c["equity"].to_numpy(), label="strategy (net of cost)", color="tab:blue")
    ax.plot(dates, c["bench_equity"].to_numpy(), label="benchmark", color="tab:gray")
    ax.set_ylabel("growth of 1")
    save("equity", fig, ax)

    fig, ax = _figure((9, 3.6))
    ax.plot(dates, c[RiskSeries.EXCESS_WITHOUT_COST].to_numpy(), label="without cost", color="tab:green")
    ax.plot(dates, c[RiskSeries.EXCESS_WITH_COST].to_numpy(), label="with cost", color="tab:red")
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_ylabel("cumulative excess return")
    save("excess", fig, ax)

    fig, ax = _figure((9, 3.0))
    ax.fill_between(
        dates, c["drawdown"].to_numpy(), 0.0, color="tab:red", alpha=0.35, label="excess with cost (sum)"
    )
    ax.plot(dates, c["equity_drawdown"].to_numpy(), color="tab:blue", lw=0.9, label="equity (compounded)")
    ax.set_ylabel("drawdown")
    save("drawdown", fig, ax)

    fig, ax = _figure((9, 3.0))
    ax.plot(dates, c[Metric.TURNOVER].to_numpy(), color="tab:gray", lw=0.6, alpha=0.7, label="daily")
    ax.plot(dates, c["turnover_mean"].to_numpy(), color="tab:orange", label=f"{window}-day mean")
    ax.set_ylabel("traded value / account")
    save(Metric.TURNOVER.value, fig, ax)

    if sheet.ic is not None and sheet.ic.height:
        ic = ic_curves(sheet.ic, window=window)
        fig, ax = _figure((9, 3.6))
        d = ic["date"].to_list()
        if Metric.IC in ic.columns:
            ax.bar(d, ic[Metric.IC].fill_null(0.0).to_numpy(), color="tab:blue", alpha=0.3, width=1.0, label="IC")
            ax.plot(d, ic[f"{Metric.IC}_mean"].to_numpy(), color="tab:blue", label=f"IC {window}-day mean")
        if Metric.RANK_IC in ic.columns:
            ax.plot(
                d, ic[f"{Metric.RANK_IC}_mean"].to_numpy(), color="tab:purple", label=f"Rank IC {window}-day mean"
            )
        ax.axhline(0.0, color="black", lw=0.6)
        ax.set_ylabel("correlation with label")
        save(Metric.IC.value, fig, ax)

    if sheet.quantiles is not None and sheet.quantiles.height:
        q = quantile_curves(sheet.quantiles)
        fig, ax = _figure((9, 3.6))
        cmap = matplotlib.colormaps["viridis"]  # no pale middle: every quantile reads on white
        qcols = [col for col in q.columns if col != "date"]
        for i, col in enumerate(qcols):
            ax.plot(
                q["date"].to_list(),
                q[col].to_numpy(),
                color=cmap(0.9 * i / max(len(qcols) - 1, 1)),
                label=col,
            )
        ax.set_ylabel("cumulative mean label (sum)")
        save("quantiles", fig, ax)
    return out


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:1.5em;margin-bottom:4px} h2{font-size:1.15em;margin-top:28px}
table{border-collapse:collapse;font-size:.9em;margin:8px 0}
th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right} th:first-child,td:first-child{text-align:left}
th{background:#f4f4f4} img{max-width:100%;display:block;margin:6px 0 18px}
.muted{color:#777;font-size:.85em}
"""


def _cell(key: str, value: Any) -> str:
    raw = repr(float(value)) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    return (
        f'<td data-key="{html.escape(key)}" data-value="{html.escape(raw)}">'
        f"{html.escape(format_value(value))}</td>"
    )


def _metrics_html(m: Mapping[str, Any]) -> str:
    rows = [
        "<table class='risk'><tr><th>series</th>" + "".join(f"<th>{f}</th>" for f in RISK_FIELDS) + "</tr>"
    ]
    for g in RISK_GROUPS:
        if any(_key(g, f) in m for f in RISK_FIELDS):
            cells = "".join(
                _cell(_key(g, f), m[_key(g, f)]) if _key(g, f) in m else "<td>-</td>" for f in RISK_FIELDS
            )
            rows.append(f"<tr><td>{g}</td>{cells}</tr>")
    rows.append("</table>")
    rest = [k for k in m if k not in _risk_keys(m)]
    if rest:
        rows.append("<table class='other'><tr><th>metric</th><th>value</th></tr>")
        rows += [f"<tr><td>{html.escape(k)}</td>{_cell(k, m[k])}</tr>" for k in rest]
        rows.append("</table>")
    return "\n".join(rows)


def render_html(sheet: TearSheet, images: Mapping[str, bytes]) -> str:
    """The self-contained page: metric tables (each cell carries ``data-key``/``data-value``) and charts as base64 PNG."""
    r = sheet.records
    span = (
        f"{r['date'].min()!s} .. {r['date'].max()!s}, {r.height} trading days"
        if r.height
        else "no trading days"
    )
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(sheet.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(sheet.title)}</h1><p class='muted'>{html.escape(span)}</p>",
    ]
    if sheet.notes:
        parts.append(
            "<p class='muted'>"
            + "<br>".join(f"{html.escape(k)}: {html.escape(v)}" for k, v in sheet.notes.items())
            + "</p>"
        )
    parts += ["<h2>Metrics</h2>", _metrics_html(sheet.metrics)]
    for name, title in CHARTS.items():
        if name in images:
            b64 = base64.b64encode(images[name]).decode("ascii")
            parts.append(f"<h2>{html.escape(title)}</h2><img alt='{name}' src='data:image/png;base64,{b64}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_tearsheet(sheet: TearSheet, out_dir: str | os.PathLike[str], *, window: int = 20) -> TearSheetFiles:
    """Write ``report.html`` and one ``<chart>.png`` per chart into ``out_dir`` (atomically, file by file)."""
    out = Path(out_dir)
    images = render_charts(sheet, window=window)
    paths: dict[str, Path] = {}
    for name, data in images.items():
        paths[name] = out / f"{name}.png"
        _atomic_bytes(paths[name], data)
    page = out / "report.html"
    _atomic_bytes(page, render_html(sheet, images).encode("utf-8"))
    return TearSheetFiles(html=page, images=paths)
