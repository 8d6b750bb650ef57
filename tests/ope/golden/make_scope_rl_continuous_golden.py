"""Golden values for rdq.ope's continuous-action estimators from SCOPE-RL 0.2.1 itself (side venv only).

SCOPE-RL needs NumPy < 2, so it is not an rdq dependency. To regenerate (the venv of
``make_scope_rl_golden.py``)::

    python3 -m venv /tmp/scopevenv
    /tmp/scopevenv/bin/pip install "torch==2.13.0"
    /tmp/scopevenv/bin/pip install "numpy<2" "pandas<3" scope-rl==0.2.1 d3rlpy==2.0.4 gym==0.26.2 gymnasium==0.28.1
    /tmp/scopevenv/bin/python tests/ope/golden/make_scope_rl_continuous_golden.py

It simulates a seeded linear-Gaussian MDP (state in R^2, actions in R^1 and R^2, horizon 10), logs 300
trajectories of a Gaussian behaviour policy (its per-dimension densities are the pscore), takes 5
deterministic candidate policies with a deliberately imperfect Q-model, rolls each out on-policy for
its true value, and asks SCOPE-RL's continuous estimators (DM, TIS, PDIS, DR, SNTIS, SNPDIS, SNDR)
for every kernel and two bandwidths, once with a min-max action scaler, plus bootstrap intervals and
the top-k table of one configuration. Inputs go to ``scope_rl_continuous.npz``, outputs to
``scope_rl_continuous.json``, beside this file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scope_rl.utils as su
from d3rlpy.preprocessing import MinMaxActionScaler
from scope_rl.ope import OffPolicyEvaluation, OffPolicySelection
from scope_rl.ope.continuous import (
    DirectMethod,
    DoublyRobust,
    PerDecisionImportanceSampling,
    SelfNormalizedDR,
    SelfNormalizedPDIS,
    SelfNormalizedTIS,
    TrajectoryWiseImportanceSampling,
)

HERE = Path(__file__).resolve().parent
S_DIM, H, N_LOG, N_ROLL, GAMMA, SIGMA_B = 2, 10, 300, 2000, 0.95, 0.5
KERNELS = ["gaussian", "epanechnikov", "triangular", "cosine", "uniform"]
BANDWIDTHS = [0.3, 1.0]
TARGET = np.array([0.5, -0.5])
rng = np.random.default_rng(20261204)


def make_world(dim: int) -> dict[str, np.ndarray]:
    return {
        "A": 0.8 * np.eye(S_DIM) + 0.05 * rng.normal(size=(S_DIM, S_DIM)),
        "B": 0.4 * rng.normal(size=(S_DIM, dim)),
        "Kb": 0.8 * rng.normal(size=(dim, S_DIM)),
    }


def reward_mean(s: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.exp(-((s - TARGET) ** 2).sum(axis=-1)) - 0.05 * (a**2).sum(axis=-1)


def rollout(world: dict, policy, n: int, seed: int, noise: float) -> tuple[np.ndarray, ...]:
    """policy(s) -> mean action; actions are mean + noise * N(0, 1). Returns state, action, reward, mean."""
    g = np.random.default_rng(seed)
    dim = world["B"].shape[1]
    st, ac, mu = np.zeros((n, H, S_DIM)), np.zeros((n, H, dim)), np.zeros((n, H, dim))
    rw = np.zeros((n, H))
    s = g.normal(0.0, 1.0, size=(n, S_DIM))
    for t in range(H):
        m = policy(s)
        a = m + noise * g.normal(size=m.shape)
        st[:, t], ac[:, t], mu[:, t] = s, a, m
        rw[:, t] = reward_mean(s, a) + g.normal(0.0, 0.1, size=n)
        s = s @ world["A"].T + a @ world["B"].T + 0.1 * g.normal(size=s.shape)
    return st, ac, rw, mu


def q_model(world: dict, s: np.ndarray, a: np.ndarray, g: np.random.Generator) -> np.ndarray:
    """A crude Q_hat: the reward-to-go if the next state stayed put, plus noise (n, H)."""
    nxt = s @ world["A"].T + a @ world["B"].T
    steps_left = (1 - GAMMA ** (H - np.arange(H))) / (1 - GAMMA)
    return (
        reward_mean(s, a)
        + (steps_left - 1)[None, :] * 0.7 * reward_mean(nxt, 0 * a)
        + g.normal(0.0, 0.2, size=s.shape[:2])
    )


class _BoundlessClip:
    """``numpy`` for ``scope_rl.utils`` with NumPy >= 2.1's ``np.clip(x)`` (no bounds: x unchanged).

    SCOPE-RL 0.2.1's triangular, cosine and uniform kernels call ``np.clip(distance / bandwidth)``
    without bounds, which NumPy < 2 (its own pin) rejects with a TypeError; with this shim its own
    kernel code runs as newer NumPy runs it. Used only for those three kernels, and recorded.
    """

    def __getattr__(self, name: str):
        return getattr(np, name)

    @staticmethod
    def clip(a, a_min=None, a_max=None, **kwargs):
        if a_min is None and a_max is None:
            return np.array(a, copy=True)
        return np.clip(a, a_min, a_max, **kwargs)


def scope_call(kernel: str, fn):
    """Run ``fn()`` with SCOPE-RL's own kernels; the shim only where 0.2.1 cannot run at all."""
    try:
        return fn(), None
    except TypeError as exc:
        if kernel not in ("triangular", "cosine", "uniform") or "clip()" not in str(exc):
            raise
        su.np = _BoundlessClip()
        try:
            return fn(), f"{type(exc).__name__}: {exc}"
        finally:
            su.np = np


