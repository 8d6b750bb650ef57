"""build_dataset: joins, segments, processors fitted on train only, no look-ahead."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from models_helpers import day, segments_for

from rdq.errors import SchemaError
from rdq.models import (
    CSRankNorm,
    DropnaLabel,
    Fillna,
    LGBMModel,
    RobustZScoreNorm,
    RollingSplitter,
    build_dataset,
    rolling_predict,
)

INFER = [RobustZScoreNorm(fields_group="feature"), Fillna(fields_group="feature")]
LEARN = [DropnaLabel(), CSRankNorm(fields_group="label")]


def _perturb_after(frame: pl.DataFrame, cut: int, *, scale: float = 50.0, shift: float = 7.0) -> pl.DataFrame:
    cols = [c for c in frame.columns if c not in ("date", "asset")]
    late = pl.col("date") > pl.lit(day(cut))
    return frame.with_columns(
        pl.when(late).then(pl.col(c) * scale + shift).otherwise(pl.col(c)).alias(c) for c in cols
    )


def test_dataset_segments_and_arrays(small_set: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    factors, label = small_set
    seg = segments_for(120)
    ds = build_dataset(
        factors,
        label.filter(pl.col("date") != pl.lit(day(3))),
        segments=seg,
        infer_processors=INFER,
        learn_processors=LEARN,
    )
    assert ds.features == tuple(f"f{i}" for i in range(6))
    keys, x, y = ds.arrays("train")
    assert x.shape == (keys.height, 6) and x.dtype == np.float32 and y.shape == (keys.height,)
    assert keys["date"].max() <= seg.train[1]
    # DropnaLabel acts on learn only: day 3 has no labels
    assert ds.frame("train").filter(pl.col("date") == pl.lit(day(3))).height == 0
    assert ds.frame("train", data="infer").filter(pl.col("date") == pl.lit(day(3))).height == 40
    # Fillna: no missing features left; CSRankNorm: labels in [-1.73, 1.73]
    assert not np.isnan(x).any()
    assert np.abs(y).max() <= 3.46 / 2 + 1e-6
    # the infer processors were fitted on the train span: the fitted center equals the train median
    train_raw = factors.filter(pl.col("date") <= pl.lit(seg.train[1]))["f1"].to_numpy()
    assert ds.infer_processors[0].center_[1] == pytest.approx(np.nanmedian(train_raw))  # type: ignore[attr-defined]


def test_fitted_processors_do_not_see_the_future(small_set: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    factors, label = small_set
    seg = segments_for(120)
    base = build_dataset(factors, label, segments=seg, infer_processors=INFER, learn_processors=LEARN)
    # change everything after the train span: fitted params and train/valid outputs must not change
    changed = build_dataset(
        _perturb_after(factors, 71),
        _perturb_after(label, 71),
        segments=seg,
        infer_processors=INFER,
        learn_processors=LEARN,
    )
    for a, b in zip(base.infer_processors, changed.infer_processors, strict=True):
        if hasattr(a, "center_"):
            np.testing.assert_array_equal(a.center_, b.center_)  # type: ignore[attr-defined]
            np.testing.assert_array_equal(a.scale_, b.scale_)  # type: ignore[attr-defined]
    assert base.frame("train").equals(changed.frame("train"))
    assert base.frame("train", data="infer").equals(changed.frame("train", data="infer"))
    # and rows after segments.end are never read
    extra = factors.with_columns(pl.col("date") + pl.duration(days=365))
    longer = build_dataset(
        pl.concat([factors, extra]), label, segments=seg, infer_processors=INFER, learn_processors=LEARN
    )
    assert longer.infer.equals(base.infer)


def test_rolling_predictions_do_not_see_the_future(small_set: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    factors, label = small_set
    model = LGBMModel(
        num_boost_round=20, num_leaves=8, lambda_l1=0.0, lambda_l2=1.0, num_threads=1, learning_rate=0.1
    )
    splitter = RollingSplitter(step=20, train_span=50, valid_span=20)
    base = rolling_predict(
        model, factors, label, splitter=splitter, infer_processors=INFER, learn_processors=LEARN
    )
    assert base["date"].min() == day(70) and base["date"].max() == day(119)
    assert base.height == 50 * 40
    cut = 89  # change data after day 89: scores up to day 89 must be identical
    changed = rolling_predict(
        model,
        _perturb_after(factors, cut),
        _perturb_after(label, cut),
        splitter=splitter,
        infer_processors=INFER,
        learn_processors=LEARN,
    )
    early = pl.col("date") <= pl.lit(day(cut))
    assert base.filter(early).equals(changed.filter(early))
    assert not base.filter(~early).equals(changed.filter(~early))


def test_dataset_input_errors(small_set: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    factors, label = small_set
    seg = segments_for(120)
    with pytest.raises(SchemaError, match="lacks column"):
        build_dataset(factors, label.rename({"label": "y"}), segments=seg)
    with pytest.raises(SchemaError, match="not numeric"):
        build_dataset(factors.with_columns(pl.lit("x").alias("bad")), label, segments=seg)
    with pytest.raises(SchemaError, match="duplicate"):
        build_dataset(pl.concat([factors, factors.head(3)]), label, segments=seg)


def test_float32_features_stay_float32_and_match_float64(small_set: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """The pipeline keeps factor values in float32: same processed values (to float32 precision), half the memory."""
    factors, label = small_set
    feats = [c for c in factors.columns if c not in ("date", "asset")]
    f32 = factors.with_columns(pl.col(feats).cast(pl.Float32))
    procs = [RobustZScoreNorm(fields_group="feature", clip_outlier=True), Fillna(fields_group="feature")]
    seg = segments_for(120)
    a = build_dataset(f32, label, segments=seg, infer_processors=procs, learn_processors=[DropnaLabel()])
    b = build_dataset(f32.with_columns(pl.col(feats).cast(pl.Float64)), label, segments=seg,
                      infer_processors=procs, learn_processors=[DropnaLabel()])
    assert all(a.infer.schema[c] == pl.Float32 for c in feats)
    for seg_name in ("train", "test"):
        _, xa, ya = a.arrays(seg_name)
        _, xb, yb = b.arrays(seg_name)
        np.testing.assert_allclose(xa, xb, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(ya, yb)


def test_row_order_of_the_inputs_does_not_matter(small_set: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """Sorted FactorFrames skip the sort; shuffled ones are sorted: both give the same dataset."""
    factors, label = small_set
    seg = segments_for(120)
    a = build_dataset(factors, label, segments=seg, infer_processors=INFER, learn_processors=LEARN)
    b = build_dataset(
        factors.sample(fraction=1.0, shuffle=True, seed=1), label.sample(fraction=1.0, shuffle=True, seed=2),
        segments=seg, infer_processors=INFER, learn_processors=LEARN,
    )
    assert a.infer.equals(b.infer) and a.learn.equals(b.learn)
    assert a.infer.select("asset", "date").equals(a.infer.select("asset", "date").sort("asset", "date"))
