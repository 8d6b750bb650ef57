"""Tear sheets of backtests: a rich metric table, PNG charts and a self-contained HTML page.

::

    from rdq.report import TearSheet, metrics_table, write_tearsheet
    sheet = TearSheet(result.records, result.metrics.to_dict(), ic=ic, quantiles=q, title="demo")
    files = write_tearsheet(sheet, "out/report")     # out/report/report.html, equity.png, excess.png, ...
"""

from __future__ import annotations

from rdq.report._series import REQUIRED_RECORD_COLUMNS, check_records, curves, ic_curves, quantile_curves
from rdq.report._tearsheet import (
    CHARTS,
    RISK_FIELDS,
    RISK_GROUPS,
    TearSheet,
    TearSheetFiles,
    flat_metrics,
    format_value,
    metrics_table,
    render_charts,
    render_html,
    write_tearsheet,
)

__all__ = [
    "CHARTS",
    "REQUIRED_RECORD_COLUMNS",
    "RISK_FIELDS",
    "RISK_GROUPS",
    "TearSheet",
    "TearSheetFiles",
    "check_records",
    "curves",
    "flat_metrics",
    "format_value",
    "ic_curves",
    "metrics_table",
    "quantile_curves",
    "render_charts",
    "render_html",
    "write_tearsheet",
]
