"""Figures the report adds after the one test evaluation: each accepted factor's IC, and on the synthetic market
what was planted (did the run rediscover it, and how far is the final library from the oracle?).

- :func:`factor_ics`: the daily Rank IC of each factor with the label, shape ``(n_days,)`` per factor, on a
  span, with its mean and a 95% stationary-bootstrap interval (the null market's check: nothing accepted may
  show a test IC whose interval excludes 0).
- :func:`rediscovery`: for each planted alpha, the accepted factor with the largest ``|mean daily
  cross-sectional rank correlation|`` with it (the sign does not matter to a model) and that correlation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from rdq.metrics import Metric

__all__ = ["factor_ics", "rediscovery", "finite_or_none", "finite_mean"]


def finite_mean(x: np.ndarray) -> float:
    """The mean of the finite values of ``x`` (NaN when there is none)."""
    x = x[np.isfinite(x)]
    return float(np.mean(x)) if len(x) else math.nan


def finite_or_none(x: Any) -> float | None:
    """``x`` as a float, or ``None`` when it is not a finite number (JSON has no NaN)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def factor_ics(
    values: pl.DataFrame,
    label: pl.DataFrame,
    names: Sequence[str],
    *,
    span: tuple[dt.date, dt.date],
    seed: int = 0,
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Daily Rank IC of ``names`` (columns of ``values``) with ``label`` on ``span``.

    Parameters
    ----------
    values:
        ``date, asset, <names...>``.
    label:
        ``date, asset, label``.

    Returns
    -------
    daily, summary:
        ``daily``: ``date`` plus one column per name (``(n_days, 1 + len(names))``, null where undefined);
        ``summary``: one ``{name, rank_ic, rank_ic_ci: [lo, hi], excludes_zero}`` per name.
    """
    from rdq.agent._stats import bootstrap_ci
    from rdq.signal._ic import daily_corr

    lo, hi = span
    frame = (
        values.select(["date", "asset", *names])
        .join(label.select(["date", "asset", "label"]), on=["date", "asset"], how="inner")
        .filter(pl.col("date").is_between(lo, hi))
    )
    daily = daily_corr(frame, [(n, n, "label") for n in names], method="spearman")
    out = []
    for n in names:
        x = daily[n].cast(pl.Float64).fill_null(np.nan).to_numpy()
        ci = bootstrap_ci(x, finite_mean, seed=seed)
        lo_ci, hi_ci = float(ci[0]), float(ci[1])
        out.append(
            {
                "name": n,
                Metric.RANK_IC.value: finite_or_none(finite_mean(x)),
                "rank_ic_ci": [finite_or_none(lo_ci), finite_or_none(hi_ci)],
                "excludes_zero": bool(math.isfinite(lo_ci) and (lo_ci > 0 or hi_ci < 0)),
            }
        )
    return daily, out


def rediscovery(
    panel: pl.DataFrame, accepted: Mapping[str, str], planted: Mapping[str, str]
) -> list[dict[str, Any]]:
    """For each planted alpha (name -> expression), the accepted factor most rank-correlated with it.

    Returns
    -------
    list of dict
        ``{alpha, expression, best_factor, best_expression, rank_corr}`` per planted alpha, where ``rank_corr``
        is ``|mean over dates of the cross-sectional Spearman correlation|`` (``None`` without accepted factors).
    """
    from rdq.agent._pyfactor import compute_codes
    from rdq.factors import compute
    from rdq.signal._ic import daily_corr

    names = list(accepted)
    out: list[dict[str, Any]] = []
    if not names:
        return [
            {"alpha": a, "expression": e, "best_factor": None, "best_expression": None, "rank_corr": None}
            for a, e in planted.items()
        ]
    left = compute_codes(panel, dict(accepted), missing="skip")  # accepted factors may be Python (sandboxed)
    right = compute(panel, {f"__planted_{a}": e for a, e in planted.items()}, missing="skip")
    frame = left.join(right, on=["date", "asset"], how="inner")
    pairs = [(f"{a}|{n}", n, f"__planted_{a}") for a in planted for n in names if n in frame.columns]
    daily = daily_corr(frame, pairs, method="spearman")
    for a, e in planted.items():
        best: tuple[float, str] | None = None
        for n in names:
            key = f"{a}|{n}"
            if key not in daily.columns:
                continue
            v = abs(finite_mean(daily[key].cast(pl.Float64).fill_null(np.nan).to_numpy()))
            if math.isfinite(v) and (best is None or v > best[0]):
                best = (v, n)
        out.append(
            {
                "alpha": a,
                "expression": e,
                "best_factor": None if best is None else best[1],
                "best_expression": None if best is None else accepted[best[1]],
                "rank_corr": None if best is None else best[0],
            }
        )
    return out
