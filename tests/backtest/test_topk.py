"""Top-k dropout: hand-checkable cases, no look-ahead, invariants and bad input."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from rdq.backtest import Exchange, TopkDropout, backtest_topk
from rdq.errors import ConfigError, DataError, SchemaError, ValidationError

from .conftest import random_scores, synthetic_panel

FREE = Exchange.us(open_cost=0.0, close_cost=0.0, min_cost=0.0)


def _dates(n: int) -> list[date]:
    return [date(2021, 1, 4) + timedelta(days=i) for i in range(n)]


def _panel(closes: dict[str, list[float]]) -> pl.DataFrame:
    days = _dates(len(next(iter(closes.values()))))
    rows = [
        {"date": d, "asset": a, "open": c, "high": c, "low": c, "close": c, "volume": 1e6}
        for a, cs in closes.items()
        for d, c in zip(days, cs, strict=True)
        if c is not None
    ]
    return pl.DataFrame(rows)


def _scores(table: dict[str, list[float]]) -> pl.DataFrame:
    days = _dates(len(next(iter(table.values()))))
    return pl.DataFrame(
        [{"date": d, "asset": a, "score": s} for a, ss in table.items() for d, s in zip(days, ss, strict=True)]
    )


def test_hand_checked_returns_and_costs() -> None:
    panel = _panel({"A": [10, 10, 11, 11], "B": [20, 20, 20, 22], "C": [5, 5, 5, 5]})
    scores = _scores({"A": [3, 1, 1, 1], "B": [2, 3, 3, 3], "C": [1, 2, 2, 2]})
    ex = Exchange.us(open_cost=0.001, close_cost=0.002, min_cost=5.0)
    rec = backtest_topk(panel, scores, TopkDropout(topk=1, n_drop=1), exchange=ex, account=1e6).records
    # day 1 (2021-01-05): buy A with 95% of cash at 10, cost 0.1% of 950000
    assert rec["date"][0] == date(2021, 1, 5)
    assert rec["cost"][0] == pytest.approx(950.0 / 1e6)
    assert rec["turnover"][0] == pytest.approx(0.95)
    assert rec["account"][0] == pytest.approx(1e6 - 950.0)
    assert rec["return"][0] == pytest.approx(0.0, abs=1e-15)
    # day 2: scores of day 1 prefer B: sell A at 11 (+10% on 95000 shares), buy B with 95% of the cash
    a_shares = 950000 / 10
    proceeds = a_shares * 11
    sell_cost = proceeds * 0.002
    cash = 1e6 - 950000 - 950 + proceeds - sell_cost
    buy_val = cash * 0.95
    acct2 = cash - buy_val - buy_val * 0.001 + buy_val  # B marked at its buy price (close)
    assert rec["account"][1] == pytest.approx(acct2, rel=1e-12)
    assert rec["return"][1] == pytest.approx(a_shares * 1 / rec["account"][0], rel=1e-12)
    # day 3: hold B, which rises 10%
    assert rec["return"][2] == pytest.approx(buy_val / 20 * 2 / acct2, rel=1e-12)
    assert rec["cost"][2] == 0 and rec["turnover"][2] == 0


def test_lot_rounding_uses_the_factor() -> None:
    panel = _panel({"A": [10, 10, 10], "B": [10, 10, 10]}).with_columns(factor=pl.lit(0.5))
    scores = _scores({"A": [2, 2, 2], "B": [1, 1, 1]})
    ex = Exchange.cn(open_cost=0.0, close_cost=0.0, min_cost=0.0, limit_threshold=None)
    rec = backtest_topk(panel, scores, TopkDropout(topk=1, n_drop=1), exchange=ex, account=12345.0).records
    # 95% of 12345 = 11727.75 -> 1172.775 adjusted shares; a lot is 100 / 0.5 = 200 adjusted shares
    assert rec["value"][0] == pytest.approx(1000 * 10)


def test_suspended_holding_is_kept_at_last_price_and_not_sold() -> None:
    panel = _panel({"A": [10, 10, None, None, 12], "B": [10, 10, 10, 10, 10], "C": [10] * 5})
    scores = _scores({"A": [3, 0, 0, 0, 0], "B": [2, 3, 3, 3, 3], "C": [1, 2, 2, 2, 2]})
    rec = backtest_topk(panel, scores, TopkDropout(topk=1, n_drop=1), exchange=FREE, account=1e6).records
    # A bought day 1; day 2 A is suspended: its sell fails but B is still bought (qlib counts the intended
    # sell), so 2 names are held; day 3 A still suspended: nothing trades; day 4 A is sold at 12
    assert rec["n_trades"].to_list() == [1, 1, 0, 1]
    assert rec["n_held"].to_list() == [1, 2, 2, 1]
    assert rec["account"][1] == rec["account"][2] == rec["account"][0]
    assert rec["return"][3] == pytest.approx(950000 / 10 * 2 / 1e6)


def test_limit_up_blocks_the_buy() -> None:
    panel = _panel({"A": [10, 11, 11], "B": [10, 10, 10]})  # A +10% on day 1
    scores = _scores({"A": [3, 3, 3], "B": [1, 1, 1]})
    rec = backtest_topk(
        panel, scores, TopkDropout(topk=1, n_drop=1), exchange=Exchange.cn(limit_threshold=0.095), account=1e6
    ).records
    assert rec["n_trades"].to_list() == [0, 1]  # blocked on day 1, bought on day 2
    rec = backtest_topk(panel, scores, TopkDropout(topk=1, n_drop=1), exchange=FREE, account=1e6).records
    assert rec["n_trades"].to_list() == [1, 0]


def test_invariants_on_synthetic_panel() -> None:
    panel = synthetic_panel(_dates(120), n_assets=25)
    scores = random_scores(panel, seed=3, missing=0.1)
    rec = backtest_topk(panel, scores, TopkDropout(topk=8, n_drop=2), exchange=Exchange.cn(), account=1e7).records
    acct = rec["account"].to_numpy()
    prev = np.concatenate([[1e7], acct[:-1]])
    # account identity: account_t = account_{t-1} * (1 + return - cost)
    np.testing.assert_allclose(acct, prev * (1 + rec["return"].to_numpy() - rec["cost"].to_numpy()), rtol=1e-12)
    np.testing.assert_allclose(acct, rec["cash"].to_numpy() + rec["value"].to_numpy(), rtol=1e-12)
    assert (rec["cash"] >= 0).all()
    assert rec["n_held"].max() <= 8 + 2  # failed sells can keep a few extra names
    assert (rec["cost"] >= 0).all() and (rec["turnover"] >= 0).all()


def test_no_lookahead() -> None:
    """Records up to day k do not change when everything after k is removed."""
    panel = synthetic_panel(_dates(100), n_assets=15)
    scores = random_scores(panel, seed=9)
    full = backtest_topk(panel, scores, TopkDropout(topk=5, n_drop=2), account=1e7).records
    cut = _dates(100)[60]
    part = backtest_topk(
        panel.filter(pl.col("date") <= cut), scores.filter(pl.col("date") <= cut), TopkDropout(topk=5, n_drop=2), account=1e7
    ).records
    assert part.height == full.filter(pl.col("date") <= cut).height
    assert part.equals(full.head(part.height))


def test_scores_of_a_missing_day_mean_no_trade(caplog: pytest.LogCaptureFixture) -> None:
    panel = _panel({"A": [10, 10, 10, 10], "B": [10, 10, 10, 10]})
    scores = _scores({"A": [2, 1, None, 1], "B": [1, 2, None, 2]}).with_columns(pl.col("score").fill_null(np.nan))
    with caplog.at_level(logging.INFO):
        rec = backtest_topk(panel, scores, TopkDropout(topk=1, n_drop=1), exchange=FREE, account=1e6).records
    assert rec["n_trades"].to_list() == [1, 2, 0]


# ---------------------------------------------------------------- bad input


@pytest.fixture()
def small() -> tuple[pl.DataFrame, pl.DataFrame]:
    panel = _panel({"AAA": [10, 10, 10], "BBB": [10, 11, 12]})
    return panel, _scores({"AAA": [1, 2, 3], "BBB": [3, 2, 1]})


def test_duplicate_scores(small: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, scores = small
    with pytest.raises(ValidationError, match=r"row 7.*duplicate score for asset 'AAA'"):
        backtest_topk(panel, pl.concat([scores, scores.head(1)]), TopkDropout(topk=1, n_drop=1))


def test_score_dates_outside_the_panel(small: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, scores = small
    late = scores.with_columns(pl.col("date") + timedelta(days=30))
    with pytest.raises(DataError, match="outside the panel"):
        backtest_topk(panel, late, TopkDropout(topk=1, n_drop=1))


def test_score_assets_missing_from_the_panel(small: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, scores = small
    bad = scores.with_columns(pl.when(pl.col("asset") == "BBB").then(pl.lit("BBX")).otherwise(pl.col("asset")).alias("asset"))
    with pytest.raises(DataError, match=r"'BBX'.*did you mean 'BBB'"):
        backtest_topk(panel, bad, TopkDropout(topk=1, n_drop=1))


def test_all_nan_scores(small: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, scores = small
    with pytest.raises(DataError, match="every score is missing"):
        backtest_topk(panel, scores.with_columns(score=pl.lit(None, pl.Float64)), TopkDropout(topk=1, n_drop=1))


def test_missing_score_column(small: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, scores = small
    with pytest.raises(SchemaError, match="score"):
        backtest_topk(panel, scores.rename({"score": "pred"}), TopkDropout(topk=1, n_drop=1))


def test_topk_larger_than_universe(small: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, scores = small
    with pytest.raises(ConfigError, match="larger than the universe"):
        backtest_topk(panel, scores, TopkDropout(topk=3, n_drop=1))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"open_cost": -0.001}, "open_cost"),
        ({"min_cost": -1.0}, "min_cost"),
        ({"trade_unit": 0}, "trade_unit"),
        ({"limit_threshold": -0.1}, "limit_threshold"),
    ],
)
def test_bad_exchange(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Exchange(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"topk": 0}, {"n_drop": 0}, {"hold_thresh": -1}, {"risk_degree": 1.5}])
def test_bad_strategy(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        TopkDropout(**kwargs)  # type: ignore[arg-type]


def test_unknown_benchmark(small: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    panel, scores = small
    with pytest.raises(ConfigError, match="did you mean 'AAA'"):
        backtest_topk(panel, scores, TopkDropout(topk=1, n_drop=1), benchmark="AAB")


@pytest.mark.parametrize("seed", range(40))
def test_candidate_buffer_matches_a_full_stable_sort(seed: int) -> None:
    """The bounded insertion buffer picks exactly qlib's get_first_n of the sorted candidates (ties included)."""
    from rdq.backtest._topk import _candidates

    rng = np.random.default_rng(seed)
    n_assets = int(rng.integers(1, 40))
    s = rng.integers(-3, 4, n_assets).astype(float)  # many ties
    s[rng.random(n_assets) < 0.2] = np.nan
    held = rng.random(n_assets) < 0.3
    close = np.where(rng.random((1, n_assets)) < 0.2, np.nan, 1.0)
    lb = rng.random((1, n_assets)) < 0.2
    ls = rng.random((1, n_assets)) < 0.2
    cand = [i for i in range(n_assets) if not held[i] and not np.isnan(s[i])]
    cand.sort(key=lambda i: -s[i])  # stable: ties keep name order
    for only_tradable in (False, True):
        for n in (-3, -1, 0, 1, 2, 5, 50):
            if only_tradable:  # qlib's get_first_n with the tradable filter
                ref: list[int] = []
                for i in cand:
                    if not np.isnan(close[0, i]) and not lb[0, i] and not ls[0, i]:
                        ref.append(i)
                        if len(ref) >= n:
                            break
            else:
                ref = cand[:n]
            got = _candidates(s, held, n, only_tradable, close, lb, ls, 0).tolist()
            assert got == ref, (only_tradable, n)
