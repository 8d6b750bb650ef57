"""The LLM path of the research loop: the client with its budget, the LLM proposer, the Co-STEER coder step,
the feedback text after the numeric decision, and replay.

Built once per :class:`rdq.agent._loop.ResearchLoop` by :func:`build_llm` when a branch's proposer is ``llm``
(``None`` otherwise: the offline loop is untouched). Every exchange is written to the catalog with the run id
and the round it belongs to (round 0: before the first round); a replay serves a run's stored exchanges in
order through :class:`rdq.llm.ReplayClient`, so no model is called.
"""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass, field
from typing import Any

from rdq.agent._types import (
    Branch,
    Candidate,
    CandidateResult,
    CheckResult,
    Hypothesis,
    ProposalContext,
    RoundSummary,
)
from rdq.errors import ConfigError

__all__ = [
    "LLMParts",
    "build_llm",
    "is_python_code",
    "make_coder",
    "implement_factors",
    "implement_models",
    "explain_round",
    "replay_exchanges",
]

log = logging.getLogger(__name__)


def is_python_code(code: str) -> bool:
    """Whether a factor code is Python source (``def factor(panel)``) rather than an rdq expression
    (:func:`rdq.agent._pyfactor.is_python`)."""
    from rdq.agent._pyfactor import is_python

    return is_python(code)


@dataclass
class LLMParts:
    """What the loop holds for its LLM path.

    Attributes
    ----------
    client:
        :class:`rdq.llm.LLMClient` (live) or :class:`rdq.llm.ReplayClient` (``--replay``).
    llm_cfg:
        The resolved :class:`rdq.llm.LLMConfig` (prices, cutoff, settings).
    budget:
        The run's :class:`rdq.llm.Budget` (caps and what was spent; saved in ``state.json``).
    proposer:
        The :class:`rdq.agent._llm_proposer.LLMProposer` over ``client``.
    knowledge:
        The Co-STEER :class:`rdq.agent._knowledge.KnowledgeBase` (when the factor proposer is ``llm``).
    factor, model:
        The proposer of each branch (``gp`` | ``llm``, ``optuna`` | ``llm``).
    round:
        The round whose exchanges are being recorded.
    """

    client: Any
    llm_cfg: Any
    budget: Any
    proposer: Any
    knowledge: Any
    factor: str
    model: str
    round: int = 0
    replay_of: str | None = None
    exchanges: list[Any] = field(default_factory=list)

    def uses_llm(self, branch: Branch) -> bool:
        """Whether ``branch``'s proposer is the LLM."""
        return (self.factor if branch is Branch.FACTOR else self.model) == "llm"

    @property
    def calls(self) -> int:
        """Model requests of this process (0 in a replay)."""
        return int(getattr(self.client, "calls", 0))


def replay_exchanges(store: Any, run_id: str) -> list[Any]:
    """The stored exchanges of ``run_id`` as :class:`rdq.llm.Exchange` objects, in call order.

    Raises
    ------
    ConfigError
        The run has no stored exchanges (it did not use an LLM): nothing to replay.
    """
    from rdq.llm import Exchange
    from rdq.store import exchanges_for_run

    out = [Exchange(**kw) for kw in exchanges_for_run(store, run_id)]
    if not out:
        raise ConfigError(
            f"--replay {run_id}: the run has no stored LLM exchanges (it ran offline); a replay repeats an "
            "LLM run's replies: give the id of a run started with --llm"
        )
    return out


def _run_created(store: Any, run_id: str) -> _dt.datetime | None:
    rows = store.query("SELECT created FROM research_runs WHERE run_id = ?", [run_id])
    return None if rows.height == 0 else rows["created"][0]


