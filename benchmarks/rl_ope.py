"""RL and OPE figures: env speed, QTNet's training time, walk-forward agents over seeds, OPE on a trading MDP.

    .venv/bin/python benchmarks/rl_ope.py --quick          # reduced budgets (a few minutes on 2 cores)
    .venv/bin/python benchmarks/rl_ope.py                  # the shipped configs/rl/qtnet_1min.yaml budgets
    .venv/bin/python benchmarks/rl_ope.py --seeds 8 --jobs 2 --data ../shared/data/us_1min_2024.parquet

What is measured (on the shared 1-minute bars of 2024, one symbol, FDS; the synthetic config when the shared
file is absent):

1. **env steps/s**: :class:`rdq.rl.TradingEnv` stepped one at a time (random actions), and
   :class:`rdq.rl.VecTradingEnv` with 512 episodes at once (goal: >= 100k steps/s);
2. **QTNet training time** on CPU (one thread) for the shipped config: seconds per walk-forward fold (``--quick``
   times 3 iterations of fold 0 and extrapolates to the config's iterations);
3. **walk-forward agents**: ``rdq rl train`` + ``rdq rl eval`` for every seed (QTNet, PPO, RecurrentPPO; the
   experts, which are deterministic, repeat across seeds); each agent's annualised Sharpe on every test month
   is one score, and the table shows the interquartile mean with a 95% stratified-bootstrap interval over
   seeds x months (:func:`rdq.ope.interval_estimates`, rliable's semantics);
4. **OPE on a trading MDP**: the first ``--horizon`` minutes of each test day of fold 0, discrete actions
   {short, flat, long}. The behaviour policy is an epsilon-mixture of the experts (its action probabilities
   logged); candidates are the experts and QTNet's checkpoints of seed 0 (each softened: 10% uniform), with
   true values from on-policy rollouts. Every estimator of :mod:`rdq.ope` (DM/DR/SNDR with fitted-Q
   evaluation) is assessed: nMSE, rank correlation, nRegret@1 and SharpeRatio@k (SCOPE-RL's form).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MINUTE = ROOT.parent / "shared" / "data" / "us_1min_2024.parquet"
EXPERT_NAMES = ("dual_thrust", "r_breaker", "ma_crossover", "bollinger", "buy_and_hold")


def _config(args: argparse.Namespace) -> Any:
    from rdq.rl import load_rl_config

    data = args.data or (MINUTE if MINUTE.exists() else None)
    if data is None:
        print(f"(the shared file {MINUTE} is absent: the synthetic config instead)")
        cfg = load_rl_config("qtnet_synthetic")
    else:
        cfg = load_rl_config("qtnet_1min", data_path=data)
    if args.quick:
        q = dataclasses.replace(
            cfg.qtnet,
            iterations=min(cfg.qtnet.iterations, 4),
            updates_per_iteration=16,
            checkpoint_every=2,
            eval_every=2,
        )
        quick_bl = {
            "ppo": {"total_timesteps": 4096, "n_steps": 512},
            "recurrent_ppo": {"total_timesteps": 2048, "n_steps": 256},
        }
        bl = tuple(
            dataclasses.replace(
                b,
                total_timesteps=min(b.total_timesteps, quick_bl[b.algo]["total_timesteps"]),
                params={**b.params, "n_steps": quick_bl[b.algo]["n_steps"]},
            )
            for b in cfg.baselines
            if b.algo in quick_bl
        )
        cfg = dataclasses.replace(cfg, qtnet=q, baselines=bl)
    return cfg


# ---- 1. env steps/s ---------------------------------------------------------------------------------------------
def bench_env(cfg: Any) -> None:
    from rdq.rl import Market, TradingEnv, VecTradingEnv
    from rdq.rl._runs import load_bars

    bars = load_bars(cfg)
    market = Market(bars, dataclasses.replace(cfg.env, action="discrete"))
    env = TradingEnv(market)
    rng = np.random.default_rng(0)
    acts = rng.integers(0, 3, 20_000)
    env.reset(seed=0)
    t0 = time.perf_counter()
    for a in acts:
        _, _, done, _, _ = env.step(int(a))
        if done:
            env.reset()
    scalar = acts.size / (time.perf_counter() - t0)
    venv = VecTradingEnv(market, n_envs=512, seed=0)
    venv.reset()
    vacts = rng.integers(0, 3, (200, 512))
    t0 = time.perf_counter()
    for a in vacts:
        venv.step(a)
    vec = vacts.size / (time.perf_counter() - t0)
    print(
        f"\n== env: {bars.n_bars:,} bars ({bars.n_sessions} sessions), window {cfg.env.window}, "
        f"obs {cfg.env.obs_dim} floats =="
    )
    print(f"  TradingEnv (scalar):          {scalar:10,.0f} steps/s")
    print(f"  VecTradingEnv (512 episodes): {vec:10,.0f} steps/s   ({vec / scalar:.0f}x; goal >= 100,000)")


# ---- 2. QTNet training time for the shipped config --------------------------------------------------------------
def bench_train_time(args: argparse.Namespace) -> None:
    from rdq.rl import load_rl_config, train_qtnet, walk_forward_folds
    from rdq.rl._runs import load_bars, market_for

    if not (args.data or MINUTE.exists()):
        return
    cfg = load_rl_config("qtnet_1min", data_path=args.data or MINUTE)
    bars = load_bars(cfg)
    fold = walk_forward_folds(bars, cfg.walk_forward)[0]
    market = market_for(cfg, bars)
    n_it = 3
    t0 = time.perf_counter()
    train_qtnet(
        market,
        fold.train,
        dataclasses.replace(cfg.qtnet, iterations=n_it, eval_every=n_it),
        expert_params=cfg.experts,
    )
    secs = time.perf_counter() - t0
    est = secs / n_it * cfg.qtnet.iterations
    print(
        f"\n== QTNet training time (CPU, 1 thread), shipped config qtnet_1min, fold 0 ({fold.train.size} days) =="
    )
    print(
        f"  {n_it} of {cfg.qtnet.iterations} iterations: {secs:.1f} s -> about {est:.0f} s per fold, "
        f"{3 * est / 60:.1f} min for the 3 folds (upper bound: the demonstrations are rolled out once)"
    )


# ---- 3. walk-forward agents over seeds --------------------------------------------------------------------------
def _one_seed(cfg: Any, seed: int, workspace: str) -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING)
    from rdq.rl import evaluate_run, train_run

    folder = train_run(cfg.with_seed(seed), workspace=workspace)
    res = evaluate_run(folder, by="month")
    res["folder"] = str(folder)
    res["seconds"] = json.loads((folder / "run.json").read_text())["seconds"]
    return res


def bench_walk_forward(cfg: Any, args: argparse.Namespace, workspace: str) -> dict[str, Any]:
    from rdq.ope import interval_estimates

    seeds = list(range(args.seeds))
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(_one_seed, [cfg] * len(seeds), seeds, [workspace] * len(seeds)))
    wall = time.perf_counter() - t0
    agents = results[0]["agents"]
    windows = [w["window"] for w in results[0]["windows"]]
    scores = {
        a: np.array([[w["agents"][a]["sharpe"] for w in r["windows"]] for r in results]) for a in agents
    }
    ret = {
        a: np.array([[w["agents"][a]["total_return"] for w in r["windows"]] for r in results]) for a in agents
    }
    ci = interval_estimates(scores, aggregates=("iqm",), reps=args.reps, seed=0)
    secs = {k: float(np.mean([np.mean(r["seconds"][k]) for r in results])) for k in results[0]["seconds"]}
    print(
        f"\n== walk-forward on {cfg.data.symbol or 'synthetic'}: {len(seeds)} seeds x {len(windows)} test windows "
        f"({', '.join(windows)}); {wall:.0f} s wall with {args.jobs} process(es) =="
    )
    print(
        f"  budgets: QTNet {cfg.qtnet.iterations} iterations x {cfg.qtnet.updates_per_iteration} updates; "
        + ", ".join(f"{b.algo} {b.total_timesteps} steps" for b in cfg.baselines)
    )
    print("  mean training seconds per fold: " + ", ".join(f"{k} {v:.1f}" for k, v in secs.items()))
    print(
        f"  {'agent':14s} {'IQM Sharpe':>10s} {'95% CI':>18s} {'mean Sharpe':>11s} {'mean month return':>18s}"
    )
    for a in sorted(agents, key=lambda a: -ci[a]["iqm"][0]):
        p, lo, hi = ci[a]["iqm"]
        print(
            f"  {a:14s} {p:10.2f} [{lo:7.2f}, {hi:7.2f}] {scores[a].mean():11.2f} {100 * ret[a].mean():17.3f}%"
        )
    q = ci["qtnet"]["iqm"]
    beaten = [e for e in EXPERT_NAMES if e in ci and q[1] > ci[e]["iqm"][2]]
    not_beaten = [e for e in EXPERT_NAMES if e in ci and e not in beaten]
    above = [e for e in EXPERT_NAMES if e in ci and q[0] > ci[e]["iqm"][0]]
    print(
        f"  QTNet's IQM is above {len(above)} of {len(EXPERT_NAMES)} experts' ({', '.join(above) or 'none'}); "
        f"its interval lies wholly above {len(beaten)} ({', '.join(beaten) or 'none'}), "
        f"not above {', '.join(not_beaten) or 'none'}"
    )
    flat = np.mean(
        [np.mean(np.abs(np.array([w["agents"]["qtnet"]["turnover"] for w in r["windows"]]))) for r in results]
    )
    print(f"  QTNet's mean turnover per day: {flat:.2f} (0 = it learned to stay flat)")
    return results[0]


# ---- 4. OPE on a trading MDP ------------------------------------------------------------------------------------
# the logging, the candidates' distributions and the true values are rdq.rl._ope_log's (also `rdq rl log`)
def bench_ope(cfg: Any, run: dict[str, Any], args: argparse.Namespace) -> None:
    import torch

    from rdq.ope import ESTIMATORS, FQEConfig, assess_estimator, estimate_policy_value, fit_fqe
    from rdq.ope import sharpe_ratio_at_k as sr_at_k
    from rdq.rl import (
        Market,
        behaviour_mixture,
        expert_distribution,
        log_behaviour,
        policy_distributions,
        qtnet_distribution,
        true_value,
    )
    from rdq.rl._runs import load_bars

    torch.set_num_threads(1)
    horizon, gamma, eps, soften = args.horizon, 0.95, 0.3, 0.1
    bars = load_bars(cfg)
    market = Market(bars, dataclasses.replace(cfg.env, action="discrete"))
    folder = Path(run["folder"])
    fold0 = json.loads((folder / "run.json").read_text())["folds"][0]
    test = np.asarray(fold0["test"], dtype=np.int64)
    behaviour = behaviour_mixture(
        [expert_distribution(n, market, cfg.experts.get(n, {})) for n in EXPERT_NAMES], eps
    )
    rng = np.random.default_rng(0)
    log = log_behaviour(
        market, np.repeat(test, args.logged_repeats), behaviour, horizon=horizon, gamma=gamma, rng=rng
    )
    logged = log.to_logged()
    ckpts = sorted((folder / "fold_00" / "qtnet" / "checkpoints").glob("iter_*.pt")) + [
        folder / "fold_00" / "qtnet" / "checkpoint.pt"
    ]
    candidates = [expert_distribution(n, market, cfg.experts.get(n, {}), soften=soften) for n in EXPERT_NAMES]
    candidates += [
        qtnet_distribution(f"qtnet_{p.stem}" if p.stem != "checkpoint" else "qtnet_final", p, soften=soften)
        for p in ckpts
    ]
    fqe = FQEConfig(n_iterations=30, steps_per_iteration=40) if args.quick else FQEConfig()
    true, est = [], {n: [] for n in ESTIMATORS}
    t0 = time.perf_counter()
    for c in candidates:
        true.append(
            true_value(market, test, c, horizon=horizon, gamma=gamma, repeats=args.true_repeats, rng=rng)
        )
        dist = policy_distributions(log, c)
        q_hat = fit_fqe(logged, dist, config=fqe)
        for n in ESTIMATORS:
            est[n].append(estimate_policy_value(n, logged, action_dist=dist, q_hat=q_hat))
    secs = time.perf_counter() - t0
    jb = logged.behavior_value
    t = np.array(true)
    print(
        f"\n== OPE on a trading MDP: {cfg.data.symbol or 'synthetic'} fold-0 test days, first {horizon} minutes, "
        f"gamma {gamma}; {logged.n_trajectories} logged trajectories of an {eps:.0%}-uniform mixture of the "
        f"experts; {len(candidates)} candidates ({secs:.0f} s incl. FQE) =="
    )
    print(
        f"  behaviour value J(pi_b) = {jb:.3f} (reward: basis points per minute); true values by "
        f"{args.true_repeats} on-policy rollouts of each test day:"
    )
    for c, v in sorted(zip(candidates, true, strict=True), key=lambda cv: -cv[1]):
        print(f"    {c.name:18s} {v:9.3f}")
    ks = [k for k in (2, 3, 5) if k <= len(candidates)]
    print(
        f"  {'estimator':9s} {'nMSE':>9s} {'rank corr':>9s} {'nRegret@1':>9s} "
        + " ".join(f"{'SR@' + str(k):>7s}" for k in ks)
    )
    for n in ESTIMATORS:
        e = np.array(est[n])
        a1 = assess_estimator(e, t, behavior_value=jb, k=1)
        srs = [sr_at_k(estimated=e, true=t, behavior_value=jb, k=k) for k in ks]
        print(
            f"  {n:9s} {a1.nmse:9.4f} {a1.rank_correlation:9.3f} {a1.nregret_at_k:9.3f} "
            + " ".join(f"{s:7.3f}" if math.isfinite(s) else f"{'nan':>7s}" for s in srs)
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--quick", action="store_true", help="reduced budgets (QTNet 4 iterations, PPO 4k, RecurrentPPO 2k)"
    )
    ap.add_argument("--data", type=Path, default=None, help=f"minute-bar Parquet (default {MINUTE})")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2, help="processes for the seeds")
    ap.add_argument(
        "--reps", type=int, default=None, help="bootstrap replicates (default 2000 quick, 50000 full)"
    )
    ap.add_argument("--horizon", type=int, default=30, help="OPE: minutes per logged trajectory")
    ap.add_argument("--logged-repeats", type=int, default=None, help="OPE: logged trajectories per test day")
    ap.add_argument("--true-repeats", type=int, default=50, help="OPE: on-policy rollouts per test day")
    ap.add_argument("--skip", nargs="*", default=(), choices=("env", "time", "walk", "ope"))
    args = ap.parse_args()
    args.reps = args.reps or (2000 if args.quick else 50_000)
    args.logged_repeats = args.logged_repeats or (6 if args.quick else 12)
    logging.basicConfig(level=logging.WARNING)
    print(f"rdq rl/ope benchmark ({'quick' if args.quick else 'full'}), python {sys.version.split()[0]}")
    cfg = _config(args)
    if "env" not in args.skip:
        bench_env(cfg)
    if "time" not in args.skip:
        bench_train_time(args)
    if "walk" in args.skip:
        return
    with tempfile.TemporaryDirectory(prefix="rdq-rl-bench-") as ws:
        run = bench_walk_forward(cfg, args, ws)
        if "ope" not in args.skip:
            bench_ope(cfg, run, args)


if __name__ == "__main__":
    main()
