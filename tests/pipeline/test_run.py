"""End to end on a small synthetic scenario: records, store entry, report files, resume after a crash."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from rdq.backtest import summarize
from rdq.data import synth_market
from rdq.pipeline import STAGES, ScenarioResult, load_scenario, run_scenario
from rdq.pipeline import _adapters as ad
from rdq.report import CHARTS
from rdq.signal import default_label
from rdq.store import Store

from .conftest import SMALL, write_scenario

pytestmark = pytest.mark.slow


def test_records_cover_the_test_span(small_run: tuple[ScenarioResult, Path]) -> None:
    res, _ = small_run
    seg = res.config.segments
    assert seg is not None
    r = res.records
    assert r.columns[:6] == ["date", "account", "return", "cost", "turnover", "bench"]
    assert r["date"].min() > seg.test[0] and r["date"].max() == seg.test[1]
    assert r["date"].is_sorted() and r["date"].n_unique() == r.height
    # scores only on the test span, one per asset and day
    assert res.scores["date"].min() >= seg.test[0] and res.scores["date"].max() <= seg.test[1]
    assert res.scores.select("date", "asset").is_duplicated().sum() == 0


def test_account_follows_net_returns(small_run: tuple[ScenarioResult, Path]) -> None:
    res, _ = small_run
    r = res.records
    acc = np.concatenate([[res.config.strategy.account], r["account"].to_numpy()])
    np.testing.assert_allclose(acc[1:] / acc[:-1] - 1, (r["return"] - r["cost"]).to_numpy(), atol=1e-12)
    assert (r["n_held"].tail(10) == res.config.strategy.topk).all()


def test_equal_weight_benchmark(small_run: tuple[ScenarioResult, Path]) -> None:
    res, _ = small_run
    panel = synth_market(n_assets=60, n_days=400, seed=3).panel
    wide = panel.pivot(on="asset", index="date", values="close").sort("date")
    close = wide.drop("date").to_numpy()
    with np.errstate(invalid="ignore"):
        ew = np.nanmean(close[1:] / close[:-1] - 1, axis=1)
    expected = dict(zip(wide["date"].to_list()[1:], ew, strict=True))
    got = res.records.select("date", "bench").rows()
    np.testing.assert_allclose([b for _, b in got], [expected[d] for d, _ in got], rtol=1e-9, atol=1e-12)


def test_metrics_equal_summary_of_records(small_run: tuple[ScenarioResult, Path]) -> None:
    res, _ = small_run
    stored = pl.read_parquet(res.run_dir / "records.parquet")
    assert stored.equals(res.records)
    expect = summarize(stored, n=252).to_dict()
    on_disk = json.loads((res.run_dir / "metrics.json").read_text())
    for k, v in expect.items():
        if isinstance(v, float):
            assert on_disk[k] == pytest.approx(v, rel=1e-12)
        else:
            assert on_disk[k] == v
    assert on_disk["n"] == 252


def test_signal_metrics_by_hand(small_run: tuple[ScenarioResult, Path]) -> None:
    res, _ = small_run
    label = default_label(synth_market(n_assets=60, n_days=400, seed=3).panel)
    day = res.scores["date"].unique().sort()[5]
    j = res.scores.filter(pl.col("date") == day).join(label, on=["date", "asset"]).drop_nulls()
    hand = np.corrcoef(j["score"].to_numpy(), j["label"].to_numpy())[0, 1]
    assert res.ic.filter(pl.col("date") == day)["ic"].item() == pytest.approx(hand, rel=1e-9)
    assert res.metrics["signal.ic"] == pytest.approx(
        float(res.ic["ic"].drop_nulls().drop_nans().mean()), rel=1e-12
    )
    # the scores carry signal on the synthetic market (planted alphas)
    assert res.metrics["signal.rank_ic"] > 0
    q = res.quantiles
    assert set(q["quantile"].unique().to_list()) == {1, 2, 3, 4, 5}


def test_store_entry(small_run: tuple[ScenarioResult, Path]) -> None:
    res, ws = small_run
    run = json.loads((res.run_dir / "run.json").read_text())  # the latest run of this folder
    assert run["data_fingerprint"] == res.data_fingerprint and set(run["stages"]) == set(STAGES)
    store = Store(ws / ".rdq" / "rdq.duckdb")
    assert res.run_id in store.runs(kind="backtest")["run_id"].to_list()
    entry = store.get_run(res.run_id)
    assert store.datasets()["fingerprint"].to_list() == [res.data_fingerprint]
    assert (entry["run_id"], entry["kind"], entry["dataset"]) == (
        res.run_id,
        "backtest",
        res.data_fingerprint,
    )
    cfg = entry["config"]
    assert cfg["data_fingerprint"] == res.data_fingerprint and cfg["name"] == "small"
    assert cfg["strategy"]["topk"] == 10
    m = entry["metrics"]
    for k, v in res.metrics.items():
        assert m[k] == (pytest.approx(v, rel=1e-12) if isinstance(v, float) else v)
    a = entry["artifacts"]
    assert Path(a["records"]).is_file() and Path(a["report"]).is_file()


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "td" and "data-key" in a:
            self.values[str(a["data-key"])] = str(a["data-value"])


def test_report_files(small_run: tuple[ScenarioResult, Path]) -> None:
    res, _ = small_run
    assert res.report.html == res.run_dir / "report" / "report.html"
    assert set(res.report.images) == set(CHARTS)
    for p in res.report.images.values():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cells = _Cells()
    cells.feed(res.report.html.read_text(encoding="utf-8"))
    for key, value in res.metrics.items():
        if isinstance(value, float):
            assert float(cells.values[key]) == value
    assert "excess_with_cost.information_ratio" in cells.values


def test_rerun_uses_every_cached_stage(
    small_run: tuple[ScenarioResult, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    res, ws = small_run

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("recomputed a finished stage")

    for name in ("load_data", "compute_factors", "compute_label", "fit_predict", "run_backtest"):
        monkeypatch.setattr(ad, name, boom)
    again = run_scenario(res.config, workspace=ws, progress=False)
    assert set(again.stages.values()) == {"cached"}
    assert again.records.equals(res.records) and again.metrics == res.metrics


def test_resume_after_a_crash(
    tmp_path: Path, small_run: tuple[ScenarioResult, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, _ = small_run
    cfg = load_scenario(write_scenario(tmp_path, SMALL))
    ws = tmp_path / "ws"
    calls: dict[str, int] = {}

    def counting(name: str) -> Any:
        real = getattr(ad, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] = calls.get(name, 0) + 1
            return real(*args, **kwargs)

        return wrapper

    for name in ("load_data", "compute_factors", "compute_label", "fit_predict"):
        monkeypatch.setattr(ad, name, counting(name))

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed during the backtest")

    with monkeypatch.context() as m:
        m.setattr(ad, "run_backtest", killed)
        with pytest.raises(KeyboardInterrupt):
            run_scenario(cfg, workspace=ws, progress=False)
    assert calls == {"load_data": 1, "compute_factors": 1, "compute_label": 1, "fit_predict": 1}
    assert not list(ws.glob(".rdq/runs/*/records.parquet"))  # nothing final written by the killed run

    res = run_scenario(cfg, workspace=ws, progress=False)
    assert calls == {"load_data": 1, "compute_factors": 1, "compute_label": 1, "fit_predict": 1}
    assert res.stages == {
        "data": "cached",
        "factors": "cached",
        "label": "cached",
        "model": "cached",
        "backtest": "computed",
    }
    assert res.records.equals(reference.records)
    assert res.metrics == reference.metrics
