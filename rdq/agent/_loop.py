"""The research loop: schedule a branch, propose, implement, check, screen, evaluate, decide, record.

Read top to bottom: :func:`start_run` / :func:`resume_run` build a :class:`ResearchLoop` and call
:meth:`ResearchLoop.run`, which does one :meth:`ResearchLoop.round` after another and saves the state after each.

One factor round::

    proposer (GP) --tasks--> coder (canonical expression) --> checks on the debug slice (worker processes)
      --> train-span screen --> SOTA factors + survivors through the pipeline on validation (a worker)
      --> decide (paired bootstrap + thresholdout) --> record (catalog, round file, state)

A model round evaluates each proposed model on the SOTA factors and decides on the best one.
The loop's data is sealed at the validation span's end (:class:`rdq.agent._evaluate.ResearchData`).

With an LLM (``--llm PROVIDER:MODEL``; :mod:`rdq.agent._loop_llm`) the LLM proposes, the Co-STEER coder
implements the tasks, the LLM explains the numeric decision (it never decides); the rest is the same. A spent
budget stops the run between steps (``state.json``: ``"stopped": "budget"``; resume with a larger budget).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from rdq.agent._config import ResearchConfig, split_dates
from rdq.agent._decide import SotaState, decide, objective_series
from rdq.agent._evaluate import EVAL_METRICS, LibraryEval, ResearchData
from rdq.agent._expr_tree import lookback_days
from rdq.agent._loop_llm import is_python_code, llm_state
from rdq.agent._loop_records import (
    RunResult,
    candidate_row,
    canonical_candidates,
    model_candidates,
    noop_task,
    save_python_factor,
    summary_from_record,
)
from rdq.agent._state import RunFolder, write_json
from rdq.agent._types import (
    Branch,
    Candidate,
    CandidateResult,
    CheckResult,
    Decision,
    Hypothesis,
    ModelTask,
    ProposalContext,
    RoundSummary,
)
from rdq.agent._workers import (
    check_worker,
)
from rdq.errors import ConfigError
from rdq.metrics import Metric

__all__ = ["ResearchLoop", "start_run", "resume_run", "replay_run", "RunResult", "load_panel_for"]

log = logging.getLogger(__name__)


def load_panel_for(cfg: ResearchConfig) -> pl.DataFrame:
    """The config's panel (the synthetic market or the user's file), validated as a backtest scenario's is."""
    from rdq.pipeline._adapters import load_data

    return load_data(cfg.data)


