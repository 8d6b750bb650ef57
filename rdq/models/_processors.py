"""Cross-sectional and fitted processors for learning datasets (qlib's ``processor.py`` on polars).

Every processor is an estimator: settings are stored untouched in ``__init__``, learned state is
set by :meth:`Processor.fit` in attributes ending in ``_``, and ``fit`` returns ``self``. A
processor works on a frame::

    date        asset   f1      f2   ...  label
    pl.Date     Utf8    f64     f64       f64
    2015-01-05  AAPL    0.12    -1.3      0.004

``fields_group`` picks the columns: ``"feature"`` (every column but ``date``, ``asset`` and
``label``), ``"label"``, or ``None`` (all of them, as in qlib). NaN is treated as missing, like
null (qlib's pandas semantics); outputs use null for missing.

Cross-sectional processors (``CSZScoreNorm``, ``CSRankNorm``, ``CSZFillna``, ``ProcessInf``)
only look at one date at a time, so they cannot leak the future. Fitted processors
(``RobustZScoreNorm``, ``ZScoreNorm``) learn their statistics in ``fit`` from whatever frame they
are given: :func:`rdq.models.build_dataset` gives them the train span only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, ClassVar, Literal, Self

import numpy as np
import polars as pl

from rdq.errors import ConfigError, SchemaError, did_you_mean

__all__ = [
    "LABEL",
    "FieldsGroup",
    "Processor",
    "Fillna",
    "ProcessInf",
    "CSZScoreNorm",
    "CSRankNorm",
    "CSZFillna",
    "RobustZScoreNorm",
    "ZScoreNorm",
    "DropnaLabel",
    "PROCESSORS",
    "make_processor",
    "feature_columns",
]

#: name of the label column in a learning frame
LABEL = "label"
#: qlib's ``EPS`` (added to the MAD in ``RobustZScoreNorm``)
EPS = 1e-12

FieldsGroup = Literal["feature", "label"] | None
_KEYS = ("date", "asset")


def feature_columns(frame: pl.DataFrame) -> list[str]:
    """Feature column names of a learning frame: all but ``date``, ``asset`` and ``label``."""
    return [c for c in frame.columns if c not in _KEYS and c != LABEL]


def _chunks_misaligned(frame: pl.DataFrame) -> bool:
    """Whether polars rechunks ``frame`` before an eager ``select``/``with_columns`` (its columns are
    chunked differently, or there are more chunks than rows)."""
    first: list[int] | None = None
    for s in frame.get_columns():
        lengths = [c.len() for c in s.get_chunks()] if s.n_chunks() > 1 else [s.len()]
        if first is None:
            first = lengths
            if len(first) > frame.height and not (frame.height == 0 and len(first) == 1):
                return True
        elif lengths != first:
            return True
    return False


def _narrow(frame: pl.DataFrame, exprs: list[pl.Expr]) -> pl.DataFrame:
    """The columns of ``frame`` that ``exprs`` read (and ``date``), chunked as an eager call would see them.

    Polars rechunks *every* column of a frame whose columns are chunked differently (a FactorFrame
    computed in groups of columns, a frame with a label column attached, rows kept as slices by
    :func:`keep_rows`) before an eager ``select``/``with_columns``: a transient copy of the whole
    frame, and a result that shares no memory with it. Evaluating the same eager expressions on just
    the columns they read, rechunked exactly when polars would rechunk the whole frame (a small copy),
    gives the same values, down to the bit, without touching the other columns.
    """
    names = dict.fromkeys(["date"] if "date" in frame.columns else [])
    for e in exprs:
        roots = e.meta.root_names()
        if not roots or e.meta.has_multiple_outputs():
            return frame  # cannot tell what it reads: the whole frame, as before
        names.update(dict.fromkeys(roots))
    narrow = pl.DataFrame([frame.get_column(c) for c in names])
    return narrow.rechunk() if _chunks_misaligned(frame) else narrow


def _with_columns(frame: pl.DataFrame, exprs: Iterable[pl.Expr]) -> pl.DataFrame:
    """``frame.with_columns(exprs)`` (eager, same values) without copying the columns it leaves alone.

    See :func:`_narrow`: the new columns are computed on the columns they read and put in place
    (or appended, as ``with_columns`` does); every other column is ``frame``'s own, shared.
    """
    exprs = list(exprs)
    narrow = _narrow(frame, exprs)
    if narrow is frame:
        return frame.with_columns(exprs)
    out = narrow.with_columns(exprs)
    made = {e.meta.output_name(): out.get_column(e.meta.output_name()) for e in exprs}
    columns = [made.pop(c) if c in made else frame.get_column(c) for c in frame.columns]
    return pl.DataFrame([*columns, *made.values()])


def _select(frame: pl.DataFrame, exprs: Iterable[pl.Expr]) -> pl.DataFrame:
    """``frame.select(exprs)`` (eager, same values), reading only the columns the expressions use."""
    exprs = list(exprs)
    return _narrow(frame, exprs).select(exprs)


def _missing_as_null(col: str) -> pl.Expr:
    """``col`` with NaN turned into null (float columns only)."""
    return pl.col(col).fill_nan(None)


class Processor:
    """Base class: a transformation of a learning frame, fitted or not.

    Subclasses set ``for_infer = False`` when they only make sense on training data (dropping
    rows by label), and override :meth:`fit` when they learn state.
    """

    #: usable on inference data (qlib's ``is_for_infer``)
    for_infer: ClassVar[bool] = True
    #: learns state in ``fit`` (otherwise ``fit`` is a no-op)
    fitted: ClassVar[bool] = False

    fields_group: FieldsGroup = None

    def _columns(self, frame: pl.DataFrame) -> list[str]:
        group = self.fields_group
        if group == "feature":
            return feature_columns(frame)
        if group == "label":
            if LABEL not in frame.columns:
                raise SchemaError(
                    f"{type(self).__name__}(fields_group='label') needs a '{LABEL}' column; "
                    f"found {frame.columns}",
                    column=LABEL,
                )
            return [LABEL]
        if group is None:
            return [c for c in frame.columns if c not in _KEYS]
        raise ConfigError(
            f"{type(self).__name__}: fields_group must be 'feature', 'label' or None, got {group!r}"
            + did_you_mean(str(group), ["feature", "label"])
        )

    def fit(self, frame: pl.DataFrame) -> Self:
        """Learn state from ``frame`` (a no-op for stateless processors); returns ``self``."""
        return self

    def transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Return the processed frame (never modifies ``frame``)."""
        raise NotImplementedError

    def fit_transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``fit(frame)`` then ``transform(frame)``."""
        return self.fit(frame).transform(frame)

    def clone(self) -> Self:
        """An unfitted copy with the same settings."""
        new = copy.copy(self)
        for key in [k for k in vars(new) if k.endswith("_") and not k.startswith("_")]:
            delattr(new, key)
        return new

    def get_params(self) -> dict[str, Any]:
        """The settings given to ``__init__``."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_fitted(self, attr: str) -> None:
        if not hasattr(self, attr):
            raise ConfigError(f"{type(self).__name__} is not fitted; call fit(train_frame) first")


