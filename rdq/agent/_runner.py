"""What the research loop runs in its workers: screening, the checks' shared slice, novelty and same-round copy
checks, and the cached pipeline evaluation on the validation span (:class:`CandidateRunner`).

Wherever a factor expression goes, a Python factor's source (``def factor(panel)``, see
:mod:`rdq.agent._pyfactor`) may go too: it runs in :mod:`rdq.sandbox` under the runner's ``limits``, on the
same sealed panel; expressions keep their in-process path unchanged."""

from __future__ import annotations

import logging
import math
from dataclasses import asdict
from typing import Any

import numpy as np
import polars as pl

from rdq.agent._config import ResearchConfig
from rdq.agent._evaluate import LibraryEval, ResearchData
from rdq.agent._executor import Executor
from rdq.agent._types import CandidateResult, CheckResult, ModelTask
from rdq.agent._workers import (
    CheckShared,
    LibraryJob,
    ScreenShared,
    chunks,
    library_worker,
    novelty_worker,
    same_round_worker,
    screen_worker,
)
from rdq.metrics import Metric
from rdq.pipeline._config import SegmentSection
from rdq.sandbox import Limits

__all__ = ["CandidateRunner", "eval_to_dict", "eval_from_dict"]

log = logging.getLogger(__name__)


class CandidateRunner:
    """Runs candidates through ``executor`` with the config's limits; caches evaluations in ``cache``.

    ``screen_cache`` (code -> train Rank IC or ``None``) and ``n_screened`` are part of the run's state;
    ``limits`` are the sandbox's for Python factors and generated model modules (default :class:`Limits`).
    """

    def __init__(
        self,
        cfg: ResearchConfig,
        data: ResearchData,
        segments: SegmentSection,
        executor: Executor,
        cache: Any,
        *,
        limits: Limits | None = None,
    ) -> None:
        self.cfg, self.data, self.segments, self.executor, self.cache = cfg, data, segments, executor, cache
        self.limits = limits
        self.screen_cache: dict[str, float | None] = {}
        self.n_screened = 0
        self._check_cache: dict[tuple[tuple[str, str], ...], CheckShared] = {}
        self._screen_data: ScreenShared | None = None

    def _screen_shared(self) -> ScreenShared:
        lo, hi = self.data.span("train")
        days = int(self.cfg.gp.get("screen_days", 750))
        dates = self.data.panel.filter(pl.col("date") <= hi)["date"].unique().sort()
        lo = max(lo, dates[max(0, len(dates) - days)])
        panel = self.data.panel.filter(pl.col("date") <= hi)
        return ScreenShared(
            panel=panel, label=self.data.label.filter(pl.col("date") <= hi), span=(lo, hi), limits=self.limits
        )

    def screen(self, exprs: list[str] | tuple[str, ...]) -> list[float | None]:
        """Mean daily Rank IC on the train span of each code (``None``: rejected), cached by text."""
        todo = sorted({e for e in exprs if e not in self.screen_cache})
        if todo:
            if self._screen_data is None:
                self._screen_data = self._screen_shared()
            parts = chunks(todo, max(1, self.cfg.workers) * 2)
            outs = self.executor.map(
                screen_worker,
                self._screen_data,
                [{f"e{i}": e for i, e in enumerate(part)} for part in parts],
                timeout_s=self.cfg.candidate.timeout_s,
                memory_mb=self.cfg.candidate.memory_mb,
            )
            for part, out in zip(parts, outs, strict=True):
                for i, e in enumerate(part):
                    got = (out.value or {}).get(f"e{i}") if out.status == "ok" else None
                    v = None if got is None else got.get(Metric.RANK_IC)
                    self.screen_cache[e] = None if v is None or not math.isfinite(v) else float(v)
            self.n_screened += len(todo)
        return [self.screen_cache[e] for e in exprs]

    def check_shared(self, sota_factors: dict[str, str]) -> CheckShared:
        """The debug slice of the train span and the SOTA factors' values on it (kept until SOTA changes)."""
        from rdq.agent._checks import CheckConfig, debug_slice

        key = tuple(sota_factors.items())
        if key in self._check_cache:
            return self._check_cache[key]
        cc = CheckConfig(
            **{k: v for k, v in self.cfg.checks.items() if k in CheckConfig.__dataclass_fields__}
        )
        sl = debug_slice(self.data.panel.filter(pl.col("date") <= self.segments.train[1]), config=cc)
        shared = CheckShared(
            sl, _reference_values(sl, sota_factors, self.limits), cc, dict(sota_factors), self.limits
        )
        if len(self._check_cache) >= 2:  # the checks' references and the GP's (SOTA + recent proposals)
            self._check_cache.pop(next(iter(self._check_cache)))
        self._check_cache[key] = shared
        return shared

    def drop_same_round_copies(
        self, survivors: list[CandidateResult], sota_factors: dict[str, str]
    ) -> list[CandidateResult]:
        """Fail the ``duplicate`` check of a survivor that copies an earlier survivor of the same round."""
        if len(survivors) < 2:
            return survivors
        (out,) = self.executor.map(
            same_round_worker, self.check_shared(sota_factors), [[r.candidate.code for r in survivors]],
            timeout_s=self.cfg.candidate.timeout_s, memory_mb=self.cfg.candidate.memory_mb,
        )  # fmt: skip
        if out.status != "ok" or out.value is None:
            return survivors
        kept = []
        for r, hit in zip(survivors, out.value, strict=True):
            if hit is not None:
                k, corr = hit
                why = f"duplicate of {survivors[k].candidate.name} (same round): |rank corr| {corr:.2f}"
                r = CandidateResult(r.candidate, (*r.checks, CheckResult("duplicate", False, why)), r.metrics)
            kept.append(r)
        return kept

    def novelty(self, exprs: list[str], sota_factors: dict[str, str]) -> list[float | None]:
        """Max |rank corr| of each expression with the base and accepted factors (GP proposals skip copies)."""
        (out,) = self.executor.map(
            novelty_worker, self.check_shared(sota_factors), [list(exprs)],
            timeout_s=self.cfg.candidate.timeout_s, memory_mb=self.cfg.candidate.memory_mb,
        )  # fmt: skip
        return list(out.value) if out.status == "ok" and out.value is not None else [None] * len(exprs)

    def evaluate(self, factors: dict[str, str], model: ModelTask) -> tuple[LibraryEval | None, str | None]:
        """One pipeline evaluation on validation, in a worker, cached by (panel, factors, model, config)."""
        from rdq.agent._cache import evaluation_key

        job = LibraryJob(
            factors,
            model,
            self.cfg.strategy,
            self.cfg.metrics,
            self.cfg.objective,
            self.cfg.seed,
            self.limits,
        )
        key = evaluation_key(
            self.data.fingerprint,
            repr(list(factors.items())) + repr(sorted(model.hyperparameters.items())) + model.template,
            {
                "strategy": asdict(self.cfg.strategy),
                "metrics": asdict(self.cfg.metrics),
                "seed": self.cfg.seed,
            },
        )
        hit = self.cache.get(key)
        if hit is not None:
            log.info("evaluation %s found in the run's cache (not recomputed)", key[:12])
            return eval_from_dict(hit), None
        (out,) = self.executor.map(
            library_worker, self.data, [job],
            timeout_s=self.cfg.candidate.timeout_s, memory_mb=self.cfg.candidate.memory_mb,
        )  # fmt: skip
        if out.status != "ok" or out.value is None:
            return None, f"{out.status}: {out.error}"
        self.cache.put(key, eval_to_dict(out.value))
        return out.value, None


