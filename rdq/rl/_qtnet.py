"""QTNet's networks: a GRU encoder of the observation window, a recurrent actor and a recurrent critic.

After QTNet / iRDPG (a POMDP over noisy bars, recurrent deterministic policy gradient, imitation of
classical rules with a Q-filter). Shapes (``B`` sequences, ``T`` steps, ``D = window * n_features + 2``)::

    obs (B, T, D) --WindowEncoder--> z (B, T, E + 2)    a GRU over each step's window of W feature rows;
                                                        the position and unrealised PnL are appended
    actor:  z --GRU--> h (B, T, H) --MLP, tanh--> mu (B, T) in [-1, 1]     (the target position)
    critic: z --GRU--> h (B, T, H); [h, a] --MLP--> Q (B, T)

The GRU across steps is the POMDP's memory; the hidden state at a sequence's start comes from a
**burn-in** (:meth:`RecurrentActor.warm_up`): the steps just before it, run without gradients.

:func:`q_filter_bc_loss` is the behaviour-cloning term with the Q-filter of Nair et al. (2018): clone the
expert's action only where the critic rates it above the actor's own action.

Examples
--------
>>> import torch
>>> actor = RecurrentActor(window=4, n_features=9, encoder_hidden=8, hidden=16)
>>> mu, h = actor(torch.zeros(2, 5, 4 * 9 + 2))
>>> tuple(mu.shape), tuple(h.shape)
((2, 5), (1, 2, 16))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

__all__ = [
    "QTNetPolicy",
    "RecurrentActor",
    "RecurrentCritic",
    "WindowEncoder",
    "discretize_position",
    "q_filter_bc_loss",
    "soft_update",
    "torch_threads",
]


@contextmanager
def torch_threads(n: int = 1) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)`` (0: unchanged), restoring the count after.

    These networks are small: one thread is fastest, and several threads on a busy machine are many times slower.
    """
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class WindowEncoder(nn.Module):
    """A GRU over the observation window of every step.

    Parameters
    ----------
    window, n_features:
        The observation holds ``window`` rows of ``n_features`` features (row-major), then the position and
        the unrealised PnL.
    hidden:
        Width ``E`` of the GRU.
    """

    def __init__(self, window: int, n_features: int, hidden: int) -> None:
        super().__init__()
        self.window, self.n_features, self.hidden = window, n_features, hidden
        self.gru = nn.GRU(n_features, hidden, batch_first=True)

    @property
    def out_dim(self) -> int:
        """``E + 2``."""
        return self.hidden + 2

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """``(..., D)`` observations -> ``(..., E + 2)`` codes."""
        lead = obs.shape[:-1]
        win = obs[..., :-2].reshape(-1, self.window, self.n_features)
        _, h = self.gru(win)
        return torch.cat([h[0].reshape(*lead, self.hidden), obs[..., -2:]], dim=-1)


