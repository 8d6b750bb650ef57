"""Evaluate a factor library + model through the real pipeline, on the validation span (the loop) or the test span
(the report, once).

The sealed split: :class:`ResearchData` holds the panel cut at the validation span's last date, so nothing the
loop computes can read a test row (labels of the last validation days, which need later closes, are null and
dropped, as at the end of any panel). Only :func:`test_evaluation`, called by ``rdq research report``, is handed
the full panel.

One evaluation, for a factor frame ``date, asset, f1..fk`` and a :class:`~rdq.agent.ModelTask`::

    build_dataset(train, valid)  ->  model.fit (early stopping on valid)  ->  scores on `span`
    ->  top-k dropout backtest with costs on `span`  ->  flat metrics (rdq.metrics keys) + daily excess returns

Also the model's scores on the train span (in-sample), whose objective is the "train" answer that
Thresholdout compares with validation.

A generated model (the Co-STEER coder's ``nn.Module`` file) is the :class:`~rdq.agent.ModelTask`
``template="UserModule"`` (:data:`USER_MODULE`) with ``hyperparameters = {"source": <the file's text>,
"source_sha": <its sha256, 16 hex digits>, "lr": ..., "max_epochs": ..., "batch_size": ..., "early_stop":
...}``; the candidate's ``code`` is the same source. It is untrusted, so it is trained and predicts INSIDE
the sandbox (:func:`rdq.sandbox.run_model_fit`, under the job's ``limits``): this process only builds the
dataset (the neural models' processors: robust z-score fitted on train, NaN -> 0), sends the arrays and reads
the predictions back. Its input is ``(batch, n_features)`` (no sequence axis).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from rdq.agent._types import ModelTask
from rdq.errors import ConfigError
from rdq.metrics import Metric, RiskSeries, metric_key, signal_key
from rdq.pipeline._config import MetricsSection, SegmentSection, StrategySection

__all__ = [
    "ResearchData",
    "LibraryEval",
    "evaluate_library",
    "seal",
    "daily_excess",
    "EVAL_METRICS",
    "USER_MODULE",
    "SandboxModule",
]

#: the template of a generated ``nn.Module`` (its source in ``hyperparameters["source"]``)
USER_MODULE = "UserModule"

log = logging.getLogger(__name__)

#: the metrics every evaluation reports (flat keys): the issue's IC, ICIR, Rank IC, ARR, IR, MDD
EVAL_METRICS: tuple[str, ...] = (
    signal_key(Metric.IC),
    signal_key(Metric.ICIR),
    signal_key(Metric.RANK_IC),
    signal_key(Metric.RANK_ICIR),
    metric_key(RiskSeries.EXCESS_WITH_COST, Metric.ANNUALIZED_RETURN),
    metric_key(RiskSeries.EXCESS_WITH_COST, Metric.INFORMATION_RATIO),
    metric_key(RiskSeries.EXCESS_WITH_COST, Metric.MAX_DRAWDOWN),
)


def seal(panel: pl.DataFrame, segments: SegmentSection) -> pl.DataFrame:
    """The rows the loop may see: dates up to the validation span's end (no test row)."""
    return panel.filter(pl.col("date") <= segments.valid[1])


@dataclass(frozen=True)
class ResearchData:
    """What one run evaluates on: the panel (sealed for the loop), its label and the segments.

    ``panel``: ``date, asset, open, high, low, close, volume[, vwap]``; ``label``: ``date, asset, label``
    computed on ``panel`` (so on a sealed panel the last validation days have no label).
    """

    panel: pl.DataFrame
    label: pl.DataFrame
    segments: SegmentSection
    sealed: bool
    fingerprint: str
    bench: pl.DataFrame | None = None

    @classmethod
    def build(
        cls,
        panel: pl.DataFrame,
        *,
        segments: SegmentSection,
        label_expr: str | None,
        strategy: StrategySection,
        sealed: bool = True,
    ) -> ResearchData:
        """Cut (when ``sealed``), compute the label and the benchmark rows."""
        from rdq.pipeline._adapters import EQUAL_WEIGHT, EW_ASSET, compute_label, panel_fingerprint

        view = seal(panel, segments) if sealed else panel
        label = compute_label(view, label_expr)
        bench = None
        if strategy.benchmark == EQUAL_WEIGHT:
            from rdq.backtest import equal_weight_index

            bench = equal_weight_index(view, name=EW_ASSET)
        elif strategy.benchmark is not None and strategy.benchmark not in set(
            view["asset"].unique().to_list()
        ):
            raise ConfigError(
                f"strategy.benchmark: {strategy.benchmark!r} is not an asset of the panel; "
                f"use '{EQUAL_WEIGHT}' or null"
            )
        return cls(view, label, segments, sealed, panel_fingerprint(view), bench)

    def span(self, name: Literal["train", "valid", "test"]) -> tuple[dt.date, dt.date]:
        """The ``(start, end)`` dates of a segment; ``test`` raises on a sealed view."""
        if name == "test" and self.sealed:
            raise PermissionError("the test span is sealed: only `rdq research report` evaluates it")
        value: tuple[dt.date, dt.date] = getattr(self.segments, name)
        return value


