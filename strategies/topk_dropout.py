"""Top-k dropout, read top to bottom: load a panel, score it, backtest with qlib's semantics, report.

Run::

    .venv/bin/python strategies/topk_dropout.py --data ../shared/data/sp500_5yr_daily.parquet \
        --topk 50 --n-drop 5 --market us --benchmark none

Without ``--scores`` the script scores each day with a 20-day reversal (``-(close / close 20 days ago - 1)``)
computed from data up to that day only; the engine trades day ``T`` on the scores of ``T-1``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
from rich.console import Console
from rich.table import Table

from rdq.backtest import Exchange, TopkDropout, backtest_topk


@dataclass
class Config:
    data: Path = Path("../shared/data/sp500_5yr_daily.parquet")
    """panel file (Parquet/CSV/qlib dir; anything ``rdq.data.load_panel`` reads)"""
    scores: Path | None = None
    """scores file with ``date, asset, score``; None: a 20-day reversal computed here"""
    topk: int = 50
    """names held"""
    n_drop: int = 5
    """names replaced each day"""
    market: Literal["cn", "us"] = "us"
    """cost / lot / limit preset: cn = lots of 100 and 9.5% limits, us = fractional shares, no limits"""
    deal_price: Literal["close", "open"] = "close"
    """price of every deal"""
    account: float = 1e8
    """initial cash"""
    benchmark: str = "none"
    """benchmark asset of the panel, or none"""
    out: Path | None = None
    """where to write the daily records (Parquet); None: do not write"""
    seed: int = 0
    """seed (the engine is deterministic; kept for score models that are not)"""


def parse_args() -> Config:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for f in dataclasses.fields(Config):
        flag = "--" + f.name.replace("_", "-")
        default = f.default
        kind = type(default) if default is not None else Path
        parser.add_argument(flag, type=kind if kind is not bool else int, default=default)
    return Config(**vars(parser.parse_args()))


def main() -> None:
    cfg = parse_args()
    console = Console()

    # -- seeding, in one place
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)

    # -- data
    from rdq.data import load_panel

    panel = load_panel(cfg.data)
    console.print(f"panel: {panel['asset'].n_unique()} assets, {panel['date'].n_unique()} days")

    # -- scores: from a file, or a 20-day reversal (uses only data up to each day)
    if cfg.scores is not None:
        scores = pl.read_parquet(cfg.scores) if cfg.scores.suffix == ".parquet" else pl.read_csv(cfg.scores)
    else:
        scores = (
            panel.sort("asset", "date")
            .with_columns((-(pl.col("close") / pl.col("close").shift(20).over("asset") - 1)).alias("score"))
            .select("date", "asset", "score")
            .drop_nulls()
        )

    # -- the backtest: qlib's TopkDropoutStrategy + SimulatorExecutor, day by day
    exchange = Exchange.cn(deal_price=cfg.deal_price) if cfg.market == "cn" else Exchange.us(deal_price=cfg.deal_price)
    strategy = TopkDropout(topk=cfg.topk, n_drop=cfg.n_drop)
    bench = None if cfg.benchmark.lower() == "none" else cfg.benchmark
    result = backtest_topk(panel, scores, strategy, exchange=exchange, account=cfg.account, benchmark=bench)

    # -- report
    metrics = result.metrics
    table = Table(title=f"top-{cfg.topk} dropout {cfg.n_drop} ({cfg.market}), {metrics.n_days} days")
    table.add_column("series")
    for col in ("annualized_return", "information_ratio", "max_drawdown", "calmar"):
        table.add_column(col, justify="right")
    for series in metrics.to_frame().iter_rows(named=True):
        table.add_row(series["series"], *(f"{series[c]:.4f}" for c in ("annualized_return", "information_ratio", "max_drawdown", "calmar")))
    console.print(table)
    console.print(f"final account {result.records['account'][-1]:,.0f}; mean turnover {metrics.turnover:.3f}")
    if cfg.out is not None:
        result.to_parquet(cfg.out)
        console.print(json.dumps({"records": str(cfg.out)}))


if __name__ == "__main__":
    main()
