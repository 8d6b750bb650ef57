"""Backtest scenarios end to end: a YAML file -> data -> factors -> model -> top-k backtest -> report.

::

    from rdq.pipeline import load_scenario, run_scenario
    res = run_scenario(load_scenario("backtests/demo.yaml"), workspace=".rdq")
    res.metrics["excess_with_cost.information_ratio"], res.report.html

Stage outputs are cached in the run folder, so a killed run resumes where it stopped (see
:mod:`rdq.pipeline._run`).
"""

from __future__ import annotations

from rdq.pipeline._cache import StageCache
from rdq.pipeline._config import (
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
    load_scenario,
    parse_scenario,
    section_hash,
)
from rdq.pipeline._run import STAGES, ScenarioResult, StageName, run_dir_for, run_scenario

__all__ = [
    "EQUAL_WEIGHT",
    "STAGES",
    "CostSection",
    "DataSection",
    "FactorSection",
    "MetricsSection",
    "ModelSection",
    "RollingSection",
    "ScenarioConfig",
    "ScenarioResult",
    "SegmentSection",
    "StageCache",
    "StageName",
    "StrategySection",
    "SyntheticSpec",
    "load_scenario",
    "parse_scenario",
    "run_dir_for",
    "run_scenario",
    "section_hash",
]
