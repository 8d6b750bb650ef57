"""run_model_check: a good GRU trains; a wrong shape and a socket are reported with numbers / the line."""

from __future__ import annotations

from rdq.sandbox import Limits, run_model_check

GOOD = """\
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, n_features, step_len):
        super().__init__()
        self.gru = nn.GRU(n_features, 8, batch_first=True)
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        h, _ = self.gru(x)
        return self.out(h[:, -1]).squeeze(-1)
"""
WRONG_SHAPE = GOOD.replace(".squeeze(-1)", ".repeat(1, 2)")
LIMITS = Limits(wall_s=120, cpu_s=120, memory_mb=8192)


def test_good_model_trains() -> None:
    res = run_model_check(GOOD, n_features=3, seq_len=5, limits=LIMITS)
    assert res.status == "ok", (res.reason, res.stderr[-500:])
    assert "loss" in res.reason and "20 Adam steps" in res.reason


def test_wrong_shape_is_named() -> None:
    res = run_model_check(WRONG_SHAPE, n_features=3, seq_len=5, limits=LIMITS)
    assert res.status == "error"
    assert "returned shape (16, 2)" in res.reason


def test_socket_in_model_is_blocked() -> None:
    res = run_model_check("import socket\n" + GOOD, n_features=3, seq_len=5, limits=LIMITS)
    assert res.status == "blocked" and "line 1" in res.reason
