"""Golden values for rdq.ope from SCOPE-RL 0.2.1 itself (run in a side venv, never by the test suite).

SCOPE-RL needs NumPy < 2, so it is not an rdq dependency. To regenerate::

    python3 -m venv /tmp/scopevenv
    /tmp/scopevenv/bin/pip install "torch==2.13.0"
    /tmp/scopevenv/bin/pip install "numpy<2" "pandas<3" scope-rl==0.2.1 d3rlpy==2.0.4 gym==0.26.2 gymnasium==0.28.1
    /tmp/scopevenv/bin/python tests/ope/golden/make_scope_rl_golden.py

It simulates a seeded tabular MDP (8 states, 3 actions, horizon 10), logs 400 trajectories of an
epsilon-greedy behaviour policy, rolls out 7 candidate policies on-policy for their true values, and
writes the inputs (``scope_rl_toy.npz``) and SCOPE-RL's outputs (``scope_rl_toy.json``) beside this file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scope_rl.ope import OffPolicyEvaluation, OffPolicySelection
from scope_rl.ope.discrete import (
    DirectMethod,
    DoublyRobust,
    PerDecisionImportanceSampling,
    SelfNormalizedDR,
    SelfNormalizedPDIS,
    SelfNormalizedTIS,
    TrajectoryWiseImportanceSampling,
)

HERE = Path(__file__).resolve().parent
S, A, H, N_LOG, N_ROLL, GAMMA = 8, 3, 10, 400, 3000, 0.95
rng = np.random.default_rng(20261202)
P = rng.dirichlet(np.ones(S), size=(S, A))            # P[s, a] -> next-state distribution
R_MEAN = rng.normal(0.0, 1.0, size=(S, A))
INIT = rng.dirichlet(np.ones(S))


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def rollout(pi: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pi: (S, A). Returns states (n, H), actions (n, H), rewards (n, H)."""
    g = np.random.default_rng(seed)
    st = np.zeros((n, H), dtype=int)
    ac = np.zeros((n, H), dtype=int)
    rw = np.zeros((n, H))
    s = g.choice(S, size=n, p=INIT)
    for t in range(H):
        u = g.random(n)
        a = (pi[s].cumsum(axis=1) < u[:, None]).sum(axis=1).clip(0, A - 1)
        st[:, t], ac[:, t] = s, a
        rw[:, t] = R_MEAN[s, a] + g.normal(0.0, 0.5, size=n)
        cum = P[s, a].cumsum(axis=1)
        s = (cum < g.random(n)[:, None]).sum(axis=1).clip(0, S - 1)
    return st, ac, rw


def q_table(pi: np.ndarray) -> np.ndarray:
    """Exact finite-horizon Q_t(s, a) of pi: (H, S, A)."""
    q = np.zeros((H, S, A))
    v_next = np.zeros(S)
    for t in reversed(range(H)):
        q[t] = R_MEAN + GAMMA * P @ v_next
        v_next = (pi * q[t]).sum(axis=1)
    return q


greedy = np.eye(A)[R_MEAN.argmax(axis=1)]
behaviour = 0.6 * greedy + 0.4 / A
candidates = {
    "greedy": 0.9 * greedy + 0.1 / A,
    "uniform": np.full((S, A), 1.0 / A),
    "anti": 0.8 * np.eye(A)[R_MEAN.argmin(axis=1)] + 0.2 / A,
}
for i in range(4):
    candidates[f"soft{i}"] = softmax(rng.normal(0.0, 1.5, size=(S, A)) + (i - 1) * R_MEAN)

state, action, reward = rollout(behaviour, N_LOG, seed=1)
pscore = behaviour[state, action]
logged_dataset = {
    "size": N_LOG * H, "n_trajectories": N_LOG, "step_per_trajectory": H, "action_type": "discrete",
    "n_actions": A, "action_dim": None, "state_dim": 1, "action_keys": None, "action_meaning": None,
    "state_keys": None, "state": state.reshape(-1, 1).astype(float), "action": action.ravel(),
    "reward": reward.ravel(), "done": np.tile(np.r_[np.zeros(H - 1), 1.0], N_LOG),
    "terminal": np.tile(np.r_[np.zeros(H - 1), 1.0], N_LOG), "info": {}, "pscore": pscore.ravel(),
    "behavior_policy": "behaviour", "dataset_id": 0,
}

