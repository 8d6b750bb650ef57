"""The catalog's schema, as an ordered list of migrations.

``meta`` holds ``schema_version``; :func:`migrate` applies, in one transaction, every migration newer
than the file's version, so running it again is a no-op.  A migration's statements are frozen once
released: change the schema by appending a migration, never by editing an old one.

Tables (version 1)::

    meta            key PK, value
    datasets        fingerprint PK, source, n_assets, n_days, start_date, end_date, fields (JSON list), created
    factors         id PK, name, kind ('expression' | 'python'), expression (or Python source), library,
                    created; UNIQUE (name, expression)
    factor_reports  id PK, factor_id -> factors, dataset -> datasets, label, quantiles,
                    one DOUBLE column per metric (REPORT_METRIC_COLUMNS), metrics (JSON), created
    runs            run_id PK, kind, config (JSON), dataset -> datasets (nullable), metrics (JSON),
                    artifacts (JSON: name -> path), status, created, updated

Tables (version 2: the research loop, ``rdq.agent``)::

    research_runs        run_id PK, name, config (JSON), dataset, status, created, updated
    research_rounds      (run_id, round) PK, branch, hypothesis (JSON), decision (JSON), accepted,
                         objective, sota_objective, lower_bound, seconds, created
    research_candidates  (run_id, round, idx) PK, name, branch, code, key, task (JSON), checks (JSON),
                         metrics (JSON), status, error, seconds
    research_reports     id PK, run_id, evaluated_at, forced, commit, test (JSON)

Tables (version 3: LLM exchanges and the Co-STEER knowledge base, ``rdq.store._llm``)::

    llm_exchanges        (run_id, round, seq) PK, purpose, request (JSON), reply, input_tokens,
                         output_tokens, usd, seconds, refusal, error, model, created
    knowledge_attempts   id PK, run_id, kind, task_key, task_text, code, feedback, outcome, created
    knowledge_fixes      id PK, run_id, kind, error, fix, created

JSON is stored as VARCHAR text (query it with DuckDB's ``json_extract``).
"""

from __future__ import annotations

import duckdb

from rdq.metrics import Metric
from rdq.store._connect import StoreError

__all__ = ["SCHEMA_VERSION", "MIGRATIONS", "REPORT_METRIC_COLUMNS", "migrate", "schema_version"]

#: metric columns of ``factor_reports`` as created by migration 1 (the signal metrics then), frozen: a new
#: metric gets its column from a new migration, never by editing this list
REPORT_METRIC_COLUMNS: tuple[str, ...] = tuple(
    m.value
    for m in (
        Metric.IC,
        Metric.RANK_IC,
        Metric.ICIR,
        Metric.RANK_ICIR,
        Metric.IC_TSTAT,
        Metric.RANK_IC_TSTAT,
        Metric.IC_HIT_RATE,
        Metric.RANK_IC_HIT_RATE,
        Metric.N_DAYS,
        Metric.TOP_RETURN,
        Metric.BOTTOM_RETURN,
        Metric.LONG_SHORT,
        Metric.LONG_SHORT_IR,
        Metric.AUTOCORR,
        Metric.TOP_TURNOVER,
    )
)

_V1: tuple[str, ...] = (
    """CREATE TABLE datasets (
        fingerprint VARCHAR PRIMARY KEY,
        source VARCHAR,
        n_assets BIGINT NOT NULL,
        n_days BIGINT NOT NULL,
        start_date TIMESTAMP,
        end_date TIMESTAMP,
        fields VARCHAR NOT NULL,
        created TIMESTAMP NOT NULL
    )""",
    "CREATE SEQUENCE factors_id_seq START 1",
    """CREATE TABLE factors (
        id BIGINT PRIMARY KEY DEFAULT nextval('factors_id_seq'),
        name VARCHAR NOT NULL,
        kind VARCHAR NOT NULL CHECK (kind IN ('expression', 'python')),
        expression VARCHAR NOT NULL,
        library VARCHAR,
        created TIMESTAMP NOT NULL,
        UNIQUE (name, expression)
    )""",
    "CREATE SEQUENCE factor_reports_id_seq START 1",
    "CREATE TABLE factor_reports (\n"
    "    id BIGINT PRIMARY KEY DEFAULT nextval('factor_reports_id_seq'),\n"
    "    factor_id BIGINT NOT NULL REFERENCES factors (id),\n"
    "    dataset VARCHAR NOT NULL REFERENCES datasets (fingerprint),\n"
    "    label VARCHAR NOT NULL,\n"
    "    quantiles INTEGER,\n"
    + "".join(f"    {c} DOUBLE,\n" for c in REPORT_METRIC_COLUMNS)
    + "    metrics VARCHAR NOT NULL,\n"
    "    created TIMESTAMP NOT NULL\n"
    ")",
    """CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        config VARCHAR NOT NULL,
        dataset VARCHAR REFERENCES datasets (fingerprint),
        metrics VARCHAR NOT NULL,
        artifacts VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        created TIMESTAMP NOT NULL,
        updated TIMESTAMP
    )""",
    "CREATE INDEX factor_reports_factor_idx ON factor_reports (factor_id)",
    "CREATE INDEX runs_kind_idx ON runs (kind)",
)

