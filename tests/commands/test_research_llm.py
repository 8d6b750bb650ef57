"""``rdq research run --llm openai:NAME --llm-base-url URL``: the real langchain-openai client in a real CLI
process against the scripted OpenAI-compatible server on 127.0.0.1 (no network, no paid API)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_openai")

from agent.test_llm_loop import CODE, Scenario, llm_config  # noqa: E402
from llm._server import Reply, ScriptedServer  # noqa: E402

from rdq.agent._expr_tree import canonical  # noqa: E402

ENTRY = "from rdq.cli import main; main()"
OFFLINE_KEYS = {"run_id", "rounds", "sota", "accepted_factors"}


def rdq(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``rdq ARGS`` in a fresh process without any API key in its environment."""
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *map(str, args)],
        capture_output=True, text=True, check=False, env={**base, **(env or {})},
    )  # fmt: skip


def responder(scn: Scenario) -> Any:
    """The server's answer to a request: a tool call for a structured request that offers tools."""

    def answer(body: dict[str, Any]) -> Reply:
        users = [str(m["content"]) for m in body["messages"] if m["role"] == "user"]
        kind, value = scn.answer(users[0], users[-1])
        if kind == "json" and body.get("tools"):
            return Reply(tool_args=value, usage=(900, 100))
        return Reply(content=json.dumps(value) if kind == "json" else value, usage=(900, 100))

    return answer


@pytest.fixture(scope="module")
def cli_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, Any], ScriptedServer, Scenario]:
    """One 4-round CLI run on a panel file: factor (repair, bug fixed), model, factor (refused), model."""
    from rdq.data import synth_market

    tmp = tmp_path_factory.mktemp("llm-cli")
    panel = tmp / "panel.parquet"
    synth_market(n_assets=60, n_days=400, seed=0).panel.write_parquet(panel)
    llm_file = tmp / "scripted.yaml"
    llm_file.write_text(
        "provider: openai\nfree: true\ndefaults: {max_retries: 2, backoff_s: 0.0}\n"
        'models:\n  scripted: {knowledge_cutoff: "2030-01"}\n'
    )
    scn = Scenario(refuse=(1,))
    ws = tmp / "ws"
    # the first request meets a rate limit (Retry-After: 0): the client retries it
    with ScriptedServer([Reply(status=429, headers={"Retry-After": "0"})], default=responder(scn)) as server:
        p = rdq(
            "research", "run", "--config", llm_config(tmp), "--data", panel, "--llm", "openai:scripted",
            "--llm-base-url", server.base_url, "--llm-config", llm_file, "--budget-usd", "1", "--workers", "1",
            "--workspace", ws, "--json",
        )  # fmt: skip
    assert p.returncode == 0, p.stderr[-4000:]
    assert "2030-01" in p.stderr  # the knowledge cutoff is told at the start
    return ws, json.loads(p.stdout), server, scn


def test_cli_llm_run_has_the_offline_json_shape_and_the_catalog_has_every_exchange(
    cli_run: tuple[Path, dict[str, Any], ScriptedServer, Scenario],
) -> None:
    from rdq.agent._loop import _store_path
    from rdq.store import Store, exchange_rows
    from rdq.store._research import research_runs

    ws, res, server, scn = cli_run
    assert set(res) == OFFLINE_KEYS and res["rounds"] == 4
    for a in res["accepted_factors"]:
        assert set(a) == {"name", "expression", "round", "valid_metrics"}
    store = Store(_store_path(ws))
    rows = exchange_rows(store, res["run_id"])
    assert rows["purpose"].to_list() == [
        "propose.factor", "repair", "code.factor", "code.factor", "code.factor", "explain",
        "propose.model", "explain",
        "propose.factor",
        "propose.model", "explain",
    ]  # fmt: skip
    assert rows["round"].to_list() == [1] * 6 + [2] * 2 + [3] + [4] * 2
    assert rows["refusal"].to_list() == [False] * 8 + [True] + [False] * 2
    assert len(server.requests) == rows.height + 1  # + the rate-limited first attempt
    assert server.requests[0]["json"].get("tools")  # proposals go as tool calls to a server that has them
    assert server.requests[0]["headers"]["authorization"] == "Bearer not-needed"
    assert set(rows["input_tokens"].to_list()) == {900} and rows["usd"].sum() == 0.0  # a free server
    assert scn.kinds == rows["purpose"].to_list()
    runs = research_runs(store)
    assert runs.filter(runs["run_id"] == res["run_id"])["status"][0] == "finished"


