"""LLMClient with fake chat models: valid replies, usage and cost, refusals, retries, budget, repairs."""

from __future__ import annotations

import json

import pydantic
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel

from llm._fakes import HTTPError, Scripted, ToolScripted, ai, tool_call
from rdq.errors import ConfigError
from rdq.llm import Budget, BudgetExhausted, Exchange, LLMClient, LLMConfig, LLMError, LLMRefusal, is_refusal

CFG = LLMConfig(
    provider="fake", model="fake-1", price_input_per_mtok=2.0, price_output_per_mtok=8.0, backoff_s=1.0
)


class Hypothesis(pydantic.BaseModel):
    name: str
    expression: str
    horizon_days: int = pydantic.Field(ge=1)


GOOD = '{"name": "mom_20", "expression": "Ref($close, 20) / $close - 1", "horizon_days": 5}'


def client(
    model: object, cfg: LLMConfig = CFG, **kw: object
) -> tuple[LLMClient, list[Exchange], list[float]]:
    recorded: list[Exchange] = []
    sleeps: list[float] = []
    return LLMClient(model, cfg, record=recorded.append, sleep=sleeps.append, **kw), recorded, sleeps  # type: ignore[arg-type]


def test_valid_replies_in_order_with_usage_and_cost() -> None:
    model = GenericFakeChatModel(messages=iter([ai("first", usage=(1000, 250)), ai("second", usage=(3, 1))]))
    budget = Budget()
    c, recorded, _ = client(model, budget=budget)
    one = c.complete([("system", "be brief"), ("user", "hello")], purpose="explain")
    two = c.complete([("user", "again")], purpose="explain")
    assert [one.reply, two.reply] == ["first", "second"]
    assert (one.input_tokens, one.output_tokens, one.attempts, one.model) == (1000, 250, 1, "fake-1")
    assert one.usd == pytest.approx((1000 * 2.0 + 250 * 8.0) / 1e6)  # $0.004
    assert one.request == ({"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"})
    assert recorded == [one, two] and c.calls == 2
    assert (budget.used_input_tokens, budget.used_output_tokens, budget.calls) == (1003, 251, 2)
    assert budget.used_usd == pytest.approx(0.004 + (3 * 2 + 1 * 8) / 1e6)


def test_no_usage_metadata_counts_zero() -> None:
    c, recorded, _ = client(FakeListChatModel(responses=["plain"]), budget=Budget())
    assert c.complete([("user", "x")], purpose="explain").input_tokens == 0
    assert recorded[0].usd == 0.0


@pytest.mark.parametrize(
    "message",
    [
        ai("I'm sorry, but I can't help with that."),
        ai("I can\u2019t assist with this request."),
        ai("Sorry, I cannot provide investment advice."),
        ai(""),
        ai("partial text", finish_reason="content_filter"),
        ai("", stop_reason="refusal"),
    ],
    ids=["phrase", "curly-quote", "sorry", "empty", "content-filter", "anthropic-stop-reason"],
)
def test_refusal_is_recorded_and_raised(message: object) -> None:
    c, recorded, _ = client(GenericFakeChatModel(messages=iter([message])))
    with pytest.raises(LLMRefusal, match="propose.factor: fake:fake-1 refused") as info:
        c.complete([("user", "a factor please")], purpose="propose.factor")
    (ex,) = recorded
    assert ex.refusal and not ex.ok and ex.error is None and info.value.exchange is ex


def test_empty_reply_cut_at_the_length_limit_is_an_error_not_a_refusal() -> None:
    budget = Budget()
    c, recorded, _ = client(
        GenericFakeChatModel(messages=iter([ai("", usage=(50, 400), finish_reason="length")])), budget=budget
    )
    with pytest.raises(LLMError, match="cut at the output-token limit.*raise max_output_tokens") as info:
        c.complete([("user", "x")], purpose="explain")
    assert not isinstance(info.value, LLMRefusal)
    (ex,) = recorded
    assert not ex.refusal and ex.error is not None and budget.used_tokens == 450  # the tokens were spent


def test_answers_that_mention_limits_are_not_refusals() -> None:
    assert not is_refusal(GOOD)
    assert not is_refusal("Here is a factor. I can't guarantee it works out of sample: " + GOOD)
    long = "I cannot stress enough how noisy daily returns are. " * 10
    assert not is_refusal(long)


