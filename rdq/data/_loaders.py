"""Read market data from any source into the canonical panel.

Sources: a Parquet or CSV file, a folder of per-asset CSV/Parquet files (the asset from a column or
from the file name), a DuckDB database (a table or a SQL query) and a qlib binary folder.  Every
source goes through the same steps::

    read raw columns -> map column names -> parse dates/numbers row by row -> normalize_panel
        -> select dates and universe -> validate (raise on fatal when strict) -> [repair]

Column names are mapped from ``mapping`` first (``{"Name": "asset", "timestamp": "date"}``), then
automatically from common names (``symbol``/``ticker``/``instrument`` -> ``asset``,
``Date``/``datetime``/``timestamp`` -> ``date``, case-insensitive ``Open``/``High``/...).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from rdq.data._validate import (
    ROW_COL,
    SRC_COL,
    RepairAction,
    ValidationReport,
    coerce_panel,
    merge_reports,
    repair_panel,
    validate_panel,
)
from rdq.data.schema import REQUIRED_COLUMNS
from rdq.errors import ConfigError, DataError, SchemaError, did_you_mean

__all__ = ["load_panel", "read_source", "LoadedSource", "auto_mapping", "read_instruments", "DateLike"]

log = logging.getLogger(__name__)

DateLike = str | dt.date | dt.datetime

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "asset": ("asset", "symbol", "ticker", "instrument", "code", "stock", "sym", "secid", "security"),
    "date": ("date", "datetime", "timestamp", "time", "trade_date", "trading_date", "day", "dt"),
    "open": ("open", "open_price", "o"),
    "high": ("high", "high_price", "h"),
    "low": ("low", "low_price", "l"),
    "close": ("close", "close_price", "c", "price"),
    "volume": ("volume", "vol", "v", "shares"),
    "vwap": ("vwap",),
    "factor": ("factor", "adj_factor", "adjfactor"),
}
#: weaker synonyms used only when nothing above matched (the Kaggle S&P 500 file calls it ``Name``)
_FALLBACK: dict[str, tuple[str, ...]] = {"asset": ("name",)}

_PARSE_KINDS = frozenset({"bad_date", "bad_number", "missing_asset", "dropped_column"})
_FOLDER_SUFFIXES = {".parquet", ".pq", ".csv", ".tsv"}
_DUCKDB_SUFFIXES = {".duckdb", ".ddb", ".db"}


@dataclass(frozen=True)
class LoadedSource:
    """A source read into the canonical schema, still carrying provenance columns.

    ``frame`` has ``__row__`` (1-based data row in its file) and ``__src__`` (index into
    ``files``).
    """

    frame: pl.DataFrame
    files: tuple[str, ...]
    source: str


def auto_mapping(columns: Sequence[str], mapping: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``{source column: canonical name}`` renames for ``columns``.

    Explicit ``mapping`` wins; then exact canonical names; then case-insensitive synonyms.

    Examples
    --------
    >>> auto_mapping(["Date", "symbol", "Open", "High", "Low", "Close", "Volume"])["symbol"]
    'asset'
    """
    mapping = dict(mapping or {})
    unknown = [k for k in mapping if k not in columns]
    if unknown:
        raise ConfigError(
            f"mapping names column(s) {unknown} that the source does not have"
            f"{did_you_mean(unknown[0], columns)}; columns are {list(columns)}"
        )
    renames = dict(mapping)
    taken = set(renames.values())
    for target in _SYNONYMS:
        if target in taken:
            continue
        # an exact column with the canonical name is kept as it is
        if target in columns and target not in renames:
            taken.add(target)
            continue
        for table in (_SYNONYMS, _FALLBACK):
            match = next(
                (c for c in columns if c not in renames and c.strip().lower() in table.get(target, ())), None
            )
            if match is not None:
                renames[match] = target
                taken.add(target)
                break
    # drop identity renames and check for clashes
    renames = {k: v for k, v in renames.items() if k != v}
    final = [renames.get(c, c) for c in columns]
    dup = sorted({c for c in final if final.count(c) > 1})
    if dup:
        raise SchemaError(
            f"two source columns map to {dup[0]!r}: {[c for c in columns if renames.get(c, c) == dup[0]]}",
            column=dup[0],
            fix=f"map only one of them (mapping={{'OLD': '{dup[0]}'}} in Python, data.columns in a scenario, "
            f"or a renamed copy: rdq data export PATH --map OLD={dup[0]} --out FIXED.parquet), or drop the other",
        )
    return renames


