"""``rdq rl train`` killed mid-run (SIGKILL of a real child process), then ``--resume RUN``: the same result.

The child is killed once fold 1's first periodic resume state (``fold_01/qtnet/resume.pt``) appears: fold 0
is done (it must not be trained again: its checkpoint file is untouched) and fold 1 is in progress (it must
continue from the resume state, not from scratch: the resumed process says after which iteration). The
final checkpoints and learning curves equal those of an uninterrupted run with the same seed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from rdq.cli import app
from rdq.rl import load_rl_config, train_run

CONFIG = """
name: resume_t
seed: 5
data:
  synthetic: {n_sessions: 10, session_bars: 30, drift: 0.0003, vol: 0.002, seed: 2}
env: {window: 4, session_bars: 30, reward: pnl, fee_bps: 1.0, slippage_bps: 0.0, reward_scale: 100.0}
walk_forward: {unit: session, train: 4, test: 2, folds: 2}
qtnet: {encoder_hidden: 4, hidden: 8, iterations: 60, episodes_per_iteration: 2, updates_per_iteration: 2,
        batch_size: 4, demo_batch_size: 2, seq_len: 4, burn_in: 2, demonstrators: [ma_crossover],
        eval_every: 50, checkpoint_every: 3}
baselines: {}
experts: {ma_crossover: {fast: 3, slow: 8}, buy_and_hold: {}}
"""
CLI = [sys.executable, "-c", "from rdq.cli import main; main()"]


def _state(path: Path) -> dict[str, torch.Tensor]:
    raw = torch.load(path, map_location="cpu", weights_only=True)
    return {
        f"{k}.{n}": t for k in ("actor", "critic", "actor_target", "critic_target") for n, t in raw[k].items()
    }


def _wait_for(pattern: str, root: Path, proc: subprocess.Popen[bytes], limit: float = 300.0) -> Path:
    end = time.monotonic() + limit  # a guard against a hung child only; the assertions do not depend on time
    while time.monotonic() < end:
        hits = list(root.glob(pattern))
        if hits:
            return hits[0]
        if proc.poll() is not None:
            pytest.fail(f"the child exited ({proc.returncode}) before {pattern} appeared")
        time.sleep(0.005)
    proc.kill()
    pytest.fail(f"{pattern} did not appear")


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(CONFIG, encoding="utf-8")
    ref = train_run(load_rl_config(tmp_path / "c.yaml"), workspace=tmp_path / "ref", run_id="ref")

    ws = tmp_path / "ws"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.Popen(
        [*CLI, "rl", "train", "--config", str(tmp_path / "c.yaml"), "--workspace", str(ws)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    resume_file = _wait_for(".rdq/rl/*/fold_01/qtnet/resume.pt", ws, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    folder = resume_file.parents[2]
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "running" and run["completed"] == ["fold_00/qtnet"]
    assert not (folder / "fold_01" / "qtnet" / "checkpoint.pt").exists()  # killed inside fold 1
    fold0 = folder / "fold_00" / "qtnet" / "checkpoint.pt"
    fold0_mtime = fold0.stat().st_mtime_ns

    res = subprocess.run(
        [*CLI, "rl", "train", "--resume", folder.name, "--workspace", str(ws), "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["path"] == str(folder)
    assert "fold_00/qtnet: done already, not trained again" in res.stderr
    resumed_after = [ln for ln in res.stderr.splitlines() if "qtnet: resumed from" in ln]
    assert len(resumed_after) == 1 and "fold_01" in resumed_after[0]
    it = int(resumed_after[0].split("after iteration ")[1].split("/")[0])
    assert 3 <= it < 60 and it % 3 == 0

    assert fold0.stat().st_mtime_ns == fold0_mtime  # not redone
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "done" and run["completed"] == ["fold_00/qtnet", "fold_01/qtnet"]
    assert len(run["seconds"]["qtnet"]) == 2
    for fold in ("fold_00", "fold_01"):
        a, b = (
            _state(ref / fold / "qtnet" / "checkpoint.pt"),
            _state(folder / fold / "qtnet" / "checkpoint.pt"),
        )
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), fold
        assert (ref / fold / "qtnet" / "curves.csv").read_text() == (
            folder / fold / "qtnet" / "curves.csv"
        ).read_text()
        assert not (folder / fold / "qtnet" / "resume.pt").exists()


def test_resume_of_a_finished_run_trains_nothing_and_config_must_match(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(CONFIG.replace("iterations: 60", "iterations: 3"), encoding="utf-8")
    folder = train_run(load_rl_config(tmp_path / "c.yaml"), workspace=tmp_path, run_id="done")
    before = (folder / "fold_01" / "qtnet" / "checkpoint.pt").stat().st_mtime_ns
    r = CliRunner().invoke(app, ["rl", "resume", "done", "--workspace", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    assert (folder / "fold_01" / "qtnet" / "checkpoint.pt").stat().st_mtime_ns == before
    (tmp_path / "other.yaml").write_text(CONFIG.replace("iterations: 60", "iterations: 4"), encoding="utf-8")
    r = CliRunner().invoke(
        app,
        [
            "rl",
            "train",
            "--config",
            str(tmp_path / "other.yaml"),
            "--resume",
            "done",
            "--workspace",
            str(tmp_path),
        ],
    )
    assert r.exit_code != 0 and "differs from the run's config.json" in str(r.exception)
