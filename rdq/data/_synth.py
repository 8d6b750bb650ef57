"""A seeded synthetic market with planted alphas: the data every rdq example runs on out of the box.

The simulation, per business day ``s`` and vectorised over assets ``i``::

    x[s, i] = mu[s, i] + beta_i * m[s] + gamma_i * g[s, sector_i] + e[s, i]        (log return)
    m, e   : student-t(5) shocks with GARCH(1, 1) variances (volatility clustering)
    g      : sector shocks (11 sectors, stored as the numeric column ``sector``)
    mu     : sum_k c_k * z_k[s - 2, i] * sbar[s]    (z_k: planted alpha k, cross-sectionally
             standardised, computed from the path up to day s - 2; sbar: mean idiosyncratic vol)

so alpha ``k`` at date ``t`` predicts the qlib label ``Ref($close,-2)/Ref($close,-1)-1`` at ``t``
(the return from close ``t+1`` to close ``t+2``) and nothing earlier.  OHLC come from an intraday
Brownian bridge between the open (previous close times an overnight gap) and the close, so
``high >= max(open, close)`` and ``low <= min(open, close)``; ``vwap`` is the path's mean price;
volume rises with ``|shock|``, with the volatility level and with a persistent attention term.

Random draws: static parameters from one child of ``SeedSequence(seed)``, daily shocks from another,
drawn day by day in a fixed order, so the first ``T`` days do not depend on how many days follow.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from rdq.data._io import atomic_write, write_panel_file
from rdq.data.schema import normalize_panel, panel_fingerprint
from rdq.errors import ConfigError, DataError

__all__ = [
    "SynthMarket",
    "PlantedAlpha",
    "PLANTED_ALPHAS",
    "LABEL_EXPR",
    "synth_market",
    "write_synth",
    "read_synth_truth",
    "truth_path",
]

log = logging.getLogger(__name__)

#: qlib's default label: the return from close t+1 to close t+2, known at t+2
LABEL_EXPR = "Ref($close,-2)/Ref($close,-1)-1"
_WARMUP = 20  # days before every planted alpha is defined
_N_SECTORS = 11
_N_STEPS = 16  # intraday path points
_T_DOF = 5.0


@dataclass(frozen=True)
class PlantedAlpha:
    """One planted alpha: a qlib expression and its strength in the return process.

    ``coef`` is the loading of the standardised alpha in the drift (in units of the day's mean
    idiosyncratic volatility); ``target_ic`` the cross-sectional Pearson IC it is tuned to.
    """

    name: str
    expr: str
    coef: float
    target_ic: float


PLANTED_ALPHAS: tuple[PlantedAlpha, ...] = (
    PlantedAlpha("reversal_5d", "-($close/Ref($close,5)-1)", 0.070, 0.03),
    PlantedAlpha("volume_shock", "Mean($volume,5)/Mean($volume,20)", 0.040, 0.03),
    PlantedAlpha("close_location", "($close-$low)/($high-$low+1e-12)", 0.045, 0.03),
    PlantedAlpha("price_volume_corr", "Corr($close,Log($volume+1),10)", 0.040, 0.03),
)


@dataclass(frozen=True)
class SynthMarket:
    """A synthetic market and what was planted in it.

    Attributes
    ----------
    panel:
        Canonical panel ``date, asset, open, high, low, close, volume, vwap, factor, sector``,
        shape ``(n_assets * n_days, 10)``, sorted by ``(asset, date)``.
    truth:
        JSON-ready dict: the label, each planted alpha's ``name``, ``expr``, ``weight``,
        ``target_ic``, ``measured_ic``, ``measured_rank_ic``, the parameters and the fingerprint.
    alphas:
        ``date, asset`` + one column per planted alpha: the values the simulation computed
        (null during warm-up), aligned with ``panel``.
    """

    panel: pl.DataFrame
    truth: dict[str, Any]
    alphas: pl.DataFrame = field(repr=False)

    @property
    def expressions(self) -> dict[str, str]:
        """``{alpha name: qlib expression}`` of the planted alphas."""
        return {a["name"]: a["expr"] for a in self.truth["alphas"]}


def _student(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """Student-t(5) draws scaled to unit variance."""
    return rng.standard_t(_T_DOF, size=size) / math.sqrt(_T_DOF / (_T_DOF - 2.0))


def _zscore(a: np.ndarray) -> np.ndarray:
    """Cross-sectional z-score clipped to +-3 (NaN -> 0)."""
    ok = np.isfinite(a)
    if ok.sum() < 3:
        return np.zeros_like(a)
    mu = a[ok].mean()
    sd = a[ok].std()
    if not sd > 0:
        return np.zeros_like(a)
    z = np.where(ok, (a - mu) / sd, 0.0)
    return np.clip(z, -3.0, 3.0)


def _cs_ic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-row Pearson correlation of ``x`` and ``y`` (shape ``(T, N)``) -> ``(T,)``, NaN-aware."""
    ok = np.isfinite(x) & np.isfinite(y)
    n = ok.sum(axis=1)
    xm = np.where(ok, x, 0.0)
    ym = np.where(ok, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = xm.sum(axis=1) / n
        my = ym.sum(axis=1) / n
        dx = np.where(ok, x - mx[:, None], 0.0)
        dy = np.where(ok, y - my[:, None], 0.0)
        cov = (dx * dy).sum(axis=1)
        ic = cov / np.sqrt((dx**2).sum(axis=1) * (dy**2).sum(axis=1))
    ic[n < 3] = np.nan
    return ic


def _rank_rows(a: np.ndarray) -> np.ndarray:
    """Per-row average ranks (0-based, ties share their mean rank, NaN stays NaN), shape kept."""
    finite = np.isfinite(a)
    order = np.argsort(np.where(finite, a, np.inf), axis=1, kind="stable")
    s = np.take_along_axis(np.where(finite, a, np.inf), order, axis=1)
    n = a.shape[1]
    pos = np.broadcast_to(np.arange(n), a.shape)
    differs = s[:, 1:] != s[:, :-1]
    starts = np.concatenate([np.ones((a.shape[0], 1), bool), differs], axis=1)
    ends = np.concatenate([differs, np.ones((a.shape[0], 1), bool)], axis=1)
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, pos, n - 1), axis=1), axis=1), axis=1)
    ranks = np.empty(a.shape, dtype=float)
    np.put_along_axis(ranks, order, (first + last) / 2.0, axis=1)
    return np.where(finite, ranks, np.nan)