def read_instruments(path: str | Path) -> dict[str, tuple[dt.date | None, dt.date | None]]:
    """Read a qlib instruments file (``SYMBOL<TAB>start<TAB>end`` per line, or one symbol per line)."""
    path = Path(path)
    out: dict[str, tuple[dt.date | None, dt.date | None]] = {}
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.strip().split("\t") if "\t" in line else line.split()
        if not parts or not parts[0]:
            continue
        try:
            lo = dt.date.fromisoformat(parts[1][:10]) if len(parts) > 1 else None
            hi = dt.date.fromisoformat(parts[2][:10]) if len(parts) > 2 else None
        except ValueError:
            raise DataError(
                f"cannot read the dates in {line!r}",
                file=str(path),
                row=n,
                fix="instruments lines are SYMBOL<TAB>YYYY-MM-DD<TAB>YYYY-MM-DD",
            ) from None
        out[parts[0]] = (lo, hi)
    return out


def _to_date(value: DateLike | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"cannot read {name}={value!r} as a date; use YYYY-MM-DD") from None


def _is_qlib_dir(path: Path) -> bool:
    return path.is_dir() and (path / "calendars").is_dir() and (path / "features").is_dir()


def _read_table_file(path: Path) -> pl.DataFrame:
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pl.read_parquet(path)
        sep = "\t" if name.endswith((".tsv", ".tsv.gz")) else ","
        return pl.read_csv(path, infer_schema=False, separator=sep, truncate_ragged_lines=False)
    except FileNotFoundError:
        raise DataError("file not found", file=str(path), fix="check the path") from None
    except Exception as exc:  # noqa: BLE001 - polars/pyarrow raise many types for unreadable files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"cannot read the file ({first})",
            file=str(path),
            fix="check it is a valid CSV (comma separated, header row) or Parquet file",
        ) from None


def _add_provenance(frame: pl.DataFrame, src: int) -> pl.DataFrame:
    return frame.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW_COL),
        pl.lit(src, dtype=pl.Int64).alias(SRC_COL),
    )


def _read_folder(path: Path, mapping: Mapping[str, str] | None) -> tuple[pl.DataFrame, list[str]]:
    files = sorted(
        p
        for p in path.iterdir()
        if p.is_file()
        and (p.suffix.lower() in _FOLDER_SUFFIXES or p.name.lower().endswith((".csv.gz", ".tsv.gz")))
    )
    if not files:
        raise DataError(
            "the folder has no .csv or .parquet files",
            file=str(path),
            fix="point at a file, a folder of per-asset CSV/Parquet files, a DuckDB file or a qlib folder",
        )
    frames = []
    for i, f in enumerate(files):
        raw = _read_table_file(f)
        renames = auto_mapping(raw.columns, {k: v for k, v in (mapping or {}).items() if k in raw.columns})
        raw = raw.rename(renames)
        if "asset" not in raw.columns:
            stem = f.name.split(".")[0]
            raw = raw.with_columns(pl.lit(stem, dtype=pl.Utf8).alias("asset"))
        # a CSV reads as strings, a Parquet typed: make per-file types agree before concatenation
        raw = raw.with_columns(pl.col("asset").cast(pl.Utf8))
        frames.append(_add_provenance(raw, i))
    try:
        frame = pl.concat(frames, how="diagonal_relaxed")
    except Exception as exc:  # noqa: BLE001
        raise DataError(
            f"the files do not share compatible columns ({str(exc).splitlines()[0]})",
            file=str(path),
            fix="give every file the same columns and types",
        ) from None
    return frame, [str(f) for f in files]


def _read_duckdb(path: Path, *, table: str | None, query: str | None) -> pl.DataFrame:
    import duckdb

    if not path.exists():
        raise DataError("database not found", file=str(path), fix="check the path")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"cannot open DuckDB database ({exc})", file=str(path)) from None
    try:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()]
        if query is None:
            if table is None:
                if len(tables) != 1:
                    raise ConfigError(
                        f"{path} has tables {tables}: pass table=... or query=... in Python "
                        "(rdq data validate PATH --table NAME, or --query SQL)"
                    )
                table = tables[0]
            if table not in tables:
                raise ConfigError(
                    f"no table {table!r} in {path}{did_you_mean(table, tables)}; tables: {tables}"
                )
            query = f'select * from "{table}"'
        try:
            relation: Any = con.sql(query)
            if relation is None:
                raise ConfigError(f"the query returns no rows: {query}")
            frame = pl.DataFrame(pl.from_arrow(relation.to_arrow_table()))
        except Exception as exc:  # noqa: BLE001 - duckdb's error types
            raise ConfigError(f"the query failed: {str(exc).splitlines()[0]}\n  query: {query}") from None
    finally:
        con.close()
    return frame


