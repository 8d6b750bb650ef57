"""Paths inside a scenario file resolve from the file's folder, never the current directory."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from rdq.cli import app
from rdq.data import synth_market
from rdq.errors import ConfigError
from rdq.pipeline import load_scenario

ROOT = Path(__file__).resolve().parents[2]

#: a user's factor library, next to the scenario
LIBRARY = {"name": "mine", "factors": {"MOM5": "$close/Ref($close, 5) - 1", "MA10": "Mean($close, 10)/$close"}}
#: a decoy with the same file name in the current directory: using it would fail (unknown operator)
DECOY = {"name": "decoy", "factors": {"BAD": "Meen($close, 5)"}}
MODEL = {
    "name": "tiny",
    "data": {
        "factors": "lib.yaml",
        "segments": {"train": ["2015-01-01", "2015-01-02"], "valid": ["2015-01-05", "2015-01-06"],
                     "test": ["2015-01-07", "2015-01-08"]},  # the scenario's segments replace these
        "learn_processors": ["DropnaLabel"],
    },
    "model": {"class": "LGBMModel", "kwargs": {"num_boost_round": 5, "num_leaves": 7, "num_threads": 1}},
}  # fmt: skip


def _scenario(data: str = "data/panel.parquet") -> dict[str, Any]:
    return {
        "name": "elsewhere",
        "data": {"path": data},
        "factors": {"library": "lib.yaml"},
        "model": "model.yaml",
        "segments": {"train": ["2015-01-14", "2015-05-29"], "valid": ["2015-06-01", "2015-07-31"],
                     "test": ["2015-08-03", "2015-09-30"]},  # fmt: skip
        "strategy": {"topk": 5, "n_drop": 1, "benchmark": "equal_weight",
                     "costs": {"trade_unit": None, "limit_threshold": None}},  # fmt: skip
    }


def _dump(path: Path, body: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(scenario folder with data/, lib.yaml, model.yaml, scenario.yaml; an unrelated cwd with decoys)."""
    folder, cwd = tmp_path / "project", tmp_path / "somewhere_else"
    (folder / "data").mkdir(parents=True)
    synth_market(n_assets=20, n_days=200, seed=1).panel.write_parquet(folder / "data" / "panel.parquet")
    _dump(folder / "lib.yaml", LIBRARY)
    _dump(folder / "model.yaml", MODEL)
    _dump(folder / "scenario.yaml", _scenario())
    _dump(cwd / "lib.yaml", DECOY)
    _dump(cwd / "model.yaml", {"name": "decoy"})  # not a valid model config
    monkeypatch.chdir(cwd)
    return folder, cwd


def test_paths_come_from_the_scenarios_folder(project: tuple[Path, Path]) -> None:
    folder, _ = project
    cfg = load_scenario(folder / "scenario.yaml")
    assert cfg.data.path == (folder / "data" / "panel.parquet").resolve()
    assert cfg.model.path == (folder / "model.yaml").resolve()
    assert cfg.factors.library == str((folder / "lib.yaml").resolve())


def test_a_file_only_in_the_cwd_is_not_found(project: tuple[Path, Path]) -> None:
    folder, cwd = project
    pl.DataFrame({"x": [1]}).write_parquet(cwd / "only_here.parquet")
    path = _dump(folder / "bad.yaml", _scenario(data="only_here.parquet"))
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert "data.path" in msg and str(folder / "only_here.parquet") in msg and "scenario file's folder" in msg


def test_built_in_names_inside_a_scenario(project: tuple[Path, Path]) -> None:
    folder, _ = project
    body = _scenario() | {"model": "lgbm_alpha158", "factors": {"library": "alpha158"}}
    cfg = load_scenario(_dump(folder / "named.yaml", body))
    assert cfg.model.path == ROOT / "configs" / "lgbm_alpha158.yaml" and cfg.factors.library == "alpha158"
    # the old repository-relative spelling no longer resolves outside the checkout; the error says the name
    with pytest.raises(ConfigError, match=r"model: .*did you mean 'lgbm_alpha158'.*rdq configs list"):
        load_scenario(_dump(folder / "old.yaml", body | {"model": "configs/lgbm_alpha158.yaml"}))
    with pytest.raises(ConfigError, match=r"factors.library: .*did you mean 'alpha360'"):
        load_scenario(_dump(folder / "lib_typo.yaml", body | {"factors": {"library": "alpha36"}}))


@pytest.mark.slow
def test_run_a_scenario_from_another_directory(project: tuple[Path, Path]) -> None:
    folder, cwd = project
    r = CliRunner().invoke(
        app, ["backtest", "--config", str(folder / "scenario.yaml"), "--workspace", "ws", "--json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout[r.stdout.index("{") :])
    run_dir = (cwd / out["run_dir"]).resolve()
    assert run_dir.is_relative_to(cwd / "ws")  # the workspace option is the cwd's; the inputs are the file's
    used = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    assert used["data"]["path"] == str((folder / "data" / "panel.parquet").resolve())
    assert used["factors"]["library"] == str((folder / "lib.yaml").resolve())
    records = pl.read_parquet(cwd / out["records"])
    days = synth_market(n_assets=2, n_days=200, seed=1).panel["date"].unique().sort()
    test_days = days.filter((days >= dt.date(2015, 8, 3)) & (days <= dt.date(2015, 9, 30)))
    # a backtest of the file's panel over the test span (the first test day's scores trade on the next day)
    assert records["date"].to_list() == test_days.to_list()[1:]
    assert records.height > 30
    assert set(out["metrics"]) >= {"excess_with_cost.information_ratio"}
