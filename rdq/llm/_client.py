"""The live client: retries with backoff, budget, refusal detection, every exchange recorded.

Every request is one :class:`~rdq.llm.Exchange` (retries are its ``attempts``), handed to ``record``
whether it succeeded, failed or was refused, so the catalog can audit a round and
:class:`~rdq.llm.ReplayClient` can repeat it without a model.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rdq.errors import ConfigError
from rdq.llm._budget import Budget
from rdq.llm._config import LLMConfig
from rdq.llm._errors import LLMError, LLMRefusal
from rdq.llm._exchange import Exchange, as_request, redact
from rdq.llm._structured import BaseModelT, structured_loop, with_instructions

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

__all__ = ["LLMClient", "is_refusal", "retryable", "retry_after_s"]

log = logging.getLogger(__name__)

_REFUSAL = re.compile(
    r"^\W*(?:(?:i'm|i am|i'm really|i am really|really)?\s*sorry\b[^.!?\n]{0,40}[.!,]?\s*|i apologi[sz]e[^.!?\n]{0,40}[.!,]?\s*)?"
    r"(?:but\s+)?(?:unfortunately,?\s+)?i\s*(?:can't|cannot|can not|won't|will not|am unable to|'m unable to|"
    r"am not able to|'m not able to|must decline to|must decline)\b",
    re.I,
)
_STOP_REFUSAL = {"content_filter", "refusal", "safety", "prohibited_content"}
_MAX_RETRY_AFTER_S = 600.0
_TOOLS_REJECTED = (400, 404, 422)  # a server without tool calls answers one of these


def is_refusal(text: str, metadata: dict[str, Any] | None = None, *, has_tool_calls: bool = False) -> bool:
    """Whether a reply is a refusal: a short "I can't help with that", an empty reply, or a stop reason.

    The phrase test applies only to short replies without JSON or code (under 400 characters, no ``{``),
    so an answer that merely mentions what it cannot do is not taken for a refusal.

    Examples
    --------
    >>> is_refusal("I'm sorry, but I can't help with that.")
    True
    >>> is_refusal('{"name": "mom_20", "expr": "Ref($close, 20) / $close - 1"}')
    False
    """
    meta = metadata or {}
    for key in ("finish_reason", "stop_reason", "done_reason"):
        if str(meta.get(key) or "").lower() in _STOP_REFUSAL:
            return True
    if meta.get("refusal"):
        return True
    body = text.strip().replace("\u2019", "'")
    if not body:
        return not has_tool_calls
    return len(body) < 400 and "{" not in body and bool(_REFUSAL.match(body))


def _status(e: BaseException) -> int | None:
    for obj in (e, getattr(e, "response", None)):
        code = getattr(obj, "status_code", None)
        if isinstance(code, int):
            return code
    return None


def retryable(e: BaseException) -> bool:
    """A rate limit (429, not "insufficient_quota"), 408/409, a 5xx, a timeout or a connection error."""
    code = _status(e)
    if code is not None:
        if code == 429 and "insufficient_quota" in str(e):
            return False  # no credit left: waiting does not help
        return code in (408, 409, 429) or code >= 500
    names = {c.__name__ for c in type(e).__mro__}
    return isinstance(e, TimeoutError | ConnectionError) or any(
        "Timeout" in n or "Connection" in n or n in ("ConnectError", "ReadError", "RemoteProtocolError")
        for n in names
    )


def retry_after_s(e: BaseException) -> float | None:
    """The server's ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``, if the error carries one."""
    headers = getattr(getattr(e, "response", None), "headers", None)
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, AttributeError):
        return None


def _text(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") in ("text", None) and "text" in block:
                parts.append(str(block["text"]))
        return "".join(parts)
    return str(content)


def _usage(message: Any) -> tuple[int, int]:
    usage = getattr(message, "usage_metadata", None)
    if usage:
        return int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
    token_usage = (getattr(message, "response_metadata", None) or {}).get("token_usage") or {}
    return int(token_usage.get("prompt_tokens") or 0), int(token_usage.get("completion_tokens") or 0)


def _lc_messages(messages: Sequence[tuple[str, str]]) -> list[BaseMessage]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[role](content=content) for role, content in messages]


def _supports_tools(model: Any) -> bool:
    from langchain_core.language_models import BaseChatModel

    return type(model).bind_tools is not BaseChatModel.bind_tools


