"""q interpreter and q benchmark figures: golden pass rates, golden suite time, sample-benchmark timings.

Run:  .venv/bin/python benchmarks/qlang.py [--jobs N] [--files core,dev] [--q-path PATH]

Prints
* the embedded interpreter's pass rate on the q reference examples (``../shared/qgolden``), per file,
  using ``rdq.qlang.golden`` (file_context, setup, then input, per row; skip list honoured) and the wall
  time of the whole golden run;
* for the embedded sample benchmark's reference solutions: time per test in-process
  (``Session().run_script``) and through the harness's forked, limited executor, the share of tests
  finishing within the report's 2 s limit, and the sanity pass@1;
* the evaluator's speed: a small lambda call and a ``.z.s`` call (Collatz, fib) in microseconds, the
  published-program shapes (over/scan with big counts, each, string parsing, group), and the 10^6-element
  vector primitives (``sum``, ``+``, ``where``, ``asc``, ``group``, ``select ... by``) against the same numpy
  call, with their ratio (``--speed-only`` prints only these);
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
        print(
            f"golden {name:4s}: {n_ok}/{len(kept)} = {100 * n_ok / max(len(kept), 1):.1f}% "
            f"(all {len(rows)} rows incl. {len(rows) - len(kept)} skip-listed: {100 * n_ok / len(rows):.1f}%) "
            f"in {dt:.1f} s ({1000 * dt / max(len(kept), 1):.2f} ms/row, {jobs} processes)"
        )
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
    scripts = [
        (p.problem_id, q_script(p.q_solution, t.q_test_code), t.q_expected_output)
        for p in problems
        for t in p.test_cases
    ]
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
        return (
            f"mean {1000 * statistics.fmean(xs):.1f} ms, median {1000 * statistics.median(xs):.1f} ms, "
            f"p95 {1000 * xs[int(0.95 * (len(xs) - 1))]:.1f} ms, max {1000 * xs[-1]:.1f} ms"
        )

    print(f"sample benchmark: {len(problems)} problems, {n} tests")
    print(f"  embedded, in-process run_script : {stats(inproc)}")
    print(f"  embedded, forked + limits       : {stats(forked)}")
    within = sum(d <= 2.0 for d in forked)
    print(f"  tests finishing within 2 s      : {within}/{n} = {100 * within / n:.1f}%")
    t = time.perf_counter()
    res = score_references(problems, executor=EmbeddedExecutor(), workers=workers, progress=False)
    print(
        f"  sanity run (2 s limit, {workers} workers): pass@1 = {res.pass_at(1):.3f} in "
        f"{time.perf_counter() - t:.1f} s"
    )
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


def _best(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    """The best of ``repeat`` wall times of ``fn()`` in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def calls() -> None:
    """Microseconds per lambda call and per ``.z.s`` call, and whole small programs."""
    from rdq.qlang import Session

    s = Session()
    s.eval("f:{x+1}; loopf:{[n] do[n; f 1]}; loop0:{[n] do[n; 1+1]}")
    s.eval("col:{$[x=1;0;1+.z.s $[x mod 2;1+3*x;x div 2]]}; fib:{$[x<2;x;fib[x-1]+fib[x-2]]}")
    n = 100_000
    t_f = _best(lambda: s.eval(f"loopf {n}"), 3)
    t_0 = _best(lambda: s.eval(f"loop0 {n}"), 3)
    print(f"lambda call {{x+1}} (in a do loop, loop cost taken off): {1e6 * (t_f - t_0) / n:.2f} us/call")
    steps = int(s.eval("sum col each 1+til 1000").v) + 1000  # one .z.s call per Collatz step, plus the first
    t = _best(lambda: s.eval("col each 1+til 1000"), 3)
    print(f".z.s recursion (Collatz of 1..1000, {steps} calls): {1e6 * t / steps:.2f} us/call")
    t = _best(lambda: s.eval("fib 18"), 3)
    n_fib = 2 * 4181 - 1  # calls of fib 18: 2 fib(19) - 1
    print(f"recursive fib 18 ({n_fib} calls): {1e6 * t / n_fib:.2f} us/call, {1000 * t:.1f} ms")
    programs = {
        "{x+y}/[til 1000000]": "{x+y}/[til 1000000]",
        "{x+y*2}/[0;til 100000] (a lambda call per item)": "{x+y*2}/[0;til 100000]",
        "{x*x} each til 100000 (atomic: one vector call)": "{x*x} each til 100000",
        "{$[x>5;x;0]} each til 100000": "{$[x>5;x;0]} each til 100000",
        "Collatz lengths of 1..3000 by scan": "{count {$[x mod 2;1+3*x;x div 2]}\\[{x>1};x]} each 1+til 3000",
        'string parsing: sum "J"$"," vs 10^5 numbers': 'sum "J"$"," vs "," sv string til 100000',
        "count each group 10^5 keys": "count each group (til 100000) mod 97",
        "while loop of 10^5 in a function": "{[n] i:0; s:0; while[i<n; s+:i; i+:1]; s} 100000",
    }
    for label, src in programs.items():
        t = _best(lambda src=src: s.eval(src), 3)  # type: ignore[misc]
        print(f"  {label:55s} {1000 * t:8.1f} ms")


def vectors() -> None:
    """10^6-element vector primitives: rdq's q against the same numpy call, and the ratio."""
    import numpy as np

    from rdq.qlang import Session

    s = Session()
    n = 1_000_000
    s.eval(f"v:{n}?1000; w:{n}?1000; b:0=v mod 3; t:([] k:v mod 100; x:w)")
    rng = np.random.default_rng(1)
    v = rng.integers(0, 1000, n)
    w = rng.integers(0, 1000, n)
    b = v % 3 == 0
    k = v % 100

    def np_group() -> object:
        order = np.argsort(v, kind="stable")
        keys, start = np.unique(v[order], return_index=True)
        return dict(zip(keys.tolist(), np.split(order, start[1:]), strict=True))

    def np_select_by() -> object:
        keys, inv = np.unique(k, return_inverse=True)
        return keys, np.bincount(inv, weights=w)

    cases = [
        ("sum v", lambda: np.sum(v)),
        ("v+w", lambda: v + w),
        ("where b", lambda: np.nonzero(b)[0]),
        ("asc v", lambda: np.sort(v, kind="stable")),
        ("group v", np_group),
        ("select sum x by k from t", np_select_by),
    ]
    print(f"vector primitives on {n:,} elements (best of 5):")
    for src, ref in cases:
        t_q = _best(lambda src=src: s.eval(src))  # type: ignore[misc]
        t_np = _best(ref)
        print(
            f"  {src:28s} rdq {1000 * t_q:8.2f} ms   numpy {1000 * t_np:8.2f} ms   ratio {t_q / t_np:6.2f}x"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--files", default="core,dev")
    ap.add_argument("--q-path", default=None)
    ap.add_argument("--skip-golden", action="store_true")
    ap.add_argument("--speed-only", action="store_true", help="only the call and vector timings")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # numpy warnings from q arithmetic on nulls/infinities are expected
    calls()
    vectors()
    if args.speed_only:
        return 0
    if not args.skip_golden:
        golden([f for f in args.files.split(",") if f], args.jobs)
    sample(args.q_path, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
