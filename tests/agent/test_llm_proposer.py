"""LLMProposer with scripted replies (ReplayClient): valid proposal, unknown template refused, explain."""

from __future__ import annotations

import json

import pytest

from rdq.agent._llm_proposer import LLMProposer, load_prompt
from rdq.agent._types import Branch, FactorTask, ModelTask, ProposalContext
from rdq.errors import RdqError
from rdq.llm import Exchange, ReplayClient


def _ctx(branch: Branch) -> ProposalContext:
    return ProposalContext(
        branch=branch,
        round=0,
        scenario={"fields": ["close", "volume"], "frequency": "1d"},
        history=(),
        base_factors={"mom": "close/delay(close,5)-1"},
        sota_factors={},
        sota_model=ModelTask(name="base", description="", template="LGBMModel"),
        sota_metrics={"ic": 0.02},
    )


def _ex(purpose: str, reply: str) -> Exchange:
    return Exchange(purpose=purpose, request=(), reply=reply)


def test_prompts_have_versions() -> None:
    assert load_prompt("propose")[0] == "2" and load_prompt("explain")[0] == "1"
    assert '"new"' in load_prompt("propose")[1]  # the model tells rdq it wants a new architecture so


def test_valid_factor_proposal_converts_and_caps_tasks() -> None:
    tasks = [{"name": f"f{i}", "description": "d", "expression": "rank(close)"} for i in range(4)]
    reply = json.dumps({"statement": "s", "rationale": "r", "tasks": tasks})
    hyp = LLMProposer(ReplayClient([_ex("propose.factor", reply)]), max_tasks=2).propose(_ctx(Branch.FACTOR))
    assert hyp.branch is Branch.FACTOR and hyp.statement == "s"
    assert hyp.tasks == (
        FactorTask(name="f0", description="d", expression="rank(close)"),
        FactorTask(name="f1", description="d", expression="rank(close)"),
    )


def test_model_proposal_with_unknown_template_fails() -> None:
    bad = json.dumps(
        {"statement": "s", "rationale": "r", "tasks": [{"name": "m", "description": "d", "template": "Nope"}]}
    )
    client = ReplayClient([_ex("propose.model", bad)], max_repairs=0)
    with pytest.raises(RdqError):
        LLMProposer(client).propose(_ctx(Branch.MODEL))


def test_model_proposal_names_a_template_a_short_name_or_a_new_architecture() -> None:
    tasks = [
        {"name": "a", "description": "d", "template": "lgbm", "hyperparameters": {"num_leaves": 31}},
        {"name": "b", "description": "a two-layer MLP with a skip connection", "template": "new"},
        {"name": "c", "description": "d", "template": "GRUModel"},
    ]
    reply = json.dumps({"statement": "s", "rationale": "r", "tasks": tasks})
    hyp = LLMProposer(ReplayClient([_ex("propose.model", reply)]), max_tasks=3).propose(_ctx(Branch.MODEL))
    assert [(t.name, t.template) for t in hyp.tasks] == [("a", "LGBMModel"), ("b", "new"), ("c", "GRUModel")]
    from rdq.agent._costeer_model import template_of

    assert template_of("new") is None  # the coder writes "new" as an nn.Module (UserModule), not a template


def test_explain_returns_the_reply_text() -> None:
    from rdq.agent._types import Decision, Hypothesis, RoundSummary

    hyp = Hypothesis(
        branch=Branch.FACTOR, statement="s", rationale="r", tasks=(FactorTask(name="f", description="d"),)
    )
    dec = Decision(
        accepted=False, objective="ic", value=0.01, sota_value=0.02, lower_bound=None, explanation=""
    )
    summary = RoundSummary(
        round=3, branch=Branch.FACTOR, hypothesis=hyp, results=(), decision=dec, seconds=1.0
    )
    client = ReplayClient([_ex("explain", "  IC fell short of SOTA.  ")])
    assert LLMProposer(client).explain(summary) == "IC fell short of SOTA."