@dataclass(frozen=True)
class LibraryEval:
    """The outcome of one evaluation on ``span``.

    ``metrics``: flat keys (:data:`EVAL_METRICS` and every risk metric); ``daily``: excess return with
    cost per day of the span, shape ``(n_days,)``, aligned with ``dates``; ``daily_ic`` / ``daily_rank_ic``
    the scores' daily IC; ``train_objective`` the objective of the in-sample scores on the train span.
    """

    span: str
    metrics: dict[str, float]
    dates: tuple[dt.date, ...]
    daily: np.ndarray
    daily_ic: np.ndarray
    daily_rank_ic: np.ndarray
    train_objective: float
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def objective(self, key: str) -> float:
        """The value of flat metric ``key`` (NaN when missing)."""
        v = self.metrics.get(key)
        return float("nan") if v is None else float(v)


def daily_excess(records: pl.DataFrame) -> np.ndarray:
    """``return - bench - cost`` per day of backtest records, shape ``(n_days,)``."""
    ret = records["return"].to_numpy()
    bench = records["bench"].to_numpy() if "bench" in records.columns else np.zeros_like(ret)
    return np.asarray(ret - bench - records[Metric.COST].to_numpy(), dtype=np.float64)


#: learn processors of every model (qlib's Alpha158 handler defaults): drop rows without a label, z-score the
#: label per day
LEARN_PROCESSORS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("DropnaLabel", {}),
    ("CSZScoreNorm", {"fields_group": "label"}),
)
#: infer processors of the neural models (qlib's NN benchmark configs): robust z-score fitted on train, NaN -> 0;
#: LightGBM takes the raw features (NaN included), as in qlib
NN_INFER_PROCESSORS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("RobustZScoreNorm", {"fields_group": "feature", "clip_outlier": True}),
    ("Fillna", {"fields_group": "feature"}),
)


def _model_section(model: ModelTask, seed: int) -> Any:
    from rdq.pipeline._config import ModelSection

    infer = () if model.template == "LGBMModel" else NN_INFER_PROCESSORS
    return ModelSection(
        cls=model.template,
        kwargs=dict(model.hyperparameters),
        seed=seed,
        infer_processors=infer,
        learn_processors=LEARN_PROCESSORS,
    )


class SandboxModule:
    """A model whose ``nn.Module`` source is untrusted: ``fit`` trains it and predicts every segment in one
    sandboxed run (:func:`rdq.sandbox.run_model_fit`); ``predict`` returns the stored scores."""

    def __init__(self, hyperparameters: dict[str, Any], *, limits: Any = None, seed: int = 0) -> None:
        source = hyperparameters.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ConfigError(
                f"model template {USER_MODULE}: hyperparameters.source must hold the nn.Module file's text"
            )
        self.source = source
        self.params = {k: v for k, v in hyperparameters.items() if k not in ("source", "source_sha")}
        self.params.setdefault("seed", seed)
        self.limits = limits
        self.scores: dict[str, pl.DataFrame] = {}
        self.result: Any = None

    def fit(self, ds: Any) -> SandboxModule:
        """Train in the sandbox on the train rows with a label, early stopping on valid; predict all segments.

        Raises
        ------
        RdqError
            The sandboxed run was not ``ok`` (its status and reason, e.g. the traceback's last frame).
        """
        from rdq.errors import RdqError
        from rdq.models import make_scores
        from rdq.sandbox import run_model_fit

        _, x, y = ds.arrays("train", data="learn", labelled=True)
        _, xv, yv = ds.arrays("valid", data="learn", labelled=True)
        keys: dict[str, pl.DataFrame] = {}
        inputs: dict[str, np.ndarray] = {}
        for seg in ("train", "valid", "test"):
            k, xs, _ = ds.arrays(seg, data="infer")
            keys[seg], inputs[seg] = k, np.nan_to_num(xs, nan=0.0)
        res, preds = run_model_fit(
            self.source, np.nan_to_num(x, nan=0.0), y, predict=inputs, x_valid=np.nan_to_num(xv, nan=0.0),
            y_valid=yv, params=self.params, limits=self.limits,
        )  # fmt: skip
        self.result = res
        if preds is None:
            raise RdqError(
                f"model {USER_MODULE} (source {self.source_sha}) in the sandbox: {res.status}: {res.reason} "
                "(fix: correct the nn.Module file)"
                + (f"\n{res.traceback_tail}" if res.traceback_tail else "")
            )
        self.scores = {seg: make_scores(keys[seg], preds[seg]) for seg in keys}
        return self

    @property
    def source_sha(self) -> str:
        import hashlib

        return hashlib.sha256(self.source.encode()).hexdigest()[:16]

    def predict(self, ds: Any, segment: str = "test") -> pl.DataFrame:
        """The scores of ``segment`` computed by :meth:`fit`."""
        del ds
        return self.scores[segment]


