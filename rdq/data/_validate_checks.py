"""The data-quality checks of a panel: :func:`validate_panel` (after :func:`coerce_panel`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl

from rdq.data._validate_coerce import coerce_panel
from rdq.data._validate_report import (
    _PROVENANCE,
    ROW_COL,
    SRC_COL,
    IssueKind,
    ValidationReport,
    _Collector,
    _date_str,
    check_allow,
)
from rdq.data.schema import KEY_COLUMNS, OPTIONAL_COLUMNS, PRICE_COLUMNS

__all__ = ["validate_panel", "OHLC_RTOL"]

#: relative tolerance of the OHLC consistency checks (split-adjusted prices carry 1e-16 noise)
OHLC_RTOL = 1e-9


def _hl_column(o: float | None, h: float | None, lo: float | None, c: float | None) -> str:
    """Which of high/low is the inconsistent one."""
    known = [x for x in (o, c) if x is not None]
    if h is not None and known and h < max(known):
        return "high"
    if lo is not None and known and lo > min(known):
        return "low"
    return "high"


def _high_below_low() -> pl.Expr:
    """``high < low`` beyond the relative tolerance :data:`OHLC_RTOL`."""
    return pl.col("high") < pl.col("low") - OHLC_RTOL * pl.col("low").abs()


def _high_low_inconsistent() -> pl.Expr:
    """high/low do not bracket open/close (beyond :data:`OHLC_RTOL`), or ``high < low``."""
    hi_ref = pl.max_horizontal("open", "close")
    lo_ref = pl.min_horizontal("open", "close")
    return (
        (pl.col("high") < hi_ref - OHLC_RTOL * hi_ref.abs())
        | (pl.col("low") > lo_ref + OHLC_RTOL * lo_ref.abs())
        | _high_below_low()
    )


def validate_panel(
    frame: pl.DataFrame,
    *,
    source: str | None = None,
    files: Sequence[str] = (),
    jump_up: float = 0.5,
    jump_down: float = -1.0 / 3.0,
    max_issues_per_kind: int = 200,
    allow: Iterable[str] = (),
) -> ValidationReport:
    """Check a panel and report every problem found; never raises on bad data.

    Parameters
    ----------
    frame:
        A panel (``date, asset, open, high, low, close, volume[, ...]``), canonical or raw (string
        dates and numbers are parsed row by row). Shape ``(n_rows, n_columns)``.
    source:
        File name to put into issues (when ``frame`` carries no provenance).
    files:
        File names indexed by the ``__src__`` provenance column (set by the loaders).
    jump_up, jump_down:
        One-day close-to-close moves beyond ``(jump_down, jump_up)`` are reported as suspicious
        (default +50% / -33%: what an unadjusted 2:1 or 3:2 split looks like).
    max_issues_per_kind:
        Cap on the issues kept per kind; ``counts`` always has the true totals.
    allow:
        Fatal kinds to accept (reported as soft), any of :data:`ALLOWABLE_KINDS`.

    Returns
    -------
    ValidationReport

    Raises
    ------
    ConfigError
        ``allow`` names a kind that cannot be accepted.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import date
    >>> p = pl.DataFrame({"date": [date(2020, 1, 2)] * 2, "asset": ["A", "A"], "open": [1.0, 1.0],
    ...                   "high": [1.0, 1.0], "low": [1.0, 1.0], "close": [1.0, 1.0], "volume": [1.0, 1.0]})
    >>> validate_panel(p).counts
    {'duplicate': 1}
    """
    allowed = check_allow(allow)
    panel, issues0, counts0 = coerce_panel(
        frame, source=source, files=files, max_issues_per_kind=max_issues_per_kind
    )
    out = _Collector(files, source, max_issues_per_kind)
    out.issues.extend(issues0)
    out.counts.update(counts0)
    if IssueKind.MISSING_COLUMNS in counts0 or not panel.schema["date"].is_temporal():
        return ValidationReport(
            issues=out.sorted_issues(),
            counts=out.counts,
            null_counts={},
            source=source,
            n_rows=frame.height,
        ).allowing(allowed)
    _check(panel, out, jump_up=jump_up, jump_down=jump_down)
    fields = [c for c in panel.columns if c not in KEY_COLUMNS and c not in _PROVENANCE]
    nulls = (
        panel.select([pl.col(c).null_count() for c in fields]).row(0) if panel.height else [0] * len(fields)
    )
    return ValidationReport(
        issues=out.sorted_issues(),
        counts=out.counts,
        null_counts={c: int(n) for c, n in zip(fields, nulls, strict=True) if n},
        source=source,
        n_rows=panel.height,
        n_assets=panel["asset"].n_unique() if panel.height else 0,
        n_dates=panel["date"].n_unique() if panel.height else 0,
    ).allowing(allowed)


def _check(p: pl.DataFrame, out: _Collector, *, jump_up: float, jump_down: float) -> None:
    if p.height == 0:
        out.add(IssueKind.EMPTY, "the panel has no rows")
        return
    prov = [ROW_COL, SRC_COL]

    # duplicates (fatal) ---------------------------------------------------------------------------
    dup = p.filter(pl.struct("asset", "date").is_duplicated())
    if dup.height:
        groups = dup.group_by(["asset", "date"], maintain_order=True).agg(
            pl.col(ROW_COL), pl.col(SRC_COL).first()
        )
        for a, d, rows, s in groups.iter_rows():
            out.at(
                IssueKind.DUPLICATE,
                f"duplicate (date, asset) row: {a} on {_date_str(d)} appears {len(rows)} times "
                f"(rows {', '.join(map(str, rows[:5]))})",
                rows[-1], s, a, d,
                column="date",
                value=float(len(rows)),
            )

    # non-positive prices / negative volume (fatal) -------------------------------------------------
    signs = [(IssueKind.NON_POSITIVE_PRICE, c, pl.col(c) <= 0, f"non-positive {c}") for c in PRICE_COLUMNS]
    signs.append((IssueKind.NEGATIVE_VOLUME, "volume", pl.col("volume") < 0, "negative volume"))
    for kind, c, bad, what in signs:
        for r, s, a, d, v in p.filter(bad).select(*prov, "asset", "date", c).iter_rows():
            out.at(kind, f"{what} {v} for {a} on {_date_str(d)}", r, s, a, d, column=c, value=v)

    # unsorted input -------------------------------------------------------------------------------
    order = (pl.col(SRC_COL) * 10_000_000_000 + pl.col(ROW_COL)).alias("__ord__")
    inv = p.unique(subset=["asset", "date"], keep="first", maintain_order=True)
    inv = inv.with_columns(order).with_columns(
        (pl.col("__ord__").diff().over("asset") < 0).fill_null(False).alias("__inv__")
    )
    n_inv = int(inv["__inv__"].sum())
    if n_inv:
        r, s, a, d = inv.filter(pl.col("__inv__")).select(*prov, "asset", "date").row(0)
        out.at(
            IssueKind.UNSORTED,
            f"input is not sorted by date within asset ({n_inv} rows out of order; first: {a} on {_date_str(d)})",
            r, s, a, d,
            column="date",
            value=float(n_inv),
        )

    # high below low (fatal), high / low vs open / close (soft); relative tolerance OHLC_RTOL -----------
    below = _high_below_low().fill_null(False)
    rows = p.filter(below).select(*prov, "asset", "date", "open", "high", "low", "close")
    for r, s, a, d, o, h, lo, c in rows.iter_rows():
        out.at(
            IssueKind.HIGH_BELOW_LOW,
            f"high {h} is below low {lo} for {a} on {_date_str(d)} (open {o}, close {c})",
            r, s, a, d,
            column="high",
            value=None if h is None or lo is None else float(h - lo),
        )
    bad_hl = _high_low_inconsistent().fill_null(False) & ~below
    rows = p.filter(bad_hl).select(*prov, "asset", "date", "open", "high", "low", "close")
    for r, s, a, d, o, h, lo, c in rows.iter_rows():
        out.at(
            IssueKind.HIGH_LOW,
            f"high/low do not bracket open/close for {a} on {_date_str(d)} "
            f"(open {o}, high {h}, low {lo}, close {c})",
            r, s, a, d,
            column=_hl_column(o, h, lo, c),
        )

    # missing values -------------------------------------------------------------------------------
    fields = [c for c in (*PRICE_COLUMNS, "volume", *OPTIONAL_COLUMNS) if c in p.columns]
    for c in fields:
        n_null = p[c].null_count()
        n_inf = int(p[c].is_infinite().sum())
        if n_null + n_inf == p.height:
            what = (
                "every value is missing (null/NaN)"
                if n_inf == 0
                else (
                    "every value is infinite"
                    if n_null == 0
                    else f"{n_null} missing and {n_inf} infinite values"
                )
            )
            out.add(
                IssueKind.ALL_NULL,
                f"column '{c}' has no finite value: {what}",
                column=c,
                value=float(n_null + n_inf),
            )
            continue
        if n_null == 0:
            continue
        runs = (
            p.select(*prov, "asset", "date", pl.col(c).is_null().alias("n"))
            .with_columns(pl.col("n").rle_id().over("asset").alias("rid"))
            .filter(pl.col("n"))
            .group_by(["asset", "rid"], maintain_order=True)
            .agg(
                pl.col(ROW_COL).first(),
                pl.col(SRC_COL).first(),
                pl.col("date").first(),
                pl.len().alias("len"),
            )
        )
        for a, _rid, r, s, d, n in runs.iter_rows():
            out.at(IssueKind.NAN_RUN, f"{n} missing {c} value(s) for {a} from {_date_str(d)}", r, s, a, d,
                   column=c, value=float(n))

    # suspicious one-day jumps -----------------------------------------------------------------------
    ret = (pl.col("close") / pl.col("close").shift(1).over("asset") - 1.0).alias("__ret__")
    nxt = pl.col("__ret__").shift(-1).over("asset").alias("__next__")
    jumps = (
        p.select(*prov, "asset", "date", "close")
        .with_columns(ret)
        .with_columns(nxt)
        .filter((pl.col("__ret__") > jump_up) | (pl.col("__ret__") < jump_down))
    )
    for r, s, a, d, _c, x, y in jumps.iter_rows():
        rev = y is not None and (1 + x) * (1 + y) - 1 < 0.1 and abs(y) > 0.25 and (x < 0) != (y < 0)
        hint = "reverses the next day: likely a bad row" if rev else "likely an unadjusted split/spin-off"
        out.at(IssueKind.JUMP, f"close moves {x:+.1%} in one day for {a} on {_date_str(d)} ({hint})", r, s, a, d,
               column="close", value=float(x))

    # zero volume ----------------------------------------------------------------------------------
    for r, s, a, d in p.filter(pl.col("volume") == 0).select(*prov, "asset", "date").iter_rows():
        out.at(IssueKind.ZERO_VOLUME, f"zero volume for {a} on {_date_str(d)}", r, s, a, d, column="volume", value=0.0)

    # missing days inside an asset's history (daily bars only) -------------------------------------
    if p.schema["date"] == pl.Date:
        cal = p["date"].unique().sort()
        span = p.group_by("asset", maintain_order=True).agg(
            pl.col("date").min().alias("lo"),
            pl.col("date").max().alias("hi"),
            pl.col("date").n_unique().alias("n"),
        )
        cal_np = cal.to_numpy()
        import numpy as np

        lo_idx = np.searchsorted(cal_np, span["lo"].to_numpy(), side="left")
        hi_idx = np.searchsorted(cal_np, span["hi"].to_numpy(), side="right")
        expected = hi_idx - lo_idx
        for a, lo, _hi, n, e in zip(span["asset"], span["lo"], span["hi"], span["n"], expected, strict=True):
            if e > n:
                out.add(
                    IssueKind.GAP,
                    f"{a} misses {e - n} of the panel's dates between {_date_str(lo)} and {_date_str(_hi)}",
                    asset=a,
                    date=_date_str(lo),
                    column="date",
                    value=float(e - n),
                )

