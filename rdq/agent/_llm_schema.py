"""The pydantic models at the LLM boundary; they mirror :class:`Hypothesis`, :class:`FactorTask`, :class:`ModelTask`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from rdq.agent._model_search import ALL_TEMPLATES
from rdq.agent._types import Branch, FactorTask, Hypothesis, ModelTask, Task

__all__ = ["TaskOut", "HypothesisOut", "NEW_ARCHITECTURE"]

#: the template a model task names for an architecture rdq does not ship: the Co-STEER coder writes it as a
#: torch ``nn.Module`` file from the task's description and formulation (checked and trained in the sandbox)
NEW_ARCHITECTURE = "new"


class TaskOut(BaseModel):
    """One task as the LLM writes it (factor fields, or model ``template`` + ``hyperparameters``)."""

    name: str
    description: str
    formulation: str = ""
    variables: dict[str, str] = Field(default_factory=dict)
    expression: str | None = None
    template: str | None = None
    hyperparameters: dict[str, Any] = Field(default_factory=dict)

    @field_validator("template")
    @classmethod
    def _known_template(cls, v: str | None) -> str | None:
        """A shipped template (or its short name, ``lgbm``), or ``"new"`` for a new architecture."""
        from rdq.agent._costeer_model import template_of

        if v is None or v == NEW_ARCHITECTURE:
            return v
        known = template_of(v)
        if known is None:
            raise ValueError(
                f"unknown model template {v!r}; use one of {list(ALL_TEMPLATES)}, or {NEW_ARCHITECTURE!r} for a new "
                "architecture (described in description and formulation; the coder writes it as an nn.Module)"
            )
        return known

    def to_task(self, branch: Branch) -> Task:
        """The dataclass task for a ``branch`` round (a model task without a template gets ``MLPModel``)."""
        if branch == Branch.MODEL:
            return ModelTask(
                name=self.name,
                description=self.description,
                template=self.template or "MLPModel",
                hyperparameters=dict(self.hyperparameters),
            )
        return FactorTask(
            name=self.name,
            description=self.description,
            formulation=self.formulation,
            variables=dict(self.variables),
            expression=self.expression,
        )


class HypothesisOut(BaseModel):
    """A hypothesis with rationale and 1-5 tasks."""

    statement: str
    rationale: str
    tasks: list[TaskOut] = Field(min_length=1, max_length=5)

    def to_hypothesis(self, branch: Branch, *, max_tasks: int = 5) -> Hypothesis:
        """The :class:`Hypothesis` (at most ``max_tasks`` tasks kept)."""
        tasks = tuple(t.to_task(branch) for t in self.tasks[:max_tasks])
        return Hypothesis(branch=branch, statement=self.statement, rationale=self.rationale, tasks=tasks)
