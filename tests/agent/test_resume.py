"""``kill -9`` at several points of a run, then ``rdq research resume``: nothing finished is lost or redone, the
catalog stays readable, and the resumed run ends exactly where an uninterrupted one does (issue 10, faults)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from agent._cli import rdq, rdq_popen
from rdq.pipeline._adapters import store_path
from rdq.store import Store
from rdq.store._research import research_candidates, research_rounds

# kill -9 this process in the middle of round 2's catalog write: after its DELETEs and the round row, at the
# first candidate row, inside the open transaction
KILL_IN_CATALOG_WRITE = """
import os, signal
from rdq.store import _store
_execute = _store.Transaction.execute
def execute(self, sql, params=()):
    if sql.startswith("INSERT INTO research_candidates") and list(params)[1] == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return _execute(self, sql, params)
_store.Transaction.execute = execute
"""


def _state(ws: Path) -> dict[str, Any]:
    (run,) = (ws / ".rdq" / "research").iterdir()
    path = run / "state.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _catalog_rounds(ws: Path, run_id: str) -> list[int]:
    return sorted(research_rounds(Store(store_path(ws)), run_id)["round"].to_list())


def test_kill_9_then_resume_loses_and_redoes_nothing(
    small_config: Path, reference_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    ref_ws, ref = reference_run
    ws = tmp_path / "ws"

    # 1. killed inside the catalog transaction of round 2: the catalog rolls back to round 1
    p = rdq("research", "run", "--config", small_config, "--workspace", ws, "--json", prelude=KILL_IN_CATALOG_WRITE)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert p.stdout == ""
    (run_dir,) = (ws / ".rdq" / "research").iterdir()
    run_id = run_dir.name
    assert _state(ws)["rounds_done"] == 1
    assert _catalog_rounds(ws, run_id) == [1]

    # 2. killed at an arbitrary moment inside round 3 (a worker may be mid-evaluation)
    proc = rdq_popen("research", "resume", run_id, "--workspace", ws, log=tmp_path / "resume1.log")
    deadline = time.monotonic() + 300
    while _state(ws).get("rounds_done", 0) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, (tmp_path / "resume1.log").read_text()[-2000:]
    log1 = (tmp_path / "resume1.log").read_text()
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert "found in the run's cache" in log1  # round 2's candidates, evaluated before the first kill
    done_at_kill = _state(ws)["rounds_done"]
    assert done_at_kill in (2, 3)
    assert _catalog_rounds(ws, run_id) == list(range(1, done_at_kill + 1))

    # 3. resume to the end
    p = rdq("research", "resume", run_id, "--workspace", ws, "--json")
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout)
    assert out["rounds"] == ref["rounds"] == 4
    # the same run as the uninterrupted one: same accepted factors, same SOTA
    assert out["accepted_factors"] == ref["accepted_factors"]
    assert out["sota"] == pytest.approx(ref["sota"], rel=1e-9, abs=1e-12)
    assert _catalog_rounds(ws, run_id) == [1, 2, 3, 4]
    ref_id = ref["run_id"]
    mine = research_candidates(Store(store_path(ws)), run_id)
    theirs = research_candidates(Store(store_path(ref_ws)), ref_id)
    assert mine.height == theirs.height
    assert sorted(zip(mine["round"], mine["name"], mine["status"], strict=True)) == sorted(
        zip(theirs["round"], theirs["name"], theirs["status"], strict=True)
    )
    # every evaluation was computed once: the cache holds as many as the uninterrupted run's
    cache = lambda w, r: len(list((w / ".rdq" / "research" / r / "cache").rglob("*.json")))  # noqa: E731
    assert cache(ws, run_id) == cache(ref_ws, ref_id)
