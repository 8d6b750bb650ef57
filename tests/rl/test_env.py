"""rdq.rl._env / _market: gymnasium's checker, hand-computed accounting, no look-ahead, scalar == vectorised."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from rdq.errors import ConfigError
from rdq.rl import EnvConfig, Market, TradingEnv, VecTradingEnv, compute_features, synthetic_bars
from rdq.rl._bars import _arrays
from rdq.rl._market import DifferentialSharpe


def _bars(close: list[list[float]], opens: list[list[float]] | None = None):  # type: ignore[no-untyped-def]
    """Sessions of given closes; open = given or previous close."""
    c = np.concatenate([np.asarray(s, float) for s in close])
    o = np.concatenate([np.asarray(s, float) for s in opens]) if opens else np.concatenate([[c[0]], c[:-1]])
    sess = np.concatenate([np.full(len(s), i, np.int64) for i, s in enumerate(close)])
    day = np.datetime64("2024-01-01") + sess.astype("timedelta64[D]")
    return _arrays(o, np.maximum(o, c), np.minimum(o, c), c, np.ones(c.size), np.zeros(c.size, bool), day, sess)


@pytest.mark.parametrize("action", ["discrete", "continuous"])
@pytest.mark.parametrize("reward", ["pnl", "dsr"])
def test_gymnasium_env_checker_passes(action: str, reward: str) -> None:
    env = TradingEnv(synthetic_bars(n_sessions=3, session_bars=30), EnvConfig(window=8, session_bars=30,
                     action=action, reward=reward))  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker's warnings (bad bounds, dtypes) fail the test
        check_env(env, skip_render_check=True)


def test_next_open_accounting_by_hand() -> None:
    # one session of 4 bars; closes 100, 102, 101, 105; opens 100, 101, 103, 104; cost 10 bps per unit
    b = _bars([[100.0, 102.0, 101.0, 105.0]], [[100.0, 101.0, 103.0, 104.0]])
    env = TradingEnv(b, EnvConfig(window=2, fee_bps=8.0, slippage_bps=2.0, reward_scale=1.0, session_bars=4))
    env.reset(options={"session": 0})
    c = 0.001
    _, r0, d0, _, i0 = env.step(2)  # long at bar 1's open 101, held to its close 102
    assert r0 == pytest.approx(102 / 101 - 1 - c) and not d0 and i0["position"] == 1.0
    _, r1, _, _, _ = env.step(0)  # held long close 102 -> open 103, then short from 103 to close 101, turnover 2
    assert r1 == pytest.approx((103 / 102 - 1) - (101 / 103 - 1) - 2 * c)
    _, r2, d2, _, i2 = env.step(0)  # short overnight 101 -> open 104, short 104 -> 105; flat at the close: cost 1
    assert r2 == pytest.approx(-(104 / 101 - 1) - (105 / 104 - 1) - c) and d2 and i2["position"] == 0.0


def test_close_fill_accounting_by_hand() -> None:
    b = _bars([[100.0, 102.0, 101.0]])
    env = TradingEnv(b, EnvConfig(window=1, fill="close", fee_bps=10.0, slippage_bps=0.0, reward_scale=1.0,
                                  session_bars=3))
    env.reset(options={"session": 0})
    _, r0, _, _, _ = env.step(2)
    assert r0 == pytest.approx(102 / 100 - 1 - 0.001)
    _, r1, d1, _, _ = env.step(1)  # flatten at 102: cost only
    assert r1 == pytest.approx(-0.001) and d1


def test_observation_carries_position_and_unrealised_pnl() -> None:
    b = _bars([[100.0, 100.0, 110.0, 121.0]])
    env = TradingEnv(b, EnvConfig(window=1, session_bars=4))
    env.reset(options={"session": 0})
    obs, *_ = env.step(2)  # long from bar 1's open 100
    assert obs[-2] == 1.0 and obs[-1] == pytest.approx(0.0)
    obs, *_ = env.step(2)
    assert obs[-1] == pytest.approx(10.0)  # close 110 vs entry 100: +10%


def test_session_end_forces_flat_across_a_multi_day_episode() -> None:
    b = _bars([[100.0, 101.0, 102.0], [110.0, 111.0, 112.0]])
    env = TradingEnv(b, EnvConfig(window=1, episode_sessions=2, fee_bps=0.0, slippage_bps=0.0, reward_scale=1.0,
                                  session_bars=3))
    env.reset(options={"session": 0})
    rewards, positions = [], []
    for _ in range(5):
        _, r, done, _, info = env.step(2)
        rewards.append(r)
        positions.append(info["position"])
    # flat at each session's last bar (1 -> 0 at bar 2), and the decision taken there is forced flat
    assert done and positions == [1.0, 0.0, 0.0, 1.0, 0.0]
    # so the overnight gap 102 -> 110 is never earned
    assert rewards[1] == pytest.approx(102 / 101 - 1) and rewards[2] == 0.0
    assert rewards[3] == pytest.approx(111 / 110 - 1) and rewards[4] == pytest.approx(112 / 111 - 1)


def test_differential_sharpe_by_hand() -> None:
    eta = 0.1
    dsr = DifferentialSharpe(1, eta, clip=1e9)
    rs = [0.01, -0.02, 0.03]
    got = [float(dsr(np.array([r]))[0]) for r in rs]
    a = b = 0.0
    want = []
    for r in rs:
        da, db = r - a, r * r - b
        var = b - a * a
        want.append((b * da - 0.5 * a * db) / var**1.5 if var > 1e-18 else 0.0)
        a, b = a + eta * da, b + eta * db
    assert got == pytest.approx(want) and got[0] == 0.0 and got[1] != 0.0
    # the first non-trivial value in closed form: A1 = eta r1, B1 = eta r1^2
    r1, r2 = rs[0], rs[1]
    a1, b1 = eta * r1, eta * r1**2
    assert got[1] == pytest.approx((b1 * (r2 - a1) - 0.5 * a1 * (r2**2 - b1)) / (b1 - a1**2) ** 1.5)


def test_features_do_not_look_ahead() -> None:
    bars = synthetic_bars(n_sessions=3, session_bars=40, vol=0.003, seed=1)
    cfg = EnvConfig(window=6, session_bars=40)
    full = compute_features(bars, cfg)
    for cut in (1, 17, 40, 93):
        assert np.array_equal(compute_features(bars.slice(0, cut), cfg), full[:cut])


def test_observations_do_not_change_when_the_future_is_removed() -> None:
    bars = synthetic_bars(n_sessions=2, session_bars=50, vol=0.003, seed=2)
    cfg = EnvConfig(window=5, session_bars=50)
    cut = 50 + 23  # inside the second session
    actions = np.random.default_rng(0).integers(0, 3, 60)
    seen = []
    for b in (bars, bars.slice(0, cut)):
        env = TradingEnv(b, cfg)
        obs, _ = env.reset(options={"session": 1})
        out = [obs]
        for a in actions[:21]:  # bars 50..71 are observed, all before the cut
            obs, *_ = env.step(int(a))
            out.append(obs)
        seen.append(np.stack(out))
    assert np.array_equal(seen[0], seen[1])


@pytest.mark.parametrize("reward", ["pnl", "dsr"])
def test_vectorised_env_equals_the_scalar_one(reward: str) -> None:
    bars = synthetic_bars(n_sessions=4, session_bars=25, vol=0.002, seed=3)
    cfg = EnvConfig(window=4, session_bars=25, reward=reward, action="continuous")  # type: ignore[arg-type]
    market = Market(bars, cfg)
    sessions = np.array([2, 0, 3])
    rng = np.random.default_rng(5)
    acts = rng.uniform(-1.5, 1.5, (24, 3)).astype(np.float32)
    venv = VecTradingEnv(market, n_envs=3, autoreset=False)
    vobs = [venv.reset(sessions)]
    vrew, vdone = [], []
    for a in acts:
        o, r, d, _ = venv.step(a)
        vobs.append(o)
        vrew.append(r)
        vdone.append(d)
    for i, s in enumerate(sessions):
        env = TradingEnv(market)
        obs, _ = env.reset(options={"session": int(s)})
        assert np.array_equal(obs, vobs[0][i])
        for k, a in enumerate(acts):
            obs, r, done, _, _ = env.step(np.array([a[i]], np.float32))
            assert r == pytest.approx(vrew[k][i], abs=1e-12) and done == vdone[k][i]
            if done:
                assert k == 23
                break
            assert np.array_equal(obs, vobs[k + 1][i])
    # without autoreset a finished environment earns nothing more
    _, r, d, _ = venv.step(np.ones(3))
    assert not r.any() and not d.any()


def test_vectorised_autoreset_restarts_finished_envs() -> None:
    venv = VecTradingEnv(synthetic_bars(n_sessions=2, session_bars=5), EnvConfig(window=2, session_bars=5),
                         n_envs=4, seed=0)
    venv.reset()
    dones = [venv.step(np.full(4, 2))[2] for _ in range(8)]
    assert np.array_equal(np.array(dones).sum(0), np.full(4, 2))  # 4 steps per episode: done at steps 4 and 8
    assert math.isclose(float(venv.pos.sum()), 0.0)


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="fee_bps"):
        EnvConfig(fee_bps=-1.0)
    with pytest.raises(ConfigError, match="did you mean 'window'"):
        EnvConfig.from_dict({"windw": 3})
    with pytest.raises(ConfigError, match="episode_sessions"):
        Market(synthetic_bars(n_sessions=2, session_bars=5), EnvConfig(episode_sessions=3))
