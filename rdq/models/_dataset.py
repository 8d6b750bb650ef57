"""Learning datasets: factors + label -> processed frames split into train / valid / test.

:func:`build_dataset` joins a FactorFrame and a label frame, runs the *infer* processors (used
for every segment, so for prediction too) and then the *learn* processors (training targets:
drop missing labels, rank-normalize the label) on top, qlib's ``DataHandlerLP`` with
``process_type="append"``. Fitted processors learn their state from the **train segment only**,
and no row after ``segments.end`` is ever read::

    factors: date, asset, f1..fk ─┐                ┌─ infer: date, asset, f1..fk, label  (predict)
                                  ├─ join ─ infer ─┤
    label:   date, asset, label ──┘                └─ learn: date, asset, f1..fk, label  (fit)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from rdq.errors import SchemaError
from rdq.models._processors import LABEL, Processor, feature_columns
from rdq.models._segments import SegmentName, Segments

__all__ = ["LearningDataset", "DataKey", "build_dataset", "SCORE_SCHEMA"]

DataKey = Literal["learn", "infer"]

#: schema of a Scores frame (what every model's ``predict`` returns)
SCORE_SCHEMA = {"date": pl.Date, "asset": pl.Utf8, "score": pl.Float64}


@dataclass(frozen=True, eq=False)
class LearningDataset:
    """Processed learning frames and the segments to cut them by.

    Attributes
    ----------
    infer:
        ``date, asset, f1..fk, label`` after the infer processors, all dates up to
        ``segments.end``, sorted by ``(asset, date)``; what models predict on.
    learn:
        ``infer`` after the learn processors (e.g. rows without label dropped, label ranked);
        what models fit on.
    features:
        Feature column names, in order.
    segments:
        The train / valid / test spans.
    infer_processors, learn_processors:
        The fitted processors (fitted on the train segment).
    """

    infer: pl.DataFrame
    learn: pl.DataFrame
    features: tuple[str, ...]
    segments: Segments
    infer_processors: tuple[Processor, ...] = field(default=())
    learn_processors: tuple[Processor, ...] = field(default=())

    def frame(self, segment: SegmentName, *, data: DataKey = "learn") -> pl.DataFrame:
        """Rows of ``segment`` from the ``learn`` or ``infer`` frame."""
        source = self.learn if data == "learn" else self.infer
        return source.filter(self.segments.mask(segment))

    def arrays(
        self, segment: SegmentName, *, data: DataKey = "learn"
    ) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
        """``(keys, x, y)`` of ``segment``.

        Returns
        -------
        keys: pl.DataFrame
            ``date, asset``, shape ``(n, 2)``.
        x: np.ndarray
            float32, shape ``(n, n_features)``, missing -> NaN.
        y: np.ndarray
            float32, shape ``(n,)``, missing -> NaN.
        """
        source = self.learn if data == "learn" else self.infer
        # one lazy query: the segment's rows are cut and cast to float32 without a float64 copy
        frame = (
            source.lazy()
            .filter(self.segments.mask(segment))
            .select("date", "asset", pl.col(list(self.features)).cast(pl.Float32), pl.col(LABEL).cast(pl.Float32))
            .collect()
        )
        x = np.ascontiguousarray(frame.select(self.features).to_numpy(order="c"), dtype=np.float32)
        y = frame.get_column(LABEL).to_numpy().astype(np.float32, copy=False)
        return frame.select("date", "asset"), x, y

    @property
    def calendar(self) -> pl.Series:
        """Sorted unique dates of the ``infer`` frame."""
        return self.infer.get_column("date").unique().sort()


def build_dataset(
    factors: pl.DataFrame,
    label: pl.DataFrame,
    *,
    segments: Segments,
    infer_processors: Sequence[Processor] = (),
    learn_processors: Sequence[Processor] = (),
) -> LearningDataset:
    """Join ``factors`` and ``label``, fit the processors on the train span, and process.

    Parameters
    ----------
    factors:
        FactorFrame ``date, asset, f1..fk`` (numeric feature columns).
    label:
        ``date, asset, label``; rows missing here get a null label.
    segments:
        Train / valid / test spans. Rows after ``segments.end`` are dropped before anything is
        computed, and fitted processors see the train span only.
    infer_processors, learn_processors:
        Processors (unfitted; clones are fitted, the arguments are left untouched).

    Raises
    ------
    SchemaError
        ``date``/``asset``/``label`` missing, a non-numeric feature, or duplicate rows.
    """
    for name, frame, need in (
        ("factors", factors, ("date", "asset")),
        ("label", label, ("date", "asset", LABEL)),
    ):
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise SchemaError(
                f"{name} frame lacks column(s) {missing}; found {frame.columns}",
                column=missing[0],
                fix=f"pass a frame with columns {list(need)}" + (" + features" if name == "factors" else ""),
            )
    feats = [c for c in factors.columns if c not in ("date", "asset", LABEL)]
    if LABEL in factors.columns:
        raise SchemaError(
            "factors frame has a 'label' column",
            column=LABEL,
            fix="rename the factor or drop it from the factors",
        )
    if not feats:
        raise SchemaError("factors frame has no feature columns", fix="add at least one factor column")
    bad = [c for c in feats if not factors.schema[c].is_numeric()]
    if bad:
        raise SchemaError(
            f"feature column {bad[0]!r} is {factors.schema[bad[0]]}, not numeric", column=bad[0]
        )
    end = segments.end
    date_type = factors.schema["date"]
    end_lit = pl.lit(end) if date_type == pl.Date else pl.lit(dt.datetime.combine(end, dt.time.max))
    lab = label.select("date", "asset", pl.col(LABEL).cast(pl.Float64))
    if lab.schema["date"] != date_type:
        lab = lab.with_columns(pl.col("date").cast(date_type))
    in_order = factors.select(
        (
            (pl.col("asset") > pl.col("asset").shift(1))
            | ((pl.col("asset") == pl.col("asset").shift(1)) & (pl.col("date") > pl.col("date").shift(1)))
        )
        .slice(1)
        .all()
    ).item()
    query = (  # one lazy query: a single materialisation of the (large) joined frame
        factors.lazy()
        .filter(pl.col("date") <= end_lit)
        # float32 features stay float32 (half the memory); anything else becomes float64
        .with_columns(
            pl.col(c).cast(pl.Float32 if factors.schema[c] == pl.Float32 else pl.Float64).fill_nan(None)
            for c in feats
        )
        .join(lab.lazy(), on=["date", "asset"], how="left", maintain_order="left")
        .with_columns(pl.col(LABEL).fill_nan(None))
    )
    # a FactorFrame from rdq.factors is already sorted by (asset, date): no second copy for a sort
    frame = (query if in_order else query.sort("asset", "date")).collect()
    # sorted by (asset, date): a duplicate is a row equal to the one before it
    dup = frame.select(
        ((pl.col("date") == pl.col("date").shift(1)) & (pl.col("asset") == pl.col("asset").shift(1))).any()
    ).item()
    if dup:
        raise SchemaError(
            "factors or label frame has duplicate (date, asset) rows",
            fix="de-duplicate with .unique(['date', 'asset'])",
        )
    train_mask = segments.mask("train")
    fitted_infer: list[Processor] = []
    for proc in infer_processors:
        p = proc.clone()
        p.fit(frame.filter(train_mask))
        frame = p.transform(frame)
        fitted_infer.append(p)
    learn = frame
    fitted_learn: list[Processor] = []
    for proc in learn_processors:
        p = proc.clone()
        p.fit(learn.filter(train_mask))
        learn = p.transform(learn)
        fitted_learn.append(p)
    return LearningDataset(
        infer=frame,
        learn=learn,
        features=tuple(feature_columns(frame)),
        segments=segments,
        infer_processors=tuple(fitted_infer),
        learn_processors=tuple(fitted_learn),
    )
