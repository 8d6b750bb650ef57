"""OPE on the trading MDP: ``rdq rl log`` -> ``rdq ope run`` -> ``rdq ope assess`` on a tiny synthetic run.

The truth is checked by hand: buy-and-hold's on-policy value from the close prices and the cost rate, the
behaviour's pscores from the experts' positions, and an importance-sampling estimate on logged data of the
target policy itself equal to the on-policy mean.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdq.cli import app
from rdq.ope._files import load_logged, load_policies
from rdq.rl import load_rl_config, make_expert, train_run
from rdq.rl._ope_log import behaviour_mixture, expert_distribution, log_behaviour, one_hot_positions
from rdq.rl._runs import load_bars, market_for

CONFIG = """
name: tiny_ope
seed: 1
data:
  synthetic: {n_sessions: 8, session_bars: 30, drift: 0.0002, vol: 0.002, seed: 4}
env: {window: 4, session_bars: 30, reward: pnl, fee_bps: 2.0, slippage_bps: 1.0, reward_scale: 100.0, fill: close}
walk_forward: {unit: session, train: 5, test: 3, folds: 1}
qtnet: {encoder_hidden: 4, hidden: 8, iterations: 2, episodes_per_iteration: 2, updates_per_iteration: 2,
        batch_size: 4, demo_batch_size: 2, seq_len: 4, burn_in: 2, demonstrators: [buy_and_hold],
        eval_every: 2, checkpoint_every: 1}
