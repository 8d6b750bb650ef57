"""ScenarioResult ``_repr_html_``: the run's identity and its flat metrics, pivoted as the tear sheet does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from html_tables import parse_tables
from shared_data import ROOT

from rdq.pipeline import ScenarioResult, load_scenario
from rdq.report import TearSheetFiles


def test_scenario_html_shows_the_run_and_its_metrics(tmp_path: Path) -> None:
    cfg = load_scenario(ROOT / "backtests" / "smoke.yaml")
    records = pl.DataFrame(
        {
            "date": [dt.date(2016, 3, 28), dt.date(2016, 3, 29)],
            "account": [1.0e8, 1.01e8],
            "return": [0.0, 0.01],
            "cost": [0.0, 0.0],
            "turnover": [1.0, 0.1],
            "bench": [0.0, 0.002],
        }
    )
    metrics = {
        "excess_with_cost.information_ratio": 2.5134856379240698,
        "excess_with_cost.max_drawdown": -0.0350970195481282,
        "absolute_with_cost.information_ratio": 1.5763293561694747,
        "absolute_with_cost.max_drawdown": None,
        "turnover": 0.40401331508583754,
        "signal.ic": 0.058234528023726397,
        "signal.rank_ic": 0.0569012906407516,
    }
    res = ScenarioResult(
        config=cfg, run_dir=tmp_path / "run", run_id="r-1", records=records, scores=records.head(0),
        metrics=metrics, ic=records.head(0), quantiles=records.head(0),
        report=TearSheetFiles(html=tmp_path / "run" / "report" / "report.html", images={}),
        data_fingerprint="abc", stages={"data": "computed", "model": "cached"},
    )
    head, risk, signal, rest = parse_tables(res._repr_html_())
    assert head.caption == "Scenario smoke" and head.header == ["scenario", "smoke"]
    assert head.row("run id")["smoke"].text == "r-1"
    assert head.row("backtest span")["smoke"].text == "2016-03-28 .. 2016-03-29 (2 days)"
    assert head.row("stages")["smoke"].text == "data: computed, model: cached"
    assert head.row("tear sheet")["smoke"].text == str(tmp_path / "run" / "report" / "report.html")
    assert risk.header == ["series", "information_ratio", "max_drawdown"]
    assert risk.row("excess_with_cost")["information_ratio"].value == 2.5134856379240698
    assert risk.row("excess_with_cost")["information_ratio"].text == "2.51349"
    assert risk.row("absolute_with_cost")["max_drawdown"].text == "-"
    assert signal.row("signal")["rank_ic"].value == 0.0569012906407516
    assert rest.row("turnover")["value"].value == 0.40401331508583754
