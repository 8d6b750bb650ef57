"""The research config: one YAML file (``configs/research/*.yaml``) for a whole run of the loop.

::

    name: synthetic
    data:                          # exactly as a backtest scenario's data section
      synthetic: {assets: 300, days: 2000, seed: 0}        # or: path: my_panel.parquet
    label: null                    # qlib's Ref($close,-2)/Ref($close,-1)-1
    segments: null                 # null: 60/20/20 of the dates after the base set's warm-up
    base_factors: base20           # a library name or file (factors/base20.yaml), or a mapping name -> expression
    model: {template: LGBMModel, hyperparameters: {...}}
    objective: excess_with_cost.information_ratio          # a flat metric key (rdq.metrics.metric_key)
    rounds: 30
    seed: 0
    scheduler: bandit              # bandit | round_robin | random | neural
    executor: local                # local | ray
    workers: 2
    acceptance: {alpha: 0.05, mean_block: 10, n_boot: 500, min_delta: 0.0}
    thresholdout: {budget: 200}           # threshold, sigma: in the objective's units (default by objective)
    checks: {debug_assets: 50, debug_days: 250, min_coverage: 0.8, min_finite: 0.8, dup_corr: 0.7}
    candidate: {timeout_s: 120, memory_mb: 4096}
    gp: {population: 200, generations_per_round: 3, n_tasks: 3}
    strategy: {...}                # as a backtest scenario's strategy section
    metrics: {n: 252, mode: sum}
    proposer: {factor: gp, model: optuna}  # gp|llm, optuna|llm (rdq.agent._llm_section: proposer, coder, llm)

Every key is checked (unknown keys name the nearest valid one); errors are :class:`rdq.errors.ConfigError`
naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from rdq.agent._llm_section import (
    CoderSection,
    LLMSection,
    ProposerSection,
    llm_sections_from_dict,
    parse_coder,
    parse_llm,
    parse_proposer,
)
from rdq.agent._types import ModelTask
from rdq.errors import ConfigError
from rdq.metrics import Metric, RiskSeries, metric_key, signal_key
from rdq.pipeline._config import (  # noqa: PLC2701 - the research config reuses the scenario's section readers
    DataSection,
    MetricsSection,
    SegmentSection,
    StrategySection,
    _data,
    _jsonable,
    _metrics,
    _Reader,
    _segments,
    _strategy,
)

__all__ = [
    "ResearchConfig",
    "AcceptanceConfig",
    "ThresholdoutConfig",
    "CandidateLimits",
    "DEFAULT_OBJECTIVE",
    "DEFAULT_MODEL",
    "SCHEDULERS",
    "EXECUTORS",
    "parse_research_config",
    "load_research_config",
    "default_research_config",
    "config_from_dict",
    "split_dates",
    "fit_universe",
]

log = logging.getLogger(__name__)

#: validation information ratio of the excess return with cost
DEFAULT_OBJECTIVE = metric_key(RiskSeries.EXCESS_WITH_COST, Metric.INFORMATION_RATIO)
#: a small LightGBM that trains in seconds on 2 cores (qlib's benchmark parameters take minutes a round)
DEFAULT_MODEL = ModelTask(
    name="lgbm_small",
    description="LightGBM, 63 leaves, learning rate 0.05, early stopping on the validation loss",
    template="LGBMModel",
    hyperparameters={
        "loss": "mse",
        "learning_rate": 0.05,
        "num_leaves": 63,
        "max_depth": 6,
        "colsample_bytree": 0.8,
        "subsample": 0.8,
        "lambda_l1": 10.0,
        "lambda_l2": 10.0,
        "num_boost_round": 300,
        "early_stopping_rounds": 30,
        "num_threads": 2,
    },
)
SCHEDULERS = ("bandit", "round_robin", "random", "neural")
EXECUTORS = ("local", "ray")

_TOP = (
    "name", "data", "label", "segments", "base_factors", "model", "objective", "rounds", "seed", "scheduler",
    "executor", "workers", "ray_address", "acceptance", "thresholdout", "checks", "candidate", "gp", "strategy",
    "metrics", "proposer", "coder", "llm",
)  # fmt: skip
_ACCEPT = ("alpha", "mean_block", "n_boot", "min_delta")
_THRESH = ("threshold", "sigma", "budget")
_CHECKS = ("debug_assets", "debug_days", "min_coverage", "min_finite", "dup_corr")
_CAND = ("timeout_s", "memory_mb")
_GP = (
    "population",
    "generations_per_round",
    "n_tasks",
    "max_depth",
    "max_size",
    "screen_days",
    "complexity_penalty",
    "corr_penalty",
    "windows",
)
_MODEL = ("template", "hyperparameters", "name")


@dataclass(frozen=True)
class AcceptanceConfig:
    """The numeric accept rule: the paired stationary-bootstrap lower bound (level ``alpha``, one-sided) of
    the validation objective's improvement over SOTA must exceed ``min_delta``."""

    alpha: float = 0.05
    mean_block: float = 10.0
    n_boot: int = 500
    min_delta: float = 0.0


