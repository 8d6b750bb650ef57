"""A seeded tabular MDP whose policies' true values are known: logged data and candidates for OPE demos.

States ``0..n_states-1`` (observed one-hot), ``n_actions`` actions, a fixed horizon; rewards
``R[s, a] + N(0, noise)``; the behaviour policy is epsilon-greedy on ``R``. Each candidate comes with its
action distribution at the logged steps, its exact finite-horizon ``Q`` (by dynamic programming) and its
true value (exact, from the same recursion: no rollout noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rdq.ope._data import LoggedData

__all__ = ["ToyCandidate", "ToyMDP", "toy_mdp"]


@dataclass(frozen=True, eq=False)
class ToyCandidate:
    """One candidate policy: ``pi`` ``(n_states, n_actions)``, ``action_dist`` / ``q`` at the logged steps."""

    name: str
    pi: np.ndarray
    action_dist: np.ndarray
    q: np.ndarray
    true_value: float


@dataclass(frozen=True, eq=False)
class ToyMDP:
    """Logged data of the behaviour policy, its exact value and the candidates."""

    logged: LoggedData
    behavior_value: float
    candidates: list[ToyCandidate]


def toy_mdp(*, n_states: int = 8, n_actions: int = 3, horizon: int = 10, n_trajectories: int = 400,
            n_candidates: int = 8, epsilon: float = 0.4, gamma: float = 0.95, noise: float = 0.5,
            seed: int = 0) -> ToyMDP:
    """Simulate the MDP (see the module docstring); equal seeds give equal data."""
    g = np.random.default_rng(seed)
    trans = g.dirichlet(np.ones(n_states), size=(n_states, n_actions))
    reward_mean = g.normal(0.0, 1.0, size=(n_states, n_actions))
    init = g.dirichlet(np.ones(n_states))

    def exact(pi: np.ndarray) -> tuple[np.ndarray, float]:
        q = np.zeros((horizon, n_states, n_actions))
        v = np.zeros(n_states)
        for t in reversed(range(horizon)):
            q[t] = reward_mean + gamma * trans @ v
            v = (pi * q[t]).sum(axis=1)
        return q, float(init @ v)

    greedy = np.eye(n_actions)[reward_mean.argmax(axis=1)]
    behaviour = (1 - epsilon) * greedy + epsilon / n_actions
    state = np.zeros((n_trajectories, horizon), dtype=np.int64)
    action = np.zeros_like(state)
    reward = np.zeros((n_trajectories, horizon))
    s = g.choice(n_states, size=n_trajectories, p=init)
    for t in range(horizon):
        a = (behaviour[s].cumsum(axis=1) < g.random(n_trajectories)[:, None]).sum(axis=1).clip(0, n_actions - 1)
        state[:, t], action[:, t] = s, a
        reward[:, t] = reward_mean[s, a] + g.normal(0.0, noise, size=n_trajectories)
        s = (trans[s, a].cumsum(axis=1) < g.random(n_trajectories)[:, None]).sum(axis=1).clip(0, n_states - 1)
    logged = LoggedData(action=action, reward=reward, pscore=behaviour[state, action], gamma=gamma,
                        state=np.eye(n_states)[state])
    candidates = []
    for i in range(n_candidates):
        # from anti-greedy (-1) to sharply greedy (+4): some candidates beat the behaviour policy, some lose
        logits = g.normal(0.0, 1.5, size=(n_states, n_actions)) + (5 * i / max(n_candidates - 1, 1) - 1) * reward_mean
        pi = np.exp(logits - logits.max(axis=1, keepdims=True))
        pi /= pi.sum(axis=1, keepdims=True)
        q, value = exact(pi)
        candidates.append(ToyCandidate(name=f"policy_{i}", pi=pi, action_dist=pi[state],
                                       q=q[np.arange(horizon)[None, :], state], true_value=value))
    return ToyMDP(logged=logged, behavior_value=exact(behaviour)[1], candidates=candidates)
