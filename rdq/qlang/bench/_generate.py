"""Sampling completions from any langchain chat model, with a resumable JSONL cache.

Each cached line is one completion::

    {"model", "task", "problem_id", "sample", "prompt_hash", "temperature", "response", "code"}

keyed by ``(model, task, problem_id, sample, prompt_hash)``.  Lines are appended and flushed as soon
as a problem's samples arrive, so a killed run loses at most the problem in flight and a rerun
generates only what is missing.  The same file is what ``rdq qbench run --completions`` scores.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rdq.errors import ConfigError, DataError
from rdq.qlang.bench._extract import extract_code
from rdq.qlang.bench._problem import Problem
from rdq.qlang.bench._prompts import Task, build_messages, prompt_hash, target_language

__all__ = ["Completion", "CompletionCache", "make_chat_model", "generate", "load_completions"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Completion:
    """One sampled answer and the code extracted from it."""

    model: str
    task: str
    problem_id: str
    sample: int
    prompt_hash: str
    response: str
    code: str
    temperature: float | None = None

    @property
    def key(self) -> tuple[str, str, str, int, str]:
        return (self.model, self.task, self.problem_id, self.sample, self.prompt_hash)


def load_completions(path: str | Path, *, task: Task | None = None) -> list[Completion]:
    """Read a completions JSONL file (the cache format, or rows with ``problem_id`` + ``completion``).

    Rows need ``problem_id`` and one of ``code`` / ``response`` / ``completion``; ``sample`` defaults
    to the row's order within its problem.  Code is extracted from the answer when ``code`` is absent.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("completions file not found", file=str(path), fix="check the path")
    out: list[Completion] = []
    counts: dict[str, int] = {}
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"not valid JSON ({exc.msg})", file=str(path), row=i,
                                fix="one JSON object per line") from None
            if "problem_id" not in row:
                raise DataError("missing field 'problem_id'", file=str(path), row=i, column="problem_id",
                                fix="each completion names the problem it answers")
            row_task = str(row.get("task") or (task.value if task else Task.DESCRIPTION_TO_Q.value))
            if task is not None and row_task != Task(task).value:
                continue
            response = row.get("response", row.get("completion"))
            code = row.get("code")
            if code is None and response is None:
                raise DataError("row has no 'code', 'response' or 'completion'", file=str(path), row=i,
                                fix="add the model's answer as 'completion'")
            pid = str(row["problem_id"])
            sample = int(row["sample"]) if "sample" in row else counts.get(pid, 0)
            counts[pid] = max(counts.get(pid, 0), sample + 1)
            if code is None:
                code = extract_code(str(response), language=target_language(Task(row_task)))
            out.append(Completion(
                model=str(row.get("model", "")), task=row_task, problem_id=pid, sample=sample,
                prompt_hash=str(row.get("prompt_hash", "")), response=str(response or ""), code=str(code),
                temperature=row.get("temperature"),
            ))
    return out


