"""load_llm_config (shipped configs, user files, errors) and make_chat_model."""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path

import pytest

from rdq.errors import ConfigError
from rdq.llm import LLMConfig, load_llm_config, make_chat_model
from rdq.llm._config import PLACEHOLDER_KEY, llm_config_dir


def test_shipped_configs_exist_and_load() -> None:
    names = sorted(p.stem for p in llm_config_dir().glob("*.yaml"))
    assert names == ["anthropic", "local", "ollama", "openai"]
    cfg = load_llm_config("openai:gpt-4o-mini")
    assert (cfg.provider, cfg.model, cfg.spec) == ("openai", "gpt-4o-mini", "openai:gpt-4o-mini")
    assert (cfg.price_input_per_mtok, cfg.price_output_per_mtok, cfg.knowledge_cutoff) == (
        0.15,
        0.60,
        "2023-10",
    )
    assert cfg.cost_usd(1_000_000, 500_000) == pytest.approx(0.15 + 0.30)
    assert "2023-10" in cfg.knowledge_note


def test_dated_snapshot_and_latest_alias_take_the_base_entry() -> None:
    assert load_llm_config("openai:gpt-4o-mini-2024-07-18").price_input_per_mtok == 0.15
    haiku = load_llm_config("anthropic:claude-3-5-haiku-latest")
    assert (haiku.price_input_per_mtok, haiku.max_output_tokens) == (0.80, 4096)
    # gpt-4o-audio-preview is not a dated gpt-4o: unknown, price 0
    assert load_llm_config("openai:gpt-4o-audio-preview").price_input_per_mtok == 0.0


def test_local_and_ollama_are_free_without_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rdq.llm"):
        local = load_llm_config("local:qwen2.5-7b")
        ollama = load_llm_config("ollama:mistral")
    assert caplog.records == []
    assert (local.provider, local.base_url, local.price_input_per_mtok) == (
        "openai",
        "http://127.0.0.1:8000/v1",
        0.0,
    )
    assert (
        load_llm_config("local:q", base_url="http://127.0.0.1:1234/v1").base_url == "http://127.0.0.1:1234/v1"
    )
    assert (ollama.provider, ollama.structured, ollama.price_output_per_mtok) == ("ollama", "json", 0.0)


def test_unknown_model_costs_zero_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rdq.llm"):
        cfg = load_llm_config("openai:gpt-4o-mni")
    assert cfg.price_input_per_mtok == 0.0 and cfg.price_output_per_mtok == 0.0
    (record,) = caplog.records
    assert (
        "cost is not counted" in record.getMessage() and "did you mean 'gpt-4o-mini'" in record.getMessage()
    )


@pytest.mark.parametrize("spec", ["gpt-4o-mini", "openai:", ":gpt-4o", "Open AI:x", ""])
def test_malformed_spec_names_the_form(spec: str) -> None:
    with pytest.raises(ConfigError, match="expected PROVIDER:MODEL, e.g. openai:gpt-4o-mini"):
        load_llm_config(spec)


def test_user_config_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "provider: openai\nbase_url: http://10.0.0.5:8000/v1\ndefaults: {timeout_s: 9, max_repairs: 1}\n"
        "models:\n  my-model: {price_input_per_mtok: 1.5, price_output_per_mtok: 2, knowledge_cutoff: 2024-03-31}\n"
    )
    cfg = load_llm_config("openai:my-model", config=path)
    assert cfg == LLMConfig(
        provider="openai",
        model="my-model",
        base_url="http://10.0.0.5:8000/v1",
        timeout_s=9.0,
        max_repairs=1,
        price_input_per_mtok=1.5,
        price_output_per_mtok=2.0,
        knowledge_cutoff="2024-03-31",  # YAML's date read back as text
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("modles: {}\n", "unknown key 'modles' \\(did you mean 'models'\\?\\)"),
        ("models:\n  m: {price_in: 1}\n", "models.m: unknown setting 'price_in'"),
        ("models:\n  m: {price_input_per_mtok: cheap}\n", "price_input_per_mtok: expected a number"),
        (
            "models:\n  m: {knowledge_cutoff: 'late 2023'}\n",
            "knowledge_cutoff='late 2023'; write it as YYYY-MM",
        ),
        ("- a\n- b\n", "is a mapping"),
    ],
)
def test_bad_config_files_name_the_key(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_llm_config("openai:m", config=path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_llm_config("openai:m", config=tmp_path / "nope.yaml")


def test_openai_with_base_url_and_no_key_gets_a_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("langchain_openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    cfg = LLMConfig(
        provider="openai", model="m", base_url="http://127.0.0.1:9/v1", timeout_s=7, max_output_tokens=99
    )
    model = make_chat_model(cfg)
    assert type(model).__name__ == "ChatOpenAI"
    assert model.openai_api_key.get_secret_value() == PLACEHOLDER_KEY  # type: ignore[attr-defined]
    assert (model.openai_api_base, model.max_retries, model.request_timeout, model.max_tokens) == (  # type: ignore[attr-defined]
        "http://127.0.0.1:9/v1",
        0,
        7.0,
        99,
    )


@pytest.mark.parametrize(("provider", "extra"), [("anthropic", "rdq[anthropic]"), ("ollama", "rdq[ollama]")])
def test_missing_provider_package_names_the_extra(provider: str, extra: str) -> None:
    package = {"anthropic": "langchain_anthropic", "ollama": "langchain_ollama"}[provider]
    if importlib.util.find_spec(package) is not None:
        pytest.skip(f"{package} is installed here")
    with pytest.raises(ConfigError, match=re.escape(f"pip install '{extra}'")):
        make_chat_model(LLMConfig(provider=provider, model="m"))


def test_openai_without_a_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("langchain_openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(
        ConfigError, match=r"LLM openai:gpt-4o-mini: .*set OPENAI_API_KEY in the environment"
    ):
        make_chat_model(load_llm_config("openai:gpt-4o-mini"))


def test_provider_without_an_extra_names_its_langchain_package() -> None:
    if importlib.util.find_spec("langchain_groq") is not None:
        pytest.skip("langchain_groq is installed here")
    with pytest.raises(ConfigError, match=re.escape("pip install langchain-groq")):
        make_chat_model(LLMConfig(provider="groq", model="llama-3.1-8b-instant"))
