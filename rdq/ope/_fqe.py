"""Fitted-Q evaluation (FQE) in torch: the Q-model behind the ``dm``, ``dr`` and ``sndr`` estimators.

For an evaluation policy ``pi_e`` whose action distribution is known at every logged step, FQE
regresses ``Q(s_t, a_t)`` on the target ``r_t + gamma * sum_a pi_e(a|s_{t+1}) Q'(s_{t+1}, a)``
(``r_t`` alone at the last step of a trajectory), where ``Q'`` is the previous iteration's network
(the target network). The step ``t / horizon`` is an input, since a finite-horizon Q is not stationary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rdq.errors import DataError
from rdq.ope._data import LoggedData

__all__ = ["FQEConfig", "fit_fqe"]


@dataclass(frozen=True)
class FQEConfig:
    """Settings of :func:`fit_fqe`.

    Attributes
    ----------
    hidden: width of the two hidden layers of the Q network.
    n_iterations: target-network updates (one per Bellman backup; >= the horizon to propagate the
        whole return back to the first step).
    steps_per_iteration: Adam steps on mini-batches between two target updates.
    batch_size, learning_rate: the optimiser's settings.
    seed: torch seed (results are reproducible on CPU).
    """

    hidden: int = 64
    n_iterations: int = 40
    steps_per_iteration: int = 100
    batch_size: int = 512
    learning_rate: float = 1e-3
    seed: int = 0


def _features(logged: LoggedData) -> np.ndarray:
    """``(n, horizon, state_dim + 1)``: the observation and the step as a fraction of the horizon."""
    if logged.state is None:
        raise DataError("fitted-Q evaluation needs the logged observations", column="state",
                        fix="pass state=(n_trajectories, horizon, state_dim) to LoggedData")
    n, h = logged.action.shape
    step = np.broadcast_to((np.arange(h) / h)[None, :, None], (n, h, 1))
    return np.concatenate([logged.state, step], axis=2).astype(np.float32)


def fit_fqe(logged: LoggedData, action_dist: np.ndarray, *, config: FQEConfig | None = None) -> np.ndarray:
    """Fit FQE for one evaluation policy and return its ``Q_hat``, ``(n, horizon, n_actions)``.

    Parameters
    ----------
    logged:
        Behaviour trajectories with ``state``.
    action_dist:
        ``(n, horizon, n_actions)``: ``pi_e(a | s_t)`` at every logged step.
    """
    cfg = config or FQEConfig()
    dist = np.asarray(action_dist, dtype=np.float32)
    n, h = logged.action.shape
    if dist.ndim != 3 or dist.shape[:2] != (n, h):
        raise DataError(f"action_dist has shape {dist.shape}, expected {(n, h)} + (n_actions,)",
                        column="action_dist", fix="pass pi_e(a|s_t) for every logged step")
    n_actions = dist.shape[2]
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    x = torch.from_numpy(_features(logged)).reshape(n * h, -1)
    act = torch.from_numpy(logged.action.reshape(-1))
    rew = torch.from_numpy(logged.reward.astype(np.float32).reshape(-1))
    pi = torch.from_numpy(dist.reshape(n * h, n_actions))
    # the next step of row (i, t) is row (i, t + 1); the last step of a trajectory has no successor
    has_next = torch.ones(n, h, dtype=torch.bool)
    has_next[:, -1] = False
    has_next = has_next.reshape(-1)
    nxt = torch.arange(n * h) + 1
    nxt[~has_next] = 0

    net = nn.Sequential(nn.Linear(x.shape[1], cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, cfg.hidden),
                        nn.ReLU(), nn.Linear(cfg.hidden, n_actions))
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    target = nn.Sequential(*[type(m)(m.in_features, m.out_features) if isinstance(m, nn.Linear) else m
                             for m in net])
    for _ in range(cfg.n_iterations):
        target.load_state_dict(net.state_dict())
        with torch.no_grad():
            v_next = (target(x) * pi).sum(dim=1)[nxt]
            y = rew + logged.gamma * torch.where(has_next, v_next, torch.zeros_like(v_next))
        for _ in range(cfg.steps_per_iteration):
            idx = torch.randint(0, n * h, (min(cfg.batch_size, n * h),), generator=gen)
            pred = net(x[idx]).gather(1, act[idx, None])[:, 0]
            loss = torch.mean((pred - y[idx]) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        return net(x).reshape(n, h, n_actions).double().numpy()
