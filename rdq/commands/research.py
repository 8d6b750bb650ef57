"""``rdq research run|resume|list|show|report``: the research loop from the command line.

``--json`` prints exactly one JSON object on stdout (progress and logs go to stderr). Public contracts::

    rdq research run --config NAME|FILE [--data PATH] [--rounds N] [--seed S] [--scheduler ...]
                     [--executor local|ray] [--workspace DIR] [--json]
                     [--llm PROVIDER:MODEL [--llm-base-url URL] [--llm-config FILE]] [--budget-usd X]
                     [--max-tokens N] [--replay RUN]
      {"run_id", "rounds", "sota": {validation metrics}, "accepted_factors": [{name, expression, round, valid_metrics}]}
      (+ "stopped": "budget" when the LLM budget stopped the run; it exits 0 and says how to resume)
    rdq research report RUN [--force] [--json]
      {"run_id", "n_trials", "test", "base_test", "deflated_sharpe", "significant", "evaluated_at", ...}

(see :mod:`rdq.agent._report` for the report's keys).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rdq.metrics import Metric

__all__ = ["register"]

#: the report's columns (its JSON keys)
_COLUMNS = (
    Metric.IC.value,
    Metric.RANK_IC.value,
    Metric.ICIR.value,
    "arr",
    "ir",
    "mdd",
    "ir_ci",
    "rank_ic_ci",
)

Workspace = Annotated[
    Path, typer.Option("--workspace", "-w", help="Project folder (runs in .rdq/research/, catalog in .rdq/).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
RunArg = Annotated[str, typer.Argument(help="A run id (or a unique prefix of one): see `rdq research list`.")]


def _echo_json(obj: Any) -> None:
    typer.echo(
        json.dumps(obj, indent=2, default=str, allow_nan=False)
        if _finite(obj)
        else json.dumps(_clean(obj), indent=2, default=str)
    )


def _finite(obj: Any) -> bool:
    try:
        json.dumps(obj, allow_nan=False, default=str)
    except ValueError:
        return False
    return True


def _clean(obj: Any) -> Any:
    import math

    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def _print_result(res: dict[str, Any]) -> None:
    con = Console()
    t = Table(title=f"research run {res['run_id']}: {res['rounds']} rounds", title_justify="left")
    t.add_column("accepted factor")
    t.add_column("round", justify="right")
    t.add_column("expression", overflow="fold")
    for a in res["accepted_factors"]:
        t.add_row(a["name"], str(a["round"]), a["expression"] or a.get("path", ""))
    con.print(t)
    sota = res["sota"]
    con.print(
        "SOTA (validation): "
        + ", ".join(f"{k} {v:.4g}" for k, v in sorted(sota.items()) if isinstance(v, float))
    )
    con.print(f"next: rdq research report {res['run_id']}   (evaluates the sealed test span once)")


def register(app: typer.Typer) -> None:
    """Add the ``research`` command group to ``app``."""
    grp = typer.Typer(
        help="The research loop: propose, implement, evaluate and keep factors and models.",
        no_args_is_help=True,
    )
    app.add_typer(grp, name="research")

    @grp.command("run")
    def run_cmd(
        config: Annotated[
            str | None,
            typer.Option(
                "--config", "-c", help="Research config: a file or a built-in name (synthetic, panel)."
            ),
        ] = None,
        data: Annotated[
            Path | None,
            typer.Option(
                "--data",
                help="Your OHLCV panel (file or folder); with no --config the default config runs on it.",
            ),
        ] = None,
        rounds: Annotated[
            int | None, typer.Option("--rounds", min=0, help="Rounds to run (default: the config's).")
        ] = None,
        seed: Annotated[
            int | None, typer.Option("--seed", min=0, help="Seed (default: the config's).")
        ] = None,
        scheduler: Annotated[
            str | None, typer.Option("--scheduler", help="bandit, round_robin, random or neural.")
        ] = None,
        executor: Annotated[
            str | None, typer.Option("--executor", help="local (process pool) or ray.")
        ] = None,
        workers: Annotated[
            int | None, typer.Option("--workers", min=0, help="Worker processes (0: inline).")
        ] = None,
        llm: Annotated[
            str | None,
            typer.Option(
                "--llm",
                help="PROVIDER:MODEL (openai:gpt-4o-mini, anthropic:..., ollama:llama3.1, local:NAME): the LLM "
                "proposes and the Co-STEER coder implements (default: the offline search).",
            ),
        ] = None,
        llm_base_url: Annotated[
            str | None,
            typer.Option(
                "--llm-base-url", help="An OpenAI-compatible server's URL (vLLM, llama.cpp, LM Studio)."
            ),
        ] = None,
        llm_config: Annotated[
            Path | None,
            typer.Option("--llm-config", help="An LLM config file (prices, cutoff) instead of configs/llm/."),
        ] = None,
        budget_usd: Annotated[
            float | None, typer.Option("--budget-usd", min=0, help="Hard cap on the run's LLM cost (USD).")
        ] = None,
        max_tokens: Annotated[
            int | None, typer.Option("--max-tokens", min=0, help="Hard cap on the run's LLM tokens.")
        ] = None,
        replay: Annotated[
            str | None,
            typer.Option("--replay", help="Re-run RUN from its stored LLM replies (no model, no network)."),
        ] = None,
        workspace: Workspace = Path("."),
        as_json: AsJson = False,
    ) -> None:
        """Start a research run; a killed run continues with `rdq research resume RUN`."""
        from rdq.agent._config import EXECUTORS, SCHEDULERS, default_research_config, load_research_config
        from rdq.agent._loop import replay_run, start_run
        from rdq.errors import ConfigError, did_you_mean
        from rdq.pipeline._config import DataSection

        if replay is not None:
            if llm is not None or config is not None:
                raise ConfigError(
                    "--replay RUN repeats RUN's own config and stored replies: leave out --llm and --config"
                )
            if data is not None and not data.exists():
                raise ConfigError(f"--data {data}: no such file or folder; give the path of your OHLCV panel")
            loop, n = replay_run(replay, workspace=workspace, data=data)
            if not as_json:
                Console(stderr=True).print(
                    f"run {loop.folder.run_id} in {loop.folder.path} (replay of {replay})"
                )
            _finish(loop.run(rounds=n), as_json)
            return
        if config is None and data is None:
            config = "synthetic"
        if config is None:
            assert data is not None
            cfg = default_research_config(data)
        else:
            cfg = load_research_config(config)
            if data is not None:
                if not data.exists():
                    raise ConfigError(
                        f"--data {data}: no such file or folder; give the path of your OHLCV panel"
                    )
                cfg = cfg.replace(data=DataSection(path=data.resolve()))
        for name, value, choices in (
            ("--scheduler", scheduler, SCHEDULERS),
            ("--executor", executor, EXECUTORS),
        ):
            if value is not None and value not in choices:
                raise ConfigError(
                    f"{name} {value!r}: unknown{did_you_mean(value, choices)}; choose one of {list(choices)}"
                )
        changes = {
            k: v
            for k, v in (
                ("rounds", rounds),
                ("seed", seed),
                ("scheduler", scheduler),
                ("executor", executor),
                ("workers", workers),
            )
            if v is not None
        }
        cfg = cfg.replace(**changes)
        cfg = _with_llm(cfg, llm, llm_base_url, llm_config, budget_usd, max_tokens)
        loop = start_run(cfg, workspace=workspace)
        err = Console(stderr=True)
        if not as_json:
            err.print(f"run {loop.folder.run_id} in {loop.folder.path}")
        if loop.llm is not None:
            note = loop.llm.llm_cfg.knowledge_note
            err.print(
                f"LLM {loop.llm.llm_cfg.spec}" + (f": {note}" if note else " (no knowledge cutoff given)")
            )
        _finish(loop.run(), as_json)

    @grp.command("resume")
    def resume_cmd(
        run: RunArg,
        rounds: Annotated[
            int | None, typer.Option("--rounds", min=0, help="Total rounds (default: the config's).")
        ] = None,
        budget_usd: Annotated[
            float | None,
            typer.Option(
                "--budget-usd", min=0, help="New cap on the run's total LLM cost (what was spent counts)."
            ),
        ] = None,
        max_tokens: Annotated[
            int | None,
            typer.Option(
                "--max-tokens", min=0, help="New cap on the run's total LLM tokens (what was spent counts)."
            ),
        ] = None,
        llm_base_url: Annotated[
            str | None,
            typer.Option(
                "--llm-base-url", help="The OpenAI-compatible server's new URL (default: the run's)."
            ),
        ] = None,
        workspace: Workspace = Path("."),
        as_json: AsJson = False,
    ) -> None:
        """Continue a run after an interruption or a spent LLM budget: finished rounds are not redone."""
        from rdq.agent._loop import resume_run

        loop = resume_run(
            run, workspace=workspace, budget_usd=budget_usd, max_tokens=max_tokens, base_url=llm_base_url
        )
        _finish(loop.run(rounds=rounds), as_json)

    @grp.command("list")
    def list_cmd(workspace: Workspace = Path("."), as_json: AsJson = False) -> None:
        """Every research run of the workspace (id, status, rounds, accepted)."""
        from rdq.agent._state import research_root

        rows = []
        root = research_root(workspace)
        for d in sorted(root.iterdir()) if root.is_dir() else []:
            if not (d / "config.json").is_file():
                continue
            st = json.loads((d / "state.json").read_text()) if (d / "state.json").is_file() else {}
            rows.append(
                {
                    "run_id": d.name,
                    "rounds": st.get("rounds_done", 0),
                    "accepted": len(st.get("accepted", [])),
                    "reported": (d / "report.json").is_file(),
                    **({"stopped": st["stopped"]} if st.get("stopped") else {}),  # "budget"
                }
            )
        if as_json:
            _echo_json(rows)
            return
        t = Table(title=f"research runs in {root}", title_justify="left")
        for c in ("run_id", "rounds", "accepted", "reported"):
            t.add_column(c)
        for r in rows:
            t.add_row(*(str(r[c]) for c in ("run_id", "rounds", "accepted", "reported")))
        Console().print(t)

    @grp.command("show")
    def show_cmd(run: RunArg, workspace: Workspace = Path("."), as_json: AsJson = False) -> None:
        """A run's rounds: branch, hypothesis, decision (validation span only)."""
        from rdq.agent._loop_records import public_factor
        from rdq.agent._state import find_run

        folder = find_run(workspace, run)
        st = folder.state() or {}
        rounds = folder.rounds()
        out = {
            "run_id": folder.run_id,
            "rounds": rounds,
            "accepted_factors": [public_factor(a) for a in st.get("accepted", [])],
            "sota": (st.get("sota") or {}).get("metrics", {}),
            "n_trials": st.get("n_trials", 0),
        }
        if as_json:
            _echo_json(out)
            return
        t = Table(title=f"research run {folder.run_id}", title_justify="left")
        for c in ("round", "branch", "hypothesis", "decision"):
            t.add_column(c, overflow="fold")
        for r in rounds:
            t.add_row(
                str(r["round"]), r["branch"], r["hypothesis"]["statement"], r["decision"]["explanation"]
            )
        Console().print(t)

    @grp.command("report")
    def report_cmd(
        run: RunArg,
        force: Annotated[
            bool, typer.Option("--force", help="Evaluate the test span again (recorded as forced).")
        ] = False,
        workspace: Workspace = Path("."),
        as_json: AsJson = False,
    ) -> None:
        """Evaluate the sealed test span once: test metrics with CIs, deflated Sharpe, HTML report."""
        from rdq.agent._report import research_report

        rep = research_report(run, workspace=workspace, force=force)
        if as_json:
            _echo_json(rep)
            return
        con = Console()
        con.print(rep["message"])
        t = Table(title="test span", title_justify="left")
        for c in ("", *_COLUMNS):
            t.add_column(c)
        for name in ("test", "base_test"):
            m = rep[name]
            t.add_row(
                name,
                *(_fmt(m.get(c)) for c in _COLUMNS),
            )
        con.print(t)
        con.print(f"deflated Sharpe: {_fmt(rep['deflated_sharpe'])}  (n_trials {rep['n_trials']})")
        if rep.get("memorisation_warning"):
            con.print(f"[bold yellow]warning:[/] {rep['memorisation_warning']}")
        con.print(f"significant: {rep['significant']} - {rep['verdict']}\nreport: {rep['html']}")


