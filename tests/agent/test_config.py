"""Research configs: the built-ins parse, names are run-id safe, Thresholdout's scale follows the objective."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent.conftest import write_config
from rdq.agent._config import THRESHOLDOUT_SCALE, ThresholdoutConfig, fit_universe, load_research_config
from rdq.errors import ConfigError


@pytest.mark.parametrize("name", ["synthetic", "panel"])
def test_the_built_in_configs_parse(name: str) -> None:
    cfg = load_research_config(name)
    assert cfg.name == name and cfg.rounds == 30 and len(cfg.base_factors) == 20
    assert cfg.thresholdout.threshold is None  # in the objective's units by default
    assert cfg.thresholdout.resolved(cfg.objective) == THRESHOLDOUT_SCALE[cfg.objective]


def test_a_null_name_is_the_file_stem_and_a_bad_one_is_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, name="null_market")
    raw = yaml.safe_load(path.read_text())
    raw["name"] = None  # `name: null` in YAML
    path.write_text(yaml.safe_dump(raw))
    assert load_research_config(path).name == "null_market"
    raw["name"] = "a/b"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="name: 'a/b': use letters"):
        load_research_config(path)


def test_thresholdout_scale_by_objective() -> None:
    assert ThresholdoutConfig().resolved("signal.rank_ic") == (0.01, 0.002)
    assert ThresholdoutConfig().resolved("excess_with_cost.information_ratio") == (0.5, 0.1)
    assert ThresholdoutConfig(threshold=0.2).resolved("signal.rank_ic") == (0.2, 0.002)


def test_fit_universe(tmp_path: Path) -> None:
    cfg = load_research_config(write_config(tmp_path))  # topk 10
    assert fit_universe(cfg, 100) is cfg
    with pytest.raises(ConfigError, match="strategy.topk 10 is more than half of the panel's 12 assets"):
        fit_universe(cfg, 12)
    auto = fit_universe(cfg.replace(auto_strategy=True), 12)
    assert (auto.strategy.topk, auto.strategy.n_drop) == (2, 1)
