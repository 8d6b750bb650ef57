"""Which branch the next round works on: a linear Thompson-sampling bandit (default), round robin, random,
or a small neural bandit (a torch MLP reward model per arm with an exploration bonus).

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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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


@contextmanager
def _torch_one_thread() -> Iterator[Any]:
    """torch, with one intra-op thread while the block runs (the nets are tiny: a second thread only adds
    wake-ups, milliseconds per op on a busy machine); the previous setting is restored."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield torch
    finally:
        torch.set_num_threads(n)


class NeuralScheduler:
    """A small torch MLP reward model per arm, fit by online regression, with an exploration bonus (after
    "contextual bandits with online neural regression", and Neural-LinUCB's "deep representation and shallow
    exploration", Xu et al. 2022).

    Each arm's net is ``f(x) = w2 . h(x) + b2`` with ``h(x) = tanh(W1 x + b1)`` (``hidden`` units). After every
    observation the arm's net takes ``steps`` full-batch gradient steps (plain SGD, rate ``lr``, warm-started)
    on the squared error to the arm's rewards, divided by the pooled RMS reward so that the step size does not
    depend on the reward's units. The arm chosen maximises

        f_a(x) + beta * s * sqrt(h_a(x)^T A_a^-1 h_a(x)),      A_a = lam I + sum_i h_a(x_i) h_a(x_i)^T

    over the arm's past contexts ``x_i`` (``s``: the pooled RMS reward, 1 before any): the bonus is large where
    the arm has seen few similar contexts. ``W1`` is drawn from ``seed``, the output layer starts at 0 (an
    untried arm predicts 0 and wins on its bonus); choices are a deterministic function of the state.
    torch is imported when the scheduler is built, so importing :mod:`rdq.agent` stays light.
    """

    def __init__(
        self,
        n_features: int,
        *,
        hidden: int = 16,
        steps: int = 50,
        lr: float = 0.05,
        lam: float = 1.0,
        beta: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.n_features, self.hidden, self.steps, self.lr = n_features, hidden, steps, float(lr)
        self.lam, self.beta, self.seed = float(lam), float(beta), seed
        rng = np.random.default_rng(seed)
        self.X: dict[Branch, list[list[float]]] = {a: [] for a in _ARMS}
        self.R: dict[Branch, list[float]] = {a: [] for a in _ARMS}
        #: the reward scale each arm's net was last fit with (its output times this is a reward)
        self.scale: dict[Branch, float] = {a: 1.0 for a in _ARMS}
        self.nets: dict[Branch, Any] = {
            a: self._new_net(rng.normal(0.0, 1.0 / math.sqrt(n_features), (hidden, n_features)))
            for a in _ARMS
        }

    def _new_net(self, w1: np.ndarray) -> Any:
        import torch

        net: Any = torch.nn.Sequential(
            torch.nn.Linear(self.n_features, self.hidden), torch.nn.Tanh(), torch.nn.Linear(self.hidden, 1)
        ).double()
        with torch.no_grad():
            net[0].weight.copy_(torch.as_tensor(w1, dtype=torch.float64))
            net[0].bias.zero_()
            net[2].weight.zero_()
            net[2].bias.zero_()
        return net

    def _reward_scale(self) -> float:
        r = np.array([*self.R[_ARMS[0]], *self.R[_ARMS[1]]], dtype=np.float64)
        rms = float(np.sqrt(np.mean(r**2))) if len(r) else 0.0
        return rms if rms > 0 and math.isfinite(rms) else 1.0

    def predict(self, arm: Branch, context: np.ndarray) -> tuple[float, float]:
        """The arm's predicted reward at ``context`` and its exploration bonus (both in reward units)."""
        net = self.nets[arm]
        with _torch_one_thread() as torch, torch.no_grad():
            x = torch.as_tensor(np.asarray(context, dtype=np.float64)).reshape(1, -1)
            hx = net[1](net[0](x))
            h, f = hx[0].numpy(), float(net[2](hx)[0, 0]) * self.scale[arm]
            A = self.lam * np.eye(self.hidden)
            if self.X[arm]:
                H = net[1](net[0](torch.as_tensor(np.array(self.X[arm], dtype=np.float64)))).numpy()
                A = A + H.T @ H
        width = float(np.sqrt(max(0.0, float(h @ np.linalg.solve(A, h)))))
        return f, self.beta * self._reward_scale() * width

    def choose(self, context: np.ndarray) -> Branch:
        best, best_v = _ARMS[0], -math.inf
        for a in _ARMS:
            f, bonus = self.predict(a, context)
            if f + bonus > best_v:
                best, best_v = a, f + bonus
        return best

    def update(self, branch: Branch, context: np.ndarray, reward: float) -> None:
        self.X[branch].append([float(v) for v in np.asarray(context, dtype=np.float64)])
        self.R[branch].append(float(reward))
        scale = self._reward_scale()
        self.scale[branch] = scale
        net = self.nets[branch]
        with _torch_one_thread() as torch:
            X = torch.as_tensor(np.array(self.X[branch], dtype=np.float64))
            y = torch.as_tensor(np.array(self.R[branch], dtype=np.float64) / scale)
            params = list(net.parameters())
            for _ in range(self.steps):  # online regression: plain SGD warm-started from the last fit
                loss = ((net(X)[:, 0] - y) ** 2).mean()
                grads = torch.autograd.grad(loss, params)
                with torch.no_grad():
                    for p, g in zip(params, grads, strict=True):
                        p -= self.lr * g

    def state_dict(self) -> dict[str, Any]:
        params = {
            a.value: {k: v.detach().numpy().tolist() for k, v in self.nets[a].state_dict().items()}
            for a in _ARMS
        }
        return {
            "kind": "neural", "n_features": self.n_features, "hidden": self.hidden, "steps": self.steps, "lr": self.lr,
            "lam": self.lam, "beta": self.beta, "seed": self.seed, "params": params,
            "scale": {a.value: self.scale[a] for a in _ARMS},
            "X": {a.value: self.X[a] for a in _ARMS}, "R": {a.value: self.R[a] for a in _ARMS},
        }  # fmt: skip

    def load_state(self, state: dict[str, Any]) -> None:
        """Set the learned state (parameters, observations, scales) from :meth:`state_dict`."""
        import torch

        for a in _ARMS:
            self.nets[a].load_state_dict(
                {k: torch.as_tensor(v, dtype=torch.float64) for k, v in state["params"][a.value].items()}
            )
            self.X[a] = [list(map(float, x)) for x in state["X"][a.value]]
            self.R[a] = [float(v) for v in state["R"][a.value]]
            self.scale[a] = float(state["scale"][a.value])


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
        n = NeuralScheduler(
            state["n_features"], hidden=state["hidden"], steps=state["steps"], lr=state["lr"],
            lam=state["lam"], beta=state["beta"], seed=state["seed"],
        )  # fmt: skip
        n.load_state(state)
        return n
    raise ConfigError(f"unknown scheduler state kind {kind!r}")