def synth_market(
    *,
    n_assets: int = 300,
    n_days: int = 2000,
    seed: int = 0,
    start: str | dt.date = "2015-01-01",
    alphas: tuple[PlantedAlpha, ...] = PLANTED_ALPHAS,
) -> SynthMarket:
    """Simulate a market with planted alphas.

    Parameters
    ----------
    n_assets, n_days:
        Panel size: ``n_assets`` assets over ``n_days`` business days from ``start``.
    seed:
        Seed of everything; the same seed gives the same panel (and the same first ``T`` days for
        any longer ``n_days``).
    start:
        First business day (rolled forward to a weekday).
    alphas:
        The planted alphas (default :data:`PLANTED_ALPHAS`; their names fix how they are computed).

    Returns
    -------
    SynthMarket

    Examples
    --------
    >>> m = synth_market(n_assets=20, n_days=60, seed=1)
    >>> m.panel.shape
    (1200, 10)
    >>> m.truth["label"]
    'Ref($close,-2)/Ref($close,-1)-1'
    """
    if n_assets < 1 or n_days < 1:
        raise ConfigError(f"n_assets and n_days must be positive (got {n_assets}, {n_days})")
    known = {a.name for a in PLANTED_ALPHAS}
    for a in alphas:
        if a.name not in known:
            raise ConfigError(f"unknown planted alpha {a.name!r}; known: {sorted(known)}")
    N, T, K, M = n_assets, n_days, len(alphas), _N_STEPS
    static_ss, daily_ss = np.random.SeedSequence(seed).spawn(2)
    rs = np.random.default_rng(static_ss)
    rd = np.random.default_rng(daily_ss)

    # static parameters ------------------------------------------------------------------------------
    sector = rs.integers(0, _N_SECTORS, size=N)
    beta = np.clip(rs.normal(1.0, 0.3, N), 0.2, 2.0)
    gamma = np.clip(rs.normal(1.0, 0.25, N), 0.2, 2.0)
    s_idio = np.exp(rs.normal(math.log(0.017), 0.3, N))  # long-run daily idiosyncratic vol
    price0 = np.exp(rs.normal(math.log(40.0), 0.7, N))
    lv_base = rs.normal(math.log(1.5e6), 0.9, N)
    g_a, g_b = 0.08, 0.90  # GARCH(1,1)
    om_i = s_idio**2 * (1 - g_a - g_b)
    s_mkt, s_sec = 0.010, 0.005
    om_m = s_mkt**2 * (1 - g_a - g_b)
    coefs = np.array([a.coef for a in alphas])

    # state and history --------------------------------------------------------------------------------
    O, H, L, C, V, W = (np.empty((T, N)) for _ in range(6))
    R = np.full((T, N), np.nan)  # simple close-to-close returns
    A = np.full((T, K, N), np.nan)  # planted alpha values at each date
    Z = np.zeros((T, N))  # combined standardised signal at each date
    h_i = s_idio**2
    h_m = s_mkt**2
    e_i_prev = np.zeros(N)
    e_m_prev = 0.0
    u = np.zeros(N)  # persistent attention (log volume)
    prev_close = price0
    steps = np.arange(M + 1) / M

    for s in range(T):
        # daily draws, always in this order and size
        z_m = float(_student(rd, 1)[0])
        z_g = _student(rd, _N_SECTORS)
        z_i = _student(rd, N)
        n_gap = rd.standard_normal(N)
        n_path = rd.standard_normal((N, M))
        n_vol = rd.standard_normal(N)

        h_m = om_m + g_a * e_m_prev**2 + g_b * h_m
        h_i = om_i + g_a * e_i_prev**2 + g_b * h_i
        sd_i = np.sqrt(h_i)
        e_m = math.sqrt(h_m) * z_m
        e_i = sd_i * z_i
        mu = Z[s - 2] * sd_i.mean() if s >= 2 else np.zeros(N)
        x = np.clip(mu + beta * e_m + gamma * s_sec * z_g[sector] + e_i, -0.7, 0.7)
        close = prev_close * np.exp(x)

        # OHLC from an overnight gap and an intraday Brownian bridge
        gap = 0.3 * x + 0.25 * sd_i * n_gap
        lo_, lc_ = np.log(prev_close) + gap, np.log(close)
        walk = np.concatenate([np.zeros((N, 1)), np.cumsum(n_path, axis=1)], axis=1) / math.sqrt(M)
        bridge = walk - steps[None, :] * walk[:, -1:]
        path = lo_[:, None] + (lc_ - lo_)[:, None] * steps[None, :] + 0.8 * sd_i[:, None] * bridge
        path[:, 0], path[:, -1] = lo_, lc_
        prices = np.exp(path)
        O[s], C[s] = prices[:, 0], prices[:, -1]
        H[s], L[s] = prices.max(axis=1), prices.min(axis=1)
        W[s] = prices.mean(axis=1)
        u = 0.9 * u + 0.25 * n_vol
        V[s] = np.round(
            np.exp(
                lv_base
                + u
                + 0.35 * np.minimum(np.abs(z_i), 4.0)
                + 1.0 * np.clip(np.log(sd_i / s_idio), -1.0, 1.5)
            )
        )
        if s >= 1:
            R[s] = C[s] / C[s - 1] - 1.0

        # planted alphas at date s, from the path up to s (numpy, no look-ahead)
        for k, a in enumerate(alphas):
            A[s, k] = _alpha_value(a.name, s, O, H, L, C, V, R)
        if s >= _WARMUP:
            Z[s] = (coefs[:, None] * np.stack([_zscore(A[s, k]) for k in range(K)])).sum(axis=0)
        e_i_prev, e_m_prev, prev_close = e_i, e_m, C[s]

    # panel --------------------------------------------------------------------------------------------
    first = np.busday_offset(np.datetime64(str(start)[:10], "D"), 0, roll="forward")
    dates = np.busday_offset(first, np.arange(T), roll="forward")
    names = [f"S{i:04d}" for i in range(N)]
    date_col = np.tile(dates, N)
    asset_col = np.repeat(np.array(names), T)

    def flat(x: np.ndarray) -> np.ndarray:
        return x.T.reshape(-1)

    panel = normalize_panel(
        pl.DataFrame(
            {
                "date": date_col,
                "asset": asset_col,
                "open": flat(O),
                "high": flat(H),
                "low": flat(L),
                "close": flat(C),
                "volume": flat(V),
                "vwap": flat(W),
                "factor": np.ones(N * T),
                "sector": np.repeat(sector.astype(float), T),
            }
        ).with_columns(pl.col("date").cast(pl.Date))
    )
    alpha_frame = pl.DataFrame(
        {"date": date_col, "asset": asset_col, **{a.name: flat(A[:, k, :]) for k, a in enumerate(alphas)}}
    ).with_columns(pl.col("date").cast(pl.Date), *[pl.col(a.name).fill_nan(None) for a in alphas])
    alpha_frame = alpha_frame.sort(["asset", "date"])

    # truth: measured ICs on the label Ref($close,-2)/Ref($close,-1)-1 ------------------------------
    label = np.full((T, N), np.nan)
    if T > 2:
        label[:-2] = C[2:] / C[1:-1] - 1.0
    lo_t, hi_t = _WARMUP, T - 2
    alpha_truth = []
    for k, a in enumerate(alphas):
        ic = _cs_ic(A[lo_t:hi_t, k], label[lo_t:hi_t]) if hi_t > lo_t else np.array([np.nan])
        ric = (
            _cs_ic(_rank_rows(A[lo_t:hi_t, k]), _rank_rows(label[lo_t:hi_t]))
            if hi_t > lo_t
            else np.array([np.nan])
        )
        alpha_truth.append(
            {
                "name": a.name,
                "expr": a.expr,
                "weight": float(a.coef),
                "target_ic": a.target_ic,
                "measured_ic": _mean(ic),
                "measured_icir": _icir(ic),
                "measured_rank_ic": _mean(ric),
            }
        )
    comb_ic = _cs_ic(Z[lo_t:hi_t], label[lo_t:hi_t]) if hi_t > lo_t else np.array([np.nan])
    truth: dict[str, Any] = {
        "generator": "rdq.data.synth_market",
        "version": 1,
        "seed": seed,
        "n_assets": N,
        "n_days": T,
        "start": str(dates[0]),
        "end": str(dates[-1]),
        "label": LABEL_EXPR,
        "label_note": "alpha at date t drives the return from close t+1 to close t+2 (the label at t)",
        "warmup_days": _WARMUP,
        "ic_method": "mean over dates of the cross-sectional Pearson correlation of the raw expression "
        "with the label; rank_ic: the same on ranks",
        "alphas": alpha_truth,
        "combined": {
            "description": "sum of weight * clip(zscore(alpha), -3, 3), the drift the simulation used",
            "measured_ic": _mean(comb_ic),
        },
        "params": {
            "n_sectors": _N_SECTORS,
            "t_dof": _T_DOF,
            "garch": [g_a, g_b],
            "market_vol": s_mkt,
            "sector_vol": s_sec,
            "idio_vol_median": float(np.median(s_idio)),
            "intraday_steps": M,
        },
        "fingerprint": panel_fingerprint(panel),
    }
    return SynthMarket(panel=panel, truth=truth, alphas=alpha_frame)


