"""End to end with the real langchain-openai client against the scripted server on 127.0.0.1.

Exercises the real HTTP client: usage accounting against the price table, a 429 with Retry-After, a 500,
a timeout, retries used up, tool-call and JSON structured replies, a content-filter refusal, redaction.
"""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_openai")

from llm._server import Reply, ScriptedServer  # noqa: E402
from llm.test_client import GOOD, Hypothesis  # noqa: E402
from rdq.llm import (  # noqa: E402
    Budget,
    Exchange,
    LLMClient,
    LLMConfig,
    LLMError,
    LLMRefusal,
    load_llm_config,
    make_chat_model,
)


def make(server: ScriptedServer, **kw: object) -> tuple[LLMClient, list[Exchange], list[float], Budget]:
    cfg = load_llm_config("openai:gpt-4o-mini", base_url=server.base_url)
    if kw:
        cfg = LLMConfig(**{**cfg.__dict__, **kw})  # type: ignore[arg-type]
    recorded: list[Exchange] = []
    sleeps: list[float] = []
    budget = Budget(max_usd=1.0)
    client = LLMClient(make_chat_model(cfg), cfg, budget=budget, record=recorded.append, sleep=sleeps.append)
    return client, recorded, sleeps, budget


def test_real_client_usage_retries_and_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    replies = [
        Reply(status=429, headers={"Retry-After": "3"}, error_message="Rate limit reached"),
        Reply(status=500, error_message="internal"),
        Reply(content="first answer", usage=(1200, 300)),
        Reply(content="second answer", usage=(800, 100)),
    ]
    with ScriptedServer(replies) as server:
        client, recorded, sleeps, budget = make(server)
        one = client.complete([("system", "you are a quant"), ("user", "hello")], purpose="explain")
        two = client.complete([("user", "more")], purpose="explain")
    assert (one.reply, one.attempts, one.input_tokens, one.output_tokens) == ("first answer", 3, 1200, 300)
    assert (two.reply, two.attempts) == ("second answer", 1)
    assert sleeps == [3.0, 2.0]  # Retry-After: 3, then backoff_s * 2 for the second retry
    # gpt-4o-mini in configs/llm/openai.yaml: $0.15 / $0.60 per million tokens
    assert one.usd == pytest.approx(1200 * 0.15e-6 + 300 * 0.60e-6)
    assert budget.used_usd == pytest.approx((1200 + 800) * 0.15e-6 + (300 + 100) * 0.60e-6)
    assert (budget.used_tokens, budget.calls, client.calls) == (2400, 2, 2)
    assert one.model == "scripted-model" and recorded == [one, two]
    # what the server saw: 4 POSTs, the placeholder key, the messages, no client-side retries
    assert len(server.requests) == 4
    assert {r["path"] for r in server.requests} == {"/v1/chat/completions"}
    assert server.requests[0]["headers"]["authorization"] == "Bearer not-needed"
    assert server.requests[0]["json"]["messages"] == [
        {"role": "system", "content": "you are a quant"},
        {"role": "user", "content": "hello"},
    ]
    assert server.requests[0]["json"]["model"] == "gpt-4o-mini"


def test_real_client_timeout_is_retried() -> None:
    with ScriptedServer(
        [Reply(delay_s=2.0, content="too late"), Reply(content="in time", usage=(4, 2))]
    ) as server:
        client, recorded, sleeps, _ = make(server, timeout_s=0.3)
        ex = client.complete([("user", "x")], purpose="explain")
    assert (ex.reply, ex.attempts) == ("in time", 2)
    assert sleeps == [1.0] and len(recorded) == 1


def test_real_client_retries_used_up_and_the_failure_is_recorded() -> None:
    with ScriptedServer([Reply(status=503, error_message="overloaded")] * 3) as server:
        client, recorded, sleeps, budget = make(server, max_retries=2)
        with pytest.raises(LLMError, match=r"failed after 3 attempts.*Error code: 503 - overloaded"):
            client.complete([("user", "x")], purpose="explain")
    assert sleeps == [1.0, 2.0] and len(server.requests) == 3
    (ex,) = recorded
    assert ex.error is not None and ex.attempts == 3 and budget.calls == 0


