"""The ``rdq rl`` config file: data, environment, walk-forward folds, QTNet, baselines, experts.

::

    name: qtnet_1min
    seed: 0
    data:                      # one instrument: a minute-bar Parquet file, a daily panel, or synthetic bars
      path: ../../../shared/data/us_1min_2024.parquet   # relative to this file (else the current folder)
      symbol: FDS
      bars: minute             # minute (09:30-16:00 grid, a session is a day) | daily (a session is a month)
      start: 2024-01-02
      end: 2024-12-31
      # synthetic: {n_sessions: 24, session_bars: 40, drift: 0.0005, vol: 0.001, seed: 0}
    env: {window: 16, reward: pnl, fee_bps: 5.0, slippage_bps: 1.0}      # rdq.rl.EnvConfig
    walk_forward: {unit: month, train: 6, test: 2, folds: 3, expanding: false}
    qtnet: {iterations: 30, ...}                                          # rdq.rl.QTNetConfig
    baselines:                 # stable-baselines3 / sb3-contrib (pip install 'rdq[rl]'); {} for none
      ppo: {total_timesteps: 50000, n_steps: 1024}
      recurrent_ppo: {total_timesteps: 20000}
    experts: {dual_thrust: {}, r_breaker: {}, ma_crossover: {fast: 10, slow: 30}, bollinger: {}, buy_and_hold: {}}

The top-level ``seed`` is QTNet's and the baselines' (``--seed`` overrides it; a ``qtnet.seed`` is ignored).

Walk-forward: the sessions are grouped by ``unit`` (session, calendar month or quarter of their first day);
fold ``k`` trains on groups ``[k * test, k * test + train)`` (from group 0 when ``expanding``) and tests on the
``test`` groups after them; ``folds`` caps their number (default: as many as fit).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rdq.errors import ConfigError, did_you_mean
from rdq.rl._baselines import BASELINES
from rdq.rl._experts import make_expert
from rdq.rl._market import EnvConfig
from rdq.rl._train import QTNetConfig

__all__ = ["BaselineSpec", "DataSpec", "RLConfig", "WalkForward", "config_from_dict", "load_rl_config"]

Unit = Literal["session", "month", "quarter"]


def _check_keys(data: dict[str, Any], allowed: list[str], where: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(data).__name__}")
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}: unknown key{did_you_mean(str(key), allowed)}; valid: {', '.join(allowed)}")


@dataclass(frozen=True)
class DataSpec:
    """Where the bars come from: ``path`` + ``symbol`` (``bars`` minute or daily), or ``synthetic``."""

    path: str | None = None
    symbol: str | None = None
    bars: Literal["minute", "daily"] = "minute"
    start: str | None = None
    end: str | None = None
    synthetic: dict[str, Any] | None = None

    @property
    def periods_per_year(self) -> float:
        """Sessions a year: 252 trading days (minute and synthetic bars), 12 months (daily bars)."""
        return 12.0 if self.bars == "daily" and self.synthetic is None else 252.0

    @property
    def bars_per_year(self) -> float | None:
        """Bars a year when the evaluation's Sharpe ratio is per bar: 252 for daily bars (whose sessions are
        months), ``None`` (per session, :attr:`periods_per_year`) for minute and synthetic bars."""
        return 252.0 if self.bars == "daily" and self.synthetic is None else None


@dataclass(frozen=True)
class WalkForward:
    """Walk-forward folds (see the module docstring)."""

    unit: Unit = "month"
    train: int = 6
    test: int = 1
    folds: int | None = None
    expanding: bool = False

    def __post_init__(self) -> None:
        if self.unit not in ("session", "month", "quarter"):
            raise ConfigError(f"walk_forward.unit must be session, month or quarter, got {self.unit!r}")
        if self.train < 1 or self.test < 1 or (self.folds is not None and self.folds < 1):
            raise ConfigError("walk_forward.train, .test (and .folds) must be >= 1")


@dataclass(frozen=True)
class BaselineSpec:
    """A stable-baselines3 agent: ``algo`` (ppo, dqn, recurrent_ppo), its budget and its constructor kwargs."""

    algo: str
    total_timesteps: int = 20_000
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RLConfig:
    """A whole ``rdq rl train`` run (see the module docstring)."""

    name: str
    seed: int
    data: DataSpec
    env: EnvConfig
    walk_forward: WalkForward
    qtnet: QTNetConfig
    baselines: tuple[BaselineSpec, ...] = ()
    experts: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain types (the run folder's ``config.json``); :func:`config_from_dict` reads it back."""
        return {
            "name": self.name, "seed": self.seed, "source": self.source,
            "data": dataclasses.asdict(self.data),
            "env": dataclasses.asdict(self.env),
            "walk_forward": dataclasses.asdict(self.walk_forward),
            "qtnet": self.qtnet.to_dict(),
            "baselines": {b.algo: {"total_timesteps": b.total_timesteps, **b.params} for b in self.baselines},
            "experts": {k: dict(v) for k, v in self.experts.items()},
        }

    def with_seed(self, seed: int) -> RLConfig:
        """The same run with another seed (QTNet's and the baselines')."""
        return dataclasses.replace(self, seed=seed, qtnet=dataclasses.replace(self.qtnet, seed=seed))


