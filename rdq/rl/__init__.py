"""Reinforcement-learning trading: bars, the trading POMDP, classical experts and QTNet.

Layered above :mod:`rdq.data` and :mod:`rdq.backtest` (cost rates); :mod:`rdq.ope` judges the policies offline.

- environment: :class:`TradingEnv`, :class:`VecTradingEnv` (:mod:`rdq.rl._env`, :mod:`rdq.rl._market`);
- experts: :data:`EXPERTS`, :func:`make_expert` (the prophet only with ``allow_lookahead=True``);
- QTNet: :class:`QTNetConfig`, :func:`train_qtnet` (:mod:`rdq.rl._train`), the networks in
  :mod:`rdq.rl._qtnet`, the replay in :mod:`rdq.rl._replay`, checkpoints and curves in :mod:`rdq.rl._qtnet_io`;
- baselines: :func:`train_baseline` (stable-baselines3 PPO / DQN, sb3-contrib RecurrentPPO; ``rdq[rl]``);
- judging: :func:`rollout`, :func:`trading_metrics`; walk-forward runs: :func:`train_run`, :func:`evaluate_run`
  (``rdq rl train`` / ``rdq rl eval``);
- OPE on the trading MDP (truth known by on-policy rollouts): :func:`log_behaviour`, :func:`behaviour_mixture`,
  :func:`policy_distributions`, :func:`true_value` (:mod:`rdq.rl._ope_log`), :func:`log_run` (``rdq rl log``,
  the files ``rdq ope run`` / ``rdq ope assess`` read).
"""

from __future__ import annotations

from rdq.rl._bars import (
    BAR_COLUMNS,
    MINUTES_PER_SESSION,
    BarArrays,
    daily_bars,
    load_minute_bars,
    resample_minutes,
    to_arrays,
)
from rdq.rl._baselines import BASELINES, BaselinePolicy, load_baseline, save_baseline, train_baseline
from rdq.rl._config import RLConfig, WalkForward, load_rl_config
from rdq.rl._env import TradingEnv, VecTradingEnv, action_to_position, position_to_action, synthetic_bars
from rdq.rl._experts import (
    EXPERTS,
    BollingerReversion,
    BuyAndHold,
    DualThrust,
    Expert,
    MACrossover,
    Prophet,
    RBreaker,
    make_expert,
)
from rdq.rl._market import FEATURES, EnvConfig, Market, compute_features, cost_rate
from rdq.rl._metrics import METRICS, annualised_sharpe, trading_metrics
from rdq.rl._ope_log import (
    DiscretePolicy,
    TradingLog,
    behaviour_mixture,
    expert_distribution,
    log_behaviour,
    policy_distributions,
    qtnet_distribution,
    true_value,
)
from rdq.rl._ope_run import log_run
from rdq.rl._qtnet import QTNetPolicy, RecurrentActor, RecurrentCritic, q_filter_bc_loss
from rdq.rl._qtnet_io import LoadedQTNet, load_checkpoint, read_curves, save_checkpoint
from rdq.rl._replay import EpisodeReplay, SequenceBatch
from rdq.rl._rollout import Episodes, ExpertPolicy, rollout
from rdq.rl._runs import evaluate_run, find_run, train_run, walk_forward_folds
from rdq.rl._train import CURVE_COLUMNS, QTNetConfig, TrainedQTNet, train_qtnet

__all__ = [
    "DiscretePolicy",
    "TradingLog",
    "behaviour_mixture",
    "expert_distribution",
    "log_behaviour",
    "log_run",
    "policy_distributions",
    "qtnet_distribution",
    "true_value",
    "BASELINES",
    "BaselinePolicy",
    "CURVE_COLUMNS",
    "EpisodeReplay",
    "Episodes",
    "ExpertPolicy",
    "LoadedQTNet",
    "METRICS",
    "QTNetConfig",
    "QTNetPolicy",
    "RLConfig",
    "RecurrentActor",
    "RecurrentCritic",
    "SequenceBatch",
    "TrainedQTNet",
    "WalkForward",
    "annualised_sharpe",
    "evaluate_run",
    "find_run",
    "load_baseline",
    "load_checkpoint",
    "load_rl_config",
    "q_filter_bc_loss",
    "read_curves",
    "rollout",
    "save_baseline",
    "save_checkpoint",
    "trading_metrics",
    "train_baseline",
    "train_qtnet",
    "train_run",
    "walk_forward_folds",
    "EXPERTS",
    "BollingerReversion",
    "BuyAndHold",
    "DualThrust",
    "Expert",
    "MACrossover",
    "Prophet",
    "RBreaker",
    "make_expert",
    "BAR_COLUMNS",
    "FEATURES",
    "MINUTES_PER_SESSION",
    "BarArrays",
    "EnvConfig",
    "Market",
    "TradingEnv",
    "VecTradingEnv",
    "action_to_position",
    "compute_features",
    "cost_rate",
    "daily_bars",
    "load_minute_bars",
    "position_to_action",
    "resample_minutes",
    "synthetic_bars",
    "to_arrays",
]