def _read_qlib(
    path: Path,
    *,
    universe: Any,
    start: dt.datetime | None,
    end: dt.datetime | None,
    fields: Sequence[str] | None,
) -> pl.DataFrame:
    from rdq.data.qlib_bin import read_qlib_dir

    instruments: Any = "all"
    if isinstance(universe, str) and (path / "instruments" / f"{universe}.txt").exists():
        instruments = universe
    elif isinstance(universe, str | Path) and Path(universe).is_file():
        instruments = str(universe)
    elif isinstance(universe, str | Path):
        raise ConfigError(
            f"universe {str(universe)!r} is neither a market of {path}/instruments nor an instruments file"
        )
    elif universe is not None:
        instruments = list(universe)
    frame = read_qlib_dir(
        path,
        instruments=instruments,
        start=None if start is None else start.date(),
        end=None if end is None else end.date(),
        fields=None if fields is None else list(dict.fromkeys([*REQUIRED_COLUMNS[2:], *fields])),
    )
    return frame


def read_source(
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    universe: Sequence[str] | str | Path | None = None,
    table: str | None = None,
    query: str | None = None,
    fields: Sequence[str] | None = None,
) -> tuple[LoadedSource, ValidationReport]:
    """Read ``path`` into a canonical frame with provenance and a validation report (never raises on
    soft or fatal *data* problems except unreadable files and missing columns; see :func:`load_panel`).
    """
    p = Path(path)
    source = str(path)
    lo, hi = _to_date(start, "start"), _to_date(end, "end")
    if not p.exists():
        raise DataError("no such file or folder", file=source, fix="check the path")
    files: list[str] = [source]
    if _is_qlib_dir(p):
        raw = _read_qlib(p, universe=universe, start=lo, end=hi, fields=fields)
        raw = _add_provenance(raw, 0)
    elif p.is_dir():
        raw, files = _read_folder(p, mapping)
    elif p.suffix.lower() in _DUCKDB_SUFFIXES:
        raw = _add_provenance(_read_duckdb(p, table=table, query=query), 0)
    else:
        raw = _add_provenance(_read_table_file(p), 0)
    if not p.is_dir():
        prov = {ROW_COL, SRC_COL}
        raw = raw.rename(auto_mapping([c for c in raw.columns if c not in prov], mapping))
    if fields is not None and not _is_qlib_dir(p):
        keep = [c for c in raw.columns if c in (*REQUIRED_COLUMNS, ROW_COL, SRC_COL) or c in fields]
        raw = raw.select(keep)
    frame, issues, counts = coerce_panel(raw, source=source, files=files)
    parsed = ValidationReport(issues=tuple(issues), counts=counts, null_counts={}, source=source)
    if "missing_columns" in counts or not frame.schema["date"].is_temporal():
        parsed.raise_if_fatal()
    # select first, then validate the selection: problems outside it do not matter
    frame = _select(frame, lo=lo, hi=hi, universe=None if _is_qlib_dir(p) else universe, source=source)
    report = merge_reports(parsed, validate_panel(frame, source=source, files=files))
    return LoadedSource(frame=frame, files=tuple(files), source=source), report


def _select(
    frame: pl.DataFrame,
    *,
    lo: dt.datetime | None,
    hi: dt.datetime | None,
    universe: Sequence[str] | str | Path | None,
    source: str,
) -> pl.DataFrame:
    is_date = frame.schema["date"] == pl.Date
    if lo is not None:
        frame = frame.filter(pl.col("date") >= (lo.date() if is_date else lo))
    if hi is not None:
        if is_date:
            frame = frame.filter(pl.col("date") <= hi.date())
        elif hi.time() == dt.time(0):  # an end date includes the whole day
            frame = frame.filter(pl.col("date") < hi + dt.timedelta(days=1))
        else:
            frame = frame.filter(pl.col("date") <= hi)
    if universe is None:
        return frame
    if isinstance(universe, str | Path) and Path(universe).is_file():
        spans = read_instruments(universe)
        names = list(spans)
    elif isinstance(universe, str | Path):
        raise ConfigError(
            f"universe {str(universe)!r} is neither a list of assets nor an instruments file",
        )
    else:
        names, spans = list(universe), {}
    present = set(frame["asset"].unique().to_list())
    missing = [n for n in names if n not in present]
    if missing and len(missing) == len(names):
        raise DataError(
            f"none of the universe's assets is in the data (first: {missing[0]!r}"
            f"{did_you_mean(missing[0], sorted(present))})",
            file=source,
            column="asset",
            fix="check the asset names (case matters) and the date range",
        )
    if missing:
        log.warning("%d universe asset(s) not in %s: %s", len(missing), source, missing[:10])
    frame = frame.filter(pl.col("asset").is_in(names))
    if spans:
        conds = []
        for name, (a, b) in spans.items():
            cond = pl.col("asset") == name
            if a is not None:
                cond = cond & (pl.col("date").cast(pl.Date) >= a)
            if b is not None:
                cond = cond & (pl.col("date").cast(pl.Date) <= b)
            conds.append(cond)
        frame = frame.filter(pl.any_horizontal(conds))
    return frame