arrays: dict[str, np.ndarray] = {}
out: dict = {"gamma": GAMMA, "kernels": KERNELS, "bandwidths": BANDWIDTHS, "configs": {}, "via_ope_class": {}}
estimators = {
    "dm": DirectMethod(),
    "tis": TrajectoryWiseImportanceSampling(),
    "pdis": PerDecisionImportanceSampling(),
    "dr": DoublyRobust(),
    "sntis": SelfNormalizedTIS(),
    "snpdis": SelfNormalizedPDIS(),
    "sndr": SelfNormalizedDR(),
}
q_noise = np.random.default_rng(7)
for dim in (1, 2):
    world = make_world(dim)
    behaviour = lambda s, K=world["Kb"]: np.tanh(s @ K.T)  # noqa: E731
    state, action, reward, mean = rollout(world, behaviour, N_LOG, seed=10 + dim, noise=SIGMA_B)
    pscore = np.exp(-((action - mean) ** 2) / (2 * SIGMA_B**2)) / np.sqrt(2 * np.pi * SIGMA_B**2)  # per dim
    policies = {"behaviour_mean": world["Kb"], "zero": np.zeros_like(world["Kb"]), "opposite": -world["Kb"]}
    for i in range(2):
        policies[f"lin{i}"] = 1.2 * rng.normal(size=world["Kb"].shape)
    p = f"d{dim}__"
    arrays.update({p + "action": action, p + "reward": reward, p + "pscore": pscore})
    logged = {
        "step_per_trajectory": H,
        "action": action.reshape(-1, dim),
        "reward": reward.ravel(),
        "pscore": pscore.reshape(-1, dim),
        "gamma": GAMMA,
    }
    inputs: dict = {}
    on_policy_values: dict[str, np.ndarray] = {}
    for k, (name, K) in enumerate(policies.items()):
        ev = np.tanh(state @ K.T)  # (N, H, dim) = pi_e(s_t)
        q = np.stack([q_model(world, state, action, q_noise), q_model(world, state, ev, q_noise)], axis=2)
        _, _, on_rw, _ = rollout(
            world, lambda s, K=K: np.tanh(s @ K.T), N_ROLL, seed=100 + 10 * dim + k, noise=0.0
        )
        on_policy_values[name] = (on_rw * GAMMA ** np.arange(H)).sum(axis=1)
        arrays[p + f"{name}__evaluation_action"], arrays[p + f"{name}__q"] = ev, q
        inputs[name] = {
            "evaluation_policy_action": ev.reshape(-1, dim),
            "state_action_value_prediction": q.reshape(-1, 2),
        }
    out[f"d{dim}"] = {
        "policies": list(policies),
        "on_policy": {n: float(v.mean()) for n, v in on_policy_values.items()},
        "behaviour_value": float((reward * GAMMA ** np.arange(H)).sum(axis=1).mean()),
    }

    # 1) SCOPE-RL's public continuous estimator classes, called as OffPolicyEvaluation calls them
    configs = [(kern, bw, None) for kern in KERNELS for bw in BANDWIDTHS] + [("gaussian", 0.5, (-2.0, 2.0))]
    for kern, bw, scale in configs:
        scaler = (
            None
            if scale is None
            else MinMaxActionScaler(minimum=np.full(dim, scale[0]), maximum=np.full(dim, scale[1]))
        )
        cfg = f"d{dim}__{kern}__{bw}" + ("" if scale is None else f"__minmax{scale[0]}_{scale[1]}")
        kw = {"kernel": kern, "bandwidth": bw, "action_scaler": scaler}
        shim = None
        estimates: dict = {}
        for name in policies:
            estimates[name] = {}
            for e, est in estimators.items():
                v, why = scope_call(
                    kern,
                    lambda est=est, name=name, kw=kw, logged=logged, inputs=inputs: est.estimate_policy_value(
                        **logged, **inputs[name], **kw
                    ),
                )
                estimates[name][e], shim = v, why or shim
        entry = {
            "action_dim": dim,
            "kernel": kern,
            "bandwidth": bw,
            "action_scaler": scale,
            "scope_rl_0_2_1_raises_without_numpy2_clip": shim,
            "estimates": estimates,
        }
        if (kern, bw) in (("gaussian", 1.0), ("epanechnikov", 0.3)) and scale is None:
            entry["intervals"] = {}
            for name in policies:
                entry["intervals"][name] = {}
                for e, est in estimators.items():
                    d = est.estimate_interval(
                        **logged,
                        **inputs[name],
                        **kw,
                        alpha=0.1,
                        ci="bootstrap",
                        n_bootstrap_samples=200,
                        random_state=12345,
                    )
                    entry["intervals"][name][e] = {
                        "mean": d["mean"],
                        "lower": d["90.0% CI (lower)"],
                        "upper": d["90.0% CI (upper)"],
                    }
        out["configs"][cfg] = entry

    # 2) OffPolicyEvaluation / OffPolicySelection themselves: 0.2.1 casts the logged continuous action to
    #    int (ope.py: ``"action": self.logged_dataset["action"].astype(int)``) and offers no kernel choice
    #    (the estimators' default, gaussian); recorded so the test can show rdq reproduces even that
    logged_dataset = {
        "size": N_LOG * H,
        "n_trajectories": N_LOG,
        "step_per_trajectory": H,
        "action_type": "continuous",
        "n_actions": None,
        "action_dim": dim,
        "state_dim": S_DIM,
        "action_keys": None,
        "action_meaning": None,
        "state_keys": None,
        "state": state.reshape(-1, S_DIM),
        "action": action.reshape(-1, dim),
        "reward": reward.ravel(),
        "done": np.tile(np.r_[np.zeros(H - 1), 1.0], N_LOG),
        "terminal": np.tile(np.r_[np.zeros(H - 1), 1.0], N_LOG),
        "info": {},
        "pscore": pscore.reshape(-1, dim),
        "behavior_policy": "gaussian",
        "dataset_id": 0,
    }
    input_dict = {
        name: {
            **inputs[name],
            "evaluation_policy_action_dist": None,
            "initial_state_value_prediction": arrays[p + f"{name}__q"][:, 0, 1],
            "state_action_marginal_importance_weight": None,
            "state_marginal_importance_weight": None,
            "on_policy_policy_value": on_policy_values[name],
            "gamma": GAMMA,
            "behavior_policy": "gaussian",
            "evaluation_policy": name,
            "dataset_id": 0,
        }
        for name in policies
    }
    ope = OffPolicyEvaluation(
        logged_dataset=logged_dataset,
        ope_estimators=list(estimators.values()),
        bandwidth=1.0,
        disable_reward_after_done=False,
    )
    values = ope.estimate_policy_value(input_dict)
    threshold = float(np.median([v["on_policy"] for v in values.values()]))
    topk = OffPolicySelection(ope=ope).obtain_topk_policy_value_selected_by_standard_ope(
        input_dict, max_topk=len(policies), return_safety_violation_rate=True, safety_threshold=threshold
    )
    out["via_ope_class"][f"d{dim}"] = {
        "kernel": "gaussian",
        "bandwidth": 1.0,
        "logged_action": "astype(int)",
        "safety_threshold": threshold,
        "estimates": values,
        "topk": {e: {m: np.asarray(v).ravel() for m, v in d.items()} for e, d in topk.items()},
    }


def f(x):  # JSON-friendly floats
    if isinstance(x, dict):
        return {k: f(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [f(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return float(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    return x


np.savez_compressed(HERE / "scope_rl_continuous.npz", **arrays)
(HERE / "scope_rl_continuous.json").write_text(json.dumps(f(out), indent=1))
print(json.dumps(f(out["configs"]["d2__gaussian__1.0"]["estimates"]), indent=1))
print({c: e["scope_rl_0_2_1_raises_without_numpy2_clip"] for c, e in out["configs"].items()})
