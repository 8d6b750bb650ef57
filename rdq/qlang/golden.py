"""Golden runner: compare the interpreter with real q output from the reference examples.

Run ``python -m rdq.qlang.golden [--file core|dev] [--failures N] [--flag qsql]`` to print the pass
rate per source file and a sample of failures. The data (``../shared/qgolden``) are console examples
from the q reference (KX, licensed CC BY 4.0).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["GoldenRow", "load_rows", "run_row", "load_skips", "default_dir", "main"]

_FILES = {"core": "golden_core_dev.jsonl", "dev": "golden_dev.jsonl"}


def default_dir() -> Path:
    """``../shared/qgolden`` beside the project root."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "qgolden"


@dataclass(frozen=True)
class GoldenRow:
    id: str
    source_file: str
    input: str
    expected: str
    setup: tuple[str, ...]
    file_context: tuple[str, ...]
    flags: tuple[str, ...]


def load_rows(path: Path) -> list[GoldenRow]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            flags = list(r.get("flags") or [])
            for k in ("nondeterministic", "io", "system"):
                if r.get(k):
                    flags.append(k)
            rows.append(
                GoldenRow(
                    r["id"],
                    r["source_file"],
                    r["input"],
                    r["expected"],
                    tuple(r.get("setup") or ()),
                    tuple(r.get("file_context") or ()),
                    tuple(flags),
                )
            )
    return rows


def load_skips(path: Path) -> dict[str, str]:
    """``id<TAB>reason`` lines (``#`` comments allowed)."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rid, _, reason = line.partition("\t")
        out[rid.strip()] = reason.strip()
    return out


class _Timeout(BaseException):
    """The row ran past its time limit (a BaseException, so the console's error handler never catches it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


def run_row(row: GoldenRow, *, timeout_s: int = 5) -> tuple[bool, str]:
    """Run a row in a fresh Session; returns (passed, actual text).

    A row that runs past ``timeout_s`` (setup lines included) reads ``<timeout>``.
    """
    from rdq.qlang._session import Session

    # q 4 consoles print a trace under errors, q 3 consoles do not; the docs hold both
    s = Session(error_trace="\n  [0]  " in row.expected)
    use_alarm = hasattr(signal, "SIGALRM")
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(timeout_s)
    try:
        for line in list(row.file_context) + list(row.setup):
            try:
                s.display(line)
            except _Timeout:
                raise
            except BaseException:  # noqa: BLE001 - setup errors are ignored
                pass
        actual = s.display(row.input)
    except _Timeout:
        actual = "<timeout>"
    except BaseException as e:  # noqa: BLE001
        actual = f"<{type(e).__name__}: {e}>"
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
    exp = "\n".join(x.rstrip() for x in row.expected.split("\n")).strip("\n")
    act = "\n".join(x.rstrip() for x in actual.split("\n")).strip("\n")
    return act == exp, actual


def _worker(row: GoldenRow) -> tuple[str, bool, str]:
    ok, act = run_row(row)
    return row.id, ok, act


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rdq.qlang.golden")
    ap.add_argument("--file", choices=["core", "dev"], default="core")
    ap.add_argument("--failures", type=int, default=20, help="how many failures to print")
    ap.add_argument("--flag", default=None, help="only rows with this flag (e.g. qsql)")
    ap.add_argument("--source", default=None, help="only rows whose source_file contains this")
    ap.add_argument("--dir", default=None)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--per-file", action="store_true", help="print the per-file table")
    args = ap.parse_args(argv)
    d = Path(args.dir) if args.dir else default_dir()
    rows = load_rows(d / _FILES[args.file])
    skips = load_skips(Path(__file__).resolve().parents[2] / "tests" / "qlang" / "golden_skip.tsv")
    if args.flag:
        rows = [r for r in rows if args.flag in r.flags]
    if args.source:
        rows = [r for r in rows if args.source in r.source_file]
    rows = [r for r in rows if r.id not in skips]
    if args.jobs > 1:
        with mp.Pool(args.jobs) as pool:
            res = pool.map(_worker, rows, chunksize=20)
    else:
        res = [_worker(r) for r in rows]
    byid = {r.id: r for r in rows}
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    fails = []
    for rid, ok, act in res:
        r = byid[rid]
        per[r.source_file][1] += 1
        if ok:
            per[r.source_file][0] += 1
        else:
            fails.append((r, act))
    total = len(res)
    passed = sum(1 for _, ok, _ in res if ok)
    if args.per_file:
        for f, (p, n) in sorted(per.items(), key=lambda kv: kv[1][0] - kv[1][1]):
            print(f"{p:4d}/{n:<4d} {f}")
    for r, act in fails[: args.failures]:
        print(f"--- {r.id}\n  setup: {list(r.file_context) + list(r.setup)}\n  input: {r.input}")
        print("  expected:\n    " + r.expected.replace("\n", "\n    "))
        print("  actual:\n    " + act.replace("\n", "\n    "))
    print(
        f"PASS {passed}/{total} = {100.0 * passed / max(total, 1):.1f}% ({args.file}{', flag=' + args.flag if args.flag else ''}, {len(skips)} skipped ids)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