def test_cli_llm_run_records_the_refusal_and_goes_on(
    cli_run: tuple[Path, dict[str, Any], ScriptedServer, Scenario],
) -> None:
    from rdq.agent._state import find_run

    ws, res, _, _ = cli_run
    recs = find_run(ws, res["run_id"]).rounds()
    assert [r["branch"] for r in recs] == ["factor", "model", "factor", "model"]
    assert recs[2]["hypothesis"]["statement"] == "proposer refused"
    assert "refused" in recs[2]["hypothesis"]["rationale"]
    assert recs[2]["decision"]["accepted"] is False
    assert [c["status"] for c in recs[2]["candidates"]] == ["error"]
    vol = next(c for c in recs[0]["candidates"] if c["name"] == "vol_ratio")
    assert vol["code"] == canonical(CODE["vol_ratio"][1])


def test_cli_report_warns_when_the_test_span_precedes_the_knowledge_cutoff(
    cli_run: tuple[Path, dict[str, Any], ScriptedServer, Scenario],
) -> None:
    ws, res, _, _ = cli_run
    p = rdq("research", "report", res["run_id"], "--workspace", ws, "--json")
    assert p.returncode == 0, p.stderr[-3000:]
    rep = json.loads(p.stdout)
    assert {"test", "base_test", "deflated_sharpe", "significant", "n_trials"} <= set(rep)
    assert rep["knowledge_cutoff"] == "2030-01"
    assert (
        rep["test_span"][0] in rep["memorisation_warning"]
        and "synthetic market" in rep["memorisation_warning"]
    )
    text = rdq("research", "report", res["run_id"], "--workspace", ws)
    assert text.returncode == 0 and "warning:" in text.stdout and "2030-01" in text.stdout


def test_missing_provider_package_or_key_exits_2_naming_the_fix(tmp_path: Path) -> None:
    try:
        import langchain_anthropic  # noqa: F401
    except ImportError:
        p = rdq("research", "run", "--llm", "anthropic:claude-haiku-4-5", "--workspace", tmp_path)
        assert p.returncode == 2 and "pip install 'rdq[anthropic]'" in p.stderr, p.stderr[-2000:]
    p = rdq("research", "run", "--llm", "openai:gpt-4o-mini", "--workspace", tmp_path)
    assert p.returncode == 2 and "OPENAI_API_KEY" in p.stderr, p.stderr[-2000:]
    p = rdq("research", "run", "--budget-usd", "1", "--workspace", tmp_path)
    assert p.returncode == 2 and "--llm PROVIDER:MODEL" in p.stderr, p.stderr[-2000:]
    assert not (tmp_path / ".rdq" / "research").exists() or not any(
        (tmp_path / ".rdq" / "research").iterdir()
    )


def test_cli_replay_gives_the_same_json_without_a_server(
    cli_run: tuple[Path, dict[str, Any], ScriptedServer, Scenario],
) -> None:
    ws, res, _, _ = cli_run  # the server is stopped: a replay calls no model
    p = rdq("research", "run", "--replay", res["run_id"], "--workspace", ws, "--json")
    assert p.returncode == 0, p.stderr[-3000:]
    again = json.loads(p.stdout)
    assert again["run_id"] != res["run_id"]
    assert {k: v for k, v in again.items() if k != "run_id"} == {
        k: v for k, v in res.items() if k != "run_id"
    }
    bad = rdq("research", "run", "--replay", res["run_id"], "--llm", "openai:x", "--workspace", ws)
    assert bad.returncode == 2 and "--replay RUN repeats" in bad.stderr


def test_cli_budget_stop_exits_0_with_stopped_and_resume_finishes(tmp_path: Path) -> None:
    from rdq.data import synth_market

    panel = tmp_path / "panel.parquet"
    synth_market(n_assets=60, n_days=400, seed=0).panel.write_parquet(panel)
    ws = tmp_path / "ws"
    common = ("--llm", "openai:scripted", "--rounds", "1", "--workspace", ws, "--json")
    with ScriptedServer([], default=responder(Scenario())) as server:
        # each reply reports 1000 tokens: the cap is reached after the proposal and its repair
        p = rdq(
            "research", "run", "--config", llm_config(tmp_path), "--data", panel, "--llm-base-url", server.base_url,
            "--max-tokens", "2000", *common,
        )  # fmt: skip
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(p.stdout)
    assert res["stopped"] == "budget" and res["rounds"] == 0
    assert set(res) == {*OFFLINE_KEYS, "stopped"}
    assert f"rdq research resume {res['run_id']} --budget-usd" in " ".join(p.stderr.split())
    scn = Scenario()
    with ScriptedServer([], default=responder(scn)) as moved:  # the server came back on another port
        r = rdq(
            "research", "resume", res["run_id"], "--max-tokens", "100000", "--llm-base-url", moved.base_url,
            "--workspace", ws, "--json",
        )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    done = json.loads(r.stdout)
    assert set(done) == OFFLINE_KEYS and done["rounds"] == 1
    assert scn.kinds == ["propose.factor", "repair", "code.factor", "code.factor", "code.factor", "explain"]
