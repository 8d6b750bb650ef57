"""``rdq qbench``: the offline quick start, scoring a completions file, translation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared_data import shared_path
from typer.testing import CliRunner

from rdq.cli import app
from rdq.qlang.bench._problem import load_problems, load_sample

runner = CliRunner()


@pytest.mark.slow
def test_run_with_no_arguments_scores_the_references(embedded, tmp_path: Path) -> None:
    out = tmp_path / "res.json"
    res = runner.invoke(app, ["qbench", "run", "--timeout", "60", "--out", str(out), "--workers", "2"])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["overall"]["pass@1"]["value"] == 1.0
    assert data["n_problems"] == len(load_sample())
    assert "pass@1" in res.output


def test_run_scores_a_completions_file_as_json(embedded, tmp_path: Path) -> None:
    problems = load_sample()[:2]
    comp = tmp_path / "c.jsonl"
    rows = []
    for p in problems:
        for i in range(3):
            code = p.q_solution if i != 1 else "solve:{[x] 0N}"
            rows.append({"problem_id": p.problem_id, "sample": i, "completion": f"```q\n{code}\n```"})
    comp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "store.duckdb"
    res = runner.invoke(app, ["qbench", "run", "--completions", str(comp), "--k", "1,2,5", "--json",
                              "--timeout", "60", "--workers", "1", "--store", str(db)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output[res.output.index("{"):])
    try:
        from rdq.store import Store
    except ImportError:
        Store = None
    if Store is not None:  # the run is recorded when rdq.store exists
        runs = Store(db).runs(kind="qbench")
        assert runs.height == 1 and json.loads(runs["metrics"][0])["pass@2"] == 1.0
    assert data["ks"] == [1, 2]  # k=5 dropped: 3 samples per problem
    assert abs(data["overall"]["pass@1"]["value"] - 2 / 3) < 1e-12
    assert data["overall"]["pass@2"]["value"] == 1.0


def test_bad_k_is_a_clean_error() -> None:
    res = runner.invoke(app, ["qbench", "run", "--k", "one"])
    assert res.exit_code != 0
    assert "comma-separated" in str(res.exception) or "comma-separated" in res.output


def test_translate_command(tmp_path: Path) -> None:
    src = shared_path("leetcode", "LeetCodeDataset-v0.2.0-test.jsonl.gz")
    out, skipped = tmp_path / "lc.jsonl", tmp_path / "skipped.jsonl"
    res = runner.invoke(app, ["qbench", "translate", "--leetcode", str(src), "--out", str(out),
                              "--skipped", str(skipped)])
    assert res.exit_code == 0, res.output
    n = len(load_problems(out))
    assert f"translated {n} of 200" in res.output
    assert n + len(skipped.read_text().splitlines()) == 200


def test_completions_of_several_models_need_a_choice(embedded, tmp_path: Path) -> None:
    p = load_sample()[0]
    comp = tmp_path / "c.jsonl"
    comp.write_text(json.dumps({"problem_id": p.problem_id, "model": "a", "completion": p.q_solution}) + "\n"
                    + json.dumps({"problem_id": p.problem_id, "model": "b", "completion": "solve:{0}"}) + "\n")
    res = runner.invoke(app, ["qbench", "run", "--completions", str(comp)])
    assert res.exit_code != 0 and "--model" in str(res.exception)
    for model, expected in (("a", 1.0), ("b", 0.0)):
        res = runner.invoke(app, ["qbench", "run", "--completions", str(comp), "--model", model, "--json",
                                  "--workers", "1", "--timeout", "60"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.output)["overall"]["pass@1"]["value"] == expected


def test_generate_command_with_a_fake_model(embedded, tmp_path: Path, monkeypatch) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    import rdq.qlang.bench._generate as gen

    p = load_sample()[0]
    answers = [f"```q\n{p.q_solution}```", "```q\nsolve:{0}\n```"]
    seen: dict = {}

    def fake_make(spec: str, **kwargs):
        seen.update(kwargs, spec=spec)
        return FakeListChatModel(responses=answers)

    monkeypatch.setattr(gen, "make_chat_model", fake_make)
    cache = tmp_path / "cache.jsonl"
    args = ["qbench", "generate", "--model", "fake:list", "--n", "2", "--temperature", "0.3", "--limit", "1",
            "--cache", str(cache), "--k", "1,2", "--json", "--workers", "1", "--timeout", "60", "--concurrency", "1"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert seen["spec"] == "fake:list" and seen["temperature"] == 0.3
    data = json.loads(res.output[res.output.index("{"):])
    assert data["overall"]["pass@1"]["value"] == 0.5 and data["overall"]["pass@2"]["value"] == 1.0
    assert len(cache.read_text().splitlines()) == 2
    # a rerun is served from the cache
    monkeypatch.setattr(gen, "make_chat_model", lambda spec, **kw: FakeListChatModel(responses=["```q\nsolve:{1}\n```"]))
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and json.loads(res.output[res.output.index("{"):])["overall"]["pass@1"]["value"] == 0.5
