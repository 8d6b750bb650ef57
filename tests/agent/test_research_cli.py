"""``rdq research run|list|show|report`` and ``rdq factors export``: the public JSON contracts (issue 10)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from agent._cli import rdq
from rdq.agent._config import load_research_config
from rdq.agent._evaluate import ResearchData
from rdq.agent._loop import load_panel_for
from rdq.cli import app
from rdq.factors import compute, load_library

RUN_KEYS = {"run_id", "rounds", "sota", "accepted_factors"}
FACTOR_KEYS = {"name", "expression", "round", "valid_metrics"}
METRIC_KEYS = {"ic", "rank_ic", "icir", "arr", "ir", "mdd", "ir_ci", "rank_ic_ci"}
REPORT_KEYS = {"run_id", "n_trials", "test", "base_test", "deflated_sharpe", "significant", "evaluated_at"}
runner = CliRunner()


@pytest.fixture(scope="module")
def run(reference_run: tuple[Path, dict[str, Any]]) -> tuple[Path, dict[str, Any]]:
    return reference_run


def test_run_prints_the_contract(run: tuple[Path, dict[str, Any]]) -> None:
    _, out = run
    assert set(out) == RUN_KEYS
    assert out["rounds"] == 4 and out["run_id"].startswith("small-")
    assert "excess_with_cost.information_ratio" in out["sota"] and "signal.rank_ic" in out["sota"]
    assert all(isinstance(v, float) for v in out["sota"].values())
    for f in out["accepted_factors"]:
        assert set(f) == FACTOR_KEYS
        assert 1 <= f["round"] <= 4 and isinstance(f["expression"], str)
        assert "excess_with_cost.information_ratio" in f["valid_metrics"]


def test_an_accepted_expression_is_reproduced_by_factors_compute(
    run: tuple[Path, dict[str, Any]], small_config: Path, tmp_path: Path
) -> None:
    _, out = run
    if not out["accepted_factors"]:
        pytest.skip("this seed accepted no factor in 4 rounds (test_loop covers acceptance)")
    f = out["accepted_factors"][0]
    panel = load_panel_for(load_research_config(small_config))
    panel.write_parquet(tmp_path / "p.parquet")
    p = rdq("factors", "compute", "--data", tmp_path / "p.parquet", "--expr", f"{f['name']}={f['expression']}",
            "--out", tmp_path / "f.parquet")  # fmt: skip
    assert p.returncode == 0, p.stderr
    cli = pl.read_parquet(tmp_path / "f.parquet")
    api = compute(panel, {f["name"]: f["expression"]})
    joined = cli.join(api, on=["date", "asset"], suffix="_api")
    assert joined.height == panel.height
    a, b = joined[f["name"]].to_numpy(), joined[f["name"] + "_api"].to_numpy()
    assert ((a == b) | (~pl.Series(a).is_finite().to_numpy() & ~pl.Series(b).is_finite().to_numpy())).all()


def test_list_and_show(run: tuple[Path, dict[str, Any]]) -> None:
    ws, out = run
    r = runner.invoke(app, ["research", "list", "--workspace", str(ws), "--json"])
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.stdout)
    assert row == {"run_id": out["run_id"], "rounds": 4, "accepted": len(out["accepted_factors"]),
                   "reported": False}  # fmt: skip
    r = runner.invoke(app, ["research", "show", out["run_id"][:10], "--workspace", str(ws), "--json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    assert [x["round"] for x in shown["rounds"]] == [1, 2, 3, 4]
    assert [x["branch"] for x in shown["rounds"]] == ["factor", "model", "factor", "model"]  # round robin
    assert shown["accepted_factors"] == out["accepted_factors"] and shown["n_trials"] >= 4
    for x in shown["rounds"]:
        assert x["decision"]["explanation"] and isinstance(x["decision"]["accepted"], bool)


def test_the_loop_cannot_reach_the_test_span(small_config: Path) -> None:
    cfg = load_research_config(small_config)
    panel = load_panel_for(cfg)
    from rdq.agent._config import split_dates

    seg = split_dates(panel["date"].unique().sort().to_list(), warmup=60)
    data = ResearchData.build(panel, segments=seg, label_expr=cfg.label, strategy=cfg.strategy)
    assert data.panel["date"].max() == seg.valid[1] < seg.test[0]
    assert data.label["date"].max() <= seg.valid[1]
    assert data.span("valid") == seg.valid
    with pytest.raises(PermissionError, match="sealed"):
        data.span("test")


def test_report_evaluates_the_test_span_once(run: tuple[Path, dict[str, Any]]) -> None:
    ws, out = run
    r = runner.invoke(app, ["research", "report", out["run_id"], "--workspace", str(ws), "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert REPORT_KEYS <= set(rep) and rep["run_id"] == out["run_id"]
    assert rep["n_trials"] >= 4 and isinstance(rep["significant"], bool)
    for part in ("test", "base_test"):
        m = rep[part]
        assert METRIC_KEYS <= set(m)
        for k in ("ir_ci", "rank_ic_ci"):
            lo, hi = m[k]
            assert lo <= hi
        assert m["ir_ci"][0] <= m["ir"] <= m["ir_ci"][1]
        assert m["rank_ic_ci"][0] <= m["rank_ic"] <= m["rank_ic_ci"][1]
        assert m["mdd"] <= 0
    assert rep["deflated_sharpe"] is None or 0.0 <= rep["deflated_sharpe"] <= 1.0
    if rep["significant"]:
        assert rep["test"]["ir"] > rep["base_test"]["ir"]
    first_at = rep["evaluated_at"]

    # later calls show the recorded figures and say when the test span was evaluated
    r = runner.invoke(app, ["research", "report", out["run_id"], "--workspace", str(ws)])
    assert r.exit_code == 0 and f"test span evaluated once on {first_at}" in " ".join(r.output.split())
    again = json.loads(runner.invoke(app, ["research", "report", out["run_id"], "--workspace", str(ws),
                                           "--json"]).stdout)  # fmt: skip
    assert again["test"] == rep["test"] and again["evaluated_at"] == first_at

    # --force re-evaluates and is recorded as such, in the catalog too
    forced = json.loads(runner.invoke(app, ["research", "report", out["run_id"], "--workspace", str(ws),
                                            "--force", "--json"]).stdout)  # fmt: skip
    assert forced["forced"] is True and forced["evaluations"] == 2
    assert math.isclose(forced["test"]["ir"], rep["test"]["ir"], rel_tol=1e-9)  # deterministic
    from rdq.pipeline._adapters import store_path
    from rdq.store import Store
    from rdq.store._research import research_reports

    rows = research_reports(Store(store_path(ws)), out["run_id"])
    assert rows["forced"].to_list() == [False, True]
    assert (Path(rep["html"])).is_file()


def test_export_writes_a_library_that_load_library_reads(run: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    ws, out = run
    dest = tmp_path / "lib" / "mine.yaml"
    r = runner.invoke(app, ["factors", "export", out["run_id"], "--workspace", str(ws), "--out", str(dest),
                            "--with-base", "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    lib = load_library(dest)
    base = load_library("base20")
    assert list(lib)[: len(base)] == list(base)
    assert {f["name"]: f["expression"] for f in out["accepted_factors"]}.items() <= lib.items()
    assert len(lib) == len(base) + len(out["accepted_factors"]) == json.loads(r.stdout)["n_factors"]
    bad = rdq("factors", "export", out["run_id"], "--workspace", ws, "--out", tmp_path / "x.txt")
    assert bad.returncode == 2 and ".yaml" in bad.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scheduler", "bandits"], "did you mean 'bandit'"),
        (["--executor", "dask"], "choose one of"),
        (["--data", "/no/such/panel.parquet"], "no such file"),
    ],
)
def test_bad_options_exit_2(small_config: Path, tmp_path: Path, args: list[str], needle: str) -> None:
    r = rdq("research", "run", "--config", small_config, "--workspace", tmp_path, *args)
    assert r.returncode == 2 and needle in " ".join(r.stderr.split()), r.stderr


def test_unknown_run_names_the_runs(run: tuple[Path, dict[str, Any]]) -> None:
    ws, out = run
    r = rdq("research", "show", "nope", "--workspace", ws)
    assert r.returncode == 2 and out["run_id"] in " ".join(r.stderr.split()), r.stderr


def test_a_round_on_ray_equals_the_local_round(
    run: tuple[Path, dict[str, Any]], small_config: Path, tmp_path: Path
) -> None:
    pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'rdq[ray]')")
    ws, out = run
    p = rdq("research", "run", "--config", small_config, "--workspace", tmp_path, "--rounds", "1",
            "--executor", "ray", "--json")  # fmt: skip
    assert p.returncode == 0, p.stderr[-3000:]
    mine = json.loads(p.stdout)
    from rdq.agent._state import find_run

    a = find_run(tmp_path, mine["run_id"]).rounds()[0]
    b = find_run(ws, out["run_id"]).rounds()[0]
    assert a["branch"] == b["branch"]
    assert [(c["name"], c["code"], c["status"]) for c in a["candidates"]] == [
        (c["name"], c["code"], c["status"]) for c in b["candidates"]
    ]
    assert a["decision"]["value"] == pytest.approx(b["decision"]["value"], rel=1e-9)


def test_data_alone_runs_the_default_config_on_a_small_ohlcv_panel(tmp_path: Path) -> None:
    # a user's first input: 20 tickers, no vwap, fewer assets than the default top-30 portfolio
    from rdq.data import synth_market

    panel = synth_market(n_assets=20, n_days=400, seed=3).panel.drop("vwap")
    panel = panel.with_columns(pl.col("asset").str.replace("^", "TK"))
    panel.write_parquet(tmp_path / "mine.parquet")
    p = rdq("research", "run", "--data", tmp_path / "mine.parquet", "--rounds", "1", "--workspace", tmp_path,
            "--json")  # fmt: skip
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout)
    assert set(out) == RUN_KEYS and out["rounds"] == 1 and out["run_id"].startswith("mine-")
    assert "top-4 dropout-1 instead of the default top-30" in p.stderr
    from rdq.agent._state import find_run

    cfg = find_run(tmp_path, out["run_id"]).config()["config"]
    assert cfg["strategy"]["topk"] == 4 and cfg["data"]["path"] == str((tmp_path / "mine.parquet").resolve())
    assert cfg.get("segments") is None  # split at run time: 60/20/20 after the base set's warm-up, in the state
    st = json.loads((find_run(tmp_path, out["run_id"]).state_file).read_text())
    days = panel["date"].unique().sort().to_list()
    train0 = days.index(dt.date.fromisoformat(st["segments"]["train"][0]))
    assert train0 == 60  # ROC60/STD60 of base20 need 60 days of history


def test_a_written_config_with_topk_above_the_universe_is_an_error(tmp_path: Path) -> None:
    from agent.conftest import write_config

    cfg = write_config(tmp_path, data={"synthetic": {"assets": 12, "days": 300, "seed": 0}})
    p = rdq("research", "run", "--config", cfg, "--workspace", tmp_path)
    assert p.returncode == 2
    assert "strategy.topk 10 is more than half of the panel's 12 assets" in " ".join(p.stderr.split())