def test_real_client_structured_tool_call_then_json_repair() -> None:
    replies = [
        Reply(
            tool_args={"name": "mom_20", "expression": "Ref($close, 20)"}, usage=(50, 20)
        ),  # invalid: no horizon
        Reply(content=f"```json\n{GOOD}\n```", usage=(60, 25)),
    ]
    with ScriptedServer(replies) as server:
        client, recorded, _, budget = make(server)
        h = client.structured([("user", "propose a factor")], Hypothesis, purpose="propose.factor")
    assert h == Hypothesis.model_validate_json(GOOD)
    assert [e.purpose for e in recorded] == ["propose.factor", "repair"]
    tools = server.requests[0]["json"]["tools"]
    assert tools[0]["function"]["name"] == "Hypothesis"
    assert "horizon_days" in tools[0]["function"]["parameters"]["properties"]
    assert "tools" not in server.requests[1]["json"]  # the repair is a JSON request
    assert "horizon_days: Field required" in server.requests[1]["json"]["messages"][-1]["content"]
    assert budget.used_tokens == 155


def test_real_client_content_filter_is_a_refusal() -> None:
    with ScriptedServer([Reply(content="", finish_reason="content_filter")]) as server:
        client, recorded, _, _ = make(server)
        with pytest.raises(LLMRefusal):
            client.complete([("user", "x")], purpose="propose.factor")
    assert recorded[0].refusal and recorded[0].extra["finish_reason"] == "content_filter"


def test_keys_in_messages_are_redacted_in_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdefghij")
    with ScriptedServer([Reply(content="echo sk-test-0123456789abcdefghij")]) as server:
        client, recorded, _, _ = make(server)
        client.complete([("user", "my key is sk-test-0123456789abcdefghij")], purpose="explain")
    assert (
        server.requests[0]["headers"]["authorization"] == "Bearer sk-test-0123456789abcdefghij"
    )  # sent as is
    text = str(recorded[0].to_dict())
    assert "0123456789abcdefghij" not in text and "<OPENAI_API_KEY>" in text


def test_script_exhausted_is_a_clear_400() -> None:
    with ScriptedServer([]) as server:
        client, _, sleeps, _ = make(server)
        with pytest.raises(LLMError, match="no scripted reply left"):
            client.complete([("user", "x")], purpose="explain")
    assert sleeps == []


def test_script_items_may_answer_by_the_request_and_a_default_repeats() -> None:
    def echo(body: dict[str, object]) -> Reply:
        messages = body["messages"]
        assert isinstance(messages, list)
        return Reply(content=f"you said {messages[-1]['content']}", usage=(1, 1))

    with ScriptedServer([echo], default=Reply(content="again", usage=(2, 2))) as server:
        client, _, _, budget = make(server)
        replies = [
            client.complete([("user", w)], purpose="explain").reply for w in ("alpha", "beta", "gamma")
        ]
    assert replies == ["you said alpha", "again", "again"] and server.served == 1 and budget.used_tokens == 10


def test_real_client_tool_call_with_broken_arguments_is_repaired() -> None:
    broken = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "scripted-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "Hypothesis", "arguments": '{"name": "mom_20", "expr'},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
    }
    with ScriptedServer([Reply(body=broken), Reply(content=GOOD)]) as server:
        client, recorded, _, _ = make(server)
        h = client.structured([("user", "propose")], Hypothesis, purpose="propose.factor")
    assert h.horizon_days == 5
    assert recorded[0].reply == '{"name": "mom_20", "expr' and not recorded[0].refusal
    assert [e.purpose for e in recorded] == ["propose.factor", "repair"]
