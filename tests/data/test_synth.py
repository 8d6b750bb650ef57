"""The synthetic market: deterministic, consistent OHLC, no look-ahead, planted alphas of the stated strength."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from rdq.data import (
    SynthMarket,
    load_panel,
    panel_fingerprint,
    read_synth_truth,
    synth_market,
    truth_path,
    validate_panel,
    write_synth,
)
from rdq.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def market() -> SynthMarket:
    """The default market (300 assets x 2000 days), as users get it."""
    return synth_market(seed=0)


def wide(panel: pl.DataFrame, column: str) -> np.ndarray:
    """``(n_days, n_assets)`` array of ``column``."""
    return panel.pivot(on="asset", index="date", values=column).sort("date").drop("date").to_numpy()


def test_shape_schema_and_calendar(market: SynthMarket) -> None:
    p = market.panel
    assert p.shape == (300 * 2000, 10)
    assert p.columns == ["date", "asset", "open", "high", "low", "close", "volume", "vwap", "factor", "sector"]
    assert p.schema["date"] == pl.Date and all(p.schema[c] == pl.Float64 for c in p.columns[2:])
    dates = p["date"].unique().sort()
    assert dates[0] == dt.date(2015, 1, 1) and len(dates) == 2000
    assert all(d.weekday() < 5 for d in dates.to_list())
    assert p.null_count().sum_horizontal().item() == 0
    assert p.equals(p.sort(["asset", "date"]))
    assert market.truth["fingerprint"] == panel_fingerprint(p)


def test_ohlc_volume_vwap_are_consistent(market: SynthMarket) -> None:
    p = market.panel
    bad = p.filter(
        (pl.col("high") < pl.max_horizontal("open", "close"))
        | (pl.col("low") > pl.min_horizontal("open", "close"))
        | (pl.col("vwap") > pl.col("high"))
        | (pl.col("vwap") < pl.col("low"))
        | (pl.col("low") <= 0)
        | (pl.col("volume") <= 0)
        | (pl.col("factor") != 1.0)
    )
    assert bad.height == 0
    assert (p["volume"] == p["volume"].round()).all()
    # the validator agrees: no fatal, no high/low issue, and no duplicates
    report = validate_panel(p)
    assert report.ok and "high_low" not in report.counts and "zero_volume" not in report.counts
    # sectors: 11 numeric sectors, constant per asset
    per_asset = p.group_by("asset").agg(pl.col("sector").n_unique())
    assert (per_asset["sector"] == 1).all() and set(p["sector"].unique().to_list()) <= set(map(float, range(11)))


def test_fat_tails_and_volatility_clustering(market: SynthMarket) -> None:
    close = wide(market.panel, "close")
    r = np.diff(np.log(close), axis=0)
    z = (r - r.mean(axis=0)) / r.std(axis=0)
    kurt = (z**4).mean()
    assert kurt > 4.0  # normal: 3
    a = np.abs(z)
    ac = np.mean([np.corrcoef(a[1:, i], a[:-1, i])[0, 1] for i in range(a.shape[1])])
    assert ac > 0.05  # |returns| are autocorrelated (GARCH), raw returns are not
    raw_ac = np.mean([np.corrcoef(r[1:, i], r[:-1, i])[0, 1] for i in range(r.shape[1])])
    assert abs(raw_ac) < 0.03
    # a market factor: the average pairwise correlation is clearly positive
    corr = np.corrcoef(r[:, :50].T)
    assert 0.1 < corr[np.triu_indices(50, 1)].mean() < 0.6
    # volume rises with |return|
    vol = np.log(wide(market.panel, "volume"))[1:]
    assert np.corrcoef(vol.ravel(), a.ravel())[0, 1] > 0.05


def test_determinism() -> None:
    a = synth_market(n_assets=40, n_days=120, seed=7)
    b = synth_market(n_assets=40, n_days=120, seed=7)
    c = synth_market(n_assets=40, n_days=120, seed=8)
    assert panel_fingerprint(a.panel) == panel_fingerprint(b.panel) == a.truth["fingerprint"]
    assert panel_fingerprint(c.panel) != panel_fingerprint(a.panel)
    assert a.truth == b.truth
    assert_frame_equal(a.alphas, b.alphas)


def test_no_lookahead_longer_run_keeps_the_past() -> None:
    short = synth_market(n_assets=30, n_days=150, seed=3)
    long = synth_market(n_assets=30, n_days=250, seed=3)
    last = short.panel["date"].max()
    assert_frame_equal(long.panel.filter(pl.col("date") <= last), short.panel)
    assert_frame_equal(long.alphas.filter(pl.col("date") <= last), short.alphas)


def alpha_values_polars(panel: pl.DataFrame) -> pl.DataFrame:
    """The planted alphas, written again with polars from their qlib definitions."""
    c, v = pl.col("close"), pl.col("volume")
    lv = (v + 1).log()
    n = 10
    mean_c, mean_v = c.rolling_mean(n), lv.rolling_mean(n)
    cov = (c * lv).rolling_mean(n) - mean_c * mean_v
    var_c = (c * c).rolling_mean(n) - mean_c**2
    var_v = (lv * lv).rolling_mean(n) - mean_v**2
    return panel.select(
        "date",
        "asset",
        (-(c / c.shift(5) - 1)).over("asset").alias("reversal_5d"),
        (v.rolling_mean(5) / v.rolling_mean(20)).over("asset").alias("volume_shock"),
        ((c - pl.col("low")) / (pl.col("high") - pl.col("low") + 1e-12)).alias("close_location"),
        (cov / (var_c * var_v).sqrt()).over("asset").alias("price_volume_corr"),
    )


def daily_ic(values: pl.DataFrame, panel: pl.DataFrame, name: str, *, shift: int = -2) -> float:
    """Mean over dates of the cross-sectional Pearson IC of ``name`` with ``close[t-shift]/close[t-shift-1]-1``.

    ``shift=-2`` is qlib's label ``Ref($close,-2)/Ref($close,-1)-1``.
    """
    c = pl.col("close")
    label = panel.select(
        "date", "asset", (c.shift(shift) / c.shift(shift + 1) - 1).over("asset").alias("label")
    )
    joined = values.join(label, on=["date", "asset"]).drop_nulls([name, "label"])
    ic = joined.group_by("date").agg(pl.corr(name, "label").alias("ic"))
    return float(ic["ic"].mean())  # type: ignore[arg-type]


def test_planted_alphas_have_the_stated_ic(market: SynthMarket) -> None:
    mine = alpha_values_polars(market.panel)
    warm = market.panel["date"].unique().sort()[market.truth["warmup_days"]]
    mine = mine.filter(pl.col("date") >= warm)
    assert len(market.truth["alphas"]) == 4
    for a in market.truth["alphas"]:
        # the polars rewrite equals the simulation's own numpy values
        j = mine.join(market.alphas, on=["date", "asset"], suffix="_sim")
        np.testing.assert_allclose(j[a["name"]].to_numpy(), j[a["name"] + "_sim"].to_numpy(), rtol=1e-7, atol=1e-10)
        ic = daily_ic(mine, market.panel, a["name"])
        assert 0.015 <= ic <= 0.07, (a["name"], ic)
        assert ic == pytest.approx(a["measured_ic"], abs=1e-6)
        assert 0.015 <= a["measured_rank_ic"] <= 0.07
    assert 0.04 < market.truth["combined"]["measured_ic"] < 0.12


def test_signal_predicts_exactly_the_t1_to_t2_return(market: SynthMarket) -> None:
    """close_location has no memory of its own, so its IC shows the timing.

    It must not predict the return close t -> t+1 (that would mean the drift used day-t data one day
    early); it predicts the label (close t+1 -> t+2). Later returns feel it only indirectly, through
    the reversal alpha that the day-t move feeds (a genuine, weaker, negative echo).
    """
    mine = alpha_values_polars(market.panel)
    on_label = daily_ic(mine, market.panel, "close_location", shift=-2)
    one_early = daily_ic(mine, market.panel, "close_location", shift=-1)  # close t -> t+1
    one_late = daily_ic(mine, market.panel, "close_location", shift=-3)  # close t+2 -> t+3
    assert on_label > 0.015
    assert abs(one_early) < 0.01
    assert on_label > 1.5 * abs(one_late)


def test_factor_engine_reproduces_the_planted_values() -> None:
    try:
        from rdq.factors import compute
    except ImportError:
        pytest.skip("rdq.factors.compute is not built yet")
    market = synth_market(n_assets=40, n_days=150, seed=11)
    values = compute(market.panel, market.expressions)
    assert values.select("date", "asset").equals(market.panel.select("date", "asset"))
    for name in market.expressions:
        sim = market.alphas[name].to_numpy()
        eng = values[name].to_numpy()
        ok = np.isfinite(sim)
        assert ok.sum() > 0.8 * len(sim)
        np.testing.assert_allclose(eng[ok], sim[ok], rtol=1e-6, atol=1e-12, err_msg=name)


def test_write_and_read_truth(tmp_path: Path) -> None:
    market = synth_market(n_assets=10, n_days=40, seed=2)
    out = write_synth(tmp_path / "m.parquet", market)
    assert truth_path(out) == tmp_path / "m.parquet.truth.json"
    truth = read_synth_truth(out)
    assert truth == json.loads(json.dumps(market.truth))
    assert read_synth_truth(truth_path(out)) == truth
    assert [a["expr"] for a in truth["alphas"]] == list(market.expressions.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.parquet", "m.parquet.truth.json"]  # no temp left
    assert_frame_equal(load_panel(out), market.panel)
    assert panel_fingerprint(load_panel(out)) == truth["fingerprint"]
    csv = write_synth(tmp_path / "m.csv", market)
    assert_frame_equal(load_panel(csv), market.panel, check_exact=False, rel_tol=1e-12)
    with pytest.raises(ConfigError, match="parquet or .csv"):
        write_synth(tmp_path / "m.txt", market)
    with pytest.raises(DataError, match="no truth file"):
        read_synth_truth(tmp_path / "other.parquet")


def test_tiny_markets() -> None:
    one = synth_market(n_assets=1, n_days=1, seed=0)
    assert one.panel.shape == (1, 10) and one.truth["alphas"][0]["measured_ic"] is None
    small = synth_market(n_assets=3, n_days=30)
    assert small.panel.height == 90 and validate_panel(small.panel).ok
    with pytest.raises(ConfigError):
        synth_market(n_assets=0)


def test_signal_layer_agrees_on_the_planted_ic() -> None:
    """rdq.signal's qlib label and daily IC give the IC stored in the truth (two implementations)."""
    try:
        from rdq.signal import default_label, ic_series
    except ImportError:
        pytest.skip("rdq.signal is not built yet")
    market = synth_market(n_assets=60, n_days=300, seed=21)
    label = default_label(market.panel)
    warm = market.panel["date"].unique().sort()[market.truth["warmup_days"]]
    alphas = market.alphas.filter(pl.col("date") >= warm)  # the truth measures after the warm-up
    for a in market.truth["alphas"]:
        ic = ic_series(alphas, label, column=a["name"], method="pearson")
        assert float(ic["ic"].mean()) == pytest.approx(a["measured_ic"], abs=1e-9), a["name"]  # type: ignore[arg-type]
        ric = ic_series(alphas, label, column=a["name"], method="spearman")
        assert float(ric["ic"].mean()) == pytest.approx(a["measured_rank_ic"], abs=1e-9), a["name"]  # type: ignore[arg-type]


def test_rank_helper_matches_scipy() -> None:
    from scipy.stats import rankdata

    from rdq.data._synth import _rank_rows

    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(50, 9)).astype(float)  # many ties
    x[rng.random(x.shape) < 0.1] = np.nan
    np.testing.assert_allclose(_rank_rows(x) + 1, rankdata(x, axis=1, nan_policy="omit"), equal_nan=True)
