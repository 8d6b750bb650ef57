"""Python factors through the evaluation layer: is_python, compute_codes, check_factor/check_worker, the
runner's screen / novelty / same-round copies / evaluate, each equal to the same factor as an expression."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl
import pytest

from rdq.agent._checks import CheckConfig, check_factor, debug_slice
from rdq.agent._executor import Outcome
from rdq.agent._pyfactor import clear_cache, compute_codes, is_python, python_lookahead, python_values
from rdq.agent._types import Branch, Candidate, FactorTask, ModelTask
from rdq.agent._workers import CheckShared, check_worker
from rdq.data import synth_market
from rdq.errors import RdqError
from rdq.factors import compute
from rdq.sandbox import Limits

MOM_EXPR = "$close/Ref($close,5)-1"
MOM_PY = """import polars as pl


def factor(panel):
    p = panel.sort("asset", "date")
    return p.select("date", "asset", value=pl.col("close") / pl.col("close").shift(5).over("asset") - 1)
"""
PEEK_PY = """import polars as pl


def factor(panel):
    p = panel.sort("asset", "date")
    return p.select("date", "asset", value=pl.col("close").shift(-1).over("asset") / pl.col("close") - 1)
"""
SOCKET_PY = """import socket


def factor(panel):
    socket.create_connection(("example.com", 80))
    return panel.select("date", "asset", value=panel["close"])
"""
KEYERR_PY = """def factor(panel):
    return panel.select("date", "asset", value=panel["clse"])
