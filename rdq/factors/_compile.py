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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from rdq.errors import ExpressionError, did_you_mean
from rdq.factors import _kernels as K
from rdq.factors._parser import Call, Field, Name, Node, Num, Str, parse

__all__ = [
    "Precision",
    "CompileContext",
    "compile_expr",
    "OPERATORS",
    "operator_names",
    "negative_refs",
    "batch_groups",
]

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


def _np_extreme(fn: Callable[[np.ndarray, np.ndarray], np.ndarray], kind: Kind) -> Callable[[Sequence[pl.Series]], pl.Series]:
    dtype = pl.Float32 if kind == "f32" else pl.Float64

    def run(series: Sequence[pl.Series]) -> pl.Series:
        a, b = (s.cast(dtype).fill_null(np.nan).to_numpy() for s in series)
        out = pl.Series("v", fn(a, b), dtype=dtype)
        return out.fill_nan(None)

    return run


def _np_f32(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[pl.Series], pl.Series]:
    def run(s: pl.Series) -> pl.Series:
        with np.errstate(all="ignore"):
            out = fn(s.cast(pl.Float32).fill_null(np.nan).to_numpy())
        return pl.Series(s.name, out, dtype=pl.Float32)

    return run


def _np_f32_pair(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[[Sequence[pl.Series]], pl.Series]:
    def run(series: Sequence[pl.Series]) -> pl.Series:
        a, b = (s.cast(pl.Float32).fill_null(np.nan).to_numpy() for s in series)
        with np.errstate(all="ignore"):
            out = fn(a, b)
        return pl.Series("v", out, dtype=pl.Float32)

    return run


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


class _Compiler:
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

    # -- element-wise ----------------------------------------------------------------------
    @staticmethod
    def promote(*kinds: Kind) -> Kind:
        real = [k for k in kinds if k != "scalar"]
        if not real:
            return "scalar"
        if all(k in ("f32", "bool") for k in real) and "f32" in real:
            return "f32"
        return "f64"

    def pair(self, node: Call, args: list[_Typed]) -> tuple[pl.Expr, pl.Expr, Kind]:
        a, b = args
        kind = self.promote(a.kind, b.kind)
        ea = self.expr_of(a, node.args[0], kind)
        eb = self.expr_of(b, node.args[1], kind)
        if kind == "f32":
            ea, eb = ea.cast(pl.Float32), eb.cast(pl.Float32)
        else:
            ea = self.as_f64(a, node.args[0]) if a.field else ea.cast(pl.Float64)
            eb = self.as_f64(b, node.args[1]) if b.field else eb.cast(pl.Float64)
        return ea, eb, kind

    def arith(self, node: Call, args: list[_Typed], fn: Callable[[pl.Expr, pl.Expr], pl.Expr],
              scalar: Callable[[float, float], float], rule: str = "add") -> _Typed:
        a, b = args
        if a.kind == "scalar" and b.kind == "scalar":
            assert isinstance(a.value, float) and isinstance(b.value, float)
            with np.errstate(all="ignore"):
                return _Typed(None, "scalar", float(scalar(np.float64(a.value), np.float64(b.value))))
        ea, eb, kind = self.pair(node, args)
        (an, ai), (bn, bi) = _scalar_flags(a), _scalar_flags(b)
        if rule == "add":
            nan, inf = an or bn or (ai and bi), ai or bi
        elif rule == "mul":
            nan, inf = an or bn or ai or bi, ai or bi
        elif rule == "div" and b.kind == "scalar" and b.value not in (0.0,) and not (bn or bi):
            nan, inf = an or ai, ai
        elif rule == "keep":
            nan, inf = False, ai or bi
        else:
            nan, inf = True, True
        return _Typed(fn(ea, eb), kind, nan=nan, inf=inf)

    def op_Add(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.arith(node, args, lambda a, b: a + b, lambda a, b: a + b)

    def op_Sub(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.arith(node, args, lambda a, b: a - b, lambda a, b: a - b)

    def op_Mul(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.arith(node, args, lambda a, b: a * b, lambda a, b: a * b, "mul")

    def op_Div(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.arith(node, args, lambda a, b: a / b, lambda a, b: a / b, "div")

    def op_Power(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        if self.ctx.precision == "qlib" and "f32" in (args[0].kind, args[1].kind):
            fn = _np_f32_pair(np.power)
            return self.arith(
                node, args, lambda a, b: pl.map_batches([a, b], fn, return_dtype=pl.Float32), np.power, "pow"
            )
        # x ** 0 and 1 ** y are 1 even for a missing x / y (numpy's NaN ** 0, as in qlib); polars'
        # null ** 0 is null
        return self.arith(
            node, args, lambda a, b: pl.when((b == 0) | (a == 1)).then(1.0).otherwise(a.pow(b)),
            lambda a, b: np.power(a, b), "pow",
        )

    def extreme(self, node: Call, args: list[_Typed], fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> _Typed:
        # np.maximum / np.minimum: a missing value on either side gives a missing value
        kind = self.promote(args[0].kind, args[1].kind)
        dtype = pl.Float32 if kind == "f32" else pl.Float64
        run = _np_extreme(fn, kind)
        return self.arith(
            node, args, lambda a, b: pl.map_batches([a, b], run, return_dtype=dtype), fn, "keep"  # type: ignore[arg-type]
        )

    def op_Greater(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.extreme(node, args, np.maximum)

    def op_Less(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.extreme(node, args, np.minimum)

    def compare(self, node: Call, args: list[_Typed], fn: Callable[[pl.Expr, pl.Expr], pl.Expr],
                missing: bool) -> _Typed:
        a, b = args
        if a.kind == "scalar" and b.kind == "scalar":
            r = fn(pl.lit(a.value), pl.lit(b.value))
            return _Typed(r.cast(pl.Boolean), "bool")
        kind: Kind = self.promote(a.kind, b.kind)
        ea = self.clean(a, node.args[0], kind)
        eb = self.clean(b, node.args[1], kind)
        return _Typed(fn(ea, eb).fill_null(missing), "bool")

    def op_Gt(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.compare(node, args, lambda a, b: a > b, False)

    def op_Ge(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.compare(node, args, lambda a, b: a >= b, False)

    def op_Lt(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.compare(node, args, lambda a, b: a < b, False)

    def op_Le(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.compare(node, args, lambda a, b: a <= b, False)

    def op_Eq(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.compare(node, args, lambda a, b: a == b, False)

    def op_Ne(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.compare(node, args, lambda a, b: a != b, True)

    def op_And(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return _Typed(self.as_bool(args[0], node.args[0]) & self.as_bool(args[1], node.args[1]), "bool")

    def op_Or(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return _Typed(self.as_bool(args[0], node.args[0]) | self.as_bool(args[1], node.args[1]), "bool")

    def op_Not(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return _Typed(~self.as_bool(args[0], node.args[0]), "bool")

    def unary(self, node: Call, args: list[_Typed], fn: Callable[[pl.Expr], pl.Expr],
              scalar: Callable[[float], float], kind: Kind | None = None, rule: str = "keep") -> _Typed:
        (a,) = args
        if a.kind == "scalar":
            assert isinstance(a.value, float)
            with np.errstate(all="ignore"):
                return _Typed(None, "scalar", float(scalar(np.float64(a.value))))
        k: Kind = kind or ("f32" if a.kind == "f32" else "f64")
        e = self.expr_of(a, node.args[0]).cast(pl.Float32 if k == "f32" else pl.Float64)
        if rule == "keep":
            nan, inf = a.nan, a.inf
        elif rule == "sign":
            nan, inf = a.nan, False
        else:
            nan, inf = True, True
        return _Typed(fn(e), k, nan=nan, inf=inf)

    def op_Abs(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.unary(node, args, lambda e: e.abs(), np.abs)

    def op_Sign(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        # qlib casts to float32 before np.sign
        kind: Kind = "f32" if self.ctx.precision == "qlib" else "f64"
        return self.unary(node, args, lambda e: e.sign(), np.sign, kind, "sign")

    def op_Log(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        if self.ctx.precision == "qlib" and args[0].kind == "f32":
            # numpy's float32 log is not always correctly rounded; use it to round like qlib
            return self.unary(
                node, args, lambda e: e.map_batches(_np_f32(np.log)), np.log, None, "log"
            )
        return self.unary(node, args, lambda e: e.log(), np.log, None, "log")

    def op_Neg(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        return self.unary(node, args, lambda e: -e, lambda v: -v)

    def op_If(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        c, a, b = args
        if c.kind == "bool":
            cond = self.as_bool(c, node.args[0])
        elif c.kind == "scalar":
            cond = pl.lit(bool(c.value))
        else:  # np.where on a float array: NaN is truthy
            ec = self.expr_of(c, node.args[0])
            cond = ec.is_null() | (ec != 0)
        kind = self.promote(a.kind, b.kind)
        if kind == "scalar":
            kind = "f64"
        ea = self.expr_of(a, node.args[1], kind)
        eb = self.expr_of(b, node.args[2], kind)
        dtype = pl.Float32 if kind == "f32" else pl.Float64
        (an, ai), (bn, bi) = _scalar_flags(a), _scalar_flags(b)
        return _Typed(pl.when(cond).then(ea.cast(dtype)).otherwise(eb.cast(dtype)), kind, nan=an or bn, inf=ai or bi)

    def op_Mask(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        (a,) = args
        (instrument,) = params
        e, stage = self.window_input(a, node.args[0], self.expr_of(a, node.args[0]))
        pick = pl.col("asset").str.to_uppercase() == str(instrument).upper()
        out = e.filter(pick & pl.col(REAL)).first().over("date")
        kind: Kind = a.kind if a.kind != "scalar" else "f64"
        return _Typed(out, kind, nan=a.nan, inf=a.inf, stage=stage, absorbed=a.heavy or a.windowed, windowed=True)

    # -- rolling ---------------------------------------------------------------------------
    def win(self, n: float) -> int:
        return int(n) if n > 0 else self.ctx.max_len

    def kernel(self, e: pl.Expr, fn: Callable[..., np.ndarray], *params: object, raw: bool = False) -> pl.Expr:
        """Apply a numba kernel to the whole column. Unless ``raw``, +-inf counts as missing, as in
        pandas' rolling windows (``_prep_values``); qlib's cython kernels and shifts see inf (``raw``)."""
        starts = self.ctx.starts

        def run(s: pl.Series) -> pl.Series:
            x = _check_rows(_as_nan_array(s, raw), starts)
            return pl.Series(s.name, fn(x, starts, *params))

        return e.cast(pl.Float64).map_batches(run, return_dtype=pl.Float64)

    def kernel2(self, a: pl.Expr, b: pl.Expr, fn: Callable[..., np.ndarray], *params: object) -> pl.Expr:
        starts = self.ctx.starts

        def run(series: Sequence[pl.Series]) -> pl.Series:
            x = _check_rows(_as_nan_array(series[0], False), starts)
            y = _check_rows(_as_nan_array(series[1], False), starts)
            return pl.Series("v", fn(x, y, starts, *params))

        return pl.map_batches([a.cast(pl.Float64), b.cast(pl.Float64)], run, return_dtype=pl.Float64)

    def series(self, args: list[_Typed], node: Call) -> pl.Expr:
        if args[0].kind == "scalar":
            return self.kernel_input(args[0], node.args[0])
        return self.expr_of(args[0], node.args[0])

    def op_Ref(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        (n,) = params
        e = self.kernel_input(args[0], node.args[0])
        kind: Kind = args[0].kind if args[0].kind in ("f32", "f64", "bool") else "f64"
        a = args[0]
        out = self.kernel(e, K.shift, int(n), raw=True)
        if kind == "f32":
            out = out.cast(pl.Float32)  # exact: the values came from float32
        return _Typed(out, kind if kind != "bool" else "f64", nan=True, inf=a.inf)

    def op_Delta(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        (n,) = params
        k: Kind = "f32" if args[0].kind == "f32" else "f64"
        e = self.series(args, node).cast(pl.Float32 if k == "f32" else pl.Float64)
        prev = self.kernel(e, K.shift, int(n), raw=True).cast(pl.Float32 if k == "f32" else pl.Float64)
        return _Typed(e - prev, k, nan=True, inf=args[0].inf)

    def op_Mean(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        n = int(params[0])
        grouped = self.batched(node, args, f"Mean|{node.args[0]}", n, K.rolling_sums)
        return grouped or self.kern(node, args, K.rolling_sum, n, True)

    def op_Sum(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        n = int(params[0])
        grouped = self.batched(node, args, f"Sum|{node.args[0]}", n, K.rolling_sums)
        return grouped or self.kern(node, args, K.rolling_sum, n, False)

    def op_Max(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_extreme, int(params[0]), True)

    def op_Min(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_extreme, int(params[0]), False)

    def kern(self, node: Call, args: list[_Typed], fn: Callable[..., np.ndarray], *params: object,
             raw: bool = False) -> _Typed:
        out = self.kernel(self.kernel_input(args[0], node.args[0]), fn, *params, raw=raw)
        return _Typed(out, "f64", nan=True, inf=raw and args[0].inf)

    def op_Count(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_count, int(params[0]), raw=True)  # pandas counts inf

    def op_Std(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        n = int(params[0])
        grouped = self.batched(node, args, f"Std|{node.args[0]}", n, K.rolling_stds)
        return grouped or self.kern(node, args, K.rolling_std, n, 1, False)

    def op_Var(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        n = int(params[0])
        grouped = self.batched(node, args, f"Var|{node.args[0]}", n, K.rolling_stds)
        return grouped or self.kern(node, args, K.rolling_std, n, 1, True)

    def op_Skew(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_skew, int(params[0]))

    def op_Kurt(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_kurt, int(params[0]))

    def op_IdxMax(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_idx, int(params[0]), True)

    def op_IdxMin(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_idx, int(params[0]), False)

    def op_Quantile(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        n, q = int(params[0]), float(params[1])
        grouped = self.batched(node, args, f"Quantile|{node.args[0]}|{n}", q, K.rolling_sorted_quantiles, n)
        return grouped or self.kern(node, args, K.rolling_sorted_quantile, n, q, False)

    def batched(self, node: Call, args: list[_Typed], key: str, value: float,
                fn: Callable[..., np.ndarray], *params: int) -> _Typed | None:
        """The operator as one field of a batch (see :func:`batch_groups`), or None when unbatched.

        The batch is a struct temporary column (fields ``v0``...) computed by one kernel pass
        ``fn(x, starts, *params, values, *_BATCH_TAIL[op])`` returning ``(k, n_rows)``.
        """
        values = self.ctx.batches.get(key)
        if values is None or value not in values:
            return None
        hit = self.ctx.memo.get(f"__batch|{key}")
        if not isinstance(hit, tuple):
            name = f"__rdq_t{len(self.ctx.temps)}"
            stage = self.stage_of(node.args[0]) + 1
            op = key.split("|", 1)[0]
            udf = _batch_udf(fn, self.ctx.starts, params, np.array(values, dtype=_BATCH_DTYPE[op]), _BATCH_TAIL[op])
            expr = self.kernel_input(args[0], node.args[0]).map_batches(udf, return_dtype=_batch_dtype(len(values)))
            self.ctx.temps[name] = (expr.alias(name), stage)
            hit = (name, stage)
            self.ctx.memo[f"__batch|{key}"] = hit
        name, stage = hit
        return _Typed(pl.col(name).struct.field(f"v{values.index(value)}"), "f64", nan=True, stage=stage, absorbed=True)

    def op_Med(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_sorted_quantile, int(params[0]), 0.5, True)

    def op_Mad(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_mad, int(params[0]))

    def op_Rank(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_rank, int(params[0]))

    def op_Slope(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_slope, int(params[0]), raw=True)

    def op_Resi(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_resi, int(params[0]), raw=True)

    def op_WMA(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        return self.kern(node, args, K.rolling_wma, int(params[0]))

    def near_constant(self, node: Node, n: int) -> tuple[pl.Expr, int]:
        """qlib's ``np.isclose(x.rolling(N, min_periods=1).std(), 0, atol=2e-05)`` and the stage of
        the columns it reads: compiled as the node ``Std(x, N)`` so that it is shared with an
        explicit ``Std(x, N)`` elsewhere (it may then be a temporary column or a batch field, which
        the caller's own temporary column must come after)."""
        std = self.compile(Call(node.pos, "Std", (node, Num(node.pos, float(n), True))))
        assert std.expr is not None
        return (std.expr.abs() <= 2e-5).fill_null(False), std.stage

    def op_Rsquare(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        n = int(params[0])
        e = self.kernel_input(args[0], node.args[0])
        out = self.kernel(e, K.rolling_rsquare, n, raw=True)
        stage = 0
        if n > 0:
            flat, stage = self.near_constant(node.args[0], n)
            out = pl.when(flat).then(None).otherwise(out)
        return _Typed(out, "f64", nan=True, stage=stage)

    def op_EMA(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        n = float(params[0])
        e = self.kernel_input(args[0], node.args[0])
        if n == 0:
            return _Typed(self.kernel(e, K.expanding_ema), "f64", nan=True)
        alpha = n if 0 < n < 1 else 2.0 / (n + 1.0)
        return _Typed(self.kernel(e, K.ewm_mean, alpha), "f64", nan=True)

    def op_Corr(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        n = int(params[0])
        a = self.kernel_input(args[0], node.args[0])
        b = self.kernel_input(args[1], node.args[1])
        out = self.kernel2(a, b, K.rolling_corr, self.win(n) if n == 0 else n)
        stage = 0
        if n > 0:
            (flat_a, stage_a), (flat_b, stage_b) = self.near_constant(node.args[0], n), self.near_constant(node.args[1], n)
            out = pl.when(flat_a | flat_b).then(None).otherwise(out)
            stage = max(stage_a, stage_b)
        return _Typed(out, "f64", nan=True, stage=stage)

    def op_Cov(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        n = int(params[0])
        a = self.kernel_input(args[0], node.args[0])
        b = self.kernel_input(args[1], node.args[1])
        return _Typed(self.kernel2(a, b, K.rolling_cov, n), "f64", nan=True)

    # -- cross-sectional -------------------------------------------------------------------
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

    def real(self, node: Call, args: list[_Typed]) -> tuple[pl.Expr, int, bool]:
        """The argument of a cross-sectional operator on the panel's own rows (null on inserted
        calendar gaps), the stage it reads, and whether a kernel moved into a temporary column."""
        e, stage = self.window_input(args[0], node.args[0], self.as_f64(args[0], node.args[0]))
        return pl.when(pl.col(REAL)).then(e), stage, args[0].heavy or args[0].windowed

    def op_CSRank(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        e, stage, absorbed = self.real(node, args)
        return _Typed(e.rank("average").over("date") / e.count().over("date"), "f64", stage=stage, absorbed=absorbed, windowed=True)

    def op_CSZScore(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        e, stage, absorbed = self.real(node, args)
        out = (e - e.mean().over("date")) / e.std(ddof=1).over("date")
        return _Typed(_denan(out, "f64"), "f64", stage=stage, absorbed=absorbed, windowed=True)

    def op_CSDemean(self, node: Call, args: list[_Typed], _: list) -> _Typed:
        e, stage, absorbed = self.real(node, args)
        return _Typed(e - e.mean().over("date"), "f64", stage=stage, absorbed=absorbed, windowed=True)

    def op_CSNeutralize(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        e, stage, absorbed = self.real(node, args)
        return _Typed(e - e.mean().over(["date", str(params[0])]), "f64", stage=stage, absorbed=absorbed, windowed=True)


#: batched operator -> the kernel's arguments after the batch's values
_BATCH_TAIL: dict[str, tuple[object, ...]] = {
    "Quantile": (False,),  # rolling_sorted_quantiles(x, starts, N, qs, median=False)
    "Sum": (False,),  # rolling_sums(x, starts, windows, mean=False)
    "Mean": (True,),
    "Std": (1, False),  # rolling_stds(x, starts, windows, ddof=1, squared=False)
    "Var": (1, True),
}
_BATCH_DTYPE = {"Quantile": np.float64, "Sum": np.int64, "Mean": np.int64, "Std": np.int64, "Var": np.int64}


def _batch_dtype(k: int) -> pl.Struct:
    return pl.Struct({f"v{i}": pl.Float64 for i in range(k)})


def _batch_udf(fn: Callable[..., np.ndarray], starts: np.ndarray, head: tuple[object, ...],
               values: np.ndarray, tail: tuple[object, ...]) -> Callable[[pl.Series], pl.Series]:
    def run(s: pl.Series) -> pl.Series:
        out = fn(_check_rows(_as_nan_array(s, False), starts), starts, *head, values, *tail)
        fields = [pl.Series(f"v{i}", out[i]) for i in range(len(values))]
        return pl.DataFrame(fields).to_struct(s.name)

    return run


def batch_groups(nodes: Sequence[Node]) -> dict[str, tuple[float, ...]]:
    """Operators computed together in one kernel pass, when an input is used with several parameters.

    Keys and values: ``"Quantile|<x>|<N>"`` -> the distinct ``q`` of ``Quantile(x, N, q)``;
    ``"Sum|<x>"``, ``"Mean|<x>"``, ``"Std|<x>"``, ``"Var|<x>"`` -> the distinct windows ``N``
    (e.g. Alpha158's ``Mean($close, 5)`` ... ``Mean($close, 60)``). Only groups of two or more are
    kept. Qlib's implied near-constant ``Std`` of ``Corr``/``Rsquare`` counts too.
    """
    found: dict[str, set[float]] = {}

    def walk(node: Node) -> None:
        if not isinstance(node, Call):
            return
        if len(node.args) >= 2 and isinstance(node.args[1], Num) and node.args[1].is_int and node.args[1].value >= 0:
            n = node.args[1].value
            if node.op == "Quantile" and len(node.args) == 3 and n > 0 and isinstance(node.args[2], Num):
                found.setdefault(f"Quantile|{node.args[0]}|{int(n)}", set()).add(float(node.args[2].value))
            elif node.op in ("Sum", "Mean", "Std", "Var") and len(node.args) == 2:
                found.setdefault(f"{node.op}|{node.args[0]}", set()).add(float(n))
        for a in (*node.args, *implied_calls(node)):
            walk(a)

    for node in nodes:
        walk(node)
    return {k: tuple(sorted(v)) for k, v in found.items() if len(v) > 1}


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


def implied_calls(node: Call) -> list[Call]:
    """Sub-expressions an operator computes besides its arguments (qlib's near-constant masks)."""
    if node.op == "Rsquare" and len(node.args) == 2:
        return [Call(node.pos, "Std", (node.args[0], node.args[1]))]
    if node.op == "Corr" and len(node.args) == 3:
        return [Call(node.pos, "Std", (node.args[0], node.args[2])), Call(node.pos, "Std", (node.args[1], node.args[2]))]
    return []


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
