"""Baselines from kept libraries, not rewritten: stable-baselines3 PPO and DQN, sb3-contrib RecurrentPPO.

They are the optional extra ``rdq[rl]`` (``pip install 'rdq[rl]'``) and are imported only inside these
functions. Each trains on :class:`~rdq.rl.TradingEnv` over the same bars, costs and training sessions as
QTNet: DQN on the discrete actions {short, flat, long}; PPO and RecurrentPPO on ``action`` (discrete by
default, or the continuous target position). :class:`BaselinePolicy` runs a trained model in
:func:`rdq.rl._rollout.rollout` (deterministic actions; RecurrentPPO carries its LSTM state).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rdq.errors import ConfigError, did_you_mean
from rdq.rl._env import TradingEnv, action_to_position
from rdq.rl._market import Market

__all__ = ["BASELINES", "BaselinePolicy", "load_baseline", "save_baseline", "train_baseline"]

log = logging.getLogger(__name__)

#: baseline name -> (module, class, policy)
BASELINES: dict[str, tuple[str, str, str]] = {
    "ppo": ("stable_baselines3", "PPO", "MlpPolicy"),
    "dqn": ("stable_baselines3", "DQN", "MlpPolicy"),
    "recurrent_ppo": ("sb3_contrib", "RecurrentPPO", "MlpLstmPolicy"),
}


def _algo_class(name: str) -> Any:
    if name not in BASELINES:
        raise ConfigError(f"unknown baseline {name!r}{did_you_mean(name, BASELINES)}; choose from {', '.join(BASELINES)}")
    module, cls, _ = BASELINES[name]
    try:
        import importlib

        return getattr(importlib.import_module(module), cls)
    except ModuleNotFoundError:
        raise ConfigError(f"the {name} baseline needs {module.replace('_', '-')}: pip install 'rdq[rl]' "
                          "(or drop it from the config's baselines)") from None


def _action_kind(name: str, action: str) -> str:
    return "discrete" if name == "dqn" else action


def train_baseline(name: str, market: Market, sessions: Sequence[int] | np.ndarray, *, total_timesteps: int,
                   seed: int = 0, action: str = "discrete", params: dict[str, Any] | None = None) -> Any:
    """Train one baseline on the episodes starting at ``sessions``.

    Parameters
    ----------
    name:
        ``"ppo"``, ``"dqn"`` or ``"recurrent_ppo"``.
    market:
        The bars and settings (any action kind: the env is rebuilt with the baseline's).
    sessions:
        Training episode starts.
    total_timesteps:
        Environment steps of training.
    seed:
        The library's seed (its networks and the env's session draws).
    action:
        ``"discrete"`` or ``"continuous"`` for PPO / RecurrentPPO (DQN is always discrete).
    params:
        Constructor keyword arguments (``n_steps``, ``learning_rate``, ...).

    Returns
    -------
    The trained model (``model.predict``); ``model.rdq_action`` holds the action kind.

    Raises
    ------
    ConfigError
        stable-baselines3 / sb3-contrib is not installed (with the install hint), or a bad parameter.
    """
    import torch

    cls = _algo_class(name)
    kind = _action_kind(name, action)
    cfg = dataclasses.replace(market.config, action=kind)  # type: ignore[arg-type]
    env = TradingEnv(Market(market.bars, cfg) if cfg != market.config else market, cfg,
                     sessions=[int(s) for s in sessions])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    started = time.perf_counter()
    try:
        model = cls(BASELINES[name][2], env, seed=seed, device="cpu", verbose=0, **(params or {}))
        model.learn(total_timesteps=total_timesteps)
    except TypeError as exc:
        raise ConfigError(f"baselines.{name}: {exc}") from None
    finally:
        torch.set_num_threads(threads)
    model.rdq_action = kind
    log.info("%s: trained %d steps in %.1fs", name, total_timesteps, time.perf_counter() - started)
    return model


def save_baseline(model: Any, path: Path) -> Path:
    """``model.save`` to ``path`` (a ``.zip``), atomically; the action kind goes in a ``.json`` beside it."""
    import json

    from rdq.data._io import atomic_write

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            model.save(fh)

    atomic_write(path, write)
    kind = getattr(model, "rdq_action", "discrete")
    atomic_write(path.with_suffix(".json"), lambda t: t.write_text(json.dumps({"action": kind}), encoding="utf-8"))
    return path


def load_baseline(name: str, path: Path) -> Any:
    """A model saved by :func:`save_baseline`."""
    import json

    cls = _algo_class(name)
    if not Path(path).is_file():
        from rdq.errors import DataError

        raise DataError(f"{name} model not found", file=str(path), fix="retrain the run (rdq rl train)")
    model = cls.load(str(path), device="cpu")
    meta = Path(path).with_suffix(".json")
    model.rdq_action = json.loads(meta.read_text(encoding="utf-8"))["action"] if meta.is_file() else "discrete"
    return model


class BaselinePolicy:
    """A trained stable-baselines3 model as a :class:`~rdq.rl._rollout.Policy` (target positions)."""

    def __init__(self, name: str, model: Any) -> None:
        self.name = name
        self.model = model
        self.kind = getattr(model, "rdq_action", "discrete")
        self._state: Any = None
        self._start = np.ones(0, bool)

    def reset(self, sessions: np.ndarray) -> None:
        """New episodes: no recurrent state."""
        self._state = None
        self._start = np.ones(len(sessions), bool)

    def act(self, obs: np.ndarray, bar: np.ndarray) -> np.ndarray:
        """Deterministic actions, as target positions."""
        action, self._state = self.model.predict(obs, state=self._state, episode_start=self._start, deterministic=True)
        self._start = np.zeros(len(obs), bool)
        return action_to_position(action, self.kind)
