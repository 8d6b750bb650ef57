"""Co-STEER coder: implement each task as code, check every attempt, feed failures back, evolve.

Factor tasks
    A factor is an rdq expression or a Python ``def factor(panel)`` (:mod:`rdq.agent._pyfactor`).
    :attr:`CoderConfig.language` picks what is asked for: ``"expression"``, ``"python"`` or ``"auto"`` (the
    task's own ``expression`` when it compiles, else Python). Whatever a reply holds is checked as what it is
    (an expression reply to a Python prompt is checked as an expression). Every attempt runs the checks of
    :func:`rdq.agent._checks.check_factor` on the debug panel; a Python attempt runs in :mod:`rdq.sandbox`
    under the coder's ``limits`` (its look-ahead check too: the sandbox reruns it on the truncated panel).
    A failure becomes precise feedback for the next prompt: the traceback's last frame (file, line, the
    error) from the :class:`~rdq.sandbox.SandboxResult`, or the failing check with its numbers
    (``check finite failed: 42% finite ... (need 90%)``), plus similar past errors with their fixes.

Model tasks (:mod:`rdq.agent._costeer_model`)
    A task naming a template that exists gets its hyperparameters clamped into the search ranges, without
    an LLM call; a task asking for a new architecture gets an ``nn.Module`` file written by the LLM and
    checked by :func:`rdq.sandbox.run_model_check`, evolved on failure like a factor.

Knowledge (:class:`~rdq.agent._knowledge.KnowledgeBase`): every attempt is recorded with its code, feedback
and outcome; an attempt that passes after a failure records the error -> fix pair; a task already solved
(same normalised text and kind) is reused without an LLM call. Tasks run in parallel threads; a task that
fails ``max_attempts`` times becomes an :class:`ImplementationFailure`. With ``folder`` every attempt's code
and feedback are written under ``folder/<task>/``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from rdq.agent._checks import CheckConfig, check_factor
from rdq.agent._knowledge import KnowledgeBase, task_text
from rdq.agent._pyfactor import is_python
from rdq.agent._types import Branch, Candidate, FactorTask, ProposalContext, Task
from rdq.errors import RdqError
from rdq.sandbox import ALLOWED_MODULES, Limits

__all__ = ["CoderConfig", "CoSteerCoder", "ImplementationFailure", "code_of"]


@dataclass(frozen=True)
class CoderConfig:
    """Attempts per task, parallel tasks, check bounds, the factor language (module docstring)."""

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


def code_of(reply: str) -> str:
    """The code in a reply: the first fenced block's body, else the whole text (stripped)."""
    m = re.search(r"```[A-Za-z0-9_+-]*[ \t]*\n(.*?)```", reply, flags=re.S)
    return (m.group(1) if m else reply).strip()


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80] or "task"


def _compiles(expr: str | None) -> bool:
    if not expr:
        return False
    from rdq.agent._expr_tree import canonical

    try:
        canonical(expr)
    except Exception:  # noqa: BLE001 - any parse/compile error: not an expression
        return False
    return True


def _prompt(name: str) -> str:
    from rdq.agent._llm_proposer import load_prompt

    return load_prompt(name)[1]


