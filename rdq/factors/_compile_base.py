"""The compiler's core: operator table, compile context, typed nodes and the base compiler class.

:class:`_CompilerBase` compiles leaves, checks calls against :data:`OPERATORS` and dispatches each
call to its builder ``op_<Name>``; the builders live in mixins by family
(:mod:`rdq.factors._compile_elementwise`, :mod:`rdq.factors._compile_windows`,
:mod:`rdq.factors._compile_cs`), put together as :class:`rdq.factors._compile._Compiler`. The
semantics are described in :mod:`rdq.factors._compile`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from rdq.errors import ExpressionError, did_you_mean
from rdq.factors._parser import Call, Field, Name, Node, Num, Str

Precision = Literal["float64", "qlib"]
Kind = Literal["f32", "f64", "bool", "scalar", "str", "field"]

#: the hidden column marking rows that exist in the input panel (vs. calendar gaps we insert)
REAL = "__rdq_real"

#: operator name -> (parameter spec, one-line signature for messages). Spec letters:
#: ``x`` expression or number, ``N`` window (int >= 0), ``R`` shift (any int), ``E`` EMA span/alpha
#: (number >= 0), ``q`` quantile in [0, 1], ``s`` string, ``g`` a ``$field``
OPERATORS: dict[str, tuple[str, str]] = {
    # element-wise
    "Abs": ("x", "Abs(x)"),
    "Sign": ("x", "Sign(x)"),
    "Log": ("x", "Log(x)"),
    "Not": ("x", "Not(x)"),
    "Neg": ("x", "-x"),
    "Power": ("xx", "Power(x, y)"),
    "Add": ("xx", "Add(x, y)"),
    "Sub": ("xx", "Sub(x, y)"),
    "Mul": ("xx", "Mul(x, y)"),
    "Div": ("xx", "Div(x, y)"),
    "Greater": ("xx", "Greater(x, y)"),
    "Less": ("xx", "Less(x, y)"),
    "Gt": ("xx", "Gt(x, y)"),
    "Ge": ("xx", "Ge(x, y)"),
    "Lt": ("xx", "Lt(x, y)"),
    "Le": ("xx", "Le(x, y)"),
    "Eq": ("xx", "Eq(x, y)"),
    "Ne": ("xx", "Ne(x, y)"),
    "And": ("xx", "And(x, y)"),
    "Or": ("xx", "Or(x, y)"),
    "If": ("xxx", "If(cond, x, y)"),
    "Mask": ("xs", "Mask(x, 'INSTRUMENT')"),
    # rolling, per asset
    "Ref": ("xR", "Ref(x, N)"),
    "Mean": ("xN", "Mean(x, N)"),
    "Sum": ("xN", "Sum(x, N)"),
    "Std": ("xN", "Std(x, N)"),
    "Var": ("xN", "Var(x, N)"),
    "Skew": ("xN", "Skew(x, N)"),
    "Kurt": ("xN", "Kurt(x, N)"),
    "Max": ("xN", "Max(x, N)"),
    "Min": ("xN", "Min(x, N)"),
    "IdxMax": ("xN", "IdxMax(x, N)"),
    "IdxMin": ("xN", "IdxMin(x, N)"),
    "Quantile": ("xNq", "Quantile(x, N, q)"),
    "Med": ("xN", "Med(x, N)"),
    "Mad": ("xN", "Mad(x, N)"),
    "Rank": ("xN", "Rank(x, N)"),
    "Count": ("xN", "Count(x, N)"),
    "Delta": ("xN", "Delta(x, N)"),
    "Slope": ("xN", "Slope(x, N)"),
    "Rsquare": ("xN", "Rsquare(x, N)"),
    "Resi": ("xN", "Resi(x, N)"),
    "WMA": ("xN", "WMA(x, N)"),
    "EMA": ("xE", "EMA(x, N)"),
    "Corr": ("xxN", "Corr(x, y, N)"),
    "Cov": ("xxN", "Cov(x, y, N)"),
    # cross-sectional, per date
    "CSRank": ("x", "CSRank(x)"),
    "CSZScore": ("x", "CSZScore(x)"),
    "CSDemean": ("x", "CSDemean(x)"),
    "CSNeutralize": ("xg", "CSNeutralize(x, $group)"),
}

#: the minimum window qlib accepts (it raises below it)
_MIN_WINDOW = {"Skew": 3, "Kurt": 4}


def operator_names() -> list[str]:
    """Public operator names (``Neg`` is the unary minus)."""
    return [name for name in OPERATORS if name != "Neg"]


@dataclass
class CompileContext:
    """What the compiler needs to know about the panel.

    Parameters
    ----------
    fields:
        Column names usable as ``$name``.
    starts:
        Asset boundaries ``(n_assets + 1,)`` of the sorted working frame (see ``_kernels``).
    precision:
        ``"float64"`` or ``"qlib"`` (float32 element-wise arithmetic, like qlib).
    python_factors:
        Registered Python factor name -> the column holding its values.
    """

    fields: frozenset[str]
    starts: np.ndarray
    precision: Precision = "float64"
    python_factors: dict[str, str] = field(default_factory=dict)
    max_len: int = 1
    #: ``precision="qlib"``: field -> (Float32 column, Float64 column) holding its values rounded to
    #: float32 once, so that expressions do not cast the field at every use (optional)
    field_columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: compiled sub-expressions by canonical text, shared by every factor compiled with this
    #: context: the same polars expression object lets polars' common-subexpression elimination
    #: evaluate e.g. ``Ref($close, 1)`` once for the whole library
    memo: dict[str, object] = field(default_factory=dict)
    #: canonical texts of sub-expressions used more than once: each is computed once into a
    #: temporary column (polars cannot share UDF results between expressions by itself)
    shared: frozenset[str] = frozenset()
    #: filled by the compiler: temporary column name -> (expression, stage); a stage-k column
    #: only reads columns of earlier stages
    temps: dict[str, tuple[pl.Expr, int]] = field(default_factory=dict)
    #: operators computed together in one kernel pass, e.g. ``"Mean|$close"`` -> windows
    #: ``(5, 10, 20, 30, 60)`` or ``"Quantile|$close|20"`` -> ``(0.2, 0.8)`` (see :func:`batch_groups`)
    batches: dict[str, tuple[float, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Typed:
    """A compiled node. ``nan``/``inf``: the values may hold NaN / infinities.

    NaN (from ``0/0``, ``Log(-1)``, ``inf-inf``) is turned into null only where it matters
    (comparisons, native rolling ops, the final output): ``fill_nan`` references its input twice,
    so applying it at every node would duplicate the expression tree exponentially.
    """

    expr: pl.Expr | None
    kind: Kind
    value: float | str | None = None
    nan: bool = False
    inf: bool = False
    #: the latest temporary-column stage this expression reads (0: none)
    stage: int = 0
    #: the panel field this expression is, when it is a bare ``$field``
    field: str | None = None
    #: the expression runs a rolling kernel itself (not only reads temporary columns)
    heavy: bool = False
    #: set by a builder whose arguments' kernels run inside a temporary column it reads (a batch,
    #: the input of a cross-sectional operator): the node itself runs no kernel
    absorbed: bool = False
    #: the expression holds a per-date window (``.over``) not behind a temporary column
    windowed: bool = False


def _fill_nan(s: pl.Series) -> pl.Series:
    return s.fill_nan(None)


def _denan(e: pl.Expr, kind: Kind) -> pl.Expr:
    """NaN -> null with a single reference to ``e`` (a UDF, unlike ``Expr.fill_nan``).

    Not ``is_elementwise``: polars would then call it once per morsel (~100k rows), each call
    taking the GIL, which serialises the threads of ``compute`` (4,000 calls for Alpha158 on 2.5M
    rows instead of 160, and ~15% of the wall time)."""
    dtype = pl.Float32 if kind == "f32" else pl.Float64
    return e.map_batches(_fill_nan, return_dtype=dtype)


def _scalar_flags(t: _Typed) -> tuple[bool, bool]:
    if t.kind == "scalar" and isinstance(t.value, float):
        return bool(np.isnan(t.value)), bool(np.isinf(t.value))
    return t.nan, t.inf



def _as_nan_array(s: pl.Series, raw: bool) -> np.ndarray:
    """The series as a contiguous float64 array, null -> NaN (and +-inf -> NaN unless ``raw``).

    ``fill_null`` then ``to_numpy`` is a few times cheaper than ``to_numpy`` on a column with
    nulls, and usually zero-copy; a copy is made only when infinities must be replaced.
    """
    x = np.ascontiguousarray(s.cast(pl.Float64).fill_null(np.nan).to_numpy(), dtype=np.float64)
    if not raw:
        inf = np.isinf(x)
        if inf.any():
            x = x.copy()
            x[inf] = np.nan
    return x


class KernelRowsError(ExpressionError):
    """A kernel given a column that is not the whole working frame (see :func:`_check_rows`).

    Takes the message alone: polars re-creates an exception raised inside a UDF from its
    ``args``, which ``ExpressionError``'s keyword-only ``expr`` does not survive.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, expr="")


