"""Data-quality checks for a panel, with a report a person (or a script) can act on.

:func:`validate_panel` returns a :class:`ValidationReport`: a frozen list of :class:`Issue` (kind,
severity, file, row, column, asset, date, message, fix).  *Fatal* issues make a panel unusable
(missing columns, duplicate ``(date, asset)`` rows, non-positive prices, negative volume, a high below
its low, a field column without one finite value, dates or numbers that cannot be parsed); *soft*
issues are reported and can be repaired explicitly with :func:`repair_panel` (unsorted input, high/low
inconsistent with open/close, runs of missing values, suspicious one-day jumps, zero volume, missing
days inside an asset's history).

Some fatal kinds can be accepted on purpose (:data:`ALLOWABLE_KINDS`: ``allow=[...]`` in Python,
``--allow KIND`` on the command line): they are then reported as soft.  Price comparisons (high vs
low, high/low vs open/close) use a relative tolerance of :data:`OHLC_RTOL` (1e-9), so that the float
noise of split-adjusted prices (1e-16) is not reported.

Rows are 1-based data rows of the source file when the frame came from :func:`rdq.data.load_panel`
(it carries the provenance), else 1-based positions in the frame passed in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

import polars as pl

from rdq.data.schema import KEY_COLUMNS, OPTIONAL_COLUMNS, PRICE_COLUMNS, REQUIRED_COLUMNS, normalize_panel
from rdq.errors import ConfigError, SchemaError, ValidationError, did_you_mean

__all__ = [
    "IssueKind",
    "Severity",
    "Issue",
    "ValidationReport",
    "RepairAction",
    "REPAIR_ACTIONS",
    "ALLOWABLE_KINDS",
    "OHLC_RTOL",
    "validate_panel",
    "repair_panel",
    "coerce_panel",
    "merge_reports",
    "check_allow",
    "ROW_COL",
    "SRC_COL",
]

log = logging.getLogger(__name__)

#: provenance columns a loader attaches (1-based data row in the file, index of the file)
ROW_COL = "__row__"
SRC_COL = "__src__"
_PROVENANCE = (ROW_COL, SRC_COL)

#: relative tolerance of the OHLC consistency checks (split-adjusted prices carry 1e-16 noise)
OHLC_RTOL = 1e-9

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


class Severity(StrEnum):
    FATAL = "fatal"
    SOFT = "soft"


class IssueKind(StrEnum):
    """What kind of problem an :class:`Issue` is."""

    # fatal
    EMPTY = "empty"
    MISSING_COLUMNS = "missing_columns"
    BAD_DATE = "bad_date"
    BAD_NUMBER = "bad_number"
    MISSING_ASSET = "missing_asset"
    DUPLICATE = "duplicate"
    NON_POSITIVE_PRICE = "non_positive_price"
    NEGATIVE_VOLUME = "negative_volume"
    HIGH_BELOW_LOW = "high_below_low"
    ALL_NULL = "all_null"  # a field column without one finite value (all missing, NaN or inf)
    # soft
    UNSORTED = "unsorted"
    HIGH_LOW = "high_low"
    NAN_RUN = "nan_run"
    JUMP = "jump"
    ZERO_VOLUME = "zero_volume"
    GAP = "gap"
    DROPPED_COLUMN = "dropped_column"


_FATAL_KINDS = frozenset(
    {
        IssueKind.EMPTY,
        IssueKind.MISSING_COLUMNS,
        IssueKind.BAD_DATE,
        IssueKind.BAD_NUMBER,
        IssueKind.MISSING_ASSET,
        IssueKind.DUPLICATE,
        IssueKind.NON_POSITIVE_PRICE,
        IssueKind.NEGATIVE_VOLUME,
        IssueKind.HIGH_BELOW_LOW,
        IssueKind.ALL_NULL,
    }
)
#: fatal kinds a user may accept on purpose (``allow=[...]``, ``--allow KIND``): reported as soft then
ALLOWABLE_KINDS: tuple[str, ...] = ("all_null", "high_below_low", "non_positive_price", "negative_volume")
_SCHEMA_KINDS = frozenset({IssueKind.MISSING_COLUMNS, IssueKind.BAD_DATE, IssueKind.BAD_NUMBER})

RepairAction = Literal["duplicates", "high_low", "nan", "nonpositive"]
REPAIR_ACTIONS: tuple[str, ...] = ("duplicates", "high_low", "nan", "nonpositive")

_CLEAN = "rdq data validate PATH --repair {action} --out FIXED.parquet"
_ALLOW = "accept it with --allow {kind} (allow=['{kind}'] in Python, data.allow: [{kind}] in a scenario)"

_FIX = {
    IssueKind.EMPTY: "check the path, the date range and the universe selection",
    IssueKind.MISSING_COLUMNS: "rename the columns in the source, or write a renamed copy with "
    "rdq data export PATH --map OLD=NEW --out FIXED.parquet (mapping={'OLD': 'NEW'} in Python)",
    IssueKind.BAD_DATE: "use ISO dates like 2018-02-07 (or 2018-02-07 09:30:00) in that row",
    IssueKind.BAD_NUMBER: "fix or blank out the value in that row (empty cells are read as missing)",
    IssueKind.MISSING_ASSET: "fill the asset/symbol cell of that row or drop the row",
    IssueKind.DUPLICATE: "write a copy without duplicates (the last row is kept) with "
    + _CLEAN.format(action="duplicates")
    + " (repair=['duplicates'] in Python)",
    IssueKind.NON_POSITIVE_PRICE: "fix the source, write a copy with such prices blanked with "
    + _CLEAN.format(action="nonpositive")
    + ", or "
    + _ALLOW.format(kind="non_positive_price"),
    IssueKind.NEGATIVE_VOLUME: "fix the volume in the source, or " + _ALLOW.format(kind="negative_volume"),
    IssueKind.HIGH_BELOW_LOW: "fix the row, write a copy with high/low widened with "
    + _CLEAN.format(action="high_low")
    + ", or "
    + _ALLOW.format(kind="high_below_low"),
    IssueKind.ALL_NULL: "drop the column from the source (an optional field such as vwap may be left out), "
    "load it from another source, or " + _ALLOW.format(kind="all_null"),
    IssueKind.UNSORTED: "nothing to do: rdq sorts by (asset, date); check the source if unexpected",
    IssueKind.HIGH_LOW: "clip high/low to bracket open/close: " + _CLEAN.format(action="high_low"),
    IssueKind.NAN_RUN: "forward-fill short runs: " + _CLEAN.format(action="nan") + "; or leave them missing",
    IssueKind.JUMP: "likely an unadjusted split/spin-off or a bad row: supply an adjustment factor "
    "or check the source",
    IssueKind.ZERO_VOLUME: "usually a halted/illiquid day; exclude it from trading if needed",
    IssueKind.GAP: "missing days inside the asset's history; forward-fill or accept the gap",
    IssueKind.DROPPED_COLUMN: "convert the column to numbers, or drop it before loading",
}


@dataclass(frozen=True)
class Issue:
    """One data-quality problem.

    ``row`` is the 1-based data row in ``file`` (or position in the frame), ``value`` a number that
    quantifies it (the jump, the run length, the count of missing days, ...).
    """

    kind: IssueKind
    severity: Severity
    message: str
    fix: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    asset: str | None = None
    date: str | None = None
    value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "severity": str(self.severity),
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "asset": self.asset,
            "date": self.date,
            "value": self.value,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`validate_panel`.

    Attributes
    ----------
    issues:
        Every issue found, fatal first (capped at ``max_issues_per_kind`` per kind).
    counts:
        True number of occurrences per kind (not capped).
    null_counts:
        Missing cells per field column.
    source, n_rows, n_assets, n_dates:
        What was checked.
    allowed:
        Fatal kinds accepted on purpose (see :meth:`allowing`): their issues are soft.
    """

    issues: tuple[Issue, ...]
    counts: dict[str, int]
    null_counts: dict[str, int]
    source: str | None = None
    n_rows: int = 0
    n_assets: int = 0
    n_dates: int = 0
    allowed: tuple[str, ...] = ()

    def is_fatal_kind(self, kind: IssueKind | str) -> bool:
        """Whether issues of ``kind`` are fatal in this report (fatal and not allowed)."""
        return IssueKind(kind) in _FATAL_KINDS and str(kind) not in self.allowed

    def allowing(self, kinds: Iterable[str]) -> ValidationReport:
        """This report with the fatal ``kinds`` accepted: their issues become soft (a warning).

        Parameters
        ----------
        kinds:
            Any of :data:`ALLOWABLE_KINDS` (``"all_null"``, ``"high_below_low"``,
            ``"non_positive_price"``, ``"negative_volume"``).

        Raises
        ------
        ConfigError
            A kind that is not one of :data:`ALLOWABLE_KINDS`.
        """
        allowed = check_allow(kinds)
        if not allowed:
            return self
        merged = tuple(dict.fromkeys((*self.allowed, *allowed)))
        issues = tuple(
            replace(i, severity=Severity.SOFT) if str(i.kind) in merged else i for i in self.issues
        )
        issues = tuple(sorted(issues, key=lambda i: i.severity != Severity.FATAL))
        return replace(self, issues=issues, allowed=merged)

    @property
    def fatal(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == Severity.FATAL)

    @property
    def soft(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == Severity.SOFT)

    @property
    def ok(self) -> bool:
        """``True`` when there is no fatal issue."""
        return not self.fatal

    def of_kind(self, kind: IssueKind | str) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``rdq data validate --json``)."""
        return {
            "source": self.source,
            "ok": self.ok,
            "n_rows": self.n_rows,
            "n_assets": self.n_assets,
            "n_dates": self.n_dates,
            "counts": dict(self.counts),
            "null_counts": dict(self.null_counts),
            "n_fatal": sum(v for k, v in self.counts.items() if self.is_fatal_kind(k)),
            "n_soft": sum(v for k, v in self.counts.items() if not self.is_fatal_kind(k)),
            "allowed": list(self.allowed),
            "issues": [i.to_dict() for i in self.issues],
        }

    def raise_if_fatal(self) -> None:
        """Raise :class:`SchemaError`/:class:`ValidationError` for the first fatal issue."""
        fatal = self.fatal
        if not fatal:
            return
        first = fatal[0]
        cls = SchemaError if first.kind in _SCHEMA_KINDS else ValidationError
        message = first.message
        others = {k: v for k, v in self.counts.items() if self.is_fatal_kind(k)}
        others[str(first.kind)] -= 1
        rest = ", ".join(f"{v} {k}" for k, v in others.items() if v > 0)
        if rest:
            message += f" (and {rest} more fatal)"
        raise cls(message, file=first.file, row=first.row, column=first.column, fix=first.fix)

    def render(self, *, max_rows: int = 30) -> Any:
        """A :class:`rich.table.Table` of the issues (fatal first), ``max_rows`` at most."""
        from rich.table import Table

        title = f"{self.source or 'panel'}: {self.n_rows} rows, {self.n_assets} assets, {self.n_dates} dates"
        table = Table(title=title, show_lines=False)
        for name in ("severity", "kind", "row", "column", "asset", "date"):
            table.add_column(name, no_wrap=True)
        table.add_column("message", overflow="fold", ratio=1)
        for issue in self.issues[:max_rows]:
            style = "red" if issue.severity == Severity.FATAL else "yellow"
            table.add_row(
                f"[{style}]{issue.severity}[/]",
                str(issue.kind),
                "" if issue.row is None else str(issue.row),
                issue.column or "",
                issue.asset or "",
                issue.date or "",
                issue.message,
            )
        if len(self.issues) > max_rows:
            table.caption = f"{len(self.issues) - max_rows} more issues not shown (use --json for all)"
        return table

    def summary(self) -> Any:
        """A :class:`rich.table.Table` of counts per kind."""
        from rich.table import Table

        table = Table(title="issues by kind")
        table.add_column("kind")
        table.add_column("severity")
        table.add_column("count", justify="right")
        table.add_column("fix", overflow="fold", ratio=1)
        for kind, count in self.counts.items():
            sev = "fatal" if self.is_fatal_kind(kind) else ("allowed" if kind in self.allowed else "soft")
            table.add_row(kind, sev, str(count), _FIX[IssueKind(kind)])
        return table


def merge_reports(first: ValidationReport, second: ValidationReport) -> ValidationReport:
    """Issues and counts of both reports (fatal first); sizes and null counts from ``second``."""
    counts = dict(first.counts)
    for k, v in second.counts.items():
        counts[k] = counts.get(k, 0) + v
    issues = tuple(sorted(first.issues + second.issues, key=lambda i: i.severity != Severity.FATAL))
    return ValidationReport(
        issues=issues,
        counts=counts,
        null_counts=second.null_counts,
        source=second.source or first.source,
        n_rows=second.n_rows,
        n_assets=second.n_assets,
        n_dates=second.n_dates,
        allowed=tuple(dict.fromkeys((*first.allowed, *second.allowed))),
    )


def check_allow(kinds: Iterable[str] | None) -> tuple[str, ...]:
    """``kinds`` as a tuple, each checked against :data:`ALLOWABLE_KINDS` (:class:`ConfigError` if not)."""
    out: list[str] = []
    for raw in kinds or ():
        for kind in (k.strip() for k in str(raw).split(",")):
            if not kind:
                continue
            if kind not in ALLOWABLE_KINDS:
                fatal = sorted(str(k) for k in _FATAL_KINDS if str(k) not in ALLOWABLE_KINDS)
                raise ConfigError(
                    f"--allow {kind!r}: not a kind that can be accepted{did_you_mean(kind, ALLOWABLE_KINDS)}; "
                    f"choose from {', '.join(ALLOWABLE_KINDS)} ({', '.join(fatal)} must be fixed or repaired)"
                )
            out.append(kind)
    return tuple(dict.fromkeys(out))


# --------------------------------------------------------------------------------------------------
# helpers


class _Collector:
    def __init__(self, files: Sequence[str], source: str | None, cap: int) -> None:
        self.files = list(files)
        self.source = source
        self.cap = cap
        self.issues: list[Issue] = []
        self.counts: dict[str, int] = {}

    def file_of(self, src: Any) -> str | None:
        if src is not None and self.files:
            idx = int(src)
            if 0 <= idx < len(self.files):
                return self.files[idx]
        return self.source

    def add(self, kind: IssueKind, message: str, *, src: Any = None, **kw: Any) -> None:
        self.counts[str(kind)] = self.counts.get(str(kind), 0) + 1
        if self.counts[str(kind)] > self.cap:
            return
        row = kw.pop("row", None)
        severity = Severity.FATAL if kind in _FATAL_KINDS else Severity.SOFT
        self.issues.append(
            Issue(
                kind=kind,
                severity=severity,
                message=message,
                fix=kw.pop("fix", _FIX[kind]),
                file=self.file_of(src),
                row=None if row is None else int(row),
                **kw,
            )
        )

    def at(self, kind: IssueKind, message: str, row: Any, src: Any, asset: Any, date: Any, **kw: Any) -> None:
        """:meth:`add` for a row of the panel: its provenance (``row``, ``src``), asset and date."""
        self.add(kind, message, src=src, row=row, asset=asset, date=_date_str(date), **kw)

    def sorted_issues(self) -> tuple[Issue, ...]:
        return tuple(sorted(self.issues, key=lambda i: i.severity != Severity.FATAL))


def _date_str(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


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


# --------------------------------------------------------------------------------------------------
# validation


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


# --------------------------------------------------------------------------------------------------
# repair


def repair_panel(
    panel: pl.DataFrame,
    actions: Iterable[RepairAction | str],
    *,
    max_fill: int = 5,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Repair soft (and some fatal) problems, explicitly.

    Parameters
    ----------
    panel:
        A canonical panel sorted by ``(asset, date)`` (source order kept among duplicate keys).
    actions:
        Any of ``"duplicates"`` (drop duplicate ``(date, asset)`` rows keeping the last),
        ``"high_low"`` (raise high / lower low to bracket open and close),
        ``"nan"`` (forward-fill runs of at most ``max_fill`` missing values within an asset),
        ``"nonpositive"`` (blank non-positive prices), or ``"all"``.
    max_fill:
        Longest run of missing values that ``"nan"`` fills.

    Returns
    -------
    (panel, changes)
        The repaired panel and the number of rows/cells changed per action.
    """
    acts = list(actions)
    if "all" in acts:
        acts = list(REPAIR_ACTIONS)
    for a in acts:
        if a not in REPAIR_ACTIONS:
            raise ConfigError(
                f"unknown repair action {a!r}{did_you_mean(a, REPAIR_ACTIONS)}; "
                f"choose from {', '.join(REPAIR_ACTIONS)} or 'all'"
            )
    changes: dict[str, int] = {}
    if "duplicates" in acts:
        before = panel.height
        panel = panel.unique(subset=["asset", "date"], keep="last", maintain_order=True)
        changes["duplicates"] = before - panel.height
    if "nonpositive" in acts:
        n = int(
            panel.select(
                pl.sum_horizontal([(pl.col(c) <= 0).fill_null(False) for c in PRICE_COLUMNS]).sum()
            ).item()
        )
        panel = panel.with_columns(
            [pl.when(pl.col(c) <= 0).then(None).otherwise(pl.col(c)).alias(c) for c in PRICE_COLUMNS]
        )
        changes["nonpositive"] = n
    if "nan" in acts:
        fields = [c for c in (*PRICE_COLUMNS, "volume", *OPTIONAL_COLUMNS) if c in panel.columns]
        before_nulls = sum(panel[c].null_count() for c in fields)
        exprs = []
        for c in fields:
            isn = pl.col(c).is_null()
            run_len = pl.len().over("asset", isn.rle_id().over("asset"))
            exprs.append(
                pl.when(isn & (run_len <= max_fill))
                .then(pl.col(c).forward_fill().over("asset"))
                .otherwise(pl.col(c))
                .alias(c)
            )
        panel = panel.with_columns(exprs)
        changes["nan"] = before_nulls - sum(panel[c].null_count() for c in fields)
    if "high_low" in acts:
        bad = _high_low_inconsistent().fill_null(False)
        changes["high_low"] = int(panel.select(bad.sum()).item())
        panel = panel.with_columns(
            pl.when(pl.col("high").is_null())
            .then(None)
            .otherwise(pl.max_horizontal("high", "open", "close", "low"))
            .alias("high"),
            pl.when(pl.col("low").is_null())
            .then(None)
            .otherwise(pl.min_horizontal("low", "open", "close", "high"))
            .alias("low"),
        )
    log.info("repaired panel: %s", changes)
    return panel, changes