baselines: {}
experts: {ma_crossover: {fast: 3, slow: 8}, bollinger: {}, buy_and_hold: {}}
"""
EXPERTS = ["ma_crossover", "bollinger", "buy_and_hold"]
CANDIDATES = sorted([*EXPERTS, "qtnet_iter_0001", "qtnet_iter_0002", "qtnet_final"])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    ws = tmp_path_factory.mktemp("ws")
    cfg_path = ws / "tiny.yaml"
    cfg_path.write_text(CONFIG, encoding="utf-8")
    return train_run(load_rl_config(cfg_path), workspace=ws), ws


def _invoke(args: list[str]) -> dict:
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _ope_run(out: Path, n_bootstrap: int) -> dict:
    """``rdq ope run --json`` on what ``rdq rl log`` wrote to ``out``."""
    return _invoke(
        ["ope", "run", "--logged", str(out / "logged.npz"), "--policies", str(out / "policies"),
         "--n-bootstrap", str(n_bootstrap), "--json"]
    )  # fmt: skip


def _log(run: tuple[Path, Path], out: Path, *extra: str) -> dict:
    folder, ws = run
    return _invoke(
        [
            "rl",
            "log",
            folder.name,
            "--workspace",
            str(ws),
            "--out",
            str(out),
            "--horizon",
            "10",
            "--json",
            *extra,
        ]
    )


def test_log_run_assess_end_to_end(run: tuple[Path, Path], tmp_path: Path) -> None:
    res = _log(run, tmp_path, "--n-trajectories", "7", "--epsilon", "0.25", "--true-repeats", "3")
    assert res["n_trajectories"] == 7 and res["behaviour"] == EXPERTS and res["epsilon"] == 0.25
    logged = load_logged(tmp_path / "logged.npz")  # rdq.ope's own reader
    assert logged.action.shape == (7, 10) and logged.gamma == 0.95 and logged.state is not None
    pols = load_policies(tmp_path / "policies")
    assert [p.name for p in pols] == CANDIDATES
    for p in pols:
        assert p.action_dist.shape == (7, 10, 3) and p.q_hat is None
        np.testing.assert_allclose(p.action_dist.sum(axis=2), 1.0)
        assert p.true_value == pytest.approx(res["true_values"][p.name], abs=1e-12)
        assert p.action_dist.min() >= 0.1 / 3 - 1e-12  # softened by the default 10% uniform
    assert logged.behavior_value == pytest.approx(res["behavior_value_logged"], abs=1e-12)
    # the test sessions of the fold, cycled to 7 trajectories
    z = np.load(tmp_path / "logged.npz")
    test = json.loads((run[0] / "run.json").read_text())["folds"][0]["test"]
    assert z["sessions"].tolist() == np.resize(test, 7).tolist()

    est = _ope_run(tmp_path, 20)
    assert est["behavior_value"] == pytest.approx(logged.behavior_value, abs=1e-12)
    assert set(est["estimates"]) == set(CANDIDATES)
    assert all(
        set(v) == {"tis", "pdis", "sntis", "snpdis"} for v in est["estimates"].values()
    )  # no q_hat: no DM/DR
    ass = _invoke(
        [
            "ope",
            "assess",
            "--logged",
            str(tmp_path / "logged.npz"),
            "--policies",
            str(tmp_path / "policies"),
            "--k",
            "3",
            "--json",
        ]
    )
    assert set(ass["assessment"]) == {"tis", "pdis", "sntis", "snpdis"} and ass["k"] == 3
    for a in ass["assessment"].values():
        assert a["nmse"] is not None and a["nmse"] >= 0 and -1 <= a["rank_correlation"] <= 1


def test_behaviour_pscores_are_the_mixture(run: tuple[Path, Path], tmp_path: Path) -> None:
    _log(
        run,
        tmp_path,
        "--n-trajectories",
        "6",
        "--epsilon",
        "0.4",
        "--behaviour",
        "ma_crossover",
        "--behaviour",
        "buy_and_hold",
    )
    z = np.load(tmp_path / "logged.npz")
    cfg = load_rl_config(run[1] / "tiny.yaml")
    bars = load_bars(cfg)
    # by hand: each expert's position at the logged bar, one-hot over {short, flat, long}, mixed, + 0.4 uniform
    mix = np.zeros((*z["bar"].shape, 3))
    for name in ("ma_crossover", "buy_and_hold"):
        pos = make_expert(name, **cfg.experts[name]).positions(bars)[z["bar"]]
        mix += np.eye(3)[(np.sign(pos) + 1).astype(int)] / 2
    mix = 0.6 * mix + 0.4 / 3
    expected = np.take_along_axis(mix, z["action"][..., None], axis=2)[..., 0]
    np.testing.assert_allclose(z["pscore"], expected, rtol=0, atol=1e-12)
    assert set(np.unique(z["action"])) <= {0, 1, 2} and len(np.unique(z["action"])) > 1  # it does explore


def test_buy_and_hold_truth_by_hand(run: tuple[Path, Path], tmp_path: Path) -> None:
    res = _log(run, tmp_path, "--soften", "0", "--true-repeats", "1", "--gamma", "0.9")
    cfg = load_rl_config(run[1] / "tiny.yaml")
    bars = load_bars(cfg)
    market = market_for(cfg, bars)
    sessions = np.load(tmp_path / "logged.npz")["sessions"]
    c = (2.0 + 1.0) / 1e4
    values = []
    for (
        s
    ) in sessions:  # long from the first step (fill at the close): pnl_t = close[b+1]/close[b] - 1, cost once
        b = int(market.episode_start[s]) + np.arange(10)
        assert b[-1] + 2 < market.episode_stop[s]  # no close-out inside the horizon
        pnl = bars.close[b + 1] / bars.close[b] - 1.0
        pnl[0] -= c
        values.append(float((100.0 * pnl * 0.9 ** np.arange(10)).sum()))
    assert res["true_values"]["buy_and_hold"] == pytest.approx(np.mean(values), rel=1e-12, abs=1e-12)


def test_estimator_on_the_target_itself_equals_the_truth(run: tuple[Path, Path], tmp_path: Path) -> None:
    res = _log(
        run,
        tmp_path,
        "--behaviour",
        "ma_crossover",
        "--epsilon",
        "0",
        "--soften",
        "0",
        "--true-repeats",
        "1",
        "--n-trajectories",
        "5",
    )
    truth = res["true_values"]["ma_crossover"]
    assert res["behavior_value_logged"] == pytest.approx(truth, abs=1e-12) == res["behavior_value_true"]
    est = _ope_run(tmp_path, 5)["estimates"]["ma_crossover"]
    for name in ("tis", "pdis", "sntis", "snpdis"):
        assert est[name]["value"] == pytest.approx(truth, abs=1e-9), name
    assert np.load(tmp_path / "logged.npz")["pscore"].min() == 1.0  # a deterministic behaviour: pscore 1


def test_library_log_matches_mixture_sampling(run: tuple[Path, Path]) -> None:
    """A behaviour with epsilon=1 is uniform: every pscore is 1/3, and the draws follow the seed."""
    cfg = load_rl_config(run[1] / "tiny.yaml")
    import dataclasses

    from rdq.rl import Market

    market = Market(load_bars(cfg), dataclasses.replace(cfg.env, action="discrete"))
    beh = behaviour_mixture([expert_distribution("buy_and_hold", market)], 1.0)
    a = log_behaviour(market, [5, 6, 7], beh, horizon=6, rng=3)
    b = log_behaviour(market, [5, 6, 7], beh, horizon=6, rng=3)
    np.testing.assert_array_equal(a.action, b.action)
    np.testing.assert_allclose(a.pscore, 1 / 3)
    np.testing.assert_allclose(
        one_hot_positions(np.array([-1.0, 0.0, 1.0]), 0.3),
        [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]],
    )


def test_log_refuses_an_unknown_behaviour_expert(run: tuple[Path, Path], tmp_path: Path) -> None:
    folder, ws = run
    r = CliRunner().invoke(
        app,
        [
            "rl",
            "log",
            folder.name,
            "--workspace",
            str(ws),
            "--out",
            str(tmp_path),
            "--behaviour",
            "ma_crosover",
        ],
    )
    assert (
        r.exit_code != 0
        and "ma_crossover" in str(r.exception)
        and "--behaviour 'ma_crosover'" in str(r.exception)
    )
    assert not (tmp_path / "logged.npz").exists()
