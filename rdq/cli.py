"""The ``rdq`` command line.

Each area's commands live in a module of :mod:`rdq.commands` (the top layer: it may import every
package, no package imports it) and register themselves here;
this file only assembles the app, sets up logging and turns :class:`rdq.errors.RdqError` into a
clean message and a non-zero exit code.

Output: results on stdout (``--json``: nothing but JSON); progress, log lines, warnings and errors on
stderr. rdq's loggers log at INFO (progress lines every few seconds when stderr is not a terminal, a
rich bar when it is, see :mod:`rdq.progress`); ``--quiet`` (anywhere on the command line) shows only
warnings and errors.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from rdq.errors import RdqError
from rdq.progress import draws_bars, set_quiet, stderr_console

__all__ = ["app", "main"]

app = typer.Typer(
    name="rdq",
    help="rdq: quantitative research agent, factor engine, backtester and q-language evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress bars or lines, only warnings and errors (stderr)."
    ),
) -> None:
    """rdq: quantitative research agent, factor engine, backtester and q-language evaluation."""
    set_quiet(quiet)


#: modules that define ``register(app: typer.Typer) -> None``
_COMMAND_MODULES = (
    "rdq.commands.data",
    "rdq.commands.factors",
    "rdq.demo",
    "rdq.commands.backtest",
    "rdq.commands.configs",
    "rdq.commands.qlang",
    "rdq.commands.ope",
    "rdq.commands.rl",
    "rdq.commands.research",
    "rdq.commands.doctor",
)

for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as _exc:  # an area not built yet
        if _exc.name != _name:
            raise
        continue
    _module.register(app)


def _hoist_quiet(argv: list[str]) -> tuple[list[str], bool]:
    """Move ``--quiet`` given after a command (``rdq factors compute ... --quiet``) to the front.

    ``--quiet`` is an option of ``rdq`` itself; this lets it stand anywhere before a ``--``.
    """
    end = argv.index("--") if "--" in argv else len(argv)
    head = [a for a in argv[:end] if a != "--quiet"]
    found = len(head) < end
    quiet = found or "-q" in argv[: min(end, 1)]
    return (["--quiet"] if found else []) + head + argv[end:], quiet


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes to whatever ``sys.stderr`` is at each record, not the one at setup.

    A handler bound to the stderr of its setup time writes to a closed file once that stream is swapped
    (pytest's capture, click's CliRunner, a notebook restarting its streams).
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def setup_logging(*, quiet: bool = False) -> None:
    """CLI logging on stderr: rdq at INFO (WARNING when ``quiet``), other libraries at WARNING.

    On a terminal the handler is rich's, on the console the progress bars use, so lines print
    above a running bar; elsewhere a plain ``LEVEL logger: message`` line per record.
    """
    handler: logging.Handler
    if draws_bars():
        from rich.logging import RichHandler

        handler = RichHandler(console=stderr_console(), show_time=False, show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("rdq").setLevel(logging.WARNING if quiet else logging.INFO)


def main() -> None:
    """Entry point of the ``rdq`` console script."""
    argv, quiet = _hoist_quiet(sys.argv[1:])
    setup_logging(quiet=quiet)
    err = Console(stderr=True)
    try:
        app(args=argv)
    except RdqError as exc:
        # one line, no traceback; the message itself is printed verbatim (brackets are not markup)
        err.print(f"[bold red]error:[/] {escape(exc.one_line())}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
