"""``rdq rl train``, ``rdq rl eval``, ``rdq rl log``: QTNet and the baselines, trained and judged walk-forward.

``--json`` prints exactly one JSON object on stdout (progress and logs go to stderr)::

    rdq rl train --config NAME|FILE [--seed S] [--data PATH] [--workspace DIR] [--json]
      {"run_id", "path", "folds": [{index, train_days, test_days, n_train, n_test}], "agents", "seconds"}
    rdq rl train --resume RUN [--workspace DIR] [--json]     (or: rdq rl resume RUN): finish an interrupted run
    rdq rl eval RUN [--split test|train] [--by month|quarter|fold] [--workspace DIR] [--json]
      {"run_id", "split", "by", "periods_per_year", "agents", "metrics",
       "windows": [{"window", "fold", "sessions", "first_day", "last_day", "agents": {AGENT: {METRIC: value}}}],
       "summary": {AGENT: {METRIC: mean over windows}}}

    rdq rl log RUN --out DIR [--fold F] [--behaviour EXPERT ...] [--epsilon E] [--n-trajectories N]
               [--horizon H] [--gamma G] [--soften S] [--true-repeats R] [--fqe] [--seed S] [--json]
      writes DIR/logged.npz, DIR/policies/NAME.npz, DIR/true_values.json (read by `rdq ope run/assess`);
      --json prints true_values.json's content

Daily bars (``data.bars: daily``): a session is a calendar month; ``sharpe`` is then over the daily returns
and ``periods_per_year`` is 252 (minute bars: over the daily sessions, 252 too).

Metrics: total_return, sharpe (annualised), max_drawdown, turnover, hit_rate (see :mod:`rdq.rl._metrics`);
agents: qtnet, the trained baselines (ppo, dqn, recurrent_ppo) and every expert of the config (never the
prophet, which looks ahead).
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rdq.metrics import Metric

__all__ = ["register"]

Workspace = Annotated[Path, typer.Option("--workspace", "-w", help="Project folder (runs in .rdq/rl/).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


class Split(StrEnum):
    TEST = "test"
    TRAIN = "train"


class By(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    FOLD = "fold"


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def _fmt(metric: str, v: float) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "-"
    if metric in ("total_return", Metric.MAX_DRAWDOWN.value, "hit_rate"):
        return f"{100 * v:.2f}%"
    return f"{v:.2f}"


def register(app: typer.Typer) -> None:
    """Add the ``rl`` command group to ``app``."""
    rl_app = typer.Typer(help="Reinforcement-learning trading: train QTNet and baselines, evaluate walk-forward.",
                         no_args_is_help=True)
    app.add_typer(rl_app, name="rl")

    def _report(folder: Path, as_json: bool) -> None:
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        if as_json:
            folds = [{"index": f["index"], "train_days": f["train_days"], "test_days": f["test_days"],
                      "n_train": len(f["train"]), "n_test": len(f["test"])} for f in run["folds"]]
            typer.echo(json.dumps(_clean({"run_id": run["run_id"], "path": str(folder), "folds": folds,
                                          "agents": run["agents"], "seconds": run["seconds"]}), indent=2))
            return
        secs = ", ".join(f"{a} {sum(v):.1f}s" for a, v in run["seconds"].items())
        typer.echo(f"run {run['run_id']}: {len(run['folds'])} fold(s), trained {secs}")
        typer.echo(f"folder {folder}")
        typer.echo(f"evaluate: rdq rl eval {folder}")

    @rl_app.command("train")
    def train_cmd(
        config: Annotated[str | None, typer.Option("--config", "-c", help="An rl config file or a built-in name "
                                                   "(qtnet_1min, qtnet_synthetic, qtnet_daily).")] = None,
        seed: Annotated[int | None, typer.Option("--seed", help="Seed of QTNet and the baselines.")] = None,
        data: Annotated[Path | None, typer.Option("--data", help="Minute-bar Parquet file instead of data.path.")] = None,
        resume: Annotated[str | None, typer.Option("--resume", help="Finish this interrupted run (folder or id): "
                                                   "done folds are kept, a fold in progress continues from its "
                                                   "last periodic checkpoint.")] = None,
        workspace: Workspace = Path("."),
        as_json: AsJson = False,
    ) -> None:
        """Train QTNet (and the config's baselines) on every walk-forward fold; print the run id and folder."""
        from rdq.errors import ConfigError
        from rdq.rl._config import load_rl_config
        from rdq.rl._runs import train_run

        if config is None and resume is None:
            raise ConfigError("rdq rl train needs --config NAME|FILE (or --resume RUN)")
        cfg = load_rl_config(config, seed=seed, data_path=data) if config is not None else None
        _report(train_run(cfg, workspace=workspace, resume=resume), as_json)

    @rl_app.command("resume")
    def resume_cmd(
        run: Annotated[str, typer.Argument(help="An interrupted run folder, or a run id (prefix) under --workspace.")],
        workspace: Workspace = Path("."),
        as_json: AsJson = False,
    ) -> None:
        """Finish an interrupted `rdq rl train` run with its own config (same as train --resume RUN)."""
        from rdq.rl._runs import train_run

        _report(train_run(None, workspace=workspace, resume=run), as_json)

    @rl_app.command("eval")
    def eval_cmd(
        run: Annotated[str, typer.Argument(help="A run folder, or a run id (prefix) under --workspace.")],
        split: Annotated[Split, typer.Option("--split", help="Sessions to play: each fold's test or train.")] = Split.TEST,
        by: Annotated[By, typer.Option("--by", help="Report windows: calendar month, quarter, or whole fold.")] = By.MONTH,
        workspace: Workspace = Path("."),
        as_json: AsJson = False,
    ) -> None:
        """Total return, annualised Sharpe, max drawdown, turnover and hit rate of every agent, per window."""
        from rdq.rl._runs import evaluate_run

        res = evaluate_run(run, workspace=workspace, split=split.value, by=by.value)  # type: ignore[arg-type]
        if as_json:
            typer.echo(json.dumps(_clean(res), indent=2))
            return
        console = Console(soft_wrap=True)
        metrics = res["metrics"]
        for w in res["windows"]:
            t = Table(title=f"{res['split']} {w['window']} (fold {w['fold']}, {w['sessions']} sessions, "
                            f"{w['first_day']}..{w['last_day']})", title_justify="left")
            t.add_column("agent")
            for m in metrics:
                t.add_column(m, justify="right")
            for a in res["agents"]:
                t.add_row(a, *(_fmt(m, w["agents"][a][m]) for m in metrics))
            console.print(t)
        t = Table(title=f"mean over {len(res['windows'])} window(s)", title_justify="left")
        t.add_column("agent")
        for m in metrics:
            t.add_column(m, justify="right")
        for a in sorted(res["agents"], key=lambda a: -res["summary"][a]["sharpe"]):
            t.add_row(a, *(_fmt(m, res["summary"][a][m]) for m in metrics))
        console.print(t)

    @rl_app.command("log")
    def log_cmd(
        run: Annotated[str, typer.Argument(help="A finished run folder, or a run id (prefix) under --workspace.")],
        out: Annotated[Path, typer.Option("--out", help="Folder for logged.npz, policies/*.npz, true_values.json.")],
        fold: Annotated[int, typer.Option("--fold", help="Walk-forward fold whose test sessions are logged.")] = 0,
        behaviour: Annotated[list[str] | None, typer.Option("--behaviour", "-b", help="Expert in the behaviour "
                             "mixture (repeatable; default every expert of the config).")] = None,
        epsilon: Annotated[float, typer.Option("--epsilon", help="Uniform share of the behaviour policy.")] = 0.3,
        n_trajectories: Annotated[int | None, typer.Option("--n-trajectories", help="Logged trajectories "
                                  "(test sessions cycled; default one each).")] = None,
        horizon: Annotated[int, typer.Option("--horizon", help="Steps per trajectory.")] = 30,
        gamma: Annotated[float, typer.Option("--gamma", help="Discount.")] = 0.95,
        soften: Annotated[float, typer.Option("--soften", help="Uniform share of each candidate.")] = 0.1,
        true_repeats: Annotated[int, typer.Option("--true-repeats", help="On-policy rollouts per trajectory "
                                "for the true values.")] = 10,
        fqe: Annotated[bool, typer.Option("--fqe", help="Fit FQE and save q_hat (for dm, dr, sndr).")] = False,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the action draws.")] = 0,
        action: Annotated[str, typer.Option("--action", help="discrete (short/flat/long) or continuous (target "
                          "positions, Gaussian behaviour; estimate with rdq ope run --kernel).")] = "discrete",
        sigma: Annotated[float, typer.Option("--sigma", help="Continuous: the behaviour's action noise "
                         "(standard deviation).")] = 0.3,
        workspace: Workspace = Path("."),
        as_json: AsJson = False,
    ) -> None:
        """Log an epsilon-mixture of the experts on a fold's test sessions; write OPE inputs with true values."""
        from rdq.rl._ope_run import log_run

        res = log_run(run, out, workspace=workspace, fold=fold, behaviour=behaviour, epsilon=epsilon,
                      n_trajectories=n_trajectories, horizon=horizon, gamma=gamma, soften=soften,
                      true_repeats=true_repeats, fqe=fqe, seed=seed, action=action, sigma=sigma)
        if as_json:
            typer.echo(json.dumps(_clean(res), indent=2))
            return
        if res.get("action") == "continuous":
            typer.echo(f"logged {res['n_trajectories']} x {res['horizon']} target positions of "
                       f"{', '.join(res['behaviour'])} + N(0, {res['sigma']}^2): J(behaviour) "
                       f"{res['behavior_value_logged']:.4f} in the log -> {res['logged']}")
            for name, v in sorted(res["true_values"].items(), key=lambda kv: -kv[1]):
                typer.echo(f"  {name:22s} true value {v:10.4f}")
            typer.echo(f"next: rdq ope assess --logged {res['logged']} --policies {res['policies']} "
                       "--estimator sntis --estimator snpdis --bandwidth 0.3")
            return
        typer.echo(f"logged {res['n_trajectories']} x {res['horizon']} steps of {', '.join(res['behaviour'])} "
                   f"(epsilon {res['epsilon']}): J(behaviour) {res['behavior_value_true']:.4f} on-policy, "
                   f"{res['behavior_value_logged']:.4f} in the log -> {res['logged']}")
        for name, v in sorted(res["true_values"].items(), key=lambda kv: -kv[1]):
            typer.echo(f"  {name:22s} true value {v:10.4f}")
        typer.echo(f"next: rdq ope assess --logged {res['logged']} --policies {res['policies']}")
