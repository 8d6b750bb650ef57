"""HTML tables for notebooks: the ``_repr_html_`` of rdq's result objects.

Jupyter shows an object through its ``_repr_html_``; :class:`rdq.signal.SignalReport`,
:class:`rdq.backtest.BacktestResult`, :class:`rdq.pipeline.ScenarioResult` and
:class:`rdq.qlang.bench.BenchResult` build theirs from these helpers.  Every numeric cell carries the
exact value in ``data-value`` (``repr`` of the float) beside its display text, as the tear sheet's
HTML page does, so a reader (or a test) can recover the number behind a rounded cell::

    <td data-value="0.03117420598">0.0311742</td>

This module imports nothing from rdq, so every package may use it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["format_number", "html_table", "metrics_html", "HTML_STYLE"]

#: the style of every table (scoped by the ``rdq-table`` class; notebooks keep their own theme otherwise)
HTML_STYLE = (
    "<style>table.rdq-table{border-collapse:collapse;margin:4px 0 10px}"
    "table.rdq-table th,table.rdq-table td{padding:2px 10px;text-align:right;border-bottom:1px solid #ddd}"
    "table.rdq-table th:first-child,table.rdq-table td:first-child{text-align:left}"
    "table.rdq-table caption{caption-side:top;text-align:left;font-weight:bold;padding-bottom:4px}</style>"
)

Formatter = Callable[[Any], str]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_number(value: Any, *, digits: int = 6) -> str:
    """Display form of a cell: floats with ``digits`` significant digits, NaN/None as ``-``, the rest as str.

    Examples
    --------
    >>> format_number(0.0311742059812), format_number(float("nan")), format_number(12), format_number("x")
    ('0.0311742', '-', '12', 'x')
    """
    if value is None:
        return "-"
    if not _is_number(value):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "-"
    return f"{value:.{digits}g}"


def _cell(value: Any, fmt: Formatter | None, tag: str = "td") -> str:
    text = html.escape(fmt(value) if fmt is not None else format_number(value))
    if _is_number(value):
        return f'<{tag} data-value="{html.escape(repr(float(value)))}">{text}</{tag}>'
    return f"<{tag}>{text}</{tag}>"


def html_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    caption: str | None = None,
    formats: Mapping[int, Formatter] | None = None,
    note: str | None = None,
) -> str:
    """An HTML ``<table>``: one header row, then ``rows`` (the first cell of each row is its name).

    Parameters
    ----------
    columns:
        Header texts, ``len(columns)`` cells per row.
    rows:
        The cells; numbers are shown with :func:`format_number` (or ``formats[j]`` for column ``j``) and
        keep their exact value in ``data-value``; other values are shown as text (escaped).
    caption:
        Title above the table.
    formats:
        Display formatter per column index.
    note:
        A line of small text below the table.
    """
    fmts = dict(formats or {})
    parts = [HTML_STYLE, "<table class='rdq-table'>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr></thead><tbody>")
    for row in rows:
        parts.append("<tr>" + "".join(_cell(v, fmts.get(j)) for j, v in enumerate(row)) + "</tr>")
    parts.append("</tbody></table>")
    if note:
        parts.append(f"<div style='font-size:85%;color:#666'>{html.escape(note)}</div>")
    return "".join(parts)


def metrics_html(metrics: Mapping[str, Any], *, caption: str | None = None) -> str:
    """Flat metrics as tables: ``group.field`` keys pivoted (one row per group), the rest as name/value rows.

    ``{"excess_with_cost.mean": m, "excess_with_cost.std": s, "turnover": t}`` becomes a table with
    columns ``series, mean, std`` and the row ``excess_with_cost``, then a ``metric, value`` table with
    ``turnover``.  Groups with the same fields share one table (qlib's three risk series), a group with
    other fields (``signal.ic``, ``signal.icir``) gets its own.
    """
    groups: dict[str, dict[str, Any]] = {}
    rest: list[tuple[str, Any]] = []
    for key, value in metrics.items():
        group, dot, name = str(key).partition(".")
        if dot and "." not in name and (value is None or _is_number(value)):
            groups.setdefault(group, {})[name] = value
        else:
            rest.append((str(key), value))
    tables: dict[tuple[str, ...], list[list[Any]]] = {}
    for group, values in groups.items():
        tables.setdefault(tuple(values), []).append([group, *values.values()])
    out: list[str] = []
    for fields, rows in tables.items():
        out.append(html_table(["series", *fields], rows, caption=caption if not out else None))
    if rest:
        out.append(html_table(["metric", "value"], rest, caption=caption if not out else None))
    return "".join(out)
