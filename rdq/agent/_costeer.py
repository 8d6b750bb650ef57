"""Co-STEER coder (first cut): implement each task as code, check it, feed failures back, evolve.

A factor is an rdq expression (checked by :func:`rdq.agent._checks.check_factor`, reused, not copied) or a
Python ``def factor(panel)`` run in :mod:`rdq.sandbox`; a solved task (same normalised text and kind) is
reused from the :class:`KnowledgeBase` without an LLM call.  Model tasks: not implemented yet (raises).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from rdq.agent._checks import CheckConfig, check_factor
from rdq.agent._knowledge import KnowledgeBase, task_text
from rdq.agent._types import Branch, Candidate, FactorTask, ProposalContext, Task
from rdq.errors import RdqError

__all__ = ["CoderConfig", "CoSteerCoder", "ImplementationFailure"]


@dataclass(frozen=True)
class CoderConfig:
    """Attempts per task, parallel tasks, check bounds, the factor language."""

    max_attempts: int = 3
    workers: int = 2
    min_finite: float = 0.9
    dup_corr: float = 0.7
    language: Literal["expression", "python", "auto"] = "auto"


@dataclass(frozen=True)
class ImplementationFailure:
    """A task skipped after ``attempts`` failed attempts; ``feedback`` is the last one."""

    task: Task
    attempts: int
    feedback: str


def _code_of(reply: str) -> str:
    m = re.search(r"```(?:[a-z]*)\n(.*?)```", reply, flags=re.S)
    return (m.group(1) if m else reply).strip()


class CoSteerCoder:
    """Implements ``Coder``; see the module docstring."""

    def __init__(
        self,
        client: Any,
        knowledge: KnowledgeBase,
        *,
        debug_panel: pl.DataFrame,
        config: CoderConfig = CoderConfig(),
        limits: Any = None,
        reference: Callable[[], pl.DataFrame] | None = None,
        folder: Path | None = None,
    ) -> None:
        self.client = client
        self.knowledge = knowledge
        self.debug_panel = debug_panel
        self.config = config
        self.limits = limits
        self.reference = reference
        self.folder = folder

    def _check(self, task: Task, code: str) -> str:
        """``""`` when every check passes, else the failing checks with their details."""
        cand = Candidate(name=task.name, branch=Branch.FACTOR, code=code, key=code, task=task)
        cfg = CheckConfig(min_finite=self.config.min_finite, dup_corr=self.config.dup_corr, debug_days=10**9)
        ref = self.reference() if self.reference is not None else None
        checks = check_factor(cand, self.debug_panel, reference_values=ref, config=cfg)
        return "\n".join(f"check {c.name} failed: {c.detail}" for c in checks if not c.passed)

    def _prompt(self, task: Task, context: ProposalContext, code: str, feedback: str) -> str:
        parts = [
            f"Write an rdq factor expression for this task; reply with the expression only.\n{task_text(task)}"
        ]
        parts.append(f"Data fields: {context.scenario.get('fields', '')}")
        for text, solved in self.knowledge.similar_tasks(task):
            parts.append(f"A similar solved task: {text}\nIts code: {solved}")
        if feedback:
            parts.append(f"Your previous code:\n{code}\nIt failed:\n{feedback}")
            for err, fix in self.knowledge.similar_errors(feedback):
                parts.append(f"A similar past error: {err}\nFixed by: {fix}")
        return "\n\n".join(parts)

    def implement(self, task: Task, context: ProposalContext) -> Candidate:
        """A checked candidate for ``task``; raises :class:`RdqError` after ``max_attempts`` failures."""
        if not isinstance(task, FactorTask):
            raise RdqError(f"model task {task.name!r}: the Co-STEER coder does not implement model tasks yet")
        known = self.knowledge.solved(task)
        if known is not None:
            return Candidate(name=task.name, branch=Branch.FACTOR, code=known, key=known, task=task)
        code, feedback = task.expression or "", ""
        for attempt in range(self.config.max_attempts):
            if attempt > 0 or not code:
                reply = self.client.complete(
                    [("user", self._prompt(task, context, code, feedback))], purpose="code.factor"
                ).reply
                code = _code_of(str(reply))
            feedback = self._check(task, code)
            self.knowledge.record_attempt(task, code, feedback, "failed" if feedback else "ok")
            if not feedback:
                return Candidate(name=task.name, branch=Branch.FACTOR, code=code, key=code, task=task)
        raise RdqError(
            f"task {task.name!r} failed {self.config.max_attempts} attempts; last feedback:\n{feedback}\n"
            "fix: reword the task or raise CoderConfig.max_attempts"
        )

    def implement_many(
        self, tasks: Sequence[Task], context: ProposalContext
    ) -> list[Candidate | ImplementationFailure]:
        """:meth:`implement` for every task in a thread pool; a task that gives up becomes a failure record."""

        def one(task: Task) -> Candidate | ImplementationFailure:
            try:
                return self.implement(task, context)
            except RdqError as exc:
                return ImplementationFailure(task=task, attempts=self.config.max_attempts, feedback=str(exc))

        with ThreadPoolExecutor(max_workers=max(1, self.config.workers)) as pool:
            return list(pool.map(one, tasks))
