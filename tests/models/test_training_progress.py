"""The model stage logs its progress at INFO: LightGBM boosting rounds, torch epochs, early stopping.

Every logged number is checked against what the model recorded itself (``evals_result_``,
``history_``, ``best_iteration_``, ``best_epoch_``).
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest
from models_helpers import segments_for

from rdq.models import CSRankNorm, DropnaLabel, Fillna, LGBMModel, MLPModel, RobustZScoreNorm, build_dataset
from rdq.models._synthetic import synthetic_learning_set


@pytest.fixture(scope="module")
def dataset():  # type: ignore[no-untyped-def]
    factors, label = synthetic_learning_set(n_assets=30, n_days=80, n_features=6, n_signal=3, noise=0.7, seed=5)
    return build_dataset(
        factors,
        label,
        segments=segments_for(80),
        infer_processors=[RobustZScoreNorm(fields_group="feature"), Fillna(fields_group="feature")],
        learn_processors=[DropnaLabel(), CSRankNorm(fields_group="label")],
    )


def _messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno == logging.INFO]


LGB = {"num_threads": 1, "seed": 0, "learning_rate": 0.3, "num_leaves": 7, "lambda_l1": 0.0, "lambda_l2": 0.0}


def test_lightgbm_logs_rounds_and_early_stopping(dataset, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="rdq.models")
    model = LGBMModel(num_boost_round=400, early_stopping_rounds=4, log_every=3, **LGB).fit(dataset)
    lines = _messages(caplog, "rdq.models._lgbm")
    valid = model.evals_result_["valid"]["l2"]
    ran = len(valid)
    assert ran < 400  # early stopping ended it
    rounds = [ln for ln in lines if ln.startswith("LightGBM round ")]
    assert [int(re.match(r"LightGBM round (\d+)/400", ln).group(1)) for ln in rounds] == list(range(3, ran + 1, 3))  # type: ignore[union-attr]
    for ln in rounds:
        it = int(ln.split()[2].split("/")[0])
        best = int(np.argmin(valid[:it]))
        assert f"valid l2 {valid[it - 1]:.6g} (best {valid[best]:.6g} at round {best + 1})" in ln
        assert f"train l2 {model.evals_result_['train']['l2'][it - 1]:.6g}" in ln
    (closing,) = [ln for ln in lines if ln.startswith("LightGBM: ")]
    assert model.best_iteration_ == int(np.argmin(valid)) + 1
    assert closing.startswith(f"LightGBM: early stopping (4 rounds without a better valid score) after {ran} of 400 rounds")
    assert closing.endswith(f"best iteration {model.best_iteration_} (valid l2 {min(valid):.6g})")


def test_lightgbm_logging_changes_nothing_and_log_every_zero(dataset, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="rdq.models")
    quiet = LGBMModel(num_boost_round=12, early_stopping_rounds=None, log_every=0, **LGB).fit(dataset)
    lines = _messages(caplog, "rdq.models._lgbm")
    assert len(lines) == 1 and lines[0].startswith("LightGBM: done after 12 of 12 rounds")
    loud = LGBMModel(num_boost_round=12, early_stopping_rounds=None, log_every=1, **LGB).fit(dataset)
    assert loud.booster_.model_to_string() == quiet.booster_.model_to_string()
    assert len(_messages(caplog, "rdq.models._lgbm")) == 1 + 12 + 1


def test_torch_logs_each_epoch_and_early_stopping(dataset, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="rdq.models")
    model = MLPModel(
        net_kwargs={"hidden": (64, 64)}, lr=3e-2, max_epochs=60, early_stop=2, batch_size=128, device="cpu",
        seed=0, num_threads=1,
    ).fit(dataset)
    lines = _messages(caplog, "rdq.models._torch_model")
    epochs = [ln for ln in lines if ln.startswith("epoch ")]
    assert model.stopped_early_ and len(epochs) == len(model.history_) < 60
    for k, (ln, h) in enumerate(zip(epochs, model.history_, strict=True)):
        assert ln.startswith(
            f"epoch {k + 1}/60: train loss {h['train_loss']:.6f}, valid loss {h['valid_loss']:.6f}, "
            f"valid ic {h['valid_ic']:.4f} (best epoch "
        )
    assert epochs[-1].endswith(f"(best epoch {model.best_epoch_ + 1}, 2/2 without a better valid loss)")
    (stop,) = [ln for ln in lines if ln.startswith("early stopping")]
    best_loss = model.history_[model.best_epoch_]["valid_loss"]
    assert stop == (
        f"early stopping after epoch {len(model.history_)}: no better valid loss for 2 epochs; "
        f"best epoch {model.best_epoch_ + 1} (valid loss {best_loss:.6g})"
    )
