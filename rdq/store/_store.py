"""``Store``: the workspace catalog of datasets, factors, factor reports and runs, in one DuckDB file.

Every write is one transaction on a short-lived connection (``BEGIN`` ... ``COMMIT``; any error rolls
the whole transaction back), every read a short-lived read-only connection, so one process can write
while others read: an open that meets the other side's file lock waits and retries (see
:mod:`rdq.store._connect`).  Group several writes atomically with :meth:`Store.transaction`::

    store = Store()                                   # <cwd>/.rdq/rdq.duckdb
    fp = store.add_dataset(panel, source="sp500.parquet")
    with store.transaction() as tx:                   # all or nothing
        fid = tx.add_factor("mom20", "$close / Ref($close, 20) - 1", library="mine")
        tx.add_factor_report(fid, fp, report["mom20"], label=report.label)
    store.factor_reports(dataset=fp)                  # polars frame
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import polars as pl

from rdq.errors import did_you_mean
from rdq.store._connect import StoreError, connect
from rdq.store._schema import REPORT_METRIC_COLUMNS, SCHEMA_VERSION, migrate, schema_version

if TYPE_CHECKING:
    from rdq.signal import FactorSignal, SignalReport

__all__ = ["Store", "Transaction", "RunStatus", "FactorKind", "DEFAULT_STORE_PATH", "default_store_path"]

#: where a workspace keeps its catalog, relative to the workspace root
DEFAULT_STORE_PATH = Path(".rdq") / "rdq.duckdb"

FactorKind = Literal["expression", "python"]


class RunStatus(StrEnum):
    """Life cycle of a run."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def default_store_path(workspace: str | os.PathLike[str] | None = None) -> Path:
    """``<workspace>/.rdq/rdq.duckdb`` (workspace: the current directory by default)."""
    return Path(workspace if workspace is not None else Path.cwd()) / DEFAULT_STORE_PATH


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


