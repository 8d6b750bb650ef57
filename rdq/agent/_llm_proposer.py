"""The LLM proposer: a hypothesis from the scenario, the filtered history and SOTA; the feedback text.

Prompts are the files ``rdq/agent/prompts/*.md`` (first line ``<!-- version: N -->``), filled with
``str.format``.  The LLM never decides SOTA: :meth:`LLMProposer.explain` only writes the text after the
numeric decision.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from rdq.agent._llm_schema import HypothesisOut
from rdq.agent._model_search import ALL_TEMPLATES
from rdq.agent._types import Branch, Hypothesis, ProposalContext, RoundSummary

__all__ = ["LLMProposer", "load_prompt"]


def load_prompt(name: str) -> tuple[str, str]:
    """``(version, template)`` of ``rdq/agent/prompts/<name>.md``."""
    text = resources.files("rdq.agent").joinpath("prompts", f"{name}.md").read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    version = first.replace("<!--", "").replace("-->", "").replace("version:", "").strip()
    return version, body


def _round_line(s: RoundSummary) -> str:
    d = s.decision
    tasks = ", ".join(t.name for t in s.hypothesis.tasks)
    return (
        f"round {s.round} [{s.branch.value}] {s.hypothesis.statement} | tasks: {tasks} | "
        f"{d.objective}={d.value} sota={d.sota_value} accepted={d.accepted} | {d.explanation}"
    )


class LLMProposer:
    """Implements ``Proposer`` with an ``rdq.llm`` client (``LLMClient`` or ``ReplayClient``).

    Parameters
    ----------
    client:
        Has ``structured(messages, schema, *, purpose)`` and ``complete(messages, *, purpose)``.
    max_tasks:
        Tasks kept per hypothesis (1-5).
    history_rounds:
        Rounds of the branch's filtered history put in the prompt (the latest ones).
    """

    def __init__(self, client: Any, *, max_tasks: int = 3, history_rounds: int = 10) -> None:
        self.client = client
        self.max_tasks = max(1, min(5, int(max_tasks)))
        self.history_rounds = int(history_rounds)

    def _history(self, context: ProposalContext) -> str:
        # a factor round sees every factor round and the latest accepted model round; a model round the reverse
        same = [s for s in context.history if s.branch == context.branch]
        other = [s for s in context.history if s.branch != context.branch and s.decision.accepted]
        lines = [_round_line(s) for s in same[-self.history_rounds :]]
        if other:
            lines.append("latest SOTA of the other branch: " + _round_line(other[-1]))
        return "\n".join(lines) or "(no rounds yet)"

    def propose(self, context: ProposalContext) -> Hypothesis:
        """A hypothesis for ``context.branch`` with 1..``max_tasks`` tasks."""
        _, template = load_prompt("propose")
        sota = {
            "factors": context.sota_factors or context.base_factors,
            "metrics": context.sota_metrics,
            "model": {
                "template": context.sota_model.template,
                "hyperparameters": context.sota_model.hyperparameters,
            },
        }
        prompt = template.format(
            branch=context.branch.value,
            scenario=json.dumps(context.scenario, sort_keys=True, default=str, indent=1),
            history=self._history(context),
            sota=json.dumps(sota, sort_keys=True, default=str),
            max_tasks=self.max_tasks,
            templates=", ".join(ALL_TEMPLATES),
        )
        out = self.client.structured(
            [("user", prompt)], HypothesisOut, purpose=f"propose.{context.branch.value}"
        )
        return out.to_hypothesis(Branch(context.branch), max_tasks=self.max_tasks)

    def explain(self, summary: RoundSummary) -> str:
        """The feedback text for a round whose decision is already made."""
        _, template = load_prompt("explain")
        results = "\n".join(
            f"- {r.candidate.name}: {json.dumps(r.metrics, sort_keys=True, default=str)} error={r.error}"
            for r in summary.results
        )
        prompt = template.format(
            round=summary.round,
            branch=summary.branch.value,
            decision=json.dumps(
                {
                    "accepted": summary.decision.accepted,
                    "value": summary.decision.value,
                    "sota": summary.decision.sota_value,
                },
                default=str,
            ),
            statement=summary.hypothesis.statement,
            results=results or "(no results)",
        )
        return str(self.client.complete([("user", prompt)], purpose="explain").reply).strip()
