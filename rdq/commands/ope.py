"""``rdq ope run`` and ``rdq ope assess``: off-policy evaluation of candidate trading policies from files.

Inputs are described in :mod:`rdq.ope._files` (``LOGGED.npz`` and a folder of ``NAME.npz`` policies). A log with
continuous actions (``action`` of shape ``(n, horizon, action_dim)`` or ``action_type="continuous"``, policies with
``evaluation_action``) is estimated with a kernel on the action (``--kernel``, ``--bandwidth``, ``--action-scaler``).
``--json`` prints only JSON on stdout::

    rdq ope run --logged LOGGED.npz --policies DIR --json
      {"behavior_value": J_b, "estimates": {POLICY: {ESTIMATOR: {"value", "lower", "upper"}}}}
    rdq ope assess --logged LOGGED.npz --policies DIR --k 3 --json
      {"behavior_value", "k", "variant", "assessment": {ESTIMATOR: {mse, nmse, rank_correlation, regret_at_k,
       nregret_at_k, type_i_error_rate, type_ii_error_rate, sharpe_ratio_at_k, k}},
       "topk": {ESTIMATOR: {"best", "worst", "mean", "std", "sharpe_ratio": [per k]}}, "plot": PATH|null}
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from rdq.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from rdq.ope._continuous import ContinuousLoggedData
    from rdq.ope._data import LoggedData
    from rdq.ope._files import CandidatePolicy

__all__ = ["register"]


class Variant(StrEnum):
    SCOPE_RL = "scope_rl"
    PAPER = "paper"


def _estimators(names: list[str] | None) -> list[str]:
    from rdq.ope import ESTIMATORS

    chosen = names or list(ESTIMATORS)
    for n in chosen:
        if n not in ESTIMATORS:
            raise ConfigError(f"--estimator {n!r}: unknown{did_you_mean(n, ESTIMATORS)}; "
                              f"choose from {', '.join(ESTIMATORS)}")
    return chosen


#: ``--logged`` and ``--json`` of ``run`` and ``assess`` (``--policies`` and ``--estimator`` differ in help)
LoggedOpt = Annotated[Path, typer.Option("--logged", help="LOGGED.npz: action, reward, pscore[, state, gamma].")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
KernelOpt = Annotated[str, typer.Option("--kernel", help="Continuous actions: gaussian, epanechnikov, triangular, cosine or uniform.")]
BandwidthOpt = Annotated[float, typer.Option("--bandwidth", help="Continuous actions: the kernel's bandwidth.")]
ScalerOpt = Annotated[str | None, typer.Option("--action-scaler", help="Continuous actions: MIN,MAX of the actions, scaled to [-1, 1] (one pair, or one per dimension separated by ';').")]


def _kernel_inputs(kernel: str, bandwidth: float, scaler: str | None) -> dict[str, Any]:
    """``--kernel/--bandwidth/--action-scaler`` as estimator keywords (checked here, so a typo fails first)."""
    from rdq.ope import KERNELS

    if kernel not in KERNELS:
        raise ConfigError(f"--kernel {kernel!r}: unknown{did_you_mean(kernel, KERNELS)}; choose one of {', '.join(KERNELS)}")
    if not (math.isfinite(bandwidth) and bandwidth > 0):
        raise ConfigError(f"--bandwidth {bandwidth}: must be a positive number, e.g. --bandwidth 0.5")
    out: dict[str, Any] = {"kernel": kernel, "bandwidth": bandwidth, "action_scaler": None}
    if scaler:
        try:
            pairs = [[float(v) for v in part.split(",")] for part in scaler.split(";")]
        except ValueError:
            pairs = []
        if not pairs or any(len(p) != 2 or not p[0] < p[1] for p in pairs):
            raise ConfigError(f"--action-scaler {scaler!r}: give MIN,MAX with MIN < MAX (e.g. -1,1), or one pair "
                              "per action dimension separated by ';' (e.g. '-1,1;0,2')")
        lo, hi = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
        out["action_scaler"] = (lo, hi) if len(pairs) > 1 else (float(lo[0]), float(hi[0]))
    return out


def _load(estimator: list[str] | None, logged: Path,
          policies: Path) -> tuple[list[str], LoggedData | ContinuousLoggedData, list[CandidatePolicy]]:
    """The chosen estimator names (checked first), the logged data (discrete or continuous actions) and the
    candidate policies."""
    from rdq.errors import DataError
    from rdq.ope._continuous import ContinuousLoggedData
    from rdq.ope._files import load_logged_any, load_policies

    names = _estimators(estimator)
    data, pols = load_logged_any(logged), load_policies(policies)
    continuous = isinstance(data, ContinuousLoggedData)
    wrong = [p.name for p in pols if (p.evaluation_action is None) == continuous]
    if wrong:
        need = "evaluation_action (the policy's action at every logged step)" if continuous else "action_dist"
        raise DataError(f"policies {', '.join(wrong)} do not fit a log with {'continuous' if continuous else 'discrete'} "
                        "actions", file=str(policies), fix=f"save {need} in each policy file")
    return names, data, pols


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_clean(v) for v in x]
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x


def _estimate_all(logged: Any, policies: list[Any], names: list[str], *, alpha: float, n_bootstrap: int,
                  seed: int, kernel: dict[str, Any] | None = None) -> dict[str, dict[str, dict[str, float]]]:
    from rdq.ope import ESTIMATORS, estimate_interval, estimate_policy_value

    out: dict[str, dict[str, dict[str, float]]] = {}
    for pol in policies:
        out[pol.name] = {}
        for n in names:
            if ESTIMATORS[n].needs_q and pol.q_hat is None:
                continue
            inputs = pol.estimator_inputs(**(kernel or {}))
            value = estimate_policy_value(n, logged, **inputs)
            ci = estimate_interval(n, logged, **inputs, alpha=alpha, n_bootstrap=n_bootstrap, seed=seed)
            out[pol.name][n] = {"value": value, "lower": ci.lower, "upper": ci.upper}
    return out


def _save(atomic_write: Any, path: Path, arrays: dict[str, Any]) -> None:
    """``numpy.savez`` to ``path`` atomically (an open file handle keeps the name without ``.npz`` added)."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    atomic_write(path, write)


