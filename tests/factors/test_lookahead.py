"""Look-ahead: removing future rows must not change past factor values."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from rdq.cli import app
from rdq.errors import ConfigError
from rdq.factors import LookaheadReports, check_library_lookahead, check_lookahead, load_labels, load_library

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


# --------------------------------------------------------------------------- several factors, a library, the CLI


def test_several_expressions_get_one_verdict_each_in_order() -> None:
    p = random_walk_panel(3, 60, seed=3)
    exprs = {"MA5": "Mean($close, 5)", "peek": "$close - Ref($close, -2)", "LABEL0": "Ref($close, -1)/$close"}
    reports = check_lookahead(p, exprs, n_cuts=3)
    assert isinstance(reports, LookaheadReports)
    assert reports.names == ["MA5", "peek", "LABEL0"]
    assert reports.ahead == ["peek"] and reports.looks_ahead and not reports.ok
    assert [r.verdict for r in reports] == ["ok", "looks ahead", "exempt"]
    # each verdict equals the single-expression check
    assert reports["peek"] == check_lookahead(p, exprs["peek"], name="peek", n_cuts=3)
    frame = reports.to_frame()
    assert frame["verdict"].to_list() == ["ok", "looks ahead", "exempt"]
    assert frame["n_static"].to_list() == [0, 1, 1]
    assert frame["n_changed"][0] == 0 and frame["n_changed"][1] == reports["peek"].n_changed > 0
    assert "2 day(s) ahead" in frame["detail"][1] and "changed" in frame["detail"][1]


def test_a_list_of_expressions_is_named_by_its_text() -> None:
    p = random_walk_panel(2, 40)
    reports = check_lookahead(p, ["Mean($close, 3)", "Ref($close, -1)"], n_cuts=2)
    assert reports.names == ["Mean($close, 3)", "Ref($close, -1)"]
    assert reports.ahead == ["Ref($close, -1)"]


def test_a_whole_library_on_ohlcv_data_skips_the_vwap_factor() -> None:
    p = random_walk_panel(3, 80, seed=4).drop("vwap")
    reports = check_lookahead(p, library="alpha158", n_cuts=2)
    assert reports.names == list(load_library("alpha158"))
    assert reports.ok and reports.ahead == []
    skipped = [r.name for r in reports if r.verdict == "skipped"]
    assert skipped == ["VWAP0"] and reports["VWAP0"].missing_fields == ("vwap",)
    assert "$vwap" in reports["VWAP0"].detail
    # a skipped factor that reads the future statically is still flagged
    peek = check_lookahead(p, {"x": "Ref($vwap, -1)"}, n_cuts=2)
    assert peek["x"].verdict == "looks ahead" and peek["x"].missing_fields == ("vwap",)


def test_expr_or_library_not_both() -> None:
    p = random_walk_panel(2, 20)
    with pytest.raises(ConfigError, match="one of expr"):
        check_lookahead(p)
    with pytest.raises(ConfigError, match="one of expr"):
        check_lookahead(p, "Mean($close, 2)", library="alpha158")  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def panel_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lookahead") / "panel.parquet"
    random_walk_panel(4, 70, seed=6).write_parquet(path)
    return path


def test_cli_check_several_exprs_prints_each_verdict_and_exits_1(panel_file: Path) -> None:
    r = CliRunner().invoke(
        app,
        ["factors", "check", "--data", str(panel_file), "--expr", "MA5=Mean($close, 5)", "--expr",
         "peek=Ref($close, -1)", "--n-cuts", "2"],
        env={"COLUMNS": "200"},
    )
    assert r.exit_code == 1, r.output
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in r.output.splitlines() if line.count("│") >= 4}
    assert rows["MA5"] == "ok" and rows["peek"] == "looks ahead"
    assert "1 ok, 1 looks ahead" in r.output


def test_cli_check_library_json(panel_file: Path) -> None:
    r = CliRunner().invoke(
        app, ["factors", "check", "--data", str(panel_file), "--library", "alpha158", "--n-cuts", "2", "--json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [o["name"] for o in out] == list(load_library("alpha158"))
    assert {o["verdict"] for o in out} == {"ok"}
