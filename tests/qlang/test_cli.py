"""``rdq q`` command: -e, script, REPL."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from rdq.cli import app


def test_q_eval_option() -> None:
    r = CliRunner().invoke(app, ["q", "-e", "1+til 3"])
    assert r.exit_code == 0
    assert r.output.strip() == "1 2 3"


def test_q_script_exit_code(tmp_path: Path) -> None:
    f = tmp_path / "t.q"
    f.write_text("f:{[x]\n  x*2}\nshow f 21\nexit 4\n")
    r = CliRunner().invoke(app, ["q", str(f)])
    assert r.exit_code == 4
    assert "42" in r.output


def test_q_repl_reads_stdin() -> None:
    r = CliRunner().invoke(app, ["q"], input="a:5\na*2\n")
    assert r.exit_code == 0
    assert "q)" in r.output and "10" in r.output
