"""The validation report: issue kinds, their severity and fix, :class:`Issue`, :class:`ValidationReport`.

Also the collector the checks fill (:class:`_Collector`: issues capped per kind, true counts kept)
and the provenance columns a loader attaches. See :mod:`rdq.data._validate` for the whole picture.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from rdq.errors import ConfigError, SchemaError, ValidationError, did_you_mean

__all__ = [
    "IssueKind",
    "Severity",
    "Issue",
    "ValidationReport",
    "ALLOWABLE_KINDS",
    "merge_reports",
    "check_allow",
    "ROW_COL",
    "SRC_COL",
]

#: provenance columns a loader attaches (1-based data row in the file, index of the file)
ROW_COL = "__row__"
SRC_COL = "__src__"
_PROVENANCE = (ROW_COL, SRC_COL)


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
# collecting issues


class _Collector:
    """Issues found by the checks, at most ``cap`` kept per kind; ``counts`` has the true totals."""

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

