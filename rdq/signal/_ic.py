"""Daily cross-sectional IC (Pearson) and Rank IC (Spearman), and their summary statistics.

For each date the factor and the label are paired by asset; pairs where either side is missing
(null, NaN, +-inf) are dropped.  A day with fewer than 2 pairs, or where either side is constant,
has no IC: it is stored as **null** so polars aggregations (``mean``, ``std``) skip it, and it is
excluded from every summary.  On the same input, the daily values equal qlib's
``qlib.contrib.eva.alpha.calc_ic`` (which returns NaN on those days) to floating-point rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import polars as pl

from rdq.metrics import Metric
from rdq.signal._frames import LABEL, check_factor_frame, check_label_frame
from rdq.signal._kernels import corr_by_day

__all__ = [
    "CorrMethod",
    "DailySummary",
    "ic_series",
    "ic_frame",
    "ic_summary",
    "daily_corr",
    "pair_frame",
    "icir",
    "annualized_icir",
    "t_stat",
    "hit_rate",
    "summarize_daily",
    "daily_summary",
]

CorrMethod = Literal["pearson", "spearman"]
_METHODS: tuple[str, ...] = ("pearson", "spearman")


#: factor columns handed to the kernel at once (bounds the float64 copy to n_rows x this)
_CHUNK_COLUMNS = 32


def _chunks(pairs: Sequence[tuple[str, str, str]]) -> list[list[tuple[str, str, str]]]:
    """Pairs grouped by their x column, cut so that a chunk touches at most ``_CHUNK_COLUMNS`` columns."""
    ordered = sorted(pairs, key=lambda p: p[1])  # stable: a factor's pairs stay together
    chunks: list[list[tuple[str, str, str]]] = []
    current: list[tuple[str, str, str]] = []
    used: set[str] = set()
    for pair in ordered:
        extra = {pair[1], pair[2]} - used
        if current and len(used) + len(extra) > _CHUNK_COLUMNS and pair[1] not in used:
            chunks.append(current)
            current, used = [], set()
            extra = {pair[1], pair[2]}
        current.append(pair)
        used |= extra
    if current:
        chunks.append(current)
    return chunks


def daily_corr(
    frame: pl.DataFrame | pl.LazyFrame,
    pairs: Sequence[tuple[str, str, str]],
    *,
    method: CorrMethod = "pearson",
) -> pl.DataFrame:
    """Daily correlation of many column pairs in one pass.

    Parameters
    ----------
    frame:
        Long frame with ``date`` and the columns named in ``pairs``.
    pairs:
        ``(out_name, x_column, y_column)`` triples.
    method:
        ``"pearson"`` or ``"spearman"`` (Pearson of within-day average ranks of the valid pairs).

    Returns
    -------
    pl.DataFrame
        ``date`` plus one Float64 column per pair, one row per date (sorted); null where undefined.
    """
    _check_method(method)
    df = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    dates = df.get_column("date")
    order: np.ndarray | None = None  # None: the rows are already in date order (the usual panel), no gather
    if not dates.is_sorted():
        order = df.select(pl.arg_sort_by("date", maintain_order=True)).to_series().to_numpy()
        dates = dates.gather(order)
    phys = dates.to_physical().to_numpy()
    n = phys.shape[0]
    starts = np.flatnonzero(np.r_[True, phys[1:] != phys[:-1]]) if n else np.zeros(0, dtype=np.int64)
    day_values = dates.gather(starts) if n else dates
    offsets = np.r_[starts, n].astype(np.int64)
    result: dict[str, np.ndarray] = {}
    for chunk in _chunks(pairs):
        cols = list(dict.fromkeys(c for _, x, y in chunk for c in (x, y)))
        index = {c: i for i, c in enumerate(cols)}
        matrix = np.ascontiguousarray(  # (n, len(cols)) C order, as the compiled kernel expects
            df.select(pl.col(c).cast(pl.Float64) for c in cols).to_numpy(), dtype=np.float64
        )
        if order is not None:
            matrix = matrix[order]
        xi = np.array([index[x] for _, x, _ in chunk], dtype=np.int64)
        yi = np.array([index[y] for _, _, y in chunk], dtype=np.int64)
        out = corr_by_day(matrix, offsets, xi, yi, method == "spearman")
        for j, (name, _, _) in enumerate(chunk):
            result[name] = out[:, j]
    return pl.DataFrame(
        [
            day_values.alias("date"),
            *[pl.Series(k, result[k], dtype=pl.Float64).fill_nan(None) for k, _, _ in pairs],
        ]
    )


def pair_frame(factors: pl.DataFrame, label: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Factors and label side by side on the union of their ``(date, asset)`` keys (like pandas' alignment)."""
    left = factors.select("date", "asset", *columns)
    right = label.select("date", "asset", pl.col(LABEL))
    if (
        left.height == right.height
        and left.schema["date"] == right.schema["date"]
        and left.get_column("date").equals(right.get_column("date"))
        and left.get_column("asset").equals(right.get_column("asset"))
    ):  # already aligned row by row (frames built from the same panel): no join needed
        return left.with_columns(right.get_column(LABEL))
    return left.join(right, on=["date", "asset"], how="full", coalesce=True)