def load_panel(
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    universe: Sequence[str] | str | Path | None = None,
    table: str | None = None,
    query: str | None = None,
    fields: Sequence[str] | None = None,
    strict: bool = True,
    repair: Iterable[RepairAction | str] | None = None,
    allow: Iterable[str] = (),
) -> pl.DataFrame:
    """Load market data from ``path`` into the canonical panel.

    Parameters
    ----------
    path:
        A Parquet/CSV file, a folder of per-asset CSV/Parquet files, a DuckDB file
        (``.duckdb``/``.db``) or a qlib binary folder (``calendars/``, ``instruments/``, ``features/``).
    mapping:
        Source column -> canonical name (``{"Name": "asset", "timestamp": "date"}``); common names
        (``symbol``, ``ticker``, ``Date``, ``Open``...) are mapped automatically.
    start, end:
        Inclusive date range (``"2015-01-01"``, a date or a datetime).
    universe:
        A list of assets, or the path of a qlib instruments file (``SYMBOL<TAB>start<TAB>end``:
        rows outside each asset's span are dropped); for a qlib folder, also a market name
        (``"csi300"`` reads ``instruments/csi300.txt``).
    table, query:
        For DuckDB: the table to read, or a SQL query.
    fields:
        Extra fields to keep (the required ones always are).
    strict:
        Raise :class:`~rdq.errors.ValidationError`/:class:`~rdq.errors.SchemaError` on a fatal
        problem (missing columns, duplicates, non-positive prices, unparseable dates or numbers).
        Soft problems are only logged.
    repair:
        Repairs applied before the strict check (see :func:`rdq.data.repair_panel`): any of
        ``"duplicates"``, ``"high_low"``, ``"nan"``, ``"nonpositive"``, or ``"all"``.
    allow:
        Fatal kinds accepted on purpose (logged as warnings), any of
        :data:`rdq.data._validate.ALLOWABLE_KINDS`: ``"all_null"``, ``"high_below_low"``,
        ``"non_positive_price"``, ``"negative_volume"`` (``--allow KIND`` on the command line).

    Returns
    -------
    pl.DataFrame
        The canonical panel ``date, asset, open, high, low, close, volume[, ...]`` sorted by
        ``(asset, date)``; shape ``(n_rows, 7 + n_extra)``.

    Examples
    --------
    >>> panel = load_panel("../shared/data/sp500_5yr_daily.parquet", start="2017-01-01")  # doctest: +SKIP
    """
    loaded, report = read_source(
        path,
        mapping=mapping,
        start=start,
        end=end,
        universe=universe,
        table=table,
        query=query,
        fields=fields,
    )
    frame = loaded.frame
    if repair:
        parse_only = ValidationReport(
            issues=tuple(i for i in report.issues if str(i.kind) in _PARSE_KINDS),
            counts={k: v for k, v in report.counts.items() if k in _PARSE_KINDS},
            null_counts={},
            source=loaded.source,
        )
        frame, changes = repair_panel(frame, list(repair))
        report = merge_reports(parse_only, validate_panel(frame, source=loaded.source, files=loaded.files))
        log.info("repairs on %s: %s", loaded.source, changes)
    report = report.allowing(allow)
    if strict:
        report.raise_if_fatal()
    if report.soft:
        log.warning(
            "%s: %s",
            loaded.source,
            ", ".join(f"{v} {k}" for k, v in report.counts.items()),
        )
    return frame.drop([c for c in (ROW_COL, SRC_COL) if c in frame.columns])
