"""The research loop on the LLM path through the Python API, driven by fake chat models (no network).

The scripted scenario (:class:`Scenario`, also used by the CLI test and ``benchmarks/llm_scripted.py``) answers
by what is asked: a factor proposal (the first one malformed JSON that must be repaired), the coder's requests
(``vol_ratio``'s first code has a syntax error the coder fixes from the feedback), a model proposal, the
explanation, and optionally a refusal.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from rdq.agent._config import ResearchConfig, load_research_config
from rdq.agent._expr_tree import canonical
from rdq.agent._llm_section import LLMSection, ProposerSection

LGBM = {"loss": "mse", "learning_rate": 0.1, "num_leaves": 15, "num_boost_round": 40, "num_threads": 1}

#: 60 assets x 400 days, 4 rounds factor / model / factor / model, inline workers, one coder thread
LLM_SMALL: dict[str, Any] = {
    "name": "llmsmall",
    "data": {"synthetic": {"assets": 60, "days": 400, "seed": 0}},
    "base_factors": "base20",
    "model": {"template": "LGBMModel", "hyperparameters": LGBM},
    "rounds": 4,
    "seed": 0,
    "scheduler": "round_robin",
    "workers": 0,
    "gp": {"population": 20, "generations_per_round": 1, "n_tasks": 2, "screen_days": 150},
    "checks": {"debug_assets": 30, "debug_days": 120},
    "candidate": {"timeout_s": 120, "memory_mb": 3000},
    "coder": {"max_attempts": 3, "workers": 1, "language": "expression"},
    "strategy": {
        "topk": 10, "n_drop": 2, "benchmark": "equal_weight",
        "costs": {"open_cost": 0.0005, "close_cost": 0.0015, "min_cost": 0, "trade_unit": None,
                  "limit_threshold": None, "deal_price": "close"},
    },
}  # fmt: skip

GOOD_1 = {
    "statement": "volume trend and price-volume co-movement carry information the base set lacks",
    "rationale": "the base set has no volume factor",
    "tasks": [
        {
            "name": "vol_ratio",
            "description": "5-day mean volume over 20-day mean volume",
            "formulation": "mean(volume, 5) / mean(volume, 20)",
            "variables": {"$volume": "daily volume"},
        },
        {
            "name": "pv_corr",
            "description": "10-day correlation of close and volume",
            "formulation": "corr(close, volume, 10)",
            "variables": {"$close": "close", "$volume": "volume"},
        },
    ],
}
GOOD_2 = {
    "statement": "how returns move with volume changes, and volume dispersion",
    "rationale": "volume confirms or contradicts price moves",
    "tasks": [
        {
            "name": "ret_vol_corr",
            "description": "10-day correlation of the daily return and the daily volume change",
            "formulation": "corr(close / ref(close, 1), volume / ref(volume, 1), 10)",
        },
        {
            "name": "vol_cv",
            "description": "coefficient of variation of volume over 10 days",
            "formulation": "std(volume, 10) / mean(volume, 10)",
        },
    ],
}
#: the first proposal is cut JSON: the client sends it back with the validation error (a repair)
BAD_1 = json.dumps(GOOD_1)[:120]
CODE = {
    "vol_ratio": ["Mean($volume, 5)/Mean($volume, 20", "Mean($volume, 5)/Mean($volume, 20)"],  # bug, fix
    "ret_vol_corr": ["Corr($close/Ref($close, 1), $volume/Ref($volume, 1), 10)"],
    "vol_cv": ["Std($volume, 10)/(Mean($volume, 10)+1e-12)"],
    "pv_corr": ["Corr($close, $volume, 10)"],
}
MODEL = {
    "statement": "a smaller learning rate with more trees generalises better",
    "rationale": "the SOTA model may overfit the train span",
    "tasks": [
        {
            "name": "lgbm_slow",
            "description": "LightGBM, learning rate 0.05, 60 trees",
            "template": "LGBMModel",
            "hyperparameters": {**LGBM, "learning_rate": 0.05, "num_boost_round": 60},
        }
    ],
}
EXPLAIN = "The decision follows the validation numbers; a longer volume window is worth a try next."
REFUSAL = "I'm sorry, but I can't help with that."


class Scenario:
    """Answers the loop's requests by their text; ``refuse``: factor proposals (0-based) that are refused."""

    def __init__(self, *, refuse: tuple[int, ...] = ()) -> None:
        self.refuse = refuse
        self.n_factor = 0
        self.code_seen: dict[str, int] = {}
        self.kinds: list[str] = []

    def answer(self, first: str, last: str) -> tuple[str, Any]:
        """``("text", str)`` or ``("json", object)`` for a request whose first / last user messages are given."""
        if "That reply cannot be used" in last:
            self.kinds.append("repair")
            return "json", GOOD_1
        if "proposing the next factor experiment" in first:
            i, self.n_factor = self.n_factor, self.n_factor + 1
            self.kinds.append("propose.factor")
            if i in self.refuse:
                return "text", REFUSAL
            if i == 0:
                return "text", BAD_1
            return "json", GOOD_2
        if "proposing the next model experiment" in first:
            self.kinds.append("propose.model")
            return "json", MODEL
        if "The numeric decision of round" in first:
            self.kinds.append("explain")
            return "text", EXPLAIN
        m = re.search(r"factor: (\w+)\.", first)
        assert m is not None, first[:500]
        name = m.group(1)
        k = self.code_seen.get(name, 0)
        self.code_seen[name] = k + 1
        self.kinds.append("code.factor")
        return "text", CODE[name][min(k, len(CODE[name]) - 1)]


