"""The docstring examples of the benchmark modules run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["_qvalues", "_passk", "_extract", "_executor"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"rdq.qlang.bench.{name}")
    failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0
