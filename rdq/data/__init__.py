"""Market data: load any source into the canonical panel, validate it, or simulate one.

::

    load_panel(path)          Parquet / CSV / folder of per-asset files / DuckDB / qlib folder -> panel
    validate_panel(panel)     -> ValidationReport (fatal and soft issues, each naming file/row/column/fix)
    repair_panel(panel, ...)  explicit repairs (duplicates, high/low, short NaN runs, non-positive prices)
    synth_market(...)         seeded synthetic market with planted alphas -> SynthMarket(panel, truth)
    write_qlib_dir / read_qlib_dir   qlib's binary format

See :mod:`rdq.data.schema` for the panel's columns.
"""

from __future__ import annotations

from rdq.data._loaders import auto_mapping, load_panel, read_instruments, read_source
from rdq.data._synth import (
    PLANTED_ALPHAS,
    SynthMarket,
    read_synth_truth,
    synth_market,
    truth_path,
    write_synth,
)
from rdq.data._validate import (
    Issue,
    IssueKind,
    Severity,
    ValidationReport,
    repair_panel,
    validate_panel,
)
from rdq.data.qlib_bin import is_qlib_dir, read_calendar, read_qlib_dir, write_qlib_dir
from rdq.data.schema import normalize_panel, panel_fingerprint

__all__ = [
    "load_panel",
    "read_source",
    "auto_mapping",
    "read_instruments",
    "validate_panel",
    "repair_panel",
    "ValidationReport",
    "Issue",
    "IssueKind",
    "Severity",
    "synth_market",
    "SynthMarket",
    "write_synth",
    "read_synth_truth",
    "PLANTED_ALPHAS",
    "truth_path",
    "normalize_panel",
    "panel_fingerprint",
    "read_qlib_dir",
    "write_qlib_dir",
    "read_calendar",
    "is_qlib_dir",
]