def test_retries_rate_limits_and_5xx_with_backoff_and_retry_after() -> None:
    model = Scripted(
        script=[
            HTTPError(429, "rate limited", headers={"retry-after": "7"}),
            HTTPError(503, "unavailable"),
            TimeoutError("read timed out"),
            ai("done", usage=(5, 5)),
        ]
    )
    c, recorded, sleeps = client(model)
    ex = c.complete([("user", "x")], purpose="explain")
    assert sleeps == [7.0, 2.0, 4.0]  # Retry-After honoured; then backoff_s * 2**k for attempts 2 and 3
    assert (ex.reply, ex.attempts, c.calls, len(recorded)) == ("done", 4, 1, 1)


def test_retry_after_ms_and_backoff_cap() -> None:
    cfg = LLMConfig(provider="fake", model="m", backoff_s=10.0, max_backoff_s=15.0, max_retries=3)
    model = Scripted(
        script=[HTTPError(500), HTTPError(502), HTTPError(429, headers={"retry-after-ms": "250"}), "ok"]
    )
    c, _, sleeps = client(model, cfg)
    c.complete([("user", "x")], purpose="explain")
    assert sleeps == [10.0, 15.0, 0.25]


def test_retries_used_up_records_the_failure() -> None:
    cfg = LLMConfig(provider="fake", model="m", max_retries=2)
    c, recorded, sleeps = client(Scripted(script=[HTTPError(500, "boom")] * 3), cfg)
    with pytest.raises(
        LLMError, match=r"explain: the fake:m call failed after 3 attempts.*Error code: 500 - boom"
    ):
        c.complete([("user", "x")], purpose="explain")
    (ex,) = recorded
    assert (ex.error, ex.attempts, ex.reply) == ("HTTPError: Error code: 500 - boom", 3, "")
    assert sleeps == [1.0, 2.0]


@pytest.mark.parametrize(
    ("error", "match"),
    [
        (HTTPError(401, "invalid key sk-abcdefghijklmnopqrstu"), r"HTTP 401: check FAKE_API_KEY.*sk-\*\*\*"),
        (HTTPError(400, "bad request"), r"HTTP 400, not retried"),
        (HTTPError(429, "You exceeded your current quota: insufficient_quota"), r"HTTP 429, not retried"),
    ],
)
def test_errors_that_are_not_retried(error: Exception, match: str) -> None:
    c, recorded, sleeps = client(Scripted(script=[error]))
    with pytest.raises(LLMError, match=match):
        c.complete([("user", "x")], purpose="explain")
    assert sleeps == [] and recorded[0].attempts == 1
    assert "abcdefghijklmnopqrstu" not in (recorded[0].error or "")


def test_budget_stops_before_the_call_that_would_exceed() -> None:
    model = GenericFakeChatModel(
        messages=iter([ai("a", usage=(600, 0)), ai("b", usage=(500, 0)), ai("never")])
    )
    budget = Budget(max_tokens=1000)
    c, recorded, _ = client(model, budget=budget)
    c.complete([("user", "1")], purpose="explain")
    c.complete([("user", "2")], purpose="explain")  # 600 < 1000: allowed, and overshoots to 1100
    with pytest.raises(BudgetExhausted, match="1100 of 1000 tokens used in 2 calls"):
        c.complete([("user", "3")], purpose="explain")
    assert len(recorded) == 2 and c.calls == 2 and budget.used_tokens == 1100
    # resumed with a larger cap, the same budget goes on
    c.budget = budget.with_caps(max_usd=None, max_tokens=5000)
    assert c.complete([("user", "3")], purpose="explain").reply == "never"


def test_dollar_budget_from_price_table() -> None:
    model = GenericFakeChatModel(messages=iter([ai("a", usage=(250_000, 0)), ai("b")]))
    budget = Budget(max_usd=0.5)  # 250k input tokens at $2/M = $0.50
    c, _, _ = client(model, budget=budget)
    c.complete([("user", "1")], purpose="explain")
    assert budget.used_usd == pytest.approx(0.5)
    with pytest.raises(BudgetExhausted, match="llm.budget_usd"):
        c.complete([("user", "2")], purpose="explain")