"""
LIMITS = Limits(wall_s=60, cpu_s=60)


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    return synth_market(n_assets=12, n_days=120, seed=3).panel


def test_is_python_by_ast() -> None:
    assert not is_python(MOM_EXPR)
    assert not is_python("Mean(close, 5)")  # parses as Python, defines nothing
    assert not is_python("-($close / Ref($close, 3))")
    assert is_python(MOM_PY)
    assert is_python("import math\ndef factor(panel):\n    return panel\n")
    assert not is_python("def helper(panel):\n    return panel\n")  # no factor entry point
    assert is_python("def factor(panel:\n    return\n")  # a syntax error: still Python (the sandbox says why)
    assert not is_python("# def factor(panel) in a comment\n$close")


def test_compute_codes_expressions_only_is_compute(panel: pl.DataFrame) -> None:
    codes = {"b": "Mean($close, 5)", "a": MOM_EXPR}
    assert compute_codes(panel, codes).equals(compute(panel, codes, missing="skip"))


def test_compute_codes_python_equals_expression(panel: pl.DataFrame) -> None:
    clear_cache()
    out = compute_codes(panel, {"py": MOM_PY, "ma": "Mean($close, 5)", "ex": MOM_EXPR}, limits=LIMITS)
    assert out.columns == ["date", "asset", "py", "ma", "ex"]
    assert out.height == panel.height
    ref = compute(panel, {"ex": MOM_EXPR})
    assert out.select("date", "asset").equals(ref.select("date", "asset"))  # same (asset, date) order
    a, b = out["py"].to_numpy(), out["ex"].to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert int(np.isnan(a).sum()) == 5 * panel["asset"].n_unique()  # the 5-day warm-up per asset
    assert np.nanmax(np.abs(a - b)) <= 1e-9


def test_compute_codes_failed_python_skipped_or_raised(panel: pl.DataFrame) -> None:
    out = compute_codes(panel, {"bad": KEYERR_PY, "ex": MOM_EXPR}, limits=LIMITS)
    assert out.columns == ["date", "asset", "ex"]
    with pytest.raises(RdqError) as err:
        compute_codes(panel, {"bad": KEYERR_PY}, missing="raise", limits=LIMITS)
    msg = str(err.value)
    assert "'bad'" in msg and "error" in msg and "clse" in msg


def test_python_values_cached_by_content(panel: pl.DataFrame) -> None:
    clear_cache()
    r1, f1 = python_values(panel, MOM_PY, limits=LIMITS)
    r2, f2 = python_values(panel.clone(), MOM_PY, limits=LIMITS)
    assert r1.ok and r2 is r1 and f2 is f1  # the same content: the cached run
    r3, _ = python_values(panel.head(panel.height - 12), MOM_PY, limits=LIMITS)
    assert r3 is not r1


def test_python_lookahead_by_truncation(panel: pl.DataFrame) -> None:
    _, full = python_values(panel, PEEK_PY, limits=LIMITS)
    assert full is not None
    ok, detail = python_lookahead(panel, PEEK_PY, full=full, limits=LIMITS)
    assert not ok and "looks ahead" in detail and "changed" in detail
    _, full = python_values(panel, MOM_PY, limits=LIMITS)
    assert full is not None
    assert python_lookahead(panel, MOM_PY, full=full, limits=LIMITS) == (True, "no look-ahead")


# ------------------------------------------------------------------ the checks
CFG = CheckConfig(debug_assets=10, debug_days=100, seed=0, min_finite=0.8)


def _cand(code: str, name: str = "c") -> Candidate:
    return Candidate(name, Branch.FACTOR, code, code, FactorTask(name, "x"))


def _by_name(checks: Sequence[Any]) -> dict[str, Any]:
    return {c.name: c for c in checks}


def test_check_worker_python_equals_expression(panel: pl.DataFrame) -> None:
    sl = debug_slice(panel, config=CFG)
    ref = compute(sl, {"vr": "$volume/Mean($volume, 10)", "vol": "Std($close/Ref($close,1), 10)"})
    shared = CheckShared(sl, ref, CFG, {"vr": "$volume/Mean($volume, 10)"}, LIMITS)
    py = _by_name(check_worker(shared, _cand(MOM_PY)))
    ex = _by_name(check_worker(shared, _cand(MOM_EXPR)))
    assert set(py) == set(ex) - {"copy"}  # the tree-copy check is for expressions only
    for name in py:
        assert py[name].passed == ex[name].passed, (name, py[name], ex[name])
    assert all(c.passed for c in py.values()), py
    # the duplicate check's correlation is the same number
    assert py["duplicate"].detail == ex["duplicate"].detail
    assert py["coverage"].detail == ex["coverage"].detail


def test_check_factor_rejects_python_lookahead(panel: pl.DataFrame) -> None:
    sl = debug_slice(panel, config=CFG)
    got = _by_name(check_factor(_cand(PEEK_PY), sl, reference_values=None, config=CFG, limits=LIMITS))
    assert got["runs"].passed
    assert not got["lookahead"].passed and "looks ahead" in got["lookahead"].detail


def test_blocked_python_factor_recorded_not_raised(panel: pl.DataFrame) -> None:
    sl = debug_slice(panel, config=CFG)
    shared = CheckShared(sl, None, CFG, None, LIMITS)
    (runs,) = check_worker(shared, _cand(SOCKET_PY))
    assert runs.name == "runs" and not runs.passed
    assert runs.detail.startswith("blocked:") and "socket" in runs.detail
    (runs,) = check_worker(shared, _cand(KEYERR_PY))
    assert runs.detail.startswith("error:") and "clse" in runs.detail
    assert 'File "user_code.py", line 2, in factor' in runs.detail  # the traceback's last frame


# ------------------------------------------------------------------ the runner
class _Inline:
    """An Executor that runs in this process (the runner's logic, not the pool's)."""

    def map(
        self, fn: Callable[[Any, Any], Any], shared: Any, items: Sequence[Any], *, timeout_s: float,
        memory_mb: int | None,
    ) -> list[Outcome[Any]]:  # fmt: skip
        out: list[Outcome[Any]] = []
        for it in items:
            try:
                out.append(Outcome(fn(shared, it), None, 0.0, "ok"))
            except Exception as exc:  # noqa: BLE001
                out.append(Outcome(None, f"{type(exc).__name__}: {exc}", 0.0, "error"))
        return out

    def close(self) -> None:
        pass


class _Cache:
    def __init__(self) -> None:
        self.d: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.d.get(key)

    def put(self, key: str, value: Any) -> None:
        self.d[key] = value


@pytest.fixture(scope="module")
def runner() -> Any:
    from rdq.agent._config import ResearchConfig, split_dates
    from rdq.agent._evaluate import ResearchData
    from rdq.agent._runner import CandidateRunner
    from rdq.pipeline._config import DataSection, StrategySection

    p = synth_market(n_assets=30, n_days=260, seed=1).panel
    model = ModelTask("m", "", "LGBMModel", {"loss": "mse", "learning_rate": 0.1, "num_leaves": 7,
                                             "num_boost_round": 20, "num_threads": 1})  # fmt: skip
    cfg = ResearchConfig(
        name="t", data=DataSection(), model=model, checks={"debug_assets": 15, "debug_days": 80},
        gp={"screen_days": 120}, strategy=StrategySection(topk=5, n_drop=1, benchmark="equal_weight"),
    )  # fmt: skip
    seg = split_dates(p["date"].unique().sort().to_list(), warmup=20)
    data = ResearchData.build(p, segments=seg, label_expr=None, strategy=cfg.strategy)
    return CandidateRunner(cfg, data, seg, _Inline(), _Cache(), limits=LIMITS)


def test_runner_screen_novelty_copies_equal(runner: Any) -> None:
    py, ex = runner.screen([MOM_PY, MOM_EXPR])
    assert py is not None and ex is not None and math.isfinite(ex)
    assert abs(py - ex) <= 1e-9
    assert runner.screen([SOCKET_PY]) == [None]  # blocked: rejected, no exception
    sota = {"ma": "Mean($close, 10)/$close"}
    n_py, n_ex = runner.novelty([MOM_PY, MOM_EXPR], sota)
    assert n_py is not None and n_ex is not None and abs(n_py - n_ex) <= 1e-9
    from rdq.agent._types import CandidateResult, CheckResult

    rs = [
        CandidateResult(_cand(MOM_EXPR, "ex"), (CheckResult("runs", True),)),
        CandidateResult(_cand(MOM_PY, "py"), (CheckResult("runs", True),)),
    ]
    kept = runner.drop_same_round_copies(rs, sota)
    assert kept[0].ok and not kept[1].ok
    assert "duplicate of ex (same round)" in kept[1].checks[-1].detail


def test_runner_shared_reference_with_python_sota(runner: Any) -> None:
    both = runner.check_shared({"pm": MOM_PY, "ma": "Mean($close, 10)/$close"})
    assert both.reference is not None and both.reference.columns == ["date", "asset", "pm", "ma"]
    ex = compute(both.slice, {"pm": MOM_EXPR})
    assert np.nanmax(np.abs(both.reference["pm"].to_numpy() - ex["pm"].to_numpy())) <= 1e-9


def test_runner_evaluate_python_equals_expression(runner: Any) -> None:
    base = {"ma": "Mean($close, 10)/$close", "v": "Std($close/Ref($close,1), 10)"}
    ev_py, err = runner.evaluate({**base, "mom": MOM_PY}, runner.cfg.model)
    assert err is None and ev_py is not None
    ev_ex, err = runner.evaluate({**base, "mom": MOM_EXPR}, runner.cfg.model)
    assert err is None and ev_ex is not None
    assert ev_py.metrics.keys() == ev_ex.metrics.keys()
    for k, v in ev_ex.metrics.items():
        w = ev_py.metrics[k]
        assert (math.isnan(v) and math.isnan(w)) or abs(v - w) <= 1e-9, k
    assert np.allclose(ev_py.daily, ev_ex.daily, atol=1e-9, equal_nan=True)


LINEAR_MODULE = """import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.out = nn.Linear(n_features, 1)

    def forward(self, x):
        return self.out(x).squeeze(-1)
