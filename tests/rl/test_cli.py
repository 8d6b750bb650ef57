"""``rdq rl train`` + ``rdq rl eval`` end to end on the synthetic config, the ``--json`` contract, bad input."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from shared_data import shared_path

from rdq.rl import load_rl_config, read_curves, walk_forward_folds
from rdq.rl._runs import load_bars

METRIC_KEYS = {"total_return", "sharpe", "max_drawdown", "turnover", "hit_rate"}
EXPERTS = {"dual_thrust", "r_breaker", "ma_crossover", "bollinger", "buy_and_hold"}


def _rdq(args: list[str], capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """``rdq ARGS`` in-process through ``rdq.cli.main`` (its error handling and exit codes included)."""
    from rdq.cli import main

    monkeypatch.setattr(sys, "argv", ["rdq", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from typer.testing import CliRunner

    from rdq.cli import app

    ws = tmp_path_factory.mktemp("ws")
    r = CliRunner().invoke(app, ["rl", "train", "--config", "qtnet_synthetic", "--seed", "3", "--workspace", str(ws),
                                 "--json"])
    assert r.exit_code == 0, r.output
    return ws, json.loads(r.stdout)


def test_train_writes_the_run_folder(trained: tuple[Path, dict]) -> None:
    ws, out = trained
    folder = Path(out["path"])
    assert folder.parent == (ws / ".rdq" / "rl").resolve() and out["run_id"] == folder.name
    assert out["run_id"].startswith("qtnet_synthetic-s3-") and out["agents"] == ["qtnet", "ppo"]
    assert [f["index"] for f in out["folds"]] == [0, 1] and out["folds"][0]["n_train"] == 16
    assert set(out["seconds"]) == {"qtnet", "ppo"}
    run = json.loads((folder / "run.json").read_text())
    cfg = json.loads((folder / "config.json").read_text())
    assert run["status"] == "done" and cfg["seed"] == 3 and cfg["qtnet"]["seed"] == 3
    for fold in ("fold_00", "fold_01"):
        q = folder / fold / "qtnet"
        assert (q / "checkpoint.pt").is_file() and (q / "checkpoint.json").is_file() and (q / "curves.png").is_file()
        assert len(read_curves(q / "curves.csv")) == cfg["qtnet"]["iterations"]
        assert (folder / fold / "ppo.zip").is_file()


def test_eval_json_contract(trained: tuple[Path, dict], capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    ws, out = trained
    code, stdout, _ = _rdq(["rl", "eval", out["run_id"][:20], "--workspace", str(ws), "--by", "fold", "--json"],
                           capsys, monkeypatch)
    assert code == 0
    res = json.loads(stdout)  # stdout is exactly one JSON object
    assert set(res) == {"run_id", "split", "by", "periods_per_year", "agents", "metrics", "windows", "summary"}
    assert res["run_id"] == out["run_id"] and res["split"] == "test" and res["by"] == "fold"
    assert set(res["agents"]) == {"qtnet", "ppo", *EXPERTS} and "prophet" not in res["agents"]
    assert set(res["metrics"]) == METRIC_KEYS and res["periods_per_year"] == 252
    assert [w["window"] for w in res["windows"]] == ["fold_00", "fold_01"]
    for w in res["windows"]:
        assert w["sessions"] == 4 and w["first_day"] <= w["last_day"]
        for agent in res["agents"]:
            cell = w["agents"][agent]
            assert set(cell) == METRIC_KEYS
            assert all(v is None or math.isfinite(v) for v in cell.values())
            assert 0 <= cell["max_drawdown"] <= 1
    bh = [w["agents"]["buy_and_hold"]["total_return"] for w in res["windows"]]
    assert res["summary"]["buy_and_hold"]["total_return"] == pytest.approx(sum(bh) / 2)
    # the same figures again: evaluation is deterministic
    code, again, _ = _rdq(["rl", "eval", out["path"], "--by", "fold", "--json"], capsys, monkeypatch)
    assert code == 0 and json.loads(again) == res
    # by month (the synthetic sessions are all in January 2024), and in-sample
    code, stdout, _ = _rdq(["rl", "eval", out["path"], "--split", "train", "--json"], capsys, monkeypatch)
    monthly = json.loads(stdout)
    assert code == 0 and [w["window"] for w in monthly["windows"]] == ["2024-01", "2024-01"]
    assert monthly["windows"][0]["sessions"] == 16
    code, stdout, _ = _rdq(["rl", "eval", out["path"]], capsys, monkeypatch)
    assert code == 0 and "qtnet" in stdout and "buy_and_hold" in stdout and "mean over 2 window(s)" in stdout


def test_bad_input_is_a_one_line_error_with_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _rdq(["rl", "train", "--config", "qtnet_synthetc", "--workspace", str(tmp_path)], capsys, monkeypatch)
    assert code == 2 and "did you mean 'qtnet_synthetic'" in err and "Traceback" not in err
    code, _, err = _rdq(["rl", "eval", "nope", "--workspace", str(tmp_path)], capsys, monkeypatch)
    assert code == 2 and "no rl run 'nope'" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndata: {synthetic: {n_sessions: 4}}\nqtnet: {iteratons: 3}\n")
    code, _, err = _rdq(["rl", "train", "--config", str(bad)], capsys, monkeypatch)
    assert code == 2 and "qtnet.iteratons: unknown key (did you mean 'iterations'?)" in err
    bad.write_text("name: x\ndata: {synthetic: {n_sessions: 4}}\nexperts: {prophet: {}}\n")
    code, _, err = _rdq(["rl", "train", "--config", str(bad)], capsys, monkeypatch)
    assert code == 2 and "allow_lookahead" in err  # the prophet is never a strategy
    bad.write_text("name: x\ndata: {path: missing.parquet, symbol: FDS}\n")
    code, _, err = _rdq(["rl", "train", "--config", str(bad)], capsys, monkeypatch)
    assert code == 2 and "data.path 'missing.parquet' does not exist" in err


@pytest.mark.shared
def test_the_shipped_1min_config_reads_the_shared_file() -> None:
    path = shared_path("data", "us_1min_2024.parquet")
    cfg = load_rl_config("qtnet_1min")
    assert Path(cfg.data.path or "") == path.resolve() and cfg.data.symbol == "FDS"
    folds = walk_forward_folds(load_bars(cfg), cfg.walk_forward)
    assert [f.test_days for f in folds] == [("2024-07-01", "2024-08-30"), ("2024-09-03", "2024-10-31"),
                                            ("2024-11-01", "2024-12-31")]
    assert all(f.train_days[1] < f.test_days[0] for f in folds)