def test_structured_json_valid_first_time_with_fences_and_prose() -> None:
    reply = f"Here is my hypothesis:\n```json\n{GOOD}\n```\nHope it helps."
    model = Scripted(script=[reply])
    c, recorded, _ = client(model)
    h = c.structured([("system", "quant"), ("user", "propose")], Hypothesis, purpose="propose.factor")
    assert h == Hypothesis(name="mom_20", expression="Ref($close, 20) / $close - 1", horizon_days=5)
    sent = model.seen[0][-1].content
    assert isinstance(sent, str) and sent.startswith("propose\n\nReply with exactly one JSON object")
    assert '"horizon_days"' in sent and "Hypothesis" in sent
    assert [e.purpose for e in recorded] == ["propose.factor"]


def test_structured_malformed_json_is_repaired() -> None:
    bad_json = '{"name": "mom_20", "expression": "Ref($close, 20)", horizon_days: 5'
    invalid = '{"name": "mom_20", "expression": "Ref($close, 20)", "horizon_days": 0}'
    model = Scripted(script=[bad_json, invalid, GOOD])
    c, recorded, _ = client(model)
    h = c.structured([("user", "propose")], Hypothesis, purpose="propose.factor")
    assert h.horizon_days == 5
    assert [e.purpose for e in recorded] == ["propose.factor", "repair", "repair"]
    # each repair sends the bad reply back with the error
    first_repair = model.seen[1]
    assert first_repair[-2].content == bad_json
    assert "no valid JSON object" in str(first_repair[-1].content)
    second_repair = model.seen[2]
    assert second_repair[-2].content == invalid
    assert "horizon_days" in str(second_repair[-1].content) and "greater than or equal to 1" in str(
        second_repair[-1].content
    )


def test_structured_gives_up_after_max_repairs() -> None:
    cfg = LLMConfig(provider="fake", model="m", max_repairs=1)
    c, recorded, _ = client(Scripted(script=["no json here", '{"name": 3}']), cfg)
    with pytest.raises(
        LLMError, match=r"did not validate as Hypothesis after 1 repair\(s\); last error: .*expression"
    ):
        c.structured([("user", "propose")], Hypothesis, purpose="propose.factor")
    assert len(recorded) == 2


def test_structured_refusal_propagates() -> None:
    c, recorded, _ = client(Scripted(script=["I can't help with that."]))
    with pytest.raises(LLMRefusal):
        c.structured([("user", "propose")], Hypothesis, purpose="propose.factor")
    assert recorded[0].refusal


def test_structured_tool_mode_records_the_arguments_as_json() -> None:
    args = json.loads(GOOD)
    model = ToolScripted(script=[tool_call("Hypothesis", args)])
    c, recorded, _ = client(model, LLMConfig(provider="fake", model="m", structured="auto"))
    h = c.structured([("user", "propose")], Hypothesis, purpose="propose.factor")
    assert h.name == "mom_20"
    (ex,) = recorded
    assert (
        json.loads(ex.reply) == args
        and ex.extra["mode"] == "tool"
        and (ex.input_tokens, ex.output_tokens) == (7, 3)
    )
    # the tool request carries no JSON instructions: the schema went as a tool
    assert "Reply with exactly one JSON object" not in str(model.seen[0][-1].content)


def test_structured_tool_mode_invalid_arguments_are_repaired_in_json() -> None:
    model = ToolScripted(script=[tool_call("Hypothesis", {"name": "x"}), GOOD])
    c, recorded, _ = client(model)
    assert c.structured([("user", "p")], Hypothesis, purpose="propose.factor").horizon_days == 5
    assert [e.purpose for e in recorded] == ["propose.factor", "repair"]


def test_tool_mode_without_tool_support_is_a_config_error() -> None:
    c, _, _ = client(Scripted(script=[GOOD]), LLMConfig(provider="fake", model="m", structured="tool"))
    with pytest.raises(ConfigError, match="has no tool support; set structured: json"):
        c.structured([("user", "p")], Hypothesis, purpose="propose.factor")


def test_auto_mode_falls_back_to_json_when_tools_are_rejected() -> None:
    model = ToolScripted(script=[HTTPError(400, "tools are not supported"), GOOD, GOOD])
    c, recorded, _ = client(model)
    assert c.structured([("user", "p")], Hypothesis, purpose="propose.factor").name == "mom_20"
    assert c.structured([("user", "p")], Hypothesis, purpose="propose.factor").name == "mom_20"
    assert [e.error is None for e in recorded] == [False, True, True]  # the failed tool call is recorded too
    assert "Reply with exactly one JSON object" in str(model.seen[2][-1].content)  # no second tool attempt
