"""Continuous-action OPE on the trading MDP: ``rdq rl log --action continuous`` -> ``rdq ope run --kernel``.

Checked by hand: the logged pscores are the Gaussian behaviour's density at the drawn actions, buy-and-hold's
evaluation action is 1 everywhere and its true value equals the discrete log's (the same trades), and the
self-normalised kernel estimators on a narrow behaviour around the target itself approach the truth.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rdq.cli import app
from rdq.ope import ContinuousLoggedData
from rdq.ope._files import load_logged_any, load_policies
from rdq.rl import load_rl_config, train_run
from rdq.rl._ope_log_continuous import gaussian_behaviour, log_continuous
from rdq.rl._runs import load_bars

from .test_ope_log import CANDIDATES, CONFIG, EXPERTS


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    ws = tmp_path_factory.mktemp("ws")
    cfg_path = ws / "tiny.yaml"
    cfg_path.write_text(CONFIG, encoding="utf-8")
    return train_run(load_rl_config(cfg_path), workspace=ws), ws


def _invoke(args: list[str]) -> dict:  # type: ignore[type-arg]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def _log(run: tuple[Path, Path], out: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    folder, ws = run
    return _invoke(["rl", "log", folder.name, "--workspace", str(ws), "--out", str(out), "--horizon", "10",
                    "--action", "continuous", "--json", *extra])  # fmt: skip


def test_continuous_log_files_and_pscores(run: tuple[Path, Path], tmp_path: Path) -> None:
    res = _log(run, tmp_path, "--n-trajectories", "6", "--sigma", "0.25")
    assert res["action"] == "continuous" and res["sigma"] == 0.25 and res["behaviour"] == EXPERTS
    logged = load_logged_any(tmp_path / "logged.npz")
    assert isinstance(logged, ContinuousLoggedData) and logged.action.shape == (6, 10, 1)
    z = np.load(tmp_path / "logged.npz")
    # pscore = N(a; mean of the experts' positions, 0.25^2) at each drawn action
    cfg = load_rl_config(run[1] / "tiny.yaml")
    from rdq.rl._experts import make_expert

    bars = load_bars(cfg)
    mean = np.mean([np.asarray(make_expert(e, **cfg.experts[e]).positions(bars), float) for e in EXPERTS], axis=0)
    mu = np.clip(mean, -1, 1)[z["bar"]]
    dens = np.exp(-0.5 * ((z["action"][..., 0] - mu) / 0.25) ** 2) / (0.25 * math.sqrt(2 * math.pi))
    np.testing.assert_allclose(z["pscore"], dens, rtol=1e-12)
    pols = {p.name: p for p in load_policies(tmp_path / "policies")}
    assert sorted(pols) == CANDIDATES
    np.testing.assert_array_equal(pols["buy_and_hold"].evaluation_action, np.ones((6, 10, 1)))
    for p in pols.values():
        assert p.action_dist is None and p.evaluation_action is not None
        assert np.abs(p.evaluation_action).max() <= 1.0 and p.true_value == res["true_values"][p.name]
    # buy-and-hold trades the same in both action forms: the same true value as the discrete log's
    disc = _invoke(["rl", "log", run[0].name, "--workspace", str(run[1]), "--out", str(tmp_path / "d"),
                    "--horizon", "10", "--n-trajectories", "6", "--soften", "0", "--true-repeats", "1", "--json"])  # fmt: skip
    assert res["true_values"]["buy_and_hold"] == pytest.approx(disc["true_values"]["buy_and_hold"], abs=1e-12)
    est = _invoke(["ope", "run", "--logged", str(tmp_path / "logged.npz"), "--policies", str(tmp_path / "policies"),
                   "--kernel", "gaussian", "--bandwidth", "0.3", "--n-bootstrap", "5", "--json"])  # fmt: skip
    assert set(est["estimates"]) == set(CANDIDATES)
    assert all(set(v) == {"tis", "pdis", "sntis", "snpdis"} for v in est["estimates"].values())


def test_a_fractional_position_truth_by_hand(run: tuple[Path, Path]) -> None:
    """A constant target position 0.6: pnl_t = 0.6 (close[b+1]/close[b] - 1), the cost 0.6 c once (fill at the
    close), discounted by 0.9; and the self-normalised estimates on a log of that very policy are the truth."""
    import dataclasses

    from rdq.ope import estimate_policy_value
    from rdq.rl._market import Market
    from rdq.rl._ope_log_continuous import PositionPolicy, evaluation_actions, true_value_continuous
    from rdq.rl._runs import market_for

    cfg = load_rl_config(run[1] / "tiny.yaml")
    bars = load_bars(cfg)
    m = market_for(cfg, bars)
    market = Market(m.bars, dataclasses.replace(m.config, action="continuous"))
    const = PositionPolicy("const", lambda obs, bar: np.full(obs.shape[0], 0.6))
    sessions = np.arange(8)
    truth = true_value_continuous(market, sessions, const, horizon=10, gamma=0.9)
    c = (2.0 + 1.0) / 1e4
    values = []
    for s in sessions:
        b = int(market.episode_start[s]) + np.arange(10)
        pnl = 0.6 * (bars.close[b + 1] / bars.close[b] - 1.0)
        pnl[0] -= 0.6 * c
        values.append(float((100.0 * pnl * 0.9 ** np.arange(10)).sum()))
    assert truth == pytest.approx(np.mean(values), rel=1e-9, abs=1e-12)
    # a log of that very policy with tiny noise, the bandwidth equal to it (each step's weight ~ 1): ~ the truth
    log = log_continuous(market, np.repeat(sessions, 3), gaussian_behaviour([const], 1e-3), horizon=10, gamma=0.9)
    logged = log.to_logged()
    for name in ("sntis", "snpdis"):
        est = estimate_policy_value(name, logged, evaluation_action=evaluation_actions(log, const),
                                    kernel="gaussian", bandwidth=1e-3)  # fmt: skip
        assert est == pytest.approx(truth, rel=1e-2), name


def test_continuous_refuses_fqe_and_bad_sigma(run: tuple[Path, Path], tmp_path: Path) -> None:
    folder, ws = run
    base = ["rl", "log", folder.name, "--workspace", str(ws), "--out", str(tmp_path), "--action", "continuous"]
    from rdq.errors import ConfigError

    r = CliRunner().invoke(app, [*base, "--fqe"])
    assert isinstance(r.exception, ConfigError) and "drop --fqe" in str(r.exception)
    r = CliRunner().invoke(app, [*base, "--sigma", "0"])
    assert isinstance(r.exception, ConfigError) and "--sigma must be a positive" in str(r.exception)
    r = CliRunner().invoke(app, ["rl", "log", folder.name, "--workspace", str(ws), "--out", str(tmp_path),
                                 "--action", "continous"])  # fmt: skip
    assert isinstance(r.exception, ConfigError) and "choose discrete or continuous" in str(r.exception)
