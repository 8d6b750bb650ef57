"""Element-wise operators of the compiler: arithmetic, comparisons, logic, ``If``, ``Mask``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from rdq.factors._compile_base import REAL, Kind, _CompilerBase, _scalar_flags, _Typed
from rdq.factors._parser import Call


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


class _ElementwiseOps(_CompilerBase):
    """Builders of the element-wise operators (and ``Mask``, which reads one asset per date)."""

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
            if any(isinstance(v, float) and v != v for v in (a.value, b.value)):  # NaN: missing, as numpy
                return _Typed(pl.lit(missing), "bool")
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
