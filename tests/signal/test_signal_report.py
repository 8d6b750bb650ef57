"""signal_report / SignalReport: consistency with the per-metric functions, serialisation, rendering."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from signal_frames import as_nan

from rdq.errors import ConfigError
from rdq.signal import (
    SUMMARY_METRICS,
    FactorSignal,
    Metric,
    SignalReport,
    decay_column,
    default_label,
    ic_series,
    long_short_series,
    quantile_column,
    rank_autocorr,
    report_table,
    signal_report,
    top_turnover,
)


def _market(n_days: int = 80, n_assets: int = 30, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Random-walk panel and a FactorFrame: ``fut`` peeks at the next-day label (a planted signal)."""
    rng = np.random.default_rng(seed)
    dates = np.arange(np.datetime64("2022-01-03"), np.datetime64("2022-01-03") + n_days)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_days, n_assets)), axis=0))
    panel = pl.DataFrame(
        {
            "date": pl.Series(np.tile(dates, n_assets)).cast(pl.Date),
            "asset": np.repeat([f"X{i:02d}" for i in range(n_assets)], n_days),
            "close": close.T.ravel(),
        }
    )
    label = default_label(panel)
    factors = label.select(
        "date",
        "asset",
        (pl.col("label") + pl.Series(rng.normal(0, 0.03, label.height))).alias("fut"),
        pl.Series("noise", rng.normal(size=label.height)),
    )
    return panel, factors


@pytest.fixture(scope="module")
def market() -> tuple[pl.DataFrame, pl.DataFrame]:
    return _market()


