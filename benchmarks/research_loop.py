"""The research loop's figures (issue 10): wall time, rediscovery, oracle IC, the null market, screening
throughput, the S&P 500 run, peak memory.

    .venv/bin/python benchmarks/research_loop.py                    # all parts, full size (~1 h on 2 cores)
    .venv/bin/python benchmarks/research_loop.py --parts planted    # 300 x 2000, 30 rounds only
    .venv/bin/python benchmarks/research_loop.py --quick            # 100 x 800, 8 rounds: a smoke run

Parts (``--parts``, comma-separated):

- ``planted``: ``rdq research run --config synthetic`` (300 x 2,000, planted alphas) for ``--rounds`` rounds,
  then ``rdq research report``: wall time, rounds accepted, each planted alpha's best accepted match (mean daily
  cross-sectional rank correlation, >= 0.7 counts as rediscovered), the final library's test Rank IC as a share
  of the oracle's (the same model on the planted alphas' true expressions), significant or not.
- ``planted_ir``: the same with the objective ``excess_with_cost.information_ratio`` (the default of a config
  that names none; ``synthetic.yaml`` optimises the validation Rank IC).
- ``null``: the same with ``alpha_scale: 0`` (nothing planted): what was accepted, whether any accepted factor's
  test Rank IC interval excludes 0, and the report's verdict (it must say nothing significant).
- ``screen``: train-span screening throughput (expressions per minute) of GP expressions on 300 x 2,000.
- ``sp500``: 20 rounds of the default panel config on the shared S&P 500 file; final vs base on test with CIs.

Each run is a child process (``rdq ... --json``), so the peak resident memory printed is the largest child's
(``ru_maxrss`` of the children, which includes the loop's worker processes).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import SP500  # noqa: E402

ENTRY = "from rdq.cli import main; main()"


def _rdq(*args: str, cwd: Path) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, cwd=cwd, check=False)
    if p.returncode != 0:
        raise SystemExit(f"rdq {' '.join(args)} failed ({p.returncode}):\n{p.stderr[-4000:]}")
    return json.loads(p.stdout), time.perf_counter() - t0


def _config(ws: Path, name: str, changes: dict[str, Any]) -> Path:
    from rdq.resources import builtin_file  # the shipped config, then the overrides

    raw = yaml.safe_load(builtin_file("research", name).read_text())
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(raw.get(k), dict) and k != "data":  # data: path XOR synthetic
            raw[k] = {**raw[k], **v}
        else:
            raw[k] = v
    path = ws / f"{name}_bench.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _fmt(x: Any, nd: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, list):
        return "[" + ", ".join(_fmt(v, nd) for v in x) + "]"
    return f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def _run_and_report(ws: Path, cfg: Path, rounds: int) -> tuple[dict[str, Any], dict[str, Any], float]:
    out, secs = _rdq("research", "run", "--config", str(cfg), "--rounds", str(rounds), "--workspace", str(ws),
                     "--json", "--quiet", cwd=ws)  # fmt: skip
    rep, _ = _rdq("research", "report", out["run_id"], "--workspace", str(ws), "--json", "--quiet", cwd=ws)
    return out, rep, secs


def _print_test(rep: dict[str, Any]) -> None:
    for part in ("test", "base_test", "oracle_test"):
        if part in rep:
            m = rep[part]
            print(f"  {part:10s} rank_ic {_fmt(m['rank_ic'])} {_fmt(m['rank_ic_ci'])}  ic {_fmt(m['ic'])}  "
                  f"ir {_fmt(m['ir'], 2)} {_fmt(m['ir_ci'], 2)}  arr {_fmt(m['arr'])}  mdd {_fmt(m['mdd'])}")  # fmt: skip
    print(f"  deflated Sharpe {_fmt(rep['deflated_sharpe'])} (n_trials {rep['n_trials']}), "
          f"significant: {rep['significant']} - {rep['verdict']}")  # fmt: skip


def planted(ws: Path, assets: int, days: int, rounds: int, *, null: bool, objective: str | None = None) -> dict[str, Any]:
    changes: dict[str, Any] = {"data": {"synthetic": {"assets": assets, "days": days, "seed": 0,
                                                      "alpha_scale": 0.0 if null else 1.0}}}  # fmt: skip
    if objective:
        changes["objective"] = objective
    cfg = _config(ws, "synthetic", changes)
    out, rep, secs = _run_and_report(ws, cfg, rounds)
    label = ("null market (alpha_scale 0)" if null else "planted market") + f", objective {objective or 'default'}"
    print(f"\n== {label}: {assets} x {days}, {rounds} rounds: {secs:.0f} s ({secs / 60:.1f} min) ==")
    print(f"  accepted {len(out['accepted_factors'])} factors; trials {rep['n_trials']}, screened {rep['n_screened']}")
    for a in out["accepted_factors"]:
        print(f"    round {a['round']:2d} {a['name']}: {a['expression']}")
    found = 0
    for p in rep.get("planted", []):
        found += p["rediscovered"]
        where = f"in the base set (~{p['base_factor']} {_fmt(p['base_rank_corr'], 2)})" if p["in_base"] else ""
        print(f"  planted {p['alpha']:18s} best match {_fmt(p['rank_corr'], 3)} {p['best_expression'] or '-'} "
              f"{where}{'  REDISCOVERED' if p['rediscovered'] else ''}")  # fmt: skip
    _print_test(rep)
    ratio = rep.get("oracle_rank_ic_ratio")
    if not null:
        outside = sum(not p["in_base"] for p in rep.get("planted", []))
        print(f"  rediscovered {found} of the {outside} planted alphas the base set does not carry (goal >= 2); "
              f"test Rank IC / oracle's: {_fmt(ratio, 3)} "
              f"(goal >= 0.8)")  # fmt: skip
    sig_ic = [a["name"] for a in rep["accepted_test"] if a["excludes_zero"]]
    print(f"  accepted factors whose test Rank IC interval excludes 0: {sig_ic or 'none'}")
    return {"seconds": secs, "rediscovered": found, "oracle_ratio": ratio, "significant": rep["significant"],
            "accepted": len(out["accepted_factors"]), "ic_significant": sig_ic}  # fmt: skip


def screen(assets: int, days: int, n: int) -> float:
    import numpy as np
    import polars as pl

    from rdq.agent._checks import screen_factors
    from rdq.agent._expr_tree import canonical, node_text
    from rdq.agent._gp import GPConfig, random_tree
    from rdq.data import synth_market
    from rdq.signal import default_label

    panel = synth_market(n_assets=assets, n_days=days, seed=0).panel
    label = default_label(panel)
    dates = panel["date"].unique().sort()
    end = int(len(dates) * 0.6)
    span = (dates[max(60, end - GPConfig().screen_days)], dates[end])  # the loop screens the train span's end
    rng = np.random.default_rng(0)
    cfg = GPConfig()
    exprs: dict[str, str] = {}
    while len(exprs) < n:
        text = canonical(node_text(random_tree(rng, cfg, depth=3)))
        exprs.setdefault(text, text)
    items = list(exprs)
    sub = panel.filter(pl.col("date") <= span[1])
    t0 = time.perf_counter()
    scored = 0
    for i in range(0, len(items), 50):
        part = {f"e{j}": e for j, e in enumerate(items[i : i + 50])}
        res = screen_factors(sub, part, label=label, dates=span)
        scored += sum(v is not None for v in res.values())
    secs = time.perf_counter() - t0
    rate = len(items) / secs * 60
    print(f"\n== screening: {len(items)} random GP expressions on {assets} x {days}, the last {GPConfig().screen_days} "
          f"train days ==")  # fmt: skip
    print(f"  one process: {secs:.1f} s, {rate:.0f} expressions per minute ({scored} scored, the rest rejected)")

    # the loop's own path: CandidateRunner.screen's chunks through the local executor's 2 worker processes
    from rdq.agent._executor import make_executor
    from rdq.agent._workers import ScreenShared, chunks, screen_worker

    shared = ScreenShared(panel=sub, label=label.filter(pl.col("date") <= span[1]), span=span)
    ex = make_executor("local", max_workers=2)
    try:
        ex.map(screen_worker, shared, [{"e0": items[0]}, {"e0": items[1]}], timeout_s=600, memory_mb=None)  # warm
        t0 = time.perf_counter()
        parts = chunks(items, 4)
        outs = ex.map(screen_worker, shared, [{f"e{i}": e for i, e in enumerate(pt)} for pt in parts],
                      timeout_s=600, memory_mb=None)  # fmt: skip
        secs2 = time.perf_counter() - t0
    finally:
        ex.close()
    ok = sum(o.status == "ok" for o in outs)
    rate2 = len(items) / secs2 * 60
    print(f"  the loop's path, 2 worker processes: {secs2:.1f} s, {rate2:.0f} expressions per minute "
          f"({ok}/{len(parts)} chunks ok; goal >= 1,000)")  # fmt: skip
    return rate2


def sp500(ws: Path, rounds: int) -> None:
    if not SP500.exists():
        print(f"\n== S&P 500: skipped, {SP500} is absent ==")
        return
    cfg = _config(ws, "panel", {"data": {"path": str(SP500), "allow": ["high_below_low"]}, "name": "sp500"})
    out, rep, secs = _run_and_report(ws, cfg, rounds)
    print(f"\n== S&P 500 (shared file), {rounds} rounds: {secs:.0f} s ==")
    print(f"  accepted {len(out['accepted_factors'])}: {[a['expression'] for a in out['accepted_factors']]}")
    _print_test(rep)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="planted,null,screen,sp500")
    ap.add_argument("--assets", type=int, default=300)
    ap.add_argument("--days", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--sp500-rounds", type=int, default=20)
    ap.add_argument("--screen-n", type=int, default=500)
    ap.add_argument("--quick", action="store_true", help="100 x 800, 8 rounds, 100 screened expressions")
    args = ap.parse_args()
    if args.quick:
        args.assets, args.days, args.rounds, args.sp500_rounds, args.screen_n = 100, 800, 8, 4, 100
    parts = set(args.parts.split(","))
    with tempfile.TemporaryDirectory(prefix="rdq-research-bench-") as tmp:
        ws = Path(tmp)
        if "planted" in parts:
            planted(ws, args.assets, args.days, args.rounds, null=False)
        if "planted_ir" in parts:  # the default objective, for the record
            planted(ws, args.assets, args.days, args.rounds, null=False,
                    objective="excess_with_cost.information_ratio")  # fmt: skip
        if "null" in parts:
            planted(ws, args.assets, args.days, args.rounds, null=True)
        if "screen" in parts:
            screen(args.assets, args.days, args.screen_n)
        if "sp500" in parts:
            sp500(ws, args.sp500_rounds)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    mine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"\npeak resident memory: largest child process {peak:.2f} GiB, this process {mine:.2f} GiB (goal < 4 GiB)")


if __name__ == "__main__":
    main()
