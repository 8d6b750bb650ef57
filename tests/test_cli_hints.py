"""Every ``--option`` that a message in ``rdq/`` names exists on the command line.

The test reads every string literal of ``rdq/**/*.py`` (docstrings left out: they describe Python
use), finds the ``--option`` words in it, and checks them against the options of the real typer app
(``typer.main.get_command(rdq.cli.app)``, walked command by command).  A literal that names a command
(``rdq data validate PATH --repair high_low``) must name options of *that* command; any other option
must belong to at least one command.  An error hint that sends the user to ``--repair`` on a command
without it fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import typer

from rdq.cli import app

RDQ = Path(__file__).resolve().parents[1] / "rdq"
FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")
#: literals that are not rdq's command line: arguments handed to other programs
DECLARATION = re.compile(r"^--[a-z][a-z0-9-]*$")
FOREIGN = re.compile(r"\b(pip|uv|git|pytest|nbmake|jupyter|python|q)\s")


def _commands() -> dict[tuple[str, ...], set[str]]:
    """Command path (``("data", "validate")``) -> its option names (``"--repair"``, ...)."""
    root = typer.main.get_command(app)
    out: dict[tuple[str, ...], set[str]] = {}

    def walk(cmd: Any, path: tuple[str, ...]) -> None:  # typer's (vendored) click Command / Group
        names = {"--help"}
        for p in cmd.params:
            names.update(o for o in (*p.opts, *p.secondary_opts) if o.startswith("--"))
        out[path] = names
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, (*path, name))

    walk(root, ())
    return out


COMMANDS = _commands()
ALL_OPTIONS = set().union(*COMMANDS.values())


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _literals() -> list[tuple[str, int, str]]:
    """``(file, line, text)`` of every string literal outside docstrings (f-strings: their fixed parts)."""
    found: list[tuple[str, int, str]] = []
    for path in sorted(RDQ.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstring_nodes(tree)
        inner: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
                inner.update(id(v) for v in node.values)
                found.append((str(path.relative_to(RDQ.parent)), node.lineno, "{}".join(parts)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docs or id(node) in inner:
                    continue
                found.append((str(path.relative_to(RDQ.parent)), node.lineno, node.value))
    # a literal that is only an option name declares it (argparse in a script, typer.Option): not a hint
    return [
        (f, n, t) for f, n, t in found if FLAG.search(t) and not FOREIGN.search(t) and not DECLARATION.match(t)
    ]


def _command_in(text: str) -> tuple[tuple[str, ...], int] | None:
    """The longest ``rdq A B`` command path the text names, and where it ends."""
    best: tuple[tuple[str, ...], int] | None = None
    for m in re.finditer(r"\brdq((?:\s+[a-z][a-z0-9_-]*)+)", text):
        words = m.group(1).split()
        for k in range(len(words), 0, -1):
            if tuple(words[:k]) in COMMANDS:
                end = m.start(1) + len(" ".join(words[:k])) + 1
                if best is None or k > len(best[0]):
                    best = (tuple(words[:k]), end)
                break
    return best


LITERALS = _literals()


def test_the_scan_finds_the_hints() -> None:
    # the scan sees the hints it exists for (a scan that finds nothing passes vacuously)
    texts = [t for _, _, t in LITERALS]
    assert any("rdq data validate PATH --repair {action} --out FIXED.parquet" == t for t in texts)
    assert any("--allow" in t for t in texts) and len(LITERALS) > 20
    assert {"--repair", "--map", "--allow", "--topk", "--n-drop", "--expr"} <= ALL_OPTIONS


def test_the_command_walk_sees_every_command() -> None:
    assert {("data", "validate"), ("data", "export"), ("factors", "compute"), ("backtest",)} <= set(COMMANDS)
    assert "--repair" in COMMANDS[("data", "validate")] and "--repair" not in COMMANDS[("factors", "compute")]
    assert _command_in("use rdq data validate PATH --repair x") == (("data", "validate"), 21)


@pytest.mark.parametrize("where, line, text", LITERALS, ids=[f"{f}:{n}" for f, n, _ in LITERALS])
def test_every_option_named_in_a_message_exists(where: str, line: int, text: str) -> None:
    named = _command_in(text)
    for m in FLAG.finditer(text):
        flag = "--" + m.group(1)
        if named is not None and m.start() >= named[1]:
            cmd = named[0]
            assert flag in COMMANDS[cmd], (
                f"{where}:{line}: {flag} is not an option of 'rdq {' '.join(cmd)}' "
                f"(it has {sorted(COMMANDS[cmd])}): {text!r}"
            )
        else:
            assert flag in ALL_OPTIONS, f"{where}:{line}: no rdq command has {flag}: {text!r}"
