"""The q package is layered one way: no module of ``rdq.qlang`` imports, even lazily, one that imports it back."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

_SPEC = importlib.util.find_spec("rdq.qlang")
assert _SPEC is not None and _SPEC.origin is not None
PKG = Path(_SPEC.origin).parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """The ``rdq.qlang`` modules one file imports, at top level or inside functions.

    Imports under ``if TYPE_CHECKING:`` are annotations only and do not count.
    """
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only = {
        id(sub)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for sub in ast.walk(node)
    }
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("rdq.qlang"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("rdq.qlang"):
                continue
            out.add(mod)
            for a in node.names:  # ``from rdq.qlang import _verbs`` names a module
                if (PKG.parent.parent / Path(*f"{mod}.{a.name}".split("."))).with_suffix(".py").exists():
                    out.add(f"{mod}.{a.name}")
    return out


def import_graph() -> dict[str, set[str]]:
    """Module name -> the package modules it imports (``rdq.qlang`` itself excluded, being the facade)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PKG.rglob("*.py")):
        name = _module_name(path)
        graph[name] = {m for m in _imports(path, name) if m != name and m != "rdq.qlang"}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_graph_sees_the_modules() -> None:
    graph = import_graph()
    assert "rdq.qlang._interp" in graph
    assert "rdq.qlang._values" in graph["rdq.qlang._interp"]


def test_qlang_import_graph_is_acyclic() -> None:
    cycle = _cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_cycle_detector_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
