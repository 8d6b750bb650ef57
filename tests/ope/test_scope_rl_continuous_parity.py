"""rdq.ope's continuous-action estimators against the values SCOPE-RL 0.2.1 itself computed.

The inputs (``golden/scope_rl_continuous.npz``) and SCOPE-RL's outputs (``golden/scope_rl_continuous.json``)
were written by ``golden/make_scope_rl_continuous_golden.py`` in a side venv (SCOPE-RL needs NumPy < 2):
a seeded linear-Gaussian MDP with 1-D and 2-D actions, 5 deterministic candidate policies, 7 estimators,
every kernel at two bandwidths and one min-max action scaler, bootstrap intervals and a top-k table.
Agreement: ``|rdq - SCOPE-RL| <= 1e-9 + 1e-12 * |SCOPE-RL|`` for every number.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rdq.ope import (
    ContinuousLoggedData,
    estimate_interval,
    estimate_policy_value,
    sharpe_ratio_at_k,
    topk_metrics,
)

GOLDEN = Path(__file__).parent / "golden"
ESTIMATORS = ["dm", "tis", "pdis", "dr", "sntis", "snpdis", "sndr"]
OUT = json.loads((GOLDEN / "scope_rl_continuous.json").read_text())
CONFIGS = sorted(OUT["configs"])


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    with np.load(GOLDEN / "scope_rl_continuous.npz") as z:
        return {k: z[k] for k in z.files}


def _logged(a: dict[str, np.ndarray], dim: int) -> ContinuousLoggedData:
    p = f"d{dim}__"
    return ContinuousLoggedData(
        action=a[p + "action"], reward=a[p + "reward"], pscore=a[p + "pscore"], gamma=OUT["gamma"]
    )


def _kwargs(a: dict[str, np.ndarray], cfg: dict, policy: str) -> dict:
    p = f"d{cfg['action_dim']}__{policy}__"
    scale = cfg["action_scaler"]
    return {
        "evaluation_action": a[p + "evaluation_action"],
        "q_hat": a[p + "q"],
        "kernel": cfg["kernel"],
        "bandwidth": cfg["bandwidth"],
        "action_scaler": None if scale is None else tuple(scale),
    }


@pytest.mark.parametrize("config", CONFIGS)
def test_every_estimate_equals_scope_rl(arrays: dict[str, np.ndarray], config: str) -> None:
    cfg = OUT["configs"][config]
    logged = _logged(arrays, cfg["action_dim"])
    checked = 0
    for policy, ref in cfg["estimates"].items():
        for name in ESTIMATORS:
            v = estimate_policy_value(name, logged, **_kwargs(arrays, cfg, policy))
            assert v == pytest.approx(ref[name], abs=1e-9, rel=1e-12), (config, policy, name)
            checked += 1
    assert checked == 7 * 5


def test_the_golden_values_are_not_trivial() -> None:
    """Estimators, kernels and bandwidths disagree, so equality above means something."""
    est = OUT["configs"]["d2__gaussian__1.0"]["estimates"]["lin0"]
    assert len({round(est[e], 6) for e in ESTIMATORS}) == len(ESTIMATORS)
    tis = {c: OUT["configs"][c]["estimates"]["behaviour_mean"]["snpdis"] for c in CONFIGS}
    assert len({round(v, 6) for v in tis.values()}) >= len(CONFIGS) - 2
    assert {OUT["configs"][c]["kernel"] for c in CONFIGS} == {
        "gaussian",
        "epanechnikov",
        "triangular",
        "cosine",
        "uniform",
    }
    assert {OUT["configs"][c]["action_dim"] for c in CONFIGS} == {1, 2}


@pytest.mark.parametrize("config", [c for c in CONFIGS if "intervals" in OUT["configs"][c]])
def test_bootstrap_intervals_equal_scope_rl(arrays: dict[str, np.ndarray], config: str) -> None:
    cfg = OUT["configs"][config]
    logged = _logged(arrays, cfg["action_dim"])
    for policy, by_est in cfg["intervals"].items():
        for name in ESTIMATORS:
            ci = estimate_interval(
                name, logged, alpha=0.1, n_bootstrap=200, seed=12345, **_kwargs(arrays, cfg, policy)
            )
            ref = by_est[name]
            assert (ci.mean, ci.lower, ci.upper) == pytest.approx(
                (ref["mean"], ref["lower"], ref["upper"]), abs=1e-9
            ), (config, policy, name)


def _truncated(a: dict[str, np.ndarray], dim: int) -> ContinuousLoggedData:
    """The logged data as SCOPE-RL 0.2.1's OffPolicyEvaluation hands it to the estimators: the
    continuous action cast to int (``logged_dataset["action"].astype(int)``, truncation towards 0)."""
    p = f"d{dim}__"
    return ContinuousLoggedData(
        action=np.trunc(a[p + "action"]), reward=a[p + "reward"], pscore=a[p + "pscore"], gamma=OUT["gamma"]
    )


@pytest.mark.parametrize("dim", [1, 2])
def test_scope_rl_offpolicyevaluation_casts_the_logged_action_to_int(
    arrays: dict[str, np.ndarray], dim: int
) -> None:
    """What SCOPE-RL's meta-class returns is rdq's estimate of the truncated actions (gaussian, h = 1), and
    not the estimate of the real ones: rdq keeps the float actions, as the estimator classes take them."""
    via = OUT["via_ope_class"][f"d{dim}"]
    cfg = {"action_dim": dim, "kernel": "gaussian", "bandwidth": 1.0, "action_scaler": None}
    truncated, real = _truncated(arrays, dim), _logged(arrays, dim)
    differs = 0
    for policy, ref in via["estimates"].items():
        assert ref["on_policy"] == pytest.approx(OUT[f"d{dim}"]["on_policy"][policy], abs=1e-12)
        for name in ESTIMATORS:
            v = estimate_policy_value(name, truncated, **_kwargs(arrays, cfg, policy))
            assert v == pytest.approx(ref[name], abs=1e-9, rel=1e-12), (policy, name)
            if name != "dm":
                differs += abs(estimate_policy_value(name, real, **_kwargs(arrays, cfg, policy)) - v) > 1e-3
    assert differs >= 20


@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_topk_table_and_sharpe_ratio_equal_scope_rl(
    arrays: dict[str, np.ndarray], dim: int, name: str
) -> None:
    via = OUT["via_ope_class"][f"d{dim}"]
    cfg = {"action_dim": dim, "kernel": "gaussian", "bandwidth": 1.0, "action_scaler": None}
    pols = OUT[f"d{dim}"]["policies"]
    true = np.array([via["estimates"][p]["on_policy"] for p in pols])
    logged = _truncated(arrays, dim)
    est = np.array([estimate_policy_value(name, logged, **_kwargs(arrays, cfg, p)) for p in pols])
    ref = via["topk"][name]
    table = topk_metrics(est, true, safety_threshold=via["safety_threshold"])
    for metric in ("k-th", "best", "worst", "mean", "std", "safety_violation_rate"):
        np.testing.assert_allclose(
            table[metric], np.array(ref[metric], dtype=float), atol=1e-9, equal_nan=True
        )
    jb = (
        OUT[f"d{dim}"]["behaviour_value"] + 1e-10
    )  # SCOPE-RL's selection adds 1e-10 to the logged mean return
    for k in range(1, len(true) + 1):
        sr = sharpe_ratio_at_k(estimated=est, true=true, behavior_value=jb, k=k, variant="scope_rl")
        expected = ref["sharpe_ratio"][k - 1]
        if np.isnan(expected):
            assert k == 1 and np.isnan(sr)
        else:
            assert sr == pytest.approx(expected, abs=1e-9), k
