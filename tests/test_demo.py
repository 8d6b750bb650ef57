"""``rdq demo``: the quick-start main job, end to end on a small synthetic market."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from rdq.cli import app
from rdq.store import Store


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = CliRunner().invoke(app, ["demo", "--workspace", str(ws), "--assets", "60", "--days", "300", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    factors = pl.read_parquet(out["paths"]["factors"])
    assert factors.shape == (60 * 300, 2 + 158)
    assert {"KMID", "ROC5", "VSUMD60"} <= set(factors.columns)
    # the planted alphas are measured with the same IC the simulation recorded in its truth file
    truth = json.loads(Path(out["paths"]["panel"] + ".truth.json").read_text())
    measured = {a["name"]: a["measured_ic"] for a in truth["alphas"]}
    assert [p["name"] for p in out["planted"]] == list(measured)
    for p in out["planted"]:
        assert p["ic"] == pytest.approx(measured[p["name"]], abs=1e-9)
    assert len(out["top_factors"]) == 12
    ranks = [abs(r["rank_ic"]) for r in out["top_factors"]]
    assert ranks == sorted(ranks, reverse=True)
    store = Store(out["paths"]["store"])
    assert store.datasets().height == 1
    assert store.factor_reports().height == 158 + 4
