"""Factor codes of the research loop: an rdq expression or a Python ``def factor(panel)``, computed alike.

A factor's *code* is either an rdq expression (``$close/Ref($close,5)-1``, computed by
:func:`rdq.factors.compute`, in-process and fast: the GP screens thousands) or Python source defining
``def factor(panel: polars.DataFrame) -> polars.DataFrame`` that returns ``date, asset, value``.
Python sources are generated (or a user's) code: they are ALWAYS run in :mod:`rdq.sandbox`
(:func:`rdq.sandbox.run_python_factor`), never in this process.

:func:`compute_codes` is the drop-in replacement of ``compute(panel, exprs, missing="skip")`` for a
mapping that mixes both; :func:`python_values` runs one Python factor (cached per panel content and
source inside one process) and :func:`python_lookahead` is the truncation check of a Python factor.

The values of a Python factor are computed on the panel the caller passes (the loop: the sealed
train + valid panel; the report: the full panel), so code run inside the loop has no path to the
test span.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Literal

import numpy as np
import polars as pl

from rdq.errors import RdqError
from rdq.sandbox import Limits, SandboxResult

__all__ = ["is_python", "compute_codes", "python_values", "python_lookahead", "ENTRY"]

log = logging.getLogger(__name__)

#: the function a Python factor file defines
ENTRY = "factor"
_CACHE_SIZE = 64
_cache: OrderedDict[tuple[str, str, Limits], tuple[SandboxResult, pl.DataFrame | None]] = OrderedDict()
_lock = threading.Lock()


def is_python(code: str) -> bool:
    """Whether ``code`` is Python source defining a top-level ``def factor(...)`` (else: an expression).

    The text is parsed with :mod:`ast`: ``$close/Ref($close,5)-1`` is not Python at all, and
    ``Mean(close, 5)`` parses but defines no function, so both are expressions. A source with a
    syntax error that still begins a line with ``def factor(`` counts as Python (so its error is
    reported by the sandbox, not by the expression parser).

    Examples
    --------
    >>> is_python("$close / Ref($close, 5) - 1")
    False
    >>> is_python("def factor(panel):\\n    return panel\\n")
    True
    """
    if "def" not in code:
        return False
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return any(line.startswith(f"def {ENTRY}(") for line in code.splitlines())
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == ENTRY for node in tree.body
    )


def _fingerprint(panel: pl.DataFrame) -> str:
    from rdq.data import panel_fingerprint

    return panel_fingerprint(panel)


def python_values(
    panel: pl.DataFrame, code: str, *, limits: Limits | None = None, fingerprint: str | None = None
) -> tuple[SandboxResult, pl.DataFrame | None]:
    """Run the Python factor ``code`` on ``panel`` in the sandbox (cached in this process).

    Parameters
    ----------
    panel:
        ``(n_rows, 2 + n_fields)``: ``date, asset`` and the fields; the child gets a copy of it only.
    code:
        Python source defining ``def factor(panel)``.
    limits:
        Sandbox limits (default :class:`rdq.sandbox.Limits`).
    fingerprint:
        The panel's content hash when the caller has it (else computed).

    Returns
    -------
    (SandboxResult, pl.DataFrame | None)
        The run's result and, when ``ok``, ``date, asset, value`` (Float64, sorted by date, asset).
        ``ok``, ``error`` and ``blocked`` results are cached by (panel content, source, limits);
        ``timeout`` and ``killed`` are not (they may depend on the machine's load).
    """
    from rdq.sandbox import run_python_factor

    limits = limits or Limits()
    key = (fingerprint or _fingerprint(panel), hashlib.sha256(code.encode()).hexdigest(), limits)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    got = run_python_factor(code, panel, limits=limits, entry=ENTRY)
    if got[0].status in ("ok", "error", "blocked"):
        with _lock:
            _cache[key] = got
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return got


def clear_cache() -> None:
    """Forget every cached Python factor run (tests)."""
    with _lock:
        _cache.clear()


def compute_codes(
    panel: pl.DataFrame,
    codes: Mapping[str, str],
    *,
    missing: Literal["skip", "raise", "error"] = "skip",
    limits: Limits | None = None,
) -> pl.DataFrame:
    """:func:`rdq.factors.compute` for expressions plus the sandbox for Python factors, in one frame.

    Parameters
    ----------
    panel:
        Canonical panel ``(n_rows, 2 + n_fields)``.
    codes:
        Factor name -> an rdq expression or Python source defining ``def factor(panel)``.
    missing:
        ``"skip"``: a factor that cannot be computed (an expression reading a field the panel lacks,
        a Python factor whose run is not ``ok``) is left out, with a warning naming it and why;
        ``"raise"`` (or ``"error"``): an :class:`~rdq.errors.RdqError` naming the factor, the run's
        status and reason (a missing field: :class:`~rdq.errors.ExpressionError`).
    limits:
        Sandbox limits for the Python factors.

    Returns
    -------
    pl.DataFrame
        ``date, asset, <name>...`` (Float64, null = missing), shape ``(panel.height, 2 + k)``, rows sorted
        by (asset, date) as :func:`rdq.factors.compute` gives them, columns in ``codes`` order (skipped
        factors left out). Only expressions: exactly ``compute(panel, codes, missing=...)``.

    Raises
    ------
    RdqError
        ``missing="raise"`` and a Python factor failed (names it, its status and the reason).
    """
    from rdq.factors import compute

    if missing not in ("skip", "raise", "error"):
        raise RdqError(f"compute_codes: missing must be 'skip' or 'raise', got {missing!r}")
    exprs = {k: v for k, v in codes.items() if not is_python(v)}
    pys = {k: v for k, v in codes.items() if k not in exprs}
    mode: Literal["skip", "error"] = "skip" if missing == "skip" else "error"
    if not pys:
        return compute(panel, exprs, missing=mode)
    base = (
        compute(panel, exprs, missing=mode) if exprs else panel.select("date", "asset").sort("asset", "date")
    )
    fp = _fingerprint(panel)
    for name, code in pys.items():
        res, frame = python_values(panel, code, limits=limits, fingerprint=fp)
        if frame is None:
            msg = f"Python factor {name!r}: {res.status}: {res.reason}"
            if missing != "skip":
                raise RdqError(msg + "\nfix: correct the factor's code (see the reason) or drop the factor")
            log.warning("%s; left out", msg)
            continue
        base = base.join(
            frame.select("date", "asset", pl.col("value").alias(name)),
            on=["date", "asset"],
            how="left",
            maintain_order="left",
        )
    order = [k for k in codes if k in base.columns]
    return base.select("date", "asset", *order)


def python_lookahead(
    panel: pl.DataFrame,
    code: str,
    *,
    full: pl.DataFrame,
    n_cuts: int = 2,
    limits: Limits | None = None,
    rtol: float = 1e-9,
) -> tuple[bool, str]:
    """Truncation check of a Python factor: rerun it on ``panel`` cut at ``n_cuts`` dates and compare.

    ``full`` is its ``date, asset, value`` on the whole ``panel``. Returns ``(ok, detail)``: ``ok`` when
    every value up to each cut is unchanged (NaN = NaN, relative tolerance ``rtol``); the detail names
    the cut, how many values changed and one example, or why a truncated run failed.
    """
    from rdq.factors._lookahead import _cut_dates  # noqa: PLC2701 - the same cuts as the expression check

    total = 0
    example = ""
    for cut in _cut_dates(panel["date"], n_cuts):
        res, part = python_values(panel.filter(pl.col("date") <= cut), code, limits=limits)
        if part is None:
            return False, f"the run on the panel cut at {cut} failed: {res.status}: {res.reason}"
        ref = full.filter(pl.col("date") <= cut).select("date", "asset", "value")
        both = ref.join(part, on=["date", "asset"], how="full", suffix="_cut", coalesce=True)
        a = both["value"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        b = both["value_cut"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        with np.errstate(invalid="ignore"):
            same = (
                (np.isnan(a) & np.isnan(b)) | (a == b) | (np.abs(a - b) <= rtol * np.maximum(abs(a), abs(b)))
            )
        bad = np.flatnonzero(~same)
        total += int(bad.size)
        if bad.size and not example:
            i = int(bad[0])
            example = (
                f"at cut {cut}: {bad.size} value(s) changed, e.g. {both['asset'][i]} {both['date'][i]}: "
                f"{a[i]:.6g} with the future, {b[i]:.6g} without"
            )
    if total:
        return False, f"looks ahead: {example} (use only rows up to each date)"
    return True, "no look-ahead"
