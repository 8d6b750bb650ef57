"""CLI glue: run_scenario_cli and the typer command print the run's metrics (cached stages, so fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rdq.commands.scenario import register_config_command, run_scenario_cli
from rdq.errors import ConfigError
from rdq.pipeline import ScenarioResult

pytestmark = pytest.mark.slow  # needs the small scenario run


def test_run_scenario_cli_json(
    small_run: tuple[ScenarioResult, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    res, ws = small_run
    assert res.config.source is not None
    assert run_scenario_cli(res.config.source, ws, True) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["run_dir"] == str(res.run_dir)
    assert set(out["stages"].values()) == {"cached"}
    assert out["metrics"]["excess_with_cost.information_ratio"] == pytest.approx(
        res.metrics["excess_with_cost.information_ratio"]
    )


def test_typer_command_table(small_run: tuple[ScenarioResult, Path]) -> None:
    res, ws = small_run
    app = typer.Typer()
    register_config_command(app)

    @app.callback()
    def _root() -> None:  # keep "scenario" a sub-command
        pass

    result = CliRunner().invoke(app, ["scenario", str(res.config.source), "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    assert "small" in result.output and "report:" in result.output and "information_ratio" in result.output


def test_missing_scenario_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        run_scenario_cli(tmp_path / "nope.yaml", tmp_path, False)
