"""Time-series samples for sequence models (qlib's ``TSDatasetH`` / ``TSDataSampler``).

A sample for ``(date t, asset a)`` is the window of the ``step_len`` trading days ending at
``t`` (inclusive) of asset ``a``'s features, shape ``(step_len, n_features)``. Days before the
asset's first row, or days the asset has no row, are NaN and then filled (``fillna``).

Nothing is copied ``step_len`` times: the frame is put once into a dense array
``(n_assets, step_len - 1 + n_days, n_features)`` (the first ``step_len - 1`` days are NaN
padding), and a batch of windows is gathered by fancy indexing::

    dense[asset_idx[:, None], day_idx[:, None] + arange(step_len)[None, :]]  ->  (batch, step_len, k)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from rdq.errors import ConfigError
from rdq.models._dataset import DataKey, LearningDataset
from rdq.models._processors import LABEL
from rdq.models._segments import SegmentName

if TYPE_CHECKING:
    import torch

__all__ = ["TSWindows", "FillnaType", "make_windows"]

FillnaType = Literal["zero", "ffill", "ffill+bfill", "none"]


class TSWindows:
    """Windows of ``step_len`` days over a processed learning frame.

    Parameters
    ----------
    frame:
        ``date, asset, f1..fk, label`` covering at least the history the windows need (pass the
        full ``infer`` frame so the first samples of a segment see the days before it).
    features:
        Feature columns, in order.
    step_len:
        Window length in trading days, ``>= 1``.
    sample_keys:
        ``date, asset`` rows to make samples for (e.g. one segment's rows of the ``learn``
        frame); labels are read from ``labels`` when given, else from ``frame``.
    fillna:
        ``"zero"``: missing days and NaN values become 0. ``"ffill"`` / ``"ffill+bfill"``
        (qlib's ``TSDataSampler.fillna_type``): a day the asset has no row (or a padding day)
        takes the features of the asset's nearest earlier row in the window (then, for
        ``+bfill``, the nearest later one); what is still missing then becomes 0.
        ``"none"``: NaN stays NaN.

    Attributes
    ----------
    dense: np.ndarray
        float32, shape ``(n_assets, step_len - 1 + n_days, n_features)``.
    present: np.ndarray
        bool, shape ``(n_assets, step_len - 1 + n_days)``: the asset has a row that day.
    asset_idx, day_idx: np.ndarray
        int64, shape ``(n_samples,)``: sample ``i`` is the window
        ``dense[asset_idx[i], day_idx[i] : day_idx[i] + step_len]``.
    labels: np.ndarray
        float32, shape ``(n_samples,)``.
    keys: pl.DataFrame
        ``date, asset`` of each sample, shape ``(n_samples, 2)``.
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        *,
        features: tuple[str, ...] | list[str],
        step_len: int,
        sample_keys: pl.DataFrame,
        labels: np.ndarray | None = None,
        fillna: FillnaType = "zero",
    ) -> None:
        if not isinstance(step_len, int) or step_len < 1:
            raise ConfigError(f"step_len must be an integer >= 1, got {step_len!r}")
        if fillna not in ("zero", "ffill", "ffill+bfill", "none"):
            raise ConfigError(f"fillna must be 'zero', 'ffill', 'ffill+bfill' or 'none', got {fillna!r}")
        self.step_len = step_len
        self.fillna = fillna
        self.features = tuple(features)
        calendar = frame.get_column("date").unique().sort()
        assets = frame.get_column("asset").unique().sort()
        self.calendar = calendar
        self.assets = assets
        day_of = pl.DataFrame({"date": calendar, "_d": np.arange(len(calendar), dtype=np.int64)})
        asset_of = pl.DataFrame({"asset": assets, "_a": np.arange(len(assets), dtype=np.int64)})
        rows = frame.join(day_of, on="date").join(asset_of, on="asset")
        pad = step_len - 1
        dense = np.full((len(assets), pad + len(calendar), len(self.features)), np.nan, dtype=np.float32)
        a = rows.get_column("_a").to_numpy()
        d = rows.get_column("_d").to_numpy() + pad
        dense[a, d] = rows.select(pl.col(list(self.features)).cast(pl.Float32)).to_numpy()
        self.dense = dense
        present = np.zeros(dense.shape[:2], dtype=bool)
        present[a, d] = True
        self.present = present
        keyed = (
            sample_keys.select("date", "asset")
            .join(day_of, on="date", how="left")
            .join(asset_of, on="asset", how="left")
        )
        if keyed.get_column("_d").null_count() or keyed.get_column("_a").null_count():
            raise ConfigError("sample keys contain (date, asset) pairs absent from the frame")
        self.keys = keyed.select("date", "asset")
        self.asset_idx = keyed.get_column("_a").to_numpy().astype(np.int64)
        self.day_idx = keyed.get_column("_d").to_numpy().astype(np.int64)  # window start in padded days
        if labels is None:
            labels = (
                sample_keys.select("date", "asset")
                .join(frame.select("date", "asset", LABEL), on=["date", "asset"], how="left")
                .get_column(LABEL)
                .cast(pl.Float32)
                .to_numpy()
            )
        self.labels = np.asarray(labels, dtype=np.float32)
        self._offsets = np.arange(step_len, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.asset_idx.shape[0])

    def windows(self, idx: np.ndarray | slice | None = None) -> np.ndarray:
        """Windows of samples ``idx``, float32, shape ``(len(idx), step_len, n_features)``."""
        sel = (
            np.arange(len(self))
            if idx is None
            else np.arange(len(self))[idx]
            if isinstance(idx, slice)
            else idx
        )
        a = self.asset_idx[sel][:, None]
        d = self.day_idx[sel][:, None] + self._offsets[None, :]
        if self.fillna in ("ffill", "ffill+bfill"):
            present = self.present[a, d]  # (b, step_len): the asset has a row that day
            pos = np.where(present, self._offsets[None, :], -1)
            np.maximum.accumulate(pos, axis=1, out=pos)  # last row at or before each step
            if self.fillna == "ffill+bfill":
                first = np.argmax(present, axis=1)[:, None]  # the window's first row
                pos = np.where(pos < 0, first, pos)
            missing = pos < 0
            out = self.dense[a, self.day_idx[sel][:, None] + np.maximum(pos, 0)]
            out[missing] = np.nan
        else:
            out = self.dense[a, d]
        return _fill(out, self.fillna)

    def batches(
        self, batch_size: int, *, shuffle: bool = False, generator: torch.Generator | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(sample_idx, x, y)`` batches; ``x`` is ``(b, step_len, k)``, ``y`` is ``(b,)``."""
        yield from _batches(
            len(self), batch_size, shuffle, generator, lambda i: (self.windows(i), self.labels[i])
        )

    def torch_dataset(self) -> Any:
        """A ``torch.utils.data.Dataset`` whose item ``i`` is ``(x (step_len, k), y ())`` tensors."""
        from rdq.models._torch_data import WindowTorchDataset

        return WindowTorchDataset(self)


def _fill(x: np.ndarray, how: FillnaType) -> np.ndarray:
    if how == "none":
        return x
    return np.nan_to_num(x, nan=0.0).astype(np.float32, copy=False)


def _batches(
    n: int, batch_size: int, shuffle: bool, generator: Any, get: Any
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    if shuffle:
        import torch

        order = torch.randperm(n, generator=generator).numpy()
    else:
        order = np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        x, y = get(idx)
        yield idx, x, y


def make_windows(
    dataset: LearningDataset,
    segment: SegmentName,
    *,
    step_len: int,
    data: DataKey = "learn",
    fillna: FillnaType = "zero",
) -> TSWindows:
    """Windows for the rows of ``segment`` of ``dataset``.

    Samples are the segment's rows of the ``data`` frame (``learn``: rows the learn processors
    kept, with processed labels); windows read features from the ``infer`` frame up to each
    sample's date, so the first samples of the valid/test segments see the days before.
    """
    rows = dataset.frame(segment, data=data)
    history = dataset.infer.filter(pl.col("date") <= pl.lit(dataset.segments.span(segment)[1]))
    labels = rows.get_column(LABEL).cast(pl.Float32).to_numpy()
    return TSWindows(
        history,
        features=dataset.features,
        step_len=step_len,
        sample_keys=rows.select("date", "asset"),
        labels=labels,
        fillna=fillna,
    )
