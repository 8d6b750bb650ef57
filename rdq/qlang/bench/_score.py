"""Scoring: run every sample of every problem against its tests, then pass@k with bootstrap CIs.

Problems run in parallel in a process pool (fork start, so the embedded interpreter is imported once);
inside a worker each test run gets its own killed-on-timeout child (see ``_sandbox``).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rdq.qlang.bench._executor import (
    EmbeddedExecutor,
    PythonExecutor,
    QBinaryExecutor,
    Verdict,
    judge,
    python_script,
    q_script,
)
from rdq.qlang.bench._io import atomic_write_json
from rdq.qlang.bench._passk import Estimate, estimate
from rdq.qlang.bench._problem import Problem
from rdq.qlang.bench._prompts import Task, reference_solution, target_language, test_of

__all__ = ["SampleResult", "ProblemResult", "BenchResult", "score", "score_references", "record_in_store"]

log = logging.getLogger(__name__)

AnyExecutor = EmbeddedExecutor | QBinaryExecutor | PythonExecutor


@dataclass(frozen=True)
class SampleResult:
    """One sample's outcome: passed all tests, or the first failing test and why."""

    sample: int
    passed: bool
    failed_test: int | None = None
    reason: str = ""
    test_durations_s: tuple[float, ...] = ()


@dataclass(frozen=True)
class ProblemResult:
    """All samples of one problem."""

    problem_id: str
    difficulty: str
    tags: tuple[str, ...]
    samples: tuple[SampleResult, ...]

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def c(self) -> int:
        return sum(s.passed for s in self.samples)


