"""LightGBM learns a planted signal, deterministically."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from models_helpers import segments_for

from rdq.errors import ConfigError
from rdq.models import (
    CSRankNorm,
    CSZScoreNorm,
    DropnaLabel,
    Fillna,
    LGBMModel,
    Model,
    Processor,
    RobustZScoreNorm,
    build_dataset,
)
from rdq.models._synthetic import synthetic_learning_set


def _test_ic(scores: pl.DataFrame, label: pl.DataFrame) -> float:
    joined = scores.join(label, on=["date", "asset"])
    return float(
        joined.group_by("date").agg(pl.corr("score", "label", method="spearman").alias("ic"))["ic"].mean()
    )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def dataset():  # type: ignore[no-untyped-def]
    factors, label = synthetic_learning_set(
        n_assets=60, n_days=150, n_features=10, n_signal=3, noise=1.0, seed=3
    )
    ds = build_dataset(
        factors,
        label,
        segments=segments_for(150),
        infer_processors=[RobustZScoreNorm(fields_group="feature"), Fillna(fields_group="feature")],
        learn_processors=[DropnaLabel(), CSRankNorm(fields_group="label")],
    )
    return ds, label


def test_lgbm_with_qlib_defaults_learns_planted_signal(dataset) -> None:  # type: ignore[no-untyped-def]
    ds, label = dataset
    model = LGBMModel(num_threads=1, seed=0)  # qlib's benchmark parameters
    assert isinstance(model, Model)
    scores = model.fit(ds).predict(ds, "test")
    assert scores.columns == ["date", "asset", "score"]
    assert scores.height == ds.frame("test", data="infer").height
    ic = _test_ic(scores, label)
    # the planted signal has IC ~0.66 (|w| = 0.79 against unit noise); the trees should get most of it
    assert ic > 0.4, ic
    assert 1 <= model.best_iteration_ <= 1000
    assert "valid" in model.evals_result_
    # the features carrying the signal are the ones used most
    gains = model.booster_.feature_importance("gain")
    assert set(np.argsort(gains)[-3:]) == {0, 1, 2}


def test_lgbm_is_deterministic_with_a_seed(dataset) -> None:  # type: ignore[no-untyped-def]
    ds, _ = dataset
    kw = {"num_threads": 1, "num_boost_round": 60, "colsample_bytree": 0.5}
    a = LGBMModel(seed=1, **kw).fit(ds).predict(ds)  # type: ignore[arg-type]
    b = LGBMModel(seed=1, **kw).fit(ds).predict(ds)  # type: ignore[arg-type]
    c = LGBMModel(seed=2, **kw).fit(ds).predict(ds)  # type: ignore[arg-type]
    assert a.equals(b)
    assert not a.equals(c)


def test_lgbm_early_stopping_and_errors(dataset) -> None:  # type: ignore[no-untyped-def]
    ds, _ = dataset
    # with a large learning rate it overfits fast: early stopping cuts the 1000 rounds short
    m = LGBMModel(
        num_threads=1, learning_rate=0.5, lambda_l1=0.0, lambda_l2=0.0, num_leaves=64, early_stopping_rounds=5
    ).fit(ds)
    n_rounds = len(m.evals_result_["valid"]["l2"])
    assert n_rounds == m.best_iteration_ + 5 < 1000
    valid_l2 = m.evals_result_["valid"]["l2"]
    assert min(valid_l2) == valid_l2[m.best_iteration_ - 1]
    with pytest.raises(ConfigError, match="not fitted"):
        LGBMModel().predict(ds)
    with pytest.raises(ConfigError, match="loss"):
        LGBMModel(loss="mae").fit(ds)  # type: ignore[arg-type]


@pytest.mark.parametrize("learn", [[DropnaLabel(), CSZScoreNorm(fields_group="label")], []], ids=["dropna", "nan-labels"])
def test_lgbm_fit_equals_training_on_the_straightforward_arrays(learn: list[Processor]) -> None:
    """``fit`` hands LightGBM column-major matrices filled column by column, bins train before valid
    and drops unlabelled rows before the copy: the same trees and predictions as ``lightgbm.train`` on
    row-major copies of the segments with the unlabelled rows dropped afterwards."""
    import lightgbm as lgb

    factors, label = synthetic_learning_set(n_assets=50, n_days=120, n_features=8, n_signal=3, noise=1.0, seed=11)
    feats = [c for c in factors.columns if c not in ("date", "asset")]
    ds = build_dataset(
        factors.with_columns(pl.col(feats).cast(pl.Float32)),
        label.with_columns(pl.when(pl.col("label") > 1.5).then(None).otherwise(pl.col("label")).alias("label")),
        segments=segments_for(120),
        learn_processors=learn,
    )
    model = LGBMModel(num_threads=1, num_boost_round=40, learning_rate=0.1, early_stopping_rounds=5, seed=3)
    scores = model.fit(ds).predict(ds, "test")

    def rows(segment: str, data: str) -> tuple[np.ndarray, np.ndarray]:
        frame = (ds.learn if data == "learn" else ds.infer).filter(ds.segments.mask(segment)).rechunk()  # type: ignore[arg-type]
        x = frame.select(pl.col(feats).cast(pl.Float32)).to_numpy(order="c")
        y = frame.get_column("label").cast(pl.Float32).to_numpy()
        keep = ~np.isnan(y)
        return (x[keep], y[keep]) if data == "learn" else (x, y)

    params = model.lgb_params()
    (xt, yt), (xv, yv) = rows("train", "learn"), rows("valid", "learn")
    if not learn:
        assert np.isnan(ds.learn.get_column("label").cast(pl.Float32).to_numpy()).any()  # the path is exercised
    dtrain = lgb.Dataset(xt, label=yt, feature_name=feats, params=params)
    dvalid = lgb.Dataset(xv, label=yv, reference=dtrain, params=params)
    booster = lgb.train(
        params, dtrain, num_boost_round=40, valid_sets=[dtrain, dvalid], valid_names=["train", "valid"],
        callbacks=[lgb.early_stopping(5, verbose=False)],
    )
    assert model.booster_.model_to_string() == booster.model_to_string()
    x_test, _ = rows("test", "infer")
    expected = booster.predict(x_test, num_iteration=booster.best_iteration)
    np.testing.assert_array_equal(scores.get_column("score").to_numpy(), expected)