class Fillna(Processor):
    """Replace missing values (null or NaN) with ``fill_value`` (qlib's ``Fillna``)."""

    def __init__(self, *, fields_group: FieldsGroup = None, fill_value: float = 0.0) -> None:
        self.fields_group = fields_group
        self.fill_value = fill_value

    def transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        return _with_columns(
            frame,
            [_missing_as_null(c).fill_null(float(self.fill_value)) for c in self._columns(frame)],
        )


class ProcessInf(Processor):
    """Replace ``+-inf`` by the mean of the finite values of the same column on the same date."""

    def __init__(self, *, fields_group: FieldsGroup = None) -> None:
        self.fields_group = fields_group

    def transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        exprs = []
        for c in self._columns(frame):
            x = _missing_as_null(c)
            finite_mean = pl.when(x.is_infinite()).then(None).otherwise(x).mean().over("date")
            exprs.append(pl.when(x.is_infinite()).then(finite_mean).otherwise(x).alias(c))
        return _with_columns(frame, exprs)


class CSZScoreNorm(Processor):
    """Cross-sectional z-score per date (qlib's ``CSZScoreNorm``).

    ``method="zscore"``: ``(x - mean) / std`` (std with ``ddof=1``, as pandas);
    ``method="robust"``: ``clip((x - median) / (MAD * 1.4826), -3, 3)``.
    """

    def __init__(
        self, *, fields_group: FieldsGroup = None, method: Literal["zscore", "robust"] = "zscore"
    ) -> None:
        self.fields_group = fields_group
        self.method = method

    def transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        if self.method not in ("zscore", "robust"):
            raise ConfigError(
                f"CSZScoreNorm: method must be 'zscore' or 'robust', got {self.method!r}"
                + did_you_mean(str(self.method), ["zscore", "robust"])
            )
        exprs = []
        for c in self._columns(frame):
            x = _missing_as_null(c)
            if self.method == "zscore":
                out = (x - x.mean().over("date")) / x.std(ddof=1).over("date")
            else:
                dev = x - x.median().over("date")
                mad = dev.abs().median().over("date")
                out = (dev / mad / 1.4826).clip(-3.0, 3.0)
            exprs.append(out.alias(c))
        return _with_columns(frame, exprs)