def _mean(x: np.ndarray) -> float | None:
    v = float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")
    return None if not math.isfinite(v) else v


def _icir(ic: np.ndarray) -> float | None:
    if np.isfinite(ic).sum() < 2:
        return None
    sd = float(np.nanstd(ic, ddof=1))
    return float(np.nanmean(ic)) / sd if sd > 0 else None


def _alpha_value(
    name: str,
    s: int,
    O: np.ndarray,  # noqa: N803 - OHLCV history arrays, shape (T, N)
    H: np.ndarray,  # noqa: N803
    L: np.ndarray,  # noqa: N803
    C: np.ndarray,  # noqa: N803
    V: np.ndarray,  # noqa: N803
    R: np.ndarray,  # noqa: N803
) -> np.ndarray:
    """Value at date ``s`` of a planted alpha, from rows ``<= s`` only (NaN during warm-up)."""
    n = C.shape[1]
    if name == "reversal_5d":  # -($close/Ref($close,5)-1)
        return -(C[s] / C[s - 5] - 1.0) if s >= 5 else np.full(n, np.nan)
    if name == "volume_shock":  # Mean($volume,5)/Mean($volume,20)
        if s < 19:
            return np.full(n, np.nan)
        return V[s - 4 : s + 1].mean(axis=0) / V[s - 19 : s + 1].mean(axis=0)
    if name == "close_location":  # ($close-$low)/($high-$low+1e-12)
        return (C[s] - L[s]) / (H[s] - L[s] + 1e-12)
    if name == "price_volume_corr":  # Corr($close,Log($volume+1),10)
        if s < 9:
            return np.full(n, np.nan)
        x = C[s - 9 : s + 1]
        y = np.log(V[s - 9 : s + 1] + 1.0)
        dx, dy = x - x.mean(axis=0), y - y.mean(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (dx * dy).sum(axis=0) / np.sqrt((dx**2).sum(axis=0) * (dy**2).sum(axis=0))
    raise ConfigError(f"unknown planted alpha {name!r}")


# --------------------------------------------------------------------------------------------------
# files


def truth_path(path: str | os.PathLike[str]) -> Path:
    """Where the truth of the data at ``path`` lives: ``PATH.truth.json``."""
    p = Path(path)
    return p if p.name.endswith(".truth.json") else p.with_name(p.name + ".truth.json")


def write_synth(path: str | os.PathLike[str], market: SynthMarket) -> Path:
    """Write ``market.panel`` to ``path`` (``.parquet`` or ``.csv``) and its truth to ``PATH.truth.json``.

    Both writes are atomic (temporary file + rename). Returns ``path``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise ConfigError(f"cannot write {p.name}: use a .parquet or .csv path")
    write_panel_file(market.panel, p)
    text = json.dumps(market.truth, indent=2, sort_keys=False)
    atomic_write(truth_path(p), lambda t: t.write_text(text + "\n"))
    log.info("wrote %s and %s", p, truth_path(p))
    return p


def read_synth_truth(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read the truth JSON written by :func:`write_synth` (pass the data path or the JSON path)."""
    tp = truth_path(path)
    if not tp.is_file():
        raise DataError(
            "no truth file next to the data",
            file=str(tp),
            fix="generate the data with `rdq data synth --out PATH.parquet` (it writes PATH.parquet.truth.json)",
        )
    try:
        truth: dict[str, Any] = json.loads(tp.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON ({exc.msg})", file=str(tp), row=exc.lineno) from None
    return truth
