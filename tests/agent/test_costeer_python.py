"""CoSteerCoder for Python factors and model tasks, driven by langchain's FakeListChatModel through LLMClient."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from rdq.agent._costeer import CoderConfig, CoSteerCoder, ImplementationFailure, code_of
from rdq.agent._evaluate import USER_MODULE
from rdq.agent._knowledge import KnowledgeBase
from rdq.agent._types import Branch, Candidate, FactorTask, ModelTask, ProposalContext
from rdq.data import synth_market
from rdq.llm import LLMClient, LLMConfig
from rdq.sandbox import Limits
from rdq.store import Store
from rdq.store._llm import knowledge_attempts, knowledge_fixes

LIMITS = Limits(wall_s=120, cpu_s=120, memory_mb=8192)
BUGGY = """```python
import polars as pl


def factor(panel):
    p = panel.sort("asset", "date")
    return p.select("date", "asset", value=pl.col("clse") / pl.col("close").shift(5).over("asset") - 1)
```"""
FIXED = BUGGY.replace('"clse"', '"close"')
PEEK = BUGGY.replace('pl.col("clse") / pl.col("close").shift(5)', 'pl.col("close").shift(-2)')
NAN_HEAVY = """```python
import polars as pl


def factor(panel):
    p = panel.sort("asset", "date")
    return p.select("date", "asset", value=pl.col("close").shift(60).over("asset"))
```"""


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    return synth_market(n_assets=10, n_days=80, seed=0).panel


def _ctx() -> ProposalContext:
    return ProposalContext(
        branch=Branch.FACTOR, round=0, scenario={"fields": ["open", "high", "low", "close", "volume"]},
        history=(), base_factors={}, sota_factors={},
        sota_model=ModelTask(name="b", description="", template="LGBMModel"), sota_metrics={},
    )  # fmt: skip


def _coder(
    tmp_path: Path, panel: pl.DataFrame, replies: list[str], **cfg: object
) -> tuple[CoSteerCoder, LLMClient]:
    client = LLMClient(FakeListChatModel(responses=replies), LLMConfig(provider="fake", model="fake-1"))
    kb = KnowledgeBase(Store(tmp_path / "c.duckdb"), run_id="r1")
    config = CoderConfig(**{"language": "python", "workers": 1, **cfg})  # type: ignore[arg-type]
    coder = CoSteerCoder(
        client, kb, debug_panel=panel, config=config, limits=LIMITS, folder=tmp_path / "attempts"
    )
    return coder, client


def test_code_of_fenced_and_bare() -> None:
    assert code_of("```python\nx = 1\n```") == "x = 1"
    assert code_of("Here:\n```\n$close\n```\nthanks") == "$close"
    assert code_of("  $close / Ref($close, 5)  ") == "$close / Ref($close, 5)"


def test_keyerror_fixed_from_the_traceback(tmp_path: Path, panel: pl.DataFrame) -> None:
    coder, client = _coder(tmp_path, panel, [BUGGY, FIXED])
    task = FactorTask(name="mom5", description="5-day momentum")
    (cand,) = coder.implement_many([task], _ctx())
    assert isinstance(cand, Candidate) and cand.code == code_of(FIXED)
    assert cand.key.startswith("python:") and cand.path is not None and Path(cand.path).is_file()
    assert client.calls == 2
    first, second = (e.request[-1]["content"] for e in client.exchanges)
    assert "def factor(panel: polars.DataFrame) -> polars.DataFrame" in first
    assert "factor: mom5." in first and "close" in first
    # the second prompt holds the traceback's last frame: file, line and the error
    assert 'File "user_code.py", line 6, in factor' in second and "ColumnNotFoundError" in second
    assert "clse" in second
    kb_rows = knowledge_attempts(coder.knowledge.store)
    assert kb_rows["outcome"].to_list() == ["failed", "ok"]
    fixes = knowledge_fixes(coder.knowledge.store)
    assert fixes.height == 1 and "clse" in fixes["error"][0] and fixes["fix"][0] == code_of(FIXED)
    files = sorted(p.name for p in (tmp_path / "attempts" / "mom5").iterdir())
    assert files == ["attempt_1.feedback.txt", "attempt_1.py", "attempt_2.feedback.txt", "attempt_2.py"]
    # solved: a second coder on the same catalog reuses it without an LLM call
    again, client2 = _coder(tmp_path, panel, [])
    (c2,) = again.implement_many([task], _ctx())
    assert isinstance(c2, Candidate) and c2.code == cand.code and client2.calls == 0


def test_lookahead_fixed_from_the_check(tmp_path: Path, panel: pl.DataFrame) -> None:
    coder, client = _coder(tmp_path, panel, [PEEK, FIXED])
    (cand,) = coder.implement_many([FactorTask(name="peek", description="next-day return")], _ctx())
    assert isinstance(cand, Candidate) and cand.code == code_of(FIXED)
    second = client.exchanges[1].request[-1]["content"]
    assert "check lookahead failed: looks ahead" in second and "value(s) changed" in second


def test_finite_share_feedback_has_numbers(tmp_path: Path, panel: pl.DataFrame) -> None:
    coder, client = _coder(tmp_path, panel, [NAN_HEAVY, FIXED], min_finite=0.9)
    (cand,) = coder.implement_many([FactorTask(name="lag60", description="lagged close")], _ctx())
    assert isinstance(cand, Candidate)
    second = client.exchanges[1].request[-1]["content"]
    assert "check finite failed:" in second and "(need 90%)" in second


def test_never_succeeds_after_exactly_max_attempts_calls(tmp_path: Path, panel: pl.DataFrame) -> None:
    coder, client = _coder(tmp_path, panel, [BUGGY] * 5, max_attempts=3)
    (fail,) = coder.implement_many([FactorTask(name="bad", description="x")], _ctx())
    assert isinstance(fail, ImplementationFailure) and fail.attempts == 3
    assert client.calls == 3
    assert knowledge_attempts(coder.knowledge.store)["outcome"].to_list() == ["failed"] * 3
    assert "clse" in fail.feedback


def test_auto_uses_a_compiling_expression_without_a_call(tmp_path: Path, panel: pl.DataFrame) -> None:
    coder, client = _coder(tmp_path, panel, [FIXED], language="auto")
    task = FactorTask(name="m", description="momentum", expression="$close/Ref($close,5)-1")
    (cand,) = coder.implement_many([task], _ctx())
    assert isinstance(cand, Candidate) and cand.code == "$close/Ref($close,5)-1" and client.calls == 0
    task2 = FactorTask(name="m2", description="momentum", expression="Reff($close")  # does not compile
    (c2,) = coder.implement_many([task2], _ctx())
    assert isinstance(c2, Candidate) and c2.code == code_of(FIXED) and client.calls == 1
    assert client.exchanges[0].purpose == "code.factor"
    assert "def factor(panel: polars.DataFrame)" in client.exchanges[0].request[-1]["content"]


# ------------------------------------------------------------------ model tasks
def test_template_hyperparameters_clamped_without_a_call(tmp_path: Path, panel: pl.DataFrame) -> None:
    coder, client = _coder(tmp_path, panel, [])
    task = ModelTask("big", "a huge tree", "LGBMModel", {"num_leaves": 100000, "learning_rate": 5.0,
                                                         "max_depth": 6, "colour": "red"})  # fmt: skip
    (cand,) = coder.implement_many([task], _ctx())
    assert isinstance(cand, Candidate) and cand.branch is Branch.MODEL and client.calls == 0
    assert isinstance(cand.task, ModelTask)
    hp = cand.task.hyperparameters
    assert (hp["num_leaves"], hp["learning_rate"], hp["max_depth"], hp["num_threads"]) == (255, 0.2, 6, 2)
    assert "colour" not in hp
    notes = coder.notes["big"]
    assert "num_leaves=100000 -> 255 (range 15..255)" in notes
    assert any(n.startswith("colour='red' dropped") for n in notes)
    assert cand.code.startswith("# ") and "num_leaves=100000 -> 255" in cand.code
    mlp = ModelTask("m", "", "mlp", {"lr": 5, "net_kwargs": {"hidden": [100000, 4], "dropout": 0.9}})
    (c2,) = coder.implement_many([mlp], _ctx())
    assert isinstance(c2, Candidate) and isinstance(c2.task, ModelTask)
    assert c2.task.template == "MLPModel"
    assert c2.task.hyperparameters["lr"] == 0.01
    assert c2.task.hyperparameters["net_kwargs"] == {"hidden": [128, 8], "dropout": 0.5}


MODULE_BAD = """```python
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.body = nn.Linear(n_features, 2)

    def forward(self, x):
        return self.body(x)
```"""
MODULE_GOOD = MODULE_BAD.replace("nn.Linear(n_features, 2)", "nn.Linear(n_features, 1)").replace(
    "return self.body(x)", "return self.body(x).squeeze(-1)"
)


def test_new_architecture_written_checked_and_fixed(tmp_path: Path, panel: pl.DataFrame) -> None:
    coder, client = _coder(tmp_path, panel, [MODULE_BAD, MODULE_GOOD])
    task = ModelTask("lin", "a linear model of the features", "NewArchitecture", {"lr": 1.0, "depth": 3})
    (cand,) = coder.implement_many([task], _ctx())
    assert isinstance(cand, Candidate) and cand.branch is Branch.MODEL and client.calls == 2
    assert "returned shape (16, 2)" in client.exchanges[1].request[-1]["content"]
    assert isinstance(cand.task, ModelTask) and cand.task.template == USER_MODULE
    hp = cand.task.hyperparameters
    assert hp["source"] == cand.code == code_of(MODULE_GOOD) and len(hp["source_sha"]) == 16
    assert hp["lr"] == 0.01 and "depth" not in hp
    assert cand.key == f"{USER_MODULE}:{hp['source_sha']}"


class _Keyed:
    """complete() answers from a per-task script (thread-safe for parallel tasks); counts calls."""

    def __init__(self, script: dict[str, list[str]]) -> None:
        import threading

        self.script, self.calls, self.lock = {k: list(v) for k, v in script.items()}, 0, threading.Lock()

    def complete(self, messages: list[tuple[str, str]], *, purpose: str) -> object:
        from types import SimpleNamespace

        text = messages[-1][1]
        with self.lock:
            self.calls += 1
            # the task's own line comes first; a similar solved task quoted later may name another one
            name = min((text.find(f"factor: {k}."), k) for k in self.script if f"factor: {k}." in text)[1]
            return SimpleNamespace(reply=self.script[name].pop(0))


def test_tasks_in_parallel_each_fixed(tmp_path: Path, panel: pl.DataFrame) -> None:
    client = _Keyed({"a": [BUGGY, FIXED], "b": [PEEK, PEEK, PEEK]})
    kb = KnowledgeBase(Store(tmp_path / "c.duckdb"), run_id="r1")
    coder = CoSteerCoder(
        client, kb, debug_panel=panel, config=CoderConfig(language="python", workers=2, max_attempts=3),
        limits=LIMITS,
    )  # fmt: skip
    a, b = coder.implement_many([FactorTask("a", "momentum"), FactorTask("b", "peek")], _ctx())
    assert isinstance(a, Candidate) and a.code == code_of(FIXED)
    assert isinstance(b, ImplementationFailure) and "lookahead" in b.feedback
    assert client.calls == 5