def _resolve_data_path(raw: str, base: Path | None) -> str:
    p = Path(raw).expanduser()
    if p.is_absolute():
        return str(p)
    tried = [(base / p) if base is not None else None, Path.cwd() / p]
    for cand in tried:
        if cand is not None and cand.exists():
            return str(cand.resolve())
    where = " or ".join(str(c) for c in tried if c is not None)
    raise ConfigError(f"data.path {raw!r} does not exist (looked in {where}); give the minute-bar Parquet file "
                      "with --data PATH (the shared file: ../shared/data/us_1min_2024.parquet)")


def config_from_dict(raw: dict[str, Any], *, base: Path | None = None, source: str | None = None) -> RLConfig:
    """Validate a config mapping; ``base`` is the folder relative data paths start from."""
    top = ["name", "seed", "data", "env", "walk_forward", "qtnet", "baselines", "experts", "source"]
    _check_keys(raw, top, "config")
    seed = int(raw.get("seed", 0))
    d = dict(raw.get("data") or {})
    _check_keys(d, [f.name for f in dataclasses.fields(DataSpec)], "data")
    for k in ("start", "end"):
        if d.get(k) is not None:
            d[k] = str(d[k])
    if d.get("bars", "minute") not in ("minute", "daily"):
        raise ConfigError(f"data.bars must be minute or daily, got {d.get('bars')!r}")
    if d.get("synthetic") is None:
        if not d.get("path") or not d.get("symbol"):
            raise ConfigError("data needs path and symbol (or synthetic: {...}); e.g. path: "
                              "../shared/data/us_1min_2024.parquet, symbol: FDS")
        d["path"] = _resolve_data_path(str(d["path"]), base)
    data = DataSpec(**d)
    env = EnvConfig.from_dict(raw.get("env"))
    wf_raw = dict(raw.get("walk_forward") or {})
    _check_keys(wf_raw, [f.name for f in dataclasses.fields(WalkForward)], "walk_forward")
    wf = WalkForward(**wf_raw)
    qraw = dict(raw.get("qtnet") or {})
    qraw["seed"] = seed
    qtnet = QTNetConfig.from_dict(qraw)
    bl_raw = raw.get("baselines") or {}
    _check_keys(bl_raw, list(BASELINES), "baselines")
    baselines = []
    for algo, params in bl_raw.items():
        if params is None:
            continue
        p = dict(params)
        baselines.append(BaselineSpec(algo=algo, total_timesteps=int(p.pop("total_timesteps", 20_000)), params=p))
    ex_raw = raw.get("experts")
    if ex_raw is None:  # every expert with its default parameters
        from rdq.rl._experts import EXPERTS

        experts: dict[str, dict[str, Any]] = {n: {} for n in EXPERTS}
    elif isinstance(ex_raw, dict):
        experts = {str(k): dict(v or {}) for k, v in ex_raw.items()}
    elif isinstance(ex_raw, list):
        experts = {str(n): {} for n in ex_raw}
    else:
        raise ConfigError("experts must be a mapping (name: {parameters}) or a list of expert names")
    for name, params in experts.items():  # the prophet (look-ahead) is refused here: it is never a strategy
        make_expert(name, **params)
    return RLConfig(name=str(raw.get("name") or "rl"), seed=seed, data=data, env=env, walk_forward=wf, qtnet=qtnet,
                    baselines=tuple(baselines), experts=experts, source=source or raw.get("source"))


def load_rl_config(value: str | Path, *, seed: int | None = None, data_path: str | Path | None = None) -> RLConfig:
    """Read a config file, or a built-in name (``qtnet_1min``, ``qtnet_synthetic``, ``qtnet_daily``: ``configs/rl/``).

    Parameters
    ----------
    value:
        A path (relative to the current folder) or a built-in name.
    seed:
        Overrides the file's ``seed``.
    data_path:
        Overrides ``data.path`` (and drops ``data.synthetic``).
    """
    from rdq._yaml import safe_load
    from rdq.resources import resolve

    path = resolve("rl", value)
    raw = safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: an rdq rl config is a mapping (name, data, env, walk_forward, qtnet, ...)")
    if seed is not None:
        raw["seed"] = seed
    if data_path is not None:
        raw["data"] = {k: v for k, v in dict(raw.get("data") or {}).items() if k != "synthetic"}
        raw["data"]["path"] = str(Path(data_path).expanduser().resolve())
    try:
        return config_from_dict(raw, base=path.parent, source=str(path))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.one_line()}") from None
