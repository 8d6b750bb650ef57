"""Model configs (YAML) -> typed dataclasses -> dataset + model -> Scores.

A config file::

    name: lgbm_alpha158
    seed: 0
    data:
      factors: alpha158                 # rdq.factors library name, or a Parquet FactorFrame path (relative to this file)
      label: "Ref($close, -2)/Ref($close, -1) - 1"
      segments:
        train: [2008-01-01, 2014-12-31]
        valid: [2015-01-01, 2016-12-31]
        test:  [2017-01-01, 2020-08-01]
      infer_processors:
        - {class: RobustZScoreNorm, kwargs: {fields_group: feature, clip_outlier: true}}
        - {class: Fillna, kwargs: {fields_group: feature}}
      learn_processors:
        - {class: DropnaLabel}
        - {class: CSRankNorm, kwargs: {fields_group: label}}
      rolling: {step: 20, train_span: 1000, valid_span: 250}   # optional walk-forward retraining
    model:
      class: LGBMModel
      kwargs: {learning_rate: 0.2, num_leaves: 210}

Unknown keys, processor or model names and model options are :class:`~rdq.errors.ConfigError`
naming the file, the key path and the nearest valid name.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from rdq import _yaml
from rdq.errors import ConfigError, did_you_mean
from rdq.models._processors import Processor, make_processor
from rdq.models._segments import RollingSplitter, Segments
from rdq.resources import resolve

__all__ = [
    "ProcessorSpec",
    "RollingConfig",
    "DataConfig",
    "ModelSpec",
    "ModelConfig",
    "MODELS",
    "load_model_config",
    "build_processors",
    "build_model",
    "run_model_config",
]

#: model class name -> module that defines it
MODELS: dict[str, str] = {
    "LGBMModel": "rdq.models._lgbm",
    "TorchModel": "rdq.models._torch_model",
    "MLPModel": "rdq.models._torch_model",
    "GRUModel": "rdq.models._torch_model",
    "LSTMModel": "rdq.models._torch_model",
    "TransformerModel": "rdq.models._torch_model",
    "FileModel": "rdq.models._torch_model",
}


@dataclass(frozen=True)
class ProcessorSpec:
    """A processor by class name (see :data:`rdq.models.PROCESSORS`) and its keyword arguments."""

    cls: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RollingConfig:
    """Walk-forward retraining (see :class:`~rdq.models.RollingSplitter`); spans in trading days."""

    step: int
    train_span: int
    valid_span: int
    gap: int = 0

    def splitter(self) -> RollingSplitter:
        """The :class:`RollingSplitter` these settings describe."""
        return RollingSplitter(
            step=self.step, train_span=self.train_span, valid_span=self.valid_span, gap=self.gap
        )


@dataclass(frozen=True)
class DataConfig:
    """Where features and label come from, how they are split and processed."""

    factors: str
    label: str
    segments: Segments
    infer_processors: tuple[ProcessorSpec, ...] = ()
    learn_processors: tuple[ProcessorSpec, ...] = ()
    rolling: RollingConfig | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A model by class name (see :data:`MODELS`) and its keyword arguments."""

    cls: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelConfig:
    """A whole model config file."""

    name: str
    data: DataConfig
    model: ModelSpec
    seed: int = 0
    source: str | None = None


