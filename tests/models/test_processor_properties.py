"""Property tests for the processors: generated panels, with empty / single-asset / all-missing cases pinned."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rdq.models import CSRankNorm, CSZScoreNorm, Fillna, RobustZScoreNorm
from rdq.models._processors import keep_rows

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


THREE = pl.DataFrame(
    {"date": [dt.date(2020, 1, 1)] * 3, "asset": ["A", "B", "C"], "f0": [17.0, 7.0, 0.0], "label": [0.1, 0.2, 0.3]}
)


def _relaid(frame: pl.DataFrame, cut: int, kind: str) -> pl.DataFrame:
    """``frame`` cut into two chunks at row ``cut``: every column (``"aligned"``) or all but
    ``asset`` (``"misaligned"``, as a FactorFrame whose columns were computed in groups)."""
    two = pl.concat([frame.slice(0, cut), frame.slice(cut)], rechunk=False)
    if kind == "aligned":
        return two
    return pl.DataFrame([frame.get_column(c) if c == "asset" else two.get_column(c) for c in frame.columns])


def _eager_reference(frame: pl.DataFrame, proc: object) -> pl.DataFrame:
    """What each processor computed before: one eager ``with_columns`` over the whole frame."""
    x = pl.col("f0").fill_nan(None)
    if isinstance(proc, CSZScoreNorm) and proc.method == "zscore":
        out = (x - x.mean().over("date")) / x.std(ddof=1).over("date")
    elif isinstance(proc, CSZScoreNorm):
        dev = x - x.median().over("date")
        out = (dev / dev.abs().median().over("date") / 1.4826).clip(-3.0, 3.0)
    elif isinstance(proc, CSRankNorm):
        out = (x.rank("average").over("date") / x.count().over("date") - 0.5) * 3.46
    else:
        assert isinstance(proc, RobustZScoreNorm)
        out = ((x - float(proc.center_[0])) / float(proc.scale_[0])).clip(-3.0, 3.0).fill_nan(None)
    return frame.with_columns(out.alias("f0"))


@settings(max_examples=60, deadline=None)
@given(frames(), st.integers(0, 30), st.sampled_from(["aligned", "misaligned"]))
@example(ONE_ASSET, 1, "aligned")
@example(ALL_MISSING, 2, "misaligned")
@example(THREE, 2, "aligned")  # a one-row chunk: polars divides it exactly, longer ones by the reciprocal
@example(THREE, 2, "misaligned")
def test_processors_give_the_eager_values_on_any_chunk_layout(frame: pl.DataFrame, cut: int, kind: str) -> None:
    """Processors evaluate on the columns they read only (no rechunk of the whole frame): the same
    bits as the eager ``with_columns`` on the whole frame, however the frame is chunked."""
    if frame.height == 0:
        return
    relaid = _relaid(frame, min(cut, frame.height), kind)
    robust = RobustZScoreNorm(fields_group="feature").fit(frame)
    for proc in (CSZScoreNorm(fields_group="feature"), CSZScoreNorm(fields_group="feature", method="robust"),
                 CSRankNorm(fields_group="feature"), robust):
        got, want = proc.transform(relaid), _eager_reference(relaid, proc)  # type: ignore[attr-defined]
        assert got.columns == want.columns
        a, b = got["f0"].fill_null(0.0).to_numpy(), want["f0"].fill_null(0.0).to_numpy()
        assert got["f0"].is_null().equals(want["f0"].is_null())
        np.testing.assert_array_equal(a.view(np.uint64), b.view(np.uint64))
        assert got.drop("f0").equals(relaid.drop("f0"))


@settings(max_examples=60, deadline=None)
@given(frames(), st.lists(st.booleans(), min_size=0, max_size=40), st.integers(1, 4))
@example(ONE_ASSET, [True, True], 1)
@example(ONE_ASSET, [False, False], 1)
def test_keep_rows_equals_filter(frame: pl.DataFrame, mask: list[bool], min_run: int) -> None:
    """``keep_rows`` (zero-copy slices of the runs of kept rows) returns exactly ``frame.filter``."""
    keep = np.resize(np.array(mask or [True], dtype=bool), frame.height)
    got = keep_rows(frame, keep, min_run=min_run)
    assert got.equals(frame.filter(pl.Series(keep, dtype=pl.Boolean)))
    assert got.schema == frame.schema