def _check_rows(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``x`` if it has one value per row of the working frame the kernel's ``starts`` index (a
    single value, what polars gives for a constant such as ``If(1, 2, 3)`` or ``1 > 2``, is
    repeated to that length).

    A kernel trusts ``starts`` (it does not check bounds, for speed): given any other column (a
    kernel evaluated per group, e.g. under ``.over``) it would read and write outside its
    buffers. The compiler never builds such an expression; this turns a mistake into an error
    instead of a corrupted heap.
    """
    rows = int(starts[-1])
    if x.shape[0] == 1 and rows > 1:
        return np.full(rows, x[0])
    if x.shape[0] != rows:
        raise KernelRowsError(
            f"internal error: a time-series kernel was given {x.shape[0]} rows instead of the working "
            f"frame's {int(starts[-1])} (evaluated inside a group or window), nothing was computed; "
            "please report the expression at the rdq issue tracker"
        )
    return x


def _lit(value: float, kind: Kind) -> pl.Expr:
    return pl.lit(value, dtype=pl.Float32 if kind == "f32" else pl.Float64)


class _CompilerBase:
    """Leaves, coercions and calls; a call goes to the builder ``op_<Name>`` of a family mixin."""

    def __init__(self, text: str, ctx: CompileContext) -> None:
        self.text = text
        self.ctx = ctx

    def error(self, message: str, node: Node, hint: str = "") -> ExpressionError:
        return ExpressionError(message, expr=self.text, pos=node.pos, hint=hint)

    # -- leaves ----------------------------------------------------------------------------
    def compile(self, node: Node) -> _Typed:
        if isinstance(node, Num):
            return _Typed(None, "scalar", node.value)
        if isinstance(node, Str):
            return _Typed(None, "str", node.value)
        if isinstance(node, Field):
            if node.name not in self.ctx.fields:
                choices = sorted(self.ctx.fields)
                hint = did_you_mean(node.name, choices)
                if not hint:
                    hint = f" (the panel has: {', '.join('$' + c for c in choices)})"
                raise self.error(f"unknown field '${node.name}'", node, hint)
            col = pl.col(node.name)
            if self.ctx.precision == "qlib":
                if node.name in self.ctx.field_columns:
                    return _Typed(pl.col(self.ctx.field_columns[node.name][0]), "f32", field=node.name)
                return _Typed(col.cast(pl.Float32), "f32")
            return _Typed(col.cast(pl.Float64), "f64")
        if isinstance(node, Name):
            if node.name in self.ctx.python_factors:
                return _Typed(pl.col(self.ctx.python_factors[node.name]).cast(pl.Float64), "f64")
            if node.name in OPERATORS:
                raise self.error(f"operator {node.name} needs arguments", node, f": {OPERATORS[node.name][1]}")
            if node.name in self.ctx.fields:
                raise self.error(f"unknown name '{node.name}'", node, f" (did you mean '${node.name}'?)")
            hint = did_you_mean(node.name, [*self.ctx.python_factors, *operator_names()])
            raise self.error(
                f"unknown name '{node.name}'",
                node,
                hint or " (fields start with '$'; bare names must be registered Python factors)",
            )
        assert isinstance(node, Call)
        key = str(node)
        hit = self.ctx.memo.get(key)
        if isinstance(hit, _Typed):
            return hit
        out = self.call(node)
        arg_stage = max([0, *(self.stage_of(a) for a in node.args)])
        # a batched operator reads its batch's column instead of running a kernel
        own_kernel = "N" in OPERATORS[node.op][0] or node.op in ("Ref", "EMA")
        heavy = not out.absorbed and (own_kernel or any(self.heavy_of(a) for a in node.args))
        windowed = out.windowed or (not out.absorbed and any(self.windowed_of(a) for a in node.args))
        stage = max(out.stage, arg_stage)
        out = _Typed(out.expr, out.kind, out.value, out.nan, out.inf, stage, heavy=heavy, windowed=windowed)
        # a shared sub-expression is computed once into a temporary column when it runs a kernel
        # (polars cannot share those) or is large; cheap arithmetic and struct-field reads are
        # repeated inline: an extra column stage costs a synchronisation of the threads,
        # recomputing ``x + 1e-12`` a millisecond
        if key in self.ctx.shared and out.expr is not None and (heavy or len(key) > 200):
            name = f"__rdq_t{len(self.ctx.temps)}"
            self.ctx.temps[name] = (out.expr.alias(name), stage + 1)
            out = _Typed(pl.col(name), out.kind, out.value, out.nan, out.inf, stage + 1)
        self.ctx.memo[key] = out
        return out

    def stage_of(self, node: Node) -> int:
        hit = self.ctx.memo.get(str(node)) if isinstance(node, Call) else None
        return hit.stage if isinstance(hit, _Typed) else 0

    def heavy_of(self, node: Node) -> bool:
        hit = self.ctx.memo.get(str(node)) if isinstance(node, Call) else None
        return hit.heavy if isinstance(hit, _Typed) else False

    def windowed_of(self, node: Node) -> bool:
        hit = self.ctx.memo.get(str(node)) if isinstance(node, Call) else None
        return hit.windowed if isinstance(hit, _Typed) else False

    # -- coercions -------------------------------------------------------------------------
    def expr_of(self, t: _Typed, node: Node, like: Kind = "f64") -> pl.Expr:
        if t.kind == "scalar":
            assert isinstance(t.value, float)
            return _lit(t.value, like)
        if t.kind == "str" or t.expr is None:
            raise self.error("expected a numeric expression, got a string", node)
        return t.expr

    def clean(self, t: _Typed, node: Node, like: Kind = "f64") -> pl.Expr:
        """The expression with NaN turned into null (only when it may hold NaN)."""
        if t.kind == "scalar" and isinstance(t.value, float) and math.isnan(t.value):
            # a NaN number (Log(Log(0))) is missing: polars orders NaN above all, so 'NaN > x' would be true
            return pl.lit(None, dtype=pl.Float32 if like == "f32" else pl.Float64)
        e = self.expr_of(t, node, like)
        if t.nan and t.kind != "scalar":
            return _denan(e, "f32" if t.kind == "f32" else "f64")
        return e

    def as_f64(self, t: _Typed, node: Node) -> pl.Expr:
        if t.field in self.ctx.field_columns:
            return pl.col(self.ctx.field_columns[t.field][1])
        return self.clean(t, node).cast(pl.Float64)

    def as_bool(self, t: _Typed, node: Node) -> pl.Expr:
        if t.kind == "bool":
            assert t.expr is not None
            return t.expr
        if t.kind == "scalar":
            return pl.lit(bool(t.value))
        return (self.clean(t, node) != 0).fill_null(False)

    def kernel_input(self, t: _Typed, node: Node) -> pl.Expr:
        """The argument of a rolling kernel as Float64, NaN left as is (kernels read NaN and null
        alike as missing, so cleaning it first would only cost two passes). A number is the
        constant column (a literal alone is one row long, which a kernel must never be given)."""
        if t.field in self.ctx.field_columns:
            return pl.col(self.ctx.field_columns[t.field][1])
        if t.kind == "scalar":
            assert isinstance(t.value, float)
            return pl.repeat(t.value, pl.len(), dtype=pl.Float64)
        return self.expr_of(t, node).cast(pl.Float64)

    # -- calls -----------------------------------------------------------------------------
    def call(self, node: Call) -> _Typed:
        op = node.op
        if op not in OPERATORS:
            raise self.error(f"unknown operator '{op}'", node, did_you_mean(op, operator_names()))
        spec, signature = OPERATORS[op]
        if len(node.args) != len(spec):
            raise self.error(
                f"{op} takes {len(spec)} argument{'s' if len(spec) != 1 else ''}, got {len(node.args)}",
                node,
                f": {signature}",
            )
        args: list[_Typed] = []
        params: list[float | str] = []
        for letter, arg in zip(spec, node.args, strict=True):
            if letter == "x":
                t = self.compile(arg)
                if t.kind == "str":
                    raise self.error(f"argument of {op} must be numeric, got a string", arg, f": {signature}")
                args.append(t)
            elif letter in "NRE":
                params.append(self.window(op, letter, arg, signature))
            elif letter == "q":
                if not isinstance(arg, Num) or not 0.0 <= arg.value <= 1.0:
                    raise self.error(f"q of {op} must be a number in [0, 1]", arg, f": {signature}")
                params.append(arg.value)
            elif letter == "s":
                if not isinstance(arg, Str):
                    raise self.error(f"{op} needs a quoted instrument name here", arg, f": {signature}")
                params.append(arg.value)
            elif letter == "g":
                if not isinstance(arg, Field):
                    raise self.error(f"{op} needs a $field naming the groups here", arg, f": {signature}")
                self.compile(arg)  # validates the name
                params.append(arg.name)
        builder = getattr(self, f"op_{op}", None)
        if builder is not None:
            return builder(node, args, params)  # type: ignore[no-any-return]
        raise AssertionError(op)  # pragma: no cover - every operator has a builder

    def window(self, op: str, letter: str, arg: Node, signature: str) -> float:
        if not isinstance(arg, Num):
            raise self.error(f"the window of {op} must be a number literal", arg, f": {signature}")
        v = arg.value
        if letter == "E":
            if v < 0:
                raise self.error(f"the span of {op} must be >= 0", arg, f": {signature}")
            return v
        if not arg.is_int:
            raise self.error(f"the window of {op} must be an integer, got {v:g}", arg, f": {signature}")
        if letter == "N" and v < 0:
            raise self.error(
                f"the window of {op} must be >= 0 (0 = expanding)", arg, f": {signature}"
            )
        lowest = _MIN_WINDOW.get(op)
        if lowest is not None and 0 < v < lowest:
            raise self.error(f"the window of {op} must be >= {lowest} (or 0)", arg, f": {signature}")
        return v


    # -- kinds -----------------------------------------------------------------------------
    @staticmethod
    def promote(*kinds: Kind) -> Kind:
        real = [k for k in kinds if k != "scalar"]
        if not real:
            return "scalar"
        if all(k in ("f32", "bool") for k in real) and "f32" in real:
            return "f32"
        return "f64"
    # -- per-date windows (cross-sectional operators, Mask) ---------------------------------
    def window_input(self, t: _Typed, node: Node, e: pl.Expr) -> tuple[pl.Expr, int]:
        """``e`` (the compiled ``t``), ready to be read inside a per-date window, and its stage.

        polars evaluates everything under ``.over("date")`` once per date, on that date's rows
        only, while a kernel's asset boundaries (``CompileContext.starts``) index the whole
        working frame: a kernel evaluated there would read and write far outside the few rows it
        is given. A window nested in another is evaluated inside the outer one's groups
        (``CSNeutralize(CSRank(x), $g)`` ranked within each (date, group), not each date). An
        argument that runs a kernel or holds a window is therefore computed first, on the whole
        column, into a temporary column that the window reads.
        """
        if not (t.heavy or t.windowed):
            return e, t.stage
        key = f"__window|{node}"
        hit = self.ctx.memo.get(key)
        if not isinstance(hit, tuple):
            name = f"__rdq_t{len(self.ctx.temps)}"
            self.ctx.temps[name] = (e.alias(name), t.stage + 1)
            hit = (name, t.stage + 1)
            self.ctx.memo[key] = hit
        return pl.col(hit[0]), hit[1]
