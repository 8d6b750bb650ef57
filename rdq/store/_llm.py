"""LLM exchanges and the Co-STEER knowledge base in the catalog (schema versions 3 and 4).

``llm_exchanges`` keeps every request/reply of a run, keyed ``(run_id, round, seq)``, so a run can be
replayed (:func:`exchanges_for_run` feeds ``rdq.llm.ReplayClient``).  ``knowledge_attempts`` keeps every
coding attempt of a task (code, feedback, outcome) and ``knowledge_fixes`` error -> fix pairs; both are
kept across runs.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

import polars as pl

from rdq.store._store import Store

__all__ = [
    "record_exchange",
    "exchanges_for_run",
    "exchange_rows",
    "record_attempt",
    "record_fix",
    "knowledge_attempts",
    "knowledge_fixes",
]


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


def record_exchange(store: Store, run_id: str, round: int, exchange: Any) -> int:
    """Append one ``rdq.llm.Exchange`` of ``run_id``'s round ``round``; return its ``seq`` (0, 1, ... per round).

    ``exchange`` needs the attributes ``purpose, request, reply, input_tokens, output_tokens, usd, seconds,
    refusal, error, model`` and may have ``extra`` (JSON-able provider facts) and ``attempts``
    (``rdq.llm.Exchange`` has them all).
    """
    with store.transaction() as tx:
        row = tx.execute(
            "SELECT coalesce(max(seq) + 1, 0) FROM llm_exchanges WHERE run_id = ? AND round = ?",
            [run_id, round],
        ).fetchone()
        seq = int(row[0]) if row else 0
        tx.execute(
            "INSERT INTO llm_exchanges (run_id, round, seq, purpose, request, reply, input_tokens, output_tokens, "
            "usd, seconds, refusal, error, model, created, extra, attempts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                int(round),
                seq,
                str(exchange.purpose),
                json.dumps([dict(m) for m in exchange.request]),
                str(exchange.reply),
                int(exchange.input_tokens),
                int(exchange.output_tokens),
                float(exchange.usd),
                float(exchange.seconds),
                bool(exchange.refusal),
                exchange.error,
                str(getattr(exchange, "model", "") or ""),
                _now(),
                json.dumps(dict(getattr(exchange, "extra", None) or {}), default=str),
                int(getattr(exchange, "attempts", 1) or 1),
            ],
        )
    return seq


def exchange_rows(store: Store, run_id: str) -> pl.DataFrame:
    """The stored rows of ``run_id``'s exchanges, ordered by ``(round, seq)``."""
    return store.query("SELECT * FROM llm_exchanges WHERE run_id = ? ORDER BY round, seq", [run_id])


def exchanges_for_run(store: Store, run_id: str) -> list[dict[str, Any]]:
    """``run_id``'s exchanges in call order, each as ``rdq.llm.Exchange``'s keyword arguments.

    The store imports nothing above it, so the caller builds the objects:
    ``ReplayClient([Exchange(**kw) for kw in exchanges_for_run(store, run_id)])``.
    """
    out = []
    for r in exchange_rows(store, run_id).iter_rows(named=True):
        out.append(
            {
                "purpose": r["purpose"],
                "request": tuple(dict(m) for m in json.loads(r["request"])),
                "reply": r["reply"],
                "input_tokens": int(r["input_tokens"]),
                "output_tokens": int(r["output_tokens"]),
                "usd": float(r["usd"]),
                "seconds": float(r["seconds"]),
                "error": r["error"],
                "refusal": bool(r["refusal"]),
                "model": r["model"] or "",
                "extra": json.loads(r.get("extra") or "{}"),
                "attempts": int(r.get("attempts") or 1),
            }
        )
    return out


def record_attempt(
    store: Store,
    run_id: str,
    *,
    kind: str,
    task_key: str,
    task_text: str,
    code: str,
    feedback: str,
    outcome: str,
) -> None:
    """Append one coding attempt (``outcome``: ``"ok"`` or ``"failed"``)."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO knowledge_attempts (run_id, kind, task_key, task_text, code, feedback, outcome, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, kind, task_key, task_text, code, feedback, outcome, _now()],
        )


def record_fix(store: Store, run_id: str, *, kind: str, error: str, fix: str) -> None:
    """Append one error -> fix pair (the failing feedback and the code that then passed)."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO knowledge_fixes (run_id, kind, error, fix, created) VALUES (?, ?, ?, ?, ?)",
            [run_id, kind, error, fix, _now()],
        )


def knowledge_attempts(store: Store, *, kind: str | None = None) -> pl.DataFrame:
    """Every stored attempt (all runs), oldest first; only ``kind``'s when given."""
    if kind is None:
        return store.query("SELECT * FROM knowledge_attempts ORDER BY id")
    return store.query("SELECT * FROM knowledge_attempts WHERE kind = ? ORDER BY id", [kind])


def knowledge_fixes(store: Store, *, kind: str | None = None) -> pl.DataFrame:
    """Every stored error -> fix pair (all runs), oldest first; only ``kind``'s when given."""
    if kind is None:
        return store.query("SELECT * FROM knowledge_fixes ORDER BY id")
    return store.query("SELECT * FROM knowledge_fixes WHERE kind = ? ORDER BY id", [kind])