def _model_parts_for(model: ModelTask, seed: int, seg: SegmentSection, limits: Any) -> tuple[Any, Any, Any]:
    """(estimator, infer processors, learn processors): a template through the pipeline's builder, a
    generated module (:data:`USER_MODULE`) as a :class:`SandboxModule` with the neural models' processors."""
    from rdq.pipeline._adapters import _model_parts  # noqa: PLC2701

    if model.template != USER_MODULE:
        est, infer, learn, _ = _model_parts(_model_section(model, seed), seg)
        return est, infer, learn
    from rdq.models import make_processor

    infer = [make_processor(n, dict(k), where="UserModule") for n, k in NN_INFER_PROCESSORS]
    learn = [make_processor(n, dict(k), where="UserModule") for n, k in LEARN_PROCESSORS]
    return SandboxModule(dict(model.hyperparameters), limits=limits, seed=seed), infer, learn


def _backtest(
    data: ResearchData, scores: pl.DataFrame, *, strategy: StrategySection, metrics: MetricsSection
) -> tuple[pl.DataFrame, dict[str, Any]]:
    from rdq.pipeline._adapters import EQUAL_WEIGHT, EW_ASSET, run_backtest, summarize_records

    panel = data.panel
    if data.bench is not None:
        panel = pl.concat([panel, data.bench], how="diagonal_relaxed")
    first, last = scores["date"].min(), scores["date"].max()
    assert isinstance(first, dt.date) and isinstance(last, dt.date)
    before = panel.filter(pl.col("date") < first)["date"].max()
    start = before if isinstance(before, dt.date) else first
    panel = panel.filter((pl.col("date") >= start) & (pl.col("date") <= last))
    asset = EW_ASSET if strategy.benchmark == EQUAL_WEIGHT else strategy.benchmark
    records, _ = run_backtest(panel, scores, strategy=strategy, benchmark_asset=asset, end=last)
    return records, summarize_records(records, metrics)


def evaluate_library(
    data: ResearchData,
    factors: pl.DataFrame,
    *,
    model: ModelTask,
    strategy: StrategySection,
    metrics: MetricsSection,
    objective: str,
    span: Literal["valid", "test"] = "valid",
    seed: int = 0,
    limits: Any = None,
) -> LibraryEval:
    """Train ``model`` on the train span of ``factors`` (``date, asset, <features>``) and evaluate on ``span``.

    A generated module (``model.template == "UserModule"``) is trained and predicts in the sandbox under
    ``limits`` (a :class:`rdq.sandbox.Limits`; module docstring).

    Raises
    ------
    PermissionError
        ``span="test"`` on a sealed :class:`ResearchData`.
    ConfigError
        A bad model template or option.
    """
    import time

    from rdq.models import Segments, build_dataset
    from rdq.pipeline._adapters import score_signal

    t0 = time.perf_counter()
    seg = data.segments
    if span == "test":
        data.span("test")
        test = seg.test
    else:  # an empty test segment after the validation span: the sealed view has no row there
        day = seg.valid[1] + dt.timedelta(days=1)
        test = (day, day)
    est, infer, learn = _model_parts_for(model, seed, seg, limits)
    segments = Segments(train=seg.train, valid=seg.valid, test=test)
    ds = build_dataset(factors, data.label, segments=segments, infer_processors=infer, learn_processors=learn)
    est.fit(ds)
    scores = est.predict(ds, "test" if span == "test" else "valid")
    train_scores = est.predict(ds, "train")
    if scores.height == 0:
        raise ConfigError(f"no scores on the {span} span: the factors have no rows there")
    records, flat = _backtest(data, scores, strategy=strategy, metrics=metrics)
    ic, _, signal = score_signal(scores, data.label)
    flat.update(signal)
    values = {k: _num(v) for k, v in flat.items() if isinstance(v, int | float)}
    train_records, train_flat = _backtest(data, train_scores, strategy=strategy, metrics=metrics)
    del train_records
    if objective not in train_flat:  # a signal objective (signal.rank_ic, ...): the train scores' signal
        train_flat.update(score_signal(train_scores, data.label)[2])
    dates = tuple(records["date"].to_list())
    ic_by_day = ic.join(
        pl.DataFrame({"date": list(dates)}, schema={"date": ic.schema["date"]}), on="date", how="right"
    )
    return LibraryEval(
        span=span,
        metrics=values,
        dates=dates,
        daily=daily_excess(records),
        daily_ic=ic_by_day[Metric.IC].to_numpy().astype(np.float64),
        daily_rank_ic=ic_by_day[Metric.RANK_IC].to_numpy().astype(np.float64),
        train_objective=_num(train_flat.get(objective, math.nan)),
        seconds=time.perf_counter() - t0,
    )


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f
