"""Cross-sectional operators of the compiler: per-date windows (``.over("date")``)."""

from __future__ import annotations

import polars as pl

from rdq.factors._compile_base import REAL, _CompilerBase, _denan, _Typed
from rdq.factors._parser import Call


class _CrossSectionalOps(_CompilerBase):
    """Builders of ``CSRank``, ``CSZScore``, ``CSDemean`` and ``CSNeutralize``."""

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
        # an infinite value makes its day's mean infinite: inf - inf is NaN (comparisons must see it as missing)
        inf = args[0].inf
        return _Typed(e - e.mean().over("date"), "f64", stage=stage, absorbed=absorbed, windowed=True, nan=inf, inf=inf)

    def op_CSNeutralize(self, node: Call, args: list[_Typed], params: list) -> _Typed:
        e, stage, absorbed = self.real(node, args)
        inf = args[0].inf
        return _Typed(e - e.mean().over(["date", str(params[0])]), "f64", stage=stage, absorbed=absorbed,
                      windowed=True, nan=inf, inf=inf)
