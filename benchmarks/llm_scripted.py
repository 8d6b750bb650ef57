"""The LLM path's figures (issue 11): rounds, LLM calls and tokens per round of the scripted scenario, first
run vs second run in the same workspace (Co-STEER knowledge reuse), and a cost estimate per round.

    .venv/bin/python benchmarks/llm_scripted.py                 # both configurations, ~2-3 min on 2 cores
    .venv/bin/python benchmarks/llm_scripted.py --json          # one JSON object

The scenario is the tests' (``tests/agent/test_llm_loop.py``: :class:`Scenario`): a factor proposal sent as cut
JSON and repaired, coder requests (one with a syntax error fixed from the feedback), model proposals and the
explanations, served by the scripted OpenAI-compatible server (``tests/llm/_server.py``) on 127.0.0.1 to the
real ``langchain-openai`` client inside ``rdq research run --llm openai:scripted --llm-base-url URL``.

Token counts: the scripted server has no tokenizer, so it reports ``ceil(characters / 4)`` of the request's
messages (tool schema included) and of its reply as usage, the common rule of thumb for English text with
OpenAI/Anthropic tokenizers (real counts differ by roughly +-25%). The dollar figures multiply those counts by
the price tables of ``configs/llm/`` (gpt-4o-mini, claude-haiku-4-5; Ollama and a local server cost 0).

Two configurations, 4 rounds (factor, model, factor, model), 60 assets x 400 days:

- ``llm``: LLM factors and LLM models (both branches ask the model);
- ``mixed``: LLM factors, optuna models (the model rounds call no LLM).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from agent.test_llm_loop import Scenario, llm_config  # noqa: E402
from llm._server import Reply, ScriptedServer  # noqa: E402

PRICES = {  # USD per million tokens (input, output), as configs/llm/ gives them
    "openai:gpt-4o-mini": (0.15, 0.60),
    "anthropic:claude-haiku-4-5": (1.00, 5.00),
    "ollama:llama3.1": (0.0, 0.0),
    "local (OpenAI-compatible)": (0.0, 0.0),
}


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def responder(scn: Scenario) -> Any:
    def answer(body: dict[str, Any]) -> Reply:
        users = [str(m["content"]) for m in body["messages"] if m["role"] == "user"]
        kind, value = scn.answer(users[0], users[-1])
        sent = json.dumps(body.get("messages", [])) + json.dumps(body.get("tools") or [])
        reply = json.dumps(value) if kind == "json" else str(value)
        usage = (_tokens(sent), _tokens(reply))
        if kind == "json" and body.get("tools"):
            return Reply(tool_args=value, usage=usage)
        return Reply(content=reply, usage=usage)

    return answer


def one_run(config: Path, ws: Path, panel: Path, scn: Scenario) -> tuple[str, list[dict[str, Any]]]:
    """``rdq research run`` against a fresh scripted server: (run id, per-round figures)."""
    from rdq.agent._loop import _store_path
    from rdq.agent._state import find_run
    from rdq.store import Store, exchange_rows

    with ScriptedServer([], default=responder(scn)) as server:
        p = subprocess.run(
            [sys.executable, "-c", "from rdq.cli import main; main()", "research", "run", "--config", str(config),
             "--data", str(panel), "--llm", "openai:scripted", "--llm-base-url", server.base_url,
             "--workspace", str(ws), "--json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    if p.returncode != 0:
        raise SystemExit(p.stderr[-3000:])
    run_id = json.loads(p.stdout)["run_id"]
    rows = exchange_rows(Store(_store_path(ws)), run_id)
    out = []
    for rec in find_run(ws, run_id).rounds():
        r = rows.filter(rows["round"] == rec["round"])
        out.append(
            {
                "round": rec["round"],
                "branch": rec["branch"],
                "calls": r.height,
                "input_tokens": int(r["input_tokens"].sum()) if r.height else 0,
                "output_tokens": int(r["output_tokens"].sum()) if r.height else 0,
            }
        )
    return run_id, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    from rdq.data import synth_market

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        panel = tmp / "panel.parquet"
        synth_market(n_assets=60, n_days=400, seed=0).panel.write_parquet(panel)
        for name, proposer in (("llm", None), ("mixed", {"factor": "llm", "model": "optuna"})):
            folder = tmp / name
            folder.mkdir()
            extra = {"proposer": proposer} if proposer else {}
            config = llm_config(folder, **extra)
            ws = folder / "ws"
            runs = [one_run(config, ws, panel, Scenario())[1] for _ in range(2)]
            results[name] = runs
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for name, (first, second) in results.items():
        print(f"\n## {name}: round, branch, calls / input tokens / output tokens, first run | second run")
        for a, b in zip(first, second, strict=True):
            print(
                f"{a['round']:>2} {a['branch']:<6} {a['calls']:>2} / {a['input_tokens']:>6} / {a['output_tokens']:>5}"
                f"   | {b['calls']:>2} / {b['input_tokens']:>6} / {b['output_tokens']:>5}"
            )
        ca, cb = sum(r["calls"] for r in first), sum(r["calls"] for r in second)
        ia, ib = sum(r["input_tokens"] for r in first), sum(r["input_tokens"] for r in second)
        oa, ob = sum(r["output_tokens"] for r in first), sum(r["output_tokens"] for r in second)
        print(
            f"total: {ca} calls, {ia} in, {oa} out | {cb} calls, {ib} in, {ob} out: {1 - cb / ca:.0%} fewer calls"
        )
        n = len(first)
        for spec, (pi, po) in PRICES.items():
            usd1 = (ia * pi + oa * po) / 1e6 / n
            usd2 = (ib * pi + ob * po) / 1e6 / n
            print(f"  {spec}: ${usd1:.5f} per round (first run), ${usd2:.5f} (second)")


if __name__ == "__main__":
    main()
