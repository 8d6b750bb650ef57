"""q interpreter and q benchmark figures: golden pass rates, golden suite time, sample-benchmark timings.

Run:  .venv/bin/python benchmarks/qlang.py [--jobs N] [--files core,dev] [--q-path PATH]

Prints
* the embedded interpreter's pass rate on the q reference examples (``../shared/qgolden``), per file,
  using ``rdq.qlang.golden`` (file_context, setup, then input, per row; skip list honoured) and the wall
  time of the whole golden run;
* for the embedded sample benchmark's reference solutions: time per test in-process
  (``Session().run_script``) and through the harness's forked, limited executor, the share of tests
  finishing within the report's 2 s limit, and the sanity pass@1;
* when a real ``q`` binary is found (``--q-path``, ``$QHOME``, ``PATH``): the same tests under real q and
  the time ratio embedded / q.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT.parent / "shared" / "qgolden"
FILES = {"core": "golden_core_dev.jsonl", "dev": "golden_dev.jsonl"}


def _golden_worker(row):  # type: ignore[no-untyped-def]
    from rdq.qlang.golden import run_row

    warnings.simplefilter("ignore")
    ok, _ = run_row(row)
    return ok


def golden(files: list[str], jobs: int) -> None:
    try:
        from rdq.qlang.golden import load_rows, load_skips
    except ImportError:
        print("rdq.qlang.golden not available: golden pass rates skipped")
        return
    skips = load_skips(ROOT / "tests" / "qlang" / "golden_skip.tsv")
    t_all = time.perf_counter()
    for name in files:
        path = GOLDEN / FILES[name]
        if not path.exists():
            print(f"{path} missing: skipped")
            continue
        rows = load_rows(path)
        kept = [r for r in rows if r.id not in skips]
        t = time.perf_counter()
        with mp.get_context("fork").Pool(jobs) as pool:
            oks = pool.map(_golden_worker, kept, chunksize=25)
        dt = time.perf_counter() - t
        n_ok = sum(oks)
        print(f"golden {name:4s}: {n_ok}/{len(kept)} = {100 * n_ok / max(len(kept), 1):.1f}% "
              f"(all {len(rows)} rows incl. {len(rows) - len(kept)} skip-listed: {100 * n_ok / len(rows):.1f}%) "
              f"in {dt:.1f} s ({1000 * dt / max(len(kept), 1):.2f} ms/row, {jobs} processes)")
    print(f"golden suite total wall time: {time.perf_counter() - t_all:.1f} s")


def sample(q_path: str | None, workers: int) -> None:
    from rdq.errors import ConfigError
    from rdq.qlang import Session
    from rdq.qlang.bench import (
        EmbeddedExecutor,
        QBinaryExecutor,
        find_q_binary,
        judge,
        load_sample,
        q_script,
        score_references,
    )

    problems = load_sample()
    scripts = [(p.problem_id, q_script(p.q_solution, t.q_test_code), t.q_expected_output)
               for p in problems for t in p.test_cases]
    Session().run_script("exit 0;")  # warm
    inproc = []
    for _, script, expected in scripts:
        t = time.perf_counter()
        res = Session().run_script(script)
        inproc.append(time.perf_counter() - t)
        assert res.stdout.strip() == expected.strip(), (script, res)
    ex = EmbeddedExecutor(timeout_s=60.0)
    forked = []
    for _, script, expected in scripts:
        r = ex.run(script)
        forked.append(r.duration_s)
        assert judge(r, expected).passed
    n = len(scripts)

    def stats(xs: list[float]) -> str:
        xs = sorted(xs)
        return (f"mean {1000 * statistics.fmean(xs):.1f} ms, median {1000 * statistics.median(xs):.1f} ms, "
                f"p95 {1000 * xs[int(0.95 * (len(xs) - 1))]:.1f} ms, max {1000 * xs[-1]:.1f} ms")

    print(f"sample benchmark: {len(problems)} problems, {n} tests")
    print(f"  embedded, in-process run_script : {stats(inproc)}")
    print(f"  embedded, forked + limits       : {stats(forked)}")
    within = sum(d <= 2.0 for d in forked)
    print(f"  tests finishing within 2 s      : {within}/{n} = {100 * within / n:.1f}%")
    t = time.perf_counter()
    res = score_references(problems, executor=EmbeddedExecutor(), workers=workers, progress=False)
    print(f"  sanity run (2 s limit, {workers} workers): pass@1 = {res.pass_at(1):.3f} in "
          f"{time.perf_counter() - t:.1f} s")
    try:
        q = find_q_binary(q_path)
    except ConfigError:
        print("  real q: no binary found (QHOME/PATH/--q-path): embedded/q ratio not measured")
        return
    qex = QBinaryExecutor(q_path=str(q), timeout_s=60.0)
    qt = []
    for _, script, expected in scripts:
        r = qex.run(script)
        qt.append(r.duration_s)
        if not judge(r, expected).passed:
            print(f"  real q disagrees on {_}: {r.stdout[:60]!r} {r.stderr[:60]!r}")
    print(f"  real q (subprocess)             : {stats(qt)}")
    print(f"  ratio embedded-forked / real q  : {statistics.fmean(forked) / statistics.fmean(qt):.2f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--files", default="core,dev")
    ap.add_argument("--q-path", default=None)
    ap.add_argument("--skip-golden", action="store_true")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # numpy warnings from q arithmetic on nulls/infinities are expected
    if not args.skip_golden:
        golden([f for f in args.files.split(",") if f], args.jobs)
    sample(args.q_path, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
