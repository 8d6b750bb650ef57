"""KnowledgeBase: reuse of solved tasks across catalog opens, BM25 retrieval of tasks and errors."""

from __future__ import annotations

from pathlib import Path

from rdq.agent._knowledge import KnowledgeBase, task_key
from rdq.agent._types import FactorTask, ModelTask
from rdq.store import Store


def test_solved_reused_across_runs_and_kinds_kept_apart(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    kb = KnowledgeBase(Store(path), run_id="r1")
    t = FactorTask(
        name="mom20", description="20-day momentum of close", formulation="close/delay(close,20)-1"
    )
    assert kb.solved(t) is None
    kb.record_attempt(t, "bad code", "NameError: name 'clos' is not defined", "failed")
    assert kb.solved(t) is None
    kb.record_attempt(t, "good code", "", "ok")
    kb2 = KnowledgeBase(Store(path), run_id="r2")
    same = FactorTask(
        name="MOM20", description="20-day  momentum of close!", formulation="close/delay(close,20)-1"
    )
    assert task_key(same) == task_key(t) and kb2.solved(same) == "good code"
    assert kb2.solved(ModelTask(name="mom20", description="x", template="mlp")) is None
    errs = kb2.similar_errors("NameError: name 'clse' is not defined")
    assert errs == [("NameError: name 'clos' is not defined", "good code")]


def test_similar_tasks_ranks_by_text(tmp_path: Path) -> None:
    kb = KnowledgeBase(Store(tmp_path / "c.duckdb"), run_id="r1")
    kb.record_attempt(FactorTask(name="vol", description="volume surge ratio"), "v", "", "ok")
    kb.record_attempt(FactorTask(name="rev", description="short term price reversal"), "r", "", "ok")
    got = kb.similar_tasks(FactorTask(name="rev5", description="five day price reversal"), k=1)
    assert [code for _, code in got] == ["r"]
