"""CoSteerCoder (expression factors) with a scripted client: fix from feedback, give up, look-ahead, reuse."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from rdq.agent._costeer import CoderConfig, CoSteerCoder, ImplementationFailure
from rdq.agent._knowledge import KnowledgeBase
from rdq.agent._types import Branch, FactorTask, ModelTask, ProposalContext
from rdq.data import synth_market
from rdq.store import Store


@dataclass
class _Reply:
    reply: str


class _Script:
    """complete() returns scripted replies per task name found in the prompt; keeps the prompts."""

    def __init__(self, script: dict[str, list[str]]) -> None:
        self.script = {k: list(v) for k, v in script.items()}
        self.prompts: list[str] = []
        self.calls = 0

    def complete(self, messages: Sequence[tuple[str, str]], *, purpose: str) -> _Reply:
        self.calls += 1
        text = messages[-1][1]
        self.prompts.append(text)
        name = next(k for k in self.script if f"factor: {k}." in text)
        return _Reply(self.script[name].pop(0))


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    p = synth_market(n_assets=20, n_days=80, seed=0).panel
    return p


def _ctx() -> ProposalContext:
    return ProposalContext(
        branch=Branch.FACTOR,
        round=0,
        scenario={"fields": ["close", "volume"]},
        history=(),
        base_factors={},
        sota_factors={},
        sota_model=ModelTask(name="b", description="", template="LGBMModel"),
        sota_metrics={},
    )


def test_bug_fixed_from_feedback_and_reused_next_run(tmp_path: Path, panel: pl.DataFrame) -> None:
    path = tmp_path / "c.duckdb"
    tasks = [
        FactorTask(name="mom", description="5-day momentum"),
        FactorTask(name="rev", description="reversal"),
    ]
    script = {
        "mom": ["$clse / Ref($close, 5) - 1", "$close / Ref($close, 5) - 1"],
        "rev": ["-($close / Ref($close, 3))"],
    }
    client = _Script(script)
    coder = CoSteerCoder(client, KnowledgeBase(Store(path), run_id="r1"), debug_panel=panel)
    out = coder.implement_many(tasks, _ctx())
    assert [c.code for c in out] == ["$close / Ref($close, 5) - 1", "-($close / Ref($close, 3))"]  # type: ignore[union-attr]
    assert client.calls == 3
    second = next(p for p in client.prompts if "$clse / Ref" in p)
    assert "check runs failed" in second and "clse" in second
    client2 = _Script({"mom": [], "rev": []})
    again = CoSteerCoder(client2, KnowledgeBase(Store(path), run_id="r2"), debug_panel=panel).implement_many(
        tasks, _ctx()
    )
    assert [c.code for c in again] == [c.code for c in out]  # type: ignore[union-attr]
    assert client2.calls == 0 <= 0.5 * client.calls


def test_never_succeeds_is_skipped_and_recorded(tmp_path: Path, panel: pl.DataFrame) -> None:
    store = Store(tmp_path / "c.duckdb")
    client = _Script({"bad": ["nope(close)", "nope(close)"]})
    coder = CoSteerCoder(
        client, KnowledgeBase(store, run_id="r1"), debug_panel=panel, config=CoderConfig(max_attempts=2)
    )
    (fail,) = coder.implement_many([FactorTask(name="bad", description="x")], _ctx())
    assert isinstance(fail, ImplementationFailure) and fail.attempts == 2
    from rdq.store._llm import knowledge_attempts

    assert knowledge_attempts(store)["outcome"].to_list() == ["failed", "failed"]


def test_lookahead_factor_caught(tmp_path: Path, panel: pl.DataFrame) -> None:
    client = _Script({"peek": ["Ref($close, -1) / $close - 1"]})
    coder = CoSteerCoder(
        client,
        KnowledgeBase(Store(tmp_path / "c.duckdb"), run_id="r1"),
        debug_panel=panel,
        config=CoderConfig(max_attempts=1),
    )
    (fail,) = coder.implement_many([FactorTask(name="peek", description="x")], _ctx())
    assert isinstance(fail, ImplementationFailure) and "lookahead" in fail.feedback.lower().replace("-", "")
