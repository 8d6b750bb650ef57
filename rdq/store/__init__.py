"""The workspace catalog: datasets, factors, factor reports and runs in one DuckDB file.

One file per workspace (default ``<workspace>/.rdq/rdq.duckdb``); schema versioned in a ``meta`` table
with idempotent migrations; every write is a transaction on a short-lived connection, so a second
process can read while one writes (opens wait for the other's file lock with backoff).
"""

from __future__ import annotations

from rdq.store._connect import StoreBusyError, StoreError
from rdq.store._llm import (
    exchange_rows,
    exchanges_for_run,
    knowledge_attempts,
    knowledge_fixes,
    record_attempt,
    record_exchange,
    record_fix,
)
from rdq.store._schema import MIGRATIONS, REPORT_METRIC_COLUMNS, SCHEMA_VERSION
from rdq.store._store import (
    DEFAULT_STORE_PATH,
    FactorKind,
    RunStatus,
    Store,
    Transaction,
    default_store_path,
)

__all__ = [
    "DEFAULT_STORE_PATH",
    "FactorKind",
    "MIGRATIONS",
    "REPORT_METRIC_COLUMNS",
    "RunStatus",
    "SCHEMA_VERSION",
    "Store",
    "StoreBusyError",
    "StoreError",
    "Transaction",
    "default_store_path",
    "exchange_rows",
    "exchanges_for_run",
    "knowledge_attempts",
    "knowledge_fixes",
    "record_attempt",
    "record_exchange",
    "record_fix",
]
