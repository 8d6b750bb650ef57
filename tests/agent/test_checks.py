"""rdq.agent._checks: the debug slice, each check of a factor candidate (runs, coverage, finite, look-ahead,
duplicate by value, copy by tree) and the train-span screen, on a small synthetic market."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import spearmanr

from rdq.agent._checks import CheckConfig, check_factor, debug_slice, screen_factors
from rdq.agent._types import Branch, Candidate, CheckResult, FactorTask
from rdq.factors import compute, load_library
from rdq.metrics import Metric

BASE = load_library("base20")
CFG = CheckConfig(debug_assets=25, debug_days=150, seed=0)


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    from rdq.data import synth_market

    return synth_market(n_assets=40, n_days=300, seed=0).panel


@pytest.fixture(scope="module")
def sl(panel: pl.DataFrame) -> pl.DataFrame:
    return debug_slice(panel, config=CFG)


@pytest.fixture(scope="module")
def ref(sl: pl.DataFrame) -> pl.DataFrame:
    """The base factors' values on the slice, as the loop computes its reference."""
    return compute(sl, BASE, missing="skip")


def cand(expr: str, name: str = "cand") -> Candidate:
    return Candidate(name, Branch.FACTOR, expr, expr, FactorTask(name, "", expression=expr))


def by_name(results: tuple[CheckResult, ...]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


def run(
    expr: str, sl: pl.DataFrame, ref: pl.DataFrame | None, cfg: CheckConfig = CFG, **kw
) -> dict[str, CheckResult]:
    return by_name(check_factor(cand(expr), sl, reference_values=ref, config=cfg, **kw))


# ------------------------------------------------------------------ the debug slice
def test_debug_slice(panel: pl.DataFrame, sl: pl.DataFrame) -> None:
    assert sl["asset"].n_unique() == 25
    assert sl["date"].n_unique() == 150
    assert sl["date"].max() == panel["date"].max()
    assert sl["date"].min() == panel["date"].unique().sort()[-150]
    assert sl.height == 25 * 150
    assert sl.equals(sl.sort(["asset", "date"]))
    assert sl.equals(debug_slice(panel, config=CFG))  # seeded
    other = debug_slice(panel, config=CheckConfig(debug_assets=25, debug_days=150, seed=1))
    assert set(other["asset"]) != set(sl["asset"])
    # a panel cut to the train span: the slice never reaches past it
    cut = panel["date"].unique().sort()[200]
    train = debug_slice(panel.filter(pl.col("date") <= cut), config=CFG)
    assert train["date"].max() == cut


# ------------------------------------------------------------------ a good candidate passes, failures never raise
def test_good_novel_expression_passes_every_check(sl: pl.DataFrame, ref: pl.DataFrame) -> None:
    got = run("Corr($close, Log($volume+1), 10)", sl, ref, reference_exprs=BASE)
    assert list(got) == ["runs", "coverage", "finite", "varies", "lookahead", "duplicate", "copy"]
    assert all(r.passed for r in got.values()), got


def test_a_failing_expression_is_a_result_not_an_exception(sl: pl.DataFrame, ref: pl.DataFrame) -> None:
    for expr, words in (
        ("Foo($close)", "unknown operator"),
        ("Mean($close, $open)", "window"),
        ("$nosuchfield + 1", "nosuchfield"),
        ("Mean($close,", ""),
    ):
        out = check_factor(cand(expr), sl, reference_values=ref, config=CFG)
        assert len(out) == 1 and out[0].name == "runs" and not out[0].passed
        assert words in out[0].detail and len(out[0].detail) <= 500


# ------------------------------------------------------------------ look-ahead
@pytest.mark.parametrize("expr", ["Ref($close,-1)", "Ref($close,-1)/$close - 1", "Mean(Ref($close, -2), 5)"])
def test_lookahead_fails_the_truncation_check(sl: pl.DataFrame, ref: pl.DataFrame, expr: str) -> None:
    got = run(expr, sl, ref)
    assert got["runs"].passed
    assert not got["lookahead"].passed
    assert "looks ahead" in got["lookahead"].detail


def test_lookahead_check_can_be_switched_off(sl: pl.DataFrame) -> None:
    cfg = CheckConfig(debug_assets=25, debug_days=150, lookahead=False)
    assert "lookahead" not in run("Ref($close,-1)", sl, None, cfg)


# ------------------------------------------------------------------ duplicates
def test_value_duplicate_of_a_base_factor_is_named(sl: pl.DataFrame, ref: pl.DataFrame) -> None:
    """MA10 is Mean($close, 10)/$close: a 12-day version has rank correlation > 0.7 with it."""
    got = run("Mean($close, 12)/$close", sl, ref)
    assert not got["duplicate"].passed
    assert got["duplicate"].detail.startswith("duplicate of MA10")
    # the inverse is the same ranking upside down: |corr| counts
    inv = run("$close/Mean($close, 12)", sl, ref)
    assert not inv["duplicate"].passed and "MA10" in inv["duplicate"].detail
    # the bound is configurable
    loose = CheckConfig(debug_assets=25, debug_days=150, dup_corr=0.995)
    assert run("Mean($close, 12)/$close", sl, ref, loose)["duplicate"].passed


def test_duplicate_correlation_by_hand(sl: pl.DataFrame, ref: pl.DataFrame) -> None:
    expr = "Mean($close, 12)/$close"
    x = compute(sl, {"x": expr}).join(ref.select("date", "asset", "MA10"), on=["date", "asset"])
    daily = []
    for _, g in x.group_by("date"):
        a, b = g["x"].to_numpy(), g["MA10"].to_numpy()
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.sum() > 2 and np.ptp(a[ok]) > 0 and np.ptp(b[ok]) > 0:  # a constant day has no correlation
            daily.append(spearmanr(a[ok], b[ok]).statistic)
    detail = run(expr, sl, ref)["duplicate"].detail
    assert f"max |rank corr| {abs(np.mean(daily)):.2f} with MA10" in detail


def test_no_reference_no_duplicate(sl: pl.DataFrame) -> None:
    got = run("Mean($close, 12)/$close", sl, None)
    assert got["duplicate"].passed and got["duplicate"].detail == "no reference factor"


def test_structural_copy_with_low_value_correlation(sl: pl.DataFrame, ref: pl.DataFrame) -> None:
    """A 5-day time-series rank of MA10 shares MA10's whole tree (5 of 7 nodes) but not its values: only the
    expression-tree check catches it."""
    got = run("Rank(Mean($close, 10)/$close, 5)", sl, ref, reference_exprs=BASE)
    assert got["duplicate"].passed
    assert not got["copy"].passed and got["copy"].detail.startswith("copy of MA10")
    assert "copy" not in run("Rank(Mean($close, 10)/$close, 5)", sl, ref)  # no expressions: not checked


# ------------------------------------------------------------------ coverage and finite share
def test_too_many_nans_fail_the_finite_share(sl: pl.DataFrame, ref: pl.DataFrame) -> None:
    """log of a quantity that is negative about half the time: NaN on half the rows."""
    expr = "Log($close - Mean($close, 5))"
    got = run(expr, sl, ref)
    assert got["runs"].passed
    assert not got["finite"].passed
    vals = compute(sl, {"x": expr})
    later = vals.filter(pl.col("date") >= sl["date"].unique().sort()[5])["x"].to_numpy()
    share = np.isfinite(later).mean()
    assert 0.3 < share < 0.7
    assert got["finite"].detail.startswith(f"{share:.0%} finite")


def test_a_long_lookback_is_not_a_defect(sl: pl.DataFrame) -> None:
    """Ref($close, 60) has no value on the slice's first 60 days by construction (40% of 150): the base factor
    ROC60 itself must pass coverage and finite."""
    got = run(BASE["ROC60"], sl, None)
    assert got["coverage"].passed and got["finite"].passed, got


def test_every_base_factor_passes_on_the_default_slice(panel: pl.DataFrame) -> None:
    cfg = CheckConfig()  # 50 assets (all 40 here), the last 250 days
    s = debug_slice(panel, config=cfg)
    assert s["date"].n_unique() == 250
    for name, expr in BASE.items():
        got = by_name(check_factor(cand(expr, name), s, reference_values=None, config=cfg))
        assert all(r.passed for r in got.values()), (name, got)


def test_assets_without_values_count_against_the_finite_share(sl: pl.DataFrame) -> None:
    """Coverage forgives leading nulls (an asset's warm-up); an asset with no value at all is not warm-up."""
    assets = sorted(sl["asset"].unique())
    dead = set(assets[:15])  # 15 of 25 assets have no close
    broken = sl.with_columns(
        pl.when(pl.col("asset").is_in(dead)).then(None).otherwise(pl.col("close")).alias("close")
    )
    got = run("$close/$open", broken, None)
    assert not got["finite"].passed
    assert got["finite"].detail.startswith("40% finite")


def test_coverage_fails_when_values_are_missing_after_the_warmup(sl: pl.DataFrame) -> None:
    """Values that vanish after an asset's first value are missing coverage, whatever the warm-up."""
    days = sl["date"].unique().sort()
    holes = sl.with_columns(
        pl.when(pl.col("date").is_in(days[10::2].to_list()))
        .then(None)
        .otherwise(pl.col("open"))
        .alias("open")
    )
    got = run("$close/$open", holes, None)
    assert not got["coverage"].passed
    assert "of the rows after the" in got["coverage"].detail
    assert run("$close/$open", sl, None)["coverage"].passed


# ------------------------------------------------------------------ the screen
def test_screen_scores_good_and_isolates_bad_expressions(panel: pl.DataFrame) -> None:
    from rdq.data._synth import LABEL_EXPR

    label = compute(panel, {"label": LABEL_EXPR})
    dates = panel["date"].unique().sort()
    span = (dates[100], dates[-3])
    exprs = {"roc5": "Ref($close, 5)/$close", "bad": "Foo($close)", "kmid": "($close-$open)/$open"}
    out = screen_factors(panel, exprs, label=label, dates=span)
    assert out["bad"] is None
    for k in ("roc5", "kmid"):
        v = out[k]
        assert v is not None and set(v) == {Metric.IC.value, Metric.RANK_IC.value}
        assert all(math.isfinite(x) for x in v.values())
    # rank IC by hand: the mean over days in the span of the cross-sectional Spearman correlation
    x = (
        compute(panel, {"f": exprs["roc5"]})
        .join(label, on=["date", "asset"])
        .filter(pl.col("date").is_between(*span))
    )
    daily = []
    for _, g in x.group_by("date"):
        a, b = g["f"].to_numpy(), g["label"].to_numpy()
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.sum() > 2 and np.ptp(a[ok]) > 0 and np.ptp(b[ok]) > 0:  # a constant day has no correlation
            daily.append(spearmanr(a[ok], b[ok]).statistic)
    assert out["roc5"][Metric.RANK_IC.value] == pytest.approx(np.mean(daily), abs=1e-9)


def test_novelty_is_the_max_reference_correlation(sl: pl.DataFrame, ref: pl.DataFrame) -> None:
    from rdq.agent._checks import novelty

    exprs = ["Mean($close, 12)/$close", "Corr($close, Log($volume+1), 10)", "Foo($close)"]
    dup, new, bad = novelty(sl, ref, exprs)
    assert bad is None
    assert dup is not None and dup > 0.9
    assert new is not None and new < 0.7
    # the same number the duplicate check reports
    assert f"max |rank corr| {dup:.2f} with MA10" in run(exprs[0], sl, ref)["duplicate"].detail
    assert novelty(sl, None, exprs) == [0.0, 0.0, 0.0]


def test_candidates_of_one_round_are_compared_with_each_other(sl: pl.DataFrame) -> None:
    from rdq.agent._checks import same_round_copies

    exprs = ["Mean($close,5)/$close", "Std($volume,20)/Mean($volume,20)", "2*Mean($close,5)/$close+1",
             "Mean($close,5)/$close*3"]  # fmt: skip
    got = same_round_copies(sl, exprs, 0.7)
    assert got[0] is None and got[1] is None
    assert got[2] is not None and got[2][0] == 0 and got[2][1] == pytest.approx(1.0)
    assert got[3] is not None and got[3][0] == 0  # compared with kept candidates only, the first of its group
    assert same_round_copies(sl, exprs[:2], 0.7) == [None, None]


@pytest.mark.parametrize("expr", ["Corr(Sub($close,1.2145),Sub($close,0.816),10)", "Sign($close)", "$close/$close"])
def test_a_numerical_constant_fails_varies_and_the_screen(sl: pl.DataFrame, ref: pl.DataFrame, expr: str) -> None:
    checks = run(expr, sl, ref)
    assert not checks["varies"].passed and "0% of the days" in checks["varies"].detail
    from rdq.signal import default_label

    got = screen_factors(sl, {"c": expr}, label=default_label(sl), dates=(sl["date"].min(), sl["date"].max()))
    assert got["c"] is None


def test_screening_computes_only_the_history_it_needs() -> None:
    """The screen computes from look-back + SCREEN_EXTRA_DAYS before its span: the same Rank IC as on the whole
    panel for finite windows (to rounding), and the whole panel for an expanding (0-day) window."""
    import rdq.agent._checks as checks
    from rdq.data import synth_market
    from rdq.signal import default_label

    panel = synth_market(n_assets=40, n_days=700, seed=2).panel
    label = default_label(panel)
    dates = panel["date"].unique().sort()
    span = (dates[450], dates[600])
    assert checks._screen_rows(panel, ["Mean($close,20)"], span[0])["date"].min() == dates[450 - 20 - 120]
    assert checks._screen_rows(panel, ["Mean($close,0)"], span[0]).height == panel.height
    assert checks._screen_rows(panel, ["Ref(Mean($close,200),200)"], span[0]).height == panel.height
    exprs = {"a": "Mean($close,20)/$close", "b": "Corr($close,$volume,10)", "c": "Ref($close,5)/$close-1"}
    trimmed = checks.screen_factors(panel, exprs, label=label, dates=span)
    old = checks.SCREEN_EXTRA_DAYS
    try:
        checks.SCREEN_EXTRA_DAYS = 10**6
        whole = checks.screen_factors(panel, exprs, label=label, dates=span)
    finally:
        checks.SCREEN_EXTRA_DAYS = old
    for k in exprs:
        assert trimmed[k] is not None and whole[k] is not None
        assert abs(trimmed[k]["rank_ic"] - whole[k]["rank_ic"]) < 1e-9, k
