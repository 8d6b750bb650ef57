"""Walk-forward retraining: refit processors and model every ``step`` days, score the next span."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import polars as pl

from rdq.errors import ConfigError
from rdq.models._base import Model
from rdq.models._dataset import build_dataset
from rdq.models._processors import Processor
from rdq.models._segments import RollingSplitter

__all__ = ["rolling_predict"]

log = logging.getLogger(__name__)


def rolling_predict(
    model: Model,
    factors: pl.DataFrame,
    label: pl.DataFrame,
    *,
    splitter: RollingSplitter,
    infer_processors: Sequence[Processor] = (),
    learn_processors: Sequence[Processor] = (),
    progress: bool = False,
) -> pl.DataFrame:
    """Scores of a model re-trained on each split of ``splitter``, test spans concatenated.

    Each split builds its own dataset (processors fitted on that split's train span, no row after
    its test span read) and fits a fresh clone of ``model``; the score at date ``t`` therefore
    depends only on data up to ``t``'s test span.

    Returns
    -------
    pl.DataFrame
        ``date, asset, score`` over the union of the test spans.
    """
    from rdq.progress import progress as report

    if not hasattr(model, "clone"):
        raise ConfigError(
            f"{type(model).__name__} has no clone(); rolling retraining needs a fresh model per split"
        )
    calendar = factors.get_column("date").unique().sort()
    splits = list(splitter.split(calendar))
    parts: list[pl.DataFrame] = []
    with report("rolling splits", len(splits), enabled=progress, logger=log) as bar:
        for seg in splits:
            dataset = build_dataset(
                factors,
                label,
                segments=seg,
                infer_processors=infer_processors,
                learn_processors=learn_processors,
            )
            fitted = model.clone().fit(dataset)  # type: ignore[attr-defined]
            parts.append(fitted.predict(dataset, "test"))
            log.info("rolling split train %s..%s test %s..%s", *seg.train, *seg.test)
            bar.advance()
    return (
        pl.concat(parts)
        if parts
        else pl.DataFrame(schema={"date": pl.Date, "asset": pl.Utf8, "score": pl.Float64})
    )
