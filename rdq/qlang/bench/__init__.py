"""The q code-model benchmark harness.

Scores code models on the q language the way the "Full-Stack Fine-Tuning for the Q Programming
Language" report does: LeetCode-style problems with q tests, a model's q code run against each test
(embedded interpreter or a real ``q`` binary), pass@k with bootstrap confidence intervals.

Quick start::

    from rdq.qlang.bench import load_sample, score_references, EmbeddedExecutor
    result = score_references(load_sample(), executor=EmbeddedExecutor())
    result.pass_at(1)   # 1.0: the sample's reference solutions all pass
"""

from __future__ import annotations

from rdq.qlang.bench._executor import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    EmbeddedExecutor,
    PythonExecutor,
    QBinaryExecutor,
    RunResult,
    Verdict,
    find_q_binary,
    judge,
    make_executor,
    python_script,
    q_script,
)
from rdq.qlang.bench._extract import extract_code
from rdq.qlang.bench._generate import Completion, CompletionCache, generate, load_completions, make_chat_model
from rdq.qlang.bench._leetcode import Translation, q_call, translate_leetcode, translate_row
from rdq.qlang.bench._passk import Estimate, bootstrap_ci, estimate, mean_pass_at_k, pass_at_k
from rdq.qlang.bench._problem import SAMPLE_PATH, Problem, TestCase, load_problems, load_sample, save_problems
from rdq.qlang.bench._prompts import Task, build_messages, prompt_hash
from rdq.qlang.bench._qvalues import Unrenderable, format_q_float, to_q_console, to_q_literal
from rdq.qlang.bench._score import (
    BenchResult,
    ProblemResult,
    SampleResult,
    record_in_store,
    score,
    score_references,
)

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_S",
    "SAMPLE_PATH",
    "BenchResult",
    "Completion",
    "CompletionCache",
    "EmbeddedExecutor",
    "Estimate",
    "Problem",
    "ProblemResult",
    "PythonExecutor",
    "QBinaryExecutor",
    "RunResult",
    "SampleResult",
    "Task",
    "TestCase",
    "Translation",
    "Unrenderable",
    "Verdict",
    "bootstrap_ci",
    "build_messages",
    "estimate",
    "extract_code",
    "find_q_binary",
    "format_q_float",
    "generate",
    "judge",
    "load_completions",
    "load_problems",
    "load_sample",
    "make_chat_model",
    "make_executor",
    "mean_pass_at_k",
    "pass_at_k",
    "prompt_hash",
    "python_script",
    "q_call",
    "q_script",
    "record_in_store",
    "save_problems",
    "score",
    "score_references",
    "to_q_console",
    "to_q_literal",
    "translate_leetcode",
    "translate_row",
]
