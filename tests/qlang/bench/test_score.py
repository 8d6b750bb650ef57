"""Scoring: pool vs in-process agree, groups, k handling, JSON results, store recording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rdq.errors import ConfigError
from rdq.qlang.bench._executor import PythonExecutor
from rdq.qlang.bench._problem import load_sample
from rdq.qlang.bench._prompts import Task
from rdq.qlang.bench._score import record_in_store, score


def _python_samples(problems):
    """Per problem: the reference solution, a wrong one, and the reference again."""
    return {p.problem_id: [(0, p.python_solution), (1, "def solve(*a):\n    return None\n"), (2, p.python_solution)]
            for p in problems}


@pytest.fixture(scope="module")
def problems():
    return load_sample()[:3]


def test_pool_and_serial_agree(problems) -> None:
    ex = PythonExecutor(timeout_s=10)
    samples = _python_samples(problems)
    serial = score(problems, samples, executor=ex, task=Task.Q_TO_PYTHON, ks=(1, 2, 3), workers=1, progress=False)
    pooled = score(problems, samples, executor=ex, task=Task.Q_TO_PYTHON, ks=(1, 2, 3), workers=2, progress=False)
    assert serial.to_dict()["overall"] == pooled.to_dict()["overall"]
    assert [p.c for p in serial.problems] == [2] * len(problems)
    assert serial.pass_at(1) == pytest.approx(2 / 3)
    assert serial.pass_at(2) == 1.0
    wrong = serial.problems[0].samples[1]
    assert not wrong.passed and wrong.failed_test == 1 and "wrong output" in wrong.reason


def test_groups_by_difficulty_and_tag(problems) -> None:
    samples = {p.problem_id: [(0, p.python_solution if i % 2 == 0 else "")] for i, p in enumerate(problems)}
    res = score(problems, samples, executor=PythonExecutor(timeout_s=10), task=Task.Q_TO_PYTHON, workers=1,
                progress=False)
    for diff, ests in res.by_difficulty.items():
        members = [p for p in res.problems if p.difficulty == diff]
        assert ests[1].n_problems == len(members)
        assert ests[1].value == pytest.approx(sum(p.c for p in members) / len(members))
    tags = {t for p in problems for t in p.tags}
    assert set(res.by_tag) == tags


def test_ks_above_the_sample_count_are_dropped(problems) -> None:
    samples = {p.problem_id: [(0, p.python_solution)] for p in problems}
    res = score(problems, samples, executor=PythonExecutor(timeout_s=10), task=Task.Q_TO_PYTHON, ks=(1, 5),
                workers=1, progress=False)
    assert res.ks == (1,)


def test_missing_completions_is_a_clear_error(problems) -> None:
    with pytest.raises(ConfigError, match="no completions"):
        score(problems, {}, executor=PythonExecutor(), task=Task.Q_TO_PYTHON, progress=False)


def test_results_json_is_written_atomically(tmp_path: Path, problems) -> None:
    samples = {p.problem_id: [(0, p.python_solution)] for p in problems[:2]}
    res = score(problems[:2], samples, executor=PythonExecutor(timeout_s=10), task=Task.Q_TO_PYTHON, workers=1,
                progress=False)
    out = res.write_json(tmp_path / "sub" / "res.json")
    data = json.loads(out.read_text())
    assert data["overall"]["pass@1"]["value"] == 1.0 and data["n_problems"] == 2
    assert [p.name for p in out.parent.iterdir()] == ["res.json"]  # no temp file left behind


def test_store_recording_is_optional(tmp_path: Path, problems) -> None:
    samples = {p.problem_id: [(0, p.python_solution)] for p in problems[:1]}
    res = score(problems[:1], samples, executor=PythonExecutor(timeout_s=10), task=Task.Q_TO_PYTHON, workers=1,
                progress=False)
    try:
        from rdq.store import Store
    except ImportError:
        assert record_in_store(res, store_path=tmp_path / "x.duckdb") is None
        return
    rid = record_in_store(res, store_path=tmp_path / "x.duckdb", results_json=tmp_path / "r.json")
    run = Store(tmp_path / "x.duckdb").get_run(rid)
    assert run["kind"] == "qbench" and run["metrics"]["pass@1"] == 1.0
    assert run["config"]["task"] == "q_to_python" and run["artifacts"]["results_json"].endswith("r.json")


def test_reference_run_needs_reference_solutions(problems) -> None:
    from dataclasses import replace

    from rdq.qlang.bench._executor import EmbeddedExecutor
    from rdq.qlang.bench._score import score_references

    bare = [replace(p, q_solution="") for p in problems]
    with pytest.raises(ConfigError, match="no q reference solution"):
        score_references(bare, executor=EmbeddedExecutor())
