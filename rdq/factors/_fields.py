"""Which factors a panel can compute: the ``$fields`` each expression reads, against the panel's columns.

Most free daily data is OHLCV without ``vwap``; qlib's Alpha158 reads ``$vwap`` in one factor
(``VWAP0``) and Alpha360 in sixty (``VWAP0``..``VWAP59``). With ``missing="skip"`` those factors are
left out with **one** warning that names them and the field, and the rest is computed exactly as
before; with ``missing="error"`` (``rdq factors compute --strict``) the missing field is an error.

::

    exprs = load_library("alpha158")              # 158 factors, VWAP0 reads $vwap
    check = check_fields(exprs, panel_fields(ohlcv_panel))
    check.computable                              # 157 factors, qlib's order
    check.skipped                                 # {"VWAP0": ("vwap",)}
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from rdq.errors import ExpressionError, SchemaError, did_you_mean
from rdq.factors._parser import Call, Field, Node, parse

__all__ = ["Missing", "FieldCheck", "check_fields", "panel_fields", "name_ranges", "SKIPPED_KEY"]

log = logging.getLogger(__name__)

#: what to do with a factor that reads a field the panel lacks
Missing = Literal["skip", "error"]

#: Parquet key-value metadata key holding the skipped factors as JSON ``{"VWAP0": ["vwap"], ...}``
SKIPPED_KEY = "rdq.skipped_factors"


def panel_fields(panel: pl.DataFrame) -> frozenset[str]:
    """The columns of ``panel`` an expression can read as ``$name`` (numeric or Boolean, not the keys)."""
    return frozenset(
        c for c, t in panel.schema.items() if c not in ("date", "asset") and (t.is_numeric() or t == pl.Boolean)
    )


def _fields_of(node: Node, out: set[str]) -> None:
    if isinstance(node, Field):
        out.add(node.name)
    elif isinstance(node, Call):
        for a in node.args:
            _fields_of(a, out)


@dataclass(frozen=True)
class FieldCheck:
    """The outcome of :func:`check_fields`.

    Attributes
    ----------
    computable:
        Factor name -> expression for every factor whose fields all exist, in the input order.
    skipped:
        Factor name -> the missing fields it reads (sorted, without ``$``), in the input order.
    available:
        The panel's fields.
    """

    computable: dict[str, str]
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)
    available: frozenset[str] = frozenset()

    def needing(self, field_name: str) -> str:
        """The skipped factors reading ``field_name``, naturally sorted, runs as ranges (``VWAP0..VWAP59``)."""
        return name_ranges(sorted((k for k, v in self.skipped.items() if field_name in v), key=_natural))

    @property
    def missing_fields(self) -> list[str]:
        """Every field some skipped factor needs, sorted."""
        return sorted({f for fs in self.skipped.values() for f in fs})

    def message(self) -> str:
        """One line naming the skipped factors, the fields and how to supply them."""
        n = len(self.skipped) + len(self.computable)
        needs = []
        for f in self.missing_fields:
            needs.append(f"{self.needing(f)} read ${f}{did_you_mean(f, sorted(self.available))}")
        cols = " / ".join(f"'{f}'" for f in self.missing_fields)
        return (
            f"skipped {len(self.skipped)} of {n} factors that read a field the data lacks: {'; '.join(needs)};"
            f" to compute them, add a numeric {cols} column to the data (every numeric column is read as $name)"
        )

    def raise_if_skipped(self, *, source: str | None = None) -> None:
        """Raise :class:`SchemaError` when a factor needs a missing field (``missing="error"``)."""
        if not self.skipped:
            return
        fields = self.missing_fields
        names = {f: self.needing(f) for f in fields}
        raise SchemaError(
            "; ".join(f"factor(s) {names[f]} read ${f}{did_you_mean(f, sorted(self.available))}" for f in fields)
            + f", which the data lacks (it has {', '.join('$' + c for c in sorted(self.available)) or 'no fields'})",
            file=source,
            column=fields[0],
            fix=f"add a numeric {' / '.join(repr(f) for f in fields)} column to the data, or leave out --strict"
            " (missing='skip' in Python) to compute the other factors and skip these",
        )


def check_fields(exprs: Mapping[str, str], available: Collection[str]) -> FieldCheck:
    """Split ``exprs`` into the factors ``available`` fields can compute and those they cannot.

    Parameters
    ----------
    exprs:
        Factor name -> expression (a registered Python factor's bare name reads no field).
    available:
        The panel's fields (see :func:`panel_fields`).

    An expression that does not parse counts as computable: :func:`rdq.factors.compute` then
    raises its :class:`ExpressionError`, naming the factor and the position.
    """
    have = frozenset(available)
    ok: dict[str, str] = {}
    skipped: dict[str, tuple[str, ...]] = {}
    for name, text in exprs.items():
        used: set[str] = set()
        if isinstance(text, str):
            try:
                _fields_of(parse(text), used)
            except ExpressionError:
                pass
        lacking = tuple(sorted(used - have))
        if lacking:
            skipped[name] = lacking
        else:
            ok[name] = text
    return FieldCheck(computable=ok, skipped=skipped, available=have)


_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def _natural(name: str) -> tuple[str, int]:
    m = _NUMBERED.match(name)
    return (m.group(1), int(m.group(2))) if m else (name, -1)


def name_ranges(names: Iterable[str]) -> str:
    """Names joined with ``", "``, runs of consecutively numbered names (up or down) as a range.

    Examples
    --------
    >>> name_ranges([f"VWAP{i}" for i in range(60)] + ["X"])
    'VWAP0..VWAP59, X'
    >>> name_ranges([f"VWAP{i}" for i in range(59, -1, -1)])
    'VWAP59..VWAP0'
    >>> name_ranges(["VWAP0", "VWAP1"])
    'VWAP0, VWAP1'
    """
    out: list[str] = []
    run: list[tuple[str, int, str]] = []  # (prefix, number, name)

    def flush() -> None:
        if len(run) >= 3:
            out.append(f"{run[0][2]}..{run[-1][2]}")
        else:
            out.extend(r[2] for r in run)
        run.clear()

    for name in names:
        m = _NUMBERED.match(name)
        if m is None:
            flush()
            out.append(name)
            continue
        item = (m.group(1), int(m.group(2)), name)
        if run and run[-1][0] == item[0]:
            step = item[1] - run[-1][1]
            direction = run[1][1] - run[0][1] if len(run) > 1 else step
            if step in (1, -1) and step == direction:
                run.append(item)
                continue
        flush()
        run.append(item)
    flush()
    return ", ".join(out)