def build_llm(
    cfg: Any,
    store: Any,
    run_id: str,
    *,
    replay_of: str | None = None,
    chat_model: Any = None,
) -> LLMParts | None:
    """The LLM parts of a run of ``cfg`` (``None`` when no branch uses the LLM).

    Parameters
    ----------
    cfg:
        The :class:`rdq.agent._config.ResearchConfig`.
    store:
        The catalog: exchanges and knowledge are written there.
    replay_of:
        A run id: serve its stored exchanges (no model); the knowledge base then sees only what was stored
        before that run started (so the coder takes the same path).
    chat_model:
        A langchain chat model to use instead of building one from ``cfg.llm`` (tests pass fake models).

    Raises
    ------
    ConfigError
        A branch's proposer is ``llm`` but no LLM is configured; the provider's package or key is missing.
    """
    from rdq.agent._knowledge import KnowledgeBase
    from rdq.agent._llm_proposer import LLMProposer
    from rdq.llm import Budget, LLMClient, ReplayClient, make_chat_model
    from rdq.store import record_exchange

    factor, model = cfg.proposer.resolved(cfg.llm is not None)
    if "llm" not in (factor, model):
        return None
    if cfg.llm is None:
        raise ConfigError(
            f"{cfg.source or cfg.name}: proposer.factor / proposer.model is llm but no model is configured; "
            "add an llm section (llm: openai:gpt-4o-mini) or pass --llm PROVIDER:MODEL"
        )
    llm_cfg = cfg.llm.llm_config()
    budget = Budget(max_usd=cfg.llm.budget_usd, max_tokens=cfg.llm.max_tokens)
    parts = LLMParts(None, llm_cfg, budget, None, None, factor, model, replay_of=replay_of)

    def record(ex: Any) -> None:
        record_exchange(store, run_id, parts.round, ex)

    if replay_of is not None:
        stored = replay_exchanges(store, replay_of)
        parts.client = ReplayClient(stored, budget=Budget(), record=record, max_repairs=llm_cfg.max_repairs)
        parts.budget = parts.client.budget
    else:
        cm = chat_model if chat_model is not None else make_chat_model(llm_cfg)
        parts.client = LLMClient(cm, llm_cfg, budget=budget, record=record)
    n_tasks = int(cfg.gp.get("n_tasks", 3))
    parts.proposer = LLMProposer(parts.client, max_tasks=max(1, min(5, n_tasks)))
    if "llm" in (factor, model):
        before = _run_created(store, replay_of) if replay_of is not None else None
        parts.knowledge = KnowledgeBase(store, run_id=run_id, visible_before=before)
    return parts


def make_coder(parts: LLMParts, shared: Any, coder_section: Any, *, limits: Any, folder: Any) -> Any:
    """The round's :class:`rdq.agent._costeer.CoSteerCoder` on the debug slice ``shared`` (a
    :class:`rdq.agent._workers.CheckShared`), the loop's check bounds and sandbox ``limits``; attempts are
    written under ``folder``."""
    from rdq.agent._costeer import CoderConfig, CoSteerCoder

    cc = shared.config
    return CoSteerCoder(
        parts.client,
        parts.knowledge,
        debug_panel=shared.slice,
        config=CoderConfig(
            max_attempts=coder_section.max_attempts,
            workers=coder_section.workers,
            min_finite=float(cc.min_finite),
            dup_corr=float(cc.dup_corr),
            language=coder_section.language,
        ),
        limits=limits,
        reference=lambda: shared.reference,
        folder=folder,
        n_features=max(1, len(shared.reference_exprs or {})),
    )


def _implement(parts: LLMParts, coder: Any, hyp: Hypothesis, ctx: ProposalContext) -> list[Any]:
    """``coder.implement_many`` over the hypothesis' tasks; a spent budget abandons the round."""
    from rdq.agent._costeer import ImplementationFailure
    from rdq.llm import BudgetExhausted

    outs: list[Any]
    try:
        outs = list(coder.implement_many(list(hyp.tasks), ctx))
    except BudgetExhausted:
        raise
    except Exception as exc:  # a coder bug must not end the run: every task of the round fails with it
        log.exception("the Co-STEER coder failed")
        outs = [
            ImplementationFailure(t, 0, f"the coder failed: {type(exc).__name__}: {exc}") for t in hyp.tasks
        ]
    budget = parts.budget
    if budget is not None and budget.exhausted:
        spent = [o for o in outs if isinstance(o, ImplementationFailure) and "budget is spent" in o.feedback]
        if spent:
            raise BudgetExhausted(spent[0].feedback.splitlines()[0])
    return outs


def _failure(t: Any, o: Any, branch: Branch) -> CandidateResult:
    expr = getattr(t, "expression", None) or ""
    c = Candidate(t.name, branch, expr, expr, t)
    why = f"the coder gave up after {o.attempts} attempts"
    return CandidateResult(c, (CheckResult("implement", False, o.feedback[:2000]),), error=why)