def test_report_agrees_with_the_parts(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, factors = market
    label = default_label(panel)
    rep = signal_report(factors, label, panel=panel, quantiles=5)
    assert rep.names == ["fut", "noise"] and len(rep) == 2
    fut = rep["fut"]
    ic = ic_series(factors, label, column="fut")["ic"].drop_nulls()
    ric = ic_series(factors, label, column="fut", method="spearman")["ic"].drop_nulls()
    assert fut[Metric.IC] == pytest.approx(ic.mean(), rel=1e-12)
    assert fut[Metric.RANK_IC] == pytest.approx(ric.mean(), rel=1e-12)
    assert fut[Metric.ICIR] == pytest.approx(ic.mean() / ic.std(), rel=1e-12)  # type: ignore[operator]
    assert fut[Metric.IC_TSTAT] == pytest.approx(fut[Metric.ICIR] * math.sqrt(ic.len()), rel=1e-12)
    assert fut[Metric.N_DAYS] == ic.len()
    ls = long_short_series(factors, label, column="fut")["long_short"].drop_nulls()
    assert fut[Metric.LONG_SHORT] == pytest.approx(ls.mean(), rel=1e-12)
    assert fut[Metric.LONG_SHORT_IR] == pytest.approx(ls.mean() / ls.std() * math.sqrt(252), rel=1e-12)  # type: ignore[operator]
    assert fut[Metric.LONG_SHORT] == pytest.approx(
        fut.quantile_returns[-1] - fut.quantile_returns[0], abs=1e-12
    )
    assert fut[Metric.AUTOCORR] == pytest.approx(
        rank_autocorr(factors, column="fut")["autocorr"].mean(), rel=1e-12
    )
    assert fut[Metric.TOP_TURNOVER] == pytest.approx(
        top_turnover(factors, column="fut")["turnover"].mean(), rel=1e-12
    )
    # planted signal: strong IC, monotone quantiles, decay falls with the horizon; noise ~ 0
    assert fut[Metric.RANK_IC] > 0.3 and fut[Metric.IC_HIT_RATE] > 0.9
    assert list(fut.quantile_returns) == sorted(fut.quantile_returns)
    assert fut.rank_ic_decay[1] == pytest.approx(fut[Metric.RANK_IC], rel=1e-12)
    assert fut.ic_decay[1] == pytest.approx(fut[Metric.IC], rel=1e-12)
    assert fut.rank_ic_decay[1] > fut.rank_ic_decay[5] > fut.rank_ic_decay[20]
    assert abs(rep["noise"][Metric.IC]) < 0.05
    # the daily frame carries the series behind the summary
    d = rep.daily.filter(pl.col("factor") == "fut")
    assert d.columns == ["date", "factor", "ic", "rank_ic", "long_short", "autocorr", "top_turnover"]
    assert d["ic"].drop_nulls().mean() == pytest.approx(fut[Metric.IC], rel=1e-12)
    np.testing.assert_allclose(as_nan(d["long_short"].drop_nulls()), as_nan(ls), rtol=1e-12)


def test_to_frame_and_to_dict(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, factors = market
    rep = signal_report(factors, panel=panel, horizons=(1, 5), quantiles=4)
    frame = rep.to_frame()
    assert frame.height == 2 and frame["factor"].to_list() == ["fut", "noise"]
    expected = (
        ["factor"]
        + [m.value for m in SUMMARY_METRICS]
        + [quantile_column(k) for k in range(1, 5)]
        + [decay_column(Metric.IC, h) for h in (1, 5)]
        + [decay_column(Metric.RANK_IC, h) for h in (1, 5)]
    )
    assert frame.columns == expected
    assert frame.filter(pl.col("factor") == "fut")[Metric.RANK_IC.value][0] == rep["fut"][Metric.RANK_IC]
    d = rep.to_dict()
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    assert back["label"] == "Ref($close, -2)/Ref($close, -1) - 1"
    assert back["horizons"] == [1, 5] and back["quantiles"] == 4
    assert back["factors"][0]["metrics"]["rank_ic"] == rep["fut"][Metric.RANK_IC]
    assert set(back["factors"][0]["metrics"]) == {m.value for m in SUMMARY_METRICS}


def test_undefined_metrics_are_none_in_json() -> None:
    sig = FactorSignal(name="x", metrics={m: math.nan for m in SUMMARY_METRICS}, quantile_returns=(math.nan, 0.1))
    rep = SignalReport(factors=(sig,), label="label", quantiles=2)
    back = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert back["factors"][0]["metrics"]["ic"] is None
    assert rep.to_frame()["ic"].to_list() == [None]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.label = "other"  # type: ignore[misc]
    with pytest.raises(KeyError, match="did you mean 'x'"):
        rep["X"]


def test_row_order_does_not_matter(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """Shuffled inputs (the slower join paths) give the same report as aligned ones."""
    panel, factors = market
    label = default_label(panel)
    a = signal_report(factors, label, panel=panel, horizons=(1, 3)).to_frame()
    shuffled = signal_report(
        factors.sample(fraction=1.0, shuffle=True, seed=3),
        label.sample(fraction=1.0, shuffle=True, seed=4),
        panel=panel.sample(fraction=1.0, shuffle=True, seed=5),
        horizons=(1, 3),
    ).to_frame()
    assert a.columns == shuffled.columns
    for c in a.columns[1:]:
        np.testing.assert_allclose(as_nan(shuffled[c]), as_nan(a[c]), rtol=1e-12, atol=1e-15, err_msg=c)


def test_without_panel_decay_is_empty(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, factors = market
    rep = signal_report(factors, default_label(panel), columns=["noise"])
    assert rep.horizons == () and rep["noise"].ic_decay == {}
    assert rep.names == ["noise"]
    with pytest.raises(ConfigError, match="label frame or a panel"):
        signal_report(factors)


def test_rich_rendering(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, factors = market
    rep = signal_report(factors, panel=panel, horizons=None)
    console = Console(record=True, width=160)
    console.print(rep)
    console.print(report_table(rep, sort_by=Metric.RANK_IC, limit=1))
    text = console.export_text()
    assert "fut" in text and "noise" in text and "RankIC" in text
    assert text.count("noise") == 1  # the limited table shows only the strongest factor


def _tiny(n_days: int, n_assets: int, seed: int, nan_share: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    n = n_days * n_assets
    dates = np.arange(np.datetime64("2023-01-02"), np.datetime64("2023-01-02") + n_days)
    x = rng.normal(size=n)
    x[rng.random(n) < nan_share] = np.nan
    panel = pl.DataFrame(
        {
            "date": pl.Series(np.tile(dates, n_assets)).cast(pl.Date),
            "asset": np.repeat([f"Z{i}" for i in range(n_assets)], n_days),
            "close": np.exp(rng.normal(0, 0.05, n)) * 10,
            "x": x,
        }
    )
    return panel, panel.select("date", "asset", "x", (-pl.col("x")).alias("neg"))


@settings(max_examples=15, deadline=None)
@given(
    n_days=st.integers(0, 12),
    n_assets=st.integers(1, 9),
    seed=st.integers(0, 10_000),
    nan_share=st.sampled_from([0.0, 0.3, 1.0]),
)
@example(n_days=0, n_assets=1, seed=0, nan_share=0.0)  # empty
@example(n_days=6, n_assets=1, seed=0, nan_share=0.0)  # single asset
@example(n_days=6, n_assets=5, seed=0, nan_share=1.0)  # all missing
def test_report_invariants_on_small_panels(n_days: int, n_assets: int, seed: int, nan_share: float) -> None:
    panel, factors = _tiny(n_days, n_assets, seed, nan_share)
    rep = signal_report(factors, panel=panel, horizons=(1, 2), quantiles=3)
    x, neg = rep["x"], rep["neg"]
    for m in (Metric.IC, Metric.RANK_IC):
        v = x[m]
        assert math.isnan(v) or -1.0 <= v <= 1.0
        assert (math.isnan(v) and math.isnan(neg[m])) or neg[m] == pytest.approx(-v, abs=1e-12)
    for m in (Metric.IC_HIT_RATE, Metric.TOP_TURNOVER):
        assert math.isnan(x[m]) or 0.0 <= x[m] <= 1.0
    # sign flip swaps the quantile ladder (buckets are symmetric), so the spread changes sign
    assert (math.isnan(x[Metric.LONG_SHORT]) and math.isnan(neg[Metric.LONG_SHORT])) or neg[
        Metric.LONG_SHORT
    ] == pytest.approx(-x[Metric.LONG_SHORT], abs=1e-12)
    assert rep.to_frame().height == 2
    json.dumps(rep.to_dict(), allow_nan=False)
