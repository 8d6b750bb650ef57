"""build_dataset: joins, segments, processors fitted on train only, no look-ahead."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from models_helpers import day, segments_for

from rdq.errors import SchemaError
from rdq.models import (
    CSRankNorm,
    CSZScoreNorm,
    DropnaLabel,
    Fillna,
    LGBMModel,
    Processor,
    RobustZScoreNorm,
    RollingSplitter,
    Segments,
    build_dataset,
    rolling_predict,
)
from rdq.models._processors import LABEL

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


# --------------------------------------------------------------------------- memory-saving paths


def _layout(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """``frame`` with the same values in another chunk layout.

    ``"single"``: one chunk per column; ``"factor"``: keys in one chunk, features in two (what
    ``rdq.factors.compute`` returns: columns chunked differently); ``"aligned"``: every column in the
    same three chunks.
    """
    if kind == "single":
        return frame.rechunk()
    if kind == "aligned":
        a, b = frame.height // 3, 2 * frame.height // 3
        return pl.concat([frame.slice(0, a), frame.slice(a, b - a), frame.slice(b)], rechunk=False)
    split = pl.concat([frame.slice(0, frame.height // 2), frame.slice(frame.height // 2)], rechunk=False)
    return pl.DataFrame([frame.get_column(c).rechunk() if c in ("date", "asset") else split.get_column(c)
                         for c in frame.columns])


def _reference(
    factors: pl.DataFrame, label: pl.DataFrame, *, segments: Segments, infer: list[Processor], learn: list[Processor]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(infer, learn)`` the straightforward way: every column joined, sorted and filtered as copies."""
    feats = [c for c in factors.columns if c not in ("date", "asset")]
    frame = (
        factors.lazy()
        .filter(pl.col("date") <= pl.lit(segments.end))
        .with_columns(
            pl.col(c).cast(pl.Float32 if factors.schema[c] == pl.Float32 else pl.Float64).fill_nan(None)
            for c in feats
        )
        .join(label.lazy().with_columns(pl.col(LABEL).cast(pl.Float64)), on=["date", "asset"], how="left")
        .with_columns(pl.col(LABEL).fill_nan(None))
        .sort("asset", "date")
        .collect()
    )
    train = segments.mask("train")
    for proc in infer:
        p = proc.clone().fit(frame.filter(train))
        frame = p.transform(frame)
    out = frame
    for proc in learn:
        p = proc.clone().fit(out.filter(train))
        out = p.transform(out)
    return frame, out


def _assert_same_bits(a: pl.DataFrame, b: pl.DataFrame) -> None:
    """Same columns, dtypes, nulls and, for floats, the same bits."""
    assert a.columns == b.columns and a.schema == b.schema and a.height == b.height
    for c in a.columns:
        sa, sb = a.get_column(c), b.get_column(c)
        assert sa.is_null().equals(sb.is_null()), c
        if sa.dtype.is_float():
            xa, xb = sa.fill_null(0).to_numpy(), sb.fill_null(0).to_numpy()
            np.testing.assert_array_equal(xa.view(f"u{xa.itemsize}"), xb.view(f"u{xb.itemsize}"), err_msg=c)
        else:
            assert sa.equals(sb), c


def _messy_set(small_set: tuple[pl.DataFrame, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame, Segments]:
    """Float32 factors with nulls and NaN, a float64 and an int feature, rows after the test span,
    and a label with NaN, nulls and missing rows."""
    factors, label = small_set
    feats = [c for c in factors.columns if c not in ("date", "asset")]
    rng = np.random.default_rng(5)
    f = factors.with_columns(pl.col(feats[:4]).cast(pl.Float32)).with_columns(
        pl.when(pl.Series(rng.random(factors.height) < 0.02)).then(float("nan")).otherwise(pl.col("f1")).alias("f1"),
        (pl.col("f5") * 10).round().cast(pl.Int32).alias("f5"),
    )
    lab = label.with_columns(
        pl.when(pl.Series(rng.random(label.height) < 0.03)).then(float("nan")).otherwise(pl.col(LABEL)).alias(LABEL)
    ).filter(pl.Series(rng.random(label.height) > 0.02))
    return f, lab, segments_for(110)  # the last 10 days lie after the test span


@pytest.mark.parametrize("layout", ["single", "factor", "aligned"])
@pytest.mark.parametrize(
    ("infer", "learn"),
    [([], [DropnaLabel(), CSZScoreNorm(fields_group="label")]), (INFER, LEARN)],
    ids=["alpha158", "robust+rank"],
)
def test_dataset_and_arrays_equal_the_straightforward_copies(
    small_set: tuple[pl.DataFrame, pl.DataFrame], layout: str, infer: list[Processor], learn: list[Processor]
) -> None:
    """The memory-saving build (shared columns, label attached, rows kept as slices) and the
    column-by-column ``arrays`` give bit-identical frames, matrices, labels and row order."""
    factors, label, seg = _messy_set(small_set)
    factors = _layout(factors, layout)
    ds = build_dataset(factors, label, segments=seg, infer_processors=infer, learn_processors=learn)
    ref_infer, ref_learn = _reference(factors, label, segments=seg, infer=infer, learn=learn)
    _assert_same_bits(ds.infer, ref_infer)
    _assert_same_bits(ds.learn, ref_learn)
    for data, ref in (("learn", ref_learn), ("infer", ref_infer)):
        for seg_name in ("train", "valid", "test"):
            rows = ref.filter(seg.mask(seg_name)).rechunk()
            x_ref = rows.select(pl.col(list(ds.features)).cast(pl.Float32)).to_numpy(order="c")
            y_ref = rows.get_column(LABEL).cast(pl.Float32).to_numpy()
            for labelled in (False, True):
                keep = ~np.isnan(y_ref) if labelled else np.ones(rows.height, dtype=bool)
                for order in ("C", "F"):
                    keys, x, y = ds.arrays(seg_name, data=data, order=order, labelled=labelled)  # type: ignore[arg-type]
                    assert x.dtype == np.float32 and y.dtype == np.float32
                    assert x.flags["C_CONTIGUOUS" if order == "C" else "F_CONTIGUOUS"]
                    assert keys.equals(rows.select("date", "asset").filter(pl.Series(keep)))
                    np.testing.assert_array_equal(x.view(np.uint32), x_ref[keep].view(np.uint32))
                    np.testing.assert_array_equal(y.view(np.uint32), y_ref[keep].view(np.uint32))


def _buffers(s: pl.Series) -> set[int]:
    """Addresses of the value buffers behind ``s`` (a slice reports its parent's buffer)."""
    return {chunk.buffers()[1].address for chunk in s.to_frame().to_arrow().column(0).chunks}


def test_dataset_shares_the_factor_frames_memory(small_set: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """Nothing to change in a FactorFrame (sorted float32, no NaN, nothing after the test span):
    ``infer`` reads the factor frame's own buffers and ``learn`` (rows with a label) slices of them."""
    factors, label = small_set
    feats = [c for c in factors.columns if c not in ("date", "asset")]
    factors = _layout(factors.with_columns(pl.col(feats).cast(pl.Float32)), "factor")
    seg = segments_for(120)
    ds = build_dataset(
        factors, label.filter(pl.col("date") <= pl.lit(day(117))), segments=seg,
        learn_processors=[DropnaLabel(), CSZScoreNorm(fields_group="label")],
    )
    assert ds.learn.height < ds.infer.height == factors.height
    for c in feats:
        assert _buffers(ds.infer.get_column(c)) == _buffers(factors.get_column(c))
        assert _buffers(ds.learn.get_column(c)) <= _buffers(factors.get_column(c))
