"""Store: round trips, uniqueness, transactions that roll back, clear errors."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from rdq.data.schema import panel_fingerprint
from rdq.signal import SUMMARY_METRICS, Metric, default_label, signal_report
from rdq.store import DEFAULT_STORE_PATH, REPORT_METRIC_COLUMNS, SCHEMA_VERSION, RunStatus, Store, StoreError


def _panel(n_days: int = 30, n_assets: int = 6, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    dates = np.arange(np.datetime64("2020-01-01"), np.datetime64("2020-01-01") + n_days)
    close = np.exp(np.cumsum(rng.normal(0, 0.02, (n_assets, n_days)), axis=1)).ravel()
    return pl.DataFrame(
        {
            "date": pl.Series(np.tile(dates, n_assets)).cast(pl.Date),
            "asset": np.repeat([f"A{i}" for i in range(n_assets)], n_days),
            "close": close,
            "volume": np.full(n_assets * n_days, 1e6),
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "cat.duckdb")


def test_default_path_and_idempotent_migration(tmp_path: Path) -> None:
    s = Store(workspace=tmp_path)
    assert s.path == tmp_path / DEFAULT_STORE_PATH == tmp_path / ".rdq" / "rdq.duckdb"
    assert s.path.is_file() and s.schema_version() == SCHEMA_VERSION
    s.add_factor("x", "$close")
    again = Store(workspace=tmp_path)  # migrating again changes nothing
    assert again.schema_version() == SCHEMA_VERSION and again.factors().height == 1
    with duckdb.connect(str(s.path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta").fetchone() == (1,)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    s = Store(tmp_path / "x.duckdb")
    with duckdb.connect(str(s.path)) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer than this rdq"):
        Store(s.path)
    with pytest.raises(StoreError, match="is a folder"):
        Store(tmp_path)


def test_datasets(store: Store) -> None:
    panel = _panel()
    fp = store.add_dataset(panel, source="synthetic")
    assert fp == panel_fingerprint(panel)
    assert store.add_dataset(panel) == fp  # no duplicate
    ds = store.datasets()
    assert ds.height == 1
    row = ds.row(0, named=True)
    assert (row["n_assets"], row["n_days"], row["source"]) == (6, 30, "synthetic")
    assert row["start_date"] == dt.datetime(2020, 1, 1) and row["end_date"] == dt.datetime(2020, 1, 30)
    assert json.loads(row["fields"]) == ["close", "volume"]


def test_factors_unique_on_name_and_expression(store: Store) -> None:
    a = store.add_factor("mom", "$close / Ref($close, 5) - 1", library="alpha")
    assert store.add_factor("mom", "$close / Ref($close, 5) - 1") == a
    b = store.add_factor("mom", "$close / Ref($close, 10) - 1")
    c = store.add_factor("py_mom", "def f(panel):\n    return panel", kind="python")
    assert len({a, b, c}) == 3
    f = store.factors()
    assert f["id"].to_list() == [a, b, c]
    assert f.filter(pl.col("id") == c)["kind"].to_list() == ["python"]
    assert store.factors(library="alpha")["id"].to_list() == [a]
    assert store.factors(name="mom").height == 2
    with pytest.raises(StoreError, match="'expression' or 'python'"):
        store.add_factor("z", "1", kind="sql")  # type: ignore[arg-type]


def test_signal_report_round_trip(store: Store) -> None:
    panel = _panel()
    label = default_label(panel)
    factors = label.select(
        "date", "asset", (pl.col("label") * 3).alias("peek"), pl.col("label").alias("same")
    )
    rep = signal_report(factors, label, panel=panel, horizons=(1, 2))
    fp = store.add_dataset(panel)
    ids = store.add_signal_report(
        rep, dataset=fp, expressions={"peek": "3*label", "same": "label"}, library="t"
    )
    assert set(ids) == {"peek", "same"}
    got = store.factor_reports(dataset=fp)
    assert got.height == 2 and got["name"].to_list() == ["peek", "same"]
    peek = got.filter(pl.col("name") == "peek").row(0, named=True)
    assert peek["label"] == rep.label and peek["quantiles"] == 5
    for m in SUMMARY_METRICS:
        want = rep["peek"][m]
        assert (peek[m.value] is None and math.isnan(want)) or peek[m.value] == pytest.approx(want, rel=1e-15)
    payload = json.loads(peek["metrics"])
    assert payload == json.loads(json.dumps(rep["peek"].to_dict()))
    assert store.factor_reports(factor="same").height == 1
    # a plain mapping of Metric -> value works too; an unknown key is named
    fid = store.factors(name="same")["id"][0]
    store.add_factor_report(fid, fp, {Metric.IC: 0.1, Metric.RANK_IC: 0.2}, label="custom")
    assert store.factor_reports(factor="same")["ic"].to_list() == [pytest.approx(1.0), 0.1]
    with pytest.raises(StoreError, match="did you mean 'rank_ic'"):
        store.add_factor_report(fid, fp, {"rank_icc": 0.2}, label="custom")


def test_metric_columns_cover_every_metric() -> None:
    """Adding a Metric must come with a migration adding its column."""
    assert set(REPORT_METRIC_COLUMNS) == {m.value for m in SUMMARY_METRICS}


def test_runs(store: Store) -> None:
    fp = store.add_dataset(_panel())
    rid = store.add_run(
        "backtest",
        {"topk": 50, "cost_bps": 10.0, "start": dt.date(2020, 1, 1)},
        {"sharpe": 1.5, "ic": float("nan"), "n": np.int64(3)},
        {"returns": Path("/tmp/r.parquet")},
        dataset=fp,
        status=RunStatus.RUNNING,
    )
    run = store.get_run(rid)
    assert run["config"] == {"topk": 50, "cost_bps": 10.0, "start": "2020-01-01"}
    assert run["metrics"] == {"sharpe": 1.5, "ic": None, "n": 3}
    assert run["artifacts"] == {"returns": "/tmp/r.parquet"}
    assert run["status"] == "running" and run["dataset"] == fp and run["updated"] is None
    store.update_run(rid, status="done", metrics={"mdd": -0.2}, artifacts={"positions": "/tmp/p.parquet"})
    run = store.get_run(rid)
    assert run["status"] == "done" and run["metrics"]["mdd"] == -0.2 and run["metrics"]["sharpe"] == 1.5
    assert set(run["artifacts"]) == {"returns", "positions"} and run["updated"] is not None
    store.add_run("experiment", {"seed": 1})
    assert store.runs(kind="backtest")["run_id"].to_list() == [rid]
    assert store.runs(status=RunStatus.DONE).height == 2
    with pytest.raises(StoreError, match="did you mean 'failed'"):
        store.add_run("x", {}, status="faild")
    with pytest.raises(StoreError, match="no run"):
        store.update_run("nope", status="done")
    with pytest.raises(StoreError, match="cannot store config.obj as JSON"):
        store.add_run("x", {"obj": object()})
    with pytest.raises(StoreError, match="add_dataset"):
        store.add_run("x", {}, dataset="not-a-fingerprint")
    with pytest.raises(StoreError, match="new run_id"):
        store.add_run("x", {}, run_id=rid)


def test_transaction_rolls_back_on_failure(store: Store) -> None:
    panel = _panel()
    label = default_label(panel)
    rep = signal_report(label.rename({"label": "a"}), label)
    n_factors = store.factors().height
    # the dataset is not registered: the report insert fails after the factor insert -> nothing kept
    with pytest.raises(StoreError, match="add_factor"):
        store.add_signal_report(rep, dataset="0000000000000000", expressions={"a": "label"})
    assert store.factors().height == n_factors
    assert store.factor_reports().height == 0
    # an exception raised by the caller inside a transaction also rolls everything back
    with pytest.raises(RuntimeError, match="boom"):
        with store.transaction() as tx:
            tx.add_factor("kept?", "$close")
            tx.add_run("x", {"a": 1})
            raise RuntimeError("boom")
    assert store.factors(name="kept?").height == 0 and store.runs().height == 0
    # a successful block keeps all of it
    with store.transaction() as tx:
        fp = tx.add_dataset(panel)
        fid = tx.add_factor("kept", "$close")
        tx.add_factor_report(fid, fp, rep["a"], label=rep.label)
    assert store.factor_reports(factor="kept").height == 1


def test_query_is_read_only(store: Store) -> None:
    store.add_factor("x", "$close")
    assert store.query("SELECT count(*) AS n FROM factors")["n"].to_list() == [1]
    with pytest.raises(StoreError, match="query failed"):
        store.query("DELETE FROM factors")
    assert store.factors().height == 1
