"""CLI glue: ``rdq backtest --config backtests/NAME.yaml`` calls :func:`run_scenario_cli`.

The ``backtest`` command belongs to :mod:`rdq.commands.backtest`; this module only offers the function
it delegates to (and :func:`register_config_command` for a stand-alone ``scenario`` command).
"""

from __future__ import annotations

import json as _json
from pathlib import Path

import typer
from rich.console import Console

__all__ = ["run_scenario_cli", "register_config_command"]


def run_scenario_cli(
    config_path: str | Path, workspace: str | Path = ".", json: bool = False, *, fresh: bool = False
) -> int:
    """Run a scenario file, show the metric table (or JSON on stdout), return the exit code (0).

    Errors (:class:`~rdq.errors.RdqError`) propagate: ``rdq.cli.main`` prints them without a traceback.
    """
    from rdq.pipeline._run import run_scenario
    from rdq.report import metrics_table

    out = Console()
    res = run_scenario(config_path, workspace=workspace, progress=True, resume=not fresh)
    if json:
        payload = {
            "run_id": res.run_id,
            "run_dir": str(res.run_dir),
            "report": str(res.report.html),
            "records": str(res.run_dir / "records.parquet"),
            "stages": res.stages,
            "metrics": res.metrics,
        }
        out.print_json(_json.dumps(payload, default=str))
        return 0
    out.print(metrics_table(res.metrics, title=f"{res.config.name}  ({res.records.height} trading days)"))
    out.print(f"report: {res.report.html}\nrun folder: {res.run_dir}  (store run id {res.run_id})")
    return 0


def register_config_command(app: typer.Typer, *, name: str = "scenario") -> None:
    """Add ``rdq <name> CONFIG [--workspace] [--json] [--fresh]`` to ``app``."""

    @app.command(name)
    def _scenario(
        config: Path = typer.Argument(..., help="scenario YAML file, e.g. backtests/demo.yaml"),
        workspace: Path = typer.Option(
            Path("."), "--workspace", "-w", help="project folder (store and runs in .rdq/)"
        ),
        json: bool = typer.Option(False, "--json", help="print the result as JSON"),
        fresh: bool = typer.Option(False, "--fresh", help="recompute every stage (ignore cached stages)"),
    ) -> None:
        """Run a backtest scenario end to end: data, factors, model, top-k backtest, metrics, tear sheet."""
        raise typer.Exit(run_scenario_cli(config, workspace, json, fresh=fresh))
