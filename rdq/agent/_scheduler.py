"""Which branch the next round works on: a linear Thompson-sampling bandit (default), round robin, random,
or a small neural bandit.

The bandit's context is the current SOTA's validation metrics (:data:`CONTEXT_KEYS`, typed metric keys: a
misspelt key raises instead of reading a constant zero, the bug RD-Agent(Q)'s bandit had), the round's
progress and a bias; its reward is the objective's improvement per minute of the round.

Linear Thompson sampling, one Bayesian linear regression per arm (prior ``theta ~ N(0, I / lam)``,
noise ``N(0, s^2)``)::

    P <- P + x x^T / s^2        b <- b + r x / s^2        mu = P^-1 b        theta ~ N(mu, v^2 P^-1)

and the arm with the largest ``theta . x`` is chosen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, Protocol

import numpy as np

from rdq.agent._types import Branch
from rdq.errors import ConfigError
from rdq.metrics import Metric, RiskSeries, metric_key, signal_key

__all__ = [
    "Scheduler",
    "LinearThompsonScheduler",
    "RoundRobinScheduler",
    "RandomScheduler",
    "NeuralScheduler",
    "make_scheduler",
    "load_scheduler",
    "context_features",
    "CONTEXT_KEYS",
    "N_CONTEXT_FEATURES",
]

#: SOTA metrics the bandit's context is made of (flat keys of rdq.metrics)
CONTEXT_KEYS: tuple[str, ...] = (
    signal_key(Metric.IC),
    signal_key(Metric.RANK_IC),
    signal_key(Metric.ICIR),
    metric_key(RiskSeries.EXCESS_WITH_COST, Metric.ANNUALIZED_RETURN),
    metric_key(RiskSeries.EXCESS_WITH_COST, Metric.INFORMATION_RATIO),
    metric_key(RiskSeries.EXCESS_WITH_COST, Metric.MAX_DRAWDOWN),
)
#: one value per key, one missing indicator per key, the round's progress, a bias
N_CONTEXT_FEATURES = 2 * len(CONTEXT_KEYS) + 2
_ARMS = (Branch.FACTOR, Branch.MODEL)


def context_features(sota_metrics: Mapping[str, float], *, round: int, n_rounds: int) -> np.ndarray:
    """The context vector, shape ``(N_CONTEXT_FEATURES,)``: values (NaN/missing -> 0), missing flags, progress, 1.

    The keys are built from the typed :class:`rdq.metrics.Metric` members, so none can be misspelt; a key
    absent from ``sota_metrics`` sets its missing flag rather than passing as a silent zero.
    """
    vals, missing = [], []
    for k in CONTEXT_KEYS:
        v = sota_metrics.get(k)
        ok = v is not None and math.isfinite(float(v))
        vals.append(float(v) if ok else 0.0)  # type: ignore[arg-type]
        missing.append(0.0 if ok else 1.0)
    return np.array([*vals, *missing, round / max(1, n_rounds), 1.0], dtype=np.float64)


class Scheduler(Protocol):
    """Chooses the branch of a round and learns from the round's reward."""

    def choose(self, context: np.ndarray) -> Branch: ...

    def update(self, branch: Branch, context: np.ndarray, reward: float) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...


def _rng_state(rng: np.random.Generator) -> dict[str, Any]:
    return dict(rng.bit_generator.state)


def _rng_from(state: dict[str, Any]) -> np.random.Generator:
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    return rng


class LinearThompsonScheduler:
    """Linear Thompson sampling over the two branches (module docstring)."""

    def __init__(
        self, n_features: int, *, lam: float = 1.0, noise_sd: float = 1.0, v: float = 1.0, seed: int = 0
    ) -> None:
        self.n_features, self.lam, self.noise_sd, self.v = n_features, float(lam), float(noise_sd), float(v)
        self.P = {a: np.eye(n_features) * self.lam for a in _ARMS}
        self.b = {a: np.zeros(n_features) for a in _ARMS}
        self.rng = np.random.default_rng(seed)

    def mean(self, arm: Branch) -> np.ndarray:
        """The posterior mean ``P^-1 b`` of an arm's weights."""
        return np.linalg.solve(self.P[arm], self.b[arm])

    def covariance(self, arm: Branch) -> np.ndarray:
        """The posterior covariance ``P^-1`` (before the ``v^2`` inflation of sampling)."""
        return np.linalg.inv(self.P[arm])

    def choose(self, context: np.ndarray) -> Branch:
        x = np.asarray(context, dtype=np.float64)
        best, best_v = _ARMS[0], -math.inf
        for a in _ARMS:
            theta = self.rng.multivariate_normal(
                self.mean(a), self.v**2 * self.covariance(a), method="cholesky"
            )
            val = float(theta @ x)
            if val > best_v:
                best, best_v = a, val
        return best

    def update(self, branch: Branch, context: np.ndarray, reward: float) -> None:
        x = np.asarray(context, dtype=np.float64)
        s2 = self.noise_sd**2
        self.P[branch] = self.P[branch] + np.outer(x, x) / s2
        self.b[branch] = self.b[branch] + float(reward) * x / s2

    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": "bandit", "n_features": self.n_features, "lam": self.lam, "noise_sd": self.noise_sd, "v": self.v,
            "P": {a.value: self.P[a].tolist() for a in _ARMS}, "b": {a.value: self.b[a].tolist() for a in _ARMS},
            "rng": _rng_state(self.rng),
        }  # fmt: skip


