"""rdq.rl._metrics and walk-forward folds: trading metrics by hand, folds by month and by session."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rdq.errors import ConfigError
from rdq.rl import WalkForward, annualised_sharpe, synthetic_bars, trading_metrics, walk_forward_folds
from rdq.rl._bars import _arrays
from rdq.rl._rollout import Episodes


def _episodes(pnl: list[list[float]], turnover: list[list[float]], session: list[int] | None = None) -> Episodes:
    p = np.asarray(pnl, float)
    n, t = p.shape
    z = np.zeros((n, t + 1))
    return Episodes(session=np.asarray(session if session is not None else range(n)), bar=z.astype(np.int64),
                    position=z, upnl=z, action=np.zeros((n, t)), reward=p * 1e4, pnl=p,
                    turnover=np.asarray(turnover, float), length=np.full(n, t))


def test_metrics_by_hand() -> None:
    ep = _episodes([[0.01, 0.01], [-0.03, 0.0], [0.0, 0.0]], [[1, 1], [2, 1], [0, 0]])
    m = trading_metrics(ep, periods_per_year=252)
    r = np.array([0.02, -0.03, 0.0])
    assert m["total_return"] == pytest.approx(1.02 * 0.97 - 1)
    assert m["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252))
    # equity 1, 1.01, 1.02, then 1.02 * (1 - 0.03) = 0.9894: the drawdown from 1.02
    assert m["max_drawdown"] == pytest.approx(1 - 0.9894 / 1.02)
    assert m["turnover"] == pytest.approx((2 + 3 + 0) / 3)
    assert m["hit_rate"] == pytest.approx(0.5)  # of the two sessions that traded, one won
    # episodes are taken in session order, whatever order they were played in
    swapped = _episodes([[-0.03, 0.0], [0.01, 0.01]], [[2, 1], [1, 1]], session=[1, 0])
    assert trading_metrics(swapped)["max_drawdown"] == pytest.approx(1 - 0.9894 / 1.02)
    flat = trading_metrics(_episodes([[0.0], [0.0]], [[0.0], [0.0]]))
    assert flat["sharpe"] == 0.0 and flat["total_return"] == 0.0 and math.isnan(flat["hit_rate"])
    assert annualised_sharpe(np.array([0.01])) == 0.0


def test_walk_forward_folds_by_month_and_by_session() -> None:
    # 4 sessions in each of Jan..Apr 2024
    days = np.array([np.datetime64(f"2024-{m:02d}-{d:02d}") for m in range(1, 5) for d in (2, 3, 4, 5)])
    sess = np.repeat(np.arange(16, dtype=np.int64), 3)
    c = np.full(48, 100.0)
    bars = _arrays(c, c, c, c, np.ones(48), np.zeros(48, bool), np.repeat(days, 3), sess)
    folds = walk_forward_folds(bars, WalkForward(unit="month", train=2, test=1))
    assert [f.train.tolist() for f in folds] == [list(range(0, 8)), list(range(4, 12))]
    assert [f.test.tolist() for f in folds] == [list(range(8, 12)), list(range(12, 16))]
    assert folds[1].train_days == ("2024-02-02", "2024-03-05") and folds[1].test_days == ("2024-04-02", "2024-04-05")
    grow = walk_forward_folds(bars, WalkForward(unit="month", train=2, test=1, expanding=True))
    assert grow[1].train.tolist() == list(range(12))
    q = walk_forward_folds(bars, WalkForward(unit="session", train=10, test=3, folds=1))
    assert len(q) == 1 and q[0].test.tolist() == [10, 11, 12]
    # an episode of 2 sessions never straddles train and test
    two = walk_forward_folds(bars, WalkForward(unit="month", train=2, test=1), episode_sessions=2)
    assert two[0].train.max() == 6 and two[0].test.tolist() == [8, 9, 10]
    with pytest.raises(ConfigError, match="walk_forward needs"):
        walk_forward_folds(synthetic_bars(n_sessions=3, session_bars=5), WalkForward(unit="month", train=6, test=1))