@dataclass(frozen=True)
class BenchResult:
    """pass@k overall, per difficulty and per tag, with the per-problem details."""

    task: str
    executor: str
    model: str
    ks: tuple[int, ...]
    overall: dict[int, Estimate]
    by_difficulty: dict[str, dict[int, Estimate]]
    by_tag: dict[str, dict[int, Estimate]]
    problems: tuple[ProblemResult, ...]
    config: dict[str, Any] = field(default_factory=dict)

    def pass_at(self, k: int) -> float:
        return self.overall[k].value

    def to_dict(self) -> dict[str, Any]:
        def est(d: Mapping[int, Estimate]) -> dict[str, Any]:
            return {f"pass@{k}": asdict(e) for k, e in d.items()}

        return {
            "task": self.task,
            "executor": self.executor,
            "model": self.model,
            "ks": list(self.ks),
            "n_problems": len(self.problems),
            "overall": est(self.overall),
            "by_difficulty": {g: est(d) for g, d in self.by_difficulty.items()},
            "by_tag": {g: est(d) for g, d in self.by_tag.items()},
            "config": self.config,
            "problems": [
                {"problem_id": p.problem_id, "difficulty": p.difficulty, "tags": list(p.tags), "n": p.n,
                 "c": p.c, "samples": [asdict(s) for s in p.samples]}
                for p in self.problems
            ],
        }

    def _repr_html_(self) -> str:
        """Notebook display: pass@k with its bootstrap CI overall, per difficulty and per tag."""
        from rdq._html import html_table

        rows: list[list[Any]] = []
        groups = [("overall", self.overall), *self.by_difficulty.items(), *(
            (f"tag: {t}", d) for t, d in self.by_tag.items())]
        for name, ests in groups:
            rows += [[name, f"pass@{k}", e.value, e.ci_low, e.ci_high, e.n_problems] for k, e in ests.items()]
        caption = f"q bench: {self.task} on {self.executor}" + (f", model {self.model}" if self.model else "")
        return html_table(["group", "k", "value", "ci_low", "ci_high", "problems"], rows, caption=caption,
                          note=f"{len(self.problems)} problems; 95% percentile-bootstrap CI over problems")

    def write_json(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` atomically."""
        return atomic_write_json(path, self.to_dict())


def _run_sample(executor: AnyExecutor, code: str, tests: Sequence[tuple[int, str, str]], sample: int,
                language: str) -> SampleResult:
    build = python_script if language == "python" else q_script
    durations = []
    for number, test_code, expected in tests:
        result = executor.run(build(code, test_code))
        verdict: Verdict = judge(result, expected)
        durations.append(verdict.duration_s)
        if not verdict.passed:
            return SampleResult(sample, False, number, verdict.reason, tuple(durations))
    return SampleResult(sample, True, None, "", tuple(durations))


def _run_problem(problem: Problem, codes: Sequence[tuple[int, str]], task: Task,
                 executor: AnyExecutor) -> ProblemResult:
    tests = test_of(problem, task)
    lang = target_language(task)
    samples = []
    for sample, code in codes:
        if not tests:
            samples.append(SampleResult(sample, False, None, "problem has no tests"))
            continue
        samples.append(_run_sample(executor, code, tests, sample, lang))
    return ProblemResult(problem.problem_id, problem.difficulty, problem.tags, tuple(samples))


def _group(results: Sequence[ProblemResult], ks: Sequence[int], *, n_boot: int, seed: int,
           key: str) -> dict[str, dict[int, Estimate]]:
    groups: dict[str, list[ProblemResult]] = defaultdict(list)
    for r in results:
        names = [r.difficulty] if key == "difficulty" else list(r.tags)
        for name in names:
            groups[name].append(r)
    return {
        name: {k: estimate([r.n for r in rs], [r.c for r in rs], k, n_boot=n_boot, seed=seed) for k in ks}
        for name, rs in sorted(groups.items())
    }


def score(
    problems: Sequence[Problem],
    samples: Mapping[str, Sequence[tuple[int, str]]],
    *,
    executor: AnyExecutor,
    task: Task = Task.DESCRIPTION_TO_Q,
    ks: Sequence[int] = (1,),
    workers: int | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    model: str = "",
    progress: bool = True,
) -> BenchResult:
    """Run the samples and compute pass@k.

    Parameters
    ----------
    problems:
        The benchmark problems.
    samples:
        ``problem_id -> [(sample_index, code), ...]``; a problem absent here counts as failed with zero
        samples is an error, so give every problem at least one sample (an empty string fails).
    executor:
        Where the code runs (``EmbeddedExecutor``, ``QBinaryExecutor`` or ``PythonExecutor``).
    task:
        The task type; picks the tests' language.
    ks:
        The k of pass@k; ks above the smallest per-problem sample count are dropped with a warning.
    workers:
        Processes in the pool (default: the CPU count; 1 runs in this process).
    n_boot, seed:
        Bootstrap resamples and seed of the CIs.
    """
    from rdq.errors import ConfigError
    from rdq.progress import progress as report

    task = Task(task)
    missing = [p.problem_id for p in problems if not samples.get(p.problem_id)]
    if missing:
        raise ConfigError(
            f"{len(missing)} problem(s) have no completions (e.g. {missing[:3]}); "
            "give each problem at least one sample, or pass --problems restricted to the completed ones"
        )
    executor.prepare()
    n_min = min((len(samples[p.problem_id]) for p in problems), default=0)
    usable = tuple(sorted({k for k in ks if 1 <= k <= n_min}))
    dropped = sorted(set(ks) - set(usable))
    if dropped:
        log.warning("dropping k=%s: some problems have only %d sample(s)", dropped, n_min)
    workers = workers or os.cpu_count() or 1
    results: dict[str, ProblemResult] = {}
    # no auto-refresh thread: runs fork (the embedded executor, the pool), and forking beside a thread is unsafe
    with report(f"scoring {task.value} on {executor.name}", len(problems), enabled=progress, logger=log,
                thread=False) as bar:
        if workers <= 1 or len(problems) <= 1:
            for p in problems:
                results[p.problem_id] = _run_problem(p, samples[p.problem_id], task, executor)
                bar.advance()
        else:
            ctx = mp.get_context("fork")
            with ProcessPoolExecutor(max_workers=min(workers, len(problems)), mp_context=ctx) as pool:
                futs = {pool.submit(_run_problem, p, list(samples[p.problem_id]), task, executor): p.problem_id
                        for p in problems}
                for fut in as_completed(futs):
                    results[futs[fut]] = fut.result()
                    bar.advance()
    ordered = tuple(results[p.problem_id] for p in problems)
    ns, cs = [r.n for r in ordered], [r.c for r in ordered]
    overall = {k: estimate(ns, cs, k, n_boot=n_boot, seed=seed) for k in usable}
    return BenchResult(
        task=task.value,
        executor=executor.name,
        model=model,
        ks=usable,
        overall=overall,
        by_difficulty=_group(ordered, usable, n_boot=n_boot, seed=seed, key="difficulty"),
        by_tag=_group(ordered, usable, n_boot=n_boot, seed=seed, key="tag"),
        problems=ordered,
        config={"timeout_s": executor.timeout_s, "memory_mb": executor.memory_mb, "workers": workers,
                "n_boot": n_boot, "seed": seed},
    )


def score_references(problems: Sequence[Problem], *, executor: AnyExecutor, task: Task = Task.DESCRIPTION_TO_Q,
                     workers: int | None = None, progress: bool = True) -> BenchResult:
    """Score the problems' own reference solutions (the sanity run: pass@1 must be 1.0)."""
    from rdq.errors import ConfigError

    lacking = [p.problem_id for p in problems if not reference_solution(p, task).strip()]
    if lacking:
        raise ConfigError(
            f"{len(lacking)} of {len(problems)} problems have no {target_language(task)} reference solution "
            f"(e.g. {lacking[:3]}); score model output with --completions instead"
        )
    samples = {p.problem_id: [(0, reference_solution(p, task))] for p in problems}
    return score(problems, samples, executor=executor, task=task, ks=(1,), workers=workers,
                 model="reference", progress=progress)


def record_in_store(
    result: BenchResult,
    *,
    store_path: str | Path | None = None,
    results_json: str | Path | None = None,
) -> str | None:
    """Record the run in ``rdq.store.Store`` (kind ``"qbench"``) when that module exists.

    Metrics are ``pass@k`` plus their CI bounds overall and per difficulty; ``results_json`` (the
    file written by :meth:`BenchResult.write_json`) is stored as an artifact. Returns the run id, or
    None when ``rdq.store`` is not available.
    """
    try:
        from rdq.store import Store  # type: ignore[attr-defined]
    except ImportError:
        log.info("rdq.store is not available; results kept as JSON only")
        return None
    metrics: dict[str, float] = {}
    for k, e in result.overall.items():
        metrics[f"pass@{k}"] = e.value
        metrics[f"pass@{k}_ci_low"] = e.ci_low
        metrics[f"pass@{k}_ci_high"] = e.ci_high
    for diff, ests in result.by_difficulty.items():
        for k, e in ests.items():
            metrics[f"pass@{k}/{diff}"] = e.value
    config = {"task": result.task, "executor": result.executor, "model": result.model,
              "n_problems": len(result.problems), "ks": list(result.ks), **result.config}
    artifacts = {"results_json": str(results_json)} if results_json is not None else None
    store = Store(store_path) if store_path is not None else Store()
    return str(store.add_run("qbench", config, metrics, artifacts))
