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
    base = panel.select("date", "asset", pl.col(price).cast(pl.Float64).fill_nan(None).alias("_p"))
    calendar = base.select(pl.col("date").unique().sort()).with_row_index("_t")
    base = base.join(calendar, on="date", how="inner")
    spans = base.group_by("asset").agg(pl.col("_t").min().alias("_lo"), pl.col("_t").max().alias("_hi"))
    grid = (
        spans.select("asset", pl.int_ranges("_lo", pl.col("_hi") + 1, dtype=pl.UInt32).alias("_t"))
        .explode("_t")
        .join(base.select("asset", "_t", "_p"), on=["asset", "_t"], how="left")
        .sort("asset", "_t")
    )
    entry = pl.col("_p").shift(-1).over("asset")
    exit_ = pl.col("_p").shift(-(horizon + 1)).over("asset")
    ret = exit_ / entry - 1.0
    grid = grid.with_columns(pl.when((entry > 0) & ret.is_finite()).then(ret).otherwise(None).alias("label"))
    out = base.select("date", "asset", "_t").join(
        grid.select("asset", "_t", "label"), on=["asset", "_t"], how="left"
    )
    return out.select("date", "asset", "label").sort("asset", "date")
