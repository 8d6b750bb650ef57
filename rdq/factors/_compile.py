"""Compile a parsed expression into one polars expression over the (asset, date)-sorted panel.

Element-wise operators are polars expressions (evaluated lazily, multi-threaded). Time-series
operators call a numba kernel from :mod:`rdq.factors._kernels` once on the whole column with the
asset boundaries (``map_batches``): windows never cross assets and there is no Python loop per
asset; the kernels release the GIL and ``compute`` runs independent queries on one thread per
core. Cross-sectional operators
(``CSRank``, ...) are polars window expressions ``.over("date")``; polars evaluates what is
under a window once per date, on that date's rows, so an argument that runs a kernel is first
computed on the whole column into a temporary column (a kernel's asset boundaries index the whole
working frame; given a date's few rows it would read and write outside its buffers, and it
refuses such a column). A sub-expression used by more
than one factor (``Ref($close, 1)``, ``Std($close, 20)``, ...) is computed once into a temporary
column (see :class:`CompileContext`), since polars cannot share UDF results between expressions.

Semantics are qlib's (``qlib/data/ops.py``), which are pandas': rolling windows use
``min_periods=1``, ``Std``/``Var`` have ddof=1, NaN is skipped inside windows, a comparison with a
missing value is ``False`` (``!=`` is ``True``), ``Greater``/``Less`` propagate missing values
(``np.maximum``), division by zero gives ``inf``, ``0/0`` and ``Log`` of a negative number give a
missing value. Missing values are polars nulls in the output; inside an expression a kernel's
result keeps NaN for missing (kernels read NaN and null alike) until an operator that tells them
apart (comparisons, cross-sectional ranks, the final output) turns it into null.

``precision="qlib"`` also mimics qlib's dtypes: qlib stores fields as float32 and numpy keeps
element-wise arithmetic in float32 (a Python scalar does not widen it), while pandas rolling
aggregations and the cython kernels return float64. Tracking that gives bit-for-bit the same
intermediate roundings as qlib; ``precision="float64"`` computes everything in float64.

Layout: :mod:`rdq.factors._compile_base` (operator table, context, typed nodes, leaves and calls),
:mod:`rdq.factors._compile_elementwise`, :mod:`rdq.factors._compile_windows` (kernels, batches)
and :mod:`rdq.factors._compile_cs` (one mixin of builders per family); this module puts them
together and holds the entry points.
"""

from __future__ import annotations

import polars as pl

from rdq.errors import ExpressionError
from rdq.factors._compile_base import OPERATORS, CompileContext, Precision, operator_names
from rdq.factors._compile_base import REAL as REAL  # re-exported: rdq.factors._compute imports it from here
from rdq.factors._compile_cs import _CrossSectionalOps
from rdq.factors._compile_elementwise import _ElementwiseOps
from rdq.factors._compile_windows import _RollingOps, batch_groups
from rdq.factors._compile_windows import implied_calls as implied_calls  # re-exported, as REAL
from rdq.factors._parser import Call, Node, Num, parse

__all__ = [
    "Precision",
    "CompileContext",
    "compile_expr",
    "OPERATORS",
    "operator_names",
    "negative_refs",
    "batch_groups",
]


class _Compiler(_ElementwiseOps, _RollingOps, _CrossSectionalOps):
    """The expression compiler: the base's leaves and calls with every family's ``op_<Name>`` builders."""


def compile_expr(expr: str | Node, ctx: CompileContext, *, text: str | None = None) -> pl.Expr:
    """Compile one expression into a Float64 polars expression.

    Parameters
    ----------
    expr:
        Expression text or an already parsed node.
    ctx:
        The working frame's fields and asset boundaries.
    text:
        Source text for error messages when ``expr`` is a node.

    Returns
    -------
    pl.Expr
        Evaluates, on the working frame, to one Float64 value per row (null = missing), once the
        temporary columns it reads (``ctx.temps``: shared sub-expressions, batches, inputs of
        cross-sectional operators that run a kernel) are added to the frame, stage by stage, as
        :func:`rdq.factors.compute` does.

    Raises
    ------
    ExpressionError
        Unknown operator or field (with a suggestion), wrong arity, bad argument.
    """
    source = expr if isinstance(expr, str) else (text or str(expr))
    node = parse(expr) if isinstance(expr, str) else expr
    comp = _Compiler(source, ctx)
    t = comp.compile(node)
    if t.kind == "scalar":
        assert isinstance(t.value, float)
        return pl.lit(t.value, dtype=pl.Float64).fill_nan(None)
    if t.kind == "str":
        raise ExpressionError("an expression must be numeric, not a string", expr=source, pos=node.pos)
    assert t.expr is not None
    return comp.clean(t, node).cast(pl.Float64)


def negative_refs(node: Node) -> list[Call]:
    """Every ``Ref(x, N)`` with ``N < 0`` in ``node`` (they read future values)."""
    found: list[Call] = []
    if isinstance(node, Call):
        if node.op == "Ref" and len(node.args) == 2:
            n = node.args[1]
            if isinstance(n, Num) and n.value < 0:
                found.append(node)
        for a in node.args:
            found.extend(negative_refs(a))
    return found
