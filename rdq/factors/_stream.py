"""``compute_to_parquet``: a factor library computed in chunks of assets, streamed to one Parquet file.

A whole library held in memory is large: Alpha360 in float64 on 2.4M rows is 6.9 GB of values
alone. Streaming computes the panel a few hundred thousand rows (whole assets) at a time and writes
each chunk as a Parquet row group, so the peak memory is one chunk's working set, whatever the size
of the panel::

    panel (sorted by asset, date)         out.parquet (row groups in asset order)
    asset AAL   rows 0     .. 1258   ->   row group 0   AAL .. ABT      (chunk_rows rows or more)
    asset AAP   rows 1259  .. 2517        row group 1   ACN .. ADSK
    ...                                   ...

The file equals ``compute(panel, exprs)`` written in one go: same rows in the same order (sorted by
``(asset, date)``, as :func:`rdq.factors.compute` returns them), same columns in the same order, same
dtypes, values and missing positions (``tests/factors/test_stream.py``). Two things make that hold:

* each chunk counts trading days on the **whole panel's calendar** (``compute(..., calendar=...)``),
  so a day that one asset misses is a gap inside a chunk exactly as in the whole panel;
* a factor that needs other assets of the same date (a cross-sectional operator such as ``CSRank``,
  ``Mask(x, 'INSTRUMENT')``, which reads one named asset, or a registered Python factor, which sees
  the whole frame) is computed on the whole panel first;
  its columns (only those) stay in memory and are written beside each chunk's rows. Time-series and
  element-wise factors -- all of Alpha158/Alpha360 -- are computed per chunk.

The file is written to a hidden temporary file beside ``out`` (``.<name>.<random>.tmp``) and renamed
onto ``out`` when complete: an interrupted or failed write never leaves a partial file at ``out``
(an existing ``out`` stays as it was). The file gets the user's umask, like any file the user
creates. Factors that read a field the panel lacks are skipped (``missing="skip"``, one warning) and
listed in the file's key-value metadata under :data:`SKIPPED_KEY` (``"rdq.skipped_factors"``) as JSON
``{"VWAP0": ["vwap"]}``; read it with :func:`read_skipped`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from rdq._files import mkstemp
from rdq.errors import ConfigError, SchemaError
from rdq.factors._compile import Precision
from rdq.factors._compute import _check_panel, compute, parse_named
from rdq.factors._fields import SKIPPED_KEY, FieldCheck, Missing, check_fields, panel_fields
from rdq.factors._parser import Call, Name, Node
from rdq.progress import progress as progress_bar

__all__ = ["compute_to_parquet", "FactorFile", "read_skipped", "needs_whole_panel", "asset_chunks", "SKIPPED_KEY"]

log = logging.getLogger(__name__)

#: operators whose value at a date reads other assets of that date: the cross-sectional ones (every
#: asset) and ``Mask(x, 'INSTRUMENT')`` (one named asset, absent from most chunks)
CROSS_SECTIONAL = frozenset({"CSRank", "CSZScore", "CSDemean", "CSNeutralize", "Mask"})

#: default chunk size in factor values (rows x factors): 24M values is 192 MB of float64
CHUNK_VALUES = 24_000_000


@dataclass(frozen=True)
class FactorFile:
    """What :func:`compute_to_parquet` wrote.

    Attributes
    ----------
    path:
        The Parquet file.
    rows:
        Data rows (the panel's rows).
    factors:
        Factor columns in file order (after ``date, asset``).
    skipped:
        Factor name -> the missing fields it reads (not in the file).
    chunks:
        Row groups written (chunks of assets).
    whole_panel:
        Factors computed on the whole panel (cross-sectional or Python factors).
    """

    path: Path
    rows: int
    factors: tuple[str, ...]
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)
    chunks: int = 0
    whole_panel: tuple[str, ...] = ()


def needs_whole_panel(node: Node) -> bool:
    """True when the expression reads other assets (a cross-sectional operator, ``Mask`` or a Python factor)."""
    if isinstance(node, Name):
        return True
    if isinstance(node, Call):
        return node.op in CROSS_SECTIONAL or any(needs_whole_panel(a) for a in node.args)
    return False


def asset_chunks(lengths: np.ndarray, chunk_rows: int) -> list[tuple[int, int]]:
    """Row ranges ``[(start, stop), ...]`` of consecutive whole assets, each >= ``chunk_rows`` rows
    except the last (an asset longer than ``chunk_rows`` is a chunk of its own).

    Parameters
    ----------
    lengths:
        Rows per asset ``(n_assets,)`` in panel order.
    chunk_rows:
        Target rows per chunk (>= 1).

    Examples
    --------
    >>> asset_chunks(np.array([3, 3, 3, 1]), 5)
    [(0, 6), (6, 10)]
    >>> asset_chunks(np.array([3, 3]), 1)
    [(0, 3), (3, 6)]
    """
    out: list[tuple[int, int]] = []
    start = stop = 0
    for n in lengths.tolist():
        stop += int(n)
        if stop - start >= chunk_rows:
            out.append((start, stop))
            start = stop
    if stop > start:
        out.append((start, stop))
    return out


@contextmanager
def _atomic_file(out: Path) -> Iterator[Path]:
    """A fresh temporary path beside ``out``, renamed onto ``out`` when the block completes.

    The file is created with mode ``0o666`` minus the umask (:func:`rdq._files.mkstemp`; the
    standard library's ``mkstemp`` would make it ``0600``). On any exception the temporary file is removed and ``out`` is untouched.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class _Writer:
    """A Parquet file written one row group per chunk, on a background thread.

    Writing chunk ``i`` (compression runs outside the GIL) overlaps computing chunk ``i + 1``; at most
    one chunk waits to be written, so two chunks are in memory at most. Floats are written without
    dictionary encoding (random floats do not repeat: pyarrow would build and drop a dictionary per
    column) and statistics are kept for ``date`` and ``asset`` only (row-group pruning by date or
    asset), which makes pyarrow as fast as polars' own writer.
    """

    def __init__(self, path: Path, meta: dict[bytes, bytes], compression: str) -> None:
        self.path = path
        self.meta = meta
        self.compression = compression
        self.schema: pa.Schema | None = None
        self.writer: pq.ParquetWriter | None = None
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="rdq-parquet")
        self.pending: Future[None] | None = None

    def __enter__(self) -> _Writer:
        return self

    def _write(self, table: pa.Table) -> None:
        assert self.writer is not None
        self.writer.write_table(table, row_group_size=max(1, table.num_rows))

    def write(self, frame: pl.DataFrame) -> None:
        table = frame.to_arrow()
        if self.schema is None:
            self.schema = table.schema.with_metadata(self.meta)
            self.writer = pq.ParquetWriter(
                self.path,
                self.schema,
                compression=self.compression,
                use_dictionary=["asset"],
                write_statistics=["date", "asset"],
            )
        table = table.cast(self.schema) if not table.schema.equals(self.schema) else table
        table = table.replace_schema_metadata(self.meta)
        self.wait()
        self.pending = self.pool.submit(self._write, table)

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                self.wait()
        finally:
            if self.pending is not None:
                self.pending.cancel()
                try:
                    self.pending.result()
                except BaseException:  # noqa: BLE001 - the original exception is what matters
                    pass
            self.pool.shutdown(wait=True)
            if self.writer is not None:
                self.writer.close()


def compute_to_parquet(
    panel: pl.DataFrame,
    exprs: Mapping[str, str],
    out: str | Path,
    *,
    chunk_rows: int | None = None,
    precision: Precision = "float64",
    out_dtype: Literal["float64", "float32"] = "float64",
    missing: Missing = "skip",
    cache_dir: str | Path | None = None,
    progress: bool = False,
    compression: str = "zstd",
    source: str | None = None,
) -> FactorFile:
    """Compute named factor expressions in chunks of assets and stream them to one Parquet file.

    Parameters
    ----------
    panel:
        Canonical panel (``date, asset`` + numeric fields); sorted by (asset, date) if it is not.
    exprs:
        Factor name -> expression (as for :func:`rdq.factors.compute`).
    out:
        The Parquet file to write (replaced atomically).
    chunk_rows:
        Rows per chunk (whole assets; at least one asset per chunk). Default:
        ``CHUNK_VALUES // len(exprs)`` (152k rows for Alpha158, 67k for Alpha360).
    precision, out_dtype:
        As for :func:`rdq.factors.compute`; ``out_dtype="float32"`` halves the file and the chunk.
    missing:
        ``"skip"`` (default): factors reading a field the panel lacks are left out, with one
        warning, and listed in the file's metadata (:data:`SKIPPED_KEY`). ``"error"``: raise.
    cache_dir:
        Factor cache folder, per chunk (see :func:`rdq.factors.compute`).
    progress:
        Report progress over rows through :mod:`rdq.progress` (a bar on a terminal, else an INFO
        line every few seconds).
    compression:
        Parquet codec (``"zstd"``, as polars writes by default; ``"snappy"``, ``"none"``, ...).
    source:
        The data file's name, for error messages.

    Returns
    -------
    FactorFile
        The path, row count, factor columns, skipped factors and chunk count. The file holds
        ``date, asset, <factor>...`` (``out_dtype``, null = missing), rows sorted by (asset, date).

    Raises
    ------
    SchemaError
        ``missing="error"`` and a factor reads a field the panel lacks, or no factor is computable.
    ExpressionError, ConfigError
        As :func:`rdq.factors.compute`.

    Examples
    --------
    >>> import polars as pl, datetime as dt, tempfile, pathlib
    >>> p = pl.DataFrame({"date": [dt.date(2020, 1, d) for d in (1, 2, 3)] * 2, "asset": ["A"] * 3 + ["B"] * 3,
    ...                   "close": [1.0, 2, 4, 1, 1, 1]})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "f.parquet"
    >>> res = compute_to_parquet(p, {"ret": "$close/Ref($close, 1) - 1", "v": "$vwap"}, path, chunk_rows=1)
    >>> res.chunks, res.factors, res.skipped, read_skipped(path)
    (2, ('ret',), {'v': ('vwap',)}, {'v': ['vwap']})
    >>> pl.read_parquet(path)["ret"].to_list()
    [None, 1.0, 1.0, None, 0.0, 0.0]
    """
    if chunk_rows is not None and chunk_rows < 1:
        raise ConfigError(f"chunk_rows must be >= 1, got {chunk_rows}")
    if missing not in ("skip", "error"):
        raise ConfigError(f"missing must be 'skip' or 'error', got {missing!r}")
    out = Path(out)
    parse_named(exprs)  # names the factor in any syntax error, before any work
    panel = _check_panel(panel)
    check = check_fields(exprs, panel_fields(panel))
    if missing == "error":
        check.raise_if_skipped(source=source)
    if check.skipped:
        log.warning("%s", check.message())
    todo = check.computable
    if not todo:
        raise SchemaError(
            f"no factor is computable: every one reads a missing field ({', '.join(check.missing_fields)})",
            file=source,
            column=check.missing_fields[0] if check.missing_fields else None,
            fix=f"add the column(s) {', '.join(repr(f) for f in check.missing_fields)} to the data",
        )
    return _stream(panel, todo, out, check, chunk_rows=chunk_rows, precision=precision, out_dtype=out_dtype,
                   cache_dir=cache_dir, progress=progress, compression=compression)


def _stream(
    panel: pl.DataFrame,
    todo: dict[str, str],
    out: Path,
    check: FieldCheck,
    *,
    chunk_rows: int | None,
    precision: Precision,
    out_dtype: Literal["float64", "float32"],
    cache_dir: str | Path | None,
    progress: bool,
    compression: str,
) -> FactorFile:
    nodes = parse_named(todo)
    whole = {n: todo[n] for n, node in nodes.items() if needs_whole_panel(node)}
    per_chunk = {n: t for n, t in todo.items() if n not in whole}
    names = list(todo)
    opts = {"precision": precision, "out_dtype": out_dtype, "cache_dir": cache_dir}

    whole_frame = None
    if whole:
        log.info("factors: %d need the whole panel (cross-sectional or Python): %s", len(whole), ", ".join(whole))
        whole_frame = compute(panel, whole, **opts).drop("date", "asset")  # type: ignore[arg-type]

    lengths = panel.group_by("asset", maintain_order=True).len()["len"].to_numpy()
    rows = chunk_rows if chunk_rows is not None else max(1, CHUNK_VALUES // max(1, len(names)))
    chunks = asset_chunks(lengths, rows) or [(0, 0)]
    calendar = np.unique(panel["date"].to_physical().to_numpy())
    meta = {SKIPPED_KEY.encode(): json.dumps({k: list(v) for k, v in check.skipped.items()}).encode()}

    with (
        progress_bar("factors (rows)", total=panel.height, enabled=progress, logger=log) as bar,
        _atomic_file(out) as tmp,
        _Writer(tmp, meta, compression) as writer,
    ):
        for start, stop in chunks:
            part = panel.slice(start, stop - start)
            if per_chunk:
                frame = compute(part, per_chunk, calendar=calendar, **opts)  # type: ignore[arg-type]
            else:
                frame = part.select("date", "asset")
            if whole_frame is not None:
                frame = frame.hstack(whole_frame.slice(start, stop - start).get_columns())
            writer.write(frame.select("date", "asset", *names))
            del frame
            bar.advance(stop - start)
    return FactorFile(
        path=out,
        rows=panel.height,
        factors=tuple(names),
        skipped=dict(check.skipped),
        chunks=len(chunks),
        whole_panel=tuple(whole),
    )


def read_skipped(path: str | Path) -> dict[str, list[str]]:
    """The factors a :func:`compute_to_parquet` file skipped: name -> missing fields (``{}`` if none)."""
    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(SKIPPED_KEY.encode())
    return json.loads(raw) if raw else {}
