"""The read-only view holds the folders of the child's packages, even outside the interpreter's prefixes
(a venv whose dependencies come from another venv through a .pth file, as the wheel smoke test installs it)."""

from __future__ import annotations

from pathlib import Path

import numpy
import polars

from rdq.sandbox._layers import python_roots


def test_the_packages_the_child_imports_are_inside_a_root() -> None:
    roots = [Path(r) for r in python_roots()]
    for mod in (numpy, polars):
        where = Path(mod.__file__ or "").resolve()
        assert any(where.is_relative_to(r) for r in roots), (where, roots)
