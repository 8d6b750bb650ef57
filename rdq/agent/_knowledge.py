"""The Co-STEER knowledge base, kept across runs in the catalog (schema version 3).

Every coding attempt of a task is stored with its code, feedback and outcome; a solved task's final code
is reused (same normalised task text, same kind) without an LLM call; similar solved tasks and similar
past errors with their fixes are retrieved by BM25 (``bm25s``).  An embedding retriever can replace BM25
through the ``retriever`` hook (``(query, documents, k) -> indices``).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable, Sequence

import bm25s
import polars as pl

from rdq.agent._types import FactorTask, Task
from rdq.store import Store
from rdq.store._llm import knowledge_attempts, knowledge_fixes, record_attempt, record_fix

__all__ = ["KnowledgeBase", "task_text", "task_key"]

Retriever = Callable[[str, Sequence[str], int], list[int]]


def task_text(task: Task) -> str:
    """The task as one text: kind, name, description and its formulation/variables or template/hyperparameters."""
    if isinstance(task, FactorTask):
        extra = f"{task.formulation} {json.dumps(task.variables, sort_keys=True)}"
    else:
        extra = f"{task.template} {json.dumps(task.hyperparameters, sort_keys=True, default=str)}"
    return f"{task.kind}: {task.name}. {task.description} {extra}"


def task_key(task: Task) -> str:
    """The normalised task text (lower case, runs of non-alphanumerics -> one space): the reuse key."""
    return re.sub(r"[^a-z0-9]+", " ", task_text(task).lower()).strip()


def _bm25(query: str, documents: Sequence[str], k: int) -> list[int]:
    if not documents or not query.strip():
        return []
    corpus = bm25s.tokenize(list(documents), stopwords="en", show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    q = bm25s.tokenize([query], stopwords="en", show_progress=False)
    if not q.vocab:
        return []
    k = min(k, len(documents))
    idx, scores = retriever.retrieve(q, k=k, show_progress=False)
    return [int(i) for i, s in zip(idx[0], scores[0], strict=True) if float(s) > 0.0]


class KnowledgeBase:
    """Attempts, solved tasks and error -> fix pairs of every run stored in ``store``.

    Parameters
    ----------
    store:
        The catalog (its ``knowledge_*`` tables are shared by all runs).
    run_id:
        The run the new attempts belong to.
    retriever:
        Optional ``(query, documents, k) -> indices`` (e.g. langchain embeddings); BM25 when ``None``.
    visible_before:
        Only rows stored before this time (UTC, naive) are seen, besides ``run_id``'s own: a replay sees the
        knowledge the original run saw, so the coder takes the same path. ``None``: every row.
    """

    def __init__(
        self,
        store: Store,
        *,
        run_id: str,
        retriever: Retriever | None = None,
        visible_before: _dt.datetime | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.retriever: Retriever = retriever or _bm25
        self.visible_before = visible_before
        self._last_failure: dict[str, str] = {}

    def _visible(self, rows: pl.DataFrame) -> pl.DataFrame:
        if self.visible_before is None or rows.height == 0:
            return rows
        return rows.filter((pl.col("run_id") == self.run_id) | (pl.col("created") < self.visible_before))

    def solved(self, task: Task) -> str | None:
        """The latest passing code of a task with the same normalised text and kind, or ``None``."""
        rows = self._visible(knowledge_attempts(self.store, kind=task.kind))
        key = task_key(task)
        ok = [r["code"] for r in rows.iter_rows(named=True) if r["task_key"] == key and r["outcome"] == "ok"]
        return ok[-1] if ok else None

    def similar_tasks(self, task: Task, k: int = 3) -> list[tuple[str, str]]:
        """Up to ``k`` solved tasks of the same kind most similar to ``task``: ``(task text, final code)``."""
        rows = self._visible(knowledge_attempts(self.store, kind=task.kind))
        solved: dict[str, tuple[str, str]] = {}
        for r in rows.iter_rows(named=True):
            if r["outcome"] == "ok" and r["task_key"] != task_key(task):
                solved[r["task_key"]] = (r["task_text"], r["code"])
        items = list(solved.values())
        return [items[i] for i in self.retriever(task_text(task), [t for t, _ in items], k)]

    def similar_errors(self, error: str, k: int = 3) -> list[tuple[str, str]]:
        """Up to ``k`` past errors most similar to ``error`` with their fixes: ``(error, fixed code)``."""
        rows = list(self._visible(knowledge_fixes(self.store)).iter_rows(named=True))
        return [
            (rows[i]["error"], rows[i]["fix"]) for i in self.retriever(error, [r["error"] for r in rows], k)
        ]

    def record_attempt(self, task: Task, code: str, feedback: str, outcome: str) -> None:
        """Store one attempt (``outcome``: ``"ok"`` or ``"failed"``); a pass after a failure adds an error -> fix pair."""
        key = task_key(task)
        record_attempt(
            self.store,
            self.run_id,
            kind=task.kind,
            task_key=key,
            task_text=task_text(task),
            code=code,
            feedback=feedback,
            outcome=outcome,
        )
        if outcome == "ok":
            previous = self._last_failure.pop(key, None)
            if previous:
                record_fix(self.store, self.run_id, kind=task.kind, error=previous, fix=code)
        else:
            self._last_failure[key] = feedback
