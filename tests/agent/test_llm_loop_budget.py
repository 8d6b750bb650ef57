"""A spent LLM budget stops the run cleanly between steps; a resume with a larger budget finishes it."""

from __future__ import annotations

import json
from pathlib import Path

from agent.test_llm_loop import Responder, Scenario, exchanges, rounds_of, small_cfg
from rdq.agent._llm_section import LLMSection


def _status(ws: Path, run_id: str) -> str:
    from rdq.agent._loop import _store_path
    from rdq.store import Store
    from rdq.store._research import research_runs

    rows = research_runs(Store(_store_path(ws)))
    return str(rows.filter(rows["run_id"] == run_id)["status"][0])


def test_budget_stops_mid_round_and_resume_continues(tmp_path: Path) -> None:
    from rdq.agent._loop import resume_run, start_run

    ws = tmp_path / "ws"
    # every call costs 1000 tokens; round 1 needs propose + repair + 3 code calls + explain = 6000: the cap of
    # 3000 is reached inside the coder (vol_ratio's fix is the 4th call): the round is abandoned, not recorded
    cfg = small_cfg(tmp_path, rounds=2)
    assert cfg.llm is not None
    cfg = cfg.replace(llm=LLMSection(model=cfg.llm.model, settings=cfg.llm.settings, max_tokens=3000))
    loop = start_run(cfg, workspace=ws, chat_model=Responder(scenario=Scenario(), usage=(900, 100)))
    res = loop.run()
    assert (res.stopped, res.rounds) == ("budget", 0)
    assert res.to_json()["stopped"] == "budget"
    assert "token budget is spent" in res.message and "3000 of 3000" in res.message
    folder = ws / ".rdq" / "research" / res.run_id
    st = json.loads((folder / "state.json").read_text())
    assert st["stopped"] == "budget" and st["rounds_done"] == 0
    assert (st["llm_budget"]["used_tokens"], st["llm_budget"]["calls"], st["llm_budget"]["max_tokens"]) == (
        3000, 3, 3000,
    )  # fmt: skip
    assert _status(ws, res.run_id) == "stopped_budget"
    assert not (folder / "rounds" / "0001.json").exists()
    assert [e["purpose"] for e in exchanges(ws, res.run_id)] == ["propose.factor", "repair", "code.factor"]

    # resumed without a new cap: the saved cap holds, nothing is called
    again = resume_run(res.run_id, workspace=ws, chat_model=Responder(scenario=Scenario(), usage=(900, 100)))
    r2 = again.run()
    assert (r2.stopped, r2.rounds) == ("budget", 0)
    assert again.llm is not None and again.llm.client.calls == 0

    # a larger cap: the spent 3000 count against it, the run finishes both rounds
    more = resume_run(
        res.run_id,
        workspace=ws,
        max_tokens=100_000,
        chat_model=Responder(scenario=Scenario(), usage=(900, 100)),
    )
    r3 = more.run()
    assert (r3.stopped, r3.rounds) == (None, 2)
    assert set(r3.to_json()) == {"run_id", "rounds", "sota", "accepted_factors"}
    st = json.loads((folder / "state.json").read_text())
    ex = exchanges(ws, res.run_id)
    assert "stopped" not in st
    assert st["llm_budget"]["used_tokens"] == 1000 * len(ex) and st["llm_budget"]["max_tokens"] == 100_000
    assert [r["branch"] for r in rounds_of(ws, res.run_id)] == ["factor", "model"]
    assert _status(ws, res.run_id) == "finished"


def test_budget_spent_after_a_round_stops_before_the_next(tmp_path: Path) -> None:
    from rdq.agent._loop import start_run

    ws = tmp_path / "ws"
    cfg = small_cfg(tmp_path, rounds=3)
    assert cfg.llm is not None
    # round 1 spends 6000 tokens; a cap of 6000 lets it finish, then round 2 does not start
    cfg = cfg.replace(llm=cfg.llm.with_caps(budget_usd=None, max_tokens=6000))
    res = start_run(cfg, workspace=ws, chat_model=Responder(scenario=Scenario(), usage=(900, 100))).run()
    assert (res.stopped, res.rounds) == ("budget", 1)
    recs = rounds_of(ws, res.run_id)
    assert len(recs) == 1 and "LLM feedback" in recs[0]["decision"]["explanation"]
