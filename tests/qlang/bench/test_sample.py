"""The embedded sample benchmark: well-formed, Python solutions reproduce the expected values, and every
q reference solution passes on the embedded interpreter (pass@1 = 1.0)."""

from __future__ import annotations

import ast
import json
from collections import Counter

import pytest

from rdq.qlang.bench._problem import SAMPLE_PATH, load_sample
from rdq.qlang.bench._qvalues import to_q_console
from rdq.qlang.bench.problems._sample_source import SAMPLE_SOURCE, build


def test_sample_is_well_formed() -> None:
    problems = load_sample()
    assert len(problems) >= 40
    levels = Counter(p.difficulty for p in problems)
    assert set(levels) == {"Easy", "Medium", "Hard"} and min(levels.values()) >= 5
    tags = {t for p in problems for t in p.tags}
    assert {"arrays", "strings", "hashing", "dp", "math", "two pointers", "stacks", "intervals"} <= tags
    for p in problems:
        assert 3 <= len(p.test_cases) <= 5, p.problem_id
        assert "solve:" in p.q_solution and "def solve(" in p.python_solution
        for t in p.test_cases:
            assert t.q_test_code.startswith("result:solve[") and t.q_test_code.endswith("show result;")
            assert t.q_expected_output and t.python_expected_output


def test_jsonl_is_up_to_date_with_its_source() -> None:
    rows = [json.loads(line) for line in SAMPLE_PATH.read_text().splitlines()]
    assert rows == build()
    assert len(rows) == len(SAMPLE_SOURCE)


@pytest.mark.parametrize("spec", SAMPLE_SOURCE, ids=[s["id"] for s in SAMPLE_SOURCE])
def test_python_solution_gives_expected_values(spec) -> None:
    """Run the Python reference in-process and compare with the stored expected texts."""
    row = {r["problem_name"]: r for r in build()}[spec["name"]]
    env: dict = {}
    exec(spec["py"], env)  # noqa: S102 - our own reference code
    for args, tc in zip(spec["tests"], row["test_cases"], strict=True):
        value = env["solve"](*ast.literal_eval(repr(args)))
        assert repr(value) == tc["correct_answer"]
        assert to_q_console(value) == tc["q_expected_output"]


@pytest.mark.slow
def test_sample_reference_solutions_all_pass_on_embedded_q(embedded) -> None:
    from rdq.qlang.bench._score import score_references

    result = score_references(load_sample(), executor=embedded, workers=2, progress=False)
    failures = [(p.problem_id, s.failed_test, s.reason) for p in result.problems for s in p.samples if not s.passed]
    assert failures == []
    assert result.pass_at(1) == 1.0


@pytest.mark.slow
def test_sample_python_solutions_pass_in_the_sandbox() -> None:
    from rdq.qlang.bench._executor import PythonExecutor
    from rdq.qlang.bench._prompts import Task
    from rdq.qlang.bench._score import score_references

    result = score_references(load_sample(), executor=PythonExecutor(timeout_s=10), task=Task.Q_TO_PYTHON,
                              workers=2, progress=False)
    assert result.pass_at(1) == 1.0
