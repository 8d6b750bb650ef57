"""The research loop's rows in the catalog (schema version 2): runs, rounds, candidates, sealed-test reports.

Every write of a round is one transaction that first deletes what an interrupted attempt at the same round
may have left, so a resumed run that redoes a round never duplicates it and a ``kill -9`` inside the write
leaves the previous state (DuckDB rolls the open transaction back on the next open).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from rdq.store._store import Store

__all__ = [
    "upsert_research_run",
    "set_research_status",
    "write_round",
    "add_research_report",
    "research_runs",
    "research_rounds",
    "research_candidates",
    "research_reports",
]


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


def _json(obj: Any) -> str:
    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, Mapping):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(obj), sort_keys=True, default=str)


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def upsert_research_run(
    store: Store, run_id: str, *, name: str, config: Mapping[str, Any], dataset: str | None, status: str
) -> None:
    """Create the run's row, or update its status (a resumed run keeps its ``created``)."""
    with store.transaction() as tx:
        row = tx.execute("SELECT 1 FROM research_runs WHERE run_id = ?", [run_id]).fetchone()
        if row is None:
            tx.execute(
                "INSERT INTO research_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [run_id, name, _json(config), dataset, status, _now(), None],
            )
        else:
            tx.execute(
                "UPDATE research_runs SET status = ?, updated = ? WHERE run_id = ?", [status, _now(), run_id]
            )


def set_research_status(store: Store, run_id: str, status: str) -> None:
    """Set a run's status (``running``, ``finished``, ``failed``, ``budget``)."""
    with store.transaction() as tx:
        tx.execute(
            "UPDATE research_runs SET status = ?, updated = ? WHERE run_id = ?", [status, _now(), run_id]
        )


def write_round(
    store: Store,
    run_id: str,
    round_no: int,
    *,
    branch: str,
    hypothesis: Mapping[str, Any],
    decision: Mapping[str, Any],
    candidates: Sequence[Mapping[str, Any]],
    seconds: float,
) -> None:
    """Write one finished round and its candidates in one transaction (replacing a partial earlier attempt).

    ``decision`` has ``accepted``, ``value``, ``sota_value``, ``lower_bound``; each candidate ``name``,
    ``branch``, ``code``, ``key``, ``task``, ``checks``, ``metrics``, ``status``, ``error``, ``seconds``.
    """
    with store.transaction() as tx:
        tx.execute("DELETE FROM research_candidates WHERE run_id = ? AND round = ?", [run_id, round_no])
        tx.execute("DELETE FROM research_rounds WHERE run_id = ? AND round = ?", [run_id, round_no])
        tx.execute(
            "INSERT INTO research_rounds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                round_no,
                branch,
                _json(hypothesis),
                _json(decision),
                bool(decision.get("accepted")),
                _num(decision.get("value")),
                _num(decision.get("sota_value")),
                _num(decision.get("lower_bound")),
                float(seconds),
                _now(),
            ],
        )
        for i, c in enumerate(candidates):
            tx.execute(
                "INSERT INTO research_candidates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    round_no,
                    i,
                    str(c["name"]),
                    str(c["branch"]),
                    str(c["code"]),
                    str(c["key"]),
                    _json(c.get("task", {})),
                    _json(c.get("checks", [])),
                    _json(c.get("metrics", {})),
                    str(c.get("status", "ok")),
                    c.get("error"),
                    float(c.get("seconds", 0.0)),
                ],
            )
        tx.execute("UPDATE research_runs SET updated = ? WHERE run_id = ?", [_now(), run_id])


def add_research_report(
    store: Store, run_id: str, *, test: Mapping[str, Any], forced: bool, commit: str | None
) -> _dt.datetime:
    """Record a sealed-test evaluation; return its timestamp (UTC)."""
    at = _now()
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO research_reports (run_id, evaluated_at, forced, commit, test) VALUES (?, ?, ?, ?, ?)",
            [run_id, at, forced, commit, _json(test)],
        )
    return at


def research_runs(store: Store) -> pl.DataFrame:
    """Every research run: ``run_id, name, status, created, updated, rounds, accepted``."""
    return store.query(
        "SELECT r.run_id, r.name, r.status, r.created, r.updated, count(d.round) AS rounds, "
        "coalesce(sum(CASE WHEN d.accepted THEN 1 ELSE 0 END), 0) AS accepted "
        "FROM research_runs r LEFT JOIN research_rounds d USING (run_id) "
        "GROUP BY ALL ORDER BY r.created"
    )


def research_rounds(store: Store, run_id: str) -> pl.DataFrame:
    """The rounds of a run, in order."""
    return store.query("SELECT * FROM research_rounds WHERE run_id = ? ORDER BY round", [run_id])


def research_candidates(store: Store, run_id: str) -> pl.DataFrame:
    """The candidates of a run, by round and index."""
    return store.query("SELECT * FROM research_candidates WHERE run_id = ? ORDER BY round, idx", [run_id])


def research_reports(store: Store, run_id: str) -> pl.DataFrame:
    """The sealed-test evaluations of a run, oldest first."""
    return store.query("SELECT * FROM research_reports WHERE run_id = ? ORDER BY evaluated_at, id", [run_id])