class Responder(BaseChatModel):
    """A chat model answering through a :class:`Scenario`; every reply reports ``usage`` tokens."""

    scenario: Any
    usage: tuple[int, int] = (0, 0)
    _prompts: list[str] = PrivateAttr(default_factory=list)

    @property
    def prompts(self) -> list[str]:
        return self._prompts

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        users = [str(m.content) for m in messages if m.type == "human"]
        self._prompts.append(users[0])
        kind, value = self.scenario.answer(users[0], users[-1])
        text = json.dumps(value) if kind == "json" else str(value)
        i, o = self.usage
        msg = AIMessage(
            content=text, usage_metadata={"input_tokens": i, "output_tokens": o, "total_tokens": i + o}
        )
        return ChatResult(generations=[ChatGeneration(message=msg)])

    @property
    def _llm_type(self) -> str:
        return "scenario"


def llm_config(folder: Path, **changes: Any) -> Path:
    """``LLM_SMALL`` with top-level ``changes`` as ``folder/llmsmall.yaml``."""
    cfg = {**copy.deepcopy(LLM_SMALL), **changes}
    path = folder / f"{cfg['name']}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def small_cfg(tmp_path: Path, **changes: Any) -> ResearchConfig:
    """The small config with a fake model named (``fake:scenario``: no price table, no package)."""
    cfg = load_research_config(llm_config(tmp_path, **changes))
    return cfg.replace(llm=LLMSection(model="fake:scenario", settings={"knowledge_cutoff": "2023-10"}))


def exchanges(ws: Path, run_id: str) -> list[dict[str, Any]]:
    from rdq.agent._loop import _store_path
    from rdq.store import Store, exchanges_for_run

    return exchanges_for_run(Store(_store_path(ws)), run_id)


def rounds_of(ws: Path, run_id: str) -> list[dict[str, Any]]:
    from rdq.agent._state import find_run

    return find_run(ws, run_id).rounds()


@pytest.fixture(scope="module")
def scenario_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any, Responder]]:
    """One 4-round LLM run (factor, model, factor, model) in a workspace: (workspace, result, chat model)."""
    from rdq.agent._loop import start_run

    ws = tmp_path_factory.mktemp("llm-ws")
    model = Responder(scenario=Scenario(), usage=(900, 100))
    loop = start_run(small_cfg(tmp_path_factory.mktemp("cfg")), workspace=ws, chat_model=model)
    res = loop.run()
    yield ws, res, model


def test_the_llm_run_proposes_codes_repairs_and_explains(scenario_run: tuple[Path, Any, Responder]) -> None:
    ws, res, model = scenario_run
    assert res.stopped is None and res.rounds == 4
    assert set(res.to_json()) == {"run_id", "rounds", "sota", "accepted_factors"}  # the offline loop's shape
    ex = exchanges(ws, res.run_id)
    # round 1: cut JSON repaired, vol_ratio's bug fixed from the feedback, pv_corr right the first time
    assert [e["purpose"] for e in ex] == [
        "propose.factor", "repair", "code.factor", "code.factor", "code.factor", "explain",
        "propose.model", "explain",
        "propose.factor", "code.factor", "code.factor", "explain",
        "propose.model", "explain",
    ]  # fmt: skip
    assert model.scenario.kinds == [e["purpose"] for e in ex]
    assert all(e["input_tokens"] == 900 and e["output_tokens"] == 100 for e in ex)
    recs = rounds_of(ws, res.run_id)
    assert [r["branch"] for r in recs] == ["factor", "model", "factor", "model"]
    by_name = {c["name"]: c for r in recs for c in r["candidates"]}
    assert by_name["vol_ratio"]["code"] == canonical(CODE["vol_ratio"][1])
    assert by_name["pv_corr"]["code"] == canonical(CODE["pv_corr"][0])
    assert {by_name[n]["status"] for n in ("vol_ratio", "pv_corr", "ret_vol_corr", "vol_cv")} <= {
        "ok",
        "rejected",
    }
    assert recs[1]["hypothesis"]["tasks"][0]["name"] == "lgbm_slow"
    assert "LLM feedback: " + EXPLAIN in recs[0]["decision"]["explanation"]
    # the numeric decision is the loop's: the templated part stays in front of the LLM's text
    assert not recs[0]["decision"]["explanation"].startswith("LLM")
    # the scenario told the model its knowledge cutoff
    assert "2023-10" in model.prompts[0] and "knowledge_cutoff" in model.prompts[0]
    st = json.loads((ws / ".rdq" / "research" / res.run_id / "state.json").read_text())
    assert st["llm_budget"]["used_tokens"] == 1000 * len(ex) and st["llm_budget"]["calls"] == len(ex)


