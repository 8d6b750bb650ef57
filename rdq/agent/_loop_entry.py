"""The research loop's entry points: start a run, resume one, replay one from its stored LLM replies.

Re-exported by :mod:`rdq.agent._loop` (``from rdq.agent._loop import start_run``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdq.agent._config import ResearchConfig
from rdq.agent._state import RunFolder, new_run_id, research_root
from rdq.agent._types import Branch
from rdq.errors import ConfigError

if TYPE_CHECKING:
    from rdq.agent._loop import ResearchLoop

__all__ = ["start_run", "resume_run", "replay_run"]


def start_run(
    cfg: ResearchConfig,
    *,
    workspace: str | Path = ".",
    run_id: str | None = None,
    chat_model: Any = None,
    replay_of: str | None = None,
) -> ResearchLoop:
    """Create a new run folder for ``cfg`` and return its loop (call :meth:`ResearchLoop.run`).

    ``chat_model``: a langchain chat model for the LLM path instead of the one ``cfg.llm`` names (tests pass
    fake models); ``replay_of``: serve that run's stored LLM replies instead of calling a model.
    """
    from rdq.agent._config import fit_universe
    from rdq.agent._loop import ResearchLoop, load_panel_for
    from rdq.agent._loop_llm import preflight

    ws = Path(workspace)
    if chat_model is None and replay_of is None:
        preflight(cfg)  # a missing provider package or key fails before the panel is loaded
    panel = load_panel_for(cfg)
    cfg = fit_universe(cfg, panel["asset"].n_unique())
    folder = RunFolder(research_root(ws) / (run_id or new_run_id(cfg.name)))
    folder.create({"config": cfg.to_dict(), **({"replay_of": replay_of} if replay_of else {})})
    return ResearchLoop(cfg, folder, workspace=ws, panel=panel, chat_model=chat_model, replay_of=replay_of)


def resume_run(
    run: str,
    *,
    workspace: str | Path = ".",
    budget_usd: float | None = None,
    max_tokens: int | None = None,
    base_url: str | None = None,
    chat_model: Any = None,
) -> ResearchLoop:
    """The loop of an existing run, restored from its folder (finished rounds are not redone).

    ``budget_usd`` / ``max_tokens``: new LLM caps (total for the run: what was spent counts); ``base_url``:
    the OpenAI-compatible server's new address.
    """
    from rdq.agent._loop import ResearchLoop, load_panel_for

    ws = Path(workspace)
    folder = _find(ws, run)
    saved = folder.config()
    cfg = _config_from_dict(saved["config"])
    new_caps = budget_usd is not None or max_tokens is not None
    if new_caps or base_url is not None:
        if cfg.llm is None:
            raise ConfigError(
                f"run {folder.run_id} has no LLM: --budget-usd / --max-tokens / --llm-base-url do not apply to it"
            )
        sec = cfg.llm.with_caps(budget_usd=budget_usd, max_tokens=max_tokens)
        if base_url is not None:
            import dataclasses

            sec = dataclasses.replace(sec, base_url=base_url)
        cfg = cfg.replace(llm=sec)
    return ResearchLoop(
        cfg, folder, workspace=ws, panel=load_panel_for(cfg), replay_of=saved.get("replay_of"),
        chat_model=chat_model, new_caps=new_caps,
    )  # fmt: skip


def replay_run(
    run: str, *, workspace: str | Path = ".", data: Path | None = None
) -> tuple[ResearchLoop, int]:
    """A new run repeating ``run`` from its stored LLM replies (no model): ``(loop, rounds to run)``.

    The config is the original's (``data`` replaces its data path); each round takes the original's branch
    and the coder sees the knowledge the original saw, so the candidates and the numbers are the same.

    Raises
    ------
    ConfigError
        No such run, or a run without stored exchanges.
    """
    from rdq.pipeline._config import DataSection

    ws = Path(workspace)
    folder = _find(ws, run)
    cfg = _config_from_dict(folder.config()["config"])
    if data is not None:
        cfg = cfg.replace(data=DataSection(path=data.resolve()))
    records = folder.rounds()
    loop = start_run(cfg, workspace=ws, replay_of=folder.run_id)
    loop.forced_branches = {int(r["round"]): Branch(r["branch"]) for r in records}
    return loop, len(records)


def _find(ws: Path, run: str) -> RunFolder:
    from rdq.agent._state import find_run

    return find_run(ws, run)


def _config_from_dict(raw: dict[str, Any]) -> ResearchConfig:
    """Rebuild the typed config from its saved ``to_dict()`` form."""
    from rdq.agent._config import config_from_dict

    return config_from_dict(raw)
