"""LightGBM regressor with qlib's benchmark settings (``LGBModel`` in qlib's Alpha158 workflow)."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from typing import Any, Literal, Self

import numpy as np
import polars as pl

from rdq.errors import ConfigError
from rdq.models._base import BaseModel, make_scores
from rdq.models._dataset import LearningDataset
from rdq.models._segments import SegmentName

__all__ = ["LGBMModel"]

log = logging.getLogger(__name__)


class LGBMModel(BaseModel):
    """Gradient-boosted trees on flat features; defaults are qlib's LightGBM + Alpha158 benchmark.

    Parameters
    ----------
    loss:
        ``"mse"`` (regression) or ``"binary"``.
    colsample_bytree, learning_rate, subsample, lambda_l1, lambda_l2, max_depth, num_leaves:
        LightGBM parameters (qlib's benchmark values by default).
    num_threads:
        Threads; ``None`` uses every core of the machine (qlib's config says 20).
    num_boost_round:
        Maximum boosting rounds.
    early_stopping_rounds:
        Stop when the valid loss has not improved for this many rounds (``None``: off).
    seed:
        Seed for every LightGBM random draw; with ``deterministic=True`` a fit is repeatable.
    log_every:
        Log the train/valid metric every this many boosting rounds at INFO (``0``: only the
        closing line with the rounds run, the best iteration and whether early stopping ended it).
    extra_params:
        Any other LightGBM parameters, passed through.

    Attributes
    ----------
    booster_: lightgbm.Booster
    best_iteration_: int
    evals_result_: dict
        ``{"train": {"l2": [...]}, "valid": {"l2": [...]}}``.
    """

    def __init__(
        self,
        *,
        loss: Literal["mse", "binary"] = "mse",
        colsample_bytree: float = 0.8879,
        learning_rate: float = 0.2,
        subsample: float = 0.8789,
        lambda_l1: float = 205.6999,
        lambda_l2: float = 580.9768,
        max_depth: int = 8,
        num_leaves: int = 210,
        num_threads: int | None = None,
        num_boost_round: int = 1000,
        early_stopping_rounds: int | None = 50,
        seed: int = 0,
        deterministic: bool = True,
        log_every: int = 20,
        extra_params: dict[str, Any] | None = None,
    ) -> None:
        self.loss = loss
        self.colsample_bytree = colsample_bytree
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.lambda_l1 = lambda_l1
        self.lambda_l2 = lambda_l2
        self.max_depth = max_depth
        self.num_leaves = num_leaves
        self.num_threads = num_threads
        self.num_boost_round = num_boost_round
        self.early_stopping_rounds = early_stopping_rounds
        self.seed = seed
        self.deterministic = deterministic
        self.log_every = log_every
        self.extra_params = extra_params

    def lgb_params(self) -> dict[str, Any]:
        """The parameter dict passed to ``lightgbm.train``."""
        if self.loss not in ("mse", "binary"):
            raise ConfigError(f"LGBMModel: loss must be 'mse' or 'binary', got {self.loss!r}")
        params: dict[str, Any] = {
            "objective": self.loss,
            "verbosity": -1,
            "colsample_bytree": self.colsample_bytree,
            "learning_rate": self.learning_rate,
            "subsample": self.subsample,
            "lambda_l1": self.lambda_l1,
            "lambda_l2": self.lambda_l2,
            "max_depth": self.max_depth,
            "num_leaves": self.num_leaves,
            "num_threads": self.num_threads or os.cpu_count() or 1,
            "seed": self.seed,
            "deterministic": self.deterministic,
        }
        # as in qlib, no ``bagging_freq``: LightGBM then ignores ``subsample`` (kept for parity)
        params.update(self.extra_params or {})
        return params

    def fit(self, dataset: LearningDataset) -> Self:
        """Train on ``dataset``'s train segment, early-stopping on its valid segment.

        Raises
        ------
        ConfigError
            The train segment has no rows with a label.
        """
        import lightgbm as lgb

        names = list(dataset.features)
        params = self.lgb_params()
        # Peak memory: each segment's matrix is filled column by column in LightGBM's column-major
        # layout (read without a copy), binned into a LightGBM Dataset right away, and dropped before
        # the next one is built; LightGBM keeps only its binned copy (free_raw_data).
        _, x_train, y_train = dataset.arrays("train", data="learn", order="F", labelled=True)
        if x_train.shape[0] == 0:
            raise ConfigError(
                f"LGBMModel: the train segment {dataset.segments.train} has no rows with a label",
            )
        dtrain = lgb.Dataset(
            x_train, label=y_train, feature_name=names, params=params, free_raw_data=True
        ).construct()
        del x_train, y_train
        valid_sets, valid_names = [dtrain], ["train"]
        _, x_valid, y_valid = dataset.arrays("valid", data="learn", order="F", labelled=True)
        if x_valid.shape[0]:
            dvalid = lgb.Dataset(x_valid, label=y_valid, reference=dtrain, params=params, free_raw_data=True)
            valid_sets.append(dvalid.construct())
            valid_names.append("valid")
        del x_valid, y_valid
        evals: dict[str, Any] = {}
        rounds = _RoundLogger(self.log_every, self.num_boost_round)
        callbacks: list[Callable[..., Any]] = [lgb.record_evaluation(evals), rounds]
        if self.early_stopping_rounds and len(valid_sets) > 1:
            callbacks.append(lgb.early_stopping(self.early_stopping_rounds, verbose=False))
        self.booster_ = lgb.train(
            params,
            dtrain,
            num_boost_round=self.num_boost_round,
            valid_sets=valid_sets,
            valid_names=valid_names,
            callbacks=callbacks,
        )
        self.best_iteration_ = int(self.booster_.best_iteration or self.booster_.current_iteration())
        self.evals_result_ = evals
        # the booster keeps only the trees up to the best iteration: count rounds from the callback
        ran = rounds.rounds
        stopped = (
            bool(self.early_stopping_rounds)
            and len(valid_sets) > 1
            and ran < self.num_boost_round
            and ran - self.best_iteration_ >= (self.early_stopping_rounds or 0)
        )
        log.info(
            "LightGBM: %s after %d of %d rounds in %.1fs; best iteration %d%s",
            f"early stopping ({self.early_stopping_rounds} rounds without a better valid score)"
            if stopped
            else "done",
            ran,
            self.num_boost_round,
            rounds.elapsed_s,
            self.best_iteration_,
            _best_text(self.booster_.best_score, self.best_iteration_, evals),
        )
        return self

    def predict(self, dataset: LearningDataset, segment: SegmentName = "test") -> pl.DataFrame:
        """Scores for every row of ``segment`` in the ``infer`` frame (the best iteration's trees)."""
        if not hasattr(self, "booster_"):
            raise ConfigError("LGBMModel is not fitted; call fit(dataset) first")
        keys, x, _ = dataset.arrays(segment, data="infer")
        if x.shape[0] == 0:
            return make_scores(keys, np.empty(0))
        pred = self.booster_.predict(x, num_iteration=self.best_iteration_)
        return make_scores(keys, np.asarray(pred))


class _RoundLogger:
    """LightGBM callback: every ``period`` rounds an INFO line with each eval set's metric.

    ``valid l2 1.0012 (best 1.0003 at round 12)``; runs before early stopping (``order`` 25 < 30)
    and changes nothing in training.
    """

    order = 25
    before_iteration = False

    def __init__(self, period: int, total: int, clock: Any = time.monotonic) -> None:
        self.period = period
        self.total = total
        self.clock = clock
        self.start = clock()
        self.best: dict[str, tuple[float, int]] = {}
        self.rounds = 0

    @property
    def elapsed_s(self) -> float:
        return float(self.clock() - self.start)

    def __call__(self, env: Any) -> None:
        it = env.iteration + 1
        self.rounds = it
        parts = []
        for res in env.evaluation_result_list or []:
            data_name, metric, value, higher_better = res[0], res[1], float(res[2]), bool(res[3])
            key = f"{data_name} {metric}"
            best = self.best.get(key)
            if best is None or (value > best[0] if higher_better else value < best[0]):
                self.best[key] = best = (value, it)
            text = f"{key} {value:.6g}"
            if data_name != "train":
                text += f" (best {best[0]:.6g} at round {best[1]})"
            parts.append(text)
        if self.period > 0 and parts and it % self.period == 0:
            log.info("LightGBM round %d/%d: %s, %.1fs", it, self.total, ", ".join(parts), self.elapsed_s)


def _best_text(best_score: Any, best_iteration: int, evals: dict[str, Any]) -> str:
    """`` (valid l2 1.0003)``: the best iteration's valid metrics, or ``""`` without a valid set."""
    scores = best_score.get("valid") if best_score else None
    if not scores:
        valid = evals.get("valid") or {}
        scores = {m: v[best_iteration - 1] for m, v in valid.items() if 0 < best_iteration <= len(v)}
    items = [f"valid {m} {float(v):.6g}" for m, v in (scores or {}).items() if math.isfinite(float(v))]
    return f" ({', '.join(items)})" if items else ""
