"""Model configs: the shipped YAML files, clear errors, running a config end to end."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import polars as pl
import pytest
from models_helpers import day

from rdq.errors import ConfigError
from rdq.models import (
    CSZScoreNorm,
    DropnaLabel,
    Fillna,
    LGBMModel,
    RobustZScoreNorm,
    build_model,
    build_processors,
    load_model_config,
    run_model_config,
)
from rdq.models._synthetic import synthetic_learning_set

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

QLIB_LGBM = {
    "loss": "mse",
    "colsample_bytree": 0.8879,
    "subsample": 0.8789,
    "lambda_l1": 205.6999,
    "lambda_l2": 580.9768,
    "max_depth": 8,
    "num_leaves": 210,
}


def test_lgbm_alpha158_config_is_qlibs_benchmark() -> None:
    cfg = load_model_config(CONFIGS / "lgbm_alpha158.yaml")
    assert cfg.data.factors == "alpha158"
    assert cfg.data.segments.train == (dt.date(2008, 1, 1), dt.date(2014, 12, 31))
    assert cfg.data.segments.test == (dt.date(2017, 1, 1), dt.date(2020, 8, 1))
    infer = build_processors(cfg.data.infer_processors)
    learn = build_processors(cfg.data.learn_processors)
    # qlib's LightGBM/Alpha158 yaml sets no processors: the Alpha158 handler's defaults apply
    assert infer == []
    assert [type(p) for p in learn] == [DropnaLabel, CSZScoreNorm] and learn[1].fields_group == "label"
    model = build_model(cfg.model, seed=cfg.seed)
    assert isinstance(model, LGBMModel)
    for key, value in {**QLIB_LGBM, "learning_rate": 0.2}.items():
        assert getattr(model, key) == value, key
    assert model.early_stopping_rounds == 50 and model.num_boost_round == 1000
    # the config says what LGBMModel's defaults say
    default = LGBMModel()
    assert {k: getattr(default, k) for k in QLIB_LGBM} == QLIB_LGBM


def test_alpha360_configs() -> None:
    lgbm = load_model_config(CONFIGS / "lgbm_alpha360.yaml")
    assert lgbm.data.factors == "alpha360"
    infer = build_processors(lgbm.data.infer_processors)
    assert [type(p) for p in infer] == [RobustZScoreNorm, Fillna]
    assert infer[0].clip_outlier is True and infer[0].fields_group == "feature"  # type: ignore[attr-defined]
    assert [p.cls for p in lgbm.data.learn_processors] == ["DropnaLabel", "CSRankNorm"]
    assert lgbm.model.kwargs["learning_rate"] == 0.0421
    gru = load_model_config(CONFIGS / "gru_alpha360.yaml")
    model = build_model(gru.model, seed=gru.seed)
    assert type(model).__name__ == "GRUModel"
    assert model.step_len is None and model.net_kwargs == {
        "d_feat": 6,
        "hidden_size": 64,
        "num_layers": 2,
        "dropout": 0.0,
    }
    assert (model.lr, model.batch_size, model.max_epochs, model.early_stop) == (0.001, 800, 200, 20)
    net = model.build_net(360)  # 360 Alpha360 columns -> 60 days x 6 fields
    assert net.rnn.input_size == 6 and net.rnn.num_layers == 2  # type: ignore[union-attr]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


BASE = """
name: tiny
data:
  factors: my_factors.parquet
  segments:
    train: [2015-01-01, 2015-03-01]
    valid: [2015-03-02, 2015-03-31]
    test: [2015-04-01, 2015-04-30]
  infer_processors:
    - {class: RobustZScoreNorm, kwargs: {fields_group: feature}}
    - {class: Fillna, kwargs: {fields_group: feature}}
  learn_processors: [DropnaLabel, {class: CSRankNorm, kwargs: {fields_group: label}}]
model:
  class: LGBMModel
  kwargs: {num_boost_round: 30, num_leaves: 8, lambda_l1: 0.0, lambda_l2: 1.0, num_threads: 1}
"""


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("name: tiny", "nmae: tiny", r"nmae: unknown key \(did you mean 'name'\?\)"),
        ("  factors:", "  factor:", r"data.factor: unknown key \(did you mean 'factors'\?\)"),
        (
            "class: Fillna",
            "class: FillNA",
            r"data.infer_processors\[1\]: unknown processor 'FillNA' \(did you mean 'Fillna'\?\)",
        ),
        (
            "fields_group: feature}}\n    - {class: Fillna",
            "field_group: feature}}\n    - {class: Fillna",
            r"RobustZScoreNorm has no option 'field_group' \(did you mean 'fields_group'\?\)",
        ),
        (
            "class: LGBMModel",
            "class: LGBModel",
            r"model.class: .*unknown model class 'LGBModel' \(did you mean 'LGBMModel'\?\)",
        ),
        (
            "num_leaves: 8",
            "num_leafs: 8",
            r"model.kwargs.num_leafs: LGBMModel has no option \(did you mean 'num_leaves'\?\)",
        ),
        ("valid: [2015-03-02", "valid: [2015-02-02", r"data.segments: segment 'valid' starts on 2015-02-02"),
        ("    test: [2015-04-01, 2015-04-30]\n", "", r"data.segments: missing required key 'test'"),
        ("model:\n", "modle:\n", r"modle: unknown key \(did you mean 'model'\?\)"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, old: str, new: str, match: str) -> None:
    text = textwrap.dedent(BASE).lstrip("\n")
    assert old in text
    path = _write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(ConfigError, match=match) as info:
        load_model_config(path)
    assert str(path) in str(info.value)


def test_config_yaml_error_and_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "data:\n  factors: [unclosed\nmodel: x\n")
    with pytest.raises(ConfigError, match=r"cfg.yaml, line \d+: not valid YAML"):
        load_model_config(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_model_config(tmp_path / "none.yaml")


def test_run_config_end_to_end_and_rolling(tmp_path: Path) -> None:
    factors, label = synthetic_learning_set(n_assets=30, n_days=120, n_features=5, seed=2)
    cfg = load_model_config(_write(tmp_path, BASE))
    scores = run_model_config(cfg, factors=factors, label=label)
    assert scores["date"].min() == dt.date(2015, 4, 1) and scores["date"].max() == dt.date(2015, 4, 30)
    ic = (
        scores.join(label, on=["date", "asset"])
        .group_by("date")
        .agg(pl.corr("score", "label"))["score"]
        .mean()
    )
    assert ic > 0.3  # type: ignore[operator]
    rolling = BASE.replace(
        "  learn_processors:", "  rolling: {step: 10, train_span: 40, valid_span: 20}\n  learn_processors:"
    )
    cfg = load_model_config(_write(tmp_path, rolling))
    assert cfg.data.rolling is not None and cfg.data.rolling.step == 10
    scores = run_model_config(cfg, factors=factors, label=label)
    assert scores["date"].min() == day(60) and scores["date"].max() == dt.date(2015, 4, 30)
    bad = BASE.replace(
        "  learn_processors:", "  rolling: {step: 0, train_span: 40, valid_span: 20}\n  learn_processors:"
    )
    with pytest.raises(ConfigError, match=r"data.rolling: RollingSplitter.step must be"):
        load_model_config(_write(tmp_path, bad))
    with pytest.raises(ConfigError, match="needs a panel"):
        run_model_config(cfg)
