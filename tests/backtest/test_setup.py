"""The setup both engines share (rdq/backtest/_setup.py): deal prices, limits, benchmark, account."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from rdq.backtest import Exchange, Market, backtest_topk, backtest_weights
from rdq.backtest._setup import benchmark_index, check_account, deal_prices, limits, prepare
from rdq.errors import ConfigError

D = [dt.date(2021, 1, 4), dt.date(2021, 1, 5), dt.date(2021, 1, 6)]


def _panel() -> pl.DataFrame:
    # asset B: open missing on day 1, open 0 (<= 1e-8) on day 2; close moves +10%, -10%
    return pl.DataFrame(
        {
            "date": D * 2,
            "asset": ["A"] * 3 + ["B"] * 3,
            "open": [10.0, 10.5, 11.0, 20.0, None, 0.0],
            "high": [10.6, 11.0, 11.5, 20.5, 22.5, 20.5],
            "low": [9.9, 10.4, 10.9, 19.5, 21.5, 19.5],
            "close": [10.0, 10.2, 10.4, 20.0, 22.0, 19.8],
            "volume": [1e6] * 6,
        }
    )


def test_deal_prices_fall_back_to_close() -> None:
    m = Market.from_panel(_panel())
    assert deal_prices(m, Exchange.us(deal_price="close")) is m.close
    px = deal_prices(m, Exchange.us(deal_price="open"))
    # columns: A, B; B's missing and zero opens become its closes (qlib's fallback)
    np.testing.assert_array_equal(px, [[10.0, 20.0], [10.5, 22.0], [11.0, 19.8]])


def test_limits() -> None:
    m = Market.from_panel(_panel())
    lim_buy, lim_sell = limits(m, Exchange.cn(limit_threshold=0.095))
    # B's change: NaN, +10%, -10%; A's: NaN, +2%, +1.96%
    np.testing.assert_array_equal(lim_buy, [[False, False], [False, True], [False, False]])
    np.testing.assert_array_equal(lim_sell, [[False, False], [False, False], [False, True]])
    no_buy, no_sell = limits(m, Exchange.us())
    assert not no_buy.any() and not no_sell.any() and no_buy.shape == (3, 2)


def test_benchmark_and_account_are_checked_up_front() -> None:
    m = Market.from_panel(_panel())
    assert benchmark_index(m, None) is None and benchmark_index(m, "B") == 1
    with pytest.raises(ConfigError, match="benchmark 'BB' is not in the panel.*did you mean 'B'"):
        benchmark_index(m, "BB")
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="account must be a positive amount"):
            check_account(bad)
    s = prepare(m, Exchange.cn(), account=1e6, benchmark="A")
    assert s.market is m and s.bench_asset == 0 and s.account == 1e6


@pytest.mark.parametrize("engine", ["topk", "weights"])
def test_both_engines_share_the_checks(engine: str) -> None:
    panel = _panel()
    frame = panel.select("date", "asset").with_columns(pl.lit(1.0).alias("score"), pl.lit(0.5).alias("weight"))

    def run(**kw: object) -> object:
        if engine == "topk":
            from rdq.backtest import TopkDropout

            return backtest_topk(panel, frame, TopkDropout(topk=1, n_drop=1), exchange=Exchange.us(), **kw)  # type: ignore[arg-type]
        return backtest_weights(panel, frame, **kw)  # type: ignore[arg-type]

    with pytest.raises(ConfigError, match="did you mean 'A'"):
        run(benchmark="AA")
    with pytest.raises(ConfigError, match="account must be a positive"):
        run(account=0.0)
    res = run(benchmark="B")
    bench = res.records["bench"].to_list()  # type: ignore[attr-defined]
    assert bench == pytest.approx([22.0 / 20.0 - 1, 19.8 / 22.0 - 1])  # the days after the first signal
