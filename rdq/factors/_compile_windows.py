"""Rolling (per-asset, time-series) operators of the compiler: numba kernels over the whole column.

A kernel runs once on the whole working column with the asset boundaries (``CompileContext.starts``);
operators used with several windows or quantiles of one input are computed together in one kernel
pass (a *batch*, see :func:`batch_groups`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from rdq.factors import _kernels as K
from rdq.factors._compile_base import Kind, _as_nan_array, _check_rows, _CompilerBase, _Typed
from rdq.factors._parser import Call, Node, Num


class _RollingOps(_CompilerBase):
    """Builders of the rolling operators (``Ref``, ``Mean``, ..., ``Corr``, ``EMA``)."""

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



def implied_calls(node: Call) -> list[Call]:
    """Sub-expressions an operator computes besides its arguments (qlib's near-constant masks)."""
    if node.op == "Rsquare" and len(node.args) == 2:
        return [Call(node.pos, "Std", (node.args[0], node.args[1]))]
    if node.op == "Corr" and len(node.args) == 3:
        return [Call(node.pos, "Std", (node.args[0], node.args[2])), Call(node.pos, "Std", (node.args[1], node.args[2]))]
    return []