class RoundRobinScheduler:
    """factor, model, factor, ... (``start`` first)."""

    def __init__(self, *, start: Branch = Branch.FACTOR) -> None:
        self.start, self.n = start, 0

    def choose(self, context: np.ndarray) -> Branch:
        i = (_ARMS.index(self.start) + self.n) % 2
        self.n += 1
        return _ARMS[i]

    def update(self, branch: Branch, context: np.ndarray, reward: float) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {"kind": "round_robin", "start": self.start.value, "n": self.n}


class RandomScheduler:
    """Each branch with probability 1/2."""

    def __init__(self, *, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def choose(self, context: np.ndarray) -> Branch:
        return _ARMS[int(self.rng.integers(0, 2))]

    def update(self, branch: Branch, context: np.ndarray, reward: float) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {"kind": "random", "rng": _rng_state(self.rng)}


class NeuralScheduler:
    """A small MLP reward model per arm, refit by online regression on every observed (context, reward), with a
    NeuralLinear exploration bonus: Thompson sampling on a Bayesian linear head over the net's last hidden
    layer (after "contextual bandits with online neural regression" / Riquelme et al. 2018's NeuralLinear).
    Plain numpy (one hidden layer of ``hidden`` tanh units, full-batch gradient steps): tiny and seeded.
    """

    def __init__(
        self, n_features: int, *, hidden: int = 16, steps: int = 50, lr: float = 0.05, seed: int = 0
    ) -> None:
        self.n_features, self.hidden, self.steps, self.lr = n_features, hidden, steps, lr
        self.rng = np.random.default_rng(seed)
        self.W = {a: self.rng.normal(0, 1 / math.sqrt(n_features), (n_features, hidden)) for a in _ARMS}
        self.X: dict[Branch, list[list[float]]] = {a: [] for a in _ARMS}
        self.R: dict[Branch, list[float]] = {a: [] for a in _ARMS}

    def _features(self, arm: Branch, x: np.ndarray) -> np.ndarray:
        return np.tanh(np.asarray(x) @ self.W[arm])

    def choose(self, context: np.ndarray) -> Branch:
        best, best_v = _ARMS[0], -math.inf
        for a in _ARMS:
            h = self._features(a, context)
            if self.X[a]:
                H = self._features(a, np.array(self.X[a]))
                P = np.eye(self.hidden) + H.T @ H
                mu = np.linalg.solve(P, H.T @ np.array(self.R[a]))
                theta = self.rng.multivariate_normal(mu, np.linalg.inv(P), method="cholesky")
            else:
                theta = self.rng.normal(0, 1, self.hidden)
            v = float(theta @ h)
            if v > best_v:
                best, best_v = a, v
        return best

    def update(self, branch: Branch, context: np.ndarray, reward: float) -> None:
        self.X[branch].append([float(v) for v in context])
        self.R[branch].append(float(reward))
        X, r = np.array(self.X[branch]), np.array(self.R[branch])
        for _ in range(self.steps):  # online regression: refit the hidden layer with a least-squares head
            H = np.tanh(X @ self.W[branch])
            w = np.linalg.solve(np.eye(self.hidden) + H.T @ H, H.T @ r)
            err = H @ w - r
            grad = X.T @ ((err[:, None] * w[None, :]) * (1 - H**2)) / len(r)
            self.W[branch] = self.W[branch] - self.lr * grad

    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": "neural", "n_features": self.n_features, "hidden": self.hidden, "steps": self.steps, "lr": self.lr,
            "W": {a.value: self.W[a].tolist() for a in _ARMS}, "X": {a.value: self.X[a] for a in _ARMS},
            "R": {a.value: self.R[a] for a in _ARMS}, "rng": _rng_state(self.rng),
        }  # fmt: skip


def make_scheduler(
    name: Literal["bandit", "round_robin", "random", "neural"],
    *,
    n_features: int = N_CONTEXT_FEATURES,
    seed: int = 0,
) -> Scheduler:
    """A new scheduler by name."""
    if name == "bandit":
        return LinearThompsonScheduler(n_features, seed=seed)
    if name == "round_robin":
        return RoundRobinScheduler()
    if name == "random":
        return RandomScheduler(seed=seed)
    if name == "neural":
        return NeuralScheduler(n_features, seed=seed)
    raise ConfigError(f"scheduler {name!r}: choose bandit, round_robin, random or neural")


def load_scheduler(state: dict[str, Any]) -> Scheduler:
    """Rebuild a scheduler from its ``state_dict()`` (a resumed run continues the same choices)."""
    kind = state["kind"]
    if kind == "bandit":
        s = LinearThompsonScheduler(
            state["n_features"], lam=state["lam"], noise_sd=state["noise_sd"], v=state["v"]
        )
        s.P = {a: np.array(state["P"][a.value]) for a in _ARMS}
        s.b = {a: np.array(state["b"][a.value]) for a in _ARMS}
        s.rng = _rng_from(state["rng"])
        return s
    if kind == "round_robin":
        r = RoundRobinScheduler(start=Branch(state["start"]))
        r.n = int(state["n"])
        return r
    if kind == "random":
        q = RandomScheduler()
        q.rng = _rng_from(state["rng"])
        return q
    if kind == "neural":
        n = NeuralScheduler(state["n_features"], hidden=state["hidden"], steps=state["steps"], lr=state["lr"])
        n.W = {a: np.array(state["W"][a.value]) for a in _ARMS}
        n.X = {a: [list(map(float, x)) for x in state["X"][a.value]] for a in _ARMS}
        n.R = {a: [float(v) for v in state["R"][a.value]] for a in _ARMS}
        n.rng = _rng_from(state["rng"])
        return n
    raise ConfigError(f"unknown scheduler state kind {kind!r}")