@dataclass(frozen=True)
class ThresholdoutConfig:
    """Thresholdout (Dwork et al. 2015) on the improvement: answer from train unless train and valid differ
    by more than ``threshold`` (plus Laplace noise of scale ``sigma``); ``budget`` overfitting answers."""

    threshold: float | None = None
    sigma: float | None = None
    budget: int = 200

    def resolved(self, objective: str) -> tuple[float, float]:
        """``(threshold, sigma)`` in the objective's units: the given values, else :data:`THRESHOLDOUT_SCALE`'s."""
        t, s = THRESHOLDOUT_SCALE.get(objective, (0.5, 0.1))
        return (t if self.threshold is None else self.threshold), (s if self.sigma is None else self.sigma)


#: Thresholdout's default (threshold, sigma) per objective, in its units: an IR of 0.5 and a Rank IC of 0.01
#: are both "a clear difference" (a threshold of 0.5 on a Rank IC would never trip, so the holdout would answer
#: the in-sample train improvement every time)
THRESHOLDOUT_SCALE: dict[str, tuple[float, float]] = {
    metric_key(RiskSeries.EXCESS_WITH_COST, Metric.INFORMATION_RATIO): (0.5, 0.1),
    metric_key(RiskSeries.EXCESS_WITH_COST, Metric.ANNUALIZED_RETURN): (0.05, 0.01),
    signal_key(Metric.IC): (0.01, 0.002),
    signal_key(Metric.RANK_IC): (0.01, 0.002),
    signal_key(Metric.ICIR): (0.05, 0.01),
    signal_key(Metric.RANK_ICIR): (0.05, 0.01),
}


@dataclass(frozen=True)
class CandidateLimits:
    """Per-candidate limits in the worker process."""

    timeout_s: float = 120.0
    memory_mb: int | None = 4096


