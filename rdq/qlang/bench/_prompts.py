"""Prompts for the three task types of the report."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum

from rdq.qlang.bench._problem import Problem

__all__ = ["Task", "build_messages", "prompt_hash", "target_language", "reference_solution", "test_of"]


class Task(StrEnum):
    """What the model is asked to write."""

    DESCRIPTION_TO_Q = "description_to_q"
    PYTHON_TO_Q = "python_to_q"
    Q_TO_PYTHON = "q_to_python"


_Q_SYSTEM = (
    "You are an expert q/kdb+ programmer. You write idiomatic, correct q code that runs on q 4.x. "
    "Answer with the complete solution in a single ```q code block."
)
_PY_SYSTEM = (
    "You are an expert Python and q/kdb+ programmer. You translate q code into correct, plain Python 3 "
    "(standard library only). Answer with the complete solution in a single ```python code block."
)


def _example_call(problem: Problem) -> str:
    if problem.test_cases and problem.test_cases[0].q_test_code:
        return problem.test_cases[0].q_test_code.strip()
    return ""


def build_messages(problem: Problem, task: Task) -> list[tuple[str, str]]:
    """The chat messages ``[(role, text), ...]`` for one problem and task (roles: system, human)."""
    task = Task(task)
    if task is Task.DESCRIPTION_TO_Q:
        example = _example_call(problem)
        user = (
            f"{problem.problem_description.strip()}\n\n"
            "Write a q function `solve` that solves this problem. Its arguments are the problem's inputs in "
            "order, called as solve[arg1;arg2;...]."
            + (f" It will be tested like this:\n```q\n{example}\n```" if example else "")
            + "\nDefine `solve` (and any helpers) only; do not print anything. Put your answer in a ```q block."
        )
        return [("system", _Q_SYSTEM), ("human", user)]
    if task is Task.PYTHON_TO_Q:
        example = _example_call(problem)
        user = (
            "Translate this Python solution into q. Write a q function `solve` taking the same arguments in "
            "the same order, called as solve[arg1;arg2;...].\n\n"
            f"Problem:\n{problem.problem_description.strip()}\n\n"
            f"Python solution:\n```python\n{problem.python_solution.strip()}\n```\n"
            + (f"It will be tested like this:\n```q\n{example}\n```\n" if example else "")
            + "Define `solve` (and any helpers) only; do not print anything. Put your answer in a ```q block."
        )
        return [("system", _Q_SYSTEM), ("human", user)]
    example = problem.test_cases[0].python_test_code.strip() if problem.test_cases else ""
    user = (
        "Translate this q solution into Python. Write a Python function `solve` taking the same arguments in "
        "the same order.\n\n"
        f"Problem:\n{problem.problem_description.strip()}\n\n"
        f"q solution:\n```q\n{problem.q_solution.strip()}\n```\n"
        + (f"It will be tested like this:\n```python\n{example}\n```\n" if example else "")
        + "Define `solve` (and any helpers) only; do not print anything. Put your answer in a ```python block."
    )
    return [("system", _PY_SYSTEM), ("human", user)]


def prompt_hash(messages: list[tuple[str, str]]) -> str:
    """A short stable hash of the prompt (part of the completion cache key)."""
    blob = json.dumps(messages, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def target_language(task: Task) -> str:
    """``"q"`` or ``"python"``: the language the model writes for ``task``."""
    return "python" if Task(task) is Task.Q_TO_PYTHON else "q"


def reference_solution(problem: Problem, task: Task) -> str:
    """The problem's own solution in the task's target language."""
    return problem.python_solution if target_language(task) == "python" else problem.q_solution


def test_of(problem: Problem, task: Task) -> list[tuple[int, str, str]]:
    """``[(number, test_code, expected), ...]`` in the task's target language."""
    if target_language(task) == "python":
        return [(t.test_case_number, t.python_test_code, t.python_expected_output) for t in problem.test_cases]
    return [(t.test_case_number, t.q_test_code, t.q_expected_output) for t in problem.test_cases]
