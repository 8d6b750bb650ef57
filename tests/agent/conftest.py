"""A small research config (60 assets x 500 days, 4 rounds) shared by the loop's end-to-end tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from agent._cli import rdq

SMALL: dict[str, Any] = {
    "name": "small",
    "data": {"synthetic": {"assets": 60, "days": 500, "seed": 0}},
    "base_factors": "base20",
    "model": {
        "template": "LGBMModel",
        "hyperparameters": {"loss": "mse", "learning_rate": 0.1, "num_leaves": 15, "num_boost_round": 50,
                            "num_threads": 1},
    },
    "rounds": 4,
    "seed": 0,
    "scheduler": "round_robin",
    "workers": 2,
    "gp": {"population": 30, "generations_per_round": 1, "n_tasks": 2, "screen_days": 200},
    "checks": {"debug_assets": 30, "debug_days": 120},
    "candidate": {"timeout_s": 120, "memory_mb": 3000},
    "strategy": {
        "topk": 10, "n_drop": 2, "benchmark": "equal_weight",
        "costs": {"open_cost": 0.0005, "close_cost": 0.0015, "min_cost": 0, "trade_unit": None,
                  "limit_threshold": None, "deal_price": "close"},
    },
}  # fmt: skip


def write_config(folder: Path, **changes: Any) -> Path:
    """``SMALL`` with top-level ``changes`` as ``folder/small.yaml``."""
    cfg = {**SMALL, **changes}
    path = folder / f"{cfg['name']}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def small_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("research-config"))


@pytest.fixture(scope="session")
def reference_run(small_config: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """``rdq research run --config small.yaml --json`` uninterrupted: (workspace, the printed JSON)."""
    import json

    ws = tmp_path_factory.mktemp("research-ws")
    p = rdq("research", "run", "--config", small_config, "--workspace", ws, "--json")
    assert p.returncode == 0, p.stderr[-3000:]
    return ws, json.loads(p.stdout)  # exactly one JSON object: json.loads refuses anything else