_V2: tuple[str, ...] = (
    """CREATE TABLE research_runs (
        run_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        config VARCHAR NOT NULL,
        dataset VARCHAR,
        status VARCHAR NOT NULL,
        created TIMESTAMP NOT NULL,
        updated TIMESTAMP
    )""",
    """CREATE TABLE research_rounds (
        run_id VARCHAR NOT NULL,
        round INTEGER NOT NULL,
        branch VARCHAR NOT NULL CHECK (branch IN ('factor', 'model')),
        hypothesis VARCHAR NOT NULL,
        decision VARCHAR NOT NULL,
        accepted BOOLEAN NOT NULL,
        objective DOUBLE,
        sota_objective DOUBLE,
        lower_bound DOUBLE,
        seconds DOUBLE NOT NULL,
        created TIMESTAMP NOT NULL,
        PRIMARY KEY (run_id, round)
    )""",
    """CREATE TABLE research_candidates (
        run_id VARCHAR NOT NULL,
        round INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        branch VARCHAR NOT NULL,
        code VARCHAR NOT NULL,
        key VARCHAR NOT NULL,
        task VARCHAR NOT NULL,
        checks VARCHAR NOT NULL,
        metrics VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        error VARCHAR,
        seconds DOUBLE NOT NULL,
        PRIMARY KEY (run_id, round, idx)
    )""",
    "CREATE SEQUENCE research_reports_id_seq START 1",
    """CREATE TABLE research_reports (
        id BIGINT PRIMARY KEY DEFAULT nextval('research_reports_id_seq'),
        run_id VARCHAR NOT NULL,
        evaluated_at TIMESTAMP NOT NULL,
        forced BOOLEAN NOT NULL,
        commit VARCHAR,
        test VARCHAR NOT NULL
    )""",
)

_V3: tuple[str, ...] = (
    """CREATE TABLE llm_exchanges (
        run_id VARCHAR NOT NULL,
        round INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        purpose VARCHAR NOT NULL,
        request VARCHAR NOT NULL,
        reply VARCHAR NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        usd DOUBLE NOT NULL,
        seconds DOUBLE NOT NULL,
        refusal BOOLEAN NOT NULL,
        error VARCHAR,
        model VARCHAR,
        created TIMESTAMP NOT NULL,
        PRIMARY KEY (run_id, round, seq)
    )""",
    "CREATE SEQUENCE knowledge_attempts_id_seq START 1",
    """CREATE TABLE knowledge_attempts (
        id BIGINT PRIMARY KEY DEFAULT nextval('knowledge_attempts_id_seq'),
        run_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        task_key VARCHAR NOT NULL,
        task_text VARCHAR NOT NULL,
        code VARCHAR NOT NULL,
        feedback VARCHAR NOT NULL,
        outcome VARCHAR NOT NULL CHECK (outcome IN ('ok', 'failed')),
        created TIMESTAMP NOT NULL
    )""",
    "CREATE SEQUENCE knowledge_fixes_id_seq START 1",
    """CREATE TABLE knowledge_fixes (
        id BIGINT PRIMARY KEY DEFAULT nextval('knowledge_fixes_id_seq'),
        run_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        error VARCHAR NOT NULL,
        fix VARCHAR NOT NULL,
        created TIMESTAMP NOT NULL
    )""",
)

#: an exchange's provider facts (``Exchange.extra`` as JSON: tool mode, a JSON fallback, a cut reply) and its
#: HTTP attempts, which a replay needs to take the original's path
_V4: tuple[str, ...] = (
    "ALTER TABLE llm_exchanges ADD COLUMN extra VARCHAR DEFAULT '{}'",
    "ALTER TABLE llm_exchanges ADD COLUMN attempts INTEGER DEFAULT 1",
)

#: ``(version, description, statements)``, in order
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "initial catalog", _V1),
    (2, "research loop: runs, rounds, candidates, sealed test reports", _V2),
    (3, "LLM exchanges and the Co-STEER knowledge base", _V3),
    (4, "LLM exchanges keep their provider facts (extra) and attempts", _V4),
)

#: the version this rdq writes
SCHEMA_VERSION: int = MIGRATIONS[-1][0]

_META = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The file's schema version (0 for an empty file)."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()
    if not has_meta or not has_meta[0]:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, *, path: str = "") -> int:
    """Bring the schema to :data:`SCHEMA_VERSION` in one transaction; return the version reached.

    Raises
    ------
    StoreError
        The file was written by a newer rdq (its version is above :data:`SCHEMA_VERSION`).
    """
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(_META)
        current = schema_version(con)
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"store {path} has schema version {current}, newer than this rdq's {SCHEMA_VERSION}\n"
                "  fix: upgrade rdq, or point Store(...) at another file"
            )
        for version, _description, statements in MIGRATIONS:
            if version <= current:
                continue
            for sql in statements:
                con.execute(sql)
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                [str(version)],
            )
            current = version
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return current
