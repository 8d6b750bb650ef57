"""The target-weights engine and the vectorbt bridge agree (real vectorbt), when min fee and lots are off."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rdq.backtest import Exchange, backtest_weights, to_vectorbt, weights_from_scores
from rdq.errors import ConfigError


def _market(n_days: int, n_assets: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    days = np.array([date(2022, 1, 3) + timedelta(days=i) for i in range(n_days)], dtype="datetime64[D]")
    close = 30 * np.exp(np.cumsum(rng.normal(0, 0.03, (n_days, n_assets)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.01, close.shape))
    panel = pl.DataFrame(
        {
            "date": np.repeat(days, n_assets),
            "asset": np.tile([f"X{i}" for i in range(n_assets)], n_days),
            "open": open_.ravel(),
            "high": np.maximum(open_, close).ravel(),
            "low": np.minimum(open_, close).ravel(),
            "close": close.ravel(),
            "volume": np.full(n_days * n_assets, 1e6),
        }
    )
    scores = panel.select("date", "asset").with_columns(score=pl.Series(rng.standard_normal(panel.height)))
    return panel, scores


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_days=st.integers(3, 40),
    n_assets=st.integers(2, 7),
    seed=st.integers(0, 10_000),
    short=st.booleans(),
    weighting=st.sampled_from(["equal", "score"]),
    fee=st.sampled_from([0.0, 0.0005, 0.003]),
    deal=st.sampled_from(["close", "open"]),
    every=st.integers(1, 3),
)
@example(n_days=3, n_assets=2, seed=0, short=False, weighting="equal", fee=0.0, deal="close", every=1)
def test_weights_engine_agrees_with_vectorbt(
    n_days: int, n_assets: int, seed: int, short: bool, weighting: str, fee: float, deal: str, every: int
) -> None:
    panel, scores = _market(n_days, n_assets, seed)
    long = max(1, n_assets // 3)
    weights = weights_from_scores(scores, long=long, short=long if short and n_assets >= 2 * long else 0,
                                  weighting=weighting)  # type: ignore[arg-type]
    days = weights["date"].unique().sort()[::every]
    weights = weights.filter(pl.col("date").is_in(days.implode()))  # rebalance every `every` days
    ex = Exchange.us(open_cost=fee, close_cost=fee, min_cost=0.0, deal_price=deal)  # type: ignore[arg-type]
    mine = backtest_weights(panel, weights, exchange=ex, account=1e6).records
    pf = to_vectorbt(panel, weights, exchange=ex, account=1e6)
    value = pf.value().to_numpy()
    np.testing.assert_allclose(mine["account"].to_numpy(), value, rtol=1e-9)
    np.testing.assert_allclose(mine["return"] - mine["cost"], pf.returns().to_numpy(), rtol=1e-7, atol=1e-12)


def test_bridge_refuses_what_vectorbt_cannot_do() -> None:
    panel, scores = _market(10, 4, 1)
    weights = weights_from_scores(scores, long=2)
    with pytest.raises(ConfigError, match="no minimum fee"):
        to_vectorbt(panel, weights, exchange=Exchange.us(min_cost=5.0))
    with pytest.raises(ConfigError, match="no lot rounding"):
        to_vectorbt(panel, weights, exchange=Exchange.cn(min_cost=0.0, limit_threshold=None))
    pf = to_vectorbt(panel, weights, exchange=Exchange.us(min_cost=5.0), allow_mismatch=True)
    assert len(pf.value()) == 9


def test_weights_with_min_cost_and_lots_differ_from_vectorbt_only_by_those() -> None:
    """rdq applies max(rate * value, min_cost) and lots; the costs it reports are at least the minimum."""
    panel, scores = _market(30, 5, 2)
    weights = weights_from_scores(scores, long=2)
    rec = backtest_weights(panel, weights, exchange=Exchange.us(min_cost=5.0), account=1e5).records
    traded = rec.filter(pl.col("n_trades") > 0)
    assert (traded["cost"] * 1e5 >= 5.0 * traded["n_trades"] * 0.99).all()


def test_weights_from_scores_legs() -> None:
    _, scores = _market(3, 6, 3)
    w = weights_from_scores(scores, long=2, short=2, gross=2.0)
    per_day = w.group_by("date").agg(
        pl.col("weight").filter(pl.col("weight") > 0).sum().alias("long"),
        pl.col("weight").filter(pl.col("weight") < 0).sum().alias("short"),
        pl.len().alias("n"),
    )
    assert (per_day["n"] == 4).all()
    np.testing.assert_allclose(per_day["long"], 1.0)
    np.testing.assert_allclose(per_day["short"], -1.0)
    with pytest.raises(ConfigError):
        weights_from_scores(scores, long=0)


def test_ties_in_order_value_follow_vectorbt() -> None:
    """New names of an equal-weight book have equal order values; the partial fill lands where vectorbt's does."""
    panel, scores = _market(40, 60, 5)
    weights = weights_from_scores(scores, long=10)
    ex = Exchange.us(open_cost=0.0005, close_cost=0.0005, min_cost=0.0)
    mine = backtest_weights(panel, weights, exchange=ex, account=1e8).records
    value = to_vectorbt(panel, weights, exchange=ex, account=1e8).value().to_numpy()
    np.testing.assert_allclose(mine["account"].to_numpy(), value, rtol=1e-12)
