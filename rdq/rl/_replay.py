"""Episode replay for recurrent agents: sequences with a burn-in, sampled from whole stored episodes.

An episode is stored as in :class:`~rdq.rl._rollout.Episodes` (bar indices, position and unrealised PnL,
not the observations: those are rebuilt with ``market.observe``, a few bytes a step instead of
``4 * obs_dim``). A sampled sequence starts at a step ``u`` of an episode (uniform over
``0 .. length - seq_len``, or 0 for a shorter episode) and carries::

    burn_obs  (B, burn_in, D)   the up to ``burn_in`` steps before ``u`` (right-padded), for the hidden state
    burn_len  (B,)              how many there are: min(burn_in, u) (0: the sequence starts its episode)
    obs       (B, seq_len + 1, D)   observations at u .. u + seq_len (the last one: for the bootstrap)
    action, reward, done, mask  (B, seq_len)   mask is false on padding past the episode's end
    label     (B, seq_len)      the action to imitate (a demonstrator's own decision; else the action taken)

The same class holds the agent's own experience (a ring of the latest ``capacity`` episodes) and the
demonstrations of the experts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from rdq.errors import ConfigError
from rdq.rl._market import Market
from rdq.rl._rollout import Episodes

__all__ = ["EpisodeReplay", "SequenceBatch", "load_replay_state", "replay_state"]


@dataclass(frozen=True, eq=False)
class SequenceBatch:
    """A batch of sequences as torch tensors (see the module docstring for the shapes)."""

    burn_obs: torch.Tensor
    burn_len: torch.Tensor
    obs: torch.Tensor
    action: torch.Tensor
    reward: torch.Tensor
    done: torch.Tensor
    mask: torch.Tensor
    label: torch.Tensor

    @staticmethod
    def cat(a: SequenceBatch, b: SequenceBatch) -> SequenceBatch:
        """The two batches stacked along the batch axis."""
        return SequenceBatch(*(torch.cat([getattr(a, f), getattr(b, f)]) for f in
                               ("burn_obs", "burn_len", "obs", "action", "reward", "done", "mask", "label")))

    @property
    def size(self) -> int:
        """Number of sequences."""
        return int(self.obs.shape[0])


class EpisodeReplay:
    """A buffer of whole episodes of one market.

    Parameters
    ----------
    market:
        The market the episodes were played on (rebuilds their observations).
    capacity:
        Episodes kept; the oldest are overwritten first.
    max_steps:
        Steps of the longest episode that may be added.
    """

    def __init__(self, market: Market, *, capacity: int, max_steps: int) -> None:
        if capacity < 1 or max_steps < 1:
            raise ConfigError(f"replay capacity ({capacity}) and max_steps ({max_steps}) must be >= 1")
        self.market = market
        self.capacity, self.max_steps = capacity, max_steps
        t = max_steps
        self.bar = np.zeros((capacity, t + 1), np.int64)
        self.position = np.zeros((capacity, t + 1), np.float32)
        self.upnl = np.zeros((capacity, t + 1), np.float32)
        self.action = np.zeros((capacity, t), np.float32)
        self.reward = np.zeros((capacity, t), np.float32)
        self.label = np.zeros((capacity, t), np.float32)
        self.length = np.zeros(capacity, np.int64)
        self._next = 0
        self.size = 0

    def add(self, ep: Episodes, label: np.ndarray | None = None) -> None:
        """Store every episode of ``ep`` (longer than ``max_steps``: a ``ConfigError``).

        ``label`` ``(n, T)``: the actions to imitate (default: the actions taken).
        """
        steps = ep.action.shape[1]
        if steps > self.max_steps:
            raise ConfigError(f"episodes of {steps} steps do not fit a replay of max_steps={self.max_steps}")
        for i in range(ep.n):
            j = self._next
            self.bar[j] = 0
            self.position[j] = 0.0
            self.upnl[j] = 0.0
            self.action[j] = 0.0
            self.reward[j] = 0.0
            self.label[j] = 0.0
            self.bar[j, : steps + 1] = ep.bar[i]
            self.position[j, : steps + 1] = ep.position[i]
            self.upnl[j, : steps + 1] = ep.upnl[i]
            self.action[j, :steps] = ep.action[i]
            self.reward[j, :steps] = ep.reward[i]
            self.label[j, :steps] = ep.action[i] if label is None else label[i]
            self.length[j] = ep.length[i]
            self._next = (j + 1) % self.capacity
            self.size = min(self.size + 1, self.capacity)

    @property
    def steps(self) -> int:
        """Number of stored steps."""
        return int(self.length[: self.size].sum())

    def _observe(self, ep: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Observations of steps ``t`` of episodes ``ep`` (same shape ``S``): ``S + (D,)`` float32."""
        flat_e, flat_t = ep.reshape(-1), t.reshape(-1)
        obs = self.market.observe(self.bar[flat_e, flat_t], self.position[flat_e, flat_t], self.upnl[flat_e, flat_t])
        return obs.reshape(*ep.shape, -1)

    def sample(self, batch_size: int, *, seq_len: int, burn_in: int, rng: np.random.Generator) -> SequenceBatch:
        """``batch_size`` sequences (episodes drawn with replacement; see the module docstring)."""
        if self.size == 0:
            raise ConfigError("cannot sample from an empty replay buffer")
        if seq_len < 1 or burn_in < 0:
            raise ConfigError(f"seq_len ({seq_len}) must be >= 1 and burn_in ({burn_in}) >= 0")
        ep = rng.integers(0, self.size, batch_size)
        length = self.length[ep]
        u = rng.integers(0, np.maximum(length - seq_len, 0) + 1)
        burn_len = np.minimum(burn_in, u)
        # burn-in steps u - burn_len .. u - 1, right-padded (the padding repeats a real step, then is ignored)
        k = np.arange(burn_in)[None, :]
        bt = np.where(k < burn_len[:, None], u[:, None] - burn_len[:, None] + k, 0)
        steps = np.arange(seq_len + 1)[None, :] + u[:, None]
        mask_obs = steps <= length[:, None]
        st = np.where(mask_obs, steps, length[:, None])
        eb = np.broadcast_to(ep[:, None], st.shape)
        obs = self._observe(eb, st)
        at = st[:, :seq_len]
        mask = steps[:, :seq_len] < length[:, None]
        ea = eb[:, :seq_len]
        action = np.where(mask, self.action[ea, np.minimum(at, self.max_steps - 1)], 0.0)
        reward = np.where(mask, self.reward[ea, np.minimum(at, self.max_steps - 1)], 0.0)
        label = np.where(mask, self.label[ea, np.minimum(at, self.max_steps - 1)], 0.0)
        done = mask & (steps[:, :seq_len] == length[:, None] - 1)
        burn_obs = (self._observe(np.broadcast_to(ep[:, None], bt.shape), bt) if burn_in > 0
                    else np.zeros((batch_size, 0, self.market.config.obs_dim), np.float32))
        return SequenceBatch(
            burn_obs=torch.from_numpy(np.ascontiguousarray(burn_obs)),
            burn_len=torch.from_numpy(burn_len.astype(np.int64)),
            obs=torch.from_numpy(np.ascontiguousarray(obs)),
            action=torch.from_numpy(action.astype(np.float32)),
            reward=torch.from_numpy(reward.astype(np.float32)),
            done=torch.from_numpy(done),
            mask=torch.from_numpy(mask),
            label=torch.from_numpy(label.astype(np.float32)),
        )


_REPLAY_ARRAYS = ("bar", "position", "upnl", "action", "reward", "label", "length")


def replay_state(replay: EpisodeReplay) -> dict[str, Any]:
    """The contents of ``replay`` as tensors and ints (for a resumable checkpoint, ``torch.save``-able)."""
    return {**{k: torch.from_numpy(getattr(replay, k).copy()) for k in _REPLAY_ARRAYS},
            "next": int(replay._next), "size": int(replay.size)}


def load_replay_state(replay: EpisodeReplay, state: dict[str, Any]) -> None:
    """Restore what :func:`replay_state` saved into a buffer of the same capacity and steps."""
    for k in _REPLAY_ARRAYS:
        arr = state[k].numpy()
        if arr.shape != getattr(replay, k).shape:
            raise ConfigError(f"the resume state's replay.{k} has shape {arr.shape}, the buffer "
                              f"{getattr(replay, k).shape}: the config changed; delete resume.pt to start the fold over")
        getattr(replay, k)[...] = arr
    replay._next, replay.size = int(state["next"]), int(state["size"])