class _Recurrent(nn.Module):
    """Window encoder, then a GRU across the steps of an episode."""

    def __init__(self, window: int, n_features: int, *, encoder_hidden: int, hidden: int) -> None:
        super().__init__()
        self.encoder = WindowEncoder(window, n_features, encoder_hidden)
        self.gru = nn.GRU(self.encoder.out_dim, hidden, batch_first=True)
        self.hidden = hidden

    def memory(self, obs: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The memory at every step: ``obs (B, T, D)``, ``h0 (1, B, H)`` -> ``(B, T, H)`` and ``h_n (1, B, H)``."""
        out, h = self.gru(self.encoder(obs), h0)
        return out, h

    @torch.no_grad()
    def warm_up(self, burn_obs: torch.Tensor, burn_len: torch.Tensor) -> torch.Tensor:
        """Hidden state after a burn-in, without gradients.

        Parameters
        ----------
        burn_obs:
            ``(B, L, D)``: sequence ``i``'s burn-in steps in ``burn_obs[i, :burn_len[i]]`` (right-padded).
        burn_len:
            ``(B,)`` int: burn-in steps of each sequence (0: the sequence starts its episode, state zero).

        Returns
        -------
        torch.Tensor
            ``(1, B, H)``.
        """
        b = burn_obs.shape[0]
        h = torch.zeros(1, b, self.hidden)
        if burn_obs.shape[1] == 0 or not bool((burn_len > 0).any()):
            return h
        z = self.encoder(burn_obs)
        packed = pack_padded_sequence(z, burn_len.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        _, hn = self.gru(packed)
        return torch.where((burn_len > 0)[None, :, None], hn, h)


class RecurrentActor(_Recurrent):
    """The deterministic policy ``mu(history) in [-1, 1]`` (a target position)."""

    def __init__(self, window: int, n_features: int, *, encoder_hidden: int = 32, hidden: int = 64) -> None:
        super().__init__(window, n_features, encoder_hidden=encoder_hidden, hidden=hidden)
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, obs: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``obs (B, T, D)`` -> actions ``(B, T)`` and the last hidden state ``(1, B, H)``."""
        mem, h = self.memory(obs, h0)
        return torch.tanh(self.head(mem))[..., 0], h


class RecurrentCritic(_Recurrent):
    """``Q(history, a)``: the memory of the observations, and the action through the head."""

    def __init__(self, window: int, n_features: int, *, encoder_hidden: int = 32, hidden: int = 64) -> None:
        super().__init__(window, n_features, encoder_hidden=encoder_hidden, hidden=hidden)
        self.head = nn.Sequential(nn.Linear(hidden + 1, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def q(self, mem: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """``mem (B, T, H)``, ``action (B, T)`` -> ``Q (B, T)``."""
        return self.head(torch.cat([mem, action[..., None]], dim=-1))[..., 0]

    def forward(self, obs: torch.Tensor, action: torch.Tensor,
                h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``obs (B, T, D)``, ``action (B, T)`` -> ``Q (B, T)`` and the last hidden state."""
        mem, h = self.memory(obs, h0)
        return self.q(mem, action), h


def soft_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    """Polyak averaging of the parameters: ``target <- (1 - tau) target + tau source``."""
    with torch.no_grad():
        for t, s in zip(target.parameters(), source.parameters(), strict=True):
            t.mul_(1.0 - tau).add_(s, alpha=tau)


def q_filter_bc_loss(actor_action: torch.Tensor, expert_action: torch.Tensor, q_actor: torch.Tensor,
                     q_expert: torch.Tensor, mask: torch.Tensor, *,
                     use_filter: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Behaviour cloning with a Q-filter.

    ``L = sum_t keep_t (mu_t - a^E_t)**2 / sum_t mask_t`` with ``keep_t = mask_t and Q(h_t, a^E_t) > Q(h_t, mu_t)``
    (``keep = mask`` without the filter): the expert is cloned only where the critic rates its action higher.

    Parameters
    ----------
    actor_action:
        ``(B, T)`` the actor's actions (the gradient flows through them).
    expert_action:
        ``(B, T)`` the demonstrated actions.
    q_actor, q_expert:
        ``(B, T)`` critic values of the two (treated as constants).
    mask:
        ``(B, T)`` bool: real (not padded) demonstration steps.
    use_filter:
        Apply the Q-filter.

    Returns
    -------
    loss, kept:
        The scalar loss and the share of real steps the filter kept.
    """
    valid = mask.to(actor_action.dtype)
    keep = valid * (q_expert.detach() > q_actor.detach()).to(actor_action.dtype) if use_filter else valid
    n = valid.sum().clamp(min=1.0)
    loss = (keep * (actor_action - expert_action) ** 2).sum() / n
    return loss, keep.sum() / n


def discretize_position(u: np.ndarray, threshold: float = 1.0 / 3.0) -> np.ndarray:
    """``{short, flat, long}`` from the actor's output: ``-1`` below ``-threshold``, ``1`` above it, else ``0``."""
    return np.where(u > threshold, 1.0, np.where(u < -threshold, -1.0, 0.0))


class QTNetPolicy:
    """The actor acting in :func:`rdq.rl._rollout.rollout`: carries the GRU's state from step to step.

    Parameters
    ----------
    actor:
        The trained actor.
    discretize:
        Trade ``{-1, 0, 1}`` (:func:`discretize_position`) instead of the raw output.
    noise:
        Standard deviation of the Gaussian exploration noise added to the output (0: greedy).
    rng:
        Source of the noise.
    """

    name = "qtnet"

    def __init__(self, actor: RecurrentActor, *, discretize: bool = True, noise: float = 0.0,
                 rng: np.random.Generator | None = None) -> None:
        self.actor = actor
        self.discretize = discretize
        self.noise = noise
        self.rng = rng or np.random.default_rng(0)
        self._h: torch.Tensor | None = None

    def reset(self, sessions: np.ndarray) -> None:
        """Start ``len(sessions)`` episodes (zero memory)."""
        self._h = torch.zeros(1, len(sessions), self.actor.hidden)

    def act(self, obs: np.ndarray, bar: np.ndarray) -> np.ndarray:
        """Target positions ``(n,)`` for observations ``(n, D)``."""
        with torch.no_grad():
            mu, self._h = self.actor(torch.from_numpy(np.ascontiguousarray(obs, np.float32))[:, None], self._h)
        u = mu[:, 0].double().numpy()
        if self.noise > 0:
            u = np.clip(u + self.noise * self.rng.standard_normal(u.shape), -1.0, 1.0)
        return discretize_position(u) if self.discretize else u
