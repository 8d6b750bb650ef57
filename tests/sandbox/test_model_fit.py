"""run_model_fit: a generated nn.Module trains and predicts inside the sandbox; failures are named."""

from __future__ import annotations

import numpy as np
import pytest

from rdq.sandbox import Limits, run_model_fit

LINEAR = """\
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.out = nn.Linear(n_features, 1)

    def forward(self, x):
        return self.out(x).squeeze(-1)
"""
LIMITS = Limits(wall_s=120, cpu_s=120, memory_mb=8192)


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3).astype(np.float32)


def test_linear_module_learns_and_predicts_every_set() -> None:
    x, y = _data(2000, 0)
    xv, yv = _data(500, 1)
    xt, yt = _data(300, 2)
    res, preds = run_model_fit(
        LINEAR, x, y, x_valid=xv, y_valid=yv, predict={"test": xt, "empty": xt[:0]},
        params={"lr": 0.05, "max_epochs": 30, "batch_size": 128, "early_stop": 5, "unknown": 1}, limits=LIMITS,
    )  # fmt: skip
    assert res.status == "ok", (res.reason, res.stderr[-800:])
    assert preds is not None and set(preds) == {"test", "empty"}
    assert (
        preds["test"].shape == (300,) and preds["test"].dtype == np.float64 and preds["empty"].shape == (0,)
    )
    assert float(np.mean((preds["test"] - yt) ** 2)) < 0.01 * float(np.var(yt))
    assert "epoch" in res.reason


def test_wrong_output_width_is_an_error() -> None:
    x, y = _data(200, 0)
    src = LINEAR.replace("nn.Linear(n_features, 1)", "nn.Linear(n_features, 2)")
    res, preds = run_model_fit(src, x, y, predict={"p": x[:10]}, params={"max_epochs": 1}, limits=LIMITS)
    assert preds is None and res.status == "error"


def test_module_that_raises_names_the_line() -> None:
    x, y = _data(200, 0)
    src = LINEAR.replace("return self.out(x).squeeze(-1)", "raise RuntimeError('boom')")
    res, preds = run_model_fit(src, x, y, predict={"p": x[:10]}, limits=LIMITS)
    assert preds is None and res.status == "error"
    assert "boom" in res.reason and "line 10" in res.reason
    assert 'File "user_code.py", line 10, in forward' in res.traceback_tail


def test_socket_in_a_fitted_module_is_blocked() -> None:
    x, y = _data(50, 0)
    res, preds = run_model_fit("import socket\n" + LINEAR, x, y, predict={}, limits=LIMITS)
    assert preds is None and res.status == "blocked" and "socket" in res.reason
    res, _ = run_model_fit(
        LINEAR.replace("return self.out", "open('/tmp/rdq-fit-escape', 'w').write('x')\n        return self.out"),
        x, y, predict={}, limits=LIMITS, static=False,
    )  # fmt: skip
    assert res.status == "blocked" and "outside the sandbox directory" in res.reason


def test_bad_predict_name_refused() -> None:
    x, y = _data(10, 0)
    with pytest.raises(ValueError, match="letters, digits"):
        run_model_fit(LINEAR, x, y, predict={"../x": x}, limits=LIMITS)