def _with_llm(
    cfg: Any,
    llm: str | None,
    base_url: str | None,
    llm_config: Path | None,
    budget_usd: float | None,
    max_tokens: int | None,
) -> Any:
    """``cfg`` with the LLM options applied: ``--llm`` replaces the config's model (both branches then use
    the LLM unless the config's ``proposer`` section says otherwise); the caps apply to either."""
    from rdq.agent._llm_section import LLMSection
    from rdq.errors import ConfigError

    sec = cfg.llm
    if llm is not None:
        same = sec is not None and sec.model == llm
        sec = LLMSection(
            model=llm,
            base_url=base_url if base_url is not None else (sec.base_url if same else None),
            config=str(llm_config) if llm_config is not None else (sec.config if same else None),
            budget_usd=sec.budget_usd if sec is not None else None,
            max_tokens=sec.max_tokens if sec is not None else None,
            settings=dict(sec.settings) if same else {},
        )
    elif any(v is not None for v in (base_url, llm_config, budget_usd, max_tokens)):
        if sec is None:
            raise ConfigError(
                "--llm-base-url, --llm-config, --budget-usd and --max-tokens need a model: add "
                "--llm PROVIDER:MODEL (e.g. --llm openai:gpt-4o-mini) or an llm section in the config"
            )
        import dataclasses

        sec = dataclasses.replace(
            sec,
            base_url=base_url if base_url is not None else sec.base_url,
            config=str(llm_config) if llm_config is not None else sec.config,
        )
    if sec is None:
        return cfg
    sec = sec.with_caps(budget_usd=budget_usd, max_tokens=max_tokens)
    sec.llm_config()  # a malformed PROVIDER:MODEL or a bad config file fails here
    return cfg.replace(llm=sec)


def _finish(result: Any, as_json: bool) -> None:
    """Print a run's result; a run the LLM budget stopped also says how to continue (on stderr)."""
    res = result.to_json()
    _echo_json(res) if as_json else _print_result(res)
    if result.stopped == "budget":
        Console(stderr=True).print(
            f"[bold yellow]stopped:[/] {result.message}\nthe state after round {result.rounds} is saved; continue "
            f"with a larger budget: rdq research resume {result.run_id} --budget-usd LARGER "
            "(or --max-tokens LARGER)"
        )


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return f"{v:.4g}" if isinstance(v, float) else str(v)
