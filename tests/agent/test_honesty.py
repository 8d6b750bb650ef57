"""The two-market honesty check of the whole loop (issue 10), at small size on the embedded synthetic market.

(a) planted alphas: the run accepts factors that rediscover the planted alphas the base set does not carry, its
    final library's test Rank IC reaches 80% of the oracle's (the same model on the planted expressions), and
    the report calls the improvement significant;
(b) the same market with the planted loadings at zero: no accepted factor shows a test Rank IC whose interval
    excludes 0 and the report says the run found nothing significant.

Full-size figures (300 x 2,000, 30 rounds): ``benchmarks/research_loop.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent._cli import rdq
from agent.conftest import write_config

HONESTY: dict[str, Any] = {
    "base_factors": "base20",
    "model": {
        "template": "LGBMModel",
        "hyperparameters": {"loss": "mse", "learning_rate": 0.1, "num_leaves": 31, "num_boost_round": 100,
                            "early_stopping_rounds": 20, "num_threads": 1},
    },
    "objective": "signal.rank_ic",
    "rounds": 12,
    "scheduler": "bandit",
    "gp": {"population": 60, "generations_per_round": 2, "n_tasks": 3, "screen_days": 400},
    "checks": {"debug_assets": 40, "debug_days": 200},
    "candidate": {"timeout_s": 600, "memory_mb": 3000},
    "strategy": {"topk": 15, "n_drop": 3, "benchmark": "equal_weight",
                 "costs": {"open_cost": 0.0005, "close_cost": 0.0015, "min_cost": 0, "trade_unit": None,
                           "limit_threshold": None, "deal_price": "close"}},
}  # fmt: skip


def _run(tmp_path: Path, name: str, alpha_scale: float) -> tuple[dict[str, Any], dict[str, Any]]:
    cfg = write_config(
        tmp_path, name=name, data={"synthetic": {"assets": 150, "days": 1000, "seed": 0, "alpha_scale": alpha_scale}},
        **HONESTY,
    )  # fmt: skip
    p = rdq("research", "run", "--config", cfg, "--workspace", tmp_path, "--json", "--quiet")
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout)
    p = rdq("research", "report", out["run_id"], "--workspace", tmp_path, "--json", "--quiet")
    assert p.returncode == 0, p.stderr[-3000:]
    return out, json.loads(p.stdout)


def test_the_planted_market_is_rediscovered(tmp_path: Path) -> None:
    out, rep = _run(tmp_path, "planted", 1.0)
    assert out["accepted_factors"]
    outside = [p["alpha"] for p in rep["planted"] if not p["in_base"]]
    assert sorted(outside) == ["price_volume_corr", "volume_shock"]  # base20 carries the other two (~MA10, ~LOW0)
    # at this size (150 x 1000, 12 rounds) one of the two is found reliably; the full-size goals (both,
    # >= 80% of the oracle's test Rank IC, significant after deflation) are measured by the benchmark
    assert rep["rediscovered"] >= 1, rep["planted"]
    assert rep["oracle_rank_ic_ratio"] >= 0.7, (rep["test"], rep["oracle_test"])
    assert rep["test"]["rank_ic"] > rep["base_test"]["rank_ic_ci"][1]  # above the base set's whole interval
    assert rep["improvement"]["lower"] > 0, rep["improvement"]  # the paired test-span interval excludes 0


def test_the_null_market_finds_nothing_significant(tmp_path: Path) -> None:
    out, rep = _run(tmp_path, "nullmkt", 0.0)
    assert "planted" in rep and "oracle_test" not in rep  # nothing planted: no oracle
    assert rep["any_accepted_ic_significant"] is False, rep["accepted_test"]
    assert rep["significant"] is False
    assert "found nothing significant" in rep["verdict"]
    lo, hi = rep["test"]["rank_ic_ci"]
    assert lo <= 0.0 <= hi or rep["test"]["rank_ic"] <= rep["base_test"]["rank_ic_ci"][1]


pytestmark = pytest.mark.slow
