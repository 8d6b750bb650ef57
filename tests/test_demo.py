"""``rdq demo``: the quick-start main job, end to end on a small synthetic market."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from rdq.cli import app
from rdq.data import synth_market
from rdq.demo import DEMO_SCENARIO, DemoConfig, demo_scenario
from rdq.pipeline import load_scenario
from rdq.store import Store


def test_demo_scenario_is_the_shipped_file_by_default() -> None:
    assert demo_scenario(DemoConfig()) == load_scenario(DEMO_SCENARIO)


def test_demo_scenario_recuts_segments_on_the_synthetic_calendar() -> None:
    scn = demo_scenario(DemoConfig(n_assets=20, n_days=300))
    dates = synth_market(n_assets=2, n_days=300).panel["date"].unique().sort().to_list()
    seg = scn.segments
    assert seg.train[0] == dates[60] and seg.test[1] == dates[-1]
    assert seg.train[1] < seg.valid[0] <= seg.valid[1] < seg.test[0]
    assert scn.data.synthetic.assets == 20


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--workspace", str(tmp_path), "--assets", "60", "--days", "300", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    factors = pl.read_parquet(out["paths"]["factors"])
    assert factors.shape == (60 * 300, 2 + 158)
    assert {"KMID", "ROC5", "VSUMD60"} <= set(factors.columns)
    # the planted alphas are measured with the same IC the simulation recorded in its truth
    truth = synth_market(n_assets=60, n_days=300, seed=0).truth
    measured = {a["name"]: a["measured_ic"] for a in truth["alphas"]}
    assert [p["name"] for p in out["planted"]] == list(measured)
    for p in out["planted"]:
        assert p["ic"] == pytest.approx(measured[p["name"]], abs=1e-9)
    assert len(out["top_factors"]) == 12
    ranks = [abs(r["rank_ic"]) for r in out["top_factors"]]
    assert ranks == sorted(ranks, reverse=True)
    # the backtest ran on the test span and wrote its records and tear sheet
    records = pl.read_parquet(out["paths"]["records"])
    assert {"date", "account", "return", "cost", "turnover", "bench"} <= set(records.columns)
    assert records.height > 30 and Path(out["paths"]["report"]).is_file()
    assert out["backtest"]["excess_with_cost.information_ratio"] is not None
    store = Store(out["paths"]["store"])
    assert store.datasets().height == 1
    assert store.factor_reports().height == 158 + 4
    assert store.runs(kind="backtest").height == 1
