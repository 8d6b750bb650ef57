"""Learning datasets and models: factors + label -> Scores.

::

    from rdq.models import Segments, build_dataset, RobustZScoreNorm, Fillna, DropnaLabel, CSRankNorm, LGBMModel

    seg = Segments(train=("2008-01-01", "2014-12-31"), valid=("2015-01-01", "2016-12-31"),
                   test=("2017-01-01", "2020-08-01"))
    ds = build_dataset(factors, label, segments=seg,
                       infer_processors=[RobustZScoreNorm(fields_group="feature"), Fillna(fields_group="feature")],
                       learn_processors=[DropnaLabel(), CSRankNorm(fields_group="label")])
    scores = LGBMModel(seed=0).fit(ds).predict(ds, "test")     # date, asset, score

Configs (``configs/*.yaml``) are read by :func:`load_model_config` and run by
:func:`run_model_config`.
"""

from __future__ import annotations

from rdq.models._base import BaseModel, Model, make_scores
from rdq.models._config import (
    DataConfig,
    ModelConfig,
    ModelSpec,
    ProcessorSpec,
    RollingConfig,
    build_model,
    build_processors,
    load_model_config,
    run_model_config,
)
from rdq.models._dataset import SCORE_SCHEMA, DataKey, LearningDataset, build_dataset
from rdq.models._lgbm import LGBMModel
from rdq.models._processors import (
    LABEL,
    PROCESSORS,
    CSRankNorm,
    CSZFillna,
    CSZScoreNorm,
    DropnaLabel,
    Fillna,
    ProcessInf,
    Processor,
    RobustZScoreNorm,
    ZScoreNorm,
    make_processor,
)
from rdq.models._rolling import rolling_predict
from rdq.models._segments import RollingSplitter, SegmentName, Segments
from rdq.models._ts import FillnaType, TSWindows, make_windows

__all__ = [
    "BaseModel",
    "Model",
    "make_scores",
    "DataConfig",
    "ModelConfig",
    "ModelSpec",
    "ProcessorSpec",
    "RollingConfig",
    "build_model",
    "build_processors",
    "load_model_config",
    "run_model_config",
    "SCORE_SCHEMA",
    "DataKey",
    "LearningDataset",
    "build_dataset",
    "LGBMModel",
    "LABEL",
    "PROCESSORS",
    "CSRankNorm",
    "CSZFillna",
    "CSZScoreNorm",
    "DropnaLabel",
    "Fillna",
    "Processor",
    "ProcessInf",
    "RobustZScoreNorm",
    "ZScoreNorm",
    "make_processor",
    "rolling_predict",
    "RollingSplitter",
    "SegmentName",
    "Segments",
    "FillnaType",
    "TSWindows",
    "make_windows",
    "TorchModel",
    "MLPModel",
    "GRUModel",
    "LSTMModel",
    "TransformerModel",
    "FileModel",
    "load_user_model",
    "check_model_output",
]


def __getattr__(name: str) -> object:
    # torch is imported only when a torch model is asked for (it takes a second or two)
    if name in {"TorchModel", "MLPModel", "GRUModel", "LSTMModel", "TransformerModel", "FileModel"}:
        from rdq.models import _torch_model

        return getattr(_torch_model, name)
    if name in {"load_user_model", "check_model_output"}:
        from rdq.models import _user_model

        return getattr(_user_model, name)
    raise AttributeError(f"module 'rdq.models' has no attribute {name!r}")
