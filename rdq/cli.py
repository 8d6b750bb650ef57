"""The ``rdq`` command line.

Each area's commands live in a module of :mod:`rdq.commands` (the top layer: it may import every
package, no package imports it) and register themselves here;
this file only assembles the app and turns :class:`rdq.errors.RdqError` into a clean message
and a non-zero exit code.
"""

from __future__ import annotations

import importlib
import logging
import sys

import typer
from rich.console import Console

from rdq.errors import RdqError

__all__ = ["app", "main"]

app = typer.Typer(
    name="rdq",
    help="rdq: quantitative research agent, factor engine, backtester and q-language evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: modules that define ``register(app: typer.Typer) -> None``
_COMMAND_MODULES = (
    "rdq.commands.data",
    "rdq.commands.factors",
    "rdq.demo",
    "rdq.commands.backtest",
    "rdq.commands.qlang",
)

for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as _exc:  # an area not built yet
        if _exc.name != _name:
            raise
        continue
    _module.register(app)


def main() -> None:
    """Entry point of the ``rdq`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    err = Console(stderr=True)
    try:
        app()
    except RdqError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