input_dict: dict = {}
arrays: dict[str, np.ndarray] = {"action": action, "reward": reward, "pscore": pscore, "state": state}
q_noise = np.random.default_rng(7)
for k, (name, pi) in enumerate(candidates.items()):
    dist = pi[state]                                           # (N, H, A)
    q = q_table(pi)[np.arange(H)[None, :], state]              # (N, H, A)
    q_hat = q + q_noise.normal(0.0, 0.3, size=q.shape)         # a deliberately imperfect Q-model
    _, _, on_rw = rollout(pi, N_ROLL, seed=100 + k)
    on_policy = (on_rw * GAMMA ** np.arange(H)).sum(axis=1)
    arrays[f"{name}__dist"], arrays[f"{name}__q"], arrays[f"{name}__on_policy"] = dist, q_hat, on_policy
    input_dict[name] = {
        "evaluation_policy_action": None,
        "evaluation_policy_action_dist": dist.reshape(-1, A),
        "state_action_value_prediction": q_hat.reshape(-1, A),
        "initial_state_value_prediction": (dist[:, 0] * q_hat[:, 0]).sum(axis=1),
        "state_action_marginal_importance_weight": None, "state_marginal_importance_weight": None,
        "on_policy_policy_value": on_policy, "gamma": GAMMA,
        "behavior_policy": "behaviour", "evaluation_policy": name, "dataset_id": 0,
    }

estimators = [DirectMethod(), TrajectoryWiseImportanceSampling(), PerDecisionImportanceSampling(),
              DoublyRobust(), SelfNormalizedTIS(), SelfNormalizedPDIS(), SelfNormalizedDR()]
ope = OffPolicyEvaluation(logged_dataset=logged_dataset, ope_estimators=estimators,
                          disable_reward_after_done=False)
values = ope.estimate_policy_value(input_dict)
intervals = ope.estimate_intervals(input_dict, alpha=0.1, ci="bootstrap", n_bootstrap_samples=200,
                                   random_state=12345)
ops = OffPolicySelection(ope=ope)
threshold = float(np.median([v["on_policy"] for v in values.values()]))
selection = ops.select_by_policy_value(input_dict, return_metrics=True, top_k_in_eval_metrics=3,
                                       safety_threshold=threshold)
topk = ops.obtain_topk_policy_value_selected_by_standard_ope(
    input_dict, max_topk=len(candidates), return_safety_violation_rate=True, safety_threshold=threshold)


def f(x):  # JSON-friendly floats
    if isinstance(x, dict):
        return {k: f(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [f(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return float(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if hasattr(x, "correlation"):
        return float(x.correlation)
    return x


behaviour_value = float((reward * GAMMA ** np.arange(H)).sum(axis=1).mean())
out = {
    "gamma": GAMMA, "policies": list(candidates), "behaviour_value": behaviour_value,
    "safety_threshold": threshold,
    "estimates": f(values),
    "intervals": f({p: {e: {"mean": d["mean"], "lower": d["90.0% CI (lower)"], "upper": d["90.0% CI (upper)"]}
                        for e, d in v.items()} for p, v in intervals.items()}),
    "selection": f({e: {k: v for k, v in d.items() if k in (
        "estimated_ranking", "mean_squared_error", "rank_correlation", "regret",
        "type_i_error_rate", "type_ii_error_rate")} for e, d in selection.items()}),
    "topk": f({e: {m: np.asarray(v).ravel() for m, v in d.items()} for e, d in topk.items()}),
}
np.savez_compressed(HERE / "scope_rl_toy.npz", **arrays)
(HERE / "scope_rl_toy.json").write_text(json.dumps(out, indent=1))
print(json.dumps(out["estimates"], indent=1)[:2000])