@dataclass(frozen=True)
class ResearchConfig:
    """A whole research run (see the module docstring for the YAML form)."""

    name: str
    data: DataSection
    label: str | None = None
    segments: SegmentSection | None = None
    base_factors: dict[str, str] = field(default_factory=dict)
    base_library: str = "base20"
    model: ModelTask = DEFAULT_MODEL
    objective: str = DEFAULT_OBJECTIVE
    rounds: int = 30
    seed: int = 0
    scheduler: Literal["bandit", "round_robin", "random", "neural"] = "bandit"
    executor: Literal["local", "ray"] = "local"
    workers: int = 2
    ray_address: str | None = None
    acceptance: AcceptanceConfig = field(default_factory=AcceptanceConfig)
    thresholdout: ThresholdoutConfig = field(default_factory=ThresholdoutConfig)
    checks: dict[str, Any] = field(default_factory=dict)
    candidate: CandidateLimits = field(default_factory=CandidateLimits)
    gp: dict[str, Any] = field(default_factory=dict)
    strategy: StrategySection = field(
        default_factory=lambda: StrategySection(topk=30, n_drop=3, benchmark="equal_weight")
    )
    metrics: MetricsSection = field(default_factory=lambda: MetricsSection(n=252))
    source: str | None = None
    #: the default config on a user's panel: scale topk / n_drop down to a small universe (see fit_universe)
    auto_strategy: bool = False
    #: the LLM path (rdq.agent._llm_section): proposers per branch, the Co-STEER coder, the model
    proposer: ProposerSection = field(default_factory=ProposerSection)
    coder: CoderSection = field(default_factory=CoderSection)
    llm: LLMSection | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates ISO, paths as strings)."""
        out: dict[str, Any] = _jsonable(asdict(self))
        return out

    def replace(self, **changes: Any) -> ResearchConfig:
        """A copy with some fields changed (``--rounds``, ``--seed`` ... from the CLI)."""
        from dataclasses import replace

        return replace(self, **changes)


def _choice(r: _Reader, value: Any, where: str, choices: tuple[str, ...]) -> str:
    from rdq.errors import did_you_mean

    if value not in choices:
        raise r.fail(
            where, f"must be one of {list(choices)}{did_you_mean(str(value), choices)}, got {value!r}"
        )
    return str(value)


def _base(r: _Reader, raw: Any) -> tuple[dict[str, str], str]:
    from rdq.factors import load_library

    if raw is None:
        raw = "base20"
    if isinstance(raw, Mapping):
        exprs = {str(k): r.string(v, f"base_factors.{k}") for k, v in raw.items()}
        if not exprs:
            raise r.fail("base_factors", "empty mapping; give at least one factor or a library name")
        return exprs, "inline"
    text = r.string(raw, "base_factors")
    path = Path(text)
    if not path.is_absolute() and (r.base / path).exists():
        path = r.base / path
        text = str(path)
    try:
        return load_library(text), text
    except ConfigError as exc:
        raise r.fail("base_factors", str(exc)) from None


def _model(r: _Reader, raw: Any) -> ModelTask:
    if raw is None:
        return DEFAULT_MODEL
    m = r.mapping(raw, "model", _MODEL, ("template",))
    template = r.string(m["template"], "model.template")
    params = r.kv(m.get("hyperparameters"), "model.hyperparameters")
    from rdq.models import ModelSpec, build_model

    try:
        build_model(ModelSpec(template, dict(params)), seed=0)
    except (TypeError, ConfigError) as exc:
        raise r.fail("model", f"{exc}; check the class name and its options") from None
    return ModelTask(
        name=str(m.get("name", template)),
        description=f"{template} from the research config",
        template=template,
        hyperparameters=params,
    )


def parse_research_config(
    raw: Any, *, source: str = "<research>", base: Path | None = None
) -> ResearchConfig:
    """Check a research mapping (as read from YAML) and return the typed config.

    Raises
    ------
    ConfigError
        Unknown key (with the nearest valid one), bad value, missing file.
    """
    r = _Reader(source, base or Path.cwd())
    top = r.mapping(raw, "", _TOP, ("data",))
    label = top.get("label")
    a = r.mapping(top.get("acceptance"), "acceptance", _ACCEPT)
    t = r.mapping(top.get("thresholdout"), "thresholdout", _THRESH)
    c = r.mapping(top.get("candidate"), "candidate", _CAND)
    checks = r.mapping(top.get("checks"), "checks", _CHECKS)
    gp = r.mapping(top.get("gp"), "gp", _GP)
    base_exprs, base_lib = _base(r, top.get("base_factors"))
    objective = r.string(top.get("objective", DEFAULT_OBJECTIVE), "objective")
    defaults = ResearchConfig(name="x", data=DataSection())
    strategy = _strategy(r, top["strategy"]) if "strategy" in top else defaults.strategy
    metrics = _metrics(r, top["metrics"]) if "metrics" in top else defaults.metrics
    alpha = r.number(a.get("alpha", 0.05), "acceptance.alpha") or 0.05
    if not 0 < alpha < 0.5:
        raise r.fail("acceptance.alpha", f"must be in (0, 0.5), got {alpha}")
    return ResearchConfig(
        name=_run_name(r, top.get("name"), Path(source).stem),
        data=_data(r, top["data"], check_paths=True),
        label=None if label is None else r.string(label, "label"),
        segments=_segments(r, top.get("segments")),
        base_factors=base_exprs,
        base_library=base_lib,
        model=_model(r, top.get("model")),
        objective=objective,
        rounds=r.integer(top.get("rounds", 30), "rounds", minimum=0),
        seed=r.integer(top.get("seed", 0), "seed", minimum=0),
        scheduler=_choice(r, top.get("scheduler", "bandit"), "scheduler", SCHEDULERS),  # type: ignore[arg-type]
        executor=_choice(r, top.get("executor", "local"), "executor", EXECUTORS),  # type: ignore[arg-type]
        workers=r.integer(top.get("workers", 2), "workers", minimum=0),
        ray_address=top.get("ray_address"),
        acceptance=AcceptanceConfig(
            alpha=alpha,
            mean_block=r.number(a.get("mean_block", 10.0), "acceptance.mean_block") or 10.0,
            n_boot=r.integer(a.get("n_boot", 500), "acceptance.n_boot", minimum=50),
            min_delta=r.number(a.get("min_delta", 0.0), "acceptance.min_delta") or 0.0,
        ),
        thresholdout=ThresholdoutConfig(
            threshold=r.number(t.get("threshold"), "thresholdout.threshold", optional=True),
            sigma=r.number(t.get("sigma"), "thresholdout.sigma", optional=True),
            budget=r.integer(t.get("budget", 200), "thresholdout.budget", minimum=1),
        ),
        checks=dict(checks),
        candidate=CandidateLimits(
            timeout_s=r.number(c.get("timeout_s", 120.0), "candidate.timeout_s") or 120.0,
            memory_mb=c.get("memory_mb", 4096),
        ),
        gp=dict(gp),
        strategy=strategy,
        metrics=metrics,
        source=source,
        proposer=parse_proposer(top.get("proposer"), source=source),
        coder=parse_coder(top.get("coder"), source=source),
        llm=parse_llm(top.get("llm"), source=source),
    )


def load_research_config(path: str | Path) -> ResearchConfig:
    """Read a research YAML file, or a built-in research config by name (``synthetic``, ``panel``)."""
    import yaml

    from rdq import _yaml
    from rdq.resources import resolve

    p = Path(path) if Path(path).is_file() else resolve("research", path)
    try:
        raw = _yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{p}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_research_config(raw, source=str(p), base=p.parent)


def default_research_config(data_path: str | Path) -> ResearchConfig:
    """The default research config (``configs/research/panel.yaml``) pointed at a user's OHLCV panel."""
    cfg = load_research_config("panel")
    p = Path(data_path)
    if not p.exists():
        raise ConfigError(f"--data {data_path}: no such file or folder; give the path of your OHLCV panel")
    return cfg.replace(data=DataSection(path=p.resolve()), name=p.stem, source=str(p), auto_strategy=True)


