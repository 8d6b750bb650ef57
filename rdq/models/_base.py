"""The estimator interface every model shares, and the Scores frame they return.

::

    model = LGBMModel(seed=0).fit(dataset)          # fit on dataset's train (+ valid for early stopping)
    scores = model.predict(dataset, segment="test")   # Scores

    Scores:  date        asset   score
             pl.Date     Utf8    f64       one row per (date, asset) of the segment's infer frame
"""

from __future__ import annotations

import copy
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import polars as pl

from rdq.models._dataset import LearningDataset
from rdq.models._segments import SegmentName

__all__ = ["Model", "BaseModel", "make_scores"]


@runtime_checkable
class Model(Protocol):
    """What the pipeline needs from a model."""

    def fit(self, dataset: LearningDataset) -> Self:
        """Fit on ``dataset``'s train segment (the valid segment may drive early stopping)."""
        ...

    def predict(self, dataset: LearningDataset, segment: SegmentName = "test") -> pl.DataFrame:
        """Scores ``date, asset, score`` for the rows of ``segment``."""
        ...


class BaseModel:
    """Helpers shared by rdq's models: ``get_params``, ``clone``, ``repr``.

    Subclasses store their settings untouched in ``__init__`` and set learned state in
    attributes ending in ``_`` in ``fit``.
    """

    def get_params(self) -> dict[str, Any]:
        """The settings given to ``__init__``."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")}

    def clone(self) -> Self:
        """An unfitted copy with the same settings."""
        new = copy.copy(self)
        for key in [k for k in vars(new) if k.endswith("_") and not k.startswith("_")]:
            delattr(new, key)
        return new

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def make_scores(keys: pl.DataFrame, score: np.ndarray) -> pl.DataFrame:
    """Scores frame from ``keys`` (``date, asset``, shape ``(n, 2)``) and ``score`` ``(n,)``."""
    return keys.select("date", "asset").with_columns(
        pl.Series("score", np.asarray(score, dtype=np.float64).reshape(-1))
    )