def _plain(obj: Any, where: str) -> Any:
    """A JSON-able copy of ``obj``: NaN/inf become None, paths and dates strings, enums their value."""
    if obj is None or isinstance(obj, bool | str | int):
        return obj.value if isinstance(obj, StrEnum) else obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, _dt.date | _dt.datetime):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return {str(_plain(k, where)): _plain(v, f"{where}.{k}") for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return _plain(obj.item(), where)
    raise StoreError(
        f"cannot store {where} as JSON: {type(obj).__name__} {obj!r}\n"
        "  fix: pass numbers, strings, lists and dicts (convert other objects to str)"
    )


def _json(obj: Any, where: str) -> str:
    return json.dumps(_plain(obj, where), sort_keys=True, allow_nan=False)


def _constraint_error(exc: duckdb.Error, what: str, fix: str) -> StoreError:
    return StoreError(f"cannot {what}: {str(exc).splitlines()[0]}\n  fix: {fix}")


class Transaction:
    """Writes inside one open transaction (from :meth:`Store.transaction`); nothing is kept unless all succeed."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> duckdb.DuckDBPyConnection:
        """Run one SQL statement inside this transaction (for the catalog's other writers, ``rdq.store._research``)."""
        return self._con.execute(sql, list(params))

    # ----------------------------------------------------------------- datasets
    def add_dataset(self, panel: pl.DataFrame, *, source: str | os.PathLike[str] | None = None) -> str:
        """Register a panel (by content fingerprint); return the fingerprint. Re-adding is a no-op."""
        from rdq.data.schema import field_columns, panel_fingerprint

        if "date" not in panel.columns or "asset" not in panel.columns:
            raise StoreError("add_dataset needs a panel with 'date' and 'asset' columns")
        dates = panel.get_column("date")
        return self.add_dataset_info(
            panel_fingerprint(panel),
            source=source,
            n_assets=panel.get_column("asset").n_unique(),
            n_days=dates.n_unique(),
            start=dates.min() if panel.height else None,  # type: ignore[arg-type]
            end=dates.max() if panel.height else None,  # type: ignore[arg-type]
            fields=field_columns(panel),
        )

    def add_dataset_info(
        self,
        fingerprint: str,
        *,
        n_assets: int,
        n_days: int,
        fields: list[str] | tuple[str, ...],
        start: _dt.date | None = None,
        end: _dt.date | None = None,
        source: str | os.PathLike[str] | None = None,
    ) -> str:
        """Register a dataset from its description; return the fingerprint. Re-adding is a no-op."""
        self._con.execute(
            "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                fingerprint,
                None if source is None else os.fspath(source),
                int(n_assets),
                int(n_days),
                start,
                end,
                _json(list(fields), "fields"),
                _now(),
            ],
        )
        return fingerprint

    # ------------------------------------------------------------------ factors
    def add_factor(
        self,
        name: str,
        expression: str,
        *,
        kind: FactorKind = "expression",
        library: str | None = None,
    ) -> int:
        """Register a factor (an expression, or Python source with ``kind="python"``); return its id.

        ``(name, expression)`` is unique: adding it again returns the existing id.
        """
        if kind not in ("expression", "python"):
            raise StoreError(f"factor kind must be 'expression' or 'python', got {kind!r}")
        if not name or not expression:
            raise StoreError("a factor needs a non-empty name and expression/source")
        row = self._con.execute(
            "SELECT id FROM factors WHERE name = ? AND expression = ?", [name, expression]
        ).fetchone()
        if row:
            return int(row[0])
        got = self._con.execute(
            "INSERT INTO factors (name, kind, expression, library, created) VALUES (?, ?, ?, ?, ?) RETURNING id",
            [name, kind, expression, library, _now()],
        ).fetchone()
        assert got is not None
        return int(got[0])

    def add_factor_report(
        self,
        factor_id: int,
        dataset: str,
        signal: FactorSignal | Mapping[str, float],
        *,
        label: str,
        quantiles: int | None = None,
    ) -> int:
        """Store one factor's signal metrics on a dataset; return the report id.

        Parameters
        ----------
        factor_id:
            Id from :meth:`add_factor`.
        dataset:
            Fingerprint from :meth:`add_dataset`.
        signal:
            A :class:`rdq.signal.FactorSignal`, or a mapping of metric name (:class:`rdq.metrics.Metric`) to value.
        label:
            The label the metrics were computed against.
        """
        if isinstance(signal, Mapping):
            metrics = {str(k): v for k, v in signal.items()}
            unknown = [k for k in metrics if k not in REPORT_METRIC_COLUMNS]
            if unknown:
                raise StoreError(
                    f"unknown metric {unknown[0]!r}{did_you_mean(unknown[0], REPORT_METRIC_COLUMNS)}\n"
                    "  fix: use rdq.metrics.SIGNAL_METRICS members as keys"
                )
            payload: Any = {"metrics": metrics}
        else:
            metrics = {str(k): v for k, v in signal.metrics.items()}
            payload = signal.to_dict()
        values = [_plain(metrics.get(c), c) for c in REPORT_METRIC_COLUMNS]
        cols = ", ".join(REPORT_METRIC_COLUMNS)
        marks = ", ".join("?" for _ in REPORT_METRIC_COLUMNS)
        try:
            got = self._con.execute(
                f"INSERT INTO factor_reports (factor_id, dataset, label, quantiles, {cols}, metrics, created) "
                f"VALUES (?, ?, ?, ?, {marks}, ?, ?) RETURNING id",
                [int(factor_id), dataset, label, quantiles, *values, _json(payload, "metrics"), _now()],
            ).fetchone()
        except duckdb.ConstraintException as exc:
            raise _constraint_error(
                exc,
                f"add a report for factor {factor_id} on dataset {dataset!r}",
                "register both first with add_factor(...) and add_dataset(...)",
            ) from None
        assert got is not None
        return int(got[0])

    def add_signal_report(
        self,
        report: SignalReport,
        *,
        dataset: str,
        expressions: Mapping[str, str],
        kind: FactorKind = "expression",
        library: str | None = None,
    ) -> dict[str, int]:
        """Register every factor of ``report`` and store its metrics; return ``{factor name: report id}``."""
        out: dict[str, int] = {}
        for sig in report.factors:
            if sig.name not in expressions:
                raise StoreError(
                    f"no expression given for factor {sig.name!r}{did_you_mean(sig.name, expressions)}\n"
                    "  fix: pass expressions={name: expression or source} for every factor in the report"
                )
            fid = self.add_factor(sig.name, expressions[sig.name], kind=kind, library=library)
            out[sig.name] = self.add_factor_report(
                fid, dataset, sig, label=report.label, quantiles=report.quantiles
            )
        return out

    # --------------------------------------------------------------------- runs
    def add_run(
        self,
        kind: str,
        config: Mapping[str, Any],
        metrics: Mapping[str, Any] | None = None,
        artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
        *,
        dataset: str | None = None,
        status: RunStatus | str = RunStatus.DONE,
        run_id: str | None = None,
    ) -> str:
        """Record a run (backtest, experiment, ...); return its id (a new uuid4 hex unless given)."""
        status = self._status(status)
        rid = run_id or uuid.uuid4().hex
        try:
            self._con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [
                    rid,
                    kind,
                    _json(config, "config"),
                    dataset,
                    _json(metrics or {}, "metrics"),
                    _json(artifacts or {}, "artifacts"),
                    status.value,
                    _now(),
                ],
            )
        except duckdb.ConstraintException as exc:
            raise _constraint_error(
                exc,
                f"add run {rid!r}",
                "use a new run_id, and register the dataset with add_dataset(...) first",
            ) from None
        return rid

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | str | None = None,
        metrics: Mapping[str, Any] | None = None,
        artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
    ) -> None:
        """Change a run's status and/or merge new metrics and artifacts into it."""
        row = self._con.execute("SELECT metrics, artifacts FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if row is None:
            raise StoreError(f"no run {run_id!r} in the store\n  fix: use an id returned by add_run(...)")
        merged_metrics = {**json.loads(row[0]), **_plain(metrics or {}, "metrics")}
        merged_artifacts = {**json.loads(row[1]), **_plain(artifacts or {}, "artifacts")}
        sets = ["metrics = ?", "artifacts = ?", "updated = ?"]
        params: list[Any] = [_json(merged_metrics, "metrics"), _json(merged_artifacts, "artifacts"), _now()]
        if status is not None:
            sets.append("status = ?")
            params.append(self._status(status).value)
        self._con.execute(f"UPDATE runs SET {', '.join(sets)} WHERE run_id = ?", [*params, run_id])

    @staticmethod
    def _status(status: RunStatus | str) -> RunStatus:
        try:
            return RunStatus(status)
        except ValueError:
            choices = [s.value for s in RunStatus]
            raise StoreError(
                f"unknown run status {status!r}{did_you_mean(str(status), choices)}; use {choices}"
            ) from None


class Store:
    """The workspace catalog (one DuckDB file).

    Parameters
    ----------
    path:
        The database file; default ``<workspace>/.rdq/rdq.duckdb``.
    workspace:
        Workspace root for the default path (default: the current directory).
    timeout_s:
        How long an open waits for another process's lock before :class:`StoreBusyError`.

    The file and its folder are created, and the schema migrated, on construction.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        workspace: str | os.PathLike[str] | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.path = Path(path) if path is not None else default_store_path(workspace)
        self.timeout_s = float(timeout_s)
        if self.path.exists() and self.path.is_dir():
            raise StoreError(
                f"store path {self.path} is a folder\n  fix: pass a file path such as {self.path / 'rdq.duckdb'}"
            )
        if not self._is_current():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with connect(self.path, read_only=False, timeout_s=self.timeout_s) as con:
                migrate(con, path=str(self.path))

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def _is_current(self) -> bool:
        if not self.path.exists():
            return False
        with connect(self.path, read_only=True, timeout_s=self.timeout_s) as con:
            return schema_version(con) == SCHEMA_VERSION

    # -------------------------------------------------------------- transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Open the file for writing and run the block as one transaction (rolled back on any error)."""
        with connect(self.path, read_only=False, timeout_s=self.timeout_s) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield Transaction(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def add_dataset(self, panel: pl.DataFrame, *, source: str | os.PathLike[str] | None = None) -> str:
        """See :meth:`Transaction.add_dataset`."""
        with self.transaction() as tx:
            return tx.add_dataset(panel, source=source)

    def add_factor(
        self, name: str, expression: str, *, kind: FactorKind = "expression", library: str | None = None
    ) -> int:
        """See :meth:`Transaction.add_factor`."""
        with self.transaction() as tx:
            return tx.add_factor(name, expression, kind=kind, library=library)

    def add_factor_report(
        self,
        factor_id: int,
        dataset: str,
        signal: FactorSignal | Mapping[str, float],
        *,
        label: str,
        quantiles: int | None = None,
    ) -> int:
        """See :meth:`Transaction.add_factor_report`."""
        with self.transaction() as tx:
            return tx.add_factor_report(factor_id, dataset, signal, label=label, quantiles=quantiles)

    def add_signal_report(
        self,
        report: SignalReport,
        *,
        dataset: str,
        expressions: Mapping[str, str],
        kind: FactorKind = "expression",
        library: str | None = None,
    ) -> dict[str, int]:
        """See :meth:`Transaction.add_signal_report` (all factors and reports in one transaction)."""
        with self.transaction() as tx:
            return tx.add_signal_report(
                report, dataset=dataset, expressions=expressions, kind=kind, library=library
            )

    def add_run(
        self,
        kind: str,
        config: Mapping[str, Any],
        metrics: Mapping[str, Any] | None = None,
        artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
        *,
        dataset: str | None = None,
        status: RunStatus | str = RunStatus.DONE,
        run_id: str | None = None,
    ) -> str:
        """See :meth:`Transaction.add_run`."""
        with self.transaction() as tx:
            return tx.add_run(kind, config, metrics, artifacts, dataset=dataset, status=status, run_id=run_id)

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | str | None = None,
        metrics: Mapping[str, Any] | None = None,
        artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
    ) -> None:
        """See :meth:`Transaction.update_run`."""
        with self.transaction() as tx:
            tx.update_run(run_id, status=status, metrics=metrics, artifacts=artifacts)

    # ------------------------------------------------------------------- reads
    def query(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run a read-only SQL query; return a polars frame."""
        with connect(self.path, read_only=True, timeout_s=self.timeout_s) as con:
            try:
                return con.sql(sql, params=params).pl()
            except duckdb.Error as exc:
                raise StoreError(f"query failed: {str(exc).splitlines()[0]}\n  sql: {sql}") from None

    def schema_version(self) -> int:
        """The file's schema version."""
        with connect(self.path, read_only=True, timeout_s=self.timeout_s) as con:
            return schema_version(con)

    def datasets(self) -> pl.DataFrame:
        """All datasets, oldest first."""
        return self.query("SELECT * FROM datasets ORDER BY created, fingerprint")

    def factors(self, *, library: str | None = None, name: str | None = None) -> pl.DataFrame:
        """Registered factors (optionally of one library / name), by id."""
        where, params = self._where({"library": library, "name": name})
        return self.query(f"SELECT * FROM factors{where} ORDER BY id", params)

    def factor_reports(self, *, dataset: str | None = None, factor: str | None = None) -> pl.DataFrame:
        """Factor reports joined with the factor's ``name``, ``expression`` and ``library``, by id."""
        where, params = self._where({"r.dataset": dataset, "f.name": factor})
        return self.query(
            "SELECT r.id, r.factor_id, f.name, f.expression, f.library, r.* EXCLUDE (id, factor_id) "
            f"FROM factor_reports r JOIN factors f ON f.id = r.factor_id{where} ORDER BY r.id",
            params,
        )

    def runs(self, *, kind: str | None = None, status: RunStatus | str | None = None) -> pl.DataFrame:
        """Runs (optionally of one kind / status), oldest first."""
        where, params = self._where({"kind": kind, "status": None if status is None else str(status)})
        return self.query(f"SELECT * FROM runs{where} ORDER BY created, run_id", params)

    def get_run(self, run_id: str) -> dict[str, Any]:
        """One run as a dict with ``config``, ``metrics`` and ``artifacts`` decoded from JSON."""
        rows = self.query("SELECT * FROM runs WHERE run_id = ?", [run_id]).to_dicts()
        if not rows:
            raise StoreError(f"no run {run_id!r} in the store {self.path}")
        row = rows[0]
        for key in ("config", "metrics", "artifacts"):
            row[key] = json.loads(row[key])
        return row

    @staticmethod
    def _where(filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
        used = [(k, v) for k, v in filters.items() if v is not None]
        if not used:
            return "", []
        return " WHERE " + " AND ".join(f"{k} = ?" for k, _ in used), [v for _, v in used]
