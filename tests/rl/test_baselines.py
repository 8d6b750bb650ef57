"""stable-baselines3 baselines on the trading env: a smoke run of PPO (and DQN), save/load, as a policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rdq.rl import (
    BaselinePolicy,
    EnvConfig,
    Market,
    load_baseline,
    rollout,
    save_baseline,
    synthetic_bars,
    train_baseline,
)

pytest.importorskip("stable_baselines3", reason="the rl baselines need stable-baselines3 (pip install 'rdq[rl]')")


def _market() -> Market:
    return Market(synthetic_bars(n_sessions=6, session_bars=20, drift=0.002, vol=0.0005),
                  EnvConfig(window=4, session_bars=20, action="continuous", fee_bps=1.0, slippage_bps=0.0))


@pytest.mark.parametrize("algo", ["ppo", "dqn"])
def test_baseline_trains_saves_loads_and_trades(algo: str, tmp_path: Path) -> None:
    market = _market()
    params = ({"n_steps": 64, "batch_size": 32, "n_epochs": 1} if algo == "ppo"
              else {"learning_starts": 32, "buffer_size": 500, "train_freq": 4})
    model = train_baseline(algo, market, [0, 1, 2, 3], total_timesteps=256, seed=0, params=params)
    assert model.rdq_action == "discrete" and model.num_timesteps >= 256
    path = save_baseline(model, tmp_path / f"{algo}.zip")
    back = load_baseline(algo, path)
    obs = market.observe(np.array([5, 25]), np.zeros(2), np.zeros(2))
    a1, _ = model.predict(obs, deterministic=True)
    a2, _ = back.predict(obs, deterministic=True)
    assert np.array_equal(a1, a2)
    ep = rollout(market, [4, 5], BaselinePolicy(algo, back))
    assert set(np.unique(ep.action)) <= {-1.0, 0.0, 1.0} and ep.length.tolist() == [19, 19]


def test_recurrent_ppo_carries_its_state(tmp_path: Path) -> None:
    pytest.importorskip("sb3_contrib", reason="RecurrentPPO needs sb3-contrib (pip install 'rdq[rl]')")
    market = _market()
    model = train_baseline("recurrent_ppo", market, [0, 1], total_timesteps=64, seed=0,
                           params={"n_steps": 32, "batch_size": 32, "n_epochs": 1})
    pol = BaselinePolicy("recurrent_ppo", load_baseline("recurrent_ppo", save_baseline(model, tmp_path / "r.zip")))
    ep = rollout(market, [4, 5], pol)
    assert pol._state is not None and ep.length.tolist() == [19, 19]


def test_unknown_baseline_names_the_nearest() -> None:
    from rdq.errors import ConfigError

    with pytest.raises(ConfigError, match="did you mean 'ppo'"):
        train_baseline("ppp", _market(), [0], total_timesteps=10)


def test_a_missing_library_is_a_config_error_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from rdq.errors import ConfigError

    monkeypatch.setitem(sys.modules, "stable_baselines3", None)  # import now fails as if not installed
    with pytest.raises(ConfigError, match=r"pip install 'rdq\[rl\]'"):
        train_baseline("ppo", _market(), [0], total_timesteps=10)