"""


def test_runner_evaluates_a_generated_module_in_the_sandbox(runner: Any, tmp_path: Any) -> None:
    from rdq.agent._evaluate import USER_MODULE

    base = {"ma": "Mean($close, 10)/$close", "mom": MOM_PY}
    task = ModelTask("lin", "", USER_MODULE, {"source": LINEAR_MODULE, "source_sha": "x", "max_epochs": 2})
    ev, err = runner.evaluate(base, task)
    assert err is None and ev is not None, err
    assert ev.span == "valid" and len(ev.dates) > 0 and all(math.isfinite(v) for v in ev.daily)
    # the module's code runs only in the sandbox: a write outside its folder is blocked, nothing appears here
    marker = tmp_path / "ran-in-the-parent.txt"
    evil = LINEAR_MODULE.replace(
        "super().__init__()", f"super().__init__()\n        open({str(marker)!r}, 'w').write('x')"
    )
    ev, err = runner.evaluate(base, ModelTask("evil", "", USER_MODULE, {"source": evil, "source_sha": "y"}))
    assert ev is None and err is not None and "blocked" in err and "open" in err
    assert not marker.exists()


def test_schema_and_one_value_per_pair_checked(panel: pl.DataFrame) -> None:
    sl = debug_slice(panel, config=CFG)
    dup = "import polars as pl\n\ndef factor(panel):\n    f = panel.select('date', 'asset', value=pl.col('close'))\n    return pl.concat([f, f])\n"
    (runs,) = check_factor(_cand(dup), sl, reference_values=None, config=CFG, limits=LIMITS)
    assert not runs.passed and "duplicated (date, asset) pairs" in runs.detail
    cols = "def factor(panel):\n    return panel.select('date', 'asset', 'close')\n"
    (runs,) = check_factor(_cand(cols), sl, reference_values=None, config=CFG, limits=LIMITS)
    assert not runs.passed and "missing ['value']" in runs.detail


def test_coder_module_candidate_evaluates_through_the_runner(runner: Any, tmp_path: Any) -> None:
    """CoSteerCoder writes an nn.Module for a new architecture; its candidate's task is what the runner evaluates."""
    from types import SimpleNamespace

    from rdq.agent._costeer import CoSteerCoder
    from rdq.agent._evaluate import USER_MODULE
    from rdq.agent._knowledge import KnowledgeBase
    from rdq.agent._types import ProposalContext
    from rdq.store import Store

    class _One:
        calls = 0

        def complete(self, messages: Any, *, purpose: str) -> Any:
            self.calls += 1
            assert purpose == "code.model"
            return SimpleNamespace(reply=f"```python\n{LINEAR_MODULE}```")

    client = _One()
    coder = CoSteerCoder(
        client, KnowledgeBase(Store(tmp_path / "c.duckdb"), run_id="r"), debug_panel=runner.data.panel.head(10),
        limits=Limits(wall_s=120, cpu_s=120, memory_mb=8192),
    )  # fmt: skip
    ctx = ProposalContext(Branch.MODEL, 0, {}, (), {}, {}, runner.cfg.model, {})
    (cand,) = coder.implement_many([ModelTask("lin", "a linear net", "LinearNet", {"max_epochs": 50})], ctx)
    assert isinstance(cand, Candidate) and client.calls == 1
    assert cand.task.template == USER_MODULE and cand.task.hyperparameters["max_epochs"] == 6  # clamped
    assert coder.notes["lin"] == ["max_epochs=50 -> 6 (range 1..6)"]
    ev, err = runner.evaluate({"ma": "Mean($close, 10)/$close"}, cand.task)
    assert err is None and ev is not None and ev.span == "valid"
