"""The research config's proposer / coder / llm sections: parsing, errors, the round trip a resume needs, and
the knowledge-cutoff warning of the report."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from agent.test_llm_loop import LLM_SMALL
from rdq.agent._config import config_from_dict, parse_research_config
from rdq.agent._llm_section import CoderSection, LLMSection, ProposerSection
from rdq.agent._report import memorisation_check
from rdq.errors import ConfigError
from rdq.pipeline._config import DataSection


def _parse(**changes: Any) -> Any:
    return parse_research_config({**LLM_SMALL, **changes}, source="cfg.yaml")


def test_defaults_keep_the_offline_loop() -> None:
    cfg = _parse()
    assert cfg.llm is None and cfg.proposer == ProposerSection()
    assert cfg.proposer.resolved(False) == ("gp", "optuna")
    assert cfg.coder == CoderSection(max_attempts=3, workers=1, language="expression")


def test_sections_parse_and_round_trip() -> None:
    cfg = _parse(
        proposer={"factor": "llm", "model": "optuna"},
        coder={"max_attempts": 2, "workers": 2, "language": "auto"},
        llm={"model": "openai:gpt-4o-mini", "budget_usd": 0.5, "max_tokens": 10_000, "timeout_s": 30},
    )
    assert cfg.proposer.resolved(True) == ("llm", "optuna")
    assert cfg.llm == LLMSection(
        "openai:gpt-4o-mini", budget_usd=0.5, max_tokens=10_000, settings={"timeout_s": 30}
    )
    lc = cfg.llm.llm_config()
    assert (lc.timeout_s, lc.price_input_per_mtok, lc.knowledge_cutoff) == (30.0, 0.15, "2023-10")
    back = config_from_dict(cfg.to_dict())
    assert (back.proposer, back.coder, back.llm) == (cfg.proposer, cfg.coder, cfg.llm)
    # a plain PROVIDER:MODEL; with an llm and no proposer section both branches use it
    short = _parse(llm="ollama:llama3.1")
    assert short.llm == LLMSection("ollama:llama3.1") and short.proposer.resolved(True) == ("llm", "llm")
    # an old config.json (before these sections) still loads
    old = {k: v for k, v in cfg.to_dict().items() if k not in ("proposer", "coder", "llm")}
    assert config_from_dict(old).llm is None


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"proposer": {"factor": "lm"}}, ["cfg.yaml", "proposer.factor", "'llm'"]),
        ({"proposer": {"factors": "llm"}}, ["proposer.factors", "did you mean 'factor'"]),
        ({"coder": {"max_attempts": 0}}, ["coder.max_attempts", ">= 1"]),
        ({"coder": {"language": "rust"}}, ["coder.language", "expression"]),
        ({"llm": {"model": "gpt-4o"}}, ["llm.model", "PROVIDER:MODEL"]),
        ({"llm": {"model": "openai:x", "budget": 1}}, ["llm.budget", "did you mean 'budget_usd'"]),
        ({"llm": {"model": "openai:x", "max_tokens": -1}}, ["llm.max_tokens", "non-negative"]),
        ({"llm": {"model": "openai:x", "structured": "xml"}}, ["cfg.yaml", "llm", "structured"]),
    ],
)
def test_bad_sections_name_the_file_and_key(changes: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        _parse(**changes)
    for w in words:
        assert w in str(err.value), str(err.value)


def test_a_branch_on_llm_without_a_model_is_an_error(tmp_path: Path) -> None:
    from rdq.agent._loop_llm import preflight

    cfg = _parse(proposer={"factor": "llm"})
    with pytest.raises(ConfigError, match="--llm PROVIDER:MODEL"):
        preflight(cfg)


def test_memorisation_warning_when_the_test_span_precedes_the_cutoff() -> None:
    cfg = _parse(llm="openai:gpt-4o-mini")  # knowledge cutoff 2023-10 (configs/llm/openai.yaml)
    real = cfg.replace(data=DataSection(path=Path("market.parquet")))
    got = memorisation_check(real, dt.date(2023, 10, 31))
    assert got["knowledge_cutoff"] == "2023-10"
    assert "2023-10-31" in got["memorisation_warning"] and "synthetic market" in got["memorisation_warning"]
    assert memorisation_check(real, dt.date(2023, 11, 1))["memorisation_warning"] is None
    # the synthetic market: no model has seen its alphas, whatever its dates
    assert memorisation_check(cfg, dt.date(2001, 1, 1)) == {
        "knowledge_cutoff": "2023-10",
        "memorisation_warning": None,
    }
    # a day-precise cutoff from the config's settings; no LLM: nothing to say
    day = real.replace(llm=dataclasses.replace(real.llm, settings={"knowledge_cutoff": "2020-03-15"}))
    assert memorisation_check(day, dt.date(2020, 3, 15))["memorisation_warning"] is not None
    assert memorisation_check(day, dt.date(2020, 3, 16))["memorisation_warning"] is None
    assert memorisation_check(real.replace(llm=None), dt.date(2001, 1, 1)) == {}
