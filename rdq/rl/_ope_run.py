"""``rdq rl log``: a trained run's OPE inputs, in the files ``rdq ope run`` / ``rdq ope assess`` read.

For one walk-forward fold of a run folder, :func:`log_run` writes into ``out``::

    logged.npz                 action, reward, pscore (n_trajectories, horizon), state (.., obs_dim), gamma,
                               and bar, sessions (where each trajectory was played; rdq.ope ignores them)
    policies/NAME.npz          action_dist (n_trajectories, horizon, 3), true_value[, q_hat with --fqe]
    true_values.json           the settings, J(behaviour) on-policy and in the log, each candidate's true value

(the formats of :mod:`rdq.ope._files`). With ``action="continuous"`` the actions are target positions
(:mod:`rdq.rl._ope_log_continuous`): ``action`` is ``(n_trajectories, horizon, 1)``, ``pscore`` the Gaussian
behaviour's density, each policy file has ``evaluation_action`` (the candidate's deterministic position) instead
of ``action_dist``, and ``rdq ope run --kernel ... --bandwidth ...`` estimates them.

The (discrete) behaviour policy is the epsilon-uniform mixture of the named
experts (:func:`rdq.rl._ope_log.behaviour_mixture`); the trajectories are the fold's test sessions, cycled to
``n_trajectories``, the first ``horizon`` steps of each. Candidates: every expert of the config and every
QTNet checkpoint of the fold (``checkpoints/iter_NNNN.pt`` and the final ``checkpoint.pt``), each softened
(``soften`` of its probability uniform, so that importance weights stay finite); true values by
``true_repeats`` on-policy rollouts of the same sessions.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rdq.data._io import atomic_write
from rdq.errors import ConfigError, did_you_mean
from rdq.rl._config import config_from_dict
from rdq.rl._market import Market
from rdq.rl._ope_log import (
    DiscretePolicy,
    behaviour_mixture,
    expert_distribution,
    log_behaviour,
    policy_distributions,
    qtnet_distribution,
    true_value,
)

__all__ = ["log_run", "run_candidates"]


def _save_npz(path: Path, arrays: dict[str, Any]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    atomic_write(path, write)


def run_candidates(
    folder: Path, cfg: Any, market: Market, fold: int, *, soften: float
) -> list[DiscretePolicy]:
    """The experts of the config and the QTNet checkpoints of ``fold`` (see the module docstring)."""
    cands = [expert_distribution(n, market, p, soften=soften) for n, p in cfg.experts.items()]
    return cands + [qtnet_distribution(name, p, soften=soften) for name, p in qtnet_checkpoints(folder, fold)]


def qtnet_checkpoints(folder: Path, fold: int) -> list[tuple[str, Path]]:
    """``(candidate name, file)`` of a fold's QTNet checkpoints: ``iter_NNNN.pt`` in order, then the final one."""
    qdir = folder / f"fold_{fold:02d}" / "qtnet"
    out = [(f"qtnet_{p.stem}", p) for p in sorted((qdir / "checkpoints").glob("iter_*.pt"))]
    if (qdir / "checkpoint.pt").is_file():
        out.append(("qtnet_final", qdir / "checkpoint.pt"))
    return out