class CoSteerCoder:
    """Implements ``Coder`` (and :meth:`implement_many`); see the module docstring.

    Parameters
    ----------
    client:
        An :class:`rdq.llm.LLMClient` (or anything with ``complete(messages, purpose=...) -> .reply``).
    knowledge:
        The knowledge base (attempts, solved tasks, error -> fix pairs).
    debug_panel:
        The slice every attempt is checked on (the loop: its train-span debug slice).
    config:
        Attempts, workers, check bounds, language.
    limits:
        Sandbox limits of Python factor and model attempts (default :class:`rdq.sandbox.Limits`).
    reference:
        Returns ``date, asset, <accepted factors>`` on ``debug_panel`` for the duplicate check.
    folder:
        Where each attempt's code and feedback are written (``folder/<task>/attempt_<k>.py|.txt``).
    n_features:
        Input width of the model check of a generated ``nn.Module``.
    """

    def __init__(
        self,
        client: Any,
        knowledge: KnowledgeBase,
        *,
        debug_panel: pl.DataFrame,
        config: CoderConfig = CoderConfig(),
        limits: Limits | None = None,
        reference: Callable[[], pl.DataFrame | None] | None = None,
        folder: Path | None = None,
        n_features: int = 20,
    ) -> None:
        self.client = client
        self.knowledge = knowledge
        self.debug_panel = debug_panel
        self.config = config
        self.limits = limits
        self.reference = reference
        self.folder = Path(folder) if folder is not None else None
        self.n_features = n_features
        #: per model task name: the clamping notes of its hyperparameters (also in the candidate's code)
        self.notes: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ helpers
    def _save(self, task: Task, attempt: int, code: str, feedback: str, python: bool) -> str | None:
        """Write the attempt under ``folder/<task>/``; return the code file's path (or ``None``)."""
        if self.folder is None:
            return None
        d = self.folder / _slug(task.name)
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"attempt_{attempt}.{'py' if python else 'txt'}"
        path.write_text(code + ("\n" if not code.endswith("\n") else ""), encoding="utf-8")
        (d / f"attempt_{attempt}.feedback.txt").write_text(feedback or "ok\n", encoding="utf-8")
        return str(path)

    def check(self, task: Task, code: str) -> str:
        """``""`` when every check passes on the debug panel, else the failing checks with their details."""
        cand = Candidate(name=task.name, branch=Branch.FACTOR, code=code, key=code, task=task)
        cfg = CheckConfig(min_finite=self.config.min_finite, dup_corr=self.config.dup_corr, debug_days=10**9)
        ref = self.reference() if self.reference is not None else None
        checks = check_factor(cand, self.debug_panel, reference_values=ref, config=cfg, limits=self.limits)
        return "\n".join(f"check {c.name} failed: {c.detail}" for c in checks if not c.passed)

    def _language(self, task: FactorTask) -> Literal["expression", "python"]:
        lang = self.config.language
        if lang == "auto":
            return "expression" if _compiles(task.expression) else "python"
        return lang

    def _factor_prompt(
        self, task: FactorTask, context: ProposalContext, lang: str, code: str, feedback: str
    ) -> str:
        fields = context.scenario.get("fields") or [
            c for c in self.debug_panel.columns if c not in ("date", "asset")
        ]
        fields = ", ".join(map(str, fields)) if isinstance(fields, list | tuple) else str(fields)
        extra: list[str] = []
        for text, solved in self.knowledge.similar_tasks(task):
            extra.append(f"A similar solved task: {text}\nIts code:\n{solved}")
        if feedback:
            extra.append(f"Your previous code:\n{code}\nIt failed:\n{feedback}\nFix it.")
            for err, fix in self.knowledge.similar_errors(feedback):
                extra.append(f"A similar past error: {err}\nFixed by:\n{fix}")
        name = "code_factor_python" if lang == "python" else "code_factor_expression"
        modules = ", ".join(sorted(m for m in ALLOWED_MODULES if not m.startswith("_")))
        return _prompt(name).format(
            task=task_text(task),
            fields=fields,
            modules=modules,
            extra=("\n\n" + "\n\n".join(extra)) if extra else "",
        )

    def _ask(self, prompt: str, purpose: str) -> str:
        return code_of(str(self.client.complete([("user", prompt)], purpose=purpose).reply))

    # ------------------------------------------------------------------ the Coder interface
    def implement(self, task: Task, context: ProposalContext) -> Candidate:
        """A checked candidate for ``task``.

        Raises
        ------
        RdqError
            After ``max_attempts`` failed attempts (the last feedback in the message); an LLM error (a
            refusal, a spent budget) is an :class:`RdqError` too.
        """
        if not isinstance(task, FactorTask):
            from rdq.agent._costeer_model import implement_model

            return implement_model(self, task, context)
        known = self.knowledge.solved(task)
        if known is not None:
            return self._candidate(task, known, None)
        lang = self._language(task)
        first = task.expression if lang == "expression" or is_python(task.expression or "") else None
        code, feedback, path = first or "", "", None
        for attempt in range(self.config.max_attempts):
            if attempt > 0 or not code:
                prompt = self._factor_prompt(task, context, lang, code, feedback)
                code = self._ask(prompt, "code.factor")
            feedback = self.check(task, code)
            self.knowledge.record_attempt(task, code, feedback, "failed" if feedback else "ok")
            path = self._save(task, attempt + 1, code, feedback, is_python(code))
            if not feedback:
                return self._candidate(task, code, path)
        raise RdqError(
            f"task {task.name!r} failed {self.config.max_attempts} attempts; last feedback:\n{feedback}\n"
            "fix: reword the task or raise CoderConfig.max_attempts"
        )

    def _candidate(self, task: FactorTask, code: str, path: str | None) -> Candidate:
        key = f"python:{hashlib.sha256(code.encode()).hexdigest()[:16]}" if is_python(code) else code
        return Candidate(name=task.name, branch=Branch.FACTOR, code=code, key=key, task=task, path=path)

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
