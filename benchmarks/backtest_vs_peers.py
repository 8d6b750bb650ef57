"""Time rdq's backtests against qlib and vectorbt on the same scores and data, in one process.

Run:  .venv/bin/python benchmarks/backtest_vs_peers.py [--assets 3000 --days 2500 --qlib-subset 300x250]

1. The shared S&P 500 file (505 assets x 1,259 days): top-50 dropout 5, CN rules (lots of 100, 9.5%
   limits, 5 / 15 bps, min 5), random scores. qlib's ``backtest_daily`` + ``TopkDropoutStrategy`` vs
   rdq's ``backtest_topk`` on the same qlib-format data; the records must be identical (max relative
   difference printed). Then the same rebalancing as target weights (top 50 equal weight, every day)
   through vectorbt's ``Portfolio.from_orders`` (JIT warmed first) vs rdq's ``backtest_weights``.
2. A synthetic market of ``--assets`` x ``--days``: rdq top-k and weights engines vs vectorbt; qlib only
   on a ``--qlib-subset`` slice (qlib on the full size would take hours), with rdq on the same slice.

rdq is timed warm (numba JIT compiled by a first call) as the best of ``--repeat`` runs, both end to
end (polars panel + scores in, records out) and for the engine alone (dense arrays prebuilt).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from _data import add_data_option, data_path, load_bench_panel  # benchmarks/_data.py

from rdq.backtest import (
    Exchange,
    Market,
    TopkDropout,
    backtest_topk,
    backtest_weights,
    vectorbt_inputs,
    weights_from_scores,
)
from rdq.data.qlib_bin import read_qlib_dir, write_qlib_dir
from rdq.data.schema import normalize_panel

FIELDS = ["open", "high", "low", "close", "volume", "factor", "change"]


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def random_scores(panel: pl.DataFrame, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return panel.select("date", "asset").with_columns(score=pl.Series(rng.standard_normal(panel.height)))


def synthetic(n_assets: int, n_days: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2010-01-04", periods=n_days).to_numpy().astype("datetime64[D]")
    rets = rng.normal(0.0003, 0.02, (n_days, n_assets)).astype(np.float32)
    close = (20.0 * np.exp(np.cumsum(np.log1p(rets), axis=0))).astype(np.float32).astype(np.float64)
    open_ = (close * np.exp(rng.normal(0, 0.005, close.shape))).astype(np.float32).astype(np.float64)
    frame = pl.DataFrame(
        {
            "date": np.repeat(days, n_assets),
            "asset": np.tile(np.array([f"S{i:04d}" for i in range(n_assets)]), n_days),
            "open": open_.ravel(),
            "high": np.maximum(open_, close).ravel(),
            "low": np.minimum(open_, close).ravel(),
            "close": close.ravel(),
            "volume": np.full(n_days * n_assets, 1e6),
        }
    )
    return normalize_panel(frame)


def qlib_backtest(
    folder: Path, scores: pl.DataFrame, strategy: TopkDropout, exchange: Exchange, start: Any, end: Any,
    account: float, benchmark: str,
) -> pl.DataFrame:
    import qlib
    from qlib.contrib.evaluate import backtest_daily
    from qlib.contrib.strategy import TopkDropoutStrategy

    qlib.init(provider_uri=str(folder), region="us", kernels=1)
    frame = scores.to_pandas()
    index = pd.MultiIndex.from_arrays([pd.to_datetime(frame["date"]), frame["asset"]], names=["datetime", "instrument"])
    strat = TopkDropoutStrategy(signal=pd.Series(frame["score"].to_numpy(), index=index), **strategy.qlib_kwargs())
    report, _ = backtest_daily(
        start_time=str(start), end_time=str(end), strategy=strat, account=account, benchmark=benchmark,
        exchange_kwargs=exchange.qlib_kwargs(),
    )
    out = pl.from_pandas(report.reset_index())
    return out.rename({out.columns[0]: "date"}).with_columns(pl.col("date").cast(pl.Date))


def max_rel(a: pl.DataFrame, b: pl.DataFrame) -> float:
    worst = 0.0
    for col in ("account", "return", "cost", "turnover"):
        x, y = a[col].to_numpy(), b[col].to_numpy()
        worst = max(worst, float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-12 if col != "account" else 1.0))))
    return worst


def vbt_run(kwargs: dict[str, Any], account: float) -> Any:
    import vectorbt as vbt

    pf = vbt.Portfolio.from_orders(init_cash=account, freq="1D", **kwargs)
    return pf.value()


def section_qlib(panel: pl.DataFrame, label: str, strategy: TopkDropout, exchange: Exchange, repeat: int) -> None:
    """qlib vs rdq on one panel (written to a qlib folder and read back, so both see the same floats)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_qlib_dir(panel, Path(tmp) / "q")
        data = read_qlib_dir(folder, fields=FIELDS)
        scores = random_scores(data, 1)
        dates = data["date"].unique().sort()
        start, end = dates[1], dates[-2]
        bench = data["asset"].min()
        t = time.perf_counter()
        ref = qlib_backtest(folder, scores, strategy, exchange, start, end, 1e8, str(bench))
        t_qlib = time.perf_counter() - t
        backtest_topk(data, scores, strategy, exchange=exchange, benchmark=str(bench), start=start, end=end)
        t_rdq, res = timed(
            lambda: backtest_topk(data, scores, strategy, exchange=exchange, benchmark=str(bench), start=start, end=end),
            repeat,
        )
        market = Market.from_panel(data)
        t_core, _ = timed(
            lambda: backtest_topk(market, scores, strategy, exchange=exchange, benchmark=str(bench), start=start, end=end),
            repeat,
        )
    n_a, n_d = data["asset"].n_unique(), len(dates)
    print(f"\n[{label}] top-{strategy.topk} dropout {strategy.n_drop}, {n_a} assets x {n_d} days")
    print(f"  qlib backtest_daily      {t_qlib:9.3f} s")
    print(f"  rdq backtest_topk        {t_rdq:9.3f} s   -> {t_qlib / t_rdq:8.0f}x faster (panel frame in)")
    print(f"  rdq engine (Market in)   {t_core:9.3f} s   -> {t_qlib / t_core:8.0f}x faster")
    same = res.records["date"].to_list() == ref["date"].to_list()
    print(f"  records identical: dates {same}, max relative difference {max_rel(res.records, ref):.2e}")


