"""Daily IC / Rank IC: parity with qlib's calc_ic, hand-checkable cases, invariants."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats
from signal_frames import as_nan, make_frames, to_qlib

from rdq.errors import ConfigError, SchemaError
from rdq.signal import Metric, ic_frame, ic_series, ic_summary
from rdq.signal._ic import ic_metrics

calc_ic = pytest.importorskip("qlib.contrib.eva.alpha").calc_ic


def _assert_same_daily(mine: np.ndarray, peer: np.ndarray) -> None:
    """Same NaN days, and rel err <= 1e-10 on the others."""
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(peer))
    ok = ~np.isnan(peer)
    assert ok.sum() > 0
    np.testing.assert_allclose(mine[ok], peer[ok], rtol=1e-10, atol=0)


@pytest.mark.filterwarnings("ignore:An input array is constant")  # scipy inside pandas, on the constant days
def test_matches_qlib_calc_ic(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    factors, label = frames
    q_ic, q_ric = calc_ic(to_qlib(factors, "f"), to_qlib(label, "label"))
    ic = ic_series(factors, label, column="f", method="pearson")
    ric = ic_series(factors, label, column="f", method="spearman")
    assert ic["date"].to_list() == [d.date() for d in q_ic.index]
    _assert_same_daily(as_nan(ic["ic"]), q_ic.to_numpy())
    _assert_same_daily(as_nan(ric["ic"]), q_ric.to_numpy())
    # the pathological days: all-NaN, constant factor, one pair, constant label -> undefined
    assert ic["ic"][:4].null_count() == 4 and ric["ic"][:4].null_count() == 4
    # ties on day 4 are ranked "average", as scipy's spearmanr does
    assert ric["ic"][4] == pytest.approx(q_ric.iloc[4], rel=1e-10)
    # qlib's SigAnaRecord summary: IC, ICIR, Rank IC, Rank ICIR (pandas skips NaN days, std ddof=1)
    m = ic_metrics(ic["ic"], ric["ic"])
    assert m[Metric.IC] == pytest.approx(q_ic.mean(), rel=1e-10)
    assert m[Metric.ICIR] == pytest.approx(q_ic.mean() / q_ic.std(), rel=1e-10)
    assert m[Metric.RANK_IC] == pytest.approx(q_ric.mean(), rel=1e-10)
    assert m[Metric.RANK_ICIR] == pytest.approx(q_ric.mean() / q_ric.std(), rel=1e-10)
    n = q_ic.notna().sum()
    assert m[Metric.N_DAYS] == n
    assert m[Metric.IC_TSTAT] == pytest.approx(q_ic.mean() / (q_ic.std() / math.sqrt(n)), rel=1e-10)
    assert m[Metric.IC_HIT_RATE] == pytest.approx((q_ic.dropna() > 0).mean(), rel=1e-12)


def test_matches_qlib_on_real_sp500(sp500_path) -> None:  # type: ignore[no-untyped-def]
    """20-day momentum on the real S&P 500 file (gaps, NaN holes) against qlib's calc_ic."""
    from rdq.signal import default_label

    raw = pl.read_parquet(sp500_path).rename({"symbol": "asset"})
    panel = raw.with_columns(pl.col("date").cast(pl.Date), pl.col("close").cast(pl.Float64)).sort(
        "asset", "date"
    )
    label = default_label(panel)
    factors = panel.select(
        "date", "asset", (pl.col("close") / pl.col("close").shift(20).over("asset") - 1).alias("mom20")
    )
    q_ic, q_ric = calc_ic(
        to_qlib(factors.sort("date", "asset"), "mom20"), to_qlib(label.sort("date", "asset"), "label")
    )
    ic = ic_series(factors, label, column="mom20")
    ric = ic_series(factors, label, column="mom20", method="spearman")
    assert ic.height == len(q_ic) == 1259
    _assert_same_daily(as_nan(ic["ic"]), q_ic.to_numpy())
    _assert_same_daily(as_nan(ric["ic"]), q_ric.to_numpy())