def _check_method(method: str) -> None:
    if method not in _METHODS:
        from rdq.errors import ConfigError, did_you_mean

        raise ConfigError(
            f"unknown correlation method {method!r}{did_you_mean(method, _METHODS)}; use one of {_METHODS}"
        )


def ic_frame(
    factors: pl.DataFrame,
    label: pl.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    method: CorrMethod = "pearson",
) -> pl.DataFrame:
    """Daily IC of several factor columns at once.

    Returns
    -------
    pl.DataFrame
        ``date`` plus one Float64 column per factor, shape ``(n_dates, 1 + n_factors)``.
    """
    cols = check_factor_frame(factors, columns=columns)
    check_label_frame(label)
    _check_method(method)
    joined = pair_frame(factors, label, cols)
    return daily_corr(joined, [(c, c, LABEL) for c in cols], method=method)


def ic_series(
    factors: pl.DataFrame,
    label: pl.DataFrame,
    *,
    column: str,
    method: CorrMethod = "pearson",
) -> pl.DataFrame:
    """Daily cross-sectional correlation between one factor column and the label.

    Parameters
    ----------
    factors:
        FactorFrame ``date, asset, <factor columns>``.
    label:
        ``date, asset, label`` (e.g. :func:`rdq.signal.default_label`).
    column:
        The factor column.
    method:
        ``"pearson"`` (IC) or ``"spearman"`` (Rank IC).

    Returns
    -------
    pl.DataFrame
        ``date, ic`` sorted by date, one row per date present in either input; ``ic`` is null on
        days with fewer than 2 valid pairs or a constant side.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> d = dt.date(2020, 1, 2)
    >>> f = pl.DataFrame({"date": [d] * 3, "asset": ["A", "B", "C"], "x": [1.0, 2.0, 3.0]})
    >>> y = pl.DataFrame({"date": [d] * 3, "asset": ["A", "B", "C"], "label": [0.1, 0.3, 0.2]})
    >>> ic_series(f, y, column="x", method="spearman")["ic"].to_list()
    [0.5]
    """
    return ic_frame(factors, label, columns=[column], method=method).rename({column: Metric.IC})


@dataclass(frozen=True)
class DailySummary:
    """Summary of a daily metric series (IC, Rank IC, long-short spread, ...) over its defined days.

    Attributes
    ----------
    mean, std:
        Mean and standard deviation (ddof=1) of the defined values (NaN with fewer than 1 / 2 of them).
    ir:
        :func:`icir`; ``tstat``: :func:`t_stat`; ``hit_rate``: :func:`hit_rate`.
    n:
        Number of defined days (a float, as in :func:`ic_summary`'s dict).
    """

    mean: float
    std: float
    ir: float
    tstat: float
    hit_rate: float
    n: float

    def to_dict(self) -> dict[str, float]:
        """``{"mean", "std", "ir", "tstat", "hit_rate", "n"}``."""
        return asdict(self)