class ResearchLoop:
    """One run of the loop over a config, in ``folder`` (fresh or resumed)."""

    def __init__(
        self,
        cfg: ResearchConfig,
        folder: RunFolder,
        *,
        workspace: Path,
        panel: pl.DataFrame,
        replay_of: str | None = None,
        chat_model: Any = None,
        new_caps: bool = False,
    ) -> None:
        from rdq.agent._cache import EvalCache
        from rdq.agent._executor import make_executor
        from rdq.agent._stats import Thresholdout
        from rdq.store import Store

        objective_series(cfg.objective)  # fail early on an untestable objective
        self.cfg, self.folder, self.workspace = cfg, folder, workspace
        segments = cfg.segments
        if segments is None:
            warm = max((lookback_days(e) for e in cfg.base_factors.values()), default=0)
            segments = split_dates(panel["date"].unique().sort().to_list(), warmup=warm)
        self.segments = segments
        self.data = ResearchData.build(panel, segments=segments, label_expr=cfg.label, strategy=cfg.strategy)
        del panel
        self.store = Store(_store_path(workspace))
        self.cache = EvalCache(folder.cache_dir)
        self.executor = make_executor(cfg.executor, max_workers=cfg.workers, address=cfg.ray_address)
        threshold, sigma = cfg.thresholdout.resolved(cfg.objective)
        self.holdout = Thresholdout(
            threshold=threshold, sigma=sigma, budget=cfg.thresholdout.budget, seed=cfg.seed
        )
        self.history: list[RoundSummary] = []
        self.round_records: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.sota_model: ModelTask = cfg.model
        self.sota: SotaState | None = None
        self.n_trials = 0
        self.rounds_done = 0
        from rdq.agent._runner import CandidateRunner

        self.runner = CandidateRunner(cfg, self.data, segments, self.executor, self.cache)
        self._init_components()
        from rdq.agent._loop_llm import build_llm

        self.llm = build_llm(cfg, self.store, folder.run_id, replay_of=replay_of, chat_model=chat_model)
        self._new_caps = new_caps  # a resume gave --budget-usd / --max-tokens: they replace the saved caps
        #: round -> branch to take instead of the scheduler's choice (a replay repeats the original's)
        self.forced_branches: dict[int, Branch] = {}
        self.stopped: str | None = None
        self.stop_message = ""

    # ------------------------------------------------------------------ set-up
    def _init_components(self) -> None:
        from rdq.agent._gp import GPConfig, GPFactorProposer
        from rdq.agent._model_search import OptunaModelProposer
        from rdq.agent._scheduler import N_CONTEXT_FEATURES, make_scheduler

        fields = [
            c for c in ("open", "high", "low", "close", "volume", "vwap") if c in self.data.panel.columns
        ]
        gp_kw = {k: v for k, v in self.cfg.gp.items() if k in GPConfig.__dataclass_fields__}
        gp_kw.setdefault("max_corr", float(self.cfg.checks.get("dup_corr", 0.7)))
        self.gp = GPFactorProposer(
            GPConfig(seed=self.cfg.seed, fields=tuple(fields), **gp_kw),
            screen=self.runner.screen,
            novelty=self._novelty,
        )
        self.model_search = OptunaModelProposer(storage_path=self.folder.study_file, seed=self.cfg.seed)
        self.scheduler = make_scheduler(self.cfg.scheduler, n_features=N_CONTEXT_FEATURES, seed=self.cfg.seed)

    def _novelty(self, exprs: list[str]) -> list[float | None]:
        """Max |rank corr| of each expression with the SOTA factors and the last 30 proposals (the GP skips
        copies of what is already in the library or was already tried)."""
        tried = {f"__tried_{i}": e for i, e in enumerate(self.gp.proposed[-30:])}
        return self.runner.novelty(exprs, {**self.sota_factors, **tried})

    @property
    def sota_factors(self) -> dict[str, str]:
        """Base factors plus every accepted factor (name -> expression)."""
        out = dict(self.cfg.base_factors)
        out.update({a["name"]: a["expression"] for a in self.accepted})
        return out

    def scenario(self) -> dict[str, Any]:
        """What a proposer is told about the task (data, segments, objective, interfaces)."""
        p = self.data.panel
        return {
            "fields": [c for c in p.columns if c not in ("date", "asset")],
            "n_assets": p["asset"].n_unique(),
            "frequency": "daily",
            "segments": {k: [str(d) for d in v] for k, v in asdict(self.segments).items() if k != "test"},
            "objective": self.cfg.objective,
            "label": self.cfg.label or "Ref($close,-2)/Ref($close,-1)-1",
            "factor_interface": "an rdq (qlib syntax) expression over $fields",
            "model_interface": "a model class of rdq.models with its options",
        } | self._cutoff()

    def _cutoff(self) -> dict[str, str]:
        """The model's knowledge cutoff for the scenario (empty without an LLM or a cutoff)."""
        note = self.llm.llm_cfg.knowledge_note if self.llm is not None else ""
        return {"knowledge_cutoff": note} if note else {}

    def _series(self, ev: LibraryEval) -> np.ndarray:
        name, _ = objective_series(self.cfg.objective)
        arr: np.ndarray = getattr(ev, name)
        return arr

    def _baseline(self) -> None:
        """Round 0: the base factors with the configured model are the first SOTA."""
        ev, err = self.runner.evaluate(self.sota_factors, self.sota_model)
        if ev is None:
            raise ConfigError(
                f"the base factor set cannot be evaluated ({err}); check the config's base_factors"
            )
        self.sota = SotaState(
            ev.objective(self.cfg.objective), ev.train_objective, self._series(ev), ev.metrics
        )
        log.info("baseline: %s = %.4f", self.cfg.objective, self.sota.value)

    # ------------------------------------------------------------------ one round
    def round(self, n: int) -> RoundSummary:
        """Run round ``n`` (1-based) and return its summary (already recorded)."""
        from rdq.agent._scheduler import context_features

        assert self.sota is not None
        if self.llm is not None:
            self.llm.round = n
            if self.llm.budget is not None:
                self.llm.budget.check()  # a spent budget stops the run before the round starts
        t0 = time.perf_counter()
        ctx_vec = context_features(self.sota.metrics, round=n, n_rounds=max(self.cfg.rounds, n))
        branch = self.scheduler.choose(ctx_vec)
        branch = self.forced_branches.get(n, branch)
        ctx = ProposalContext(
            branch=branch, round=n, scenario=self.scenario(), history=tuple(self.history),
            base_factors=dict(self.cfg.base_factors), sota_factors={a["name"]: a["expression"] for a in self.accepted},
            sota_model=self.sota_model, sota_metrics=dict(self.sota.metrics),
        )  # fmt: skip
        from rdq.agent._loop_llm import explain_round, failed_hypothesis
        from rdq.llm import BudgetExhausted

        llm = self.llm if self.llm is not None and self.llm.uses_llm(branch) else None
        proposer: Any = (
            llm.proposer if llm is not None else (self.gp if branch is Branch.FACTOR else self.model_search)
        )
        failed = False
        try:
            hyp = proposer.propose(ctx)
        except BudgetExhausted:
            raise  # the run stops between steps (ResearchLoop.run)
        except Exception as exc:  # a proposer bug or a refusal: a failed round, the run goes on
            log.warning("round %d: the %s proposer failed: %s", n, branch.value, exc, exc_info=llm is None)
            hyp, failed = failed_hypothesis(branch, n, exc, noop_task(branch, n)), True
        if branch is Branch.FACTOR:
            results, decision, new_sota = self._factor_round(hyp, n, ctx, failed)
        else:
            results, decision, new_sota = self._model_round(hyp, n, ctx, failed)
        seconds = time.perf_counter() - t0
        gain = (decision.value or 0.0) - self.sota.value if decision.accepted else 0.0
        self.scheduler.update(branch, ctx_vec, max(gain, 0.0) / max(seconds / 60.0, 1e-3))
        summary = RoundSummary(n, branch, hyp, tuple(results), decision, seconds)
        if llm is not None and not failed:  # the LLM explains the decision already made (it never decides)
            text = explain_round(llm, summary)
            if text:
                summary = replace(
                    summary,
                    decision=replace(decision, explanation=f"{decision.explanation} LLM feedback: {text}"),
                )
        if new_sota is not None:
            self._accept(branch, results, new_sota, n)
        self._record(summary)
        return summary

    def _implement(
        self, hyp: Hypothesis, ctx: ProposalContext, proposer_failed: bool
    ) -> tuple[list[Candidate], list[CandidateResult]]:
        """The coder: Co-STEER when the factor proposer is the LLM, else each task's canonical expression."""
        if self.llm is not None and self.llm.uses_llm(hyp.branch) and not proposer_failed:
            from rdq.agent._loop_llm import implement_factors, implement_models, make_coder

            coder = make_coder(
                self.llm, self.runner.check_shared(self.sota_factors), self.cfg.coder,
                limits=self.runner.limits, folder=self.folder.path / "coder" / f"{ctx.round:04d}",
            )  # fmt: skip
            step = implement_factors if hyp.branch is Branch.FACTOR else implement_models
            return step(self.llm, hyp, ctx, coder)
        if hyp.branch is Branch.MODEL:
            return model_candidates(hyp.tasks), []
        return canonical_candidates(hyp.tasks)

    def _factor_round(
        self, hyp: Hypothesis, n: int, ctx: ProposalContext, proposer_failed: bool = False
    ) -> tuple[list[CandidateResult], Decision, Any]:
        cands, failed = self._implement(hyp, ctx, proposer_failed)
        self.n_trials += len(hyp.tasks)
        outs = self.executor.map(
            check_worker, self.runner.check_shared(self.sota_factors), cands,
            timeout_s=self.cfg.candidate.timeout_s, memory_mb=self.cfg.candidate.memory_mb,
        )  # fmt: skip
        checked: list[CandidateResult] = []
        for c, out in zip(cands, outs, strict=True):
            if out.status != "ok" or out.value is None:
                checked.append(
                    CandidateResult(
                        c, (CheckResult("runs", False, f"{out.status}: {out.error}"),), error=out.error
                    )
                )
                continue
            ic = self.runner.screen([c.code])[0]
            screen = CheckResult(
                "screen", ic is not None, f"train rank IC {ic:+.4f}" if ic is not None else "failed"
            )
            checked.append(CandidateResult(c, (*out.value, screen), {Metric.RANK_IC.value: ic or math.nan}))
        survivors = self.runner.drop_same_round_copies([r for r in checked if r.ok], self.sota_factors)
        results = failed + [r for r in checked if not r.ok]
        results += [r for r in survivors if not r.ok]
        survivors = [r for r in survivors if r.ok]
        assert self.sota is not None
        if not survivors:
            return results + survivors, self._rejected("no candidate passed the checks"), None
        factors = self.sota_factors | {r.candidate.name: r.candidate.code for r in survivors}
        ev, err = self.runner.evaluate(factors, self.sota_model)
        if ev is None:
            return results + survivors, self._rejected(f"evaluation failed ({err})"), None
        metrics = {**ev.metrics}
        survivors = [
            CandidateResult(r.candidate, r.checks, {**r.metrics, **metrics}, None, ev.seconds)
            for r in survivors
        ]
        d = decide(
            objective=self.cfg.objective, value=ev.objective(self.cfg.objective), train_value=ev.train_objective,
            series=self._series(ev), sota=self.sota, acceptance=self.cfg.acceptance, holdout=self.holdout,
            seed=self.cfg.seed + n, candidate=", ".join(r.candidate.name for r in survivors),
        )  # fmt: skip
        new = (
            SotaState(d.value or math.nan, ev.train_objective, self._series(ev), ev.metrics)
            if d.accepted
            else None
        )
        return results + survivors, d, new

    def _model_round(
        self, hyp: Hypothesis, n: int, ctx: ProposalContext, proposer_failed: bool = False
    ) -> tuple[list[CandidateResult], Decision, Any]:
        cands, results = self._implement(hyp, ctx, proposer_failed)
        self.n_trials += len(results)
        best: tuple[float, CandidateResult, LibraryEval] | None = None
        for c in cands:
            t = c.task
            assert isinstance(t, ModelTask)
            self.n_trials += 1
            ev, err = self.runner.evaluate(self.sota_factors, t)
            if ev is None:
                results.append(CandidateResult(c, (CheckResult("runs", False, err or ""),), error=err))
                continue
            r = CandidateResult(c, (CheckResult("runs", True),), dict(ev.metrics), None, ev.seconds)
            results.append(r)
            v = ev.objective(self.cfg.objective)
            if math.isfinite(v) and (best is None or v > best[0]):
                best = (v, r, ev)
        assert self.sota is not None
        if best is None:
            return results, self._rejected("no model could be evaluated"), None
        v, r, ev = best
        d = decide(
            objective=self.cfg.objective, value=v, train_value=ev.train_objective, series=self._series(ev),
            sota=self.sota, acceptance=self.cfg.acceptance, holdout=self.holdout, seed=self.cfg.seed + n,
            candidate=r.candidate.name,
        )  # fmt: skip
        return (
            results,
            d,
            (SotaState(v, ev.train_objective, self._series(ev), ev.metrics), r) if d.accepted else None,
        )

    def _rejected(self, why: str) -> Decision:
        """The decision of a round that had nothing to compare with SOTA."""
        assert self.sota is not None
        return Decision(False, self.cfg.objective, None, self.sota.value, None, f"rejected: {why}")

    def _accept(self, branch: Branch, results: list[CandidateResult], new: Any, n: int) -> None:
        if branch is Branch.FACTOR:
            self.sota = new
            for r in results:
                if r.ok:
                    valid = {k: r.metrics[k] for k in EVAL_METRICS if k in r.metrics}
                    entry = {"name": r.candidate.name, "expression": r.candidate.code, "round": n, "valid_metrics": valid}
                    if is_python_code(r.candidate.code):  # the JSON shows its file (public_factor)
                        entry["path"] = str(save_python_factor(self.folder.path, r.candidate.name, r.candidate.code))
                    self.accepted.append(entry)
        else:
            state, r = new
            self.sota = state
            assert isinstance(r.candidate.task, ModelTask)
            self.sota_model = r.candidate.task

    # ------------------------------------------------------------------ recording and state
    def _record(self, s: RoundSummary) -> None:
        from rdq.store._research import write_round

        cands = [candidate_row(r) for r in s.results]
        rec: dict[str, Any] = {
            "round": s.round, "branch": s.branch.value, "hypothesis": s.hypothesis.to_dict(),
            "decision": asdict(s.decision), "candidates": cands, "seconds": s.seconds,
        }  # fmt: skip
        write_round(
            self.store, self.folder.run_id, s.round, branch=s.branch.value, hypothesis=rec["hypothesis"],
            decision=rec["decision"], candidates=cands, seconds=s.seconds,
        )  # fmt: skip
        write_json(self.folder.round_file(s.round), rec)
        self.history.append(s)
        self.round_records.append(rec)
        self.rounds_done = s.round
        self._save_state()

    def _save_state(self) -> None:
        assert self.sota is not None
        write_json(
            self.folder.state_file,
            {
                "rounds_done": self.rounds_done, "sota": self.sota.to_dict(), "sota_model": asdict(self.sota_model),
                "accepted": self.accepted, "n_trials": self.n_trials, "n_screened": self.runner.n_screened,
                "scheduler": self.scheduler.state_dict(), "gp": self.gp.state_dict(),
                "holdout": self.holdout.state_dict(), "segments": asdict(self.segments),
                "screen_cache": self.runner.screen_cache, **self._llm_state(),
            },
        )  # fmt: skip

    def _llm_state(self) -> dict[str, Any]:
        return llm_state(self.llm)

    def _stop_for_budget(self, exc: BaseException) -> None:
        """The budget ran out: the state of the last finished round is kept, with the spending and the stop."""
        self.stopped, self.stop_message = "budget", str(exc)
        write_json(
            self.folder.state_file, {**(self.folder.state() or {}), **self._llm_state(), "stopped": "budget"}
        )
        log.warning("round %d: %s", self.rounds_done + 1, exc)

    def _load_state(self, st: dict[str, Any]) -> None:
        from rdq.agent._scheduler import load_scheduler
        from rdq.agent._stats import Thresholdout

        self.rounds_done = int(st["rounds_done"])
        self.sota = SotaState.from_dict(st["sota"])
        self.sota_model = ModelTask(**{k: v for k, v in st["sota_model"].items()})
        self.accepted = list(st["accepted"])
        self.n_trials, self.runner.n_screened = int(st["n_trials"]), int(st["n_screened"])
        self.scheduler = load_scheduler(st["scheduler"])
        self.gp.load_state(st["gp"])
        self.holdout = Thresholdout.from_state(st["holdout"])
        self.runner.screen_cache = dict(st.get("screen_cache", {}))
        self.round_records = self.folder.rounds()
        self.history = [summary_from_record(r) for r in self.round_records]
        if self.llm is not None:
            from rdq.agent._loop_llm import restore_budget

            restore_budget(self.llm, st, new_caps=self._new_caps)

    # ------------------------------------------------------------------ the run
    def run(self, *, rounds: int | None = None) -> RunResult:
        """Run until ``rounds`` rounds are done in total (default: the config's), saving after each."""
        from rdq.llm import BudgetExhausted
        from rdq.progress import progress
        from rdq.store._research import set_research_status, upsert_research_run

        total = self.cfg.rounds if rounds is None else rounds
        st = self.folder.state()
        if st is not None:
            self._load_state(st)
        upsert_research_run(
            self.store, self.folder.run_id, name=self.cfg.name, config=self.cfg.to_dict(),
            dataset=self.data.fingerprint, status="running",
        )  # fmt: skip
        try:
            if self.sota is None:
                self._baseline()
                self._save_state()
            with progress(
                "research", total=max(0, total - self.rounds_done), logger=log, thread=False
            ) as bar:
                for n in range(self.rounds_done + 1, total + 1):
                    try:
                        s = self.round(n)
                    except BudgetExhausted as exc:
                        self._stop_for_budget(exc)
                        break
                    log.info(
                        "round %d/%d %s: %s -> %s", n, total, s.branch.value, s.hypothesis.statement[:80],
                        s.decision.explanation[:160],
                    )  # fmt: skip
                    bar.advance()
        except BaseException:
            set_research_status(self.store, self.folder.run_id, "interrupted")
            raise
        finally:
            self.executor.close()
        set_research_status(self.store, self.folder.run_id, "stopped_budget" if self.stopped else "finished")
        return self.result()

    def result(self) -> RunResult:
        assert self.sota is not None
        return RunResult(
            self.folder.run_id, self.rounds_done, dict(self.sota.metrics), list(self.accepted), self.stopped,
            self.stop_message,
        )  # fmt: skip


def _store_path(workspace: Path) -> Path:
    from rdq.pipeline._adapters import store_path

    return store_path(workspace)


# the entry points (start_run, resume_run, replay_run) build a ResearchLoop: imported last
from rdq.agent._loop_entry import replay_run, resume_run, start_run  # noqa: E402 - they build a ResearchLoop
