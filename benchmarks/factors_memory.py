"""Peak memory and wall time of computing a factor library to Parquet: whole panel vs chunks of assets.

    .venv/bin/python benchmarks/factors_memory.py                                  # synthetic 1000 x 2400
    .venv/bin/python benchmarks/factors_memory.py --data ../shared/data/sp500_5yr_daily.parquet
    .venv/bin/python benchmarks/factors_memory.py --data MY.parquet --library alpha360 --dtype float32

Each case runs in a fresh child process (``python -c``) that loads the panel, computes the library and
writes the Parquet file; it reports its peak resident memory (``VmHWM`` of ``/proc/self/status``,
the high-water mark of the child's own image; ``ru_maxrss`` from ``os.wait4`` where there is no
``/proc``: Linux's ``ru_maxrss`` also counts the parent's pages at ``exec``, which is why the parent
compares the files in a child too and stays small) and the parent its wall time. Cases:

* ``whole``: ``rdq.factors.compute`` on the whole panel, then ``DataFrame.write_parquet`` (what
  ``rdq factors compute`` did before streaming);
* ``chunked``: ``rdq.factors.compute_to_parquet`` (chunks of whole assets, one row group each,
  streamed to a ``pyarrow.parquet.ParquetWriter``), what ``rdq factors compute`` does now.

Both files are read back and compared (same frame, column order and dtypes) unless ``--no-check``.
Without ``--data`` a synthetic market (``rdq.data.synth_market``, with vwap) of ``--assets`` x
``--days`` is written to a temporary file first; with ``--drop-vwap`` the panel's ``vwap`` column is
dropped (OHLCV-only data: Alpha158 skips ``VWAP0``, Alpha360 ``VWAP0..VWAP59``).
Issue 9's targets on a 2.4M-row daily market: Alpha158 under 2 GB, Alpha360 under 3 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
import polars as pl
from rdq.data.schema import normalize_panel
from rdq.factors import compute, compute_to_parquet, load_library

mode, data, library, out, dtype, chunk_rows, drop_vwap = sys.argv[1:8]
t0 = time.perf_counter()
frame = pl.read_parquet(data)
if "symbol" in frame.columns and "asset" not in frame.columns:
    frame = frame.rename({"symbol": "asset"})
panel = normalize_panel(frame)
del frame
if drop_vwap == "1" and "vwap" in panel.columns:
    panel = panel.drop("vwap")
t1 = time.perf_counter()
lib = load_library(library)
if mode == "whole":
    res = compute(panel, lib, out_dtype=dtype, missing="skip")
    res.write_parquet(out)
    cols = res.width - 2
else:
    res = compute_to_parquet(panel, lib, out, out_dtype=dtype, chunk_rows=int(chunk_rows) or None)
    cols = len(res.factors)
t2 = time.perf_counter()
peak_kib = None
try:  # this process image's own high-water mark (ru_maxrss also counts the parent's pages at exec)
    with open("/proc/self/status") as fh:
        peak_kib = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
print(json.dumps({"rows": panel.height, "factors": cols, "load_s": t1 - t0, "compute_s": t2 - t1,
                  "peak_kib": peak_kib}))
"""

SAME = r"""
import sys
import polars as pl
from polars.testing import assert_frame_equal
try:
    assert_frame_equal(pl.read_parquet(sys.argv[1]), pl.read_parquet(sys.argv[2]), check_exact=True)
except AssertionError as exc:
    print("DIFFER: " + str(exc).splitlines()[0])
else:
    print("identical")
"""


def _run_case(mode: str, data: Path, library: str, out: Path, args: argparse.Namespace) -> dict:
    argv = [sys.executable, "-c", CHILD, mode, str(data), library, str(out), args.dtype, str(args.chunk_rows),
            "1" if args.drop_vwap else "0"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be the maximum over every child so far)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    stdout = proc.stdout.read() if proc.stdout else ""
    stderr = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{mode} {library} failed (rc {proc.returncode}):\n{stderr[-4000:]}")
    info = json.loads(stdout.strip().splitlines()[-1])
    peak_kib = info.get("peak_kib") or usage.ru_maxrss  # both KiB on Linux
    info.update(mode=mode, library=library, wall_s=wall, peak_gib=peak_kib / 1024**2)
    return info


def _same(a: Path, b: Path) -> str:
    """Compare the two files in a child process (this process stays small: see ``_run_case``)."""
    proc = subprocess.run([sys.executable, "-c", SAME, str(a), str(b)], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or f"comparison failed: {proc.stderr[-400:]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None, help="panel Parquet file (default: a synthetic market)")
    ap.add_argument("--assets", type=int, default=1000, help="synthetic assets (without --data)")
    ap.add_argument("--days", type=int, default=2400, help="synthetic days (without --data)")
    ap.add_argument("--library", default="alpha158,alpha360", help="comma-separated libraries")
    ap.add_argument("--modes", default="whole,chunked", help="comma-separated: whole, chunked")
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--chunk-rows", type=int, default=0, help="rows per chunk (0 = the default)")
    ap.add_argument("--drop-vwap", action="store_true", help="drop the vwap column (OHLCV-only data)")
    ap.add_argument("--no-check", action="store_true", help="do not compare the files")
    args = ap.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            from rdq.data import synth_market

            data = Path(tmp) / "synthetic.parquet"
            synth_market(n_assets=args.assets, n_days=args.days, seed=0).panel.write_parquet(data)
        print(f"data: {data}  dtype {args.dtype}{'  (vwap dropped)' if args.drop_vwap else ''}")
        for library in [x.strip() for x in args.library.split(",") if x.strip()]:
            files = {}
            rows = []
            for mode in modes:
                files[mode] = Path(tmp) / f"{library}-{mode}.parquet"
                rows.append(_run_case(mode, data, library, files[mode], args))
            for r in rows:
                print(
                    f"  {library:<9} {r['mode']:<8} {r['rows']:>10,} rows x {r['factors']:>3} factors"
                    f"   peak {r['peak_gib']:6.2f} GiB   wall {r['wall_s']:7.1f} s"
                    f"   (load {r['load_s']:5.1f} s, compute+write {r['compute_s']:6.1f} s)"
                )
            if len(rows) == 2:
                a, b = rows
                print(f"  {library:<9} chunked/whole: peak x{b['peak_gib'] / a['peak_gib']:.2f},"
                      f" compute+write time x{b['compute_s'] / a['compute_s']:.2f}", end="")
                print(f", files {_same(files[a['mode']], files[b['mode']])}" if not args.no_check else "")
            for f in files.values():
                f.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
