"""Off-policy evaluation: estimate trading policies' values from logged data, and judge the estimators.

After SCOPE-RL 0.2.1 (estimators, bootstrap intervals, top-k selection statistics) and Kiyohara et al.,
"Towards Assessing and Benchmarking Risk-Return Tradeoff of Off-Policy Evaluation" (ICLR 2024:
SharpeRatio@k). rdq does not depend on SCOPE-RL; tests/ope compares against values SCOPE-RL printed.

Public contract::

    from rdq.ope import LoggedData, estimate_policy_value, sharpe_ratio_at_k
    logged = LoggedData(action=A, reward=R, pscore=P, gamma=0.95)   # (n_traj, horizon) arrays
    v = estimate_policy_value("sndr", logged, action_dist=D, q_hat=Q)  # D, Q: (n_traj, horizon, n_actions)
    sr = sharpe_ratio_at_k(estimated=E, true=J, behavior_value=Jb, k=4, variant="scope_rl")

Continuous actions (a deterministic evaluation policy, a kernel on the action, as SCOPE-RL's
``scope_rl.ope.continuous``)::

    logged = ContinuousLoggedData(action=A, reward=R, pscore=P, gamma=0.95)  # A: (n, horizon, action_dim)
    v = estimate_policy_value("sndr", logged, evaluation_action=E, q_hat=Q2,   # E like A, Q2: (n, horizon, 2)
                              kernel="gaussian", bandwidth=0.5, action_scaler=(-1.0, 1.0))
"""

from __future__ import annotations

from rdq.ope._aggregate import (
    AGGREGATES,
    interval_estimates,
    iqm,
    performance_profile,
    probability_of_improvement,
)
from rdq.ope._assess import Assessment, assess_estimator, ranking, sharpe_ratio_at_k, topk_metrics
from rdq.ope._continuous import KERNELS, ContinuousLoggedData, kernel_density
from rdq.ope._data import LoggedData
from rdq.ope._estimators import (
    ESTIMATORS,
    EstimatorName,
    Interval,
    estimate_interval,
    estimate_policy_value,
    trajectory_values,
)
from rdq.ope._fqe import FQEConfig, fit_fqe
from rdq.ope._toy import ToyCandidate, ToyMDP, toy_mdp

__all__ = [
    "AGGREGATES",
    "interval_estimates",
    "iqm",
    "performance_profile",
    "probability_of_improvement",
    "ESTIMATORS",
    "KERNELS",
    "Assessment",
    "ContinuousLoggedData",
    "EstimatorName",
    "FQEConfig",
    "Interval",
    "LoggedData",
    "ToyCandidate",
    "ToyMDP",
    "assess_estimator",
    "estimate_interval",
    "estimate_policy_value",
    "fit_fqe",
    "kernel_density",
    "ranking",
    "sharpe_ratio_at_k",
    "topk_metrics",
    "toy_mdp",
    "trajectory_values",
]