def _reference_values(
    sl: pl.DataFrame, factors: dict[str, str], limits: Limits | None = None
) -> pl.DataFrame | None:
    """``date, asset, <factors>`` on the slice; a factor that does not compute is left out (one by one then).

    Python factors (sandboxed) are computed with :func:`rdq.agent._pyfactor.compute_codes`, which leaves out
    one that fails."""
    from rdq.agent._pyfactor import compute_codes, is_python
    from rdq.factors import compute

    if not factors:
        return None
    if any(is_python(c) for c in factors.values()):
        exprs = {k: c for k, c in factors.items() if not is_python(c)}
        pys = {k: c for k, c in factors.items() if k not in exprs}
        base = _reference_values(sl, exprs) if exprs else None
        values = compute_codes(sl, pys, missing="skip", limits=limits)
        if base is not None:
            values = base.join(values, on=["date", "asset"], how="left", maintain_order="left")
        return values.select("date", "asset", *(k for k in factors if k in values.columns))
    try:
        return compute(sl, factors, missing="skip")
    except Exception:  # noqa: BLE001 - an earlier proposal that failed: skip it, keep the others
        out = sl.select("date", "asset")
        for name, expr in factors.items():
            try:
                out = out.join(compute(sl, {name: expr}, missing="skip"), on=["date", "asset"], how="left")
            except Exception:  # noqa: BLE001
                log.debug("reference factor %s does not compute on the debug slice: skipped", name)
        return out


def eval_to_dict(ev: LibraryEval) -> dict[str, Any]:
    return {
        "span": ev.span, "metrics": ev.metrics, "dates": [str(d) for d in ev.dates],
        "daily": ev.daily.tolist(), "daily_ic": ev.daily_ic.tolist(), "daily_rank_ic": ev.daily_rank_ic.tolist(),
        "train_objective": ev.train_objective, "seconds": ev.seconds,
    }  # fmt: skip


def eval_from_dict(d: dict[str, Any]) -> LibraryEval:
    import datetime as dt

    def arr(x: list[Any]) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in x], dtype=np.float64)

    return LibraryEval(
        span=d["span"], metrics={k: (math.nan if v is None else float(v)) for k, v in d["metrics"].items()},
        dates=tuple(dt.date.fromisoformat(s) for s in d["dates"]), daily=arr(d["daily"]), daily_ic=arr(d["daily_ic"]),
        daily_rank_ic=arr(d["daily_rank_ic"]), train_objective=float(d["train_objective"] if d["train_objective"] is not None else math.nan),
        seconds=float(d["seconds"]),
    )  # fmt: skip
