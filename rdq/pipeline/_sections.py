"""The typed sections of a scenario config (frozen dataclasses) and their content hash.

Read and checked by :mod:`rdq.pipeline._config_read`; the file format is in :mod:`rdq.pipeline._config`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["SyntheticSpec", "DataSection", "FactorSection", "ModelSection", "SegmentSection", "RollingSection", "CostSection", "StrategySection", "MetricsSection", "ScenarioConfig", "section_hash", "EQUAL_WEIGHT"]

#: ``strategy.benchmark`` value that makes an equal-weighted index of the universe the benchmark
EQUAL_WEIGHT = "equal_weight"

DateSpan = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class SyntheticSpec:
    """The embedded synthetic market (:func:`rdq.data.synth_market`)."""

    assets: int = 300
    days: int = 2000
    seed: int = 0
    start: dt.date = dt.date(2015, 1, 1)
    #: the planted alphas' loadings times this: 0 gives a null market (nothing to find), for honesty checks
    alpha_scale: float = 1.0


@dataclass(frozen=True)
class DataSection:
    """Where the panel comes from: a ``path`` (any :func:`rdq.data.load_panel` source) or ``synthetic``."""

    path: Path | None = None
    synthetic: SyntheticSpec | None = None
    columns: dict[str, str] = field(default_factory=dict)
    universe: str | tuple[str, ...] | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    #: fatal data problems accepted as warnings (``rdq.data._validate.ALLOWABLE_KINDS``)
    allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class FactorSection:
    """Feature columns: a factor library (``alpha158``/``alpha360``) and/or extra expressions."""

    library: str | None = "alpha158"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSection:
    """The model: a model config file (``path``: a built-in name resolves to its file) or inline class and options.

    ``infer_processors`` / ``learn_processors`` are ``(class name, kwargs)`` pairs; ``None`` means
    "as the model config file says" (for an inline model: none).
    """

    path: Path | None = None
    cls: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    infer_processors: tuple[tuple[str, dict[str, Any]], ...] | None = None
    learn_processors: tuple[tuple[str, dict[str, Any]], ...] | None = None
    seed: int = 0


@dataclass(frozen=True)
class SegmentSection:
    """Train / valid / test date spans, both ends included."""

    train: DateSpan
    valid: DateSpan
    test: DateSpan


@dataclass(frozen=True)
class RollingSection:
    """Walk-forward retraining every ``step`` trading days (spans in trading days)."""

    step: int
    train_span: int
    valid_span: int
    gap: int = 0


@dataclass(frozen=True)
class CostSection:
    """Trading costs and exchange rules (see :class:`rdq.backtest.Exchange`)."""

    open_cost: float = 0.0005
    close_cost: float = 0.0015
    min_cost: float = 5.0
    impact_cost: float = 0.0
    trade_unit: int | None = 100
    limit_threshold: float | None = 0.095
    deal_price: Literal["close", "open"] = "close"


@dataclass(frozen=True)
class StrategySection:
    """Top-k dropout settings, initial cash and benchmark."""

    topk: int = 50
    n_drop: int = 5
    hold_thresh: int = 1
    risk_degree: float = 0.95
    only_tradable: bool = False
    account: float = 1e8
    benchmark: str | None = None
    costs: CostSection = field(default_factory=CostSection)


@dataclass(frozen=True)
class MetricsSection:
    """Risk-metric options: ``n`` trading days a year (238 as qlib, or 252) and accumulation ``mode``."""

    n: int = 238
    mode: Literal["sum", "product"] = "sum"
    quantiles: int = 5


@dataclass(frozen=True)
class ScenarioConfig:
    """A whole backtest scenario (one YAML file)."""

    name: str
    data: DataSection
    factors: FactorSection
    label: str | None
    model: ModelSection
    segments: SegmentSection | None
    rolling: RollingSection | None = None
    strategy: StrategySection = field(default_factory=StrategySection)
    metrics: MetricsSection = field(default_factory=MetricsSection)
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every section (dates as ISO strings, paths as strings)."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def section_hash(*parts: Any) -> str:
    """A 16-hex-digit hash of JSON-able parts (dataclasses are turned into dicts first)."""
    norm = [_jsonable(asdict(p)) if hasattr(p, "__dataclass_fields__") else _jsonable(p) for p in parts]
    text = json.dumps(norm, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- reading
