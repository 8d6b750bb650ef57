"""The LLM path with langchain_core's fake chat models: prompts, extraction, caching, resume, scoring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from rdq.errors import ConfigError
from rdq.qlang.bench._generate import CompletionCache, generate, load_completions, make_chat_model
from rdq.qlang.bench._problem import load_sample
from rdq.qlang.bench._prompts import Task, build_messages, prompt_hash
from rdq.qlang.bench._score import score


class Counting:
    """Wraps a fake chat model, counting prompts and optionally failing after some batches."""

    def __init__(self, model: Any, *, fail_after_batches: int | None = None) -> None:
        self.model = model
        self.prompts: list[Any] = []
        self.batches = 0
        self.fail_after = fail_after_batches

    def batch(self, inputs: list[Any], config: Any = None) -> list[Any]:
        if self.fail_after is not None and self.batches >= self.fail_after:
            raise RuntimeError("connection reset (simulated kill)")
        self.batches += 1
        self.prompts.extend(inputs)
        return self.model.batch(inputs, config={"max_concurrency": 1})


GOOD = "Sum the evens:\n```q\nsolve:{sum x where 0=x mod 2}\n```\n"
BAD = "```q\nsolve:{sum x}\n```"
RAMBLE = "I think this works:\n```\nsolve:{sum x where not x mod 2}\n```"


@pytest.fixture()
def problems():
    return load_sample()[:3]


def test_prompts_follow_the_report(problems) -> None:
    p = problems[0]
    msgs = build_messages(p, Task.DESCRIPTION_TO_Q)
    assert msgs[0][0] == "system" and "expert q" in msgs[0][1]
    assert p.problem_description in msgs[1][1] and "solve" in msgs[1][1] and "```q" in msgs[1][1]
    py = build_messages(p, Task.PYTHON_TO_Q)[1][1]
    assert p.python_solution.strip() in py
    back = build_messages(p, Task.Q_TO_PYTHON)
    assert p.q_solution.strip() in back[1][1] and "```python" in back[1][1]
    assert prompt_hash(msgs) != prompt_hash(back)


def test_generate_caches_and_resumes(tmp_path: Path, problems) -> None:
    cache = tmp_path / "completions.jsonl"
    killed = Counting(FakeListChatModel(responses=[GOOD, BAD, RAMBLE]), fail_after_batches=2)
    with pytest.raises(ConfigError, match="rerun to resume"):
        generate(problems, killed, model_name="fake:m", n=3, cache=cache, progress=False, max_concurrency=1)
    assert len(cache.read_text().splitlines()) == 6  # two problems done before the "kill"

    resumed = Counting(FakeListChatModel(responses=[GOOD, BAD, RAMBLE]))
    out = generate(problems, resumed, model_name="fake:m", n=3, cache=cache, progress=False, max_concurrency=1)
    assert len(resumed.prompts) == 3  # only the third problem was asked for
    assert [c.sample for c in out] == [0, 1, 2] * 3
    assert [c.code for c in out[:3]] == [
        "solve:{sum x where 0=x mod 2}", "solve:{sum x}", "solve:{sum x where not x mod 2}",
    ]

    again = Counting(FakeListChatModel(responses=[BAD]))
    same = generate(problems, again, model_name="fake:m", n=3, cache=cache, progress=False)
    assert again.prompts == [] and same == out

    # more samples: only the new indices are generated
    more = Counting(FakeListChatModel(responses=[GOOD]))
    out5 = generate(problems, more, model_name="fake:m", n=5, cache=cache, progress=False)
    assert len(more.prompts) == 6 and len(out5) == 15

    # another task has another prompt and another key
    other = Counting(FakeListChatModel(responses=[GOOD]))
    generate(problems[:1], other, model_name="fake:m", task=Task.PYTHON_TO_Q, n=2, cache=cache, progress=False)
    assert len(other.prompts) == 2


def test_cache_tolerates_a_torn_last_line(tmp_path: Path, problems) -> None:
    cache = tmp_path / "c.jsonl"
    generate(problems[:1], FakeListChatModel(responses=[GOOD]), model_name="fake:m", n=2, cache=cache,
             progress=False)
    with open(cache, "a") as fh:
        fh.write('{"model": "fake:m", "task": "descr')  # a kill mid-write
    c = CompletionCache(cache)
    assert len(c) == 2
    generate(problems[:2], FakeListChatModel(responses=[GOOD]), model_name="fake:m", n=2, cache=cache,
             progress=False)
    rows = [json.loads(line) for line in cache.read_text().splitlines() if line.endswith("}")]
    assert len([r for r in rows if r["problem_id"] == problems[1].problem_id]) == 2


def test_fake_model_completions_are_scored(tmp_path: Path, problems, embedded) -> None:
    cache = tmp_path / "c.jsonl"
    # problem 0 (even total): GOOD and RAMBLE pass, BAD fails -> c = 2 of 3
    comps = generate(problems[:1], FakeListChatModel(responses=[GOOD, BAD, RAMBLE]), model_name="fake:m", n=3,
                     cache=cache, progress=False, max_concurrency=1)
    samples = {problems[0].problem_id: [(c.sample, c.code) for c in comps]}
    result = score(problems[:1], samples, executor=embedded, ks=(1, 2, 3), workers=1, progress=False)
    assert result.problems[0].c == 2
    assert result.pass_at(1) == pytest.approx(2 / 3)
    assert result.pass_at(2) == 1.0 and result.pass_at(3) == 1.0
    # the cache file is also a completions file for `rdq qbench run --completions`
    loaded = load_completions(cache)
    assert [(c.problem_id, c.sample, c.code) for c in loaded] == [(c.problem_id, c.sample, c.code) for c in comps]


def test_load_completions_plain_rows(tmp_path: Path) -> None:
    f = tmp_path / "plain.jsonl"
    f.write_text('{"problem_id": "p1", "completion": "```q\\nsolve:{x}\\n```"}\n'
                 '{"problem_id": "p1", "completion": "solve:{y}"}\n')
    got = load_completions(f)
    assert [(c.sample, c.code) for c in got] == [(0, "solve:{x}"), (1, "solve:{y}")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"completion": "x"}\n')
    with pytest.raises(Exception, match="problem_id"):
        load_completions(bad)


def test_missing_provider_package_says_what_to_install() -> None:
    pytest.importorskip("langchain_core")
    try:
        import langchain  # noqa: F401
        pytest.skip("langchain is installed: init_chat_model handles providers")
    except ImportError:
        pass
    try:
        import langchain_openai  # noqa: F401
        pytest.skip("langchain-openai is installed")
    except ImportError:
        pass
    with pytest.raises(ConfigError, match="pip install langchain-openai"):
        make_chat_model("openai:gpt-4.1")
    with pytest.raises(ConfigError, match="provider prefix"):
        make_chat_model("gpt-4.1")
    with pytest.raises(ConfigError, match="unknown model provider"):
        make_chat_model("nosuch:model")


def test_translation_tasks_need_their_source(tmp_path: Path, problems) -> None:
    from dataclasses import replace

    bare = [replace(p, q_solution="") for p in problems]
    with pytest.raises(ConfigError, match="q_solution"):
        generate(bare, FakeListChatModel(responses=[GOOD]), model_name="fake:m", task=Task.Q_TO_PYTHON, n=1,
                 cache=tmp_path / "c.jsonl", progress=False)
