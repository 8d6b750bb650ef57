"""Look-ahead check: a factor value at date t must not change when data after t is removed.

``check_lookahead`` recomputes the factor on the panel truncated at ``n_cuts`` dates and compares
every value up to each cut with the value computed on the full panel; it also flags, without
computing, every ``Ref(x, N)`` with ``N < 0`` (a read of the future). Labels, whose job is to look
ahead, are exempt by name (``LABEL...``/``label...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from rdq.factors._compile import Precision, negative_refs
from rdq.factors._compute import compute, parse_named

__all__ = ["LookaheadReport", "check_lookahead", "check_library_lookahead", "is_label_name"]


def is_label_name(name: str) -> bool:
    """True for names exempt from the check (``LABEL0``, ``label_5d``, ...)."""
    return name.lower().startswith("label")


@dataclass(frozen=True)
class LookaheadReport:
    """Outcome of :func:`check_lookahead`.

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
    """

    name: str
    expr: str
    static_issues: tuple[str, ...] = ()
    changed: dict[str, int] = field(default_factory=dict)
    examples: tuple[tuple[str, str, float | None, float | None], ...] = ()
    exempt: bool = False

    @property
    def looks_ahead(self) -> bool:
        """True when the factor reads the future (statically or by changed values)."""
        return not self.exempt and (bool(self.static_issues) or any(v > 0 for v in self.changed.values()))

    @property
    def ok(self) -> bool:
        """The opposite of :attr:`looks_ahead`."""
        return not self.looks_ahead

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "name": self.name,
            "expr": self.expr,
            "looks_ahead": self.looks_ahead,
            "exempt": self.exempt,
            "static_issues": list(self.static_issues),
            "changed": dict(self.changed),
            "examples": [list(e) for e in self.examples],
        }


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
    """:func:`check_lookahead` for many factors at once (one computation per cut)."""
    nodes = parse_named(exprs)
    checked = {n: e for n, e in exprs.items() if not is_label_name(n)}
    reports: dict[str, LookaheadReport] = {}
    static: dict[str, tuple[str, ...]] = {}
    for name in exprs:
        issues = tuple(
            f"Ref(..., {int(r.args[1].value)}) at position {r.pos} reads {-int(r.args[1].value)} day(s) ahead"  # type: ignore[attr-defined]
            for r in negative_refs(nodes[name])
        )
        static[name] = issues
    if not checked or panel.height == 0:
        return {n: LookaheadReport(n, e, static[n], exempt=is_label_name(n)) for n, e in exprs.items()}
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
    for name, text in exprs.items():
        if name in checked:
            reports[name] = LookaheadReport(name, text, static[name], changed[name], tuple(examples[name]))
        else:
            reports[name] = LookaheadReport(name, text, static[name], exempt=True)
    return reports


def check_lookahead(
    panel: pl.DataFrame,
    expr: str,
    *,
    n_cuts: int = 5,
    name: str = "factor",
    precision: Precision = "float64",
) -> LookaheadReport:
    """Check one factor for look-ahead.

    Parameters
    ----------
    panel:
        Canonical panel.
    expr:
        Factor expression (or registered Python factor name).
    n_cuts:
        Number of truncation dates, spread evenly over the panel's calendar.
    name:
        Factor name; names starting with ``LABEL``/``label`` are exempt.

    Returns
    -------
    LookaheadReport
        ``.looks_ahead`` is True when a value changed or a negative ``Ref`` was found.

    Examples
    --------
    >>> from rdq.data import synth_market
    >>> p = synth_market(n_assets=3, n_days=40, seed=1).panel
    >>> check_lookahead(p, "Ref($close, -1)").looks_ahead
    True
    """
    return check_library_lookahead(panel, {name: expr}, n_cuts=n_cuts, precision=precision)[name]
