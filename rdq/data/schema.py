"""The canonical panel: one polars long frame for every source.

::

    date        asset   open    high    low     close   volume   [vwap] [factor] [extra numeric ...]
    pl.Date     pl.Utf8 f64     f64     f64     f64     f64       f64    f64
    2013-02-08  AAL     15.07   15.12   14.63   14.75   8407500
    2013-02-11  AAL     14.89   15.01   14.26   14.46   8882000
    ...

* sorted by ``(asset, date)``, unique per ``(date, asset)``;
* ``date`` is ``pl.Date`` for daily bars and ``pl.Datetime`` for intraday bars;
* every field is float64; a missing value is **null** (NaN read from a source becomes null);
* ``vwap`` and ``factor`` (qlib's adjustment factor) are optional, as are extra numeric fields,
  which the expression engine can address as ``$name``.
"""

from __future__ import annotations

import hashlib

import polars as pl

from rdq.errors import SchemaError

__all__ = [
    "KEY_COLUMNS",
    "PRICE_COLUMNS",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "normalize_panel",
    "panel_fingerprint",
    "field_columns",
]

KEY_COLUMNS: tuple[str, str] = ("date", "asset")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
REQUIRED_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, *PRICE_COLUMNS, "volume")
OPTIONAL_COLUMNS: tuple[str, ...] = ("vwap", "factor")


def field_columns(panel: pl.DataFrame) -> list[str]:
    """Names of the numeric fields of ``panel`` (everything but ``date`` and ``asset``)."""
    return [c for c in panel.columns if c not in KEY_COLUMNS]


def normalize_panel(frame: pl.DataFrame, *, source: str | None = None, sort: bool = True) -> pl.DataFrame:
    """Cast ``frame`` to the canonical schema and sort it by ``(asset, date)``.

    Does not check for duplicates or bad prices: that is :func:`rdq.data.validate`'s job.

    Raises
    ------
    SchemaError
        A required column is missing, or ``date`` cannot be read as a date.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"missing required column(s) {missing}; found {frame.columns}",
            file=source,
            column=missing[0],
            fix="rename the columns (load_panel(path, mapping={'symbol': 'asset'}), data.columns in a "
            "scenario, or a renamed copy: rdq data export PATH --map symbol=asset --out FIXED.parquet)",
        )
    date = frame.schema["date"]
    if date == pl.Utf8:
        try:
            frame = frame.with_columns(pl.col("date").str.to_datetime(strict=True))
        except Exception as exc:  # noqa: BLE001 - polars raises several types here
            raise SchemaError(
                f"cannot parse 'date' as a date ({str(exc).splitlines()[0]})",
                file=source,
                column="date",
                fix="use ISO dates like 2018-02-07 or 2018-02-07 09:30:00",
            ) from None
        date = frame.schema["date"]
    if isinstance(date, pl.Datetime):
        # daily bars stored as midnight timestamps become plain dates
        is_daily = frame.select((pl.col("date").dt.truncate("1d") == pl.col("date")).all()).item()
        frame = frame.with_columns(
            pl.col("date").dt.date() if is_daily else pl.col("date").dt.replace_time_zone(None)
        )
    elif date != pl.Date:
        raise SchemaError(
            f"column 'date' has type {date}, expected a date or timestamp",
            file=source,
            column="date",
            fix="store dates as ISO strings, dates or timestamps",
        )
    numeric = [c for c in frame.columns if c not in KEY_COLUMNS]
    bad = [c for c in numeric if not frame.schema[c].is_numeric() and frame.schema[c] != pl.Boolean]
    if bad:
        raise SchemaError(
            f"column(s) {bad} are not numeric",
            file=source,
            column=bad[0],
            fix="drop or convert non-numeric columns before loading",
        )
    frame = frame.with_columns(
        pl.col("asset").cast(pl.Utf8),
        *[pl.col(c).cast(pl.Float64).fill_nan(None) for c in numeric],
    ).select([*KEY_COLUMNS, *[c for c in frame.columns if c not in KEY_COLUMNS]])
    if sort:
        frame = frame.sort(["asset", "date"])
    return frame


def panel_fingerprint(panel: pl.DataFrame) -> str:
    """A stable 16-hex-digit hash of the panel's content (schema and values), independent of library versions."""
    h = hashlib.sha256()
    h.update(repr([(n, str(t)) for n, t in panel.schema.items()]).encode())
    for name in panel.columns:
        col = panel[name]
        if col.dtype == pl.Utf8:
            h.update("\x1f".join(col.fill_null("").to_list()).encode())
        elif col.dtype.is_temporal():
            h.update(col.to_physical().fill_null(0).to_numpy().tobytes())
        else:
            h.update(col.cast(pl.Float64).fill_null(float("nan")).to_numpy().tobytes())
    return h.hexdigest()[:16]
