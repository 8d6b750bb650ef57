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

The code is in four modules, all of it importable from here: :mod:`rdq.data._validate_report`
(kinds, fixes, :class:`Issue`, :class:`ValidationReport`), :mod:`rdq.data._validate_coerce`
(:func:`coerce_panel`), :mod:`rdq.data._validate_checks` (:func:`validate_panel`) and
:mod:`rdq.data._validate_repair` (:func:`repair_panel`).
"""

from __future__ import annotations

from rdq.data._validate_checks import OHLC_RTOL, validate_panel
from rdq.data._validate_coerce import coerce_panel
from rdq.data._validate_repair import REPAIR_ACTIONS, RepairAction, repair_panel
from rdq.data._validate_report import (
    ALLOWABLE_KINDS,
    ROW_COL,
    SRC_COL,
    Issue,
    IssueKind,
    Severity,
    ValidationReport,
    check_allow,
    merge_reports,
)

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
