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
        return source.lazy().filter(self.segments.mask(segment)).collect()

    def arrays(
        self,
        segment: SegmentName,
        *,
        data: DataKey = "learn",
        order: Literal["C", "F"] = "C",
        labelled: bool = False,
    ) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
        """``(keys, x, y)`` of ``segment``.

        ``x`` is filled column by column from the frame's columns into one preallocated array (no
        intermediate copy of the segment), so the peak memory is ``x`` plus one column.

        Parameters
        ----------
        segment:
            ``"train"``, ``"valid"`` or ``"test"``.
        data:
            Rows of the ``learn`` or the ``infer`` frame.
        order:
            Memory layout of ``x``: row-major ``"C"``, or column-major ``"F"`` (what LightGBM reads
            without a copy; filled faster).
        labelled:
            Only the rows that have a label (``y`` then holds no NaN).

        Returns
        -------
        keys: pl.DataFrame
            ``date, asset``, shape ``(n, 2)``.
        x: np.ndarray
            float32, shape ``(n, n_features)``, missing -> NaN, C- or F-contiguous as ``order`` says.
        y: np.ndarray
            float32, shape ``(n,)``, missing -> NaN.
        """
        source = self.learn if data == "learn" else self.infer
        keep_expr = self.segments.mask(segment)
        if labelled:
            keep_expr = keep_expr & pl.col(LABEL).is_not_null()
            if source.schema[LABEL].is_float():
                keep_expr = keep_expr & ~pl.col(LABEL).is_nan()
        keep = source.lazy().select(keep_expr.fill_null(False).alias("keep")).collect().to_series()
        n_rows = int(keep.sum())
        whole = n_rows == source.height  # every row: columns are read in place, nothing filtered

        def rows(col: pl.Series) -> pl.Series:
            return col if whole else col.filter(keep)

        x = np.empty((n_rows, len(self.features)), dtype=np.float32, order=order)
        for j, name in enumerate(self.features):  # one column at a time: transient memory is one column
            x[:, j] = rows(source.get_column(name)).cast(pl.Float32).to_numpy()
        y = np.ascontiguousarray(rows(source.get_column(LABEL)).cast(pl.Float32).to_numpy(), dtype=np.float32)
        keys = source.lazy().select("date", "asset").collect()
        return (keys if whole else keys.filter(keep)), x, y

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
    # Memory: every query on the large frames is lazy (an eager select/with_columns on a frame whose
    # columns are chunked differently first rechunks every column: a full copy), and the feature
    # columns of the result share their buffers with ``factors`` whenever there is nothing to change
    # (no row after ``end``, float32/float64 already, no NaN, sorted already): polars then neither
    # filters, casts nor fills. Only the keys meet the label in the join; the label column is then
    # attached, instead of joining (and so copying) every feature column.
    in_order = (
        factors.lazy()
        .select(
            (
                (pl.col("asset") > pl.col("asset").shift(1))
                | ((pl.col("asset") == pl.col("asset").shift(1)) & (pl.col("date") > pl.col("date").shift(1)))
            )
            .slice(1)
            .all()
        )
        .collect()
        .item()
    )
    base = (
        factors.lazy()
        .filter(pl.col("date") <= end_lit)
        # float32 features stay float32 (half the memory); anything else becomes float64
        .with_columns(
            pl.col(c).cast(pl.Float32 if factors.schema[c] == pl.Float32 else pl.Float64).fill_nan(None)
            for c in feats
        )
    )
    # a FactorFrame from rdq.factors is already sorted by (asset, date): no second copy for a sort
    frame = (base if in_order else base.sort("asset", "date")).collect()
    keys = frame.lazy().select("date", "asset")
    label_col = (
        keys.join(lab.lazy(), on=["date", "asset"], how="left", maintain_order="left")
        .select(pl.col(LABEL).fill_nan(None))
        .collect()
        .to_series()
    )
    # sorted by (asset, date): a duplicate is a row equal to the one before it (a duplicate label
    # row makes the join longer)
    dup = (
        label_col.len() != frame.height
        or keys.select(
            (
                (pl.col("date") == pl.col("date").shift(1)) & (pl.col("asset") == pl.col("asset").shift(1))
            ).any()
        )
        .collect()
        .item()
    )
    if dup:
        raise SchemaError(
            "factors or label frame has duplicate (date, asset) rows",
            fix="de-duplicate with .unique(['date', 'asset'])",
        )
    frame = frame.hstack([label_col])
    train_mask = segments.mask("train")
    fitted_infer: list[Processor] = []
    for proc in infer_processors:
        p = _fit_on(proc.clone(), frame, train_mask)
        frame = p.transform(frame)
        fitted_infer.append(p)
    learn = frame
    fitted_learn: list[Processor] = []
    for proc in learn_processors:
        p = _fit_on(proc.clone(), learn, train_mask)
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


def _fit_on(proc: Processor, frame: pl.DataFrame, train_mask: pl.Expr) -> Processor:
    """``proc`` fitted on the train rows of ``frame`` (not even read when its ``fit`` is a no-op)."""
    if type(proc).fit is Processor.fit:
        return proc
    return proc.fit(frame.lazy().filter(train_mask).collect())