class CompletionCache:
    """An append-only JSONL cache of completions (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._rows: dict[tuple[str, str, str, int, str], Completion] = {}
        if self.path.exists():
            for c in self._read_tolerant():
                self._rows[c.key] = c

    def _read_tolerant(self) -> Iterable[Completion]:
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                    yield Completion(**{k: row.get(k) for k in Completion.__dataclass_fields__})
                except (json.JSONDecodeError, TypeError):
                    # a line cut short by a kill: ignore it, it will be regenerated
                    continue

    def get(self, key: tuple[str, str, str, int, str]) -> Completion | None:
        return self._rows.get(key)

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, completions: Sequence[Completion]) -> None:
        """Append completions and flush them to disk."""
        if not completions:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        needs_newline = self.path.exists() and self.path.stat().st_size > 0 and not self._ends_with_newline()
        with open(self.path, "a", encoding="utf-8") as fh:
            if needs_newline:
                fh.write("\n")
            for c in completions:
                fh.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
                self._rows[c.key] = c
            fh.flush()
            os.fsync(fh.fileno())

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"


_PROVIDERS: dict[str, tuple[str, str, str]] = {
    # provider -> (module, class, pip package)
    "openai": ("langchain_openai", "ChatOpenAI", "langchain-openai"),
    "anthropic": ("langchain_anthropic", "ChatAnthropic", "langchain-anthropic"),
    "ollama": ("langchain_ollama", "ChatOllama", "langchain-ollama"),
    "google_genai": ("langchain_google_genai", "ChatGoogleGenerativeAI", "langchain-google-genai"),
    "mistralai": ("langchain_mistralai", "ChatMistralAI", "langchain-mistralai"),
    "groq": ("langchain_groq", "ChatGroq", "langchain-groq"),
    "deepseek": ("langchain_deepseek", "ChatDeepSeek", "langchain-deepseek"),
}


def make_chat_model(spec: str, *, temperature: float = 0.8, base_url: str | None = None,
                    max_tokens: int | None = None) -> Any:
    """A langchain chat model from ``provider:model`` (e.g. ``openai:gpt-4.1``, ``ollama:qwen2.5-coder``).

    With ``base_url`` and no provider the model is reached through an OpenAI-compatible server.
    Uses ``langchain.chat_models.init_chat_model`` when ``langchain`` is installed, else imports the
    provider package directly; a missing package is a :class:`ConfigError` naming what to pip install.
    """
    provider, sep, model = spec.partition(":")
    if not sep:
        provider, model = ("openai" if base_url else ""), spec
    if not provider:
        raise ConfigError(f"model '{spec}' needs a provider prefix, e.g. openai:{spec} or ollama:{spec}")
    kwargs: dict[str, Any] = {"temperature": temperature}
    if base_url:
        kwargs["base_url"] = base_url
    if max_tokens:
        kwargs["max_tokens"] = max_tokens
    try:
        init_chat_model = importlib.import_module("langchain.chat_models").init_chat_model
    except ImportError:
        init_chat_model = None
    if init_chat_model is not None:  # pragma: no cover - langchain is optional
        return init_chat_model(model, model_provider=provider, **kwargs)
    if provider not in _PROVIDERS:
        from rdq.errors import did_you_mean

        raise ConfigError(
            f"unknown model provider '{provider}'{did_you_mean(provider, _PROVIDERS)}; "
            "pip install langchain to use any provider init_chat_model knows"
        )
    module_name, cls_name, package = _PROVIDERS[provider]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ConfigError(
            f"model provider '{provider}' needs its langchain package: pip install {package} "
            "(or pip install langchain)"
        ) from None
    return getattr(module, cls_name)(model=model, **kwargs)


def _text_of(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


def generate(
    problems: Sequence[Problem],
    model: Any,
    *,
    model_name: str,
    task: Task = Task.DESCRIPTION_TO_Q,
    n: int = 1,
    temperature: float | None = None,
    cache: CompletionCache | str | Path,
    max_concurrency: int = 4,
    progress: bool = True,
) -> list[Completion]:
    """Sample ``n`` answers per problem from a langchain chat model, reusing cached ones.

    Parameters
    ----------
    problems:
        The problems to prompt for.
    model:
        A langchain ``BaseChatModel`` (anything with ``.batch(list_of_messages)``).
    model_name:
        The name recorded in the cache key (e.g. ``openai:gpt-4.1``).
    task, n, temperature:
        Task type, samples per problem, and the temperature recorded with each completion.
    cache:
        The JSONL cache (path or :class:`CompletionCache`).
    max_concurrency:
        Parallel requests within one problem's batch.

    Returns
    -------
    list[Completion]
        ``len(problems) * n`` completions in problem order, sample order.
    """
    task = Task(task)
    source = {Task.PYTHON_TO_Q: "python_solution", Task.Q_TO_PYTHON: "q_solution"}.get(task)
    if source is not None:
        lacking = [p.problem_id for p in problems if not getattr(p, source).strip()]
        if lacking:
            raise ConfigError(
                f"task {task.value} translates each problem's {source}, but {len(lacking)} problems have none "
                f"(e.g. {lacking[:3]}); use --task description_to_q or other problems"
            )
    if not isinstance(cache, CompletionCache):
        cache = CompletionCache(cache)
    lang = target_language(task)
    out: list[Completion] = []
    from rdq.progress import progress as report

    with report(f"generating ({model_name})", len(problems), enabled=progress, logger=log) as bar:
        for problem in problems:
            messages = build_messages(problem, task)
            ph = prompt_hash(messages)
            missing = [i for i in range(n) if cache.get((model_name, task.value, problem.problem_id, i, ph)) is None]
            if missing:
                try:
                    answers = model.batch([messages] * len(missing), config={"max_concurrency": max_concurrency})
                except Exception as exc:  # noqa: BLE001 - a provider failure: keep what is cached
                    raise ConfigError(
                        f"model '{model_name}' failed on problem {problem.problem_id}: {exc}; "
                        "completions so far are cached, rerun to resume"
                    ) from exc
                new = []
                for i, ans in zip(missing, answers, strict=True):
                    text = _text_of(ans)
                    new.append(Completion(model_name, task.value, problem.problem_id, i, ph, text,
                                          extract_code(text, language=lang), temperature))
                cache.add(new)
            for i in range(n):
                c = cache.get((model_name, task.value, problem.problem_id, i, ph))
                assert c is not None
                out.append(c)
            bar.advance()
    log.info("%d completions (%d cached in %s)", len(out), len(cache), cache.path)
    return out
