"""rdq.ope against the values SCOPE-RL 0.2.1 itself computed on the same seeded toy MDP.

The inputs (``golden/scope_rl_toy.npz``) and SCOPE-RL's outputs (``golden/scope_rl_toy.json``) were
written by ``golden/make_scope_rl_golden.py`` in a side venv (SCOPE-RL needs NumPy < 2): estimates of
7 policies by 7 estimators, bootstrap intervals, the selection metrics and the top-k table.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rdq.ope import (
    LoggedData,
    assess_estimator,
    estimate_interval,
    estimate_policy_value,
    sharpe_ratio_at_k,
    topk_metrics,
)

GOLDEN = Path(__file__).parent / "golden"
ESTIMATORS = ["dm", "tis", "pdis", "dr", "sntis", "snpdis", "sndr"]


@pytest.fixture(scope="module")
def golden() -> tuple[dict, dict[str, np.ndarray]]:
    out = json.loads((GOLDEN / "scope_rl_toy.json").read_text())
    with np.load(GOLDEN / "scope_rl_toy.npz") as z:
        arrays = {k: z[k] for k in z.files}
    return out, arrays


@pytest.fixture(scope="module")
def logged(golden: tuple[dict, dict[str, np.ndarray]]) -> LoggedData:
    out, a = golden
    return LoggedData(action=a["action"], reward=a["reward"], pscore=a["pscore"], gamma=out["gamma"])


def _estimates(golden: tuple[dict, dict], logged: LoggedData, name: str) -> np.ndarray:
    out, a = golden
    return np.array([estimate_policy_value(name, logged, action_dist=a[f"{p}__dist"], q_hat=a[f"{p}__q"])
                     for p in out["policies"]])


@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_estimate_equals_scope_rl(golden: tuple[dict, dict], logged: LoggedData, name: str) -> None:
    out, a = golden
    for p in out["policies"]:
        q = a[f"{p}__q"] if name in ("dm", "dr", "sndr") else None
        v = estimate_policy_value(name, logged, action_dist=a[f"{p}__dist"], q_hat=q)
        assert v == pytest.approx(out["estimates"][p][name], abs=1e-9, rel=1e-12), (p, name)


def test_the_toy_mdp_is_not_trivial(golden: tuple[dict, dict]) -> None:
    """The estimators disagree with each other and with the truth, so equality above means something."""
    out, _ = golden
    est = out["estimates"]["soft1"]
    values = [est[e] for e in ESTIMATORS]
    assert np.ptp(values) > 1.0
    assert len({round(v, 6) for v in values}) == len(values)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_bootstrap_intervals_equal_scope_rl(golden: tuple[dict, dict], logged: LoggedData, name: str) -> None:
    out, a = golden
    for p in out["policies"]:
        ci = estimate_interval(name, logged, action_dist=a[f"{p}__dist"], q_hat=a[f"{p}__q"],
                               alpha=0.1, n_bootstrap=200, seed=12345)
        ref = out["intervals"][p][name]
        assert (ci.mean, ci.lower, ci.upper) == pytest.approx((ref["mean"], ref["lower"], ref["upper"]), abs=1e-9)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_topk_table_and_sharpe_ratio_equal_scope_rl(golden: tuple[dict, dict], logged: LoggedData,
                                                    name: str) -> None:
    out, a = golden
    true = np.array([out["estimates"][p]["on_policy"] for p in out["policies"]])
    est = _estimates(golden, logged, name)
    ref = out["topk"][name]
    table = topk_metrics(est, true, safety_threshold=out["safety_threshold"])
    for metric in ("k-th", "best", "worst", "mean", "std", "safety_violation_rate"):
        np.testing.assert_allclose(table[metric], np.array(ref[metric], dtype=float), atol=1e-9, equal_nan=True)
    jb = out["behaviour_value"] + 1e-10  # SCOPE-RL's selection adds 1e-10 to the logged mean return
    for k in range(1, len(true) + 1):
        sr = sharpe_ratio_at_k(estimated=est, true=true, behavior_value=jb, k=k, variant="scope_rl")
        expected = ref["sharpe_ratio"][k - 1]
        if np.isnan(expected):
            assert k == 1 and np.isnan(sr)
        else:
            assert sr == pytest.approx(expected, abs=1e-9), k


@pytest.mark.parametrize("name", ESTIMATORS)
def test_selection_metrics_equal_scope_rl(golden: tuple[dict, dict], logged: LoggedData, name: str) -> None:
    out, _ = golden
    true = np.array([out["estimates"][p]["on_policy"] for p in out["policies"]])
    est = _estimates(golden, logged, name)
    ref = out["selection"][name]
    got = assess_estimator(est, true, behavior_value=out["behaviour_value"], k=3,
                           safety_threshold=out["safety_threshold"])
    assert [out["policies"][i] for i in np.argsort(est)[::-1]] == ref["estimated_ranking"]
    assert got.mse == pytest.approx(ref["mean_squared_error"], abs=1e-9)
    assert got.rank_correlation == pytest.approx(ref["rank_correlation"][0], abs=1e-12)
    assert got.regret_at_k == pytest.approx(ref["regret"][0], abs=1e-9)
    assert got.type_i_error_rate == pytest.approx(ref["type_i_error_rate"])
    assert got.type_ii_error_rate == pytest.approx(ref["type_ii_error_rate"])
