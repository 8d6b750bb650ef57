"""LLM backends: any langchain chat model, a budget, structured replies, recorded exchanges and replay.

Layering: imports langchain / langchain-core, pydantic, the standard library and :mod:`rdq.errors`
(plus :mod:`rdq.resources` for the shipped ``configs/llm/``); nothing of :mod:`rdq.agent`.

Examples
--------
>>> from langchain_core.language_models.fake_chat_models import FakeListChatModel
>>> cfg = LLMConfig(provider="fake", model="m")
>>> client = LLMClient(FakeListChatModel(responses=["hello"]), cfg)
>>> client.complete([("user", "hi")], purpose="explain").reply
'hello'
"""

from __future__ import annotations

from rdq.llm._budget import Budget
from rdq.llm._client import LLMClient, is_refusal
from rdq.llm._config import LLMConfig, load_llm_config, make_chat_model
from rdq.llm._errors import BudgetExhausted, LLMError, LLMRefusal
from rdq.llm._exchange import Exchange, redact
from rdq.llm._replay import ReplayClient
from rdq.llm._structured import extract_json

__all__ = [
    "LLMConfig",
    "load_llm_config",
    "make_chat_model",
    "Budget",
    "BudgetExhausted",
    "LLMError",
    "LLMRefusal",
    "Exchange",
    "LLMClient",
    "ReplayClient",
    "redact",
    "is_refusal",
    "extract_json",
]