def _run_name(r: Any, raw: Any, default: str) -> str:
    """The run's name: a string of letters, digits, ``_``, ``-``, ``.`` (it starts every run id); the file's
    stem when absent or null."""
    import re

    if raw is None:
        return default
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise r.fail("name", f"must be a text such as {default!r}, got {raw!r}")
    text = str(raw)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", text):
        raise r.fail("name", f"{text!r}: use letters, digits, '_', '-' or '.' (it names the run folders)")
    return text


def fit_universe(cfg: ResearchConfig, n_assets: int) -> ResearchConfig:
    """Check the top-k portfolio against the panel's universe before anything is computed.

    With ``auto_strategy`` (the default config on a user's panel) a ``topk`` above half the universe becomes
    ``max(1, n_assets // 5)`` and ``n_drop`` at most a third of it; otherwise such a config is an error.

    Raises
    ------
    ConfigError
        ``strategy.topk`` above half of the panel's assets in a config the user wrote.
    """
    topk = cfg.strategy.topk
    if topk <= max(1, n_assets // 2):
        return cfg
    if not cfg.auto_strategy:
        raise ConfigError(
            f"{cfg.source or cfg.name}: strategy.topk {topk} is more than half of the panel's {n_assets} assets; "
            f"set strategy.topk to at most {max(1, n_assets // 2)} (e.g. {max(1, n_assets // 5)})"
        )
    k = max(1, n_assets // 5)
    drop = max(1, min(cfg.strategy.n_drop, max(1, k // 3)))
    log.warning(
        "the panel has %d assets: top-%d dropout-%d instead of the default top-%d dropout-%d (write a research "
        "config to choose)", n_assets, k, drop, topk, cfg.strategy.n_drop,
    )  # fmt: skip
    return cfg.replace(strategy=dataclasses.replace(cfg.strategy, topk=k, n_drop=drop))


def split_dates(
    dates: list[dt.date], *, warmup: int, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)
) -> SegmentSection:
    """Train/valid/test spans as ``fractions`` of the dates after ``warmup`` days (the base set's history).

    Raises
    ------
    ConfigError
        Too few dates for three non-empty spans.
    """
    usable = sorted(dates)[warmup:]
    n = len(usable)
    if n < 30:
        raise ConfigError(
            f"the panel has {len(dates)} dates, {n} after the factors' {warmup}-day warm-up: too few to split "
            "60/20/20; give a longer panel or explicit segments"
        )
    a = int(n * fractions[0])
    b = int(n * (fractions[0] + fractions[1]))
    return SegmentSection(
        train=(usable[0], usable[a - 1]), valid=(usable[a], usable[b - 1]), test=(usable[b], usable[-1])
    )


def config_from_dict(d: Mapping[str, Any]) -> ResearchConfig:
    """Rebuild a :class:`ResearchConfig` from its :meth:`ResearchConfig.to_dict` form (a run folder's config.json)."""
    from rdq.pipeline._config import CostSection, SyntheticSpec

    def date(x: Any) -> dt.date | None:
        return None if x is None else dt.date.fromisoformat(str(x))

    def span(x: Any) -> tuple[dt.date, dt.date]:
        a, b = date(x[0]), date(x[1])
        assert a is not None and b is not None
        return a, b

    data = dict(d["data"])
    synth = data.get("synthetic")
    data_sec = DataSection(
        path=None if data.get("path") is None else Path(data["path"]),
        synthetic=None if synth is None else SyntheticSpec(**{**synth, "start": date(synth["start"])}),
        columns=dict(data.get("columns") or {}),
        universe=tuple(data["universe"]) if isinstance(data.get("universe"), list) else data.get("universe"),
        start=date(data.get("start")),
        end=date(data.get("end")),
        allow=tuple(data.get("allow") or ()),
    )
    seg = d.get("segments")
    segments = (
        None if seg is None else SegmentSection(span(seg["train"]), span(seg["valid"]), span(seg["test"]))
    )
    st = dict(d["strategy"])
    strategy = StrategySection(**{**st, "costs": CostSection(**st["costs"])})
    m = d["model"]
    c = d["candidate"]
    return ResearchConfig(
        name=d["name"],
        data=data_sec,
        label=d.get("label"),
        segments=segments,
        base_factors=dict(d["base_factors"]),
        base_library=d.get("base_library", "inline"),
        model=ModelTask(m["name"], m["description"], m["template"], dict(m["hyperparameters"])),
        objective=d["objective"],
        rounds=int(d["rounds"]),
        seed=int(d["seed"]),
        scheduler=d["scheduler"],
        executor=d["executor"],
        workers=int(d["workers"]),
        ray_address=d.get("ray_address"),
        acceptance=AcceptanceConfig(**d["acceptance"]),
        thresholdout=ThresholdoutConfig(**d["thresholdout"]),
        checks=dict(d.get("checks") or {}),
        candidate=CandidateLimits(timeout_s=float(c["timeout_s"]), memory_mb=c.get("memory_mb")),
        gp=dict(d.get("gp") or {}),
        strategy=strategy,
        metrics=MetricsSection(**d["metrics"]),
        source=d.get("source"),
        auto_strategy=bool(d.get("auto_strategy", False)),
        **llm_sections_from_dict(d),
    )