def section_vbt(panel: pl.DataFrame, label: str, topk: int, repeat: int) -> None:
    """rdq's weights engine vs vectorbt's from_orders on the same target weights (and rdq's top-k)."""
    scores = random_scores(panel, 2)
    weights = weights_from_scores(scores, long=topk)
    ex = Exchange.us(min_cost=0.0, open_cost=0.0005, close_cost=0.0005)
    market = Market.from_panel(panel)
    kwargs = vectorbt_inputs(market, weights, exchange=ex)
    vbt_run(vectorbt_inputs(Market.from_panel(panel.head(5000)), weights_from_scores(scores.head(5000), long=2),
                            exchange=ex), 1e8)  # warm vectorbt's JIT
    t_vbt, value = timed(lambda: vbt_run(kwargs, 1e8), repeat)
    t_inputs, _ = timed(lambda: vectorbt_inputs(market, weights, exchange=ex), 1)
    backtest_weights(market, weights, exchange=ex)
    t_w, res = timed(lambda: backtest_weights(market, weights, exchange=ex), repeat)
    t_we2e, _ = timed(lambda: backtest_weights(panel, weights, exchange=ex), repeat)
    strategy = TopkDropout(topk=topk, n_drop=max(1, topk // 10))
    backtest_topk(market, scores, strategy, exchange=ex)
    t_topk, _ = timed(lambda: backtest_topk(market, scores, strategy, exchange=ex), repeat)
    diff = float(np.max(np.abs(res.records["account"].to_numpy() / value.to_numpy() - 1)))
    n_a, n_d = market.shape[1], market.shape[0]
    print(f"\n[{label}] daily rebalance to top-{topk} equal weights, {n_a} assets x {n_d} days")
    print(f"  vectorbt from_orders (warm JIT)  {t_vbt:8.3f} s   (+{t_inputs:.3f} s building its inputs)")
    print(f"  rdq backtest_weights (Market in) {t_w:8.3f} s   -> {t_vbt / t_w:6.1f}x vectorbt's speed")
    print(f"  rdq backtest_weights (frame in)  {t_we2e:8.3f} s   -> {t_vbt / t_we2e:6.1f}x")
    print(f"  rdq backtest_topk    (Market in) {t_topk:8.3f} s   -> {t_vbt / t_topk:6.1f}x")
    print(f"  account values agree with vectorbt: max relative difference {diff:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_option(parser)
    parser.add_argument("--assets", type=int, default=3000)
    parser.add_argument("--days", type=int, default=2500)
    parser.add_argument("--qlib-subset", default="300x250", help="ASSETSxDAYS of the synthetic data given to qlib")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-qlib", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    strategy = TopkDropout(topk=50, n_drop=5)
    cn = Exchange.cn()
    path = data_path(args.data)
    if path is not None:
        sp = load_bench_panel(path)
        title = "S&P 500 file" if args.data is None else path.name
        if not args.skip_qlib:
            section_qlib(sp, title, strategy, cn, args.repeat)
        section_vbt(sp, title, 50, args.repeat)
    else:
        print("no --data and no ../shared/data/sp500_5yr_daily.parquet: skipping the real-data sections")

    big = synthetic(args.assets, args.days)
    if not args.skip_qlib:
        sa, sd = (int(x) for x in args.qlib_subset.lower().split("x"))
        keep_assets = big["asset"].unique().sort().head(sa)
        keep_days = big["date"].unique().sort().head(sd)
        sub = big.filter(pl.col("asset").is_in(keep_assets.implode()) & pl.col("date").is_in(keep_days.implode()))
        print(f"\n(qlib is timed on a {sa} x {sd} slice of the synthetic data: the full size would take hours)")
        section_qlib(sub, "synthetic slice", strategy, cn, args.repeat)
    section_vbt(big, "synthetic", 50, args.repeat)


if __name__ == "__main__":
    main()