class CSRankNorm(Processor):
    """Cross-sectional rank per date, ``(rank_pct - 0.5) * 3.46`` (qlib's ``CSRankNorm``).

    ``rank_pct`` is the average rank divided by the number of non-missing values that date.
    """

    def __init__(self, *, fields_group: FieldsGroup = None) -> None:
        self.fields_group = fields_group

    def transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        exprs = []
        for c in self._columns(frame):
            x = _missing_as_null(c)
            pct = x.rank("average").over("date") / x.count().over("date")
            exprs.append(((pct - 0.5) * 3.46).alias(c))
        return _with_columns(frame, exprs)


class CSZFillna(Processor):
    """Fill missing values with the cross-sectional mean of the same date (qlib's ``CSZFillna``)."""

    def __init__(self, *, fields_group: FieldsGroup = None) -> None:
        self.fields_group = fields_group

    def transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        return _with_columns(
            frame,
            [
                _missing_as_null(c).fill_null(_missing_as_null(c).mean().over("date")).alias(c)
                for c in self._columns(frame)
            ],
        )


class RobustZScoreNorm(Processor):
    """Robust z-score with statistics fitted once (qlib's ``RobustZScoreNorm``).

    ``fit`` learns, per column, ``center_ = median(x)`` and
    ``scale_ = (median(|x - center_|) + 1e-12) * 1.4826`` over all rows of the frame it is given
    (give it the train span only); ``transform`` returns ``(x - center_) / scale_``, clipped to
    ``[-3, 3]`` when ``clip_outlier``.

    Attributes
    ----------
    columns_: list[str]
    center_, scale_: np.ndarray, shape ``(n_columns,)``
    """

    fitted: ClassVar[bool] = True

    def __init__(self, *, fields_group: FieldsGroup = "feature", clip_outlier: bool = True) -> None:
        self.fields_group = fields_group
        self.clip_outlier = clip_outlier

    def fit(self, frame: pl.DataFrame) -> Self:
        cols = self._columns(frame)
        if frame.height == 0:
            raise ConfigError("RobustZScoreNorm.fit got an empty frame; the train span has no rows")
        # column medians in polars (parallel); equal to numpy's nanmedian
        center = _row(_select(frame, (_missing_as_null(c).median() for c in cols)), cols)
        mad = _select(
            frame,
            ((_missing_as_null(c) - float(m)).abs().median() for c, m in zip(cols, center, strict=True)),
        )
        scale = _row(mad, cols)
        scale += EPS
        scale *= 1.4826
        self.columns_ = cols
        self.center_ = center
        self.scale_ = scale
        return self

    def transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        self._check_fitted("center_")
        exprs = []
        for c, m, s in zip(self.columns_, self.center_, self.scale_, strict=True):
            out = (_missing_as_null(c) - float(m)) / float(s)
            if self.clip_outlier:
                out = out.clip(-3.0, 3.0)
            exprs.append(out.fill_nan(None).alias(c))
        return _with_columns(frame, exprs)


class ZScoreNorm(Processor):
    """Z-score with mean/std fitted once (qlib's ``ZScoreNorm``; std with ``ddof=0``).

    Columns with zero std are left unchanged.

    Attributes
    ----------
    columns_: list[str]
    mean_, std_: np.ndarray, shape ``(n_columns,)``
    """

    fitted: ClassVar[bool] = True

    def __init__(self, *, fields_group: FieldsGroup = "feature") -> None:
        self.fields_group = fields_group

    def fit(self, frame: pl.DataFrame) -> Self:
        cols = self._columns(frame)
        x = _to_numpy(frame, cols)
        if x.shape[0] == 0:
            raise ConfigError("ZScoreNorm.fit got an empty frame; the train span has no rows")
        mean = _nan_reduce(np.nanmean, x)
        std = _nan_reduce(np.nanstd, x)
        ignore = std == 0
        mean[ignore] = 0.0
        std[ignore] = 1.0
        self.columns_ = cols
        self.mean_ = mean
        self.std_ = std
        return self

    def transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        self._check_fitted("mean_")
        return _with_columns(
            frame,
            [
                ((_missing_as_null(c) - float(m)) / float(s)).fill_nan(None).alias(c)
                for c, m, s in zip(self.columns_, self.mean_, self.std_, strict=True)
            ],
        )