_TOP_KEYS = ("name", "seed", "data", "model")
_DATA_KEYS = ("factors", "label", "segments", "infer_processors", "learn_processors", "rolling")
_SPEC_KEYS = ("class", "kwargs")
_ROLLING_KEYS = ("step", "train_span", "valid_span", "gap")
_SEGMENT_KEYS = ("train", "valid", "test")


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {message}")

    def mapping(
        self, value: Any, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(
                where, f"expected a mapping with keys {list(allowed)}, got {type(value).__name__}"
            )
        for key in value:
            if key not in allowed:
                raise self.fail(
                    f"{where}.{key}" if where else str(key),
                    f"unknown key{did_you_mean(str(key), allowed)}; allowed keys: {list(allowed)}",
                )
        for key in required:
            if key not in value:
                raise self.fail(where or "top level", f"missing required key '{key}'")
        return dict(value)

    def spec(self, value: Any, where: str) -> tuple[str, dict[str, Any]]:
        if isinstance(value, str):
            return value, {}
        raw = self.mapping(value, where, _SPEC_KEYS, ("class",))
        kwargs = raw.get("kwargs") or {}
        if not isinstance(kwargs, Mapping):
            raise self.fail(f"{where}.kwargs", f"expected a mapping, got {type(kwargs).__name__}")
        return str(raw["class"]), dict(kwargs)


def _model_class(name: str) -> type:
    if name not in MODELS:
        raise ConfigError(
            f"unknown model class {name!r}{did_you_mean(name, MODELS)}; choose one of {sorted(MODELS)}"
        )
    cls: type = getattr(importlib.import_module(MODELS[name]), name)
    return cls


def _model_options(cls: type) -> list[str]:
    names: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        names += [n for n, p in params.items() if n != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD]
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            break
    return list(dict.fromkeys(names))


def load_model_config(path: str | Path, *, base: Path | None = None) -> ModelConfig:
    """Read and check a model config YAML file, or a built-in one by name.

    Parameters
    ----------
    path:
        A path if that file exists, else a built-in name (``"lgbm_alpha158"``, ``"lgbm_alpha360"``,
        ``"gru_alpha360"``: ``rdq configs list``); see :func:`rdq.resources.resolve`.
    base:
        Folder a relative path starts from (default: the current directory).

    Paths inside the file (``data.factors`` when it is a Parquet file, ``model.kwargs.model_file``)
    are taken relative to the config file's folder.

    Raises
    ------
    ConfigError
        Neither a file nor a built-in name (with the nearest one), bad YAML (with line), unknown
        key / processor / model / option (with the nearest valid name), bad segments.
    """
    path = resolve("configs", path, base=base)
    source = str(path)
    try:
        raw = _yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    r = _Reader(source)
    top = r.mapping(raw, "", _TOP_KEYS, ("data", "model"))
    data = r.mapping(top["data"], "data", _DATA_KEYS, ("factors", "segments"))
    segs = r.mapping(data["segments"], "data.segments", _SEGMENT_KEYS, _SEGMENT_KEYS)
    try:
        segments = Segments(**{k: tuple(v) if isinstance(v, list) else v for k, v in segs.items()})
    except ConfigError as exc:
        raise r.fail("data.segments", str(exc)) from None
    procs: dict[str, tuple[ProcessorSpec, ...]] = {}
    for key in ("infer_processors", "learn_processors"):
        items = data.get(key) or []
        if not isinstance(items, list):
            raise r.fail(f"data.{key}", "expected a list of {class: ..., kwargs: ...}")
        specs = []
        for i, item in enumerate(items):
            name, kwargs = r.spec(item, f"data.{key}[{i}]")
            make_processor(name, kwargs, where=f"{source}: data.{key}[{i}]")  # validates name and options
            specs.append(ProcessorSpec(name, kwargs))
        procs[key] = tuple(specs)
    rolling = None
    if data.get("rolling") is not None:
        roll = r.mapping(data["rolling"], "data.rolling", _ROLLING_KEYS, ("step", "train_span", "valid_span"))
        try:
            rolling = RollingConfig(**roll)
            rolling.splitter()
        except ConfigError as exc:
            raise r.fail("data.rolling", str(exc)) from None
    model_name, model_kwargs = r.spec(top["model"], "model")
    try:
        cls = _model_class(model_name)
    except ConfigError as exc:
        raise r.fail("model.class", str(exc)) from None
    options = _model_options(cls)
    for key in model_kwargs:
        if key not in options:
            raise r.fail(
                f"model.kwargs.{key}",
                f"{model_name} has no option{did_you_mean(key, options)}; options: {options}",
            )
    if "model_file" in model_kwargs:
        mf = Path(str(model_kwargs["model_file"]))
        model_kwargs["model_file"] = str(mf if mf.is_absolute() else (path.parent / mf).resolve())
    seed = top.get("seed", 0)
    if not isinstance(seed, int):
        raise r.fail("seed", f"expected an integer, got {seed!r}")
    label = data.get("label", "Ref($close, -2)/Ref($close, -1) - 1")
    factors = str(data["factors"])
    beside = path.parent / Path(factors).expanduser()
    if beside.is_file():  # a Parquet FactorFrame or a library YAML file next to the config
        factors = str(beside.resolve())
    return ModelConfig(
        name=str(top.get("name", path.stem)),
        data=DataConfig(
            factors=factors,
            label=str(label),
            segments=segments,
            infer_processors=procs["infer_processors"],
            learn_processors=procs["learn_processors"],
            rolling=rolling,
        ),
        model=ModelSpec(model_name, model_kwargs),
        seed=seed,
        source=source,
    )


def build_processors(specs: tuple[ProcessorSpec, ...] | list[ProcessorSpec]) -> list[Processor]:
    """Unfitted processors from their specs."""
    return [make_processor(s.cls, s.kwargs) for s in specs]


def build_model(spec: ModelSpec, *, seed: int | None = None) -> Any:
    """An unfitted model from its spec (``seed`` fills the model's ``seed`` unless set)."""
    cls = _model_class(spec.cls)
    kwargs = dict(spec.kwargs)
    if seed is not None and "seed" in _model_options(cls):
        kwargs.setdefault("seed", seed)
    return cls(**kwargs)


def run_model_config(
    config: ModelConfig,
    *,
    panel: pl.DataFrame | None = None,
    factors: pl.DataFrame | None = None,
    label: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Fit the config's model and return test Scores (``date, asset, score``).

    ``factors`` / ``label`` may be given directly; otherwise they are computed from ``panel``
    with :func:`rdq.factors.compute` (the library named by ``data.factors``, or a Parquet file)
    and the ``data.label`` expression. With ``data.rolling`` the model is re-trained walk-forward
    and the Scores cover every rolling test span.
    """
    from rdq.models._dataset import build_dataset
    from rdq.models._rolling import rolling_predict

    data = config.data
    if factors is None or label is None:
        if panel is None:
            raise ConfigError("run_model_config needs a panel, or both factors and label frames")
        import rdq.factors as rf  # type: ignore[import-not-found,unused-ignore]

        if factors is None:
            if data.factors.endswith(".parquet"):
                factors = pl.read_parquet(data.factors)
            else:
                factors = rf.compute(panel, rf.load_library(data.factors), missing="skip")
        if label is None:
            label = rf.compute(panel, {"label": data.label})
    assert factors is not None and label is not None
    model = build_model(config.model, seed=config.seed)
    infer = build_processors(data.infer_processors)
    learn = build_processors(data.learn_processors)
    if data.rolling is not None:
        start, end = data.segments.train[0], data.segments.end
        window = factors.filter((pl.col("date") >= pl.lit(start)) & (pl.col("date") <= pl.lit(end)))
        return rolling_predict(
            model,
            window,
            label,
            splitter=data.rolling.splitter(),
            infer_processors=infer,
            learn_processors=learn,
        )
    ds = build_dataset(factors, label, segments=data.segments, infer_processors=infer, learn_processors=learn)
    scores: pl.DataFrame = model.fit(ds).predict(ds, "test")
    return scores