def icir(mean: float, std: float, n: int) -> float:
    """Information ratio of a daily series: ``mean / std`` (ICIR, Rank ICIR); NaN with n < 2 or std <= 0.

    Examples
    --------
    >>> icir(0.02, 0.1, 250)
    0.2
    """
    return mean / std if n >= 2 and std > 0 else math.nan


def annualized_icir(mean: float, std: float, n: int, *, days: int) -> float:
    """:func:`icir` scaled by ``sqrt(days)`` (the long-short IR with ``days=252``)."""
    return icir(mean, std, n) * math.sqrt(days)


def t_stat(mean: float, std: float, n: int) -> float:
    """t-statistic of the mean of a daily series: ``icir * sqrt(n)``; NaN where :func:`icir` is."""
    ir = icir(mean, std, n)
    return ir * math.sqrt(n) if not math.isnan(ir) else math.nan


def hit_rate(n_positive: int, n: int) -> float:
    """Share of days with a value > 0; NaN without days."""
    return n_positive / n if n >= 1 else math.nan


def summarize_daily(mean: float | None, std: float | None, n: int, n_positive: int) -> DailySummary:
    """:class:`DailySummary` from the moments of a daily series (``None`` or any value where undefined).

    Parameters
    ----------
    mean, std:
        Mean and std (ddof=1) of the ``n`` defined values; ignored when ``n`` is too small.
    n, n_positive:
        Number of defined values, and of those > 0.
    """
    m = float(mean) if n >= 1 and mean is not None else math.nan
    sd = float(std) if n >= 2 and std is not None else math.nan
    return DailySummary(
        mean=m,
        std=sd,
        ir=icir(m, sd, n),
        tstat=t_stat(m, sd, n),
        hit_rate=hit_rate(n_positive, n),
        n=float(n),
    )


def daily_summary(series: pl.Series) -> DailySummary:
    """:class:`DailySummary` of a daily series (nulls and NaNs skipped)."""
    values = series.cast(pl.Float64).fill_nan(None).drop_nulls()
    n = values.len()
    return summarize_daily(
        values.mean() if n >= 1 else None,  # type: ignore[arg-type]
        values.std(ddof=1) if n >= 2 else None,  # type: ignore[arg-type]
        n,
        int((values > 0).sum()),
    )


def ic_summary(ic: pl.Series) -> dict[str, float]:
    """Summary of a daily IC series (nulls and NaNs skipped): :func:`daily_summary` as a dict.

    Returns
    -------
    dict
        ``mean``, ``std`` (ddof=1), ``ir`` (mean/std), ``tstat`` (ir * sqrt(n)), ``hit_rate`` (share > 0), ``n``.
        Undefined values are ``nan``.
    """
    return daily_summary(ic).to_dict()


def ic_metrics(ic: pl.Series, rank_ic: pl.Series) -> dict[Metric, float]:
    """The IC-family :class:`Metric` values from daily IC and Rank IC series."""
    return ic_family(daily_summary(ic), daily_summary(rank_ic))


def ic_family(a: DailySummary, b: DailySummary) -> dict[Metric, float]:
    """The IC-family :class:`Metric` values from the :class:`DailySummary` of IC ``a`` and Rank IC ``b``."""
    return {
        Metric.IC: a.mean,
        Metric.RANK_IC: b.mean,
        Metric.ICIR: a.ir,
        Metric.RANK_ICIR: b.ir,
        Metric.IC_TSTAT: a.tstat,
        Metric.RANK_IC_TSTAT: b.tstat,
        Metric.IC_HIT_RATE: a.hit_rate,
        Metric.RANK_IC_HIT_RATE: b.hit_rate,
        Metric.N_DAYS: a.n,
    }
