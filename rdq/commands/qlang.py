"""``rdq q``: the q console, script runner and one-shot evaluator."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``q`` command (and the benchmark group when present) to the rdq app."""

    @app.command("q", context_settings={"ignore_unknown_options": True})
    def q_cmd(
        file: Annotated[Path | None, typer.Argument(help="q script to run (omit for a REPL)")] = None,
        args: Annotated[
            list[str] | None, typer.Argument(help="the script's arguments: .z.x (its name is .z.f)")
        ] = None,
        expr: Annotated[str | None, typer.Option("-e", "--eval", help="evaluate one expression and print it")] = None,
        directory: Annotated[
            Path | None,
            typer.Option(
                "--dir",
                help="the folder q's files (`:name, read0, 0:, set/get, \\l) live in; default: the current "
                "directory, as for q (no path may leave it)",
            ),
        ] = None,
    ) -> None:
        """Run the embedded q interpreter: REPL, ``rdq q FILE.q`` or ``rdq q -e EXPR``."""
        from rdq.errors import ConfigError
        from rdq.qlang import QExit, Session

        folder = directory if directory is not None else Path.cwd()
        if not folder.is_dir():
            raise ConfigError(f"--dir {folder}: not a folder; pass an existing folder")
        s = Session(directory=folder)

        def show(line: str) -> str:
            """Evaluate ``line`` and print its display; ``exit n`` ends the command with code ``n``."""
            try:
                text = s.display(line)
            except QExit as e:
                raise typer.Exit(e.code) from None
            if text:
                typer.echo(text)
            return text

        if expr is not None:
            text = show(expr)
            raise typer.Exit(1 if text.startswith("'") else 0)
        if file is not None:
            if not file.exists():
                raise ConfigError(f"q script not found: {file}; pass an existing .q file")
            s.set_script_args(str(file), args or [])
            res = s.run_script(file.read_text(encoding="utf-8"))
            sys.stdout.write(res.stdout)
            sys.stderr.write(res.stderr)
            raise typer.Exit(res.exit_code)
        while True:
            try:
                line = input("q)")
            except EOFError:
                break
            show(line)

    from rdq.commands.qbench import register_bench

    register_bench(app)
