"""rdq._html: the tables behind every ``_repr_html_`` (escaping, exact values, the metrics pivot)."""

from __future__ import annotations

import math

from html_tables import parse_tables

from rdq._html import format_number, html_table, metrics_html


def test_format_number() -> None:
    assert format_number(0.0311742059812) == "0.0311742"
    assert format_number(-1234567.891) == "-1.23457e+06"
    assert format_number(math.nan) == "-" and format_number(None) == "-"
    assert format_number(math.inf) == "inf"
    assert format_number(7) == "7" and format_number(True) == "True" and format_number("a<b") == "a<b"


def test_table_keeps_exact_values_and_escapes_text() -> None:
    x = 0.1 + 0.2  # 0.30000000000000004: the display rounds, data-value does not
    html = html_table(["name", "value"], [["<b>&", x], ["n", 3]], caption="A & B", note="<i>")
    assert "<b>&" not in html and "&lt;b&gt;&amp;" in html and "&lt;i&gt;" in html
    (t,) = parse_tables(html)
    assert t.caption == "A & B" and t.header == ["name", "value"]
    assert t.row("<b>&")["value"].text == "0.3" and t.row("<b>&")["value"].value == x
    assert t.row("n")["value"].value == 3.0 and t.row("n")["name"].value is None


def test_table_formats_per_column() -> None:
    (t,) = parse_tables(html_table(["a", "pct"], [["r", 0.125]], formats={1: lambda v: f"{v:.1%}"}))
    cell = t.row("r")["pct"]
    assert (cell.text, cell.value) == ("12.5%", 0.125)


def test_metrics_pivot_groups_by_field_set() -> None:
    flat = {
        "excess_with_cost.mean": 0.001,
        "excess_with_cost.std": 0.01,
        "absolute_with_cost.mean": 0.002,
        "absolute_with_cost.std": None,
        "signal.ic": 0.05,
        "turnover": 0.4,
        "mode": "sum",
    }
    risk, signal, rest = parse_tables(metrics_html(flat, caption="M"))
    assert risk.caption == "M" and risk.header == ["series", "mean", "std"]
    assert [r[0].text for r in risk.rows] == ["excess_with_cost", "absolute_with_cost"]
    assert risk.row("absolute_with_cost")["mean"].value == 0.002
    assert risk.row("absolute_with_cost")["std"].text == "-"
    assert signal.header == ["series", "ic"] and signal.row("signal")["ic"].value == 0.05
    assert rest.header == ["metric", "value"]
    assert rest.row("turnover")["value"].value == 0.4 and rest.row("mode")["value"].text == "sum"