def _day(values: list[float | None], labels: list[float | None]) -> tuple[pl.DataFrame, pl.DataFrame]:
    d = dt.date(2020, 1, 2)
    assets = [f"A{i}" for i in range(len(values))]
    f = pl.DataFrame(
        {"date": [d] * len(values), "asset": assets, "x": values}, schema_overrides={"x": pl.Float64}
    )
    y = pl.DataFrame(
        {"date": [d] * len(values), "asset": assets, "label": labels}, schema_overrides={"label": pl.Float64}
    )
    return f, y


def test_hand_checkable() -> None:
    f, y = _day([1.0, 2.0, 3.0], [0.1, 0.3, 0.2])
    # ranks (1,2,3) vs (1,3,2): 1 - 6 * (0 + 1 + 1) / (3 * 8) = 0.5
    assert ic_series(f, y, column="x", method="spearman")["ic"].to_list() == [pytest.approx(0.5)]
    # Pearson: x centred (-1,0,1), y centred (-0.1,0.1,0) -> 0.1 / sqrt(2 * 0.02) = 0.5
    assert ic_series(f, y, column="x")["ic"].to_list() == [pytest.approx(0.5)]


def test_missing_pairs_dropped_and_nan_equals_null() -> None:
    base = ic_series(*_day([1.0, 2.0, 3.0], [0.1, 0.3, 0.2]), column="x")["ic"][0]
    holes = _day([1.0, 2.0, None, 3.0, float("nan"), 9.0, float("inf")], [0.1, 0.3, 0.5, 0.2, 0.4, None, 1.0])
    assert ic_series(*holes, column="x")["ic"][0] == pytest.approx(base, rel=1e-14)


@pytest.mark.parametrize(
    ("values", "labels"),
    [
        ([1.0, None, None], [0.1, 0.2, 0.3]),  # one pair
        ([2.0, 2.0, 2.0], [0.1, 0.2, 0.3]),  # constant factor
        ([1.0, 2.0, 3.0], [0.2, 0.2, 0.2]),  # constant label
        ([None, None], [None, None]),  # nothing
    ],
)
def test_undefined_days_are_null_and_skipped(values: list[float | None], labels: list[float | None]) -> None:
    for method in ("pearson", "spearman"):
        out = ic_series(*_day(values, labels), column="x", method=method)  # type: ignore[arg-type]
        assert out.height == 1 and out["ic"].to_list() == [None]
    s = ic_summary(pl.Series([0.1, None, 0.3, float("nan")]))
    assert s["mean"] == pytest.approx(0.2) and s["n"] == 2 and s["hit_rate"] == 1.0


