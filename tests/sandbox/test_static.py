"""The static check: hand-checked sources and the exact violations it reports."""

from __future__ import annotations

import pytest

from rdq.sandbox import static_check

CLEAN = """\
import math
import numpy as np
import polars as pl
from scipy import stats

def factor(panel: pl.DataFrame) -> pl.DataFrame:
    ret = pl.col("close").pct_change().over("asset")
    return panel.select("date", "asset", value=ret.rolling_mean(5).over("asset") * math.sqrt(252))
"""


def test_clean_factor_passes() -> None:
    assert static_check(CLEAN) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import socket\n", "line 1: import of 'socket' is not allowed"),
        ("import os.path\n", "line 1: import of 'os.path' is not allowed"),
        ("x = 1\nfrom subprocess import run\n", "line 2: import of 'subprocess' is not allowed"),
        ("from . import x\n", "line 1: relative imports are not allowed"),
        ("eval('1')\n", "line 1: call of eval() is not allowed"),
        ("exec('x=1')\n", "line 1: call of exec() is not allowed"),
        ("__import__('os')\n", "line 1: call of __import__() is not allowed"),
        ("open('f', 'w')\n", "line 1: open() for writing (mode 'w') is not allowed"),
        ("open('f', mode='ab')\n", "line 1: open() for writing (mode 'ab') is not allowed"),
        ("m = 'w'\nopen('f', m)\n", "line 2: open() with a mode that is not a literal string is not allowed"),
        ("().__class__.__bases__\n", "line 1: attribute '__bases__' is not allowed"),
        ("f.__globals__\n", "line 1: attribute '__globals__' is not allowed"),
        ("print(__builtins__)\n", "line 1: use of '__builtins__' is not allowed"),
        ("getattr(x, name)\n", "line 1: getattr() with a computed attribute name is not allowed"),
        ("getattr(x, '__subclasses__')\n", "line 1: getattr() of '__subclasses__' is not allowed"),
        ("g.gi_frame.f_back\n", "line 1: attribute 'f_back' is not allowed"),
        (
            "import polars as pl\npl.read_parquet('x')\n",
            "line 2: file I/O through .read_parquet is not allowed",
        ),
        ("df.write_csv('x')\n", "line 1: file I/O through .write_csv is not allowed"),
        ("np._core\n", "line 1: private attribute '_core' of another object is not allowed"),
        ("import torch\n", "line 1: import of 'torch' is not allowed"),
        ("def f(:\n", "line 1: syntax error"),
    ],
)
def test_violation(source: str, expected: str) -> None:
    found = static_check(source)
    assert len(found) >= 1
    assert found[0].startswith(expected), found


def test_several_violations_in_line_order() -> None:
    src = "import os\nimport polars as pl\nimport socket\neval('1')\n"
    found = static_check(src)
    assert [v.split(":")[0] for v in found] == ["line 1", "line 3", "line 4"]


def test_model_kind_allows_torch_and_self_private() -> None:
    src = (
        "import torch\nfrom torch import nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self, n_features):\n"
        "        super().__init__()\n"
        "        self._lin = nn.Linear(n_features, 1)\n"
        "    def forward(self, x):\n"
        "        return self._lin(x).squeeze(-1)\n"
    )
    assert static_check(src, kind="model") == []
    assert static_check(src, kind="factor") == [
        "line 1: import of 'torch' is not allowed (allowed: __future__, abc, bisect, ...)",
        "line 2: import of 'torch' is not allowed (allowed: __future__, abc, bisect, ...)",
    ]
