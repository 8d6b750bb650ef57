"""The public names and signatures other packages code against (rdq.agent's LLM proposer, the CLI)."""

from __future__ import annotations

import dataclasses
import inspect

import rdq.llm as llm
from rdq.errors import RdqError


def _params(obj: object) -> list[str]:
    return [p for p in inspect.signature(obj).parameters if p != "self"]  # type: ignore[arg-type]


def test_public_names() -> None:
    for name in (
        "LLMConfig", "load_llm_config", "make_chat_model", "Budget", "BudgetExhausted", "LLMError",
        "LLMRefusal", "Exchange", "LLMClient", "ReplayClient", "redact",
    ):  # fmt: skip
        assert name in llm.__all__ and hasattr(llm, name), name
    assert issubclass(llm.LLMRefusal, llm.LLMError) and issubclass(llm.LLMError, RdqError)
    assert issubclass(llm.BudgetExhausted, RdqError) and not issubclass(llm.BudgetExhausted, llm.LLMError)


def test_signatures() -> None:
    fields = [f.name for f in dataclasses.fields(llm.LLMConfig)]
    assert fields[:13] == [
        "provider", "model", "base_url", "temperature", "timeout_s", "max_retries", "backoff_s",
        "price_input_per_mtok", "price_output_per_mtok", "knowledge_cutoff", "structured", "max_repairs",
        "max_output_tokens",
    ]  # fmt: skip
    defaults = llm.LLMConfig(provider="p", model="m")
    assert (defaults.temperature, defaults.timeout_s, defaults.max_retries, defaults.backoff_s) == (
        0.0,
        120.0,
        4,
        1.0,
    )
    assert (defaults.structured, defaults.max_repairs, defaults.max_output_tokens, defaults.spec) == (
        "auto",
        2,
        None,
        "p:m",
    )
    assert defaults.knowledge_note == ""
    assert _params(llm.load_llm_config) == ["spec", "base_url", "config"]
    assert _params(llm.Budget)[:5] == ["max_usd", "max_tokens", "used_usd", "used_tokens", "calls"]
    assert [f.name for f in dataclasses.fields(llm.Exchange)][:11] == [
        "purpose", "request", "reply", "input_tokens", "output_tokens", "usd", "seconds", "attempts", "error",
        "refusal", "model",
    ]  # fmt: skip
    assert _params(llm.LLMClient) == ["chat_model", "cfg", "budget", "record", "sleep"]
    assert _params(llm.LLMClient.complete) == ["messages", "purpose"]
    assert _params(llm.LLMClient.structured) == ["messages", "schema", "purpose"]
    assert _params(llm.ReplayClient)[:3] == ["exchanges", "budget", "record"]
    assert _params(llm.ReplayClient.structured) == _params(llm.LLMClient.structured)