def test_invariants(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    factors, label = frames
    # label vs itself: 1 on every day with a non-constant label
    self_ic = ic_series(label, label, column="label")["ic"].drop_nulls()
    assert self_ic.len() == factors["date"].n_unique() - 1  # day 3 has a constant label
    np.testing.assert_allclose(self_ic.to_numpy(), 1.0, rtol=1e-12)
    # Rank IC is invariant to strictly increasing transforms of the factor
    monotone = factors.with_columns(
        (pl.col("f") ** 3).alias("cube"),
        (pl.col("f").exp() * 7 - 3).alias("affine_exp"),
        (-pl.col("f")).alias("neg"),
    )
    ric = ic_frame(monotone, label, columns=["f", "cube", "affine_exp", "neg"], method="spearman")
    np.testing.assert_allclose(as_nan(ric["cube"]), as_nan(ric["f"]), rtol=1e-12)
    np.testing.assert_allclose(as_nan(ric["affine_exp"]), as_nan(ric["f"]), rtol=1e-12)
    # sign flip negates IC and Rank IC
    np.testing.assert_allclose(as_nan(ric["neg"]), -as_nan(ric["f"]), rtol=1e-12)
    ic = ic_frame(monotone, label, columns=["f", "neg"])
    np.testing.assert_allclose(as_nan(ic["neg"]), -as_nan(ic["f"]), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(st.one_of(st.none(), st.integers(-64, 64).map(lambda v: v / 8)), min_size=0, max_size=12),
    y=st.lists(st.one_of(st.none(), st.integers(-64, 64).map(lambda v: v / 8)), min_size=12, max_size=12),
)
@example(x=[], y=[0.0] * 12)
@example(x=[1.0] * 12, y=[float(i) for i in range(12)])
def test_property_matches_scipy(x: list[float | None], y: list[float | None]) -> None:
    y = y[: len(x)]
    if not x:
        return
    f, lab = _day(x, y)
    got = ic_series(f, lab, column="x")["ic"][0]
    got_rank = ic_series(f, lab, column="x", method="spearman")["ic"][0]
    pairs = np.array(
        [(a, b) for a, b in zip(x, y, strict=True) if a is not None and b is not None], dtype=float
    )
    if len(pairs) < 2 or np.ptp(pairs[:, 0]) == 0 or np.ptp(pairs[:, 1]) == 0:
        assert got is None and got_rank is None
        return
    want = stats.pearsonr(pairs[:, 0], pairs[:, 1])[0]
    want_rank = stats.spearmanr(pairs[:, 0], pairs[:, 1])[0]
    assert -1.0 <= got <= 1.0
    if np.isfinite(want):
        assert got == pytest.approx(want, abs=1e-9)
    if np.isfinite(want_rank):
        assert got_rank == pytest.approx(want_rank, abs=1e-9)


def test_bad_input_errors() -> None:
    f, y = _day([1.0, 2.0], [0.1, 0.2])
    with pytest.raises(SchemaError, match="did you mean 'x'"):
        ic_series(f, y, column="X")
    with pytest.raises(SchemaError, match="'label'"):
        ic_series(f, y.rename({"label": "lable"}), column="x")
    with pytest.raises(SchemaError, match="'asset'"):
        ic_series(f.drop("asset"), y, column="x")
    with pytest.raises(SchemaError, match="expected a number"):
        ic_series(f.with_columns(pl.col("x").cast(pl.Utf8)), y, column="x")
    with pytest.raises(ConfigError, match="did you mean 'spearman'"):
        ic_series(f, y, column="x", method="spearmann")  # type: ignore[arg-type]


def test_chunked_kernel_calls_agree(
    frames: tuple[pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many pairs split over several kernel calls give the same numbers, in the order asked."""
    import rdq.signal._ic as ic_module

    factors, label = frames
    wide = factors.with_columns([(pl.col("f") * k + pl.col("g")).alias(f"c{k}") for k in range(6)])
    cols = ["f", "g", *[f"c{k}" for k in range(6)]]
    joined = ic_module.pair_frame(wide, label, cols)
    pairs = [(f"{x}~label", x, "label") for x in cols] + [("g~f", "g", "f"), ("c5~c1", "c5", "c1")]
    whole = ic_module.daily_corr(joined, pairs, method="spearman")
    monkeypatch.setattr(ic_module, "_CHUNK_COLUMNS", 3)
    assert len(ic_module._chunks(pairs)) > 2
    split = ic_module.daily_corr(joined, pairs, method="spearman")
    assert split.columns == whole.columns == ["date", *[p[0] for p in pairs]]
    for c in whole.columns[1:]:
        np.testing.assert_array_equal(as_nan(split[c]), as_nan(whole[c]))


def test_helper_frames_are_dense() -> None:
    f, _ = make_frames(n_days=3, n_assets=2)
    assert f.height == 6 and f["date"].n_unique() == 3


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_row_order_does_not_matter(frames: tuple[pl.DataFrame, pl.DataFrame], method: str) -> None:
    """Rows in date order take the no-gather path, shuffled rows the sorted one: the same daily numbers."""
    import rdq.signal._ic as ic_module

    factors, label = frames
    joined = ic_module.pair_frame(factors, label, ["f", "g"]).sort("date", "asset")
    pairs = [("f~label", "f", "label"), ("g~label", "g", "label")]
    ordered = ic_module.daily_corr(joined, pairs, method=method)  # type: ignore[arg-type]
    shuffled = ic_module.daily_corr(joined.sample(fraction=1.0, shuffle=True, seed=3), pairs, method=method)  # type: ignore[arg-type]
    assert not joined.sample(fraction=1.0, shuffle=True, seed=3)["date"].is_sorted()
    assert ordered["date"].to_list() == shuffled["date"].to_list()
    for c in ("f~label", "g~label"):
        np.testing.assert_allclose(as_nan(ordered[c]), as_nan(shuffled[c]), rtol=1e-12, atol=1e-15)
