"""``rdq rl train`` + ``rdq rl eval`` end to end on a daily panel: folds by calendar month, Sharpe over 252 days.

The panel is written to Parquet in ``tmp_path`` (two assets on business days of 2023); the other asset has a
row with high below low, which must not stop a run on the first one (only its rows are loaded).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from rdq.cli import app
from rdq.rl import load_rl_config
from rdq.rl._runs import load_bars, market_for

DAYS = [d for d in (dt.date(2023, 1, 2) + dt.timedelta(i) for i in range(300)) if d.weekday() < 5]


def _panel(path: Path) -> None:
    rng = np.random.default_rng(7)
    frames = []
    for asset, drift in (("AAA", 0.001), ("BBB", -0.0005)):
        c = 100 * np.exp(np.cumsum(drift + 0.01 * rng.standard_normal(len(DAYS))))
        o = np.concatenate([[100.0], c[:-1]])
        hi, lo = np.maximum(o, c) * 1.004, np.minimum(o, c) * 0.996
        if asset == "BBB":
            hi[10], lo[10] = lo[10], hi[10]  # a bad row of the other asset
        frames.append(
            pl.DataFrame(
                {
                    "date": DAYS,
                    "asset": [asset] * len(DAYS),
                    "open": o,
                    "high": hi,
                    "low": lo,
                    "close": c,
                    "volume": np.full(len(DAYS), 1e6),
                }
            )
        )
    pl.concat(frames).write_parquet(path)


CONFIG = """
name: daily_t
seed: 2
data: {{path: {path}, symbol: AAA, bars: daily}}
env: {{window: 5, session_bars: 21, reward: pnl, fee_bps: 2.0, slippage_bps: 1.0, reward_scale: 100.0, fill: close}}
walk_forward: {{unit: month, train: 6, test: 2, folds: 2}}
qtnet: {{encoder_hidden: 4, hidden: 8, iterations: 2, episodes_per_iteration: 2, updates_per_iteration: 2,
        batch_size: 4, demo_batch_size: 2, seq_len: 6, burn_in: 3, demonstrators: [ma_crossover],
        eval_every: 1, checkpoint_every: 1}}
baselines: {{}}
experts: {{ma_crossover: {{fast: 3, slow: 8}}, buy_and_hold: {{}}}}
"""


@pytest.fixture(scope="module")
def daily_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    ws = tmp_path_factory.mktemp("daily")
    _panel(ws / "panel.parquet")
    (ws / "daily.yaml").write_text(CONFIG.format(path=ws / "panel.parquet"), encoding="utf-8")
    r = CliRunner().invoke(
        app, ["rl", "train", "--config", str(ws / "daily.yaml"), "--workspace", str(ws), "--json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    r = CliRunner().invoke(
        app, ["rl", "eval", out["run_id"], "--workspace", str(ws), "--by", "month", "--json"]
    )
    assert r.exit_code == 0, r.output
    return ws, out, json.loads(r.stdout)


def _month_days(year: int, month: int) -> list[dt.date]:
    return [d for d in DAYS if (d.year, d.month) == (year, month)]


def test_daily_folds_are_calendar_months(daily_run: tuple[Path, dict, dict]) -> None:
    _, out, _ = daily_run
    f0, f1 = out["folds"]
    assert (f0["n_train"], f0["n_test"], f1["n_train"], f1["n_test"]) == (6, 2, 6, 2)  # a session is a month
    assert f0["train_days"] == [str(_month_days(2023, 1)[0]), str(_month_days(2023, 6)[-1])]
    assert f0["test_days"] == [str(_month_days(2023, 7)[0]), str(_month_days(2023, 8)[-1])]
    assert f1["train_days"] == [str(_month_days(2023, 3)[0]), str(_month_days(2023, 8)[-1])]
    assert f1["test_days"] == [str(_month_days(2023, 9)[0]), str(_month_days(2023, 10)[-1])]


def test_daily_eval_sharpe_is_over_252_days(daily_run: tuple[Path, dict, dict]) -> None:
    ws, _, res = daily_run
    assert res["periods_per_year"] == 252
    assert [w["window"] for w in res["windows"]] == ["2023-07", "2023-08", "2023-09", "2023-10"]
    cfg = load_rl_config(ws / "daily.yaml")
    bars = load_bars(cfg)
    market = market_for(cfg, bars)
    c = 3.0 / 1e4
    for w, session in zip(res["windows"], (6, 7, 8, 9), strict=True):
        assert w["sessions"] == 1 and w["first_day"] == str(_month_days(2023, session + 1)[0])
        assert w["last_day"] == str(_month_days(2023, session + 1)[-1])
        # buy-and-hold by hand: long at the first decision's close, closed at the month's last close
        t = np.arange(market.episode_start[session], market.episode_stop[session] - 1)
        pnl = bars.close[t + 1] / bars.close[t] - 1.0
        pnl[0] -= c
        pnl[-1] -= c
        sharpe = pnl.mean() / pnl.std(ddof=1) * math.sqrt(252)
        got = w["agents"]["buy_and_hold"]
        assert got["sharpe"] == pytest.approx(sharpe, rel=1e-9)
        assert got["total_return"] == pytest.approx(pnl.sum(), rel=1e-9)
        assert got["turnover"] == pytest.approx(2.0)
    assert all(math.isfinite(w["agents"]["qtnet"]["total_return"]) for w in res["windows"])


def test_daily_quarters(daily_run: tuple[Path, dict, dict]) -> None:
    """The same panel walk-forward by quarter: 2 quarters of training, 1 of test."""
    from rdq.rl import walk_forward_folds
    from rdq.rl._config import WalkForward

    ws, _, _ = daily_run
    bars = load_bars(load_rl_config(ws / "daily.yaml"))
    folds = walk_forward_folds(bars, WalkForward(unit="quarter", train=2, test=1))
    assert [(f.train.tolist(), f.test.tolist()) for f in folds] == [
        ([0, 1, 2, 3, 4, 5], [6, 7, 8]),
        ([3, 4, 5, 6, 7, 8], [9]),
    ]  # the panel ends in October
    assert folds[0].test_days == (str(_month_days(2023, 7)[0]), str(_month_days(2023, 9)[-1]))