def test_the_coder_fixed_the_bug_from_the_feedback(scenario_run: tuple[Path, Any, Responder]) -> None:
    from rdq.agent._loop import _store_path
    from rdq.store import Store, knowledge_attempts

    ws, res, model = scenario_run
    rows = knowledge_attempts(Store(_store_path(ws)), kind="factor").filter(
        __import__("polars").col("run_id") == res.run_id
    )
    vol = [r for r in rows.iter_rows(named=True) if "vol_ratio" in r["task_text"]]
    assert [r["outcome"] for r in vol] == ["failed", "ok"]
    assert vol[0]["feedback"] and vol[0]["code"].endswith("Mean($volume, 20")
    coder_prompts = [p for p in model.prompts if "factor: vol_ratio." in p and "proposing" not in p]
    assert "It failed:" in coder_prompts[1] and "Mean($volume, 20" in coder_prompts[1]


def test_replay_repeats_the_run_without_a_model(scenario_run: tuple[Path, Any, Responder]) -> None:
    from rdq.agent._loop import replay_run

    ws, res, _ = scenario_run
    loop, n = replay_run(res.run_id, workspace=ws)
    again = loop.run(rounds=n)
    assert loop.llm is not None and loop.llm.client.calls == 0 and loop.llm.client.remaining == 0
    assert again.run_id != res.run_id and again.rounds == res.rounds
    assert again.accepted == res.accepted
    assert again.sota == res.sota
    a, b = rounds_of(ws, res.run_id), rounds_of(ws, again.run_id)
    assert [r["decision"] for r in a] == [r["decision"] for r in b]
    assert [[(c["name"], c["code"], c["status"], c["metrics"]) for c in r["candidates"]] for r in a] == [
        [(c["name"], c["code"], c["status"], c["metrics"]) for c in r["candidates"]] for r in b
    ]
    assert [e["purpose"] for e in exchanges(ws, again.run_id)] == [
        e["purpose"] for e in exchanges(ws, res.run_id)
    ]


def test_fake_list_chat_model_drives_the_loop(tmp_path: Path) -> None:
    """langchain's FakeListChatModel (replies in a fixed order, JSON mode) through start_run / run."""
    from rdq.agent._loop import start_run

    replies = [
        json.dumps(GOOD_1),
        CODE["vol_ratio"][1],
        CODE["pv_corr"][0],
        EXPLAIN,
        json.dumps(MODEL),
        EXPLAIN,
    ]
    cfg = small_cfg(tmp_path, rounds=2)
    loop = start_run(cfg, workspace=tmp_path / "ws", chat_model=FakeListChatModel(responses=replies))
    res = loop.run()
    assert res.rounds == 2 and loop.llm is not None and loop.llm.client.calls == 6
    ex = exchanges(tmp_path / "ws", res.run_id)
    assert [e["reply"] for e in ex] == replies
    recs = rounds_of(tmp_path / "ws", res.run_id)
    assert sorted(c["name"] for c in recs[0]["candidates"]) == ["pv_corr", "vol_ratio"]
    assert recs[1]["candidates"][0]["name"] == "lgbm_slow"


