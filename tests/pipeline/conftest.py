"""A small synthetic scenario (60 assets x 400 days, a few LightGBM rounds) shared by the pipeline tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rdq.pipeline import ScenarioResult, load_scenario, run_scenario

SMALL: dict[str, Any] = {
    "name": "small",
    "data": {"synthetic": {"assets": 60, "days": 400, "seed": 3}},
    "factors": {"library": "alpha158", "extra": {"MOM5": "$close/Ref($close, 5) - 1"}},
    "model": {
        "class": "LGBMModel",
        "kwargs": {"num_boost_round": 15, "num_leaves": 15, "early_stopping_rounds": 5, "num_threads": 1},
        "infer_processors": [
            {"class": "RobustZScoreNorm", "kwargs": {"fields_group": "feature", "clip_outlier": True}},
            {"class": "Fillna", "kwargs": {"fields_group": "feature"}},
        ],
        "learn_processors": ["DropnaLabel", {"class": "CSRankNorm", "kwargs": {"fields_group": "label"}}],
    },
    # the synthetic calendar: business days from 2015-01-01; day 60 = 2015-03-26, day 399 = 2016-07-13
    "segments": {
        "train": ["2015-03-26", "2015-12-17"],
        "valid": ["2015-12-18", "2016-03-24"],
        "test": ["2016-03-25", "2016-07-13"],
    },
    "strategy": {
        "topk": 10,
        "n_drop": 2,
        "benchmark": "equal_weight",
        "costs": {"trade_unit": None, "limit_threshold": None, "min_cost": 5},
    },
    "metrics": {"n": 252},
}


def write_scenario(folder: Path, body: dict[str, Any], name: str = "small.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScenarioResult, Path]:
    """The small scenario run once; returns (result, workspace)."""
    root = tmp_path_factory.mktemp("small")
    cfg = load_scenario(write_scenario(root, SMALL))
    ws = root / "ws"
    return run_scenario(cfg, workspace=ws, progress=False), ws
