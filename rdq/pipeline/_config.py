"""Scenario configs: one YAML file -> frozen dataclasses, checked at the boundary.

A scenario file (see ``backtests/*.yaml``)::

    name: csi300_lgbm_alpha158
    data:
      path: ~/.qlib/qlib_data/cn_data          # relative paths start from this file's folder; or  synthetic: {...}
      columns: {Ticker: asset}                  # optional source column -> canonical name
      universe: csi300                          # list of assets, instruments file, or qlib market name
      start: 2008-01-01
      end: 2020-08-01
      allow: [high_below_low]                   # optional: fatal data problems accepted as warnings
    factors:
      library: alpha158                         # built-in name or a library file; and/or
      extra: {MOM20: "$close/Ref($close, 20) - 1"}
    label: null                                 # expression; null = qlib's Ref($close,-2)/Ref($close,-1)-1
    model: lgbm_alpha158                        # built-in model config, a file (relative to this one), or inline {class, kwargs, ...}
    segments:
      train: [2008-01-01, 2014-12-31]
      valid: [2015-01-01, 2016-12-31]
      test:  [2017-01-01, 2020-08-01]
    rolling: null                               # or {step: 20, train_span: 1000, valid_span: 250}
    strategy:
      topk: 50
      n_drop: 5
      hold_thresh: 1
      account: 100000000
      benchmark: SH000300                       # an asset, "equal_weight", or null
      costs: {open_cost: 0.0005, close_cost: 0.0015, min_cost: 5, trade_unit: 100,
              limit_threshold: 0.095, deal_price: close}
    metrics: {n: 238, mode: sum}

Unknown keys, missing files and bad dates raise :class:`~rdq.errors.ConfigError` naming the file,
the key path and the fix (with the nearest valid key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rdq import _yaml
from rdq.errors import ConfigError
from rdq.pipeline._config_read import (  # noqa: F401 - _Reader and the section readers are re-exported (agent config)
    _TOP,
    _data,
    _factors,
    _metrics,
    _model,
    _Reader,
    _rolling,
    _segments,
    _strategy,
    check_segments_in_data,
)
from rdq.pipeline._sections import (  # noqa: F401 - _jsonable is re-exported (agent config)
    EQUAL_WEIGHT,
    CostSection,
    DataSection,
    FactorSection,
    MetricsSection,
    ModelSection,
    RollingSection,
    ScenarioConfig,
    SegmentSection,
    StrategySection,
    SyntheticSpec,
    _jsonable,
    section_hash,
)
from rdq.resources import resolve

__all__ = [
    "SyntheticSpec",
    "DataSection",
    "FactorSection",
    "ModelSection",
    "SegmentSection",
    "RollingSection",
    "CostSection",
    "StrategySection",
    "MetricsSection",
    "ScenarioConfig",
    "load_scenario",
    "parse_scenario",
    "section_hash",
    "check_segments_in_data",
    "EQUAL_WEIGHT",
]


def parse_scenario(
    raw: Any,
    *,
    source: str = "<scenario>",
    base: Path | None = None,
    check_paths: bool = True,
    require_segments: bool = False,
) -> ScenarioConfig:
    """Check a scenario mapping (as read from YAML) and return the typed config.

    Parameters
    ----------
    raw:
        The mapping.
    source:
        Name used in error messages (the file path).
    base:
        Folder relative paths are resolved against (the scenario file's folder; default: cwd).
    check_paths:
        Require ``data.path`` and the model config path to exist.
    require_segments:
        Require ``segments`` when the model is inline (a model config file brings its own).

    Raises
    ------
    ConfigError
        Unknown key (with the nearest valid one), missing file, bad date, bad value.
    """
    r = _Reader(source, (base or Path.cwd()))
    top = r.mapping(raw, "", _TOP, ("data", "model"))
    label = top.get("label")
    if label is not None:
        label = r.string(label, "label")
    name = top.get("name", Path(source).stem)
    model = _model(r, top["model"], check_paths=check_paths)
    segments = _segments(r, top.get("segments"))
    if require_segments and segments is None and model.path is None:
        raise r.fail("segments", "missing: give train/valid/test date spans (an inline model has no default)")
    return ScenarioConfig(
        name=r.string(str(name), "name"),
        data=_data(r, top["data"], check_paths=check_paths),
        factors=_factors(r, top.get("factors")),
        label=label,
        model=model,
        segments=segments,
        rolling=_rolling(r, top.get("rolling")),
        strategy=_strategy(r, top.get("strategy")),
        metrics=_metrics(r, top.get("metrics")),
        source=source,
    )


def load_scenario(path: str | Path, *, check_paths: bool = True) -> ScenarioConfig:
    """Read a scenario YAML file (see the module docstring for the format).

    Parameters
    ----------
    path:
        The YAML file if it exists, else a built-in scenario name (``demo``, ``smoke``,
        ``csi300_lgbm_alpha158``: ``rdq configs list``). Paths inside the file (``data.path``,
        ``model``, ``factors.library``) are taken relative to the file's folder, never the current
        directory; ``model`` and ``factors.library`` may also be built-in names.
    check_paths:
        Require the data and model-config paths to exist (``False`` validates the file's structure
        only, e.g. for a scenario whose data lives on another machine).

    Raises
    ------
    ConfigError
        Neither a file nor a built-in name (with the nearest one), invalid YAML (with the line), or
        any problem :func:`parse_scenario` reports.
    """
    p = Path(path) if Path(path).is_file() else resolve("backtests", path)
    try:
        raw = _yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{p}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_scenario(raw, source=str(p), base=p.parent, check_paths=check_paths, require_segments=True)
