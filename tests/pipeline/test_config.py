"""Scenario files: every shipped one validates; bad ones fail with the key, the file and the fix."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from rdq.errors import ConfigError
from rdq.pipeline import ScenarioConfig, load_scenario, parse_scenario, section_hash

from .conftest import SMALL, write_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "backtests").glob("*.yaml"))


def test_backtests_folder_has_the_shipped_scenarios() -> None:
    names = {p.name for p in SCENARIOS}
    assert {"demo.yaml", "csi300_lgbm_alpha158.yaml", "smoke.yaml"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_scenario_file_validates(path: Path) -> None:
    # data may live elsewhere (a user's qlib folder); everything else, model config included, must check
    cfg = load_scenario(path, check_paths=False)
    assert isinstance(cfg, ScenarioConfig)
    assert (cfg.model.path is not None and cfg.model.path.is_file()) or cfg.model.cls is not None
    from rdq.pipeline import _adapters as ad

    ad.check_model(cfg.model)
    assert ad.feature_expressions(cfg.factors)
    assert cfg.segments is not None
    if cfg.data.synthetic is not None:
        assert cfg.data.synthetic.start <= cfg.segments.train[0]


def test_demo_scenario() -> None:
    cfg = load_scenario(ROOT / "backtests" / "demo.yaml")
    assert cfg.data.synthetic is not None
    assert (cfg.data.synthetic.assets, cfg.data.synthetic.days) == (300, 2000)
    assert cfg.model.path == ROOT / "configs" / "lgbm_alpha158.yaml"
    assert (cfg.strategy.topk, cfg.strategy.n_drop) == (50, 5)
    assert cfg.strategy.costs.trade_unit is None and cfg.strategy.costs.limit_threshold is None
    from rdq.data import synth_market

    last_day = synth_market(n_assets=2, n_days=2000, seed=0).panel["date"].max()
    assert cfg.segments is not None and cfg.segments.test[1] == last_day == dt.date(2022, 8, 31)


def test_csi300_scenario_is_the_papers_setting() -> None:
    cfg = load_scenario(ROOT / "backtests" / "csi300_lgbm_alpha158.yaml", check_paths=False)
    assert cfg.data.path == Path("~/.qlib/qlib_data/cn_data").expanduser()
    assert cfg.data.universe == "csi300"
    assert cfg.factors.library == "alpha158" and cfg.label is None
    assert cfg.segments is not None
    assert cfg.segments.train == (dt.date(2008, 1, 1), dt.date(2014, 12, 31))
    assert cfg.segments.valid == (dt.date(2015, 1, 1), dt.date(2016, 12, 31))
    assert cfg.segments.test == (dt.date(2017, 1, 1), dt.date(2020, 8, 1))
    s = cfg.strategy
    assert (s.topk, s.n_drop, s.benchmark, s.account) == (50, 5, "SH000300", 1e8)
    c = s.costs
    assert (c.open_cost, c.close_cost, c.min_cost, c.trade_unit, c.limit_threshold, c.deal_price) == (
        0.0005,
        0.0015,
        5.0,
        100,
        0.095,
        "close",
    )
    assert cfg.metrics.n == 238


def _bad(tmp_path: Path, edit: Any) -> str:
    body = copy.deepcopy(SMALL)
    edit(body)
    path = write_scenario(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert str(path) in msg
    return msg


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    msg = _bad(tmp_path, lambda b: b["strategy"].update(ndrop=3))
    assert "strategy.ndrop" in msg and "did you mean 'n_drop'" in msg
    msg = _bad(tmp_path, lambda b: b.update(segment=b.pop("segments")))
    assert "did you mean 'segments'" in msg
    msg = _bad(tmp_path, lambda b: b["strategy"]["costs"].update(open_cots=0.1))
    assert "strategy.costs.open_cots" in msg and "open_cost" in msg


def test_missing_files(tmp_path: Path) -> None:
    msg = _bad(tmp_path, lambda b: b.update(data={"path": "no/such/data.parquet"}))
    assert "data.path" in msg and "does not exist" in msg
    msg = _bad(tmp_path, lambda b: b.update(model="configs/nope.yaml"))
    assert "model" in msg and "nope.yaml" in msg
    with pytest.raises(ConfigError, match="does not exist"):
        load_scenario(tmp_path / "absent.yaml")


def test_bad_dates(tmp_path: Path) -> None:
    msg = _bad(tmp_path, lambda b: b["segments"].update(train=["2015-13-01", "2015-12-17"]))
    assert "segments.train[0]" in msg and "'2015-13-01'" in msg and "ISO" in msg
    msg = _bad(tmp_path, lambda b: b["segments"].update(valid=["2016-03-24", "2015-12-18"]))
    assert "after end" in msg
    msg = _bad(tmp_path, lambda b: b["segments"].update(test=["2016-01-01", "2016-07-13"]))
    assert "overlap" in msg


def test_bad_values(tmp_path: Path) -> None:
    assert "exactly one" in _bad(tmp_path, lambda b: b["data"].update(path="x.parquet"))
    assert "strategy.topk" in _bad(tmp_path, lambda b: b["strategy"].update(topk="ten"))
    assert "deal_price" in _bad(tmp_path, lambda b: b["strategy"]["costs"].update(deal_price="vwap"))
    assert "metrics.mode" in _bad(tmp_path, lambda b: b["metrics"].update(mode="prod"))
    assert "no features" in _bad(tmp_path, lambda b: b.update(factors={"extra": {}}))


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ndata: {synthetic: {assets: 3}\nmodel: y\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+: not valid YAML"):
        load_scenario(path)


def test_inline_model_needs_segments() -> None:
    with pytest.raises(ConfigError, match="segments"):
        parse_scenario(
            {"data": {"synthetic": {}}, "model": {"class": "LGBMModel"}},
            source="x.yaml",
            require_segments=True,
        )


def test_parse_defaults() -> None:
    cfg = parse_scenario({"data": {"synthetic": {}}, "model": {"class": "LGBMModel"}}, source="inline.yaml")
    assert cfg.name == "inline"
    assert cfg.factors.library == "alpha158"
    assert cfg.strategy.topk == 50 and cfg.strategy.costs.open_cost == 0.0005
    assert cfg.metrics.n == 238 and cfg.segments is None


def test_section_hash_is_stable_and_sensitive() -> None:
    cfg = parse_scenario({"data": {"synthetic": {}}, "model": {"class": "LGBMModel"}})
    assert section_hash(cfg.strategy, "x") == section_hash(cfg.strategy, "x")
    assert section_hash(cfg.strategy, "x") != section_hash(cfg.strategy, "y")
    other = parse_scenario(
        {"data": {"synthetic": {}}, "model": {"class": "LGBMModel"}, "strategy": {"topk": 49}}
    )
    assert section_hash(cfg.strategy) != section_hash(other.strategy)
