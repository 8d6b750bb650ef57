"""``rdq configs ...``: the built-in scenarios, model configs and factor libraries.

``rdq configs list`` shows every built-in file by name (the names ``rdq backtest --config NAME``,
``model: NAME`` in a scenario and ``rdq factors compute --library NAME`` accept); ``rdq configs show
NAME`` prints one, e.g. to start a scenario of one's own: ``rdq configs show smoke > my.yaml``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rdq.errors import ConfigError, did_you_mean
from rdq.resources import KINDS, Kind, builtin_file, builtin_names

__all__ = ["register", "describe"]

#: kind -> how the CLI takes a name of that kind
_USE: dict[Kind, str] = {
    "backtests": "rdq backtest --config {name}",
    "configs": "model: {name}  (in a scenario)",
    "factors": "rdq factors compute --library {name}",
    "research": "rdq research run --config {name}",
    "rl": "rdq rl train --config {name}",
    "llm": "llm: {name}  (in a research config)",
}
_ORDER: tuple[Kind, ...] = ("backtests", "configs", "factors", "research", "rl", "llm")
_TITLE: dict[Kind, str] = {
    "backtests": "scenarios",
    "configs": "model configs",
    "factors": "factor libraries",
    "research": "research configs",
    "rl": "rl configs",
    "llm": "LLM configs",
}


def describe(path: Path) -> str:
    """The first comment line of a YAML file (its one-line description), or ``""``."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text.startswith("#"):
            return text.lstrip("#").strip().rstrip(":")
        if text:
            return ""
    return ""


def _kind(text: str | None) -> tuple[Kind, ...]:
    if text is None:
        return _ORDER
    aliases: dict[str, Kind] = {
        "scenario": "backtests", "scenarios": "backtests", "backtests": "backtests",
        "model": "configs", "models": "configs", "configs": "configs",
        "library": "factors", "libraries": "factors", "factors": "factors",
        "research": "research", "rl": "rl", "llm": "llm",
    }  # fmt: skip
    if text not in aliases:
        raise ConfigError(
            f"--kind {text!r}: unknown{did_you_mean(text, aliases)}; choose scenarios, models, libraries, research, rl or llm"
        )
    return (aliases[text],)


def register(app: typer.Typer) -> None:
    """Add the ``configs`` command group to ``app``."""
    grp = typer.Typer(help="Built-in scenarios, model configs and factor libraries (usable by name).", no_args_is_help=True)
    app.add_typer(grp, name="configs")

    @grp.command("list")
    def list_cmd(
        kind: Annotated[
            str | None, typer.Option("--kind", help="Only scenarios, models, libraries, research, rl or llm.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    ) -> None:
        """List the built-in files: each name works wherever a file path is accepted."""
        rows = [
            {
                "kind": KINDS[k],
                "name": name,
                "use": _USE[k].format(name=name),
                "description": describe(builtin_file(k, name)),
                "path": str(builtin_file(k, name)),
            }
            for k in _kind(kind)
            for name in builtin_names(k)
        ]
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        console = Console()
        for k in _kind(kind):
            table = Table(title=f"{_TITLE[k]}: {_USE[k].format(name='NAME')}", title_justify="left")
            table.add_column("name", no_wrap=True)
            table.add_column("description", overflow="fold")
            for row in rows:
                if row["kind"] == KINDS[k]:
                    table.add_row(row["name"], row["description"])
            console.print(table)
        console.print("a path that exists wins over a name; print a file with rdq configs show NAME")

    @grp.command("show")
    def show_cmd(
        name: Annotated[str, typer.Argument(help="A built-in name, e.g. smoke, lgbm_alpha158, alpha158.")],
        kind: Annotated[
            str | None, typer.Option("--kind", help="scenarios, models or libraries (when a name is in several).")
        ] = None,
    ) -> None:
        """Print a built-in file (the YAML text) to stdout."""
        kinds = _kind(kind)
        found = [k for k in kinds if name.removesuffix(".yaml") in builtin_names(k)]
        if not found:
            every = sorted({n for k in kinds for n in builtin_names(k)})
            raise ConfigError(
                f"no built-in named {name!r}{did_you_mean(name, every)}; built-in: {', '.join(every)} "
                "(see rdq configs list)"
            )
        if len(found) > 1:
            raise ConfigError(
                f"{name!r} names several built-ins ({', '.join(KINDS[k] for k in found)}); "
                "pick one with --kind scenarios|models|libraries"
            )
        typer.echo(builtin_file(found[0], name).read_text(encoding="utf-8"), nl=False)
