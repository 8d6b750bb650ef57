"""``rdq qbench``: score code models on q (run, generate, translate)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from rdq.errors import ConfigError

if TYPE_CHECKING:
    from rdq.qlang.bench._generate import Completion
    from rdq.qlang.bench._problem import Problem

__all__ = ["register_bench", "bench_app"]

log = logging.getLogger(__name__)

bench_app = typer.Typer(
    name="qbench",
    help="Score code models on the q language (LeetCode-style problems, pass@k with bootstrap CIs).",
    no_args_is_help=True,
    add_completion=False,
)


class ExecutorChoice(StrEnum):
    embedded = "embedded"
    q = "q"


class TaskChoice(StrEnum):
    description_to_q = "description_to_q"
    python_to_q = "python_to_q"
    q_to_python = "q_to_python"


def _parse_ks(text: str) -> list[int]:
    try:
        ks = sorted({int(t) for t in text.split(",") if t.strip()})
    except ValueError:
        raise ConfigError(f"--k '{text}' must be a comma-separated list of integers like 1,5,10") from None
    if not ks or ks[0] < 1:
        raise ConfigError(f"--k '{text}' needs positive integers")
    return ks


def _executor(task: TaskChoice, executor: ExecutorChoice, *, timeout: float, memory_mb: int, q_path: str | None):
    from rdq.qlang.bench._executor import make_executor

    if task is TaskChoice.q_to_python:
        return make_executor("python", timeout_s=timeout, memory_mb=memory_mb)
    return make_executor(executor.value, timeout_s=timeout, memory_mb=memory_mb, q_path=q_path)


def _problems(path: Path | None, limit: int | None) -> list[Problem]:
    """The problem set (``None``: the embedded sample), its first ``limit`` problems when given."""
    from rdq.qlang.bench._problem import load_problems

    probs = load_problems(path)
    return probs[:limit] if limit else probs


def _samples(comps: Iterable[Completion]) -> dict[str, list[tuple[int, str]]]:
    """Completions grouped by problem id: ``[(sample, code), ...]`` in file order."""
    samples: dict[str, list[tuple[int, str]]] = {}
    for c in comps:
        samples.setdefault(c.problem_id, []).append((c.sample, c.code))
    return samples


def _show(result, console: Console) -> None:
    table = Table(title=f"qbench {result.task} on {result.executor} ({len(result.problems)} problems)")
    table.add_column("group")
    table.add_column("problems", justify="right")
    for k in result.ks:
        table.add_column(f"pass@{k} [95% CI]", justify="right")

    def row(name: str, ests) -> None:
        first = next(iter(ests.values()), None)
        table.add_row(name, str(first.n_problems if first else 0),
                      *[f"{e.value:.3f} [{e.ci_low:.3f}, {e.ci_high:.3f}]" for e in ests.values()])

    row("all", result.overall)
    for name, ests in result.by_difficulty.items():
        row(f"difficulty={name}", ests)
    for name, ests in result.by_tag.items():
        row(f"tag={name}", ests)
    console.print(table)
    failed = [(p.problem_id, s) for p in result.problems for s in p.samples if not s.passed]
    if failed and result.model == "reference":
        for pid, s in failed[:20]:
            console.print(f"[red]FAIL[/] {pid} sample {s.sample} test {s.failed_test}: {s.reason}")


def _finish(result, *, as_json: bool, out: Path | None, store: Path | None) -> None:
    from rdq.qlang.bench._score import record_in_store

    console = Console()
    if out is not None:
        result.write_json(out)
        log.info("wrote %s", out)
    if store is not None:
        recorded = record_in_store(result, store_path=store, results_json=out)
        if recorded is None:
            Console(stderr=True).print("[yellow]rdq.store is not available: run not recorded[/]")
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _show(result, console)
        if out is not None:
            console.print(f"results: {out}")


ProblemsOpt = Annotated[Path | None, typer.Option("--problems", help="Problems (.jsonl/.parquet, report format); default: the embedded sample.")]
TaskOpt = Annotated[TaskChoice, typer.Option("--task", help="What the model writes.")]
ExecOpt = Annotated[ExecutorChoice, typer.Option("--executor", help="embedded interpreter or a real q binary.")]
KOpt = Annotated[str, typer.Option("--k", help="Comma-separated k of pass@k.")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", help="Processes (default: CPU count).")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds per test run.")]
MemOpt = Annotated[int, typer.Option("--memory-mb", help="Address-space cap per run, MiB.")]
QPathOpt = Annotated[str | None, typer.Option("--q-path", help="q binary (default: $QHOME/l64/q or q on PATH).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the full results as JSON.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the results JSON here (atomic).")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="Also record the run in this rdq.store DuckDB file.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="Only the first N problems.")]


@bench_app.command("run")
def run_cmd(
    problems: ProblemsOpt = None,
    completions: Annotated[Path | None, typer.Option("--completions", help="JSONL of completions to score; default: the problems' reference solutions.")] = None,
    task: TaskOpt = TaskChoice.description_to_q,
    executor: ExecOpt = ExecutorChoice.embedded,
    k: KOpt = "1",
    workers: WorkersOpt = None,
    timeout: TimeoutOpt = 2.0,
    memory_mb: MemOpt = 2048,
    q_path: QPathOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    store: StoreOpt = None,
    limit: LimitOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    model: Annotated[str | None, typer.Option("--model", help="Only completions of this model (needed when the file holds several).")] = None,
) -> None:
    """Score completions (or, with no --completions, the reference solutions: a sanity run, pass@1 = 1)."""
    from rdq.qlang.bench._generate import load_completions
    from rdq.qlang.bench._prompts import Task
    from rdq.qlang.bench._score import score, score_references

    ks = _parse_ks(k)
    probs = _problems(problems, limit)
    ex = _executor(task, executor, timeout=timeout, memory_mb=memory_mb, q_path=q_path)
    t = Task(task.value)
    if completions is None:
        result = score_references(probs, executor=ex, task=t, workers=workers)
    else:
        comps = load_completions(completions, task=t)
        models = sorted({c.model for c in comps})
        if model is not None:
            comps = [c for c in comps if c.model == model]
            if not comps:
                from rdq.errors import did_you_mean

                raise ConfigError(f"no completions of model '{model}' in {completions}{did_you_mean(model, models)}")
        elif len(models) > 1:
            raise ConfigError(f"{completions} holds completions of several models {models}; pick one with --model")
        samples = _samples(comps)
        known = {p.problem_id for p in probs}
        unknown = sorted(set(samples) - known)
        if unknown:
            log.warning("%d completion problem ids are not in the problem set (e.g. %s)", len(unknown), unknown[:3])
        probs = [p for p in probs if p.problem_id in samples]
        if not probs:
            raise ConfigError(f"no completion in {completions} matches a problem of the set (task {t.value})")
        result = score(probs, samples, executor=ex, task=t, ks=ks, workers=workers, seed=seed,
                       model=model or ",".join(m for m in models if m))
    _finish(result, as_json=as_json, out=out, store=store)


@bench_app.command("generate")
def generate_cmd(
    model: Annotated[str, typer.Option("--model", help="provider:model, e.g. openai:gpt-4.1, ollama:qwen2.5-coder.")],
    base_url: Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL.")] = None,
    n: Annotated[int, typer.Option("--n", help="Samples per problem.")] = 10,
    temperature: Annotated[float, typer.Option("--temperature")] = 0.8,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens")] = None,
    problems: ProblemsOpt = None,
    task: TaskOpt = TaskChoice.description_to_q,
    cache: Annotated[Path, typer.Option("--cache", help="Completion cache / output JSONL (resumable).")] = Path("qbench_completions.jsonl"),
    do_score: Annotated[bool, typer.Option("--score/--no-score", help="Score the completions afterwards.")] = True,
    executor: ExecOpt = ExecutorChoice.embedded,
    k: KOpt = "1,5,10",
    workers: WorkersOpt = None,
    timeout: TimeoutOpt = 2.0,
    memory_mb: MemOpt = 2048,
    q_path: QPathOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    store: StoreOpt = None,
    limit: LimitOpt = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Parallel requests per problem.")] = 4,
) -> None:
    """Sample n completions per problem from a chat model (cached, resumable), then score them."""
    from rdq.qlang.bench._generate import generate, make_chat_model
    from rdq.qlang.bench._prompts import Task
    from rdq.qlang.bench._score import score

    if n < 1:
        raise ConfigError(f"--n {n}: need at least one sample per problem")
    ks = _parse_ks(k)
    probs = _problems(problems, limit)
    chat = make_chat_model(model, temperature=temperature, base_url=base_url, max_tokens=max_tokens)
    t = Task(task.value)
    comps = generate(probs, chat, model_name=model, task=t, n=n, temperature=temperature, cache=cache,
                     max_concurrency=concurrency)
    Console(stderr=True).print(f"{len(comps)} completions in {cache}")
    if not do_score:
        return
    samples = _samples(comps)
    ex = _executor(task, executor, timeout=timeout, memory_mb=memory_mb, q_path=q_path)
    result = score(probs, samples, executor=ex, task=t, ks=ks, workers=workers, model=model)
    _finish(result, as_json=as_json, out=out, store=store)


@bench_app.command("translate")
def translate_cmd(
    leetcode: Annotated[Path, typer.Option("--leetcode", help="LeetCodeDataset .jsonl.gz file.")],
    out: Annotated[Path, typer.Option("--out", help="Translated problems (report-format JSONL).")],
    skipped: Annotated[Path | None, typer.Option("--skipped", help="Write skipped task ids and reasons (JSONL).")] = None,
) -> None:
    """Translate LeetCodeDataset problems and tests into the q benchmark format."""
    from rdq.qlang.bench._io import atomic_write_text
    from rdq.qlang.bench._leetcode import translate_leetcode
    from rdq.qlang.bench._problem import save_problems

    tr = translate_leetcode(leetcode)
    save_problems(out, tr.problems)
    if skipped is not None:
        atomic_write_text(skipped, "".join(json.dumps({"task_id": t, "reason": r}) + "\n" for t, r in tr.skipped))
    console = Console()
    console.print(f"translated {len(tr.problems)} of {tr.n_total} problems -> {out}")
    if tr.skipped:
        table = Table(title=f"{len(tr.skipped)} skipped")
        table.add_column("reason")
        table.add_column("problems", justify="right")
        for reason, count in tr.reason_counts().most_common():
            table.add_row(reason, str(count))
        console.print(table)


def register_bench(app: typer.Typer) -> None:
    """Add the ``qbench`` command group to the ``rdq`` app."""
    app.add_typer(bench_app, name="qbench")
