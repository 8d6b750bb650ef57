"""``rdq configs list|show`` and the built-in names on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from rdq.cli import app
from rdq.resources import builtin_names

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_list_shows_every_built_in() -> None:
    r = runner.invoke(app, ["configs", "list", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    got = {(row["kind"], row["name"]) for row in rows}
    expected = {
        *(("scenario", n) for n in builtin_names("backtests")),
        *(("model config", n) for n in builtin_names("configs")),
        *(("factor library", n) for n in builtin_names("factors")),
        *(("research config", n) for n in builtin_names("research")),
        *(("rl config", n) for n in builtin_names("rl")),
        *(("LLM config", n) for n in builtin_names("llm")),
    }
    assert got == expected and len(got) == 18
    assert {n for k, n in got if k == "LLM config"} == {"anthropic", "local", "ollama", "openai"}
    smoke = next(row for row in rows if row["name"] == "smoke")
    assert smoke["use"] == "rdq backtest --config smoke" and smoke["description"].startswith("Smoke scenario")
    assert Path(smoke["path"]) == ROOT / "backtests" / "smoke.yaml"


def test_list_one_kind_as_tables() -> None:
    r = runner.invoke(app, ["configs", "list", "--kind", "models"])
    assert r.exit_code == 0, r.output
    for name in ("gru_alpha360", "lgbm_alpha158", "lgbm_alpha360"):
        assert name in r.output
    assert "smoke" not in r.output and "alpha158 " not in r.output.replace("lgbm_alpha158", "")


def test_list_the_llm_configs() -> None:
    r = runner.invoke(app, ["configs", "list", "--kind", "llm", "--json"])
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert set(rows) == {"anthropic", "local", "ollama", "openai"}
    assert rows["openai"]["description"].startswith("OpenAI models for")


def test_show_prints_the_file() -> None:
    r = runner.invoke(app, ["configs", "show", "smoke"])
    assert r.exit_code == 0, r.output
    assert r.stdout == (ROOT / "backtests" / "smoke.yaml").read_text(encoding="utf-8")


def _rdq(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from rdq.cli import main; main()", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_unknown_names_are_one_line_errors_with_the_nearest(tmp_path: Path) -> None:
    r = _rdq("configs", "show", "smok", cwd=tmp_path)
    assert r.returncode == 2 and "did you mean 'smoke'" in r.stderr and "Traceback" not in r.stderr
    r = _rdq("backtest", "--config", "dem", cwd=tmp_path)
    assert r.returncode == 2 and "did you mean 'demo'" in r.stderr and "rdq configs list" in r.stderr
    r = _rdq("configs", "list", "--kind", "scenaro", cwd=tmp_path)
    assert r.returncode == 2 and "did you mean 'scenario'" in r.stderr


def test_factors_list_names_the_built_ins() -> None:
    r = runner.invoke(app, ["factors", "list"])
    assert r.exit_code == 0, r.output
    assert "alpha158: 158 factors" in r.output and "alpha360: 360 factors" in r.output
