"""Dense (days x assets) arrays from a canonical panel, and scores aligned to them.

The engines loop over days on these arrays; nothing per order is an object.

::

    Market.close[t, i]    close of asset i on calendar day t   (NaN: no bar that day = suspended)
    Market.open[t, i]     open                                 (NaN allowed; deals fall back to close)
    Market.volume[t, i]   volume                               (used by the impact cost only)
    Market.factor[t, i]   qlib's adjustment factor             (1.0 when the panel has none)
    Market.change[t, i]   close / previous close - 1           (from the panel's ``change`` column if any)

The calendar is the sorted union of the panel's dates; assets are sorted by name, so ties in a score
are broken by asset name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date

import numpy as np
import polars as pl

from rdq.data._dates import check_span, check_within, parse_date
from rdq.data.schema import normalize_panel
from rdq.errors import DataError, SchemaError, ValidationError, did_you_mean

__all__ = ["Market", "align_scores"]


@dataclass(frozen=True, eq=False)
class Market:
    """A panel as dense float64 arrays of shape ``(n_days, n_assets)``."""

    dates: np.ndarray  # (T,) datetime64[D]
    assets: np.ndarray  # (N,) str
    close: np.ndarray
    open: np.ndarray
    volume: np.ndarray
    factor: np.ndarray
    change: np.ndarray
    has_factor: bool

    @property
    def shape(self) -> tuple[int, int]:
        return self.close.shape  # type: ignore[return-value]

    @classmethod
    def from_panel(cls, panel: pl.DataFrame, *, source: str | None = None) -> Market:
        """Pivot a canonical panel (see :mod:`rdq.data.schema`) into dense arrays.

        ``change`` is taken from the panel's ``change`` column when present, else computed as
        ``close / close.shift(1) - 1`` over each asset's rows (what :func:`rdq.data.qlib_bin.write_qlib_dir`
        stores for qlib's exchange).
        """
        if panel.height == 0:
            raise DataError("the panel is empty", file=source, fix="check the data path, dates and universe")
        if panel.schema.get("date") != pl.Date or panel.schema.get("asset") != pl.Utf8:
            panel = normalize_panel(panel, source=source)
        if "change" not in panel.columns:
            panel = panel.sort(["asset", "date"]).with_columns(
                (pl.col("close") / pl.col("close").shift(1).over("asset") - 1).alias("change")
            )
        day_num = panel["date"].cast(pl.Int32).to_numpy()
        days = np.unique(day_num)
        dates = days.astype("datetime64[D]")
        names = panel["asset"].unique().sort()
        assets = names.to_numpy().astype(str)
        di = np.searchsorted(days, day_num)
        ai = panel["asset"].cast(pl.Enum(names)).to_physical().to_numpy().astype(np.int64)
        shape = (len(dates), len(assets))
        dup = _first_duplicate(di, ai, shape[1])
        if dup is not None:
            row = panel.row(dup, named=True)
            raise ValidationError(
                f"duplicate bar for asset {row['asset']!r} on {row['date']}",
                file=source,
                row=dup + 1,
                fix="drop duplicate (date, asset) rows (rdq data validate reports them all)",
            )

        def dense(column: str, fill: float = np.nan) -> np.ndarray:
            out = np.full(shape, fill)
            if column in panel.columns:
                out[di, ai] = panel[column].cast(pl.Float64).fill_null(np.nan).to_numpy()
            return out

        has_factor = "factor" in panel.columns
        factor = dense("factor") if has_factor else np.ones(shape)
        return cls(
            dates=dates,
            assets=assets,
            close=dense("close"),
            open=dense("open"),
            volume=dense("volume"),
            factor=factor,
            change=dense("change"),
            has_factor=has_factor,
        )

    def asset_index(self, name: str, *, what: str = "asset") -> int:
        """Column of ``name``; raises :class:`ConfigError`-style :class:`DataError` with a suggestion."""
        i = int(np.searchsorted(self.assets, name))
        if i < len(self.assets) and self.assets[i] == name:
            return i
        raise DataError(
            f"{what} {name!r} is not in the panel" + did_you_mean(name, self.assets.tolist()),
            column="asset",
            fix="pick an asset of the panel, or 'none'",
        )

    def day_range(self, start: Date | str | None, end: Date | str | None) -> tuple[int, int]:
        """Half-open range ``[t0, t1)`` of calendar rows between ``start`` and ``end`` (inclusive dates).

        Raises
        ------
        ConfigError
            A date that is not a valid date, ``end`` before ``start``, or a date outside the panel
            (naming its first and last date).
        """
        lo = None if start is None else parse_date(start, "start")
        hi = None if end is None else parse_date(end, "end")
        check_span(lo, hi, "start/end")
        if len(self.dates):
            first, last = (d.astype(object) for d in (self.dates[0], self.dates[-1]))
            check_within(lo, hi, first, last, what="start/end")
        t0 = 0 if lo is None else int(np.searchsorted(self.dates, np.datetime64(lo, "D")))
        t1 = (
            len(self.dates)
            if hi is None
            else int(np.searchsorted(self.dates, np.datetime64(hi, "D"), side="right"))
        )
        return t0, t1


def _first_duplicate(di: np.ndarray, ai: np.ndarray, n_assets: int) -> int | None:
    """Row (0-based) of the first repeat of a ``(date, asset)`` pair, or None."""
    flat = di.astype(np.int64) * n_assets + ai
    if len(flat) == 0:
        return None
    seen = np.bincount(flat)
    if seen.max() <= 1:
        return None
    dup = np.flatnonzero(seen[flat] > 1)  # rows of repeated pairs; the second occurrence is the offender
    first_seen: dict[int, int] = {}
    for row in dup.tolist():
        key = int(flat[row])
        if key in first_seen:
            return int(row)
        first_seen[key] = row
    return None


def align_scores(
    scores: pl.DataFrame, market: Market, *, column: str = "score", source: str | None = None
) -> np.ndarray:
    """Scores as a dense ``(n_days, n_assets)`` float64 matrix, NaN where there is no score.

    Null / NaN scores are treated as missing (the asset is not a candidate that day); an infinite score
    is an error (it would always be bought or never be).

    Raises
    ------
    SchemaError
        A column ``date``, ``asset`` or ``score`` is missing or not of a usable type.
    ValidationError
        Two rows for the same ``(date, asset)``.
    DataError
        A date that is not a trading day of the panel, an asset that is not in the panel, or an
        infinite score.
    """
    missing = [c for c in ("date", "asset", column) if c not in scores.columns]
    if missing:
        raise SchemaError(
            f"scores lack column(s) {missing}; found {scores.columns}",
            file=source,
            column=missing[0],
            fix="scores need columns date, asset, score (rename with polars .rename)",
        )
    frame = scores.select("date", "asset", column)
    dtype = frame.schema["date"]
    try:
        if dtype == pl.Utf8:
            frame = frame.with_columns(pl.col("date").str.to_date(strict=True))
        elif isinstance(dtype, pl.Datetime):
            frame = frame.with_columns(pl.col("date").dt.date())
        elif dtype != pl.Date:
            raise TypeError(str(dtype))
        frame = frame.with_columns(pl.col("asset").cast(pl.Utf8), pl.col(column).cast(pl.Float64))
    except Exception as exc:  # noqa: BLE001 - polars raises several types here
        raise SchemaError(
            f"scores have unusable types ({str(exc).splitlines()[0]})",
            file=source,
            fix="date must be a date, asset a string and score a number",
        ) from None
    frame = frame.with_row_index("_row")
    dates = frame["date"].cast(pl.Int32).to_numpy().astype("datetime64[D]")
    di = np.searchsorted(market.dates, dates)
    di_clip = np.minimum(di, len(market.dates) - 1)
    bad = np.flatnonzero(market.dates[di_clip] != dates)
    if len(bad):
        k = int(bad[0])
        lo, hi = market.dates[0], market.dates[-1]
        inside = lo <= dates[k] <= hi
        raise DataError(
            f"score date {dates[k]} is "
            + ("not a trading day of the panel" if inside else f"outside the panel ({lo} .. {hi})")
            + f" ({len(bad)} such rows)",
            file=source,
            row=k + 1,
            column="date",
            fix="filter the scores to the panel's trading days (or pass a panel that covers them)",
        )
    known = pl.Series(market.assets.tolist(), dtype=pl.Utf8)
    outside = frame.filter(~pl.col("asset").is_in(known.implode()))
    if outside.height:
        r = outside.row(0, named=True)
        n_bad = outside["asset"].n_unique()
        raise DataError(
            f"asset {r['asset']!r} of the scores is not in the panel"
            + did_you_mean(str(r["asset"]), market.assets.tolist())
            + f" ({n_bad} such assets)",
            file=source,
            row=int(r["_row"]) + 1,
            column="asset",
            fix="drop scores of assets the panel lacks, or load a panel that has them",
        )
    ai = frame["asset"].cast(pl.Enum(known)).to_physical().to_numpy().astype(np.int64)
    dup = _first_duplicate(di, ai, market.shape[1])
    if dup is not None:
        r = frame.row(dup, named=True)
        raise ValidationError(
            f"duplicate score for asset {r['asset']!r} on {r['date']}",
            file=source,
            row=dup + 1,
            column="date",
            fix="keep one score per (date, asset), e.g. scores.unique(['date', 'asset'], keep='last')",
        )
    values = frame[column].fill_null(np.nan).to_numpy()
    inf = np.flatnonzero(np.isinf(values))
    if len(inf):
        k = int(inf[0])
        r = frame.row(k, named=True)
        raise DataError(
            f"score {r[column]} for asset {r['asset']!r} on {r['date']} is infinite ({len(inf)} such rows)",
            file=source,
            row=k + 1,
            column=column,
            fix="scores must be finite numbers; write a missing score (null/NaN) where there is none",
        )
    out = np.full(market.shape, np.nan)
    out[di, ai] = values
    return out
