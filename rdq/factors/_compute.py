"""``compute``: a panel and named expressions in, a FactorFrame out.

::

    panel (sorted by asset, date)              FactorFrame, same rows in the same order
    date        asset  open ... volume   ->    date        asset  KMID      ROC5  ...
    2013-02-08  AAL    15.07    8407500        2013-02-08  AAL    -0.0212   null
    ...                                        ...

Like qlib, time-series operators count trading days on the panel's calendar (the sorted union of
its dates): when an asset has no row on a calendar day inside its own first..last range, that day
is inserted with missing fields while computing (so ``Ref($close, 1)`` is the previous *calendar*
day, missing after a gap, exactly as in qlib's per-instrument series) and dropped again from the
output. Cross-sectional operators ignore the inserted rows.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import polars as pl

from rdq.data.schema import panel_fingerprint
from rdq.errors import ConfigError, ExpressionError, SchemaError, ValidationError
from rdq.factors._cache import FactorCache
from rdq.factors._compile import REAL, CompileContext, Precision, batch_groups, compile_expr, implied_calls
from rdq.factors._fields import Missing, check_fields, panel_fields
from rdq.factors._parser import Call, Field, Name, Node, parse
from rdq.factors._registry import registered_factors

__all__ = ["compute", "parse_named", "working_frame"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

_PY_PREFIX = "__rdq_py_"


def _names_in(node: Node) -> set[str]:
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, Call):
        out: set[str] = set()
        for a in node.args:
            out |= _names_in(a)
        return out
    return set()


def _fields_in(node: Node) -> set[str]:
    if isinstance(node, Field):
        return {node.name}
    if isinstance(node, Call):
        return set().union(*(_fields_in(a) for a in node.args))
    return set()


def _count_calls(node: Node, counts: dict[str, int]) -> None:
    if isinstance(node, Call):
        key = str(node)
        counts[key] = counts.get(key, 0) + 1
        for a in (*node.args, *implied_calls(node)):
            _count_calls(a, counts)


def parse_named(exprs: Mapping[str, str]) -> dict[str, Node]:
    """Parse every expression, naming the factor in any error.

    Raises
    ------
    ExpressionError
        ``factor 'NAME': <what>`` with the caret under the position.
    ConfigError
        A name is empty or an expression is not a string.
    """
    out: dict[str, Node] = {}
    for name, text in exprs.items():
        if not isinstance(name, str) or not name or name in ("date", "asset"):
            raise ConfigError(f"bad factor name {name!r}: use a non-empty name other than 'date'/'asset'")
        if not isinstance(text, str):
            raise ConfigError(f"factor {name!r}: the expression must be a string, got {type(text).__name__}")
        try:
            out[name] = parse(text)
        except ExpressionError as exc:
            raise _named(exc, name) from None
    return out


def _named(exc: ExpressionError, name: str) -> ExpressionError:
    first = str(exc).splitlines()[0]
    return ExpressionError(f"factor '{name}': {first}", expr=exc.expr, pos=exc.pos)


def _check_panel(panel: pl.DataFrame) -> pl.DataFrame:
    if not isinstance(panel, pl.DataFrame):
        raise SchemaError(
            f"expected a polars DataFrame panel, got {type(panel).__name__}",
            fix="load it with rdq.data.load_panel or normalize_panel",
        )
    for col in ("date", "asset"):
        if col not in panel.columns:
            raise SchemaError(
                f"the panel has no '{col}' column; found {panel.columns}",
                column=col,
                fix="normalise the frame with rdq.data.schema.normalize_panel (e.g. rename symbol -> asset)",
            )
    if panel.height < 2:
        return panel
    if not _strictly_sorted(panel):
        panel = panel.sort(["asset", "date"])
        a, d = pl.col("asset"), pl.col("date")
        dup = panel.select(((a == a.shift(1)) & (d == d.shift(1))).arg_true().first()).item()
        if dup is not None:
            row = panel.row(int(dup), named=True)
            raise ValidationError(
                f"duplicate (date, asset) rows, e.g. {row['asset']} on {row['date']}",
                column="date",
                fix="deduplicate the panel (rdq.data.validate_panel reports every duplicate)",
            )
    return panel


def _strictly_sorted(panel: pl.DataFrame) -> bool:
    """Sorted by (asset, date) with no duplicate (asset, date): one O(n) pass."""
    a, d = pl.col("asset"), pl.col("date")
    ok = (a > a.shift(1)) | ((a == a.shift(1)) & (d > d.shift(1)))
    return bool(panel.select(ok.slice(1).all()).item())


def working_frame(panel: pl.DataFrame, *, calendar: np.ndarray | None = None) -> tuple[pl.DataFrame, np.ndarray]:
    """The sorted panel with calendar gaps inside each asset's range filled by null rows.

    Returns the frame (with the Boolean column ``__rdq_real``, True for the panel's own rows;
    numeric fields as Float64, NaN as null) and the asset boundaries ``(n_assets + 1,)``.
    ``calendar`` (sorted physical date values, a superset of the panel's) replaces the panel's
    own calendar: a chunk of assets computed on the whole panel's calendar has the whole panel's gaps.
    """
    lengths = panel.group_by("asset", maintain_order=True).len()["len"].to_numpy().astype(np.int64)
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    phys = panel["date"].to_physical().to_numpy()
    cal = np.unique(phys) if calendar is None else np.asarray(calendar)
    ci = np.searchsorted(cal, phys)
    lo = ci[starts[:-1]]
    hi = ci[starts[1:] - 1]
    span = (hi - lo + 1).astype(np.int64)
    if np.array_equal(span, lengths):
        floats = [c for c, t in panel.schema.items() if t.is_float()]
        return panel.with_columns(*[pl.col(c).fill_nan(None) for c in floats], pl.lit(True).alias(REAL)), starts
    new_starts = np.zeros(len(span) + 1, dtype=np.int64)
    np.cumsum(span, out=new_starts[1:])
    total = int(new_starts[-1])
    dest = np.repeat(new_starts[:-1] - lo, lengths) + ci
    full_ci = np.arange(total) - np.repeat(new_starts[:-1], span) + np.repeat(lo, span)
    real = np.zeros(total, dtype=bool)
    real[dest] = True
    assets = panel["asset"].gather(starts[:-1]).to_numpy()
    cols: dict[str, pl.Series] = {
        "date": pl.Series("date", cal[full_ci]).cast(panel.schema["date"]),
        "asset": pl.Series("asset", np.repeat(assets, span), dtype=pl.Utf8),
    }
    for name, dtype in panel.schema.items():
        if name in ("date", "asset") or not (dtype.is_numeric() or dtype == pl.Boolean):
            continue
        vals = np.full(total, np.nan)
        vals[dest] = panel[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        cols[name] = pl.Series(name, vals).fill_nan(None)
    cols[REAL] = pl.Series(REAL, real)
    return pl.DataFrame(cols), new_starts


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[object]:
    """Factors done so far, through :mod:`rdq.progress` (a bar on a terminal, else log lines)."""
    from rdq.progress import progress as report

    with report("factors", total, enabled=enabled, logger=log) as bar:
        yield bar.advance


def compute(
    panel: pl.DataFrame,
    exprs: Mapping[str, str],
    *,
    cache_dir: str | Path | None = None,
    progress: bool = False,
    precision: Precision = "float64",
    chunk_size: int = 40,
    out_dtype: Literal["float64", "float32"] = "float64",
    missing: Missing = "error",
    calendar: np.ndarray | None = None,
) -> pl.DataFrame:
    """Evaluate named factor expressions on a panel.

    Parameters
    ----------
    panel:
        Canonical panel (``date, asset`` + numeric fields), one row per (date, asset). Sorted by
        (asset, date) if it is not already.
    exprs:
        Factor name -> qlib expression (``"Mean($close, 5)/$close"``) or the name of a factor
        registered with :func:`rdq.factors.register_factor`.
    cache_dir:
        Folder for cached factor columns (Parquet, keyed by panel fingerprint and expression).
    progress:
        Report factors done (:mod:`rdq.progress`: a rich bar when stderr is a terminal, else an
        INFO line on ``rdq.factors._compute`` every few seconds).
    precision:
        ``"float64"`` (default) or ``"qlib"``: element-wise arithmetic in float32 on float32
        fields, as qlib does on its binary data (bit-for-bit qlib intermediates).
    chunk_size:
        Factors evaluated per polars query (bounds memory on wide libraries).
    out_dtype:
        Type of the factor columns. ``"float32"`` (how qlib stores features, what LightGBM trains
        on) halves the result's memory; each chunk is cast as it is produced, so the float64 values
        of the whole library never sit in memory at once.
    missing:
        ``"error"`` (default): a ``$field`` the panel lacks is an :class:`ExpressionError`.
        ``"skip"``: factors reading a missing field are left out of the result, with one warning
        naming them (see :func:`rdq.factors.check_fields`).
    calendar:
        Sorted physical date values to count trading days on instead of the panel's own dates
        (used by :func:`rdq.factors.compute_to_parquet` for chunks of assets).

    Returns
    -------
    pl.DataFrame
        FactorFrame ``date, asset, <name>...`` (``out_dtype``, null = missing), shape
        ``(panel.height, 2 + len(exprs))``, rows sorted by (asset, date).

    Raises
    ------
    ExpressionError
        An expression does not parse or compile (names the factor and the position).
    SchemaError, ValidationError
        The panel lacks ``date``/``asset`` or has duplicate rows.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> p = pl.DataFrame({"date": [dt.date(2020, 1, d) for d in (1, 2, 3)], "asset": ["A"] * 3,
    ...                   "open": [1.0, 2, 3], "high": [1.0, 2, 3], "low": [1.0, 2, 3],
    ...                   "close": [1.0, 2, 4], "volume": [1.0, 1, 1]})
    >>> compute(p, {"ret": "$close/Ref($close, 1) - 1"})["ret"].to_list()
    [None, 1.0, 1.0]
    """
    if precision not in ("float64", "qlib"):
        raise ConfigError(f"precision must be 'float64' or 'qlib', got {precision!r}")
    if out_dtype not in ("float64", "float32"):
        raise ConfigError(f"out_dtype must be 'float64' or 'float32', got {out_dtype!r}")
    dtype = pl.Float32 if out_dtype == "float32" else pl.Float64
    if missing not in ("error", "skip"):
        raise ConfigError(f"missing must be 'error' or 'skip', got {missing!r}")
    nodes = parse_named(exprs)
    panel = _check_panel(panel)
    if missing == "skip":
        check = check_fields(exprs, panel_fields(panel))
        if check.skipped:
            log.warning("%s", check.message())
            exprs = check.computable
            nodes = {k: v for k, v in nodes.items() if k in exprs}
    names = list(nodes)
    key_cols = panel.select("date", "asset")
    if panel.height == 0:
        return key_cols.with_columns([pl.lit(None, dtype=dtype).alias(n) for n in names])

    fields = frozenset(
        c for c, t in panel.schema.items() if c not in ("date", "asset") and (t.is_numeric() or t == pl.Boolean)
    )
    work, starts = working_frame(panel, calendar=calendar)
    lengths = np.diff(starts)

    # Python factors: a bare registered name, or used inside an expression
    registry = registered_factors()
    used: set[str] = set()
    for node in nodes.values():
        used |= _names_in(node)
    py_cols = {n: f"{_PY_PREFIX}{n}" for n in used if n in registry}
    if py_cols:
        work = _add_python_factors(work, {n: registry[n] for n in py_cols}, py_cols)

    field_columns: dict[str, tuple[str, str]] = {}
    if precision == "qlib":
        # each field rounded to float32 once (and widened back once for the kernels)
        for f in sorted(set().union(*(_fields_in(n) for n in nodes.values())) & fields):
            field_columns[f] = (f"__rdq_f32_{f}", f"__rdq_f64_{f}")
        work = work.with_columns(
            *[pl.col(f).cast(pl.Float32).alias(c32) for f, (c32, _) in field_columns.items()],
            *[pl.col(f).cast(pl.Float32).cast(pl.Float64).alias(c64) for f, (_, c64) in field_columns.items()],
        )

    counts: dict[str, int] = {}
    for node in nodes.values():
        _count_calls(node, counts)
    ctx = CompileContext(
        fields=fields,
        starts=starts,
        precision=precision,
        python_factors=py_cols,
        field_columns=field_columns,
        max_len=int(lengths.max()),
        shared=frozenset(k for k, c in counts.items() if c > 1),
        batches=batch_groups(list(nodes.values())),
    )
    compiled: dict[str, pl.Expr] = {}
    for name, node in nodes.items():
        try:
            compiled[name] = compile_expr(node, ctx, text=exprs[name]).alias(name)
        except ExpressionError as exc:
            raise _named(exc, name) from None

    cache = FactorCache(cache_dir, panel_fingerprint(panel)) if cache_dir is not None else None
    # float32 results are cached under their own key: the cast happens inside the query
    tag = precision if out_dtype == "float64" else f"{precision}|float32"
    results: dict[str, pl.Series] = {}
    todo: list[str] = []
    for name in names:
        hit = None
        if cache is not None and not _names_in(nodes[name]):
            hit = cache.get(f"{tag}|{nodes[name]}", panel.height)
        if hit is not None:
            results[name] = hit.alias(name).cast(dtype)
        else:
            todo.append(name)
    if cache is not None:
        log.info("factor cache: %d hit(s), %d to compute", len(names) - len(todo), len(todo))

    # shared sub-expressions of the factors still to compute, stage by stage
    needed = _needed_temps(ctx.temps, [compiled[n] for n in todo])
    for stage in sorted({st for name, (_, st) in ctx.temps.items() if name in needed}):
        batch = [e for name, (e, st) in ctx.temps.items() if st == stage and name in needed]
        work = work.hstack(_parallel_select(work, batch).get_columns())

    with _progress(progress, len(todo)) as advance:
        size = max(1, chunk_size)
        for start in range(0, len(todo), size):
            chunk = todo[start : start + size]
            # drop the temporaries no factor still to come reads (frees their memory early)
            left = _needed_temps(ctx.temps, [compiled[n] for n in todo[start:]])
            work = work.drop([c for c in work.columns if c in ctx.temps and c not in left])
            out = _evaluate(work, [compiled[n].cast(dtype) for n in chunk])
            for name in chunk:
                results[name] = out[name]
                if cache is not None and not _names_in(nodes[name]):
                    cache.put(f"{tag}|{nodes[name]}", out[name])
            if advance is not None:
                advance(len(chunk))  # type: ignore[operator]
    return key_cols.with_columns([results[n].alias(n) for n in names])


def _needed_temps(temps: dict[str, tuple[pl.Expr, int]], exprs: list[pl.Expr]) -> set[str]:
    """Temporary columns the expressions read, directly or through other temporaries."""
    needed: set[str] = set()
    todo = [c for e in exprs for c in e.meta.root_names() if c in temps]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(c for c in temps[name][0].meta.root_names() if c in temps)
    return needed


def _run(fn: Callable[[], _T]) -> _T:
    try:
        return fn()
    except pl.exceptions.PolarsError as exc:  # pragma: no cover - defensive: compile checks catch most
        raise ExpressionError(f"evaluating factors failed: {str(exc).splitlines()[0]}", expr="") from None


def _parallel_select(work: pl.DataFrame, exprs: list[pl.Expr]) -> pl.DataFrame:
    """``work.select(exprs)`` split over one thread per core.

    polars runs Python UDFs (our numba kernels) one after another inside one query; the kernels
    release the GIL, so separate queries on separate threads do run them in parallel.
    """
    threads = min(os.cpu_count() or 1, len(exprs))
    # one contiguous chunk per column: polars picks its group-reduction path (and so the order of
    # a float sum under .over("date")) by the chunk layout, which hstack/concat can leave ragged
    work = work.rechunk()
    height = pl.col(REAL).alias("__rdq_height")  # keeps constant expressions full height

    def select(part: list[pl.Expr]) -> pl.DataFrame:
        return work.lazy().select(height, *part).collect().drop("__rdq_height")

    if threads <= 1:
        return _run(lambda: select(exprs))
    parts = [exprs[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        frames = _run(lambda: list(pool.map(select, parts)))
    out = pl.concat(frames, how="horizontal")
    return out.select([e.meta.output_name() for e in exprs])


def _evaluate(work: pl.DataFrame, exprs: list[pl.Expr]) -> pl.DataFrame:
    out = _parallel_select(work, [pl.col(REAL), *exprs])
    return out.filter(pl.col(REAL)).drop(REAL)


def _add_python_factors(work: pl.DataFrame, fns: dict, cols: dict[str, str]) -> pl.DataFrame:
    base = work
    for name, fn in fns.items():
        try:
            value = fn(base)
        except Exception as exc:
            raise ExpressionError(
                f"Python factor '{name}' raised {type(exc).__name__}: {exc}", expr=name, pos=0
            ) from exc
        if isinstance(value, pl.Expr):
            try:
                series = base.select(value.cast(pl.Float64).alias(cols[name])).to_series()
            except pl.exceptions.PolarsError as exc:
                raise ExpressionError(
                    f"Python factor '{name}' returned an expression polars cannot evaluate: {str(exc).splitlines()[0]}",
                    expr=name,
                    pos=0,
                ) from None
        elif isinstance(value, pl.Series):
            series = value
        else:
            raise ExpressionError(
                f"Python factor '{name}' must return a pl.Series or pl.Expr, got {type(value).__name__}",
                expr=name,
                pos=0,
            )
        if series.len() != base.height:
            raise ExpressionError(
                f"Python factor '{name}' returned {series.len()} values for {base.height} panel rows",
                expr=name,
                pos=0,
            )
        try:
            series = series.cast(pl.Float64).fill_nan(None)
        except pl.exceptions.PolarsError:
            raise ExpressionError(
                f"Python factor '{name}' returned non-numeric values ({series.dtype})", expr=name, pos=0
            ) from None
        work = work.with_columns(series.alias(cols[name]))
    return work
