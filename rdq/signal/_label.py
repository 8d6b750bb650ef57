"""The default forward-return label, qlib's ``Ref($close, -2) / Ref($close, -1) - 1``.

The label at date ``t`` is the return from the close of ``t+1`` to the close of ``t+1+horizon``:
a signal known at the close of ``t`` is traded at ``t+1`` and held ``horizon`` days.  Shifts run on the
panel's trading calendar (the sorted union of its dates), as qlib's ``Ref`` does on its calendar: an
asset missing a day inside its history gets a null label on the days whose return would span the gap's
missing close.  The label looks ahead by design; it is the target, never an input.
"""

from __future__ import annotations

import polars as pl

from rdq.errors import ConfigError, SchemaError

__all__ = ["default_label", "label_expression"]


def label_expression(horizon: int = 1) -> str:
    """The qlib expression of :func:`default_label` at ``horizon``: ``"Ref($close, -2)/Ref($close, -1) - 1"``."""
    return f"Ref($close, -{horizon + 1})/Ref($close, -1) - 1"


def default_label(panel: pl.DataFrame, *, horizon: int = 1, price: str = "close") -> pl.DataFrame:
    """Forward return label per ``(date, asset)``: ``price[t+1+horizon] / price[t+1] - 1``.

    Parameters
    ----------
    panel:
        Canonical panel (``date, asset, ..., close, ...``), shape ``(n_rows, n_fields + 2)``.
    horizon:
        Holding period in trading days (``1`` gives qlib's default label).
    price:
        Field to take returns of.

    Returns
    -------
    pl.DataFrame
        ``date, asset, label`` with one row per panel row, sorted by ``(asset, date)``; null where
        either price is missing or not positive-finite, or past the end of the data.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> p = pl.DataFrame({"date": [dt.date(2020, 1, d) for d in (1, 2, 3)], "asset": ["A"] * 3,
    ...                   "close": [10.0, 11.0, 12.1]})
    >>> default_label(p)["label"].to_list()  # 12.1 / 11 - 1 at t=1
    [0.09999999999999987, None, None]
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ConfigError(f"horizon must be a positive integer number of days, got {horizon!r}")
    missing = [c for c in ("date", "asset", price) if c not in panel.columns]
    if missing:
        raise SchemaError(
            f"panel lacks column(s) {missing} needed for the label; found {panel.columns}",
            column=missing[0],
            fix="load the panel with rdq.data.load_panel (use mapping= to rename columns)",
        )
    base = panel.select(
        "date",
        "asset",
        pl.col(price).cast(pl.Float64).fill_nan(None).alias("_p"),
        (pl.col("date").rank("dense").cast(pl.Int64) - 1).alias("_t"),
    ).sort("asset", "_t")
    spans = base.group_by("asset").agg(
        (pl.col("_t").max() - pl.col("_t").min() + 1 - pl.len()).alias("_holes"),
        pl.col("_t").n_unique().alias("_u"),
        pl.len().alias("_n"),
    )
    if (spans["_u"] != spans["_n"]).any():
        dup = spans.filter(pl.col("_u") != pl.col("_n"))["asset"][0]
        raise SchemaError(
            f"panel has duplicate (date, asset) rows for asset {dup!r}",
            column="date",
            fix="drop duplicates, e.g. panel.unique(['date', 'asset'], keep='last')",
        )
    entry = pl.col("_p").shift(-1).over("asset")
    exit_ = pl.col("_p").shift(-(horizon + 1)).over("asset")
    ret = exit_ / entry - 1.0
    label = pl.when((entry > 0) & ret.is_finite()).then(ret).otherwise(None).alias("label")
    holed = spans.filter(pl.col("_holes") > 0).get_column("asset")
    # assets trading on every calendar day of their history: row shifts are calendar shifts
    dense = base.filter(~pl.col("asset").is_in(holed.implode())).with_columns(label)
    parts = [dense.select("date", "asset", "label")]
    if holed.len():
        # qlib's Ref runs on the calendar: put the assets with holes on every day of their span first
        sparse = base.filter(pl.col("asset").is_in(holed.implode()))
        grid = (
            sparse.group_by("asset")
            .agg(pl.int_ranges(pl.col("_t").min(), pl.col("_t").max() + 1).alias("_t"))
            .explode("_t")
            .join(sparse.select("asset", "_t", "_p"), on=["asset", "_t"], how="left")
            .sort("asset", "_t")
            .with_columns(label)
        )
        parts.append(
            sparse.select("date", "asset", "_t")
            .join(grid.select("asset", "_t", "label"), on=["asset", "_t"], how="left")
            .select("date", "asset", "label")
        )
    return pl.concat(parts).sort("asset", "date")
