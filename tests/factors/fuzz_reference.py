"""A slow, obviously-correct evaluator of factor expressions, for the property test (``test_fuzz.py``).

It shares no code with ``rdq.factors``: expressions are generated as :class:`G` trees, rendered to
text for the engine and evaluated here directly, one asset (time series) or one date (cross
section) at a time with plain numpy loops over each window. Semantics are qlib's (pandas
``rolling(N, min_periods=1)``, ``N == 0`` expanding) as ``rdq.factors`` documents them:

- time-series operators work on each asset's rows from its first to its last date on the panel's
  calendar; a calendar day the asset lacks inside that range is a missing value (qlib's series);
- NaN is skipped inside windows; ``+-inf`` counts as missing too (pandas' rolling), except for
  ``Ref``, ``Delta``, ``Count`` and ``Slope``/``Rsquare``/``Resi`` (qlib's cython), which see it;
- cross-sectional operators rank / standardise the panel's own rows of each date;
- comparisons with a missing value are False (``!=`` True); ``And``/``Or``/``Not`` read a missing
  value as False; ``If`` on a number treats a missing value as true (``np.where``).

Where floating-point rounding can legitimately flip a discrete outcome (a comparison of two
nearly equal computed values, a tie in a rank, a window that is flat up to rounding, qlib's
``Std <= 2e-5`` masks, running sums poisoned by an infinity), the value is marked *unknown* and
everything computed from it too; the test compares every other value. Each value also carries
``mag``, the size of the numbers it was computed from (how far rounding can move it: ``x - y`` of
two values near 1e6 may be off by 1e-10 where the result is 1e-12), which sets the tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["G", "Reference", "BINARY_INFIX"]

#: binary operators with an infix spelling
BINARY_INFIX = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Gt": ">", "Ge": ">=", "Lt": "<", "Le": "<=",
                "Eq": "==", "Ne": "!=", "And": "&", "Or": "|"}

_NEAR = 1e-9  # relative closeness below which two computed values may compare either way


@dataclass(frozen=True)
class G:
    """A generated expression: ``op`` is ``"$"`` (field ``value``), ``"#"`` (number ``value``),
    or an operator with expression ``args`` and literal ``params`` (window, q, name, $group)."""

    op: str
    args: tuple[G, ...] = ()
    value: float | str | None = None
    params: tuple[float | str, ...] = ()
    infix: bool = False

    def text(self) -> str:
        if self.op == "$":
            return f"${self.value}"
        if self.op == "#":
            v = float(self.value)  # type: ignore[arg-type]
            s = str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
            return f"({s})" if v < 0 else s
        if self.op == "Neg":
            return f"(-{self.args[0].text()})"
        if self.infix and self.op in BINARY_INFIX:
            return f"({self.args[0].text()} {BINARY_INFIX[self.op]} {self.args[1].text()})"
        parts = [a.text() for a in self.args]
        for p in self.params:
            if isinstance(p, str):
                parts.append(p if p.startswith("$") else repr(p))
            else:
                parts.append(str(int(p)) if float(p).is_integer() else repr(float(p)))
        return f"{self.op}({', '.join(parts)})"


@dataclass
class _V:
    """A value: ``v`` over the working rows (or ``scalar``), its kind, exactness and unknown mask.

    ``exact``: computed by correctly rounded steps only (fields, numbers, + - * /, shifts,
    comparisons, max/min, counts), so the engine gets the same bits; otherwise only close.
    """

    v: np.ndarray | None
    kind: str  # "num", "bool", "scalar"
    unk: np.ndarray
    exact: bool = False
    scalar: float = math.nan
    mag: np.ndarray | float = field(default=1.0)


class Reference:
    """Evaluate :class:`G` trees on a panel (pandas frame ``date, asset, <fields>``, any order)."""

    def __init__(self, panel: pd.DataFrame, fields: list[str]) -> None:
        p = panel.sort_values(["asset", "date"], kind="stable").reset_index(drop=True)
        self.panel = p
        cal = np.array(sorted(p["date"].unique()))
        self.cal = cal
        rows_asset: list[str] = []
        rows_day: list[int] = []
        rows_src: list[int] = []
        self.segments: list[tuple[int, int]] = []
        for asset, grp in p.groupby("asset", sort=True):
            days = np.searchsorted(cal, grp["date"].to_numpy())
            lo, hi = int(days.min()), int(days.max())
            start = len(rows_asset)
            where = {int(d): int(i) for d, i in zip(days, grp.index, strict=True)}
            for d in range(lo, hi + 1):
                rows_asset.append(str(asset))
                rows_day.append(d)
                rows_src.append(where.get(d, -1))
            self.segments.append((start, len(rows_asset)))
        self.asset = np.array(rows_asset, dtype=object)
        self.day = np.array(rows_day, dtype=np.int64)
        self.src = np.array(rows_src, dtype=np.int64)
        self.real = self.src >= 0
        self.n = len(rows_asset)
        self.fields: dict[str, np.ndarray] = {}
        for f in fields:
            col = np.full(self.n, np.nan)
            col[self.real] = p[f].to_numpy(dtype=float)[self.src[self.real]]
            self.fields[f] = col
        self.dates_rows = [np.flatnonzero(self.real & (self.day == d)) for d in range(len(cal))]

    # -- entry point -------------------------------------------------------------------------
    def evaluate(self, g: G) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Values, unknown mask and magnitudes on the panel's own rows, in the panel's row order."""
        r = self.ev(g)
        v = self.arr(r)
        mag = self.magv(r)
        order = self.src[self.real]
        out = np.empty(len(order))
        unk = np.empty(len(order), dtype=bool)
        mags = np.empty(len(order))
        out[order] = v[self.real]
        unk[order] = r.unk[self.real]
        mags[order] = mag[self.real]
        return out, unk, mags

    # -- helpers -----------------------------------------------------------------------------
    def arr(self, r: _V) -> np.ndarray:
        if r.kind == "scalar":
            return np.full(self.n, r.scalar)
        assert r.v is not None
        return r.v.astype(float)

    def none(self) -> np.ndarray:
        return np.zeros(self.n, dtype=bool)

    def magv(self, r: _V) -> np.ndarray:
        m = np.broadcast_to(np.asarray(r.mag, dtype=float), (self.n,))
        return np.where(np.isnan(m), np.inf, m)

    def ev(self, g: G) -> _V:
        if g.op == "$":
            x = self.fields[str(g.value)].copy()
            return _V(x, "num", self.none(), exact=True, mag=np.where(np.isfinite(x), np.abs(x), 0.0))
        if g.op == "#":
            v = float(g.value)  # type: ignore[arg-type]
            return _V(None, "scalar", self.none(), exact=True, scalar=v, mag=abs(v))
        args = [self.ev(a) for a in g.args]
        return getattr(self, f"op_{g.op}")(g, args)

    # -- element-wise ------------------------------------------------------------------------
    def _elementwise(self, args: list[_V], fn: Any, kind: str = "num", exact: bool | None = None,
                     mag: Any = None) -> _V:
        """``fn`` on the values; ``mag(values, mags, result)`` (default: the largest input magnitude)."""
        with np.errstate(all="ignore"):
            if all(a.kind == "scalar" for a in args):
                val = float(fn(*[np.float64(a.scalar) for a in args]))
                return _V(None, "scalar", self.none(), exact=all(a.exact for a in args), scalar=val,
                          mag=max([abs(val) if math.isfinite(val) else 0.0, *[float(a.mag) for a in args]]))
            vals = [self.arr(a) for a in args]
            out = np.asarray(fn(*vals), dtype=float)
            mags = [self.magv(a) for a in args]
            m = np.maximum.reduce(mags) if mag is None else mag(vals, mags, out)
            m = np.maximum(m, np.where(np.isfinite(out), np.abs(out), 0.0))
        unk = np.logical_or.reduce([a.unk for a in args])
        ex = all(a.exact for a in args) if exact is None else exact
        return _V(out, kind, unk, exact=ex, mag=m)

    def op_Add(self, g: G, a: list[_V]) -> _V:
        return self._elementwise(a, lambda x, y: x + y)

    def op_Sub(self, g: G, a: list[_V]) -> _V:
        return self._elementwise(a, lambda x, y: x - y)

    def op_Mul(self, g: G, a: list[_V]) -> _V:
        return self._elementwise(a, lambda x, y: x * y, mag=lambda v, m, out: m[0] * np.abs(v[1]) + m[1] * np.abs(v[0]))

    def op_Div(self, g: G, a: list[_V]) -> _V:
        r = self._elementwise(a, lambda x, y: x / y,
                              mag=lambda v, m, out: (m[0] + np.abs(out) * m[1]) / np.abs(v[1]))
        if not a[1].exact and r.kind != "scalar":
            # a computed denominator that is zero up to rounding: inf or a huge number
            d = self.arr(a[1])
            scale = np.nanmax(np.abs(d[np.isfinite(d)]), initial=1.0)
            r.unk = r.unk | (np.abs(d) <= 1e-7 * max(1.0, scale))
        return r

    def op_Power(self, g: G, a: list[_V]) -> _V:
        r = self._elementwise(a, lambda x, y: np.power(x, y), exact=False,
                              mag=lambda v, m, out: np.abs(out) * (1.0 + np.abs(v[1]) * m[0] / np.abs(v[0])
                                                                   + np.abs(np.log(np.abs(v[0]))) * m[1]))
        if r.kind != "scalar":
            base, ex = self.arr(a[0]), self.arr(a[1])
            # pow of a base near 0 by a negative exponent, or huge results: rounding explodes
            r.unk = r.unk | ((np.abs(base) < 1e-6) & (ex < 0)) | (np.abs(r.v) > 1e200)  # type: ignore[arg-type]
            if not a[0].exact:  # a computed base that is 0 or negative up to rounding
                r.unk = r.unk | (np.abs(base) <= 1e-9)
        return r

    def op_Greater(self, g: G, a: list[_V]) -> _V:
        return self._elementwise(a, np.maximum)

    def op_Less(self, g: G, a: list[_V]) -> _V:
        return self._elementwise(a, np.minimum)

    def op_Abs(self, g: G, a: list[_V]) -> _V:
        return self._elementwise(a, np.abs)

    def op_Neg(self, g: G, a: list[_V]) -> _V:
        return self._elementwise(a, lambda x: -x)

    def op_Sign(self, g: G, a: list[_V]) -> _V:
        r = self._elementwise(a, np.sign, mag=lambda v, m, out: np.ones_like(out))
        if r.kind != "scalar" and not a[0].exact:
            x = self.arr(a[0])
            r.unk = r.unk | (np.abs(x) <= 1e-9)
        return r

    def op_Log(self, g: G, a: list[_V]) -> _V:
        r = self._elementwise(a, np.log, exact=False, mag=lambda v, m, out: 1.0 + m[0] / np.abs(v[0]))
        if r.kind != "scalar" and not a[0].exact:
            x = self.arr(a[0])
            r.unk = r.unk | (np.abs(x) <= 1e-9)
        return r

    def _compare(self, g: G, a: list[_V], fn) -> _V:
        r = self._elementwise(a, fn, kind="bool", mag=lambda v, m, out: np.ones_like(out))
        if r.kind == "scalar":
            return r
        x, y = self.arr(a[0]), self.arr(a[1])
        r.v = np.where(np.isnan(x) | np.isnan(y), fn(np.float64(np.nan), np.float64(np.nan)), fn(x, y)).astype(float)
        if not (a[0].exact and a[1].exact) and g.args[0] != g.args[1]:
            with np.errstate(all="ignore"):
                close = np.abs(x - y) <= _NEAR * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))
                close |= np.isinf(x) & (x == y)
            r.unk = r.unk | close
        r.exact = True
        return r

    def op_Gt(self, g: G, a: list[_V]) -> _V:
        return self._compare(g, a, lambda x, y: x > y)

    def op_Ge(self, g: G, a: list[_V]) -> _V:
        return self._compare(g, a, lambda x, y: x >= y)

    def op_Lt(self, g: G, a: list[_V]) -> _V:
        return self._compare(g, a, lambda x, y: x < y)

    def op_Le(self, g: G, a: list[_V]) -> _V:
        return self._compare(g, a, lambda x, y: x <= y)

    def op_Eq(self, g: G, a: list[_V]) -> _V:
        return self._compare(g, a, lambda x, y: x == y)

    def op_Ne(self, g: G, a: list[_V]) -> _V:
        return self._compare(g, a, lambda x, y: x != y)

    def truth(self, r: _V) -> tuple[np.ndarray, np.ndarray]:
        """A value read as a condition of And/Or/Not: nonzero and not missing; and where unsure."""
        x = self.arr(r)
        t = (x != 0) & ~np.isnan(x)
        unk = r.unk.copy()
        if not r.exact:
            unk |= np.abs(x) <= 1e-9
        return t, unk

    def op_And(self, g: G, a: list[_V]) -> _V:
        (t0, u0), (t1, u1) = self.truth(a[0]), self.truth(a[1])
        return _V((t0 & t1).astype(float), "bool", u0 | u1, exact=True)

    def op_Or(self, g: G, a: list[_V]) -> _V:
        (t0, u0), (t1, u1) = self.truth(a[0]), self.truth(a[1])
        return _V((t0 | t1).astype(float), "bool", u0 | u1, exact=True)

    def op_Not(self, g: G, a: list[_V]) -> _V:
        t, u = self.truth(a[0])
        return _V((~t).astype(float), "bool", u, exact=True)

    def op_If(self, g: G, a: list[_V]) -> _V:
        c, x, y = a
        if c.kind == "bool":
            cond, unk = self.truth(c)
        else:  # np.where on numbers: NaN is true
            cv = self.arr(c)
            cond = np.isnan(cv) | (cv != 0)
            unk = c.unk | ((np.abs(cv) <= 1e-9) if not c.exact else self.none())
        out = np.where(cond, self.arr(x), self.arr(y))
        unk = unk | np.where(cond, x.unk, y.unk)
        mag = np.where(cond, self.magv(x), self.magv(y))
        return _V(out, "num", unk, exact=c.exact and x.exact and y.exact, mag=mag)

    # -- time series ---------------------------------------------------------------------------
    def per_asset(self, r: _V, fn: Any, raw: bool = False, n: int = 1) -> _V:
        """``fn(x, i, lo)`` -> ``(value, unknown[, magnitude])`` for row ``i`` of one asset's values
        ``x`` (window ``x[lo:i+1]``; ``n <= 0``: expanding). ``self.M`` holds the window's largest
        input magnitude while ``fn`` runs (the default magnitude of the result)."""
        x_all = self.arr(r)
        m_all = self.magv(r)
        if not raw:
            x_all = np.where(np.isinf(x_all), np.nan, x_all)
        out = np.full(self.n, np.nan)
        unk = np.zeros(self.n, dtype=bool)
        mag = np.zeros(self.n)
        for s, e in self.segments:
            x = x_all[s:e]
            u = r.unk[s:e]
            for i in range(e - s):
                lo = 0 if n <= 0 else max(0, i - n + 1)
                self.M = float(np.max(m_all[s + lo : s + i + 1]))
                res = fn(x, i, lo)
                out[s + i] = res[0]
                unk[s + i] = res[1] or bool(u[lo : i + 1].any())
                mag[s + i] = res[2] if len(res) > 2 else self.M
        return _V(out, "num", unk, mag=mag)

    @staticmethod
    def _window(x: np.ndarray, i: int, lo: int) -> np.ndarray:
        w = x[lo : i + 1]
        return w[~np.isnan(w)]

    def op_Ref(self, g: G, a: list[_V]) -> _V:
        n = int(g.params[0])
        x_all, u_all, m_all = self.arr(a[0]), a[0].unk, self.magv(a[0])
        out = np.full(self.n, np.nan)
        unk = np.zeros(self.n, dtype=bool)
        mag = np.zeros(self.n)
        for s, e in self.segments:
            for i in range(s, e):
                j = s if n == 0 else i - n
                if s <= j < e:
                    out[i], unk[i], mag[i] = x_all[j], u_all[j], m_all[j]
        return _V(out, "num", unk, exact=a[0].exact, mag=mag)

    def op_Delta(self, g: G, a: list[_V]) -> _V:
        prev = self.op_Ref(g, a)
        x = self.arr(a[0])
        with np.errstate(all="ignore"):
            return _V(x - self.arr(prev), "num", a[0].unk | prev.unk, exact=a[0].exact,
                      mag=np.maximum(self.magv(a[0]), self.magv(prev)))

    def op_Mean(self, g: G, a: list[_V]) -> _V:
        return self.per_asset(a[0], lambda x, i, lo: (self._mean(self._window(x, i, lo)), False), n=int(g.params[0]))

    @staticmethod
    def _mean(w: np.ndarray) -> float:
        return float(np.mean(w)) if w.size else math.nan

    def op_Sum(self, g: G, a: list[_V]) -> _V:
        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            w = self._window(x, i, lo)
            return (float(np.sum(w)) if w.size else math.nan), False, self.M * max(1, w.size)

        return self.per_asset(a[0], fn, n=int(g.params[0]))

    def _std(self, r: _V, n: int, squared: bool) -> _V:
        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            w = self._window(x, i, lo)
            if w.size < 2:
                return math.nan, False
            if np.all(w == w[0]):
                return 0.0, False  # pandas: a flat window is exactly 0
            var = float(np.sum((w - w.mean()) ** 2) / (w.size - 1))
            m = max(1.0, float(np.max(np.abs(w))))
            # flat up to rounding: the engine may see identical values where we do not (or not)
            unsure = not r.exact and var <= (1e-7 * m) ** 2
            big = self.M * self.M * w.size
            return (var if squared else math.sqrt(var)), unsure, (big if squared else big / math.sqrt(var))

        return self.per_asset(r, fn, n=n)

    def op_Std(self, g: G, a: list[_V]) -> _V:
        return self._std(a[0], int(g.params[0]), False)

    def op_Var(self, g: G, a: list[_V]) -> _V:
        return self._std(a[0], int(g.params[0]), True)

    def _moment(self, r: _V, n: int, kurt: bool) -> _V:
        lowest = 4 if kurt else 3

        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            w = self._window(x, i, lo)
            c = w.size
            if c < lowest:
                return math.nan, False
            m = w.mean()
            d = w - m
            m2 = float(np.mean(d**2))
            limit = 1e-14 * max(1.0, m * m)  # the engine's (and pandas') flat-window cut-off
            if m2 <= limit * 10 ** (0 if r.exact else 8) and not np.all(w == w[0]):
                return math.nan, True
            if m2 <= limit:
                return math.nan, False
            if kurt:
                s2, s4 = float(np.sum(d**2)), float(np.sum(d**4))
                val = (c * (c + 1.0) * (c - 1.0) * s4 / (s2 * s2) - 3.0 * (c - 1.0) ** 2) / ((c - 2.0) * (c - 3.0))
            else:
                m3 = float(np.mean(d**3))
                val = math.sqrt(c * (c - 1.0)) / (c - 2.0) * m3 / m2**1.5
            return val, bool(m2 <= limit * 1e4), 10.0 * c * self.M * self.M / m2

        return self.per_asset(r, fn, n=n)

    def op_Skew(self, g: G, a: list[_V]) -> _V:
        return self._moment(a[0], int(g.params[0]), False)

    def op_Kurt(self, g: G, a: list[_V]) -> _V:
        return self._moment(a[0], int(g.params[0]), True)

    def _extreme(self, r: _V, n: int, big: bool) -> _V:
        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            w = self._window(x, i, lo)
            return (float(w.max() if big else w.min()) if w.size else math.nan), False

        out = self.per_asset(r, fn, n=n)
        out.exact = r.exact
        return out

    def op_Max(self, g: G, a: list[_V]) -> _V:
        return self._extreme(a[0], int(g.params[0]), True)

    def op_Min(self, g: G, a: list[_V]) -> _V:
        return self._extreme(a[0], int(g.params[0]), False)

    def _idx(self, r: _V, n: int, big: bool) -> _V:
        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            w = x[lo : i + 1]
            valid = ~np.isnan(w)
            if not valid.any():
                return math.nan, False
            if not valid.all():  # np.argmax of a window holding NaN: the first NaN
                return float(np.flatnonzero(~valid)[0] + 1), False
            k = int(np.argmax(w) if big else np.argmin(w))
            best = w[k]
            tie = np.abs(w - best) <= _NEAR * max(1.0, abs(best))
            return float(k + 1), (not r.exact and int(tie.sum()) > 1), 1.0

        out = self.per_asset(r, fn, n=n)
        out.exact = r.exact
        return out

    def op_IdxMax(self, g: G, a: list[_V]) -> _V:
        return self._idx(a[0], int(g.params[0]), True)

    def op_IdxMin(self, g: G, a: list[_V]) -> _V:
        return self._idx(a[0], int(g.params[0]), False)

    def op_Quantile(self, g: G, a: list[_V]) -> _V:
        n, q = int(g.params[0]), float(g.params[1])

        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            w = self._window(x, i, lo)
            return (float(np.quantile(w, q)) if w.size else math.nan), False

        return self.per_asset(a[0], fn, n=n)

    def op_Med(self, g: G, a: list[_V]) -> _V:
        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            w = self._window(x, i, lo)
            return (float(np.median(w)) if w.size else math.nan), False

        return self.per_asset(a[0], fn, n=int(g.params[0]))

    def op_Mad(self, g: G, a: list[_V]) -> _V:
        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            w = self._window(x, i, lo)
            return (float(np.mean(np.abs(w - w.mean()))) if w.size else math.nan), False

        return self.per_asset(a[0], fn, n=int(g.params[0]))

    def op_Rank(self, g: G, a: list[_V]) -> _V:
        exact = a[0].exact

        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            last = x[i]
            if math.isnan(last):
                return math.nan, False
            w = self._window(x, i, lo)
            less = int(np.sum(w < last))
            eq = int(np.sum(w == last))
            near = int(np.sum(np.abs(w - last) <= _NEAR * max(1.0, abs(last))))
            return (less + (eq + 1) / 2.0) / w.size, (not exact and near > 1), 1.0

        return self.per_asset(a[0], fn, n=int(g.params[0]))

    def op_Count(self, g: G, a: list[_V]) -> _V:
        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            return float(np.sum(~np.isnan(x[lo : i + 1]))), False, 1.0

        out = self.per_asset(a[0], fn, raw=True, n=int(g.params[0]))
        out.exact = True
        return out

    def op_WMA(self, g: G, a: list[_V]) -> _V:
        def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
            w = x[lo : i + 1]
            weights = np.arange(1, w.size + 1) / (w.size * (w.size + 1) / 2.0)
            valid = ~np.isnan(w)
            if not valid.any():
                return math.nan, False
            return float(np.sum(weights[valid] * w[valid]) / valid.sum()), False  # qlib: np.nanmean(w * x)

        return self.per_asset(a[0], fn, n=int(g.params[0]))

    def op_EMA(self, g: G, a: list[_V]) -> _V:
        span = float(g.params[0])
        if span == 0:
            def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
                w = x[: i + 1]
                if np.isnan(w).all():
                    return math.nan, False
                c = 1.0 - 2.0 / (1.0 + w.size)
                weights = c ** np.arange(w.size)[::-1]
                weights = weights / weights.sum()
                return float(np.nansum(weights * w)), False
        else:
            alpha = span if span < 1 else 2.0 / (span + 1.0)

            def fn(x: np.ndarray, i: int, lo: int) -> tuple[float, bool]:
                # pandas ewm(adjust=True, ignore_na=False): weights by distance in rows; a missing
                # value repeats the mean at the last valid one
                w = x[: i + 1]
                valid = np.flatnonzero(~np.isnan(w))
                if not valid.size:
                    return math.nan, False
                last = valid[-1]
                weights = (1.0 - alpha) ** (last - valid).astype(float)
                return float(np.sum(weights * w[valid]) / np.sum(weights)), False

        return self.per_asset(a[0], fn, n=0)

    def _regression(self, r: _V, n: int, what: str) -> _V:
        x_all = self.arr(r)
        m_all = self.magv(r)
        out = np.full(self.n, np.nan)
        unk = np.zeros(self.n, dtype=bool)
        mag = np.zeros(self.n)
        for s, e in self.segments:
            y = x_all[s:e]
            u = r.unk[s:e]
            poisoned = False
            for i in range(e - s):
                lo = 0 if n <= 0 else max(0, i - n + 1)
                # qlib's running sums never recover from an infinity entering them
                poisoned = poisoned or bool(np.isinf(y[i]))
                w = y[lo : i + 1]
                pos = np.arange(lo, i + 1, dtype=float)
                ok = ~np.isnan(w)
                cnt = int(ok.sum())
                unk[s + i] = poisoned or bool(u[lo : i + 1].any())
                xs, ys = pos[ok], w[ok]
                if cnt < 2:
                    # slope of one point: qlib's num/den is 0/0 (NaN) or, from rounding of the
                    # running sums, +-inf
                    unk[s + i] |= what == "slope" and cnt == 1
                    continue
                xm, ym = xs.mean(), ys.mean()
                sxx = float(np.sum((xs - xm) ** 2))
                sxy = float(np.sum((xs - xm) * (ys - ym)))
                syy = float(np.sum((ys - ym) ** 2))
                # qlib's running sums: rounding of the sums of y, x*y, y*y over the asset so far
                big = float(np.max(m_all[s : s + i + 1])) * (i + 1.0) ** 2
                mag[s + i] = big * big / syy if what == "rsquare" and syy > 0 else big
                slope = sxy / sxx
                if what == "slope":
                    out[s + i] = slope
                elif what == "rsquare":
                    out[s + i] = sxy * sxy / (sxx * syy) if syy > 0 else math.nan
                else:
                    last = y[i]
                    out[s + i] = last - (slope * float(i) + (ym - slope * xm)) if not math.isnan(last) else math.nan
                if not r.exact or what != "slope":
                    # flat windows: cancellation in qlib's running sums
                    scale = max(1.0, float(np.max(np.abs(ys))))
                    unk[s + i] |= syy <= (1e-6 * scale) ** 2 * cnt
        return _V(out, "num", unk, mag=mag)

    def op_Slope(self, g: G, a: list[_V]) -> _V:
        return self._regression(a[0], int(g.params[0]), "slope")

    def op_Resi(self, g: G, a: list[_V]) -> _V:
        return self._regression(a[0], int(g.params[0]), "resi")

    def op_Rsquare(self, g: G, a: list[_V]) -> _V:
        n = int(g.params[0])
        out = self._regression(a[0], n, "rsquare")
        if n > 0:
            self._mask_flat(out, [a[0]], n)
        return out

    def _mask_flat(self, out: _V, inputs: list[_V], n: int) -> None:
        """qlib's ``np.isclose(Std(x, N), 0, atol=2e-5)`` masks (the value becomes missing)."""
        assert out.v is not None
        for r in inputs:
            sd = self._std(r, n, False)
            std = self.arr(sd)
            flat = std <= 2e-5  # NaN compares False: not masked
            out.v[flat] = np.nan
            out.unk = out.unk | (np.abs(std - 2e-5) <= 1e-9 * self.magv(sd)) | (sd.unk & (std < 1e-3))

    def _pair(self, g: G, a: list[_V], corr: bool) -> _V:
        n = int(g.params[0])
        xa, ya = self.arr(a[0]), self.arr(a[1])
        xa = np.where(np.isinf(xa), np.nan, xa)
        ya = np.where(np.isinf(ya), np.nan, ya)
        mx_all, my_all = self.magv(a[0]), self.magv(a[1])
        out = np.full(self.n, np.nan)
        unk = np.zeros(self.n, dtype=bool)
        mag = np.zeros(self.n)
        for s, e in self.segments:
            for i in range(s, e):
                lo = s if n <= 0 else max(s, i - n + 1)
                x, y = xa[lo : i + 1], ya[lo : i + 1]
                ok = ~(np.isnan(x) | np.isnan(y))
                unk[i] = bool(a[0].unk[lo : i + 1].any() or a[1].unk[lo : i + 1].any())
                if ok.sum() < 2:
                    continue
                x, y = x[ok], y[ok]
                dx, dy = x - x.mean(), y - y.mean()
                sxx, syy, sxy = float(np.sum(dx * dx)), float(np.sum(dy * dy)), float(np.sum(dx * dy))
                mx, my = float(np.max(mx_all[lo : i + 1])), float(np.max(my_all[lo : i + 1]))
                k = float(x.size)
                if corr:
                    mag[i] = k * (mx * mx / sxx + my * my / syy) if sxx > 0 and syy > 0 else 1.0
                else:
                    mag[i] = k * mx * my
                if corr:
                    out[i] = sxy / math.sqrt(sxx * syy) if sxx * syy > 0 else math.nan
                    # nearly flat inputs: the correlation of rounding noise
                    sx = max(1.0, float(np.max(np.abs(x))))
                    sy = max(1.0, float(np.max(np.abs(y))))
                    unk[i] |= sxx <= (1e-6 * sx) ** 2 * x.size or syy <= (1e-6 * sy) ** 2 * y.size
                else:
                    out[i] = sxy / (x.size - 1)
        v = _V(out, "num", unk, mag=mag)
        if corr and n > 0:
            self._mask_flat(v, a, n)
        return v

    def op_Corr(self, g: G, a: list[_V]) -> _V:
        return self._pair(g, a, True)

    def op_Cov(self, g: G, a: list[_V]) -> _V:
        return self._pair(g, a, False)

    # -- cross-sectional -----------------------------------------------------------------------
    def per_date(self, r: _V, fn: Any, groups: np.ndarray | None = None) -> _V:
        """``fn(values) -> (values, unknown[, magnitude])`` over each date's own rows (NaN = missing);
        ``self.M`` is the largest input magnitude of the date while ``fn`` runs."""
        x_all = self.arr(r)
        m_all = self.magv(r)
        out = np.full(self.n, np.nan)
        unk = np.zeros(self.n, dtype=bool)
        mag = np.zeros(self.n)
        for rows in self.dates_rows:
            parts = [rows] if groups is None else [rows[groups[rows] == k] for k in np.unique(groups[rows])]
            for part in parts:
                if part.size == 0:
                    continue
                self.M = float(np.max(m_all[part]))
                res = fn(x_all[part])
                out[part] = res[0]
                unk[part] = res[1] or bool(r.unk[part].any())
                mag[part] = res[2] if len(res) > 2 else self.M * part.size
        return _V(out, "num", unk, mag=mag)

    def op_CSRank(self, g: G, a: list[_V]) -> _V:
        exact = a[0].exact

        def fn(x: np.ndarray) -> tuple[np.ndarray, bool]:
            ok = ~np.isnan(x)
            ranks = pd.Series(x[ok]).rank(method="average").to_numpy() / ok.sum()
            out = np.full(x.size, np.nan)
            out[ok] = ranks
            v = np.sort(x[ok])
            with np.errstate(all="ignore"):
                near = np.abs(np.diff(v)) <= _NEAR * np.maximum(1.0, np.abs(v[1:]))
            return out, (not exact and bool(near.any())), 1.0

        out = self.per_date(a[0], fn)
        out.exact = exact
        return out

    def op_CSZScore(self, g: G, a: list[_V]) -> _V:
        def fn(x: np.ndarray) -> tuple[np.ndarray, bool]:
            ok = x[~np.isnan(x)]
            if ok.size < 2:
                return np.full(x.size, np.nan), False
            with np.errstate(all="ignore"):
                sd = float(np.std(ok, ddof=1))
                z = (x - ok.mean()) / sd
            z[~np.isfinite(z) & ~np.isinf(z)] = np.nan
            scale = max(1.0, float(np.max(np.abs(ok)))) if np.isfinite(ok).all() else 1.0
            return z, bool(np.isfinite(sd) and sd <= 1e-7 * scale), ok.size * self.M / sd if sd > 0 else 1.0

        return self.per_date(a[0], fn)

    def op_CSDemean(self, g: G, a: list[_V]) -> _V:
        def fn(x: np.ndarray) -> tuple[np.ndarray, bool]:
            ok = x[~np.isnan(x)]
            if ok.size == 0:
                return np.full(x.size, np.nan), False
            with np.errstate(all="ignore"):
                return x - ok.mean(), False

        return self.per_date(a[0], fn)

    def op_CSNeutralize(self, g: G, a: list[_V]) -> _V:
        groups = self.fields[str(g.params[0]).lstrip("$")]
        return self.per_date(a[0], lambda x: (x - np.nanmean(x) if (~np.isnan(x)).any() else x, False), groups)

    def op_Mask(self, g: G, a: list[_V]) -> _V:
        name = str(g.params[0]).upper()
        x_all, m_all = self.arr(a[0]), self.magv(a[0])
        out = np.full(self.n, np.nan)
        unk = np.zeros(self.n, dtype=bool)
        mag = np.zeros(self.n)
        pick = {int(self.day[i]): i for i in range(self.n) if self.real[i] and str(self.asset[i]).upper() == name}
        for i in range(self.n):
            j = pick.get(int(self.day[i]))
            if j is not None:
                out[i], unk[i], mag[i] = x_all[j], a[0].unk[j], m_all[j]
        return _V(out, "num" if a[0].kind != "bool" else "bool", unk, exact=a[0].exact, mag=mag)
