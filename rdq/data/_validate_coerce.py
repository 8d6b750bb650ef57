"""Casting a raw frame to the canonical schema row by row: bad cells become issues, not exceptions."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from rdq.data._validate_report import _PROVENANCE, ROW_COL, SRC_COL, Issue, IssueKind, _Collector
from rdq.data.schema import KEY_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, normalize_panel
from rdq.errors import SchemaError, did_you_mean

__all__ = ["coerce_panel"]

_NA_TOKENS = ("", "na", "nan", "null", "none", "n/a", "-", "#n/a")
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d",
    "%m/%d/%Y",
    "%d.%m.%Y",
)



def _with_provenance(frame: pl.DataFrame) -> pl.DataFrame:
    if ROW_COL not in frame.columns:
        frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW_COL))
    if SRC_COL not in frame.columns:
        frame = frame.with_columns(pl.lit(0, dtype=pl.Int64).alias(SRC_COL))
    return frame


def _parse_dates(col: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Parse a string column with the format that reads most rows; return (parsed, failed_mask)."""
    stripped = col.str.strip_chars()
    present = stripped.is_not_null() & (stripped != "")
    best: pl.Series | None = None
    best_ok = -1
    for fmt in _DATE_FORMATS:
        try:
            parsed = stripped.str.to_datetime(format=fmt, strict=False, time_unit="us")
        except Exception:  # noqa: BLE001 - polars raises several types for a bad format
            continue
        ok = int(parsed.is_not_null().sum())
        if ok > best_ok:
            best, best_ok = parsed, ok
        if ok == int(present.sum()):
            break
    if best is None or best_ok <= 0:
        try:  # last resort: polars' own inference (handles time zones, fractions)
            best = stripped.str.to_datetime(strict=False, time_unit="us")
        except Exception:  # noqa: BLE001
            best = pl.Series(col.name, [None] * len(col), dtype=pl.Datetime("us"))
        if best.dtype != pl.Datetime("us"):
            best = best.dt.replace_time_zone(None).cast(pl.Datetime("us"))
    failed = best.is_null()
    return best, failed


def coerce_panel(
    frame: pl.DataFrame,
    *,
    source: str | None = None,
    files: Sequence[str] = (),
    max_issues_per_kind: int = 200,
) -> tuple[pl.DataFrame, list[Issue], dict[str, int]]:
    """Cast a raw (already column-mapped) frame to the canonical schema, row by row.

    Unlike :func:`rdq.data.normalize_panel` this never raises on a bad cell: unparseable dates or
    numbers become fatal issues naming the row, and their rows are dropped from the returned frame.
    The frame keeps the provenance columns ``__row__``/``__src__`` and is sorted by
    ``(asset, date)`` keeping source order among ties.

    Returns
    -------
    (frame, issues, counts)
    """
    out = _Collector(files, source, max_issues_per_kind)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        hints = "".join(did_you_mean(m, [c for c in frame.columns if c not in _PROVENANCE]) for m in missing)
        out.add(
            IssueKind.MISSING_COLUMNS,
            f"missing required column(s) {missing}; found {[c for c in frame.columns if c not in _PROVENANCE]}"
            + hints,
            column=missing[0],
            fix="rename the columns (mapping={'symbol': 'asset'} in Python, data.columns in a scenario), "
            "or write a renamed copy: rdq data export PATH --map symbol=asset --map timestamp=date "
            "--out FIXED.parquet",
        )
        return frame, out.issues, out.counts
    frame = _with_provenance(frame)
    bad_rows = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)

    # date -----------------------------------------------------------------------------------------
    date = frame["date"]
    if date.dtype == pl.Utf8:
        parsed, failed = _parse_dates(date)
    elif date.dtype.is_integer():
        parsed, failed = _parse_dates(date.cast(pl.Utf8))
    elif isinstance(date.dtype, pl.Datetime | pl.Date):
        parsed, failed = date, date.is_null()
    else:
        out.add(
            IssueKind.BAD_DATE,
            f"column 'date' has type {date.dtype}, expected dates, timestamps or date strings",
            column="date",
            fix="store dates as ISO strings (2018-02-07), dates or timestamps",
        )
        return frame, out.issues, out.counts
    if failed.any():
        rows = frame.filter(failed).select(ROW_COL, SRC_COL, pl.col("date").cast(pl.Utf8).alias("raw"))
        for r, s, raw in rows.iter_rows():
            what = "empty date" if raw is None or not str(raw).strip() else f"cannot parse {raw!r} as a date"
            out.add(IssueKind.BAD_DATE, what, src=s, row=r, column="date", date=raw)
        bad_rows = bad_rows | failed
    frame = frame.with_columns(parsed.alias("date"))

    # asset ----------------------------------------------------------------------------------------
    asset = frame["asset"].cast(pl.Utf8)
    no_asset = asset.is_null() | (asset.str.strip_chars() == "")
    if no_asset.any():
        for r, s in frame.filter(no_asset).select(ROW_COL, SRC_COL).iter_rows():
            out.add(IssueKind.MISSING_ASSET, "empty asset/symbol", src=s, row=r, column="asset")
        bad_rows = bad_rows | no_asset
    frame = frame.with_columns(asset.str.strip_chars().alias("asset"))

    # numbers --------------------------------------------------------------------------------------
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    casts: list[pl.Series] = []
    drop: list[str] = []
    for name in frame.columns:
        if name in KEY_COLUMNS or name in _PROVENANCE:
            continue
        col = frame[name]
        if col.dtype.is_numeric() or col.dtype == pl.Boolean or col.dtype == pl.Null:
            casts.append(col.cast(pl.Float64))
            continue
        if col.dtype != pl.Utf8:
            try:
                col = col.cast(pl.Utf8, strict=False)
            except Exception:  # noqa: BLE001 - nested types (lists, structs) have no string form
                drop.append(name)
                out.add(
                    IssueKind.DROPPED_COLUMN,
                    f"column '{name}' ({col.dtype}) is not numeric; dropped",
                    column=name,
                )
                continue
        stripped = col.str.strip_chars()
        na = stripped.is_null() | stripped.str.to_lowercase().is_in(list(_NA_TOKENS))
        num = stripped.cast(pl.Float64, strict=False)
        bad = num.is_null() & ~na
        n_bad = int(bad.sum())
        if n_bad and name not in known and n_bad > 0.5 * max(1, int((~na).sum())):
            drop.append(name)
            out.add(IssueKind.DROPPED_COLUMN, f"column '{name}' is not numeric; dropped", column=name)
            continue
        if n_bad:
            rows = frame.filter(bad).select(ROW_COL, SRC_COL, pl.col(name).cast(pl.Utf8))
            for r, s, raw in rows.iter_rows():
                out.add(IssueKind.BAD_NUMBER, f"cannot read {raw!r} as a number", src=s, row=r, column=name)
            bad_rows = bad_rows | bad
        casts.append(num.alias(name))
    frame = frame.drop(drop).with_columns(casts) if casts or drop else frame
    frame = frame.filter(~bad_rows)
    try:
        frame = normalize_panel(frame, source=source, sort=False)
    except SchemaError as exc:  # a type we could not handle above
        out.add(IssueKind.BAD_DATE, exc.message, column=exc.column)
        return frame, out.issues, out.counts
    frame = frame.with_columns(pl.col(ROW_COL).cast(pl.Int64), pl.col(SRC_COL).cast(pl.Int64))
    frame = frame.sort(["asset", "date"], maintain_order=True)
    return frame, out.issues, out.counts

