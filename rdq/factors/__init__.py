"""Factor expression engine: qlib's expression language compiled to polars, plus Python factors.

::

    compute(panel, {"MA5": "Mean($close, 5)/$close"})   -> FactorFrame (date, asset, MA5)
    load_library("alpha158")                            -> {"KMID": "($close-$open)/$open", ...}
    check_lookahead(panel, "Ref($close, -1)")           -> LookaheadReport(looks_ahead=True)
    check_lookahead(panel, library="alpha158")         -> LookaheadReports (one verdict per factor)
    @register_factor("name")                            -> Python factor usable by name

Values equal qlib's ``Alpha158``/``Alpha360`` handlers' raw features on the same data (see
``tests/factors/test_qlib_parity.py`` and ``factors/README.md``).
"""

from __future__ import annotations

from rdq.factors._compile import OPERATORS, Precision, compile_expr, operator_names
from rdq.factors._compute import compute, working_frame
from rdq.factors._fields import SKIPPED_KEY, FieldCheck, check_fields, name_ranges, panel_fields
from rdq.factors._library import LIBRARY_DIR, list_libraries, load_labels, load_library
from rdq.factors._lookahead import (
    LookaheadReport,
    LookaheadReports,
    check_library_lookahead,
    check_lookahead,
    is_label_name,
)
from rdq.factors._parser import parse
from rdq.factors._registry import register_factor, registered_factors, unregister_factor
from rdq.factors._stream import FactorFile, asset_chunks, compute_to_parquet, read_skipped

__all__ = [
    "compute",
    "compute_to_parquet",
    "FactorFile",
    "read_skipped",
    "asset_chunks",
    "check_fields",
    "FieldCheck",
    "panel_fields",
    "name_ranges",
    "SKIPPED_KEY",
    "parse",
    "compile_expr",
    "working_frame",
    "OPERATORS",
    "operator_names",
    "Precision",
    "load_library",
    "load_labels",
    "list_libraries",
    "LIBRARY_DIR",
    "check_lookahead",
    "check_library_lookahead",
    "LookaheadReport",
    "LookaheadReports",
    "is_label_name",
    "register_factor",
    "registered_factors",
    "unregister_factor",
]
