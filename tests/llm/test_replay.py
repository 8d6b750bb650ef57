"""ReplayClient: a recorded run repeated without a model gives the same results, budget and failures."""

from __future__ import annotations

import json

import pytest

from llm._fakes import HTTPError, Scripted, ToolScripted, ai, tool_call
from llm.test_client import GOOD, Hypothesis
from rdq.llm import (
    Budget,
    BudgetExhausted,
    Exchange,
    LLMClient,
    LLMConfig,
    LLMError,
    LLMRefusal,
    ReplayClient,
)

CFG = LLMConfig(provider="fake", model="m", price_input_per_mtok=1.0, price_output_per_mtok=4.0)


def research(client: LLMClient | ReplayClient) -> list[object]:
    """A small 'run': a structured proposal (repaired once), a refusal, a failed call, a plain call."""
    out: list[object] = [client.structured([("user", "propose")], Hypothesis, purpose="propose.factor")]
    for purpose in ("code.factor", "explain", "explain"):
        try:
            out.append(client.complete([("user", purpose)], purpose=purpose).reply)
        except LLMRefusal:
            out.append("refused")
        except LLMError:
            out.append("failed")
    out.append(client.complete([("user", "last")], purpose="explain").reply)
    return out


def live_run() -> tuple[list[object], list[Exchange], Budget]:
    script = [
        ai('{"name": "mom"}', usage=(100, 10)),
        ai(GOOD, usage=(150, 30)),
        ai("I'm sorry, I can't help with that.", usage=(20, 8)),
        HTTPError(400, "bad"),
        ai("", usage=(30, 200), finish_reason="length"),
        ai("final words", usage=(40, 4)),
    ]
    recorded: list[Exchange] = []
    budget = Budget()
    client = LLMClient(
        Scripted(script=script), CFG, budget=budget, record=recorded.append, sleep=lambda s: None
    )
    return research(client), recorded, budget


def test_replay_gives_the_same_results_and_budget_without_a_model() -> None:
    results, recorded, budget = live_run()
    assert results == [Hypothesis.model_validate_json(GOOD), "refused", "failed", "failed", "final words"]
    assert [e.purpose for e in recorded] == [
        "propose.factor",
        "repair",
        "code.factor",
        "explain",
        "explain",
        "explain",
    ]
    stored = [
        Exchange.from_dict(json.loads(json.dumps(e.to_dict()))) for e in recorded
    ]  # through the catalog

    replay_budget = Budget()
    again: list[Exchange] = []
    replay = ReplayClient(stored, budget=replay_budget, record=again.append, max_repairs=CFG.max_repairs)
    assert research(replay) == results
    assert replay_budget == budget and budget.used_tokens == 100 + 10 + 150 + 30 + 20 + 8 + 30 + 200 + 40 + 4
    assert again == recorded and replay.calls == 0 and replay.remaining == 0


def test_replay_stops_where_the_budget_stopped_the_original() -> None:
    _, recorded, _ = live_run()
    replay = ReplayClient(recorded, budget=Budget(max_tokens=200))
    replay.structured([("user", "p")], Hypothesis, purpose="propose.factor")  # 110 then 180 tokens
    with pytest.raises(BudgetExhausted):
        replay.complete([("user", "x")], purpose="code.factor")  # 290 >= 200 before the third


def test_purpose_mismatch_names_the_request() -> None:
    _, recorded, _ = live_run()
    replay = ReplayClient(recorded)
    with pytest.raises(
        LLMError,
        match=r"the replay has no reply for code\.factor #1: stored exchange 1 of 6 is for "
        r"'propose\.factor'",
    ):
        replay.complete([("user", "x")], purpose="code.factor")


def test_running_out_names_the_request() -> None:
    ex = Exchange(purpose="explain", request=({"role": "user", "content": "x"},), reply="a")
    replay = ReplayClient([ex])
    assert replay.complete([("user", "x")], purpose="explain").reply == "a"
    with pytest.raises(
        LLMError, match=r"the replay has no reply for explain #2: all 1 stored exchanges are used"
    ):
        replay.complete([("user", "x")], purpose="explain")


def test_replay_follows_the_fallback_from_tool_calls_to_json() -> None:
    recorded: list[Exchange] = []
    model = ToolScripted(script=[HTTPError(400, "tools are not supported"), GOOD, GOOD])
    live = LLMClient(model, CFG, record=recorded.append, sleep=lambda s: None)
    results = [live.structured([("user", "p")], Hypothesis, purpose="propose.factor") for _ in range(2)]
    assert [e.extra.get("fallback") for e in recorded] == ["json", None, None]
    again: list[Exchange] = []
    replay = ReplayClient(recorded, record=again.append)
    assert [
        replay.structured([("user", "p")], Hypothesis, purpose="propose.factor") for _ in range(2)
    ] == results
    assert again == recorded and replay.remaining == 0


def test_a_tool_rejection_after_tools_worked_is_not_a_fallback() -> None:
    args = json.loads(GOOD)
    recorded: list[Exchange] = []
    model = ToolScripted(script=[tool_call("Hypothesis", args), HTTPError(400, "bad")])
    live = LLMClient(model, CFG, record=recorded.append, sleep=lambda s: None)
    live.structured([("user", "p")], Hypothesis, purpose="propose.factor")
    with pytest.raises(LLMError, match="HTTP 400, not retried"):
        live.structured([("user", "p")], Hypothesis, purpose="propose.factor")
    assert recorded[1].extra == {"mode": "tool", "status": 400}
    replay = ReplayClient(recorded)
    replay.structured([("user", "p")], Hypothesis, purpose="propose.factor")
    with pytest.raises(LLMError, match="replayed"):
        replay.structured([("user", "p")], Hypothesis, purpose="propose.factor")


def test_parallel_requests_get_their_own_replies_in_any_order() -> None:
    """The coder asks for several tasks at once (threads): each request gets the reply stored for it."""
    import threading

    stored = [
        Exchange(purpose="code.factor", request=({"role": "user", "content": f"task {k}"},), reply=f"code {k}")
        for k in "abcd"
    ]
    replay = ReplayClient([*stored, Exchange(purpose="explain", request=(), reply="done")])
    assert replay.complete([("user", "task c")], purpose="code.factor").reply == "code c"
    assert replay.complete([("user", "task a")], purpose="code.factor").reply == "code a"
    got: dict[str, str] = {}

    def ask(k: str) -> None:
        got[k] = str(replay.complete([("user", f"task {k}")], purpose="code.factor").reply)

    threads = [threading.Thread(target=ask, args=(k,)) for k in "db"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {"d": "code d", "b": "code b"}
    # no identical request left: the order decides, and the purpose must still match
    with pytest.raises(LLMError, match=r"stored exchange 5 of 5 is for 'explain'"):
        replay.complete([("user", "task z")], purpose="code.factor")
    assert replay.complete([("user", "anything")], purpose="explain").reply == "done" and replay.remaining == 0


def test_a_changed_request_falls_back_to_the_stored_order() -> None:
    stored = [Exchange(purpose="explain", request=({"role": "user", "content": "v1 prompt"},), reply="r1")]
    replay = ReplayClient(stored)
    assert replay.complete([("user", "v2 prompt")], purpose="explain").reply == "r1"
