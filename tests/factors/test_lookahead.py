"""Look-ahead: removing future rows must not change past factor values."""

from __future__ import annotations

import polars as pl

from rdq.factors import check_library_lookahead, check_lookahead, load_labels, load_library

from .conftest import random_walk_panel


def test_negative_ref_is_flagged_statically_and_by_values() -> None:
    p = random_walk_panel(3, 60)
    report = check_lookahead(p, "Mean(Ref($close, -1), 3)", n_cuts=3)
    assert report.looks_ahead and not report.ok
    assert report.static_issues and "reads 1 day(s) ahead" in report.static_issues[0]
    assert sum(report.changed.values()) > 0
    assert report.examples


def test_future_peek_without_ref_is_caught_by_values() -> None:
    # Ref($close, -N) hidden behind Delta: Delta(x, -2) = x - x[t+2]
    p = random_walk_panel(2, 40)
    report = check_lookahead(p, "Delta($close, 0) * 0 + Mean($close, 3)", n_cuts=2)
    assert report.ok
    peek = check_lookahead(p, "$close - Ref($close, -2)", n_cuts=2)
    assert peek.looks_ahead


def test_labels_are_exempt_by_name() -> None:
    p = random_walk_panel(2, 40)
    labels = load_labels("alpha158")
    report = check_lookahead(p, labels["LABEL0"], name="LABEL0", n_cuts=2)
    assert report.exempt and report.ok
    assert check_lookahead(p, labels["LABEL0"], name="alpha", n_cuts=2).looks_ahead


def test_whole_alpha158_has_no_lookahead() -> None:
    p = random_walk_panel(4, 90, seed=5)
    p = p.filter(~((pl.col("asset") == "SYN001") & pl.col("date").is_in(p["date"].unique().sort()[40:45].implode())))
    reports = check_library_lookahead(p, load_library("alpha158"), n_cuts=4)
    bad = {n: r.to_dict() for n, r in reports.items() if r.looks_ahead}
    assert bad == {}
    assert len(reports) == 158


def test_empty_panel_report() -> None:
    p = random_walk_panel(1, 5).head(0)
    assert check_lookahead(p, "Ref($close, -1)").looks_ahead  # static check still applies
    assert check_lookahead(p, "Ref($close, 1)").ok
