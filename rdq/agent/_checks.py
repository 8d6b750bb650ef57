"""Checks of a factor candidate on a debug slice, and the train-span screen.

A candidate's code is an expression or a Python factor's source (``def factor(panel)``,
:mod:`rdq.agent._pyfactor`); a Python factor runs in :mod:`rdq.sandbox` (its failed run is the ``runs``
check's detail: status, reason, the traceback's last frame), its warm-up is the dates before its first
finite value (at most half the slice), its look-ahead check reruns it in the sandbox on the truncated slice,
and it has no ``copy`` check (no expression tree). Expressions keep their in-process path.

Checks, in order (each a :class:`~rdq.agent.CheckResult`; later ones are skipped once ``runs`` fails):

- ``runs``: the expression computes (any error becomes the check's detail, never an exception);
- ``coverage``: one row per (date, asset) of the slice, and after the expression's warm-up at least
  ``min_coverage`` of the rows have a value;
- ``finite``: at least ``min_finite`` of the rows are finite, counting the rows from the expression's look-back
  on (:func:`~rdq.agent._expr_tree.lookback_days`: ``Ref($close, 60)`` has no value on the slice's first 60
  days by construction, which is not a defect; an asset with no value at all still counts against it; a
  look-back as long as the slice excuses nothing);
- ``varies``: the values differ across assets (beyond rounding, :data:`CONSTANT_RTOL`) on half the days at least;
- ``lookahead``: :func:`rdq.factors.check_lookahead` (truncating the future changes no past value);
- ``duplicate``: the mean daily cross-sectional Spearman correlation with every reference factor (base,
  accepted, earlier candidates) is at most ``dup_corr`` in absolute value;
- ``copy`` (when reference expressions are given): no reference shares a subtree of at least ``copy_share`` of
  the candidate's size (:func:`~rdq.agent._expr_tree.structural_copy_of`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from rdq.agent._types import Candidate, CheckResult
from rdq.metrics import Metric
from rdq.sandbox import Limits

__all__ = ["CheckConfig", "debug_slice", "check_factor", "screen_factors"]


@dataclass(frozen=True)
class CheckConfig:
    """Bounds of the checks (module docstring)."""

    debug_assets: int = 50
    debug_days: int = 250
    min_coverage: float = 0.8
    min_finite: float = 0.8
    dup_corr: float = 0.7
    copy_share: float = 0.7
    lookahead: bool = True
    seed: int = 0


def debug_slice(panel: pl.DataFrame, *, config: CheckConfig) -> pl.DataFrame:
    """``debug_assets`` assets (sampled by seed) over the last ``debug_days`` dates of ``panel``.

    The caller passes the panel already cut to the span the slice may come from (the loop: the train span).
    """
    assets = sorted(panel["asset"].unique().to_list())
    rng = np.random.default_rng(config.seed)
    if len(assets) > config.debug_assets:
        assets = sorted(
            rng.choice(np.array(assets, dtype=object), size=config.debug_assets, replace=False).tolist()
        )
    dates = panel["date"].unique().sort()
    first = dates[max(0, len(dates) - config.debug_days)]
    return panel.filter(pl.col("asset").is_in(assets) & (pl.col("date") >= first)).sort(["asset", "date"])


def _warmup_rows(values: pl.Series, assets: pl.Series) -> int:
    """Leading nulls per asset (the warm-up), summed."""
    df = pl.DataFrame({"a": assets, "v": values})
    lead = df.group_by("a", maintain_order=True).agg(
        pl.col("v").is_not_null().cum_max().not_().sum().alias("w")
    )
    return int(lead["w"].sum())


def _python_runs(
    code: str, panel_slice: pl.DataFrame, limits: Limits | None
) -> tuple[CheckResult, pl.DataFrame | None, pl.DataFrame | None]:
    """The ``runs`` check of a Python factor: its sandboxed run on the slice.

    Returns the check, ``out`` (``date, asset, x`` on every row of the slice, sorted by asset, date, as
    :func:`rdq.factors.compute` gives them) and the run's own ``date, asset, value`` frame.
    """
    from rdq.agent._pyfactor import python_values

    res, frame = python_values(panel_slice, code, limits=limits)
    if frame is None:
        detail = f"{res.status}: {res.reason}"
        if res.traceback_tail:
            detail += f"\n{res.traceback_tail}"
        return CheckResult("runs", False, detail[:1000]), None, None
    out = (
        panel_slice.select("date", "asset")
        .sort("asset", "date")
        .join(frame.select("date", "asset", pl.col("value").alias("x")), on=["date", "asset"], how="left",
              maintain_order="left")
    )  # fmt: skip
    return CheckResult("runs", True, f"{frame.height} rows (sandbox, {res.seconds:.1f} s)"), out, frame


def _warmup_days(out: pl.DataFrame, n_days: int) -> int:
    """A Python factor's warm-up: the dates before its first finite value (at most half the slice)."""
    fin = out.filter(pl.col("x").is_finite())
    if fin.height == 0:
        return 0
    first = fin["date"].min()
    days = out["date"].unique().sort()
    return min(int((days < first).sum()), n_days // 2)


def check_factor(
    candidate: Candidate,
    panel_slice: pl.DataFrame,
    *,
    reference_values: pl.DataFrame | None,
    config: CheckConfig,
    reference_exprs: Mapping[str, str] | None = None,
    limits: Limits | None = None,
) -> tuple[CheckResult, ...]:
    """Run every check of the module docstring on ``candidate.code`` over ``panel_slice``.

    ``candidate.code`` is an expression or a Python factor's source (:func:`rdq.agent._pyfactor.is_python`),
    which runs in the sandbox under ``limits`` (its truncated runs for the look-ahead check too; a
    failed run is the ``runs`` check's detail with the status, the reason and the traceback's last
    frame). ``reference_values``: ``date, asset, <reference factors>`` on the slice; ``reference_exprs``:
    their expressions (name -> text) for the ``copy`` check (expressions only), skipped when ``None``.
    """
    from rdq.agent._pyfactor import is_python, python_lookahead
    from rdq.factors import check_lookahead, compute

    python = is_python(candidate.code)
    frame: pl.DataFrame | None = None
    if python:
        runs, maybe, frame = _python_runs(candidate.code, panel_slice, limits)
        if maybe is None:
            return (runs,)
        out = maybe
    else:
        try:
            out = compute(panel_slice, {"x": candidate.code})
        except Exception as exc:  # noqa: BLE001 - a candidate's failure is a check result
            msg = getattr(exc, "message", None) or str(exc)
            return (CheckResult("runs", False, f"{type(exc).__name__}: {msg}"[:500]),)
        runs = CheckResult("runs", True, f"{out.height} rows")
    checks = [runs]
    n = panel_slice.height
    col = out["x"].cast(pl.Float64)
    vals = col.to_numpy()
    same_rows = out.height == n
    warm = _warmup_rows(col.fill_nan(None), out["asset"])
    after = max(1, n - warm)
    have = int(np.isfinite(vals).sum())
    cov = have / after
    checks.append(
        CheckResult(
            "coverage",
            same_rows and cov >= config.min_coverage,
            f"{out.height}/{n} rows; {cov:.0%} of the rows after the {warm}-row warm-up have a value "
            f"(need {config.min_coverage:.0%})",
        )
    )
    days = out["date"].unique().sort()
    lb = _warmup_days(out, len(days)) if python else _lookback(candidate.code)
    lb = lb if lb < len(days) else 0  # a look-back longer than the slice excuses nothing
    later = (out["date"] >= days[lb]).to_numpy() if len(days) else np.zeros(out.height, dtype=bool)
    fin = float(np.isfinite(vals[later]).sum()) / max(1, int(later.sum()))
    checks.append(
        CheckResult(
            "finite",
            fin >= config.min_finite,
            f"{fin:.0%} finite after the {lb}-day look-back (need {config.min_finite:.0%})",
        )
    )
    checks.append(_varies(out))
    if config.lookahead and python:
        assert frame is not None
        ok, detail = python_lookahead(panel_slice, candidate.code, full=frame, n_cuts=2, limits=limits)
        checks.append(CheckResult("lookahead", ok, detail))
    elif config.lookahead:
        try:
            rep = check_lookahead(panel_slice, candidate.code, n_cuts=2, name=candidate.name)
            checks.append(
                CheckResult(
                    "lookahead",
                    rep.ok,
                    "no look-ahead" if rep.ok else f"looks ahead: {rep.changed or rep.static_issues}",
                )
            )
        except Exception as exc:  # noqa: BLE001
            checks.append(CheckResult("lookahead", False, f"check failed: {exc}"[:300]))
    checks.append(_duplicate(out, reference_values, config))
    if reference_exprs and not python:
        checks.append(_copy(candidate.code, reference_exprs, config))
    return tuple(checks)


def _copy(code: str, references: Mapping[str, str], config: CheckConfig) -> CheckResult:
    from rdq.agent._expr_tree import largest_common_subtree, structural_copy_of, tree_size

    try:
        name = structural_copy_of(code, references, min_share=config.copy_share)
    except Exception:  # noqa: BLE001 - not an expression (a Python factor): no tree to compare
        return CheckResult("copy", True, "not an expression")
    if name is None:
        return CheckResult("copy", True, f"no reference shares {config.copy_share:.0%} of the tree")
    share = largest_common_subtree(code, references[name]) / tree_size(code)
    return CheckResult("copy", False, f"copy of {name}: shares a subtree of {share:.0%} of its nodes")


def max_reference_corr(out: pl.DataFrame, reference: pl.DataFrame, column: str = "x") -> tuple[float, str]:
    """The largest ``|mean daily rank correlation|`` of ``out[column]`` with a reference factor, and its name.

    ``out``: ``date, asset, <column>``; ``reference``: ``date, asset, <factors...>`` on the same rows.
    """
    from rdq.signal._ic import daily_corr

    names = [c for c in reference.columns if c not in ("date", "asset")]
    frame = reference.join(
        out.select("date", "asset", pl.col(column).alias("__cand")), on=["date", "asset"], how="inner"
    )
    corr = daily_corr(frame, [(c, "__cand", c) for c in names], method="spearman")
    best, best_name = 0.0, ""
    for c in names:
        m = corr[c].drop_nulls().mean()
        v = abs(float(m)) if isinstance(m, int | float) and math.isfinite(m) else 0.0
        if v > best:
            best, best_name = v, c
    return best, best_name


def novelty(
    panel_slice: pl.DataFrame,
    reference: pl.DataFrame | None,
    exprs: Sequence[str],
    *,
    limits: Limits | None = None,
) -> list[float | None]:
    """:func:`max_reference_corr` of each code on the debug slice (``None``: it does not compute).

    A code is an expression or a Python factor's source (run in the sandbox under ``limits``).
    """
    from rdq.agent._pyfactor import compute_codes

    out: list[float | None] = []
    for e in exprs:
        if reference is None or reference.width <= 2:
            out.append(0.0)
            continue
        try:
            values = compute_codes(panel_slice, {"x": e}, missing="raise", limits=limits)
        except Exception:  # noqa: BLE001 - the loop's checks record why
            out.append(None)
            continue
        out.append(max_reference_corr(values, reference)[0])
    return out


def _lookback(code: str) -> int:
    from rdq.agent._expr_tree import lookback_days

    try:
        return lookback_days(code)
    except Exception:  # noqa: BLE001 - not an expression (a Python factor): no look-back to excuse
        return 0


def same_round_copies(
    panel_slice: pl.DataFrame, exprs: Sequence[str], bound: float, *, limits: Limits | None = None
) -> list[tuple[int, float] | None]:
    """For each code, ``(index, |rank corr|)`` of an earlier one of ``exprs`` it copies (above ``bound``
    on the debug slice), else ``None``; a copy is not compared further (the first of a group is kept).

    Codes are expressions or Python factors' sources (sandboxed under ``limits``); a Python factor that
    does not run is neither a copy nor compared with."""
    from rdq.agent._pyfactor import compute_codes, is_python

    if any(is_python(e) for e in exprs):
        values = compute_codes(panel_slice, {f"c{i}": e for i, e in enumerate(exprs)}, limits=limits)
    else:  # expressions: exactly as before (one compute, an error fails the whole worker)
        from rdq.factors import compute

        values = compute(panel_slice, {f"c{i}": e for i, e in enumerate(exprs)})
    out: list[tuple[int, float] | None] = []
    kept: list[int] = []
    for i in range(len(exprs)):
        hit = None
        if f"c{i}" not in values.columns:
            out.append(None)
            continue
        if kept:
            ref = values.select(["date", "asset", *(f"c{k}" for k in kept)])
            best, name = max_reference_corr(values.select(["date", "asset", f"c{i}"]), ref, column=f"c{i}")
            if best > bound:
                hit = (int(name[1:]), best)
        out.append(hit)
        if hit is None:
            kept.append(i)
    return out


#: a factor whose values differ across assets by less than this, relative to their size, is a constant
#: (``Corr($close+1, $close+2, 10)`` is 1 up to rounding; its ranks are floating-point noise)
CONSTANT_RTOL = 1e-9


def _varies(out: pl.DataFrame) -> CheckResult:
    """``varies``: on at least half of the days the cross-sectional spread exceeds ``CONSTANT_RTOL`` times the
    values' size (else the factor only ranks rounding noise)."""
    day = (
        out.lazy()
        .with_columns(pl.when(pl.col("x").is_finite()).then(pl.col("x")).otherwise(None).alias("x"))
        .group_by("date")
        .agg(spread=pl.col("x").max() - pl.col("x").min(), size=pl.col("x").abs().max())
        .filter(pl.col("size").is_not_null())
        .collect()
    )
    if day.height == 0:
        return CheckResult("varies", False, "no finite value")
    share = float((day["spread"] > CONSTANT_RTOL * (day["size"] + 1e-300)).cast(pl.Float64).mean() or 0.0)  # type: ignore[arg-type]
    return CheckResult(
        "varies", share >= 0.5, f"values differ across assets on {share:.0%} of the days (need 50%)"
    )


def _duplicate(out: pl.DataFrame, reference: pl.DataFrame | None, config: CheckConfig) -> CheckResult:
    if reference is None or reference.width <= 2:
        return CheckResult("duplicate", True, "no reference factor")
    best, best_name = max_reference_corr(out, reference)
    ok = best <= config.dup_corr
    detail = f"max |rank corr| {best:.2f} with {best_name or '-'} (bound {config.dup_corr:.2f})"
    return CheckResult("duplicate", ok, detail if ok else f"duplicate of {best_name}: {detail}")


#: days of history kept before the screened span beyond the expressions' own look-back (window sums along
#: each path, exact for every finite window): the tail of an exponential average, whose weight beyond its
#: window plus these days is below (1 - 2/61)^180 ~ 3e-3 for the GP's longest EMA (60 days)
SCREEN_EXTRA_DAYS = 120


def _screen_rows(panel: pl.DataFrame, exprs: Iterable[str], start: dt.date) -> pl.DataFrame:
    """``panel`` from ``lookback + SCREEN_EXTRA_DAYS`` trading days before ``start`` on (a screen computes
    values only to score them from ``start``): less to compute, the same values there. Unchanged when an
    expression's look-back cannot be read (or has an expanding, 0-day window)."""
    from rdq.agent._expr_tree import has_expanding_window, lookback_days

    codes = list(exprs)
    try:
        if not codes or any(has_expanding_window(c) for c in codes):
            return panel
        need = max(lookback_days(c) for c in codes) + SCREEN_EXTRA_DAYS
    except Exception:  # noqa: BLE001 - an expression that does not parse: computed (and rejected) as before
        return panel
    dates = panel.get_column("date").unique().sort()
    i = int(dates.search_sorted(start))
    if i <= need:
        return panel
    return panel.filter(pl.col("date") >= dates[i - need])


def screen_factors(
    panel: pl.DataFrame,
    exprs: Mapping[str, str],
    *,
    label: pl.DataFrame,
    dates: tuple[dt.date, dt.date],
    min_coverage: float = 0.5,
    limits: Limits | None = None,
) -> dict[str, dict[str, float] | None]:
    """Mean daily IC and Rank IC (``Metric.IC``, ``Metric.RANK_IC``) of each expression over ``dates``.

    A Python factor's source (:func:`rdq.agent._pyfactor.is_python`) runs in the sandbox under ``limits``,
    one run each, on ``panel`` (the caller's panel: the loop's train span).

    All expressions are computed in one call; when that raises, one by one, so one bad expression gets
    ``None`` and the others are still scored. An expression with a value on fewer than ``min_coverage`` of
    the span's rows gets ``None`` too (a factor defined on a handful of rows shows a huge, meaningless IC), so
    does a numerical constant (see :func:`_varies`), and
    a day without a defined IC counts as 0 in the means (so sparse days cannot inflate them).
    """
    from rdq.agent._pyfactor import compute_codes, is_python
    from rdq.factors import compute
    from rdq.signal._ic import ic_frame

    out: dict[str, dict[str, float] | None] = {}
    frames: list[pl.DataFrame] = []
    pys = {k: e for k, e in exprs.items() if is_python(e)}
    exprs = {k: e for k, e in exprs.items() if k not in pys}
    for k, e in pys.items():  # one sandboxed run each; a failed run scores None
        f = compute_codes(panel, {k: e}, missing="skip", limits=limits)
        if k in f.columns:
            frames.append(f)
        else:
            out[k] = None
    epanel = _screen_rows(panel, exprs.values(), dates[0])
    try:
        if exprs:
            frames.append(compute(epanel, dict(exprs)))
    except Exception:  # noqa: BLE001 - fall back to one by one
        for k, e in exprs.items():
            try:
                frames.append(compute(epanel, {k: e}))
            except Exception:  # noqa: BLE001
                out[k] = None
    lab = label.filter(pl.col("date").is_between(dates[0], dates[1]))
    for f in frames:
        f = f.filter(pl.col("date").is_between(dates[0], dates[1]))
        cols = [c for c in f.columns if c not in ("date", "asset")]
        if not cols:
            continue
        f = f.with_columns(pl.col(cols).cast(pl.Float64).fill_nan(None))
        f = f.with_columns(pl.when(pl.col(cols).is_infinite()).then(None).otherwise(pl.col(cols)).name.keep())
        covered = f.select(pl.col(cols).is_not_null().mean()).row(0, named=True) if f.height else {}
        spread = (
            f.group_by("date")
            .agg(
                *((pl.col(c).max() - pl.col(c).min() > CONSTANT_RTOL * (pl.col(c).abs().max() + 1e-300)).alias(c)
                  for c in cols)
            )
            .select(pl.col(cols).cast(pl.Float64).mean())
            .row(0, named=True)
            if f.height
            else {}
        )  # fmt: skip
        ic = ic_frame(f, lab, columns=cols, method="pearson")
        ric = ic_frame(f, lab, columns=cols, method="spearman")
        for c in cols:
            if float(covered.get(c) or 0.0) < min_coverage or float(spread.get(c) or 0.0) < 0.5:
                out[c] = None
                continue
            a, b = ic[c].fill_null(0.0).fill_nan(0.0).mean(), ric[c].fill_null(0.0).fill_nan(0.0).mean()
            if not isinstance(b, int | float) or not math.isfinite(b):
                out[c] = None
                continue
            out[c] = {
                Metric.IC.value: float(a) if isinstance(a, int | float) else math.nan,
                Metric.RANK_IC.value: float(b),
            }
    return out