def log_run(
    run: str | Path,
    out: str | Path,
    *,
    workspace: str | Path = ".",
    fold: int = 0,
    behaviour: Sequence[str] | None = None,
    epsilon: float = 0.3,
    n_trajectories: int | None = None,
    horizon: int = 30,
    gamma: float = 0.95,
    soften: float = 0.1,
    true_repeats: int = 10,
    fqe: bool = False,
    seed: int = 0,
    action: str = "discrete",
    sigma: float = 0.3,
) -> dict[str, Any]:
    """Write a run's OPE inputs for one fold (see the module docstring); returns ``true_values.json``'s content.

    Parameters
    ----------
    run:
        A finished run folder or run id (``rdq rl train``).
    behaviour:
        Experts mixed into the behaviour policy (default every expert of the config).
    epsilon:
        Uniform share of the behaviour policy.
    n_trajectories:
        Logged trajectories (default: one per test session).
    fqe:
        Also fit fitted-Q evaluation for each candidate and save ``q_hat`` (``dm``, ``dr``, ``sndr`` need it;
        discrete actions only).
    action:
        ``"discrete"`` (short/flat/long, the default) or ``"continuous"`` (target positions; the behaviour is
        Gaussian with standard deviation ``sigma`` around the experts' mean position; ``epsilon`` and
        ``soften`` do not apply).

    Raises
    ------
    ConfigError
        Unknown run, fold or expert; bad settings.
    """
    from rdq.rl._runs import find_run, load_bars

    folder = find_run(run, workspace=workspace)
    info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    cfg = config_from_dict(json.loads((folder / "config.json").read_text(encoding="utf-8")))
    folds = {int(f["index"]): f for f in info["folds"]}
    if fold not in folds:
        raise ConfigError(f"--fold {fold}: the run has folds {', '.join(map(str, folds))}")
    if not (folder / f"fold_{fold:02d}" / "qtnet" / "checkpoint.pt").is_file():
        raise ConfigError(
            f"fold {fold} of run {info['run_id']} has no QTNet checkpoint yet; finish it with "
            f"`rdq rl train --resume {info['run_id']}`"
        )
    names = list(behaviour) if behaviour else list(cfg.experts)
    for e in names:
        if e not in cfg.experts:
            raise ConfigError(
                f"--behaviour {e!r}: not an expert of the run's config"
                f"{did_you_mean(e, list(cfg.experts))}; choose from {', '.join(cfg.experts)}"
            )
    if not 0.0 <= soften <= 1.0:
        raise ConfigError(f"--soften must be in [0, 1], got {soften}")
    test = np.asarray(folds[fold]["test"], dtype=np.int64)
    n = test.size if n_trajectories is None else int(n_trajectories)
    if n < 1:
        raise ConfigError(f"--n-trajectories must be >= 1, got {n}")
    sessions = np.resize(test, n)
    if action not in ("discrete", "continuous"):
        raise ConfigError(f"--action {action!r}: choose discrete or continuous")
    if action == "continuous":
        if fqe:
            raise ConfigError("--fqe fits a discrete-action Q-model; with --action continuous use the importance-"
                              "sampling estimators (tis, pdis, sntis, snpdis): drop --fqe")
        return _log_continuous(folder, info, cfg, out, fold=fold, names=names, sessions=sessions,
                               horizon=horizon, gamma=gamma, sigma=sigma, seed=seed)  # fmt: skip
    market = Market(load_bars(cfg), dataclasses.replace(cfg.env, action="discrete"))
    rng = np.random.default_rng(seed)
    beh = behaviour_mixture([expert_distribution(e, market, cfg.experts[e]) for e in names], epsilon)
    log = log_behaviour(market, sessions, beh, horizon=horizon, gamma=gamma, rng=rng)
    logged = log.to_logged()
    outdir = Path(out)
    (outdir / "policies").mkdir(parents=True, exist_ok=True)
    _save_npz(outdir / "logged.npz", log.arrays())
    values: dict[str, float] = {}
    for cand in run_candidates(folder, cfg, market, fold, soften=soften):
        dist = policy_distributions(log, cand)
        values[cand.name] = true_value(
            market, sessions, cand, horizon=horizon, gamma=gamma, repeats=true_repeats, rng=rng
        )
        arrays: dict[str, Any] = {"action_dist": dist, "true_value": np.float64(values[cand.name])}
        if fqe:
            from rdq.ope import fit_fqe

            arrays["q_hat"] = fit_fqe(logged, dist)
        _save_npz(outdir / "policies" / f"{cand.name}.npz", arrays)
    summary = {
        "run_id": info["run_id"],
        "fold": fold,
        "behaviour": names,
        "epsilon": epsilon,
        "soften": soften,
        "n_trajectories": n,
        "horizon": horizon,
        "gamma": gamma,
        "true_repeats": true_repeats,
        "seed": seed,
        "fqe": fqe,
        "behavior_value_logged": float(logged.behavior_value),
        "behavior_value_true": true_value(
            market, sessions, beh, horizon=horizon, gamma=gamma, repeats=true_repeats, rng=rng
        ),
        "true_values": values,
        "logged": str(outdir / "logged.npz"),
        "policies": str(outdir / "policies"),
    }
    text = json.dumps(summary, indent=2)
    atomic_write(outdir / "true_values.json", lambda t: t.write_text(text, encoding="utf-8"))
    return summary


def _log_continuous(
    folder: Path, info: dict[str, Any], cfg: Any, out: str | Path, *, fold: int, names: list[str],
    sessions: np.ndarray, horizon: int, gamma: float, sigma: float, seed: int,
) -> dict[str, Any]:  # fmt: skip
    """:func:`log_run` with target positions (see the module docstring)."""
    from rdq.rl._ope_log_continuous import (
        evaluation_actions,
        expert_positions,
        gaussian_behaviour,
        log_continuous,
        qtnet_positions,
        true_value_continuous,
    )
    from rdq.rl._runs import load_bars

    market = Market(load_bars(cfg), dataclasses.replace(cfg.env, action="continuous"))
    rng = np.random.default_rng(seed)
    beh = gaussian_behaviour([expert_positions(e, market, cfg.experts[e]) for e in names], sigma)
    log = log_continuous(market, sessions, beh, horizon=horizon, gamma=gamma, rng=rng)
    outdir = Path(out)
    (outdir / "policies").mkdir(parents=True, exist_ok=True)
    _save_npz(outdir / "logged.npz", log.arrays())
    cands = [expert_positions(n, market, p) for n, p in cfg.experts.items()]
    cands += [qtnet_positions(name, p) for name, p in qtnet_checkpoints(folder, fold)]
    values: dict[str, float] = {}
    for cand in cands:
        ev = evaluation_actions(log, cand)
        values[cand.name] = true_value_continuous(market, sessions, cand, horizon=horizon, gamma=gamma)
        _save_npz(outdir / "policies" / f"{cand.name}.npz",
                  {"evaluation_action": ev, "true_value": np.float64(values[cand.name])})  # fmt: skip
    summary = {
        "run_id": info["run_id"], "fold": fold, "action": "continuous", "behaviour": names, "sigma": sigma,
        "n_trajectories": int(sessions.size), "horizon": horizon, "gamma": gamma, "seed": seed, "fqe": False,
        "behavior_value_logged": float(log.to_logged().behavior_value),
        "true_values": values, "logged": str(outdir / "logged.npz"), "policies": str(outdir / "policies"),
    }  # fmt: skip
    text = json.dumps(summary, indent=2)
    atomic_write(outdir / "true_values.json", lambda t: t.write_text(text, encoding="utf-8"))
    return summary