class DropnaLabel(Processor):
    """Drop rows whose label is missing; training data only (qlib's ``DropnaLabel``)."""

    for_infer: ClassVar[bool] = False

    def __init__(self, *, fields_group: FieldsGroup = "label") -> None:
        self.fields_group = fields_group

    def transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        cols = self._columns(frame)
        keep = _select(
            frame, [pl.all_horizontal(_missing_as_null(c).is_not_null() for c in cols)]
        ).to_series()
        return keep_rows(frame, keep.to_numpy())


#: :func:`keep_rows` shares memory when every run of kept rows is at least this long
MIN_SHARED_RUN = 64


def keep_rows(frame: pl.DataFrame, keep: np.ndarray, *, min_run: int = MIN_SHARED_RUN) -> pl.DataFrame:
    """``frame.filter(keep)``, sharing the kept rows' memory with ``frame`` where that pays.

    A learning frame is sorted by ``(asset, date)``, so the rows a processor drops (missing labels:
    the last days of each asset) leave long runs of kept rows. Each run is a zero-copy slice of
    ``frame`` and the result is their concatenation (one chunk per run, not rechunked): the same
    rows, values and order as ``frame.filter(keep)`` without a copy of every column. When a run is
    shorter than ``min_run`` rows it is a compact copy, as before (short chunks would be slow, and
    polars computes some float kernels differently on a chunk of one row).

    Parameters
    ----------
    frame:
        Any frame, shape ``(n, k)``.
    keep:
        bool, shape ``(n,)``.
    min_run:
        Share memory only when every run of kept rows is at least this long.

    Returns
    -------
    pl.DataFrame
        Shape ``(keep.sum(), k)``.
    """
    keep = np.asarray(keep, dtype=bool)
    if keep.all():
        return frame
    edges = np.diff(np.concatenate(([0], keep.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size == 0 or int((ends - starts).min()) < max(min_run, 2):
        return frame.filter(pl.Series(keep))
    return pl.concat(
        [frame.slice(int(a), int(b - a)) for a, b in zip(starts, ends, strict=True)],
        how="vertical",
        rechunk=False,
    )


def _to_numpy(frame: pl.DataFrame, cols: list[str]) -> np.ndarray:
    """``frame[cols]`` as float64, shape ``(n_rows, len(cols))``, null -> NaN."""
    if not cols:
        return np.empty((frame.height, 0))
    return (
        _select(frame, [pl.col(c).cast(pl.Float64) for c in cols])
        .to_numpy(order="c")
        .astype(np.float64, copy=False)
    )


def _row(frame: pl.DataFrame, cols: list[str]) -> np.ndarray:
    """The single row of ``frame`` as float64 ``(len(cols),)``, null -> NaN."""
    if not cols:
        return np.empty(0)
    return np.array([np.nan if v is None else float(v) for v in frame.row(0)], dtype=np.float64)


def _nan_reduce(func: Any, x: np.ndarray) -> np.ndarray:
    """Column-wise NaN reduction that returns NaN (silently) for all-NaN columns."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out: np.ndarray = np.asarray(func(x, axis=0), dtype=np.float64)
    return out


#: processor classes by name (the names used in configs; qlib's names)
PROCESSORS: dict[str, type[Processor]] = {
    cls.__name__: cls
    for cls in (
        Fillna,
        ProcessInf,
        CSZScoreNorm,
        CSRankNorm,
        CSZFillna,
        RobustZScoreNorm,
        ZScoreNorm,
        DropnaLabel,
    )
}


def make_processor(name: str, kwargs: dict[str, Any] | None = None, *, where: str = "") -> Processor:
    """Build a processor from its class name and keyword arguments, with clear errors.

    Raises
    ------
    ConfigError
        Unknown class name or keyword (with the nearest valid name).
    """
    import inspect

    prefix = f"{where}: " if where else ""
    if name not in PROCESSORS:
        raise ConfigError(
            f"{prefix}unknown processor {name!r}{did_you_mean(name, PROCESSORS)}; "
            f"choose one of {sorted(PROCESSORS)}"
        )
    cls = PROCESSORS[name]
    kwargs = dict(kwargs or {})
    kwargs.pop("fit_start_time", None)  # qlib configs carry these; rdq fits on the train segment
    kwargs.pop("fit_end_time", None)
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    for key in kwargs:
        if key not in allowed:
            raise ConfigError(
                f"{prefix}{name} has no option {key!r}{did_you_mean(key, allowed)}; options: {allowed}"
            )
    return cls(**kwargs)