class LLMClient:
    """Calls a langchain chat model: retries, budget, refusal detection, every exchange recorded.

    Parameters
    ----------
    chat_model:
        Any langchain chat model (:func:`~rdq.llm.make_chat_model`, or a fake one in tests).
    cfg:
        Retries, backoff, prices, structured mode and repairs.
    budget:
        Checked before each call, charged from each reply's usage metadata (``None``: no caps, not counted).
    record:
        Called with every :class:`Exchange` (success, failure, refusal), e.g. the catalog's writer.
    sleep:
        How to wait between retries (tests pass a recorder).

    Attributes
    ----------
    calls:
        Requests that reached the model (one per :meth:`complete` / tool call; retries are not counted).
    exchanges:
        Every exchange of this client, in order.

    Notes
    -----
    Calls from several threads are safe (counts, charges and records are locked), but the budget is
    checked before each call, so concurrent calls can overshoot a cap by up to one call each, and the
    recorded order is the order replies arrived: replay a threaded run only if its order is fixed.
    """

    def __init__(
        self,
        chat_model: BaseChatModel,
        cfg: LLMConfig,
        *,
        budget: Budget | None = None,
        record: Callable[[Exchange], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.chat_model = chat_model
        self.cfg = cfg
        self.budget = budget
        self.record = record
        self.sleep = sleep
        self.calls = 0
        self.exchanges: list[Exchange] = []
        self._tools_ok: bool | None = None
        self._lock = threading.Lock()  # calls from several threads: counts, charges and records stay whole

    def _keep(self, exchange: Exchange) -> Exchange:
        with self._lock:
            self.exchanges.append(exchange)
            if self.record is not None:
                self.record(exchange)
        return exchange

    def _invoke(
        self,
        runnable: Any,
        messages: Sequence[tuple[str, str]],
        purpose: str,
        *,
        tool: bool,
        may_fall_back: bool = False,
    ) -> Exchange:
        """One request with retries; returns the recorded exchange or raises (after recording).

        ``may_fall_back``: a tool request whose rejection (HTTP 400 / 404 / 422) makes ``auto`` switch to
        JSON; such a failure is recorded with ``extra["fallback"] = "json"`` (a replay skips it the same way).
        """
        if self.budget is not None:
            self.budget.check()
        request = as_request(messages)
        lc = _lc_messages(messages)
        with self._lock:
            self.calls += 1
        start = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            try:
                result = runnable.invoke(lc)
                break
            except Exception as e:
                if retryable(e) and attempt <= self.cfg.max_retries:
                    hint = retry_after_s(e)
                    wait = (
                        min(hint, _MAX_RETRY_AFTER_S)
                        if hint is not None
                        else min(self.cfg.max_backoff_s, self.cfg.backoff_s * 2.0 ** (attempt - 1))
                    )
                    log.info(
                        "%s: %s (attempt %d), retrying in %.1f s", purpose, type(e).__name__, attempt, wait
                    )
                    self.sleep(wait)
                    continue
                error = redact(f"{type(e).__name__}: {e}")[:2000]
                code = _status(e)
                extra: dict[str, Any] = {"mode": "tool"} if tool else {}
                if code is not None:
                    extra["status"] = code
                if tool and may_fall_back and code in _TOOLS_REJECTED:
                    extra["fallback"] = "json"
                exchange = self._keep(
                    Exchange(
                        purpose=purpose,
                        request=request,
                        reply="",
                        seconds=time.perf_counter() - start,
                        attempts=attempt,
                        error=error,
                        model=self.cfg.model,
                        extra=extra,
                    )
                )
                raise LLMError(
                    f"{purpose}: the {self.cfg.spec} call failed {self._why(e, attempt)}: {error}",
                    exchange=exchange,
                ) from e
        raw = result.get("raw") if tool and isinstance(result, dict) else result
        meta = dict(getattr(raw, "response_metadata", None) or {})
        tool_calls = list(getattr(raw, "tool_calls", None) or [])
        said_no = (getattr(raw, "additional_kwargs", None) or {}).get("refusal")
        if said_no:
            meta["refusal"] = said_no
        invalid = list(getattr(raw, "invalid_tool_calls", None) or [])  # arguments that are not JSON
        if tool_calls:
            text = json.dumps(tool_calls[0].get("args", {}), sort_keys=True)
        elif invalid:
            text = str(invalid[0].get("args") or "")
        else:
            text = _text(raw)
        n_in, n_out = _usage(raw)
        usd = self.cfg.cost_usd(n_in, n_out)
        if self.budget is not None:
            with self._lock:
                self.budget.charge(input_tokens=n_in, output_tokens=n_out, usd=usd)
        stop = str(meta.get("finish_reason") or meta.get("stop_reason") or "")
        cut = not text.strip() and not tool_calls and stop in ("length", "max_tokens")
        problem: str | None = None
        if cut:
            problem = (
                f"an empty reply cut at the output-token limit (stop reason {stop}: a reasoning model may "
                "spend it all on reasoning); raise max_output_tokens in the LLM config"
            )
        refusal = not cut and is_refusal(text, meta, has_tool_calls=bool(tool_calls or invalid))
        extra = {
            k: meta[k] for k in ("finish_reason", "stop_reason", "done_reason", "refusal") if meta.get(k)
        }
        if tool:
            extra["mode"] = "tool"
        if cut:
            extra["cut"] = True  # a reply came (and was charged) but is unusable
        exchange = self._keep(
            Exchange(
                purpose=purpose,
                request=request,
                reply=redact(text),
                input_tokens=n_in,
                output_tokens=n_out,
                usd=usd,
                seconds=time.perf_counter() - start,
                attempts=attempt,
                error=problem,
                refusal=refusal,
                model=str(meta.get("model_name") or meta.get("model") or self.cfg.model),
                extra=extra,
            )
        )
        if problem is not None:
            raise LLMError(f"{purpose}: {self.cfg.spec} gave {problem}", exchange=exchange)
        if refusal:
            raise LLMRefusal(
                f"{purpose}: {self.cfg.spec} refused ({(text.strip() or 'an empty reply')[:200]!r}); "
                "the refusal is recorded; rephrase the scenario or use another model",
                exchange=exchange,
            )
        return exchange

    def _why(self, e: BaseException, attempts: int) -> str:
        code = _status(e)
        if code in (401, 403):
            return f"(HTTP {code}: check {self.cfg.provider.upper()}_API_KEY or the server's key)"
        if retryable(e):
            return (
                f"after {attempts} attempts (raise max_retries / timeout_s in the LLM config, or retry later)"
            )
        return f"(HTTP {code}, not retried)" if code is not None else "(not retried)"

    def complete(self, messages: Sequence[tuple[str, str]], *, purpose: str) -> Exchange:
        """Send ``(role, content)`` pairs, return the recorded reply.

        Raises
        ------
        BudgetExhausted
            A cap was reached before this call (nothing sent).
        LLMRefusal
            The model declined (recorded with ``refusal=True``).
        LLMError
            The call failed for good (recorded with ``error``).
        """
        return self._invoke(self.chat_model, messages, purpose, tool=False)

    def structured(
        self, messages: Sequence[tuple[str, str]], schema: type[BaseModelT], *, purpose: str
    ) -> BaseModelT:
        """A ``schema`` instance from the model: a tool call where supported, else JSON repaired up to ``max_repairs``.

        The first reply's text (a tool call's arguments as JSON) is what is recorded and parsed, so
        :class:`ReplayClient` rebuilds the same object; repairs go through :meth:`complete` as ``"repair"``.

        Raises
        ------
        LLMError
            Invalid after ``cfg.max_repairs`` repairs (names the last validation error), or a failed call.
        LLMRefusal, BudgetExhausted
            As :meth:`complete`.
        ConfigError
            ``structured: tool`` with a model that has no tool support.
        """
        json_messages = with_instructions(messages, schema)
        first: Exchange | None = None
        mode = self.cfg.structured
        if mode == "tool" or (
            mode == "auto" and self._tools_ok is not False and _supports_tools(self.chat_model)
        ):
            try:
                kw = {"method": "function_calling"} if self.cfg.provider == "openai" else {}
                runnable = self.chat_model.with_structured_output(schema, include_raw=True, **kw)
            except NotImplementedError as e:
                if mode == "tool":
                    raise ConfigError(f"{self.cfg.spec} has no tool support; set structured: json") from e
                self._tools_ok = False
            else:
                fall_back = mode == "auto" and not self._tools_ok
                try:
                    first = self._invoke(runnable, messages, purpose, tool=True, may_fall_back=fall_back)
                    self._tools_ok = True
                except LLMError as e:
                    if (
                        isinstance(e, LLMRefusal)
                        or e.exchange is None
                        or not e.exchange.extra.get("fallback")
                    ):
                        raise
                    log.warning(
                        "%s: tool calls were rejected (HTTP %s); using JSON replies from now on",
                        self.cfg.spec,
                        e.exchange.extra.get("status"),
                    )
                    self._tools_ok = False
        return structured_loop(
            self.complete,
            json_messages,
            schema,
            purpose=purpose,
            max_repairs=self.cfg.max_repairs,
            first=first,
        )
