"""Property tests for the processors: generated panels, with empty / single-asset / all-missing cases pinned."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rdq.models import CSRankNorm, CSZScoreNorm, Fillna, RobustZScoreNorm

values = st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False))


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    n_dates = draw(st.integers(0, 4))
    n_assets = draw(st.integers(1, 6))
    rows = []
    for d in range(n_dates):
        for a in range(n_assets):
            rows.append((dt.date(2020, 1, 1) + dt.timedelta(days=d), f"A{a}", draw(values), draw(values)))
    return pl.DataFrame(
        rows, schema={"date": pl.Date, "asset": pl.Utf8, "f0": pl.Float64, "label": pl.Float64}, orient="row"
    )


EMPTY = pl.DataFrame(schema={"date": pl.Date, "asset": pl.Utf8, "f0": pl.Float64, "label": pl.Float64})
ONE_ASSET = pl.DataFrame(
    {
        "date": [dt.date(2020, 1, 1), dt.date(2020, 1, 2)],
        "asset": ["A", "A"],
        "f0": [1.0, 2.0],
        "label": [0.1, None],
    }
)
ALL_MISSING = pl.DataFrame(
    {
        "date": [dt.date(2020, 1, 1)] * 3,
        "asset": ["A", "B", "C"],
        "f0": [None, None, None],
        "label": [None, None, None],
    },
    schema_overrides={"f0": pl.Float64, "label": pl.Float64},
)


@settings(max_examples=40, deadline=None)
@given(frames())
@example(EMPTY)
@example(ONE_ASSET)
@example(ALL_MISSING)
def test_cs_rank_norm_bounds_nulls_and_monotone_invariance(frame: pl.DataFrame) -> None:
    out = CSRankNorm(fields_group="feature").transform(frame)
    assert out.height == frame.height and out["f0"].null_count() == frame["f0"].null_count()
    v = out["f0"].drop_nulls().to_numpy()
    assert np.all((v > -1.73 - 1e-12) & (v <= 1.73 + 1e-12))
    # a strictly increasing transform of the input does not change ranks
    squashed = frame.with_columns(pl.col("f0").arctan())
    assert CSRankNorm(fields_group="feature").transform(squashed)["f0"].equals(out["f0"])
    assert out["label"].equals(frame["label"])  # other group untouched


@settings(max_examples=40, deadline=None)
@given(frames())
@example(EMPTY)
@example(ONE_ASSET)
@example(ALL_MISSING)
def test_cs_zscore_has_zero_mean_unit_std_per_date(frame: pl.DataFrame) -> None:
    out = CSZScoreNorm(fields_group="feature").transform(frame)
    stats = (
        out.group_by("date")
        .agg(pl.col("f0").mean().alias("m"), pl.col("f0").std().alias("s"), pl.col("f0").count().alias("n"))
        .join(
            frame.group_by("date").agg(pl.col("f0").n_unique().alias("u"), pl.col("f0").std().alias("s0")),
            on="date",
        )
        .filter((pl.col("n") >= 2) & (pl.col("s0") > 1e-3))
    )
    assert np.allclose(stats["m"].to_numpy(), 0.0, atol=1e-9)
    assert np.allclose(stats["s"].to_numpy(), 1.0, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(frames(), frames())
@example(ONE_ASSET, EMPTY)
@example(ALL_MISSING, ONE_ASSET)
def test_robust_zscore_is_row_wise_and_clipped(train: pl.DataFrame, other: pl.DataFrame) -> None:
    p = RobustZScoreNorm(fields_group="feature", clip_outlier=True)
    if train.height == 0:
        return
    p.fit(train)
    both = p.transform(pl.concat([train, other]))
    assert both.equals(pl.concat([p.transform(train), p.transform(other)]))  # no cross-row dependence
    v = both["f0"].drop_nulls().drop_nans().to_numpy()
    assert np.all(np.abs(v) <= 3.0)
    filled = Fillna(fields_group="feature").transform(both)
    assert filled["f0"].null_count() == 0 and not filled["f0"].is_nan().any()
