"""The static check: refuse imports and calls a factor or model file has no business making.

It is the first, cheapest layer and gives the clearest message ("line 3: import of 'socket' is
not allowed"), but it is bypassable by construction (Python is too dynamic), so every attack it
refuses is also stopped at run time by the audit hook or the OS layers (see docs/SANDBOX.md).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Literal

__all__ = ["static_check", "ALLOWED_MODULES", "allowed_modules"]

#: top-level modules a factor file may import
ALLOWED_MODULES: frozenset[str] = frozenset(
    {
        "numpy",
        "pandas",
        "polars",
        "scipy",
        "math",
        "cmath",
        "statistics",
        "itertools",
        "functools",
        "operator",
        "collections",
        "datetime",
        "typing",
        "dataclasses",
        "re",
        "bisect",
        "heapq",
        "decimal",
        "fractions",
        "random",
        "warnings",
        "enum",
        "abc",
        "numbers",
        "copy",
        "time",
        "__future__",
    }
)
#: added for ``kind="model"``
MODEL_MODULES: frozenset[str] = frozenset({"torch"})

_BANNED_CALLS = {
    "eval": "eval() runs arbitrary code",
    "exec": "exec() runs arbitrary code",
    "compile": "compile() builds arbitrary code",
    "__import__": "__import__() imports by name",
    "globals": "globals() exposes the interpreter's internals",
    "locals": "locals() exposes the interpreter's internals",
    "vars": "vars() exposes the interpreter's internals",
    "breakpoint": "breakpoint() starts a debugger",
    "input": "input() waits for a terminal",
    "help": "help() starts a pager",
    "exit": "exit() ends the interpreter",
    "quit": "quit() ends the interpreter",
    "memoryview": "memoryview() gives raw memory access",
}
_BANNED_NAMES = {"__builtins__", "__loader__", "__spec__", "__import__", "__builtin__"}
#: dunder attributes ordinary code uses; every other ``__x__`` attribute is refused
_OK_DUNDERS = {
    "__init__",
    "__name__",
    "__doc__",
    "__len__",
    "__call__",
    "__getitem__",
    "__setitem__",
    "__iter__",
    "__next__",
    "__repr__",
    "__str__",
    "__eq__",
    "__hash__",
    "__enter__",
    "__exit__",
    "__post_init__",
    "__version__",
}
#: attributes that reach frames, code or globals without being dunders
_BANNED_ATTRS = {
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_back",
    "f_code",
    "gi_frame",
    "gi_code",
    "cr_frame",
    "ag_frame",
    "tb_frame",
    "tb_next",
    "co_code",
    "func_globals",
}
#: file I/O done outside Python's open() (the audit hook does not see its path)
_IO_PREFIXES = ("read_", "scan_", "write_", "sink_")
_IO_ATTRS = {
    "tofile",
    "fromfile",
    "memmap",
    "loadtxt",
    "genfromtxt",
    "savetxt",
    "save",
    "savez",
    "load",
    "to_parquet",
    "to_csv",
    "to_pickle",
    "to_hdf",
    "to_feather",
    "to_sql",
    "to_excel",
    "to_json",
}
_WRITE_MODE_CHARS = set("wax+")

_Report = Callable[[ast.AST, str], None]


def allowed_modules(kind: Literal["factor", "model"] = "factor") -> frozenset[str]:
    """The importable top-level modules for ``kind``."""
    return ALLOWED_MODULES | MODEL_MODULES if kind == "model" else ALLOWED_MODULES


def static_check(source: str, *, kind: Literal["factor", "model"] = "factor") -> list[str]:
    """Refuse imports outside the allow-list and dangerous calls / attributes in ``source``.

    Parameters
    ----------
    source:
        The Python file's text.
    kind:
        ``"factor"`` (numpy, pandas, polars, scipy, math and a few stdlib helpers) or ``"model"``
        (adds torch).

    Returns
    -------
    list[str]
        One ``"line N: ..."`` per violation, in source order; ``[]`` when the file is clean.
        A syntax error is one violation naming its line.

    Examples
    --------
    >>> static_check("import socket\\n")
    ["line 1: import of 'socket' is not allowed (allowed: __future__, abc, bisect, ...)"]
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"line {exc.lineno}: syntax error: {exc.msg}"]
    allowed = allowed_modules(kind)
    hint = ", ".join(sorted(allowed)[:3]) + ", ..."
    out: list[tuple[int, int, str]] = []

    def bad(node: ast.AST, msg: str) -> None:
        out.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0), msg))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in allowed:
                    bad(node, f"import of {alias.name!r} is not allowed (allowed: {hint})")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                bad(node, "relative imports are not allowed")
            elif (node.module or "").split(".")[0] not in allowed:
                bad(node, f"import of {node.module!r} is not allowed (allowed: {hint})")
        elif isinstance(node, ast.Call):
            _check_call(node, bad)
        elif isinstance(node, ast.Name) and node.id in _BANNED_NAMES:
            bad(node, f"use of {node.id!r} is not allowed")
        elif isinstance(node, ast.Attribute):
            _check_attr(node, bad)
    out.sort(key=lambda item: (item[0], item[1]))
    return [f"line {line}: {msg}" for line, _, msg in out]


def _check_call(node: ast.Call, report: _Report) -> None:
    func = node.func
    if isinstance(func, ast.Name):
        name = func.id
        if name in _BANNED_CALLS:
            report(node, f"call of {name}() is not allowed: {_BANNED_CALLS[name]}")
        elif name == "open":
            mode = _open_mode(node)
            if mode is None:
                report(node, "open() with a mode that is not a literal string is not allowed")
            elif _WRITE_MODE_CHARS & set(mode):
                report(node, f"open() for writing (mode {mode!r}) is not allowed")
        elif name in ("getattr", "setattr", "delattr", "hasattr"):
            attr = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
                report(node, f"{name}() with a computed attribute name is not allowed")
            elif _attr_refused(attr.value):
                report(node, f"{name}() of {attr.value!r} is not allowed")
    elif isinstance(func, ast.Attribute) and func.attr in (
        "system",
        "popen",
        "fork",
        "kill",
        "spawnv",
        "execv",
    ):
        report(node, f"call of .{func.attr}() is not allowed")


def _open_mode(node: ast.Call) -> str | None:
    mode: ast.expr | None = node.args[1] if len(node.args) > 1 else None
    for kw in node.keywords:
        if kw.arg == "mode":
            mode = kw.value
    if mode is None:
        return "r"
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return mode.value
    return None


def _attr_refused(name: str) -> bool:
    if name.startswith("__") and name.endswith("__"):
        return name not in _OK_DUNDERS
    return name in _BANNED_ATTRS


def _check_attr(node: ast.Attribute, report: _Report) -> None:
    name = node.attr
    if _attr_refused(name):
        report(node, f"attribute {name!r} is not allowed (it reaches the interpreter's internals)")
    elif name.startswith(_IO_PREFIXES) or name in _IO_ATTRS:
        report(node, f"file I/O through .{name} is not allowed: the panel is passed in, return the frame")
    elif name.startswith("_") and not name.startswith("__"):
        owner = node.value
        if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
            report(node, f"private attribute {name!r} of another object is not allowed")
