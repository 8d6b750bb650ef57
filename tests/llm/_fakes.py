"""Fake chat models for the LLM tests: scripted replies and scripted failures (no network)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

__all__ = ["HTTPError", "Scripted", "ToolScripted", "ai"]


class _Response:
    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.headers = headers


class HTTPError(Exception):
    """Shaped like openai.APIStatusError: ``status_code`` and ``response.headers``."""

    def __init__(
        self, status_code: int, message: str = "scripted", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"Error code: {status_code} - {message}")
        self.status_code = status_code
        self.response = _Response(status_code, headers or {})


def ai(content: str = "", *, usage: tuple[int, int] | None = None, **meta: Any) -> AIMessage:
    """An AIMessage with usage metadata and response metadata (``finish_reason=...``)."""
    kw: dict[str, Any] = {"content": content, "response_metadata": dict(meta)}
    if usage is not None:
        kw["usage_metadata"] = {
            "input_tokens": usage[0],
            "output_tokens": usage[1],
            "total_tokens": sum(usage),
        }
    return AIMessage(**kw)


class Scripted(BaseChatModel):
    """Replies (strings / AIMessages) and failures (exceptions) in order; records the prompts it saw."""

    script: list[Any]
    _seen: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    @property
    def seen(self) -> list[list[BaseMessage]]:
        return self._seen

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._seen.append(list(messages))
        if not self.script:
            raise AssertionError("the scripted model ran out of replies")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        message = AIMessage(content=item) if isinstance(item, str) else item
        return ChatResult(generations=[ChatGeneration(message=message)])

    @property
    def _llm_type(self) -> str:
        return "scripted"


class ToolScripted(Scripted):
    """A Scripted model that claims tool support (bind_tools returns itself: the script holds the tool calls)."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:  # type: ignore[override]
        return self


def tool_call(name: str, args: dict[str, Any], *, usage: tuple[int, int] = (7, 3)) -> AIMessage:
    """An AIMessage holding one tool call."""
    return AIMessage(
        content="",
        tool_calls=[{"name": name, "args": args, "id": "call_1", "type": "tool_call"}],
        usage_metadata={"input_tokens": usage[0], "output_tokens": usage[1], "total_tokens": sum(usage)},
    )
