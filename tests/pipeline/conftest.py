"""The smoke scenario (backtests/smoke.yaml: 60 assets x 400 days, a few LightGBM rounds) shared by the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rdq.pipeline import ScenarioResult, load_scenario, run_scenario

#: backtests/smoke.yaml (60 assets x 400 days, 15 LightGBM rounds), named "small" here
SMALL: dict[str, Any] = {
    **yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "backtests" / "smoke.yaml").read_text(encoding="utf-8")
    ),
    "name": "small",
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
