"""torch models: train, determinism, early stopping, checkpoints and resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch
from models_helpers import segments_for

from rdq.errors import ConfigError
from rdq.models import (
    CSRankNorm,
    DropnaLabel,
    Fillna,
    GRUModel,
    LSTMModel,
    MLPModel,
    Model,
    RobustZScoreNorm,
    TorchModel,
    TransformerModel,
    build_dataset,
)
from rdq.models._synthetic import synthetic_learning_set


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    factors, label = synthetic_learning_set(
        n_assets=30, n_days=80, n_features=6, n_signal=3, noise=0.7, seed=5
    )
    ds = build_dataset(
        factors,
        label,
        segments=segments_for(80),
        infer_processors=[RobustZScoreNorm(fields_group="feature"), Fillna(fields_group="feature")],
        learn_processors=[DropnaLabel(), CSRankNorm(fields_group="label")],
    )
    return ds, label


def _ic(scores: pl.DataFrame, label: pl.DataFrame) -> float:
    j = scores.join(label, on=["date", "asset"])
    return float(j.group_by("date").agg(pl.corr("score", "label").alias("ic"))["ic"].mean())  # type: ignore[arg-type]


SMALL = {"batch_size": 128, "device": "cpu", "seed": 0, "num_threads": 1}
MODELS = {
    "mlp": lambda **kw: MLPModel(net_kwargs={"hidden": (16,)}, **kw),
    "gru": lambda **kw: GRUModel(step_len=5, net_kwargs={"hidden_size": 8}, **kw),
    "lstm": lambda **kw: LSTMModel(step_len=5, net_kwargs={"hidden_size": 8}, **kw),
    "transformer": lambda **kw: TransformerModel(
        step_len=5, net_kwargs={"d_model": 8, "nhead": 2, "dim_feedforward": 16}, **kw
    ),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_model_trains_and_is_deterministic(name: str, data) -> None:  # type: ignore[no-untyped-def]
    ds, _ = data
    a = MODELS[name](max_epochs=2, **SMALL).fit(ds)
    assert isinstance(a, Model)
    assert len(a.history_) == 2 and all(np.isfinite(h["valid_loss"]) for h in a.history_)
    sa = a.predict(ds, "test")
    assert sa.columns == ["date", "asset", "score"]
    assert sa.height == ds.frame("test", data="infer").height
    assert sa["score"].is_finite().all()
    b = MODELS[name](max_epochs=2, **SMALL).fit(ds).predict(ds, "test")
    assert sa.equals(b), "same seed, different scores"
    c = MODELS[name](max_epochs=2, **{**SMALL, "seed": 1}).fit(ds).predict(ds, "test")
    assert not sa.equals(c)
    assert not torch.are_deterministic_algorithms_enabled()  # restored after fit


def test_mlp_learns_the_planted_signal(data) -> None:  # type: ignore[no-untyped-def]
    ds, label = data
    model = MLPModel(net_kwargs={"hidden": (16,)}, max_epochs=15, lr=1e-2, **SMALL).fit(ds)
    assert _ic(model.predict(ds, "test"), label) > 0.4


def test_gru_reads_flat_alpha360_rows_with_d_feat(data) -> None:  # type: ignore[no-untyped-def]
    ds, _ = data
    model = GRUModel(step_len=None, net_kwargs={"d_feat": 3, "hidden_size": 4}, max_epochs=1, **SMALL).fit(ds)
    assert model.net_.rnn.input_size == 3  # type: ignore[union-attr]
    assert model.predict(ds, "valid").height == ds.frame("valid", data="infer").height


def test_early_stopping_keeps_the_best_epoch(data) -> None:  # type: ignore[no-untyped-def]
    ds, _ = data
    model = MLPModel(net_kwargs={"hidden": (64, 64)}, lr=3e-2, max_epochs=60, early_stop=2, **SMALL).fit(ds)
    hist = model.history_
    assert model.stopped_early_ and len(hist) < 60
    assert len(hist) == model.best_epoch_ + 1 + 2
    losses = [h["valid_loss"] for h in hist]
    assert model.best_epoch_ == int(np.argmin(losses))
    # the returned net holds the best epoch's weights: its valid loss is the best one
    _, x, y = ds.arrays("valid")
    with torch.no_grad():
        pred = model.net_(torch.from_numpy(x)).numpy()
    assert float(np.mean((pred - y) ** 2)) == pytest.approx(min(losses), rel=1e-5)
    # early stopping on IC
    ic_model = MLPModel(net_kwargs={"hidden": (8,)}, metric="ic", max_epochs=3, **SMALL).fit(ds)
    assert ic_model.best_epoch_ == int(np.argmax([h["valid_ic"] for h in ic_model.history_]))


def test_checkpoint_resume_reproduces_an_uninterrupted_fit(data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ds, _ = data
    kw = {"step_len": 5, "net_kwargs": {"hidden_size": 8, "dropout": 0.0}, "early_stop": 10, **SMALL}
    full = GRUModel(max_epochs=4, checkpoint_dir=tmp_path / "full", **kw).fit(ds)  # type: ignore[arg-type]
    assert (tmp_path / "full" / "checkpoint.pt").is_file() and (tmp_path / "full" / "best.pt").is_file()
    assert not [p for p in (tmp_path / "full").iterdir() if p.suffix == ".tmp"]  # atomic writes leave no temp
    ckpt = torch.load(tmp_path / "full" / "checkpoint.pt", weights_only=False)
    assert ckpt["epoch"] == 3 and "optimizer" in ckpt and "model" in ckpt

    GRUModel(max_epochs=2, checkpoint_dir=tmp_path / "part", **kw).fit(ds)  # type: ignore[arg-type]  # "interrupted"
    resumed = GRUModel(max_epochs=4, checkpoint_dir=tmp_path / "part", resume=True, **kw).fit(ds)  # type: ignore[arg-type]
    assert [h["epoch"] for h in resumed.history_] == [0, 1, 2, 3]
    assert resumed.history_ == full.history_
    assert resumed.predict(ds).equals(full.predict(ds))

    with pytest.raises(ConfigError, match="checkpoint is for net='gru'"):
        LSTMModel(max_epochs=4, checkpoint_dir=tmp_path / "part", resume=True, **kw).fit(ds)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="needs checkpoint_dir"):
        GRUModel(resume=True, **kw).fit(ds)  # type: ignore[arg-type]


def test_torch_model_errors(data) -> None:  # type: ignore[no-untyped-def]
    ds, _ = data
    with pytest.raises(ConfigError, match="did you mean 'lstm'"):
        TorchModel(net="lsmt").fit(ds)
    with pytest.raises(ConfigError, match="not fitted"):
        MLPModel().predict(ds)
    with pytest.raises(ConfigError, match="metric"):
        MLPModel(metric="icir").fit(ds)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="net 'gru'"):
        GRUModel(net_kwargs={"hiden_size": 3}).fit(ds)


def test_progress_bar_and_daily_ic(data) -> None:  # type: ignore[no-untyped-def]
    from rdq.models._torch_model import daily_ic

    ds, _ = data
    model = MLPModel(net_kwargs={"hidden": (4,)}, max_epochs=1, progress=True, **SMALL).fit(ds)
    assert len(model.history_) == 1
    keys, x, y = ds.arrays("valid")
    pred = x[:, 0].astype(np.float64)
    y = y.copy()
    y[::7] = np.nan
    frame = keys.with_columns(pl.Series("p", pred), pl.Series("y", y.astype(np.float64))).filter(
        pl.col("y").is_not_nan()
    )
    want = frame.group_by("date").agg(pl.corr("p", "y").alias("ic"))["ic"].mean()
    assert daily_ic(keys, pred, y) == pytest.approx(want, rel=1e-12)
