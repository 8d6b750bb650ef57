"""SignalReport / FactorSignal ``_repr_html_``: the notebook table shows the report's real numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from html_tables import parse_tables

from rdq.signal import Metric, signal_report


def _daily_ic(factors: pl.DataFrame, label: pl.DataFrame, column: str, *, rank: bool) -> pd.Series:
    """Slow reference: per day, Pearson (or Spearman) over the assets where both sides are present."""
    df = factors.join(label, on=["date", "asset"]).to_pandas()
    out = {}
    for day, g in df.groupby("date"):
        g = g[[column, "label"]].dropna()
        if len(g) < 2 or g[column].nunique() < 2 or g["label"].nunique() < 2:
            continue
        x, y = (g[column].rank(), g["label"].rank()) if rank else (g[column], g["label"])
        out[day] = float(np.corrcoef(x, y)[0, 1])
    return pd.Series(out)


def test_report_html_shows_the_report_numbers(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    factors, label = frames
    report = signal_report(factors, label, horizons=())
    (table,) = parse_tables(report._repr_html_())
    assert table.header[:5] == ["factor", "IC", "RankIC", "ICIR", "RkICIR"]
    assert [r[0].text for r in table.rows] == ["f", "g"]
    for col in ("f", "g"):
        ic = _daily_ic(factors, label, col, rank=False)
        ric = _daily_ic(factors, label, col, rank=True)
        row = table.row(col)
        assert row["IC"].value == pytest.approx(ic.mean(), rel=1e-12)
        assert row["RankIC"].value == pytest.approx(ric.mean(), rel=1e-12)
        assert row["ICIR"].value == pytest.approx(ic.mean() / ic.std(ddof=1), rel=1e-10)
        assert row["IC>0"].value == pytest.approx((ic > 0).mean(), rel=1e-12)
        # the display is the terminal table's rounding of the same number
        assert row["IC"].text == f"{ic.mean():.4f}"
        assert row["IC>0"].text == f"{(ic > 0).mean():.1%}"
        assert row["L-S bp"].value == report[col][Metric.LONG_SHORT]
        assert row["L-S bp"].text == f"{report[col][Metric.LONG_SHORT] * 1e4:.2f}"


def test_report_html_decay_columns_and_missing_values() -> None:
    dates = pl.date_range(pl.date(2021, 1, 4), pl.date(2021, 3, 1), eager=True)
    assets = [f"A{i}" for i in range(8)]
    rng = np.random.default_rng(1)
    panel = pl.DataFrame(
        {
            "date": np.repeat(dates.to_numpy(), len(assets)),
            "asset": np.tile(assets, len(dates)),
            "close": 10 * np.exp(np.cumsum(rng.normal(0, 0.02, len(dates) * len(assets)))),
        }
    ).with_columns(pl.col("date").cast(pl.Date)).sort("asset", "date")
    factors = panel.select("date", "asset", pl.col("close").alias("px"), pl.lit(None, pl.Float64).alias("empty"))
    report = signal_report(factors, panel=panel, horizons=(1, 3))
    (table,) = parse_tables(report._repr_html_())
    assert table.header[-2:] == ["RankIC h1", "RankIC h3"]
    px = table.row("px")
    assert px["RankIC h3"].value == report["px"].rank_ic_decay[3]
    # h1 is the report's own label
    assert px["RankIC h1"].value == pytest.approx(report["px"][Metric.RANK_IC], rel=1e-12)
    empty = table.row("empty")
    assert empty["IC"].text == "-" and math.isnan(empty["IC"].value or 0.0)


def test_factor_signal_html_lists_every_metric(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    factors, label = frames
    sig = signal_report(factors, label, horizons=(), quantiles=4)["f"]
    (table,) = parse_tables(sig._repr_html_())
    assert table.caption == "Signal of f"
    names = [r[0].text for r in table.rows]
    assert names[: len(sig.metrics)] == [m.value for m in sig.metrics]
    assert names[len(sig.metrics) :] == ["q1", "q2", "q3", "q4"]
    assert table.row("ic")["value"].value == sig[Metric.IC]
    assert table.row("q4")["value"].value == sig.quantile_returns[3]