def implement_models(
    parts: LLMParts, hyp: Hypothesis, ctx: ProposalContext, coder: Any
) -> tuple[list[Candidate], list[CandidateResult]]:
    """The Co-STEER step of an LLM model round: a known template's hyperparameters clamped into the search
    ranges (no call), a new architecture written as an ``nn.Module`` and checked in the sandbox."""
    from rdq.agent._costeer import ImplementationFailure

    cands: list[Candidate] = []
    failed: list[CandidateResult] = []
    for t, o in zip(hyp.tasks, _implement(parts, coder, hyp, ctx), strict=True):
        if isinstance(o, ImplementationFailure):
            failed.append(_failure(t, o, Branch.MODEL))
        else:
            cands.append(o)
    return cands, failed


def implement_factors(
    parts: LLMParts, hyp: Hypothesis, ctx: ProposalContext, coder: Any
) -> tuple[list[Candidate], list[CandidateResult]]:
    """The Co-STEER step of an LLM factor round: ``(candidates, failed results)``.

    Each task is implemented by :class:`rdq.agent._costeer.CoSteerCoder` against the round's debug slice
    (``shared``: the loop's :class:`rdq.agent._workers.CheckShared`); a task the coder gives up on is a failed
    candidate whose ``implement`` check carries the last feedback.

    Raises
    ------
    BudgetExhausted
        The budget ran out while coding: the round is abandoned (it is redone on resume).
    """
    from rdq.agent._costeer import ImplementationFailure
    from rdq.agent._expr_tree import canonical

    outs = _implement(parts, coder, hyp, ctx)
    cands: list[Candidate] = []
    failed: list[CandidateResult] = []
    for t, o in zip(hyp.tasks, outs, strict=True):
        if isinstance(o, ImplementationFailure):
            failed.append(_failure(t, o, Branch.FACTOR))
            continue
        code = o.code
        if not is_python_code(code):
            try:
                code = canonical(code)
            except Exception:  # noqa: BLE001 - the checks passed on the raw text: keep it
                code = o.code
        cands.append(Candidate(o.name, Branch.FACTOR, code, code, o.task, o.path))
    return cands, failed


def explain_round(parts: LLMParts, summary: RoundSummary) -> str | None:
    """The LLM's feedback text on a decided round, or ``None`` (a failed call, a refusal, a spent budget:
    the templated explanation stays)."""
    from rdq.llm import BudgetExhausted, LLMError

    try:
        text = parts.proposer.explain(summary)
    except (LLMError, BudgetExhausted) as exc:
        log.info("round %d: no LLM explanation (%s); the templated one stays", summary.round, exc)
        return None
    return text or None


def failed_hypothesis(branch: Branch, n: int, exc: BaseException, noop: tuple[Any, ...]) -> Hypothesis:
    """The hypothesis recorded for a round whose proposer failed (a refusal says so)."""
    from rdq.llm import LLMRefusal

    if isinstance(exc, LLMRefusal):
        return Hypothesis(branch, "proposer refused", str(exc)[:2000], noop)
    return Hypothesis(branch, "proposer failed", f"{type(exc).__name__}: {exc}"[:2000], noop)


def preflight(cfg: Any) -> None:
    """Resolve ``cfg``'s LLM and build its chat model once (nothing is called), so a missing provider package
    (``pip install 'rdq[openai]'``) or API key fails before anything else."""
    from rdq.llm import make_chat_model

    factor, model = cfg.proposer.resolved(cfg.llm is not None)
    if "llm" in (factor, model) and cfg.llm is not None:
        make_chat_model(cfg.llm.llm_config())
    elif "llm" in (factor, model):
        raise ConfigError(
            f"{cfg.source or cfg.name}: proposer.factor / proposer.model is llm but no model is configured; "
            "add an llm section (llm: openai:gpt-4o-mini) or pass --llm PROVIDER:MODEL"
        )


def llm_state(parts: LLMParts | None) -> dict[str, Any]:
    """``{"llm_budget": caps and spending}`` for ``state.json`` (nothing for the offline loop)."""
    if parts is None or parts.budget is None:
        return {}
    return {"llm_budget": parts.budget.to_dict()}


def restore_budget(parts: LLMParts, st: dict[str, Any], *, new_caps: bool) -> None:
    """Restore the spent budget from ``state.json``: the cap is total for the run. The saved caps stay unless
    the resume gave new ones (``new_caps``); a replay keeps its own (none)."""
    from rdq.llm import Budget

    if "llm_budget" not in st or parts.budget is None:
        return
    saved = Budget.from_dict(st["llm_budget"])
    keep_saved = parts.replay_of is None and not new_caps
    src = saved if keep_saved else parts.budget
    budget = saved.with_caps(max_usd=src.max_usd, max_tokens=src.max_tokens)
    parts.budget = budget
    parts.client.budget = budget
