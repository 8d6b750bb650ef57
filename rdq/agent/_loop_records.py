"""The research loop's records: a round as JSON (round file, catalog) and back, and the placeholders of a
round whose proposer failed (split from :mod:`rdq.agent._loop`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rdq.agent._types import (
    Branch,
    Candidate,
    CandidateResult,
    CheckResult,
    Decision,
    FactorTask,
    Hypothesis,
    ModelTask,
    RoundSummary,
    Task,
)

__all__ = [
    "RunResult",
    "canonical_candidates",
    "model_candidates",
    "noop_task",
    "model_code",
    "candidate_row",
    "summary_from_record",
]


@dataclass(frozen=True)
class RunResult:
    """What ``rdq research run --json`` prints (a public contract: keep the keys)."""

    run_id: str
    rounds: int
    sota: dict[str, float]
    accepted: list[dict[str, Any]]
    #: ``"budget"`` when the LLM budget stopped the run (then ``message`` says how to continue)
    stopped: str | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """``{run_id, rounds, sota, accepted_factors: [{name, expression, round, valid_metrics}]}``, plus
        ``"stopped": "budget"`` when the LLM budget stopped the run."""
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "rounds": self.rounds,
            "sota": self.sota,
            "accepted_factors": [public_factor(a) for a in self.accepted],
        }
        if self.stopped is not None:
            out["stopped"] = self.stopped
        return out


def public_factor(a: dict[str, Any]) -> dict[str, Any]:
    """An accepted factor as the JSON contract shows it: ``{name, expression, round, valid_metrics}``; a Python
    factor (its source saved as a file in the run folder when it was accepted) has ``expression: null`` and
    ``path`` (``rdq factors compute --python PATH`` reproduces it)."""
    out = {"name": a["name"], "expression": a["expression"], "round": a["round"], "valid_metrics": a["valid_metrics"]}
    if a.get("path"):
        out["expression"] = None
        out["path"] = a["path"]
    return out


def save_python_factor(folder: Path, name: str, source: str) -> Path:
    """Write an accepted Python factor's source to ``folder/factors/NAME.py`` (atomically) and return the path."""
    from rdq.pipeline._cache import atomic_write_text

    safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in name) or "factor"
    path = folder / "factors" / f"{safe}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, source if source.endswith("\n") else source + "\n")
    return path


def canonical_candidates(tasks: tuple[Task, ...]) -> tuple[list[Candidate], list[CandidateResult]]:
    """The offline coder: each task's expression in canonical form; one that does not parse is a failed candidate."""
    from rdq.agent._expr_tree import canonical

    cands: list[Candidate] = []
    failed: list[CandidateResult] = []
    for t in tasks:
        assert isinstance(t, FactorTask)
        try:
            code = canonical(t.expression or "")
            cands.append(Candidate(t.name, Branch.FACTOR, code, code, t))
        except Exception as exc:  # the coder: an expression that does not parse is a failed candidate
            c = Candidate(t.name, Branch.FACTOR, t.expression or "", t.expression or "", t)
            failed.append(CandidateResult(c, (CheckResult("runs", False, str(exc)),), error=str(exc)))
    return cands, failed


def model_candidates(tasks: tuple[Task, ...]) -> list[Candidate]:
    """The offline coder of model tasks: each task is its own candidate (its config as YAML text)."""
    out = []
    for t in tasks:
        assert isinstance(t, ModelTask)
        key = f"{t.template}:{sorted(t.hyperparameters.items())}"
        out.append(Candidate(t.name, Branch.MODEL, model_code(t), key, t))
    return out


def noop_task(branch: Branch, n: int) -> tuple[Any, ...]:
    if branch is Branch.FACTOR:
        return (FactorTask(f"failed_r{n}", "the proposer failed", expression=""),)
    return (ModelTask(f"failed_r{n}", "the proposer failed", template=""),)


def model_code(t: ModelTask) -> str:
    import yaml

    return str(
        yaml.safe_dump({"model": {"class": t.template, "kwargs": dict(t.hyperparameters)}}, sort_keys=True)
    )


def candidate_row(r: CandidateResult) -> dict[str, Any]:
    c = r.candidate
    status = "ok" if r.ok else ("error" if r.error else "rejected")
    return {
        "name": c.name, "branch": c.branch.value, "code": c.code, "key": c.key, "task": asdict(c.task),
        "checks": [asdict(x) for x in r.checks], "metrics": r.metrics, "status": status, "error": r.error,
        "seconds": r.seconds,
    }  # fmt: skip


def summary_from_record(rec: dict[str, Any]) -> RoundSummary:
    branch = Branch(rec["branch"])
    h = rec["hypothesis"]
    tasks = tuple(
        FactorTask(**{k: v for k, v in t.items()}) if t.get("kind") == "factor" else ModelTask(**dict(t))
        for t in h["tasks"]
    )
    results = []
    for c in rec["candidates"]:
        t = FactorTask(**c["task"]) if c["task"].get("kind") == "factor" else ModelTask(**c["task"])
        cand = Candidate(c["name"], Branch(c["branch"]), c["code"], c["key"], t)
        checks = tuple(CheckResult(**x) for x in c["checks"])
        results.append(CandidateResult(cand, checks, dict(c["metrics"]), c["error"], float(c["seconds"])))
    d = Decision(**rec["decision"])
    return RoundSummary(
        int(rec["round"]),
        branch,
        Hypothesis(branch, h["statement"], h["rationale"], tasks),
        tuple(results),
        d,
        float(rec["seconds"]),
    )
