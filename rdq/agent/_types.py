"""The research loop's vocabulary: branches, hypotheses, tasks, candidates and the two plug-in interfaces.

One round of the loop (after R&D-Agent(Q))::

    Scheduler.choose(context)           -> Branch ("factor" | "model")
    Proposer.propose(ProposalContext)   -> Hypothesis (statement, rationale, 1-5 Tasks)
    Coder.implement(task, ...)          -> Candidate (an expression / a model config)
    evaluate (checks, screen, pipeline) -> CandidateResult (checks, metrics, error)
    decide (numeric, bootstrap)         -> Decision (accepted?, why)

Everything here is a frozen dataclass of plain values (str, float, tuples, dicts of plain values) so that
it serialises to JSON for the catalog and for the replay of a run. The LLM path (next issue) mirrors
:class:`Hypothesis` and :class:`Task` as pydantic models at its boundary and converts to these.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Branch",
    "FactorTask",
    "ModelTask",
    "Task",
    "Hypothesis",
    "Candidate",
    "CheckResult",
    "CandidateResult",
    "Decision",
    "RoundSummary",
    "ProposalContext",
    "Proposer",
    "Coder",
    "MAX_TASKS",
]

#: a hypothesis carries 1..MAX_TASKS tasks
MAX_TASKS = 5


class Branch(StrEnum):
    """What a round works on."""

    FACTOR = "factor"
    MODEL = "model"


@dataclass(frozen=True)
class FactorTask:
    """A factor to implement: ``expression`` in rdq's qlib syntax when the proposer has one.

    ``variables`` maps the names used in ``formulation`` to what they mean (``{"$close": "close price"}``).
    """

    name: str
    description: str
    formulation: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    expression: str | None = None
    kind: str = "factor"


@dataclass(frozen=True)
class ModelTask:
    """A model to try: ``template`` is a model config name/path (``lgbm``, ``mlp``, ``gru``, ...)
    and ``hyperparameters`` override its ``model.params``."""

    name: str
    description: str
    template: str
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    kind: str = "model"


Task = FactorTask | ModelTask


@dataclass(frozen=True)
class Hypothesis:
    """A proposer's answer for one round: what it believes and the 1..5 tasks that test it."""

    branch: Branch
    statement: str
    rationale: str
    tasks: tuple[Task, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.tasks) <= MAX_TASKS:
            raise ValueError(f"a hypothesis has 1-{MAX_TASKS} tasks, got {len(self.tasks)}")
        want = "factor" if self.branch is Branch.FACTOR else "model"
        for t in self.tasks:
            if t.kind != want:
                raise ValueError(f"a {self.branch.value} hypothesis got a {t.kind} task {t.name!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "branch": self.branch.value,
            "statement": self.statement,
            "rationale": self.rationale,
            "tasks": [asdict(t) for t in self.tasks],
        }


@dataclass(frozen=True)
class Candidate:
    """An implemented task: ``code`` is the expression (factor) or the model config as YAML text (model).

    ``key`` identifies the candidate for caching: the canonical expression text, or the model template with
    its sorted hyperparameters.
    """

    name: str
    branch: Branch
    code: str
    key: str
    task: Task
    path: str | None = None  # a Python factor's / nn.Module's file (next issue); None for an expression


@dataclass(frozen=True)
class CheckResult:
    """One check of a candidate on the debug slice (``runs``, ``coverage``, ``finite``, ``lookahead``,
    ``duplicate``, ``screen``): passed or not, and why."""

    name: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class CandidateResult:
    """What evaluating a candidate produced: the checks, the metrics (validation span, flat
    :mod:`rdq.metrics` keys) and, when it failed, the error text."""

    candidate: Candidate
    checks: tuple[CheckResult, ...]
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every check passed and no error."""
        return self.error is None and all(c.passed for c in self.checks)


@dataclass(frozen=True)
class Decision:
    """The numeric verdict of a round: accepted or not, the objective's value and the SOTA's, the
    bootstrap lower bound of the improvement, and a templated explanation."""

    accepted: bool
    objective: str
    value: float | None
    sota_value: float | None
    lower_bound: float | None
    explanation: str
    candidate: str | None = None


@dataclass(frozen=True)
class RoundSummary:
    """One finished round as the proposer and the scheduler see it in the history."""

    round: int
    branch: Branch
    hypothesis: Hypothesis
    results: tuple[CandidateResult, ...]
    decision: Decision
    seconds: float


@dataclass(frozen=True)
class ProposalContext:
    """What a proposer sees: the scenario, the branch's history and the current SOTA.

    ``scenario`` describes the data (fields, frequency, segments, objective, the factor/model interface);
    ``sota_factors`` maps accepted factor names to expressions; ``sota_model`` is the model task in use;
    ``sota_metrics`` the SOTA's validation metrics.
    """

    branch: Branch
    round: int
    scenario: dict[str, Any]
    history: tuple[RoundSummary, ...]
    base_factors: dict[str, str]
    sota_factors: dict[str, str]
    sota_model: ModelTask
    sota_metrics: dict[str, float]


@runtime_checkable
class Proposer(Protocol):
    """Proposes the next hypothesis. Must be deterministic given its seed and the context."""

    def propose(self, context: ProposalContext) -> Hypothesis:
        """Return a hypothesis for ``context.branch`` with 1..5 tasks of that branch."""
        ...


@runtime_checkable
class Coder(Protocol):
    """Turns a task into a candidate (here: an expression is its own code; the next issue adds Co-STEER)."""

    def implement(self, task: Task, context: ProposalContext) -> Candidate:
        """Return the candidate for ``task``; raise :class:`rdq.errors.RdqError` when it cannot be implemented."""
        ...
