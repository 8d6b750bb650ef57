"""The research loop (after R&D-Agent(Q)): schedule a branch, propose, implement, evaluate, decide, record.

Layered above :mod:`rdq.pipeline`; imports nothing from :mod:`rdq.qlang`.
"""

from __future__ import annotations

from rdq.agent._types import (
    MAX_TASKS,
    Branch,
    Candidate,
    CandidateResult,
    CheckResult,
    Coder,
    Decision,
    FactorTask,
    Hypothesis,
    ModelTask,
    ProposalContext,
    Proposer,
    RoundSummary,
    Task,
)

__all__ = [
    "MAX_TASKS",
    "Branch",
    "Candidate",
    "CandidateResult",
    "CheckResult",
    "Coder",
    "Decision",
    "FactorTask",
    "Hypothesis",
    "ModelTask",
    "ProposalContext",
    "Proposer",
    "RoundSummary",
    "Task",
]
