"""Look-ahead check: a factor value at date t must not change when data after t is removed.

``check_lookahead`` recomputes the factors on the panel truncated at ``n_cuts`` dates and compares
every value up to each cut with the value computed on the full panel; it also flags, without
computing, every ``Ref(x, N)`` with ``N < 0`` (a read of the future). Labels, whose job is to look
ahead, are exempt by name (``LABEL...``/``label...``). One expression gives one
:class:`LookaheadReport`; several expressions (a mapping, a list) or a whole library give a
:class:`LookaheadReports` with each factor's verdict::

    check_lookahead(panel, "Ref($close, -1)").looks_ahead                # True
    reports = check_lookahead(panel, library="alpha158")                   # 158 verdicts
    reports.looks_ahead, reports.ahead, reports.to_frame()                # any?, which, a table

A factor that reads a field the panel lacks (``$vwap`` on OHLCV data) is not computed: its verdict is
``"skipped"``, naming the field.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, overload

import numpy as np
import polars as pl

from rdq.errors import ConfigError
from rdq.factors._compile import Precision, negative_refs
from rdq.factors._compute import compute, parse_named
from rdq.factors._fields import check_fields, panel_fields

__all__ = [
    "LookaheadReport",
    "LookaheadReports",
    "Verdict",
    "check_lookahead",
    "check_library_lookahead",
    "is_label_name",
]

log = logging.getLogger(__name__)

#: a factor's outcome: clean, reads the future, a label (not checked), or not computable on the panel
Verdict = Literal["ok", "looks ahead", "exempt", "skipped"]


def is_label_name(name: str) -> bool:
    """True for names exempt from the check (``LABEL0``, ``label_5d``, ...)."""
    return name.lower().startswith("label")


@dataclass(frozen=True)
class LookaheadReport:
    """Outcome of :func:`check_lookahead` for one factor.

    Attributes
    ----------
    name, expr:
        The factor checked.
    static_issues:
        Messages for syntactic future reads (negative ``Ref`` shifts), with their positions.
    changed:
        ``cut date -> number of values up to the cut that changed`` when the future was removed.
    examples:
        Up to 5 ``(asset, date, full value, truncated value)`` of changed values.
    exempt:
        The name marks a label; nothing was checked.
    missing_fields:
        Fields the factor reads that the panel lacks (without ``$``); the values were not computed
        (only the static check ran).
    """

    name: str
    expr: str
    static_issues: tuple[str, ...] = ()
    changed: dict[str, int] = field(default_factory=dict)
    examples: tuple[tuple[str, str, float | None, float | None], ...] = ()
    exempt: bool = False
    missing_fields: tuple[str, ...] = ()

    @property
    def looks_ahead(self) -> bool:
        """True when the factor reads the future (statically or by changed values)."""
        return not self.exempt and (bool(self.static_issues) or any(v > 0 for v in self.changed.values()))

    @property
    def ok(self) -> bool:
        """The opposite of :attr:`looks_ahead`."""
        return not self.looks_ahead

    @property
    def n_changed(self) -> int:
        """Values (summed over the cuts) that changed when the future was removed."""
        return sum(self.changed.values())

    @property
    def verdict(self) -> Verdict:
        """``"looks ahead"``, ``"exempt"``, ``"skipped"`` (fields missing, nothing seen) or ``"ok"``."""
        if self.looks_ahead:
            return "looks ahead"
        if self.exempt:
            return "exempt"
        if self.missing_fields:
            return "skipped"
        return "ok"

    @property
    def detail(self) -> str:
        """One line explaining the verdict (empty when ``ok``)."""
        parts = list(self.static_issues)
        changed = {k: v for k, v in self.changed.items() if v}
        if changed:
            asset, date, full, part = self.examples[0] if self.examples else ("?", "?", None, None)
            parts.append(
                f"{self.n_changed} value(s) changed when the future was removed"
                f" (e.g. {asset} {date}: {full} -> {part})"
            )
        if self.exempt:
            parts.append("a label: labels may look ahead")
        if self.missing_fields:
            parts.append(
                "not computed: reads " + ", ".join(f"${f}" for f in self.missing_fields) + ", which the data lacks"
            )
        return "; ".join(parts)

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "name": self.name,
            "expr": self.expr,
            "verdict": self.verdict,
            "looks_ahead": self.looks_ahead,
            "exempt": self.exempt,
            "missing_fields": list(self.missing_fields),
            "static_issues": list(self.static_issues),
            "changed": dict(self.changed),
            "examples": [list(e) for e in self.examples],
        }


@dataclass(frozen=True)
class LookaheadReports:
    """Outcome of :func:`check_lookahead` for several factors, in the order they were given.

    Indexing by name gives one :class:`LookaheadReport`; iterating yields them in order.

    ``to_frame()`` (one row per factor)::

        name     expr                 verdict       n_static  n_changed  detail
        str      str                  str           i64       i64        str
        peek     Ref($close, -1)      looks ahead   1         12         Ref(..., -1) at position 0 reads ...
        MA5      Mean($close, 5)      ok            0         0
    """

    reports: tuple[LookaheadReport, ...]

    @property
    def names(self) -> list[str]:
        """Factor names, in order."""
        return [r.name for r in self.reports]

    @property
    def ahead(self) -> list[str]:
        """Names of the factors that look ahead."""
        return [r.name for r in self.reports if r.looks_ahead]

    @property
    def looks_ahead(self) -> bool:
        """True when any factor looks ahead."""
        return any(r.looks_ahead for r in self.reports)

    @property
    def ok(self) -> bool:
        """The opposite of :attr:`looks_ahead`."""
        return not self.looks_ahead

    def __getitem__(self, name: str) -> LookaheadReport:
        for r in self.reports:
            if r.name == name:
                return r
        raise KeyError(f"no factor {name!r} in this check; factors: {self.names[:10]}")

    def __iter__(self) -> Iterator[LookaheadReport]:
        return iter(self.reports)

    def __len__(self) -> int:
        return len(self.reports)

    def to_frame(self) -> pl.DataFrame:
        """One row per factor: ``name, expr, verdict, n_static, n_changed, detail``."""
        return pl.DataFrame(
            {
                "name": [r.name for r in self.reports],
                "expr": [r.expr for r in self.reports],
                "verdict": [r.verdict for r in self.reports],
                "n_static": [len(r.static_issues) for r in self.reports],
                "n_changed": [r.n_changed for r in self.reports],
                "detail": [r.detail for r in self.reports],
            },
            schema={
                "name": pl.String,
                "expr": pl.String,
                "verdict": pl.String,
                "n_static": pl.Int64,
                "n_changed": pl.Int64,
                "detail": pl.String,
            },
        )

    def to_dict(self) -> list[dict]:
        """JSON-ready list, one dict per factor (:meth:`LookaheadReport.to_dict`)."""
        return [r.to_dict() for r in self.reports]


def _cut_dates(dates: pl.Series, n_cuts: int) -> list:
    uniq = dates.unique().sort()
    if uniq.len() < 2:
        return []
    pos = np.unique(np.linspace(0, uniq.len() - 2, num=max(1, n_cuts) + 2)[1:-1].round().astype(int))
    if pos.size == 0:
        pos = np.array([0])
    return [uniq[int(p)] for p in pos]


def check_library_lookahead(
    panel: pl.DataFrame,
    exprs: Mapping[str, str],
    *,
    n_cuts: int = 5,
    precision: Precision = "float64",
    rtol: float = 1e-9,
) -> dict[str, LookaheadReport]:
    """:func:`check_lookahead` for many factors at once (one computation per cut), as a dict by name.

    Factors that read a field the panel lacks are not computed (``missing_fields`` names it).
    """
    nodes = parse_named(exprs)
    static: dict[str, tuple[str, ...]] = {}
    for name in exprs:
        issues = tuple(
            f"Ref(..., {int(r.args[1].value)}) at position {r.pos} reads {-int(r.args[1].value)} day(s) ahead"  # type: ignore[attr-defined]
            for r in negative_refs(nodes[name])
        )
        static[name] = issues
    fields = check_fields(exprs, panel_fields(panel))
    if fields.skipped:
        log.warning("look-ahead check: %s", fields.message())
    checked = {n: e for n, e in fields.computable.items() if not is_label_name(n)}

    def _unchecked(n: str, e: str) -> LookaheadReport:
        return LookaheadReport(n, e, static[n], exempt=is_label_name(n), missing_fields=fields.skipped.get(n, ()))

    if not checked or panel.height == 0:
        return {n: _unchecked(n, e) for n, e in exprs.items()}
    full = compute(panel, checked, precision=precision)
    changed: dict[str, dict[str, int]] = {n: {} for n in checked}
    examples: dict[str, list[tuple[str, str, float | None, float | None]]] = {n: [] for n in checked}
    for cut in _cut_dates(full["date"], n_cuts):
        part = compute(panel.filter(pl.col("date") <= cut), checked, precision=precision)
        ref = full.filter(pl.col("date") <= cut)
        for name in checked:
            a = ref[name].to_numpy().astype(float)
            b = part[name].to_numpy().astype(float)
            both_nan = np.isnan(a) & np.isnan(b)
            with np.errstate(invalid="ignore"):
                same = both_nan | (a == b) | (np.abs(a - b) <= rtol * np.maximum(np.abs(a), np.abs(b)))
            bad = np.flatnonzero(~same)
            changed[name][str(cut)] = int(bad.size)
            for i in bad[: max(0, 5 - len(examples[name]))]:
                examples[name].append(
                    (
                        str(ref["asset"][int(i)]),
                        str(ref["date"][int(i)]),
                        None if np.isnan(a[i]) else float(a[i]),
                        None if np.isnan(b[i]) else float(b[i]),
                    )
                )
    reports: dict[str, LookaheadReport] = {}
    for name, text in exprs.items():
        if name in checked:
            reports[name] = LookaheadReport(name, text, static[name], changed[name], tuple(examples[name]))
        else:
            reports[name] = _unchecked(name, text)
    return reports


@overload
def check_lookahead(
    panel: pl.DataFrame,
    expr: str,
    *,
    n_cuts: int = ...,
    name: str = ...,
    precision: Precision = ...,
) -> LookaheadReport: ...


@overload
def check_lookahead(
    panel: pl.DataFrame,
    expr: Mapping[str, str] | list[str] | tuple[str, ...],
    *,
    n_cuts: int = ...,
    name: str = ...,
    precision: Precision = ...,
) -> LookaheadReports: ...


@overload
def check_lookahead(
    panel: pl.DataFrame,
    expr: None = ...,
    *,
    library: str,
    n_cuts: int = ...,
    precision: Precision = ...,
) -> LookaheadReports: ...


def check_lookahead(
    panel: pl.DataFrame,
    expr: str | Mapping[str, str] | list[str] | tuple[str, ...] | None = None,
    *,
    library: str | None = None,
    n_cuts: int = 5,
    name: str = "factor",
    precision: Precision = "float64",
) -> LookaheadReport | LookaheadReports:
    """Check one factor, several, or a whole library for look-ahead.

    Parameters
    ----------
    panel:
        Canonical panel.
    expr:
        One factor expression (or registered Python factor name) -> :class:`LookaheadReport`;
        ``{name: expression}`` or a list of expressions (each named by its text) ->
        :class:`LookaheadReports`.
    library:
        Instead of ``expr``: a factor library (``"alpha158"``, see :func:`rdq.factors.load_library`)
        -> :class:`LookaheadReports`.
    n_cuts:
        Number of truncation dates, spread evenly over the panel's calendar.
    name:
        With one expression, its name; names starting with ``LABEL``/``label`` are exempt.

    Returns
    -------
    LookaheadReport or LookaheadReports
        ``.looks_ahead`` is True when a value changed or a negative ``Ref`` was found (for any factor).

    Raises
    ------
    ConfigError
        Neither or both of ``expr`` and ``library``.

    Examples
    --------
    >>> from rdq.data import synth_market
    >>> p = synth_market(n_assets=3, n_days=40, seed=1).panel
    >>> check_lookahead(p, "Ref($close, -1)").looks_ahead
    True
    >>> check_lookahead(p, {"peek": "Ref($close, -1)", "ma": "Mean($close, 5)"}, n_cuts=2).ahead
    ['peek']
    """
    if (expr is None) == (library is None):
        raise ConfigError("check_lookahead: give one of expr (an expression, a mapping or a list) or library=NAME")
    if isinstance(expr, str):
        return check_library_lookahead(panel, {name: expr}, n_cuts=n_cuts, precision=precision)[name]
    if library is not None:
        from rdq.factors._library import load_library

        exprs: dict[str, str] = dict(load_library(library))
    elif isinstance(expr, Mapping):
        exprs = dict(expr)
    else:
        assert expr is not None
        exprs = {text: text for text in expr}
    reports = check_library_lookahead(panel, exprs, n_cuts=n_cuts, precision=precision)
    return LookaheadReports(tuple(reports[n] for n in exprs))
