"""Input checks and small frame helpers shared by the signal metrics.

A *FactorFrame* and a *label frame* look like::

    date        asset   <factor columns ...>        date        asset   label
    pl.Date     pl.Utf8 f64                          pl.Date     pl.Utf8 f64
    2013-02-08  AAL     0.12                         2013-02-08  AAL     -0.0093
    ...                                              ...

Missing values may be null or NaN (both count as missing); infinities count as missing too.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from rdq.errors import SchemaError, did_you_mean

__all__ = ["check_factor_frame", "check_label_frame", "valid", "calendar_shift", "with_lagged", "LABEL"]

KEYS = ["date", "asset"]
#: name of the label column
LABEL = "label"


def check_factor_frame(
    frame: pl.DataFrame, *, columns: Sequence[str] | str | None = None, what: str = "factors"
) -> list[str]:
    """Check ``frame`` has ``date, asset`` and numeric factor columns; return the factor column names.

    Raises
    ------
    SchemaError
        A key column is missing, a requested column is absent, or a factor column is not numeric.
    """
    if not isinstance(frame, pl.DataFrame):
        raise SchemaError(
            f"{what} must be a polars DataFrame, got {type(frame).__name__}",
            fix="convert with pl.from_pandas(df.reset_index()) or pl.DataFrame(...)",
        )
    missing = [k for k in KEYS if k not in frame.columns]
    if missing:
        raise SchemaError(
            f"{what} frame lacks key column(s) {missing}; found {frame.columns}",
            column=missing[0],
            fix="pass a long frame with 'date' and 'asset' columns (rename with .rename({...}))",
        )
    if not isinstance(frame.schema["date"], pl.Date | pl.Datetime):
        raise SchemaError(
            f"{what} column 'date' has type {frame.schema['date']}, expected a date or datetime",
            column="date",
            fix="cast it, e.g. pl.col('date').str.to_date() or .cast(pl.Date)",
        )
    if frame.schema["asset"] not in (pl.Utf8, pl.Categorical):
        raise SchemaError(
            f"{what} column 'asset' has type {frame.schema['asset']}, expected a string",
            column="asset",
            fix="cast it with pl.col('asset').cast(pl.Utf8)",
        )
    available = [c for c in frame.columns if c not in KEYS]
    if columns is None:
        chosen = available
    else:
        chosen = [columns] if isinstance(columns, str) else list(columns)
        for c in chosen:
            if c not in available:
                raise SchemaError(
                    f"{what} frame has no column '{c}'{did_you_mean(c, available)}",
                    column=c,
                    fix=f"pick one of {available}",
                )
    if not chosen:
        raise SchemaError(
            f"{what} frame has no value columns besides 'date' and 'asset'",
            fix="add at least one factor column",
        )
    for c in chosen:
        dtype = frame.schema[c]
        if not dtype.is_numeric():
            raise SchemaError(
                f"{what} column '{c}' has type {dtype}, expected a number",
                column=c,
                fix="cast it with pl.col(name).cast(pl.Float64) or drop it",
            )
    return chosen


def check_label_frame(label: pl.DataFrame) -> None:
    """Check ``label`` is a ``date, asset, label`` frame.

    Raises
    ------
    SchemaError
        A column is missing or ``label`` is not numeric.
    """
    check_factor_frame(label, what="label")
    if LABEL not in label.columns:
        others = [c for c in label.columns if c not in KEYS]
        raise SchemaError(
            f"label frame has no 'label' column{did_you_mean(LABEL, others)}; found {label.columns}",
            column=LABEL,
            fix="rename the target column to 'label', or build one with rdq.signal.default_label(panel)",
        )
    check_factor_frame(label, columns=[LABEL], what="label")


def valid(col: str | pl.Expr) -> pl.Expr:
    """True where the value is present and finite (false for null, NaN and +-inf)."""
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.is_not_null() & expr.cast(pl.Float64).is_finite().fill_null(False)


def calendar_shift(frame: pl.DataFrame, *, lag: int, calendar: pl.Series | None = None) -> pl.DataFrame:
    """Move every row ``lag`` steps forward on the calendar of ``frame`` (the sorted unique dates).

    A value dated ``t`` reappears dated ``t + lag`` trading days, so joining the result back on
    ``(date, asset)`` pairs each value with the one ``lag`` days earlier.  Rows that would fall
    past the last date are dropped.  Only past values move forward: no look-ahead.
    """
    cal = (calendar if calendar is not None else frame.get_column("date")).unique().sort()
    index = pl.DataFrame({"date": cal}).with_row_index("_t")
    moved = (
        frame.join(index, on="date", how="inner")
        .with_columns((pl.col("_t").cast(pl.Int64) + lag).alias("_t"))
        .drop("date")
        .join(index.with_columns(pl.col("_t").cast(pl.Int64)), on="_t", how="inner")
        .drop("_t")
    )
    return moved.select(["date", "asset", *[c for c in moved.columns if c not in KEYS]])


def with_lagged(frame: pl.DataFrame, columns: Sequence[str], *, lag: int, suffix: str) -> pl.DataFrame:
    """``frame`` sorted by ``(asset, date)`` with ``<column><suffix>`` = the asset's value ``lag`` calendar days earlier.

    The calendar is the frame's sorted unique dates; the lagged value is null when the asset has no row
    on that earlier date.  Past values only: no look-ahead.
    """
    t = pl.col("date").rank("dense").cast(pl.Int64)
    out = frame.with_columns(t.alias("_t")).sort("asset", "_t")
    if lag == 1:  # the previous row of the same asset, if it sits on the previous calendar day
        same = (pl.col("asset") == pl.col("asset").shift(1)) & (pl.col("_t") == pl.col("_t").shift(1) + 1)
        return out.with_columns(
            [pl.when(same).then(pl.col(c).shift(1)).otherwise(None).alias(c + suffix) for c in columns]
        ).drop("_t")
    past = out.select(
        "asset", (pl.col("_t") + lag).alias("_t"), *[pl.col(c).alias(c + suffix) for c in columns]
    )
    return out.join(past, on=["asset", "_t"], how="left").drop("_t")