def register(app: typer.Typer) -> None:
    """Add the ``ope`` command group to ``app``."""
    ope_app = typer.Typer(help="Off-policy evaluation: estimate policies from logged data, assess estimators.",
                          no_args_is_help=True)
    app.add_typer(ope_app, name="ope")

    @ope_app.command("toy")
    def toy_cmd(
        out: Annotated[Path, typer.Option("--out", help="Folder to write logged.npz and policies/*.npz into.")],
        n_trajectories: Annotated[int, typer.Option("--trajectories", help="Logged trajectories.")] = 400,
        n_candidates: Annotated[int, typer.Option("--candidates", help="Candidate policies.")] = 8,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the MDP and the logs.")] = 0,
    ) -> None:
        """Write a seeded toy MDP's logged data and candidates (with exact Q and true values) to try OPE on."""
        from rdq.data._io import atomic_write
        from rdq.ope import toy_mdp

        if n_trajectories < 1 or n_candidates < 2:
            raise ConfigError("--trajectories must be >= 1 and --candidates >= 2")
        toy = toy_mdp(n_trajectories=n_trajectories, n_candidates=n_candidates, seed=seed)
        lg = toy.logged
        (out / "policies").mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {"action": lg.action, "reward": lg.reward, "pscore": lg.pscore,
                                  "gamma": np.float64(lg.gamma)}
        if lg.state is not None:
            arrays["state"] = lg.state
        _save(atomic_write, out / "logged.npz", arrays)
        for c in toy.candidates:
            _save(atomic_write, out / "policies" / f"{c.name}.npz",
                  {"action_dist": c.action_dist, "q_hat": c.q, "true_value": np.float64(c.true_value)})
        typer.echo(f"wrote {out / 'logged.npz'} ({lg.n_trajectories} x {lg.horizon}, behaviour value "
                   f"{toy.behavior_value:.4f}) and {len(toy.candidates)} policies in {out / 'policies'}")

    @ope_app.command("run")
    def run_cmd(
        logged: LoggedOpt,
        policies: Annotated[Path, typer.Option("--policies", help="Folder of NAME.npz: action_dist[, q_hat, true_value].")],
        estimator: Annotated[list[str] | None, typer.Option("--estimator", "-e", help="dm, tis, pdis, dr, sntis, snpdis, sndr (repeatable; default all).")] = None,
        alpha: Annotated[float, typer.Option("--alpha", help="Interval level: 1 - alpha coverage.")] = 0.05,
        n_bootstrap: Annotated[int, typer.Option("--n-bootstrap", help="Bootstrap resamples of the trajectories.")] = 200,
        seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
        kernel: KernelOpt = "gaussian",
        bandwidth: BandwidthOpt = 1.0,
        action_scaler: ScalerOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Estimate every candidate policy's value with every estimator, with bootstrap intervals."""
        kw = _kernel_inputs(kernel, bandwidth, action_scaler)
        names, data, pols = _load(estimator, logged, policies)
        est = _estimate_all(data, pols, names, alpha=alpha, n_bootstrap=n_bootstrap, seed=seed, kernel=kw)
        if as_json:
            typer.echo(json.dumps(_clean({"behavior_value": data.behavior_value, "estimates": est}), indent=2))
            return
        table = Table(title=f"OPE estimates ({1 - alpha:.0%} bootstrap intervals); behaviour value "
                            f"{data.behavior_value:.4f}")
        table.add_column("policy")
        for n in names:
            table.add_column(n, justify="right")
        for pol in pols:
            cells = [f"{e['value']:.4f} [{e['lower']:.3f}, {e['upper']:.3f}]" if (e := est[pol.name].get(n)) else "-"
                     for n in names]
            table.add_row(pol.name, *cells)
        Console(soft_wrap=True).print(table)

    @ope_app.command("assess")
    def assess_cmd(
        logged: LoggedOpt,
        policies: Annotated[Path, typer.Option("--policies", help="Folder of NAME.npz, each with true_value.")],
        estimator: Annotated[list[str] | None, typer.Option("--estimator", "-e", help="Estimators to assess (repeatable; default all).")] = None,
        k: Annotated[int, typer.Option("--k", help="Policies deployed for regret@k and SharpeRatio@k.")] = 3,
        variant: Annotated[Variant, typer.Option("--variant", help="SharpeRatio@k: scope_rl (code) or paper (formula).")] = Variant.SCOPE_RL,
        safety_threshold: Annotated[float | None, typer.Option("--safety-threshold", help="Type I/II threshold (default: the behaviour value).")] = None,
        plot: Annotated[Path | None, typer.Option("--plot", help="Write the top-k PNG here.")] = None,
        kernel: KernelOpt = "gaussian",
        bandwidth: BandwidthOpt = 1.0,
        action_scaler: ScalerOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Assess the estimators on policies with known true values: MSE, ranking, regret, SharpeRatio@k."""
        from rdq.ope import assess_estimator, sharpe_ratio_at_k, topk_metrics
        from rdq.ope._plots import plot_topk

        kw = _kernel_inputs(kernel, bandwidth, action_scaler)
        names, data, pols = _load(estimator, logged, policies)
        lacking = [p.name for p in pols if p.true_value is None]
        if lacking:
            raise ConfigError(f"policies without true_value: {', '.join(lacking)}; save each policy's on-policy "
                              "value as true_value in its .npz (or use `rdq ope run`)")
        if not 1 <= k <= len(pols):
            raise ConfigError(f"--k {k}: must be in 1 .. {len(pols)} (the number of policies)")
        est = _estimate_all(data, pols, names, alpha=0.05, n_bootstrap=1, seed=0, kernel=kw)
        true = np.array([p.true_value for p in pols], dtype=float)
        jb = data.behavior_value
        assessment: dict[str, Any] = {}
        topk: dict[str, Any] = {}
        sharpe: dict[str, np.ndarray] = {}
        for n in names:
            if any(n not in est[p.name] for p in pols):
                continue                                      # an estimator needing q_hat some policy lacks
            values = np.array([est[p.name][n]["value"] for p in pols])
            assessment[n] = assess_estimator(values, true, behavior_value=jb, k=k, safety_threshold=safety_threshold,
                                             variant=variant.value).to_dict()
            table = topk_metrics(values, true)
            sharpe[n] = np.array([sharpe_ratio_at_k(estimated=values, true=true, behavior_value=jb, k=j,
                                                    variant=variant.value) for j in range(1, len(pols) + 1)])
            topk[n] = {m: table[m] for m in ("best", "worst", "mean", "std")} | {"sharpe_ratio": sharpe[n]}
        if not assessment:
            raise ConfigError("no estimator could run: dm/dr/sndr need q_hat in every policy file; "
                              "add --estimator tis (or another importance-sampling estimator)")
        written = str(plot_topk(topk, sharpe, behavior_value=jb, path=plot)) if plot else None
        if as_json:
            typer.echo(json.dumps(_clean({"behavior_value": jb, "k": k, "variant": variant.value,
                                          "assessment": assessment, "topk": topk, "plot": written}), indent=2))
            return
        t = Table(title=f"estimators on {len(pols)} policies (k={k}, SharpeRatio@k {variant.value})")
        for col in ("estimator", "nMSE", "rank corr", f"regret@{k}", f"nRegret@{k}", "type I", "type II",
                    f"SR@{k}"):
            t.add_column(col, justify="right" if col != "estimator" else "left")
        for n, a in assessment.items():
            t.add_row(n, *(f"{a[m]:.4f}" for m in ("nmse", "rank_correlation", "regret_at_k", "nregret_at_k",
                                                    "type_i_error_rate", "type_ii_error_rate",
                                                    "sharpe_ratio_at_k")))
        out = Console(soft_wrap=True)
        out.print(t)
        if written:
            out.print(f"plot: {written}")