@pytest.mark.slow
def test_knowledge_reuse_halves_the_calls_and_optuna_models_mix_in(tmp_path: Path) -> None:
    """(llm factors + optuna models) twice in one workspace: the second run reuses every solved task."""
    from rdq.agent._loop import start_run

    ws = tmp_path / "ws"
    cfg = small_cfg(tmp_path, rounds=2).replace(proposer=ProposerSection(factor="llm", model="optuna"))
    calls, codes = [], []
    for _ in range(2):
        model = Responder(scenario=Scenario())
        loop = start_run(cfg, workspace=ws, chat_model=model)
        res = loop.run()
        assert loop.llm is not None
        calls.append(loop.llm.client.calls)
        recs = rounds_of(ws, res.run_id)
        assert [r["branch"] for r in recs] == ["factor", "model"]
        codes.append(
            [(c["name"], c["code"]) for r in recs if r["branch"] == "factor" for c in r["candidates"]]
        )
        purposes = [e["purpose"] for e in exchanges(ws, res.run_id)]
        assert "propose.model" not in purposes  # the model round was optuna's
        assert recs[1]["hypothesis"]["tasks"][0]["template"]  # optuna proposed a model
    # first run: 1 proposal + 1 repair + 3 code calls + 1 explanation = 6; second: 1 + 1 + 0 + 1 = 3
    assert codes[0] == codes[1]
    assert calls == [6, 3]
    assert calls[1] <= calls[0] / 2


PY_VOL_CV = """def factor(panel):
    import polars as pl

    p = panel.sort(["asset", "date"])
    v = pl.col("volume")
    cv = v.rolling_std(10).over("asset") / (v.rolling_mean(10).over("asset") + 1e-12)
    return p.select("date", "asset", cv.alias("value"))
"""


class PythonScenario(Scenario):
    """The scenario with ``vol_cv`` written as a Python ``def factor(panel)`` (run in the sandbox)."""

    def answer(self, first: str, last: str) -> tuple[str, Any]:
        kind, value = super().answer(first, last)
        if self.kinds[-1] == "code.factor" and "factor: vol_cv." in first:
            return "text", f"```python\n{PY_VOL_CV}```"
        return kind, value


def test_a_python_factor_from_the_coder_goes_through_the_loop(tmp_path: Path) -> None:
    """Round 1 of GOOD_2's tasks (a second factor round's proposal served first): ``vol_cv`` is Python."""
    from rdq.agent._loop import start_run
    from rdq.agent._loop_llm import is_python_code

    scn = PythonScenario()
    scn.n_factor = 1  # skip the cut first proposal: GOOD_2 (ret_vol_corr, vol_cv)
    cfg = small_cfg(tmp_path, rounds=1, coder={"max_attempts": 2, "workers": 1, "language": "auto"})
    res = start_run(cfg, workspace=tmp_path / "ws", chat_model=Responder(scenario=scn)).run()
    (rec,) = rounds_of(tmp_path / "ws", res.run_id)
    by_name = {c["name"]: c for c in rec["candidates"]}
    assert is_python_code(by_name["vol_cv"]["code"]) and "rolling_std(10)" in by_name["vol_cv"]["code"]
    assert not is_python_code(by_name["ret_vol_corr"]["code"])
    # the Python factor ran in the sandbox through every check and the train-span screen
    names = [c["name"] for c in by_name["vol_cv"]["checks"]]
    assert by_name["vol_cv"]["status"] in ("ok", "rejected") and "runs" in names, by_name["vol_cv"]
    assert all(
        c["passed"] for c in by_name["vol_cv"]["checks"] if c["name"] in ("runs", "finite", "lookahead")
    )
    assert [e["purpose"] for e in exchanges(tmp_path / "ws", res.run_id)] == [
        "propose.factor", "code.factor", "code.factor", "explain",
    ]  # fmt: skip

    # the report computes an accepted Python factor on the full panel (in the sandbox, test span included)
    from rdq.agent._report import research_report
    from rdq.agent._state import find_run, write_json

    folder = find_run(tmp_path / "ws", res.run_id)
    st = folder.state()
    assert st is not None
    # an accepted Python factor that is the label itself (a planted look-ahead the loop would reject): when
    # the report computes it on the full panel, the test Rank IC is ~1; were it skipped, the base set's
    cheat = (
        "def factor(panel):\n    import polars as pl\n\n    p = panel.sort(['asset', 'date'])\n"
        "    c = pl.col('close')\n"
        "    v = (c.shift(-2) / c.shift(-1) - 1).over('asset')\n"
        "    return p.select('date', 'asset', v.alias('value'))\n"
    )
    st["accepted"] = [{"name": "cheat", "expression": cheat, "round": 1, "valid_metrics": {}}]
    write_json(folder.state_file, st)
    rep = research_report(res.run_id, workspace=tmp_path / "ws")
    assert rep["accepted_factors"] == ["cheat"]
    assert rep["test"]["rank_ic"] > 0.9 > abs(rep["base_test"]["rank_ic"])
